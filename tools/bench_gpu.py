"""make bench-gpu: jaxlite's webgpu device against jax-js 0.1.25's, both in Node with Dawn's WebGPU
(npm `webgpu`), on this machine's GPU; writes the GPU section of BENCHMARKS.md.

    python tools/bench_gpu.py run [--json out.json] [--node NODE] [--dist PYODIDE_DIST] [--no-write]
    python tools/bench_gpu.py bundle DIR     # everything a bare GPU machine needs (Node, Dawn, Pyodide, jax-js)
    python tools/bench_gpu.py report JSON    # write BENCHMARKS.md's GPU section from a run elsewhere
    python tools/bench_gpu.py test [--node NODE] [--dist DIST] [pytest args]
                                             # the core suite on this machine's GPU, webgpu the default

On a machine without a GPU the run uses whatever Vulkan driver VK_ICD_FILENAMES names
(SwiftShader here): it works, but its figures say nothing about a GPU. BENCHMARKS.md says how
the reported figures were made on a lent NVIDIA H200.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ["matmul4096", "hypot16M", "hypot16M_k1000", "sum16M", "softmax4096x4096", "matmul1024",
             "digits_train", "mandelbrot1024", "fft1M", "fft16M", "rfft16M",
             "cholesky1024", "cholesky4096", "solve4096"]
# The demos (issue 16): the demo code itself (website/bench/demos/), timed per training step / frame.
DEMOS = {"digits_train", "mandelbrot1024"}
LABELS = {
    "matmul4096": "matmul 4096 (float32)",
    "hypot16M": "jit hypot sqrt(x*x+y*y), 16M",
    "hypot16M_k1000": "jit hypot, 16M, longer chain",
    "sum16M": "sum, 16M",
    "softmax4096x4096": "softmax over rows, 4096x4096",
    "matmul1024": "matmul 1024 (float32)",
    "digits_train": "digits demo: MLP 64-128-10 training, Adam, batch 128",
    "mandelbrot1024": "Mandelbrot demo: 1024x1024 frame, 256 iterations",
    "fft1M": "jit ifft(fft(z)), complex64, 2^20",
    "fft16M": "jit ifft(fft(z)), complex64, 2^24",
    "rfft16M": "jit irfft(rfft(x)), float32, 2^24",
    "cholesky1024": "Cholesky 1024 (float32)",
    "cholesky4096": "Cholesky 4096 (float32)",
    "solve4096": "solve 4096, one right-hand side (float32; jax-js without jit: its jit rejects triangular_solve)",
}
START, END = "<!-- gpu-bench:start -->", "<!-- gpu-bench:end -->"
VULKAN_DEBS = ["libvulkan1", "libegl1", "libglvnd0", "libopengl0", "libgl1", "libglx0", "libgles2"]


def _bench_json(out: str) -> dict:
    for line in out.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line[len("BENCH_JSON "):])
    raise SystemExit("no BENCH_JSON line in the output:\n" + out[-4000:])


def run(node: str, dist: str, names: list[str]) -> dict:
    env = dict(os.environ, PYODIDE_DIST=dist)
    common = [node, "--experimental-wasm-stack-switching", f"--import={ROOT / 'web' / 'node-webgpu.mjs'}"]
    results = {}
    for system, cmd in (
        ("jaxlite", [*common, str(ROOT / "tools" / "pyodide_node.mjs"), str(ROOT / "website" / "bench" / "gpu_workloads.py"),
                     ",".join(names)]),
        ("jax-js", [*common, str(ROOT / "website" / "bench" / "gpu_jaxjs.mjs"), ",".join(names)]),
    ):
        print(f"== {system}", flush=True)
        p = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
        sys.stderr.write("\n".join(line for line in p.stderr.splitlines() if "XDG_RUNTIME_DIR" not in line) + "\n")
        if p.returncode:
            raise SystemExit(f"{system} failed ({p.returncode}):\n{p.stdout[-4000:]}")
        results[system] = _bench_json(p.stdout)
    node_version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    results["meta"] = {"node": node_version, "host": platform.node(), "cpu": platform.processor() or platform.machine(),
                       "gpu": _gpu_name()}
    return results


def _gpu_name() -> str:
    try:
        return subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                              capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _fmt_time(s: float) -> str:
    return f"{s * 1e3:.3f} ms" if s < 0.1 else f"{s * 1e3:.1f} ms"


def table(results: dict) -> str:
    jl, jj = results["jaxlite"]["workloads"], results["jax-js"]["workloads"]
    rows = ["| workload | jaxlite webgpu | jax-js webgpu | jaxlite speed-up |", "|---|---|---|---|"]
    for name in WORKLOADS:
        if name not in jl or name not in jj:
            continue
        a, b = jl[name], jj[name]
        if name in DEMOS:
            rows.append(_demo_row(name, a, b))
            continue
        extra = ""
        if a.get("flops"):
            extra = f" ({a['flops'] / a['median_s'] / 1e12:.2f} TFLOP/s)"
            extra_b = f" ({a['flops'] / b['median_s'] / 1e12:.2f} TFLOP/s)"
        elif a.get("bytes"):
            extra = f" ({a['bytes'] / a['median_s'] / 1e9:.0f} GB/s)"
            extra_b = f" ({a['bytes'] / b['median_s'] / 1e9:.0f} GB/s)"
        else:
            extra_b = ""
        rows.append(f"| {LABELS[name]} (K={a['k']}) | {_fmt_time(a['median_s'])}{extra} | "
                    f"{_fmt_time(b['median_s'])}{extra_b} | {b['median_s'] / a['median_s']:.2f}x |")
    return "\n".join(rows)


def _demo_row(name: str, a: dict, b: dict) -> str:
    speedup = f"{b['median_s'] / a['median_s']:.2f}x"
    if name == "digits_train":
        return (f"| {LABELS[name]} ({a['k']} steps a run) | {1 / a['median_s']:.0f} steps/s | "
                f"{1 / b['median_s']:.0f} steps/s | {speedup} |")
    return (f"| {LABELS[name]} ({a['pixels'] - a['differ']} and {b['pixels'] - b['differ']} of {a['pixels']} pixels "
            f"as the float32 reference) | {_fmt_time(a['median_s'])} | {_fmt_time(b['median_s'])} | {speedup} |")


def write_section(results: dict, path: Path) -> None:
    meta, dev = results["meta"], results["jaxlite"].get("device", {})
    body = "\n".join([
        START,
        "## GPU: jaxlite webgpu vs jax-js webgpu",
        "",
        f"Machine: {meta.get('gpu') or dev.get('description') or dev.get('vendor')} "
        f"(adapter: {dev.get('vendor')} {dev.get('architecture')} {dev.get('description')}), "
        f"Node {meta.get('node')} with Dawn (npm webgpu 0.6.2) over Vulkan, Pyodide 0.27.7, jax-js 0.1.25. "
        "Each row: a chain of K ops, each consuming the previous result (starting from random float32 data), "
        "then one readback of the last result; time per op = elapsed / K, median of 5 runs after warm-up; "
        "both systems in the same process setup, one after the other, in one run. The ops are chained because "
        "jax-js evaluates lazily and never computes a result nobody reads. Bandwidths count each input read once "
        "and the output written once. The readback of a 64 MiB result costs about 20 ms in this setup "
        "(Dawn's mapped memory reads at about 5 GB/s on that host), the same for both systems: at K=100 "
        "that is 0.2 ms of every hypot op, hence the longer chain. The two demo rows time the demo code itself "
        "(website/bench/demos/: examples/digits.py and examples/mandelbrot.py for jaxlite, jaxjs-demos.js for jax-js): "
        "training steps/s as the median of 5 runs after a warm-up run, and the median time of a frame "
        "(escape counts, palette, readback of the RGBA image) of 5 after a warm-up frame.",
        "",
        table(results),
        "",
        "Reproduce: `make bench-gpu` on a machine with a GPU (Node, Vulkan); on the lent H200 through the "
        "device tool: `python tools/bench_gpu.py bundle .gpu`, then there `sh .gpu/setup.sh && "
        "VK_ICD_FILENAMES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json python3 tools/bench_gpu.py run "
        "--node .gpu/node --dist .gpu/pyodide --json $OUT/gpu.json`, and here `python tools/bench_gpu.py "
        "report gpu.json`.",
        END,
    ])
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if START in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda m: body, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + body + "\n"
    path.write_text(text)


def bundle(out: Path) -> None:
    """Node, Dawn, Pyodide (core + numpy), jax-js and the Vulkan loader in one folder (< 64 MiB)."""
    out.mkdir(parents=True, exist_ok=True)
    dist = ROOT / "build" / "pyodide"
    (out / "pyodide").mkdir(exist_ok=True)
    for f in ("pyodide.mjs", "pyodide.js", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip",
              "pyodide-lock.json", "package.json"):
        shutil.copy2(dist / f, out / "pyodide" / f)
    for whl in dist.glob("*.whl"):  # numpy for the benchmarks, pytest and friends for `test`
        if not whl.name.startswith("jaxlite-"):
            shutil.copy2(whl, out / "pyodide" / whl.name)
    subprocess.run(f"xz -T0 -9 -c {shutil.which('node')} > {out / 'node.xz'}", shell=True, check=True)
    mods = out / "node_modules"
    shutil.rmtree(mods, ignore_errors=True)
    (mods / "webgpu" / "dist").mkdir(parents=True)
    for f in ("index.js", "package.json"):
        shutil.copy2(ROOT / "node_modules" / "webgpu" / f, mods / "webgpu" / f)
    subprocess.run(f"xz -T0 -c {ROOT / 'node_modules/webgpu/dist/linux-x64/dawn.node'} > {out / 'dawn.node.xz'}",
                   shell=True, check=True)
    shutil.copytree(ROOT / "node_modules" / "@jax-js", mods / "@jax-js")
    shutil.copy2(ROOT / "website" / "demos" / "digits" / "digits.npz", out / "digits.npz")  # git ignores it
    # The Vulkan loader, and the GL dispatch libraries that NVIDIA's ICD (libGLX_nvidia) needs.
    wanted = [p for p in VULKAN_DEBS if not list(out.glob(f"{p}_*.deb"))]
    if wanted:
        subprocess.run(["apt-get", "download", *wanted], cwd=out, check=True)
    (out / "setup.sh").write_text("""#!/bin/sh
# Unpack what bench_gpu.py bundled, on a bare x86-64 Linux machine with an NVIDIA driver.
set -e
here=$(cd "$(dirname "$0")" && pwd)
xz -dc "$here/node.xz" > "$here/node" && chmod +x "$here/node"
mkdir -p "$here/node_modules/webgpu/dist/linux-x64"
xz -dc "$here/dawn.node.xz" > "$here/node_modules/webgpu/dist/linux-x64/dawn.node"
rm -rf "$here/../node_modules" && cp -r "$here/node_modules" "$here/../node_modules"
cp "$here/digits.npz" "$here/../website/demos/digits/digits.npz"
for d in "$here"/*.deb; do dpkg -x "$d" /; done
ldconfig
""")
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"{out}: {size / 2 ** 20:.1f} MiB")


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--node", default=shutil.which("node") or "node")
    r.add_argument("--dist", default=str(ROOT / "build" / "pyodide"))
    r.add_argument("--json")
    r.add_argument("--only", default=",".join(WORKLOADS))
    r.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    b = sub.add_parser("bundle")
    b.add_argument("dir")
    rep = sub.add_parser("report")
    rep.add_argument("json")
    t = sub.add_parser("test")
    t.add_argument("--node", default=shutil.which("node") or "node")
    t.add_argument("--dist", default=str(ROOT / "build" / "pyodide"))
    args, rest = ap.parse_known_args()
    if args.cmd == "test":
        cmd = [args.node, "--experimental-wasm-stack-switching", f"--import={ROOT / 'web' / 'node-webgpu.mjs'}",
               str(ROOT / "tools" / "pyodide_node.mjs"), str(ROOT / "tools" / "pyodide_suite.py"), "webgpu", *rest]
        env = dict(os.environ, PYODIDE_DIST=args.dist, PYODIDE_PACKAGES="numpy,pytest,hypothesis")
        raise SystemExit(subprocess.run(cmd, env=env, cwd=ROOT).returncode)
    if rest:
        ap.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.cmd == "bundle":
        bundle(Path(args.dir))
        return
    if args.cmd == "report":
        results = json.loads(Path(args.json).read_text())
    else:
        results = run(args.node, args.dist, args.only.split(","))
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
    print(table(results))
    if args.cmd == "report" or not args.no_write:
        write_section(results, ROOT / "BENCHMARKS.md")


if __name__ == "__main__":
    main()
