"""make bench-demos: run the demo benchmark page (website/bench/demos/) in headless Chromium and
write the "Demos" section of BENCHMARKS.md (between the demo-bench markers).

    python website/bench/demos/run_bench.py [--systems jaxlite-wasm,numpy,...] [--query steps=55&runs=3]
                                            [--out BENCHMARKS.md] [--json results.json]

Every system runs in one page, one after the other; a system that fails fails the run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tools"))
from bench import CHROME_FLAGS, CHROMIUM, machine  # noqa: E402

START, END = "<!-- demo-bench:start -->", "<!-- demo-bench:end -->"
SYSTEMS = "jaxlite-wasm,jaxlite-webgpu,numpy,jax-js-wasm,jax-js-webgpu"
HEADS = {"jaxlite-wasm": "jaxlite wasm", "jaxlite-webgpu": "jaxlite webgpu (SwiftShader)", "numpy": "numpy in Pyodide",
         "jax-js-wasm": "jax-js wasm", "jax-js-webgpu": "jax-js webgpu (SwiftShader)"}


def run_page(systems: str, query: str, timeout_s: float) -> dict:
    from playwright.sync_api import sync_playwright
    from serve import serve_in_thread

    server, url = serve_in_thread()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_FLAGS)
            page = browser.new_page()
            page.on("console", lambda m: print(f"[page] {m.text}", flush=True) if m.type == "error" else None)
            page.goto(f"{url}/bench/demos/?systems={systems}" + (f"&{query}" if query else ""))
            last, deadline = None, time.time() + timeout_s
            while time.time() < deadline:
                done, error, state = page.evaluate("[!!window.benchResults, window.benchError || null, "
                                                   "document.getElementById('status').textContent]")
                if error:
                    raise SystemExit(f"demo benchmark page failed:\n{error}")
                if done:
                    results = page.evaluate("window.benchResults")
                    results["meta"]["chromium"] = browser.version
                    return results
                if state != last:
                    print(f"  {state}", flush=True)
                    last = state
                time.sleep(1)
            raise SystemExit(f"the page did not finish within {timeout_s:.0f} s (last status: {last})")
    finally:
        server.shutdown()


def _ratio(value, base, higher_is_faster):
    if not base:
        return ""
    return f"{(value / base if higher_is_faster else base / value):.2f}×"


def section(results: dict, load: tuple[float, float]) -> str:
    meta, systems = results["meta"], results["systems"]
    names = list(systems)
    np_sys, jj_sys = systems.get("numpy"), systems.get("jax-js-wasm")

    def cell(name, value, base_np, base_jj, higher_is_faster, fmt):
        ratios = []
        if base_np and name != "numpy":
            ratios.append(_ratio(value, base_np, higher_is_faster) + " np")
        if base_jj and not name.startswith("jax-js"):
            ratios.append(_ratio(value, base_jj, higher_is_faster) + " jax-js wasm")
        return fmt(value) + (f" ({', '.join(ratios)})" if ratios else "")

    def row(label, get, higher_is_faster, fmt):
        base_np = get(np_sys) if np_sys else None
        base_jj = get(jj_sys) if jj_sys else None
        return f"| {label} | " + " | ".join(cell(n, get(systems[n]), base_np, base_jj, higher_is_faster, fmt)
                                          for n in names) + " |"

    size, iters = meta["size"], meta["iters"]
    lines = [
        "| | " + " | ".join(HEADS.get(n, n) for n in names) + " |",
        "|---|" + "---|" * len(names),
        row("digits MLP 64-128-10, Adam, batch 128: training steps/s", lambda r: r["digits"]["steps_per_s"], True,
            lambda v: f"{v:.1f}"),
        row(f"Mandelbrot {size}x{size}, {iters} iterations: time per frame", lambda r: r["mandelbrot"]["frame_s"], False,
            lambda v: f"{v:.2f} s" if v >= 1 else f"{v * 1e3:.0f} ms"),
        "| Mandelbrot: first frame (compiles) | " + " | ".join(
            f"{systems[n]['mandelbrot']['first_s']:.2f} s" for n in names) + " |",
        "| Mandelbrot: pixels whose escape count differs from numpy's | " + " | ".join(
            f"{systems[n]['mandelbrot']['differ']} of {systems[n]['mandelbrot']['pixels']}" for n in names) + " |",
        f"| digits: loss after {meta['steps']} steps (after {systems[names[0]]['digits']['loss_curve'][0][0]}); "
        "test accuracy | " + " | ".join(
            f"{systems[n]['digits']['last_loss']:.3f} ({systems[n]['digits']['first_loss']:.3f}); "
            f"{systems[n]['digits']['accuracy'] * 100:.1f}%" for n in names) + " |",
    ]
    steps_per_run = ", ".join(f"{HEADS.get(n, n)} {systems[n]['digits']['steps_per_run']}" for n in names)
    return "\n".join([
        START,
        "## Demos",
        "",
        f"Written by `make bench-demos` (website/bench/demos/run_bench.py) on {time.strftime('%Y-%m-%d')}, "
        f"jaxlite {meta.get('jaxliteVersion')}: the page /bench/demos/ in headless Chromium {meta['chromium']}, "
        "every system in that one page, one after the other, in one run. jaxlite and numpy (Pyodide's numpy "
        f"{meta.get('numpyVersion')}) run the demos' own Python (examples/digits.py, digits_numpy.py, mandelbrot.py) "
        "in a jaxlite worker per device; jax-js 0.1.25 runs the same network and loop in the page "
        "(website/bench/demos/jaxjs-demos.js: `jit(valueAndGrad)` with Adam written out; jax-js has no "
        "`fori_loop`, so a frame calls a jit of 8 unrolled steps max_iter/8 times, as jaxlite's `fori_loop` body does).",
        "",
        f"- Machine: {machine()}. It was shared with other work while this ran (load average "
        f"{load[0]:.1f} at the start, {load[1]:.1f} at the end): the figures are noisy, and the ratios come from "
        "this one run.",
        f"- WebGPU adapter: {meta.get('adapter')}: SwiftShader, a CPU implementation of WebGPU. Its webgpu "
        "figures show that both systems' webgpu devices run the demos in the page; they say nothing about a GPU "
        "(the GPU section below has the H200 runs, `make bench-gpu`).",
        f"- Training: a warm-up run of {meta['steps']} steps (compiles; records the loss), then "
        f"{meta['runs']} timed runs of whole epochs (11 steps each) sized to last about 3 s, at most "
        f"{meta['steps']} steps (steps per run: {steps_per_run}); each run starts from new weights and "
        "shuffles every epoch like the demo, and reads the loss back at its end. Figure: median steps/s.",
        f"- Mandelbrot: the demo's view (centre -0.6, 3.2 wide), one warm-up frame, then median of "
        f"{meta['frames']} timed frames; a frame is the escape counts, the palette lookup and the readback of "
        "the RGBA image. The escape counts of every system are compared with numpy's float32 loop, pixel by pixel.",
        "- Ratios are speed-ups (higher is faster): `× np` against numpy in Pyodide, `× jax-js wasm` against "
        "jax-js on its wasm device.",
        "",
        *lines,
        "",
        "Reproduce: `make bench-demos` (18 minutes on this loaded machine, most of it SwiftShader); the page itself: `make serve`, then "
        "http://localhost:8000/bench/demos/ (`?quick=1` for small sizes).",
        END,
    ])


def write_section(body: str, path: Path) -> None:
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if START in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda m: body, text, flags=re.S)
    elif "## Demos (preliminary)" in text:  # the figures this section replaces
        old = re.search(r"## Demos \(preliminary\).*?(?=\n<!-- |\n## |\Z)", text, flags=re.S)
        text = text[:old.start()] + body + "\n" + text[old.end():]
    else:
        text = text.rstrip() + "\n\n" + body + "\n"
    path.write_text(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--systems", default=SYSTEMS)
    ap.add_argument("--query", default="", help="extra URL parameters for the page, e.g. steps=55&runs=3")
    ap.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--timeout", type=float, default=3600)
    args = ap.parse_args()
    load0 = os.getloadavg()[0]
    results = run_page(args.systems, args.query, args.timeout)
    load1 = os.getloadavg()[0]
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    body = section(results, (load0, load1))
    write_section(body, args.out)
    print(body)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
