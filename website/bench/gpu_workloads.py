"""GPU benchmark workloads for jaxlite's webgpu device, run inside Pyodide (tools/bench_gpu.py runs
it in Node with Dawn, under runPythonAsync so readback can block through JSPI).

Method, shared with gpu_jaxjs.mjs: per workload, warm up (compile, first runs), then RUNS times:
run a chain of K ops, each consuming the previous result (jax-js evaluates lazily and never
computes a result nobody reads, so independent launches would not measure it), and read the last
result back; time per op = elapsed / K; report the median. The first step is checked against
numpy on the host.
Prints one line `BENCH_JSON {...}`.
"""

import json
import os
import sys
import time

import numpy as np

import jaxlite as jax
import jaxlite.numpy as jnp

RUNS = 5
SMOKE = bool(os.environ.get("JAXLITE_BENCH_SMOKE"))  # tiny sizes: checks the scripts, measures nothing


def size(n):
    return max(n // 64, 16) if SMOKE else n

# name -> (K, flops or None, bytes moved at least, build(rng) -> (step, state, consts, check)):
# state_{k+1} = step(state_k, *consts)
WORKLOADS = {}


def workload(name, k, flops=None, nbytes=None):
    def deco(build):
        WORKLOADS[name] = (k, flops, nbytes, build)
        return build
    return deco


@workload("matmul4096", 20, flops=2 * 4096 ** 3, nbytes=3 * 4096 * 4096 * 4)
def _matmul(rng):
    return _matmul_chain(rng, size(4096))


@workload("matmul1024", 100, flops=2 * 1024 ** 3, nbytes=3 * 1024 * 1024 * 4)
def _matmul_small(rng):
    return _matmul_chain(rng, size(1024))


def _matmul_chain(rng, n):
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = (rng.standard_normal((n, n)) / np.sqrt(n)).astype(np.float32)  # keeps c @ b at unit scale

    def check(out):
        rows = rng.choice(n, min(n, 8), replace=False)
        ref = a[rows].astype(np.float64) @ b.astype(np.float64)
        err = np.linalg.norm(out[rows] - ref) / np.linalg.norm(ref)
        assert err < 1e-5, err
    return jax.jit(lambda c, w: c @ w), a, (b,), check


@workload("hypot16M", 100, nbytes=3 * (1 << 24) * 4)
def _hypot(rng):
    x, y = (rng.standard_normal(size(1 << 24)).astype(np.float32) for _ in range(2))

    def check(out):
        np.testing.assert_allclose(out, np.hypot(x, y), rtol=2e-6)
    return jax.jit(lambda u, v: jnp.sqrt(u * u + v * v)), x, (y,), check


@workload("hypot16M_k1000", 1000, nbytes=3 * (1 << 24) * 4)
def _hypot_long(rng):  # the same chain 10x longer: the 64 MiB readback weighs 10x less per op
    return _hypot(rng)


@workload("sum16M", 100, nbytes=(1 << 24) * 4)
def _sum(rng):
    x = rng.standard_normal(size(1 << 24)).astype(np.float32)

    def check(out):
        exact = x.astype(np.float64).sum()
        assert abs(float(out) - exact) <= 1e-6 * np.abs(x).sum(), (float(out), exact)
    # the previous sum enters (negligibly) so that every step must run
    return jax.jit(lambda s, v: jnp.sum(v + s * 1e-12)), np.float32(0), (x,), check


@workload("softmax4096x4096", 50, nbytes=2 * 4096 * 4096 * 4)
def _softmax(rng):
    x = rng.standard_normal((size(4096), size(4096))).astype(np.float32)

    def softmax(v):
        e = jnp.exp(v - v.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    def check(out):
        e = np.exp(x - x.max(-1, keepdims=True))
        np.testing.assert_allclose(out, e / e.sum(-1, keepdims=True), rtol=2e-5, atol=1e-7)
    return jax.jit(softmax), x, (), check


# FFTs (issue 15): one op = a transform and its inverse (so that the chain keeps its scale); the
# bytes count both passes' input and output once.
@workload("fft1M", 50, nbytes=4 * (1 << 20) * 8)
def _fft_1m(rng):
    return _fft_chain(rng, size(1 << 20))


@workload("fft16M", 10, nbytes=4 * (1 << 24) * 8)
def _fft_16m(rng):
    return _fft_chain(rng, size(1 << 24))


def _fft_chain(rng, n):
    z = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(np.complex64)

    def check(out):
        np.testing.assert_allclose(out, z, rtol=0, atol=1e-5 * np.log2(n))
    return jax.jit(lambda v: jnp.fft.ifft(jnp.fft.fft(v))), z, (), check


@workload("rfft16M", 10, nbytes=(1 << 24) * 4 * 2 + (1 << 24) * 8)
def _rfft_16m(rng):
    n = size(1 << 24)
    x = rng.standard_normal(n).astype(np.float32)

    def check(out):
        np.testing.assert_allclose(out, x, rtol=0, atol=1e-5 * np.log2(n))
    return jax.jit(lambda v: jnp.fft.irfft(jnp.fft.rfft(v), n)), x, (), check


# Cholesky of an SPD float32 matrix; the previous factor enters (negligibly) so that every step must run.
@workload("cholesky1024", 10, flops=1024 ** 3 // 3)
def _cholesky_1024(rng):
    return _cholesky_chain(rng, size(1024))


@workload("cholesky4096", 3, flops=4096 ** 3 // 3)
def _cholesky_4096(rng):
    return _cholesky_chain(rng, size(4096))


def _cholesky_chain(rng, n):
    a = rng.standard_normal((n, n)).astype(np.float32)
    spd = (a @ a.T / n + np.eye(n)).astype(np.float32)

    def check(out):
        ref = np.linalg.cholesky(spd.astype(np.float64))
        assert np.abs(out - ref).max() <= 1e-4 * np.abs(ref).max(), np.abs(out - ref).max()
    return jax.jit(lambda l, m: jnp.linalg.cholesky(m + l * 1e-12)), np.zeros((n, n), np.float32), (spd,), check


# solve with one right-hand side (LU with partial pivoting, two triangular solves); the previous
# solution enters the right-hand side (negligibly) so that every step must run.
@workload("solve4096", 3, flops=2 * 4096 ** 3 // 3)
def _solve_4096(rng):
    n = size(4096)
    a = (rng.standard_normal((n, n)) / np.sqrt(n) + 2 * np.eye(n)).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)

    def check(out):
        ref = np.linalg.solve(a.astype(np.float64), b.astype(np.float64))
        assert np.abs(out - ref).max() <= 1e-3 * np.abs(ref).max(), np.abs(out - ref).max()
    return jax.jit(lambda x, a, b: jnp.linalg.solve(a, b + x * 1e-12)), np.zeros(n, np.float32), (a, b), check


# ---- the demos (issue 16): not chains of one op, but the demo code itself, through
# website/bench/demos/demo_bench.py (the benchmark page's Python): digits training steps/s
# (k = steps per timed run, median_s = seconds per step) and Mandelbrot frame time (k = 1).
DEMOS = {"digits_train", "mandelbrot1024"}
DIGITS_NPZ = "/repo/website/demos/digits/digits.npz"  # made by `make setup`; bench_gpu.py's bundle carries it


def run_demo(name, gpu):
    for path in ("/repo/examples", "/repo/website/bench/demos"):
        if path not in sys.path:
            sys.path.insert(0, path)
    import demo_bench

    with jax.default_device(gpu):
        if name == "digits_train":
            with open(DIGITS_NPZ, "rb") as f:
                r = demo_bench.train_bench("jaxlite", f.read(), steps=size(110), runs=RUNS)
            assert r["loss_curve"][-1][1] < 0.8 * r["loss_curve"][0][1], r["loss_curve"]
            return {"k": r["steps_per_run"], "median_s": 1 / r["steps_per_s"], "steps_per_s": r["steps_per_s"],
                    "min_s": 1 / max(r["runs_steps_per_s"]), "max_s": 1 / min(r["runs_steps_per_s"]),
                    "first_call_s": r["warmup_s"], "loss": r["loss_curve"][-1][1], "accuracy": r["accuracy"]}
        n, iters = size(1024), 256
        r = demo_bench.frame_bench("jaxlite", n, iters, runs=RUNS)
    counts = np.frombuffer(r["counts"], np.int32).reshape(n, n)
    differ = int(np.sum(counts != demo_bench.numpy_counts(-0.6, 0.0, 3.2 / n, n, n, iters)))
    assert differ <= 5e-3 * n * n, differ  # GPU compilers may contract x*y+c into an FMA
    return {"k": 1, "median_s": r["frame_s"], "min_s": min(r["runs_s"]), "max_s": max(r["runs_s"]),
            "first_call_s": r["first_s"], "differ": differ, "pixels": n * n}


def time_chain(step, state, consts, k):
    t0 = time.perf_counter()
    for _ in range(k):
        state = step(state, *consts)
    np.asarray(state)
    return (time.perf_counter() - t0) / k, state


async def main(names):
    await jax.init()
    gpu = jax.devices("webgpu")[0]
    rng = np.random.default_rng(0)
    results = {"device": gpu.runtime.info, "features": gpu.runtime.features, "workloads": {}}
    for name in names:
        if name in DEMOS:
            results["workloads"][name] = r = run_demo(name, gpu)
            print(f"jaxlite {name}: {r['median_s'] * 1e3:.3f} ms (k={r['k']})", file=sys.stderr)
            continue
        k, flops, nbytes, build = WORKLOADS[name]
        step, state, consts, check = build(rng)
        state, consts = jax.device_put(state, gpu), [jax.device_put(c, gpu) for c in consts]
        t0 = time.perf_counter()
        _, first_out = time_chain(step, state, consts, 1)  # trace, compile, first run
        first = time.perf_counter() - t0
        check(np.asarray(first_out))
        time_chain(step, state, consts, max(2, k // 4))
        times = sorted(time_chain(step, state, consts, k)[0] for _ in range(RUNS))
        med = times[len(times) // 2]
        results["workloads"][name] = {"k": k, "median_s": med, "min_s": times[0], "max_s": times[-1],
                                      "first_call_s": first, "flops": flops, "bytes": nbytes}
        print(f"jaxlite {name}: {med * 1e3:.3f} ms/op (K={k}, runs {[round(t * 1e3, 3) for t in times]})",
              file=sys.stderr)
    if gpu._tuned:  # JAXLITE_WEBGPU_AUTOTUNE=1: the tiles it chose
        results["autotuned"] = {str(k): str(v) for k, v in gpu._tuned.items()}
        print(f"autotuned: {results['autotuned']}", file=sys.stderr)
    print("BENCH_JSON " + json.dumps(results))


await main(sys.argv[1].split(",") if len(sys.argv) > 1 else list(WORKLOADS))  # noqa: F704 (top-level await)
