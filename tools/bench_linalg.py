"""Cholesky and solve (float32) on the wasm device against numpy in the same interpreter; then
QR, eigh and SVD (backends/wasm/eig.py) at EIG_SIZES.

    .venv/bin/python tools/bench_linalg.py [sizes...]                      # CPython, wasmtime
    node tools/pyodide_node.mjs tools/bench_linalg.py [sizes...]            # inside Pyodide
    JAXLITE_BENCH_CLOCK=cpu node tools/pyodide_node.mjs ...                 # CPU time (a loaded machine)

Prints medians per size, and where the routine's time goes: one run with the drivers in Python
(the threaded path), each kernel call timed by kind: the scalar diagonal/panel kernels (potf2,
trsm, getf2, laswp) and the gemm updates (what Python's calls add is "other").
"""

import os
import statistics
import sys
import time
from collections import defaultdict

import numpy as np

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite._src.backends.wasm import linalg as wl
from jaxlite._src.lax import linalg as L


def _cpu_clock():
    """Seconds of CPU time of this process: on a loaded machine the wall clock also counts the
    time other processes hold the cores (Node: process.cpuUsage(), main and compiler threads)."""
    try:
        import js
        usage = js.process.cpuUsage
    except (ImportError, AttributeError):
        return time.process_time
    return lambda: (lambda u: (u.user + u.system) * 1e-6)(usage())


# JAXLITE_BENCH_CLOCK=cpu: CPU time instead of wall time, for every row alike (numpy's too).
CLOCK = _cpu_clock() if os.environ.get("JAXLITE_BENCH_CLOCK") == "cpu" else time.perf_counter


def median_ms(f, runs):
    for _ in range(2):  # warm-up: V8 compiles the hot functions with its optimising tier meanwhile
        f()
    times = []
    for _ in range(runs):
        t = CLOCK()
        f()
        times.append(CLOCK() - t)
    return 1e3 * statistics.median(times)


def profile(f):
    """One run of f with every kernel of linalg.py timed by kind."""
    spent = defaultdict(float)
    orig = wl._kernel

    def timed(dev, name, *flags, **kw):
        fn = orig(dev, name, *flags, **kw)

        def run(*args):
            t = CLOCK()
            r = fn(*args)
            spent[name] += CLOCK() - t
            return r
        return run
    f()
    wl._kernel = timed
    threaded = wl._threaded
    wl._threaded = lambda dev, n: True
    f()  # the kernels the Python drivers call, compiled
    spent.clear()
    try:
        t = CLOCK()
        f()
        total = CLOCK() - t
    finally:
        wl._kernel = orig
        wl._threaded = threaded
    return total, dict(spent)


def gemm_rate(dev, m, k, n=None, trans_b=False):
    """GFLOP/s of one gemm update C[m, n] -= A[m, k] op(B)[k, n] (n = m unless given; trans_b:
    Cholesky's update, A22 -= L21 L21^T by column blocks of n = 2 NB)."""
    n = m if n is None else n
    a = jax.device_put(np.ones((m, max(m, k)), np.float32), dev)
    c = jax.device_put(np.ones((m, m), np.float32), dev)
    fn = wl._kernel(dev, "gemm", False, trans_b)
    scratch = wl.WasmBuffer(dev, 4 * wl.NC * k)
    ms = median_ms(lambda: fn(a._buf.ptr, a._buf.ptr, c._buf.ptr, scratch.ptr, n, k, a.shape[1], a.shape[1], m, 0, m),
                   9)
    return 2 * m * n * k / ms / 1e6


def main(sizes):
    dev = jax.devices("wasm")[0]
    rng = np.random.default_rng(0)
    print(f"threads {dev.runtime.threads}, relaxed simd {dev.runtime.relaxed_simd}, "
          f"clock {'cpu' if CLOCK is not time.perf_counter else 'wall'}")
    print("gemm GFLOP/s (n=1024) by k:", ", ".join(f"{k}: {gemm_rate(dev, 1024, k):.1f}" for k in (16, 64, 192, 512)))
    print("Cholesky 1024's update shape (1024 x 128, k = NB):",
          f"{gemm_rate(dev, 1024, wl.NB, 2 * wl.NB, trans_b=True):.1f} GFLOP/s")
    print("| n | numpy cholesky | wasm jnp.linalg.cholesky (cholesky_p alone) | speed-up | numpy solve | "
          "wasm jnp.linalg.solve (lu_p alone) | speed-up |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for n in sizes:
        a = rng.standard_normal((n, n)).astype(np.float32)
        spd = (a @ a.T + n * np.eye(n)).astype(np.float32)
        b = rng.standard_normal((n, 1)).astype(np.float32)
        xs, xa, xb = (jax.device_put(v, dev) for v in (spd, a, b))
        chol = jax.jit(jnp.linalg.cholesky)
        solve = jax.jit(jnp.linalg.solve)
        runs = 7 if n <= 512 else 5
        t_np_c = median_ms(lambda: np.linalg.cholesky(spd), runs)
        t_w_c = median_ms(lambda: chol(xs).block_until_ready(), runs)
        t_np_s = median_ms(lambda: np.linalg.solve(a, b), runs)
        t_w_s = median_ms(lambda: solve(xa, xb).block_until_ready(), runs)
        t_p_c = median_ms(lambda: L.cholesky_p.bind(xs).block_until_ready(), runs)
        t_p_lu = median_ms(lambda: L.lu_p.bind(xa)[0].block_until_ready(), runs)
        print(f"| {n} | {t_np_c:.1f} ms | {t_w_c:.1f} ms ({t_p_c:.1f} ms) | {t_np_c / t_w_c:.1f}x "
              f"({t_np_c / t_p_c:.1f}x) | {t_np_s:.1f} ms | {t_w_s:.1f} ms ({t_p_lu:.1f} ms) | {t_np_s / t_w_s:.1f}x |")
        assert not dev.host_fallbacks, dict(dev.host_fallbacks)
        for name, f in (("cholesky", lambda: L.cholesky_p.bind(xs).block_until_ready()),
                        ("lu", lambda: L.lu_p.bind(xa)[0].block_until_ready())):
            total, spent = profile(f)
            parts = ", ".join(f"{k} {1e3 * v:.1f}" for k, v in sorted(spent.items(), key=lambda kv: -kv[1]))
            print(f"    {name} {n}: {1e3 * total:.1f} ms = {parts}, other "
                  f"{1e3 * (total - sum(spent.values())):.1f} ms")


EIG_SIZES = (256, 512)


def decompositions(dev, sizes):
    """QR, eigh and SVD (float32, one matrix, eager) against numpy's in the same interpreter."""
    rng = np.random.default_rng(0)
    print("| n | numpy qr | wasm qr | numpy eigh | wasm eigh | numpy svd | wasm svd |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for n in sizes:
        a = rng.standard_normal((n, n)).astype(np.float32)
        s = a + a.T
        xa, xs = (jax.device_put(v, dev) for v in (a, s))
        runs = 3
        row = []
        for np_f, wasm_f in (
                (lambda: np.linalg.qr(a), lambda: jnp.linalg.qr(xa)[0].block_until_ready()),
                (lambda: np.linalg.eigh(s), lambda: jnp.linalg.eigh(xs)[1].block_until_ready()),
                (lambda: np.linalg.svd(a), lambda: jnp.linalg.svd(xa)[0].block_until_ready())):
            t_np, t_w = median_ms(np_f, runs), median_ms(wasm_f, runs)
            row.append(f"{t_np:.0f} ms | {t_w:.0f} ms ({t_np / t_w:.1f}x)")
        print(f"| {n} | " + " | ".join(row) + " |")
        assert not dev.host_fallbacks, dict(dev.host_fallbacks)


main([int(s) for s in sys.argv[1:]] or [512, 1024])
if os.environ.get("JAXLITE_BENCH_EIG", "1") != "0":
    decompositions(jax.devices("wasm")[0], EIG_SIZES)
