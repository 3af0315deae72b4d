"""Where the time of a webgpu op goes (inside Pyodide, as gpu_workloads.py): per op, the Python
time to issue it, the time until the GPU has finished (queue.onSubmittedWorkDone), and with a
readback of the last result. Dependent chains of K ops, medians of 5."""

import os
import sys
import time

import numpy as np

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite._src.backends.webgpu.runtime import run_blocking


def med(xs):
    return sorted(xs)[len(xs) // 2]


async def main():
    await jax.init()
    gpu = jax.devices("webgpu")[0]
    rt = gpu.runtime
    if os.environ.get("JAXLITE_PROBE_NO_SUBGROUPS"):  # compare reductions without subgroup operations
        gpu.use_subgroups = False
    print(f"subgroups: {gpu.use_subgroups}", file=sys.stderr)
    rng = np.random.default_rng(0)
    n = 1 << (14 if os.environ.get("JAXLITE_BENCH_SMOKE") else 24)
    x = jax.device_put(rng.standard_normal(n).astype(np.float32), gpu)
    y = jax.device_put(rng.standard_normal(n).astype(np.float32), gpu)
    cases = {
        "hypot16M": (jax.jit(lambda u, v: jnp.sqrt(u * u + v * v)), x, y, 100),
        "sum16M": (jax.jit(lambda s, v: jnp.sum(v + s * 1e-12)), jax.device_put(np.float32(0), gpu), x, 100),
        "add1K": (jax.jit(lambda u, v: u + v), x[:1024], y[:1024], 1000),
        "softmax4096": (jax.jit(lambda v, _: (lambda e: e / e.sum(-1, keepdims=True))(jnp.exp(v - v.max(-1, keepdims=True)))),
                        jax.device_put(rng.standard_normal((4096, 4096)).astype(np.float32), gpu), y[:1], 50),
        "matmul1024": (jax.jit(lambda c, w: c @ w), jax.device_put(rng.standard_normal((1024, 1024)).astype(np.float32), gpu),
                       jax.device_put((rng.standard_normal((1024, 1024)) / 32).astype(np.float32), gpu), 100),
    }
    for name, (f, s0, c, k) in cases.items():
        s = f(s0, c)
        np.asarray(s)
        issue, done, read = [], [], []
        for _ in range(5):
            s = s0
            t0 = time.perf_counter()
            for _ in range(k):
                s = f(s, c)
            t1 = time.perf_counter()
            run_blocking(rt.done())
            t2 = time.perf_counter()
            issue.append((t1 - t0) / k)
            done.append((t2 - t0) / k)
            s = s0
            t0 = time.perf_counter()
            for _ in range(k):
                s = f(s, c)
            np.asarray(s)
            read.append((time.perf_counter() - t0) / k)
        one = []
        for _ in range(5):
            t0 = time.perf_counter()
            s = f(s0, c)
            run_blocking(rt.done())
            one.append(time.perf_counter() - t0)
        print(f"{name}: per op issue {med(issue) * 1e6:.1f} us, until GPU done {med(done) * 1e6:.1f} us, "
              f"with readback {med(read) * 1e6:.1f} us; one op issue+done {med(one) * 1e6:.1f} us", file=sys.stderr)
        if rt.set_profiling(True):
            s = s0
            for _ in range(k):
                s = f(s, c)
            run_blocking(rt.done())
            times: dict = {}
            for label, secs in run_blocking(rt.profile()):
                times.setdefault(label, []).append(secs)
            rt.set_profiling(False)
            print("   GPU kernel times: " + ", ".join(f"{lb} {med(ts) * 1e6:.1f} us (x{len(ts)})"
                                                     for lb, ts in times.items()), file=sys.stderr)


await main()  # noqa: F704


def _shader(elem: str, body: str) -> str:
    """c = f(a, b) over arrays of elem, one invocation per thread t < p.n."""
    return f"""
@group(0) @binding(0) var<storage, read> a: array<{elem}>;
@group(0) @binding(1) var<storage, read> b: array<{elem}>;
@group(0) @binding(2) var<storage, read_write> c: array<{elem}>;
struct P {{ n: u32, stride: u32, z0: u32, z1: u32 }}
@group(0) @binding(3) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {{
  let t = gid.y * p.stride + gid.x;
{body}
}}"""


_GUARD = "  if (t >= p.n) { return; }\n  let i = t;\n"
VARIANTS = {  # name -> (WGSL, elements per invocation)
    "minimal scalar": (_shader("f32", _GUARD + "  c[i] = sqrt(a[i] * a[i] + b[i] * b[i]);"), 1),
    "vec4": (_shader("vec4<f32>", _GUARD + "  let x = a[i]; let y = b[i];\n  c[i] = sqrt(x * x + y * y);"), 4),
    "4 per invocation, strided": (_shader("f32", """  let total = p.n / 4u;
  for (var u = 0u; u < 4u; u++) {
    let i = t + u * total;
    if (i < p.n) { c[i] = sqrt(a[i] * a[i] + b[i] * b[i]); }
  }"""), 4),
    "copy (ceiling)": (_shader("vec4<f32>", _GUARD + "  c[i] = a[i];"), 4),
}


async def variants():
    from jaxlite._src.backends.webgpu.device import WebGPUBuffer, _grid
    gpu = jax.devices("webgpu")[0]
    rt = gpu.runtime
    if not rt.set_profiling(True):
        return
    n = 1 << (14 if os.environ.get("JAXLITE_BENCH_SMOKE") else 24)
    a = gpu.put(np.random.default_rng(1).standard_normal(n).astype(np.float32))
    b = gpu.put(np.random.default_rng(2).standard_normal(n).astype(np.float32))
    c = WebGPUBuffer(gpu, n * 4)
    for name, (src, per) in VARIANTS.items():
        pid = rt.pipeline(src, 2, 1, name)
        threads = n // per
        grid = _grid(-(-threads // 256), rt.max_groups)
        for _ in range(50):
            rt.dispatch(pid, grid, [threads if per == 4 and "strided" not in name else n,
                                    grid[0] * 256, 0, 0], [a.id, b.id, c.id])
        run_blocking(rt.done())
    times: dict = {}
    for label, secs in run_blocking(rt.profile()):
        times.setdefault(label, []).append(secs)
    rt.set_profiling(False)
    for label, ts in times.items():
        nbytes = (2 if label.startswith("copy") else 3) * n * 4
        print(f"   variant {label}: {med(ts) * 1e6:.1f} us, {nbytes / med(ts) / 1e9:.0f} GB/s", file=sys.stderr)


async def flush_policy():
    """Per-op time of the hypot chain (K=100, until the GPU is done) against the submit threshold."""
    from jaxlite._src.backends.webgpu import runtime as R
    gpu = jax.devices("webgpu")[0]
    n = 1 << (14 if os.environ.get("JAXLITE_BENCH_SMOKE") else 24)
    x = jax.device_put(np.ones(n, np.float32), gpu)
    f = jax.jit(lambda u, v: jnp.sqrt(u * u + v * v))
    np.asarray(f(x, x))
    t0 = time.perf_counter()
    for _ in range(100):
        gpu.runtime.flush()
    print(f"   empty flush: {(time.perf_counter() - t0) * 1e4:.1f} us", file=sys.stderr)
    for wf in (1 << 22, 1 << 25, 1 << 27, 1 << 40):
        R.WORK_FLUSH = wf
        per = []
        for _ in range(5):
            s = x
            t0 = time.perf_counter()
            for _ in range(100):
                s = f(s, x)
            run_blocking(gpu.runtime.done())
            per.append((time.perf_counter() - t0) / 100)
        print(f"   WORK_FLUSH 2^{wf.bit_length() - 1}: {med(per) * 1e6:.1f} us/op until done", file=sys.stderr)


async def readback():
    """Readback time against size: latency plus bandwidth."""
    gpu = jax.devices("webgpu")[0]
    rt = gpu.runtime
    for n in (1 << 10, 1 << 18, 1 << 22, 1 << 24):
        buf = gpu.put(np.ones(n, np.float32))
        ts = []
        for _ in range(5):
            t0 = time.perf_counter()
            rt.read_sync(buf.id, n * 4)
            ts.append(time.perf_counter() - t0)
        print(f"   readback {n * 4 >> 10} KiB: {med(ts) * 1e3:.3f} ms ({n * 4 / med(ts) / 1e9:.2f} GB/s)", file=sys.stderr)


await readback()  # noqa: F704
await variants()  # noqa: F704
await flush_policy()  # noqa: F704
