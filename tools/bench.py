"""make bench: run the benchmark page in headless Chromium plus native numpy, write BENCHMARKS.md.

    python tools/bench.py [--systems numpy,jaxlite-cpu,jax-js-wasm,jax-js-webgpu] [--out BENCHMARKS.md]
                          [--only main|eager]

All browser systems run in one page (website/bench/), one after the other, on the same data.
A system that fails makes the whole run fail: no blank cells. Two tables: the workloads (rewrites
the top of BENCHMARKS.md) and eager small-array ops (issue 18, the section between the
`eager-bench` markers); `--only` runs one of them and leaves the rest of the file as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

CHROMIUM = os.environ.get("JAXLITE_CHROMIUM", "/usr/lib/chromium/chromium")
CHROME_FLAGS = ["--headless=new", "--no-sandbox", "--enable-unsafe-webgpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]
DEFAULT_SYSTEMS = "numpy,jaxlite-cpu,jaxlite-wasm,jaxlite-webgpu,jax-js-wasm,jax-js-webgpu"

ROWS = [  # (key, label, flops or None)
    ("hypot_eager", "hypot sqrt(x*x+y*y), 1M, eager", None),
    ("hypot_jit", "hypot, 1M, jit (numpy: eager)", None),
    ("sum", "sum, 4M", None),
    ("softmax", "softmax over rows, 4096x1024", None),
    ("matmul256", "matmul 256", 2 * 256 ** 3),
    ("matmul512", "matmul 512", 2 * 512 ** 3),
    ("matmul1024", "matmul 1024", 2 * 1024 ** 3),
    ("conv2d", "conv2d 1x32x64x64 * 32x32x3x3, SAME", 2 * 32 * 64 * 64 * 32 * 9),
    ("mlp_step", "MLP 784-256-10 step, batch 128 (fwd+grad+update)", None),
    ("tiny_add_eager", "tiny add (10 elements), eager", None),
    ("tiny_add_jit", "tiny add (10 elements), cached jit", None),
]


# The eager table (issue 18): workloads.py EAGER_OPS, per system that runs them (website/bench/bench.js).
EAGER_ROWS = [("a + b", "`a + b`"), ("a + 1", "`a + 1`"), ("a * 2.0", "`a * 2.0`"), ("jnp.sin(a)", "`jnp.sin(a)`"),
              ("a.sum()", "`a.sum()`"), ("a[3]", "`a[3]`"), ("a[2:5]", "`a[2:5]`"),
              ("a.reshape(2, 5)", "`a.reshape(2, 5)`"), ("jit(a, b)", "cached jit call, two small inputs")]
EAGER_COLS = [("numpy", "numpy (Pyodide)"), ("jaxlite-wasm", "jaxlite wasm"),
              ("jaxlite-webgpu", "jaxlite webgpu (issue cost)"), ("jax-js-wasm", "jax-js wasm"),
              ("jax-js-webgpu", "jax-js webgpu")]
EAGER_MARK = "eager-bench"


def run_browser(systems: str, timeout_s: float, only: str | None = None) -> dict:
    from playwright.sync_api import sync_playwright
    from serve import serve_in_thread

    server, url = serve_in_thread()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_FLAGS)
            page = browser.new_page()
            page.on("console", lambda m: print(f"[page] {m.text}", flush=True) if m.type == "error" else None)
            page.goto(f"{url}/bench/?systems={systems}" + (f"&only={only}" if only else ""))
            last = None
            deadline = time.time() + timeout_s
            while time.time() < deadline:
                state = page.evaluate("[window.benchResults ? 'done' : null, window.benchError || null, "
                                      "document.getElementById('status').textContent]")
                if state[1]:
                    raise SystemExit(f"benchmark page failed:\n{state[1]}")
                if state[0]:
                    results = page.evaluate("window.benchResults")
                    results["meta"]["chromium"] = browser.version
                    return results
                if state[2] != last:
                    print(f"  {state[2]}", flush=True)
                    last = state[2]
                time.sleep(1)
            raise SystemExit(f"benchmark page did not finish within {timeout_s:.0f} s (last status: {last})")
    finally:
        server.shutdown()


def run_native_numpy() -> tuple[dict, str]:
    # A current numpy runs slower with OPENBLAS_CORETYPE/L2_SIZE forced: unset both, here only.
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    out = subprocess.run([sys.executable, str(ROOT / "website" / "bench" / "workloads.py"), "numpy"], env=env,
                         check=True, capture_output=True, text=True, cwd=ROOT)
    info = subprocess.run([sys.executable, "-c", "import numpy as np; c = np.show_config(mode='dicts'); "
                           "b = c['Build Dependencies']['blas']; print(np.__version__, b.get('name'), b.get('version'))"],
                          env=env, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1]), info.stdout.strip()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 2 ** 20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}, {platform.system()} {platform.release()}"


def fmt_cell(seconds: float, flops) -> str:
    if flops:
        return f"{seconds * 1e3:.2f} ms ({flops / seconds / 1e9:.2f} GFLOP/s)"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    return f"{seconds * 1e3:.2f} ms"


def table(results: dict, native: dict) -> str:
    systems = list(results["systems"])
    cols = systems + ["native numpy"]
    data = {**results["systems"], "native numpy": native}
    head = "| workload | " + " | ".join(cols) + " |\n|---|" + "---|" * len(cols) + "\n"
    lines = []
    for key, label, flops in ROWS:
        cells = []
        np_t = data["numpy"][key][0] if "numpy" in data else None
        jj_t = data["jax-js-wasm"][key][0] if "jax-js-wasm" in data else None
        for c in cols:
            t = data[c][key][0]
            cell = fmt_cell(t, flops)
            if c.startswith("jaxlite") or c.startswith("jax-js"):
                ratios = []
                if np_t:
                    ratios.append(f"{np_t / t:.2f}× np")
                if jj_t and not c.startswith("jax-js"):
                    ratios.append(f"{jj_t / t:.2f}× jax-js wasm")
                cell += " (" + ", ".join(ratios) + ")" if ratios else ""
            cells.append(cell)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    extra = []
    if any("jit_trace" in data[c] for c in cols):
        extra.append("| jit trace + first call overhead, fused hypot (1K) | " + " | ".join(
            fmt_cell(data[c]["jit_trace"][0], None) if "jit_trace" in data[c] else "–" for c in cols) + " |")
    return head + "\n".join(lines + extra) + "\n"


def eager_table(results: dict) -> str:
    eager, meta = results["eager"], results["meta"]
    cols = [(k, label) for k, label in EAGER_COLS if k in eager]
    head = "| op (10-element float32 `a`, `b`) | " + " | ".join(label for _, label in cols) + " |\n|---|" + "---|" * len(cols)
    lines = [head]
    for key, label in EAGER_ROWS:
        lines.append(f"| {label} | " + " | ".join(fmt_cell(eager[k][key][0], None) for k, _ in cols) + " |")
    imp = f"{meta['importJaxliteMs']:.0f} ms"
    lines.append("| `import jaxlite` in the page (wheel loaded, numpy imported) | "
                 + " | ".join(imp if k.startswith("jaxlite") else "–" for k, _ in cols) + " |")
    return "\n".join(lines) + "\n"


def eager_section(results: dict, commit: str) -> str:
    meta = results["meta"]
    return f"""<!-- {EAGER_MARK}:start -->
## Eager small-array ops

Written by `make bench` (tools/bench.py, `--only eager` for this table alone) on {time.strftime('%Y-%m-%d')} at
{commit or 'unknown commit'}: Chromium {meta['chromium']} headless on {machine()}; WebGPU adapter:
{meta['adapter']}. Time per op: a timed run is a loop of N ops (N doubled from 64 until a run takes
20 ms), median of 7 runs, warm-up excluded; numpy's and jaxlite's runs go round-robin over the ops,
so a slow phase of the page (below) slows all of them alike. **No op's result is read back**; each run ends with
one readback of its last result (numpy, jaxlite: `np.asarray`, which on webgpu waits for every op
queued before it), so queued work is counted. jax-js evaluates lazily: its runs keep their results
and end with `blockUntilReady` on all of them (then dispose them), so its kernels run inside the
timed run too. The webgpu columns are therefore issue cost plus one sync per run; on SwiftShader
(a CPU rasteriser) they say little about a GPU. Targets (issue 18): wasm ≤ 10 µs per op and per
cached jit call, webgpu ≤ 25 µs with `a + 1` no slower than `a + b`, `import jaxlite` ≤ 250 ms.
jaxlite's `import jaxlite` is timed alone (the wheel already loaded; `import jaxlite.numpy` and
`jaxlite.init()` not included); the whole start-up is in the line above the main table.

{eager_table(results)}<!-- {EAGER_MARK}:end -->"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--systems", default=DEFAULT_SYSTEMS)
    ap.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--only", choices=["main", "eager"], help="run one table; the file keeps the other")
    args = ap.parse_args()
    print(f"Browser systems: {args.systems}", flush=True)
    results = run_browser(args.systems, args.timeout, args.only)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    old = args.out.read_text() if args.out.exists() else ""
    eager = eager_section(results, commit) if results["eager"] else None
    if args.only == "eager":
        marked = re.compile(rf"<!-- {EAGER_MARK}:start -->.*?<!-- {EAGER_MARK}:end -->", re.S)
        doc = marked.sub(lambda _: eager, old) if marked.search(old) else old.rstrip("\n") + "\n\n" + eager + "\n"
        args.out.write_text(doc)
        print(eager)
        print(f"wrote {args.out}")
        return
    print("Native numpy (CPython)", flush=True)
    native, native_info = run_native_numpy()
    meta = results["meta"]
    body = table(results, native)
    doc = f"""# Benchmarks

Written by `make bench` (tools/bench.py) on {time.strftime('%Y-%m-%d')}, jaxlite {meta['jaxliteVersion']} at {commit or 'unknown commit'}.
Every cell is the median of 7 timed runs after a warm-up (at least 2 calls and 0.25 s, so that the
browser's engine has tiered up new code), in one run of the harness on one
machine; each timed call reads its result back to host memory. Ratios are speedups (higher is
faster): `× np` against numpy in Pyodide, `× jax-js wasm` against jax-js's wasm device.

- Machine: {machine()}
- Browser: Chromium {meta['chromium']} headless (`{meta['userAgent']}`), cross-origin isolated: {meta['crossOriginIsolated']}
- WebGPU adapter: {meta['adapter']} (SwiftShader is a CPU implementation: its WebGPU times say nothing about a GPU)
- Pyodide 0.27.7 with numpy {meta['numpyVersion']}; jax-js 0.1.25; native: Python {platform.python_version()}, numpy/BLAS {native_info}
- Pyodide start-up: boot {meta['pyodideBootMs']:.0f} ms, numpy load {meta['numpyLoadMs']:.0f} ms, jaxlite load + import {meta['jaxliteImportMs']:.0f} ms
- `jaxlite-cpu` is jaxlite's reference device (each primitive a numpy call inside Pyodide);
  `jaxlite-wasm` is the WebAssembly device (jaxlite's default in the browser; the page is cross-origin
  isolated, so big kernels run on worker threads too); `jaxlite-webgpu` is the WebGPU device, here on
  SwiftShader like jax-js-webgpu: it shows the device works in the page, not how fast a GPU is. The
  GPU section below was measured on a GPU (`make bench-gpu`).

{body}"""
    if eager:
        doc += "\n" + eager + "\n"
    # Sections written by other runs (the GPU machine, `make bench-demos`, `make bench-minilm`, measurements
    # made by hand) sit between <!-- name:start --> and <!-- name:end --> markers: kept, in their order.
    sections = list(re.finditer(r"<!-- ([\w-]+):start -->.*?<!-- \1:end -->", old, re.S))
    unended = set(re.findall(r"<!-- ([\w-]+):start -->", old)) - {m.group(1) for m in sections}
    if unended:  # (it would be dropped with everything else outside the markers)
        sys.exit(f"{args.out}: no end marker for section(s) {sorted(unended)}; the file is left as it is")
    for m in sections:
        if not (eager and m.group(1) == EAGER_MARK):
            doc += "\n" + m.group(0) + "\n"
    args.out.write_text(doc)
    print()
    print(body)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
