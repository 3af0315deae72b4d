"""Benchmark workloads for numpy and jaxlite: one source, run in Pyodide (the bench page) and in
CPython (native numpy). jax-js runs the same workloads in bench.js.

Every timing is the median of 7 timed runs after a warm-up of at least 2 calls and 0.25 s; each
run reads its result back to host memory; fast operations repeat inside a run so that a run
lasts long enough to time.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

RUNS = 7
WARMUP = 2  # calls, and at least WARMUP_S seconds: browser engines tier up new code in the background
WARMUP_S = 0.25
MIN_RUN_S = 0.02


def inputs():
    """Random float32 inputs (never lazily built constants), identical for every system."""
    rng = np.random.default_rng(0)
    r = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    return {
        "x1m": r(1 << 20), "y1m": r(1 << 20), "x4m": r(1 << 22), "soft": r(4096, 1024),
        "a256": r(256, 256), "b256": r(256, 256), "a512": r(512, 512), "b512": r(512, 512),
        "a1024": r(1024, 1024), "b1024": r(1024, 1024),
        "conv_x": r(1, 32, 64, 64), "conv_w": r(32, 32, 3, 3) * 0.1,
        "mlp_x": r(128, 784), "mlp_y": rng.integers(0, 10, 128).astype(np.int32),
        "w1": r(784, 256) * 0.05, "b1": np.zeros(256, np.float32), "w2": r(256, 10) * 0.05,
        "b2": np.zeros(10, np.float32), "t10a": r(10), "t10b": r(10),
    }


def measure(fn, readback):
    """(median seconds per call, calls per run) with warm-up excluded."""
    t0, calls = time.perf_counter(), 0
    while calls < WARMUP or time.perf_counter() - t0 < WARMUP_S:
        readback(fn())
        calls += 1
    reps, t = 1, 0.0
    while True:  # size a run to at least MIN_RUN_S
        t0 = time.perf_counter()
        for _ in range(reps):
            readback(fn())
        t = time.perf_counter() - t0
        if t >= MIN_RUN_S or reps >= 1 << 16:
            break
        reps *= 2
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        for _ in range(reps):
            readback(fn())
        times.append((time.perf_counter() - t0) / reps)
    return statistics.median(times), reps


# ---- numpy -----------------------------------------------------------------------------------------


def _np_conv(x, w):
    # NCHW input, OIHW kernel, SAME padding, stride 1: windows + tensordot, as a numpy user writes it.
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))  # N C H W 3 3
    return np.einsum("nchwij,ocij->nohw", win, w, optimize=True)


def _np_mlp_step(p, x, y, lr=0.01):
    w1, b1, w2, b2 = p
    h_pre = x @ w1 + b1
    h = np.maximum(h_pre, 0)
    logits = h @ w2 + b2
    m = logits.max(1, keepdims=True)
    e = np.exp(logits - m)
    probs = e / e.sum(1, keepdims=True)
    n = x.shape[0]
    loss = -np.log(probs[np.arange(n), y]).mean()
    d = probs.copy()
    d[np.arange(n), y] -= 1
    d /= n
    gw2, gb2 = h.T @ d, d.sum(0)
    dh = (d @ w2.T) * (h_pre > 0)
    gw1, gb1 = x.T @ dh, dh.sum(0)
    return (w1 - lr * gw1, b1 - lr * gb1, w2 - lr * gw2, b2 - lr * gb2), loss


def numpy_workloads(d):
    def softmax(x):
        e = np.exp(x - x.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    params = (d["w1"], d["b1"], d["w2"], d["b2"])
    return {
        "hypot_eager": lambda: np.sqrt(d["x1m"] * d["x1m"] + d["y1m"] * d["y1m"]),
        "hypot_jit": lambda: np.sqrt(d["x1m"] * d["x1m"] + d["y1m"] * d["y1m"]),
        "sum": lambda: d["x4m"].sum(),
        "softmax": lambda: softmax(d["soft"]),
        "matmul256": lambda: d["a256"] @ d["b256"],
        "matmul512": lambda: d["a512"] @ d["b512"],
        "matmul1024": lambda: d["a1024"] @ d["b1024"],
        "conv2d": lambda: _np_conv(d["conv_x"], d["conv_w"]),
        "mlp_step": lambda: _np_mlp_step(params, d["mlp_x"], d["mlp_y"]),
        "tiny_add_eager": lambda: d["t10a"] + d["t10b"],
        "tiny_add_jit": lambda: d["t10a"] + d["t10b"],
    }


# ---- jaxlite ---------------------------------------------------------------------------------------


def jaxlite_workloads(d, device=None):
    import jaxlite as jax
    import jaxlite.numpy as jnp

    a = {k: jax.device_put(v, device) for k, v in d.items()}

    def hypot(x, y):
        return jnp.sqrt(x * x + y * y)

    def softmax(x):
        e = jnp.exp(x - jnp.max(x, axis=1, keepdims=True))
        return e / jnp.sum(e, axis=1, keepdims=True)

    def loss(p, x, y):
        h = jnp.maximum(x @ p["w1"] + p["b1"], 0)
        logits = h @ p["w2"] + p["b2"]
        m = jnp.max(logits, axis=1, keepdims=True)
        logp = logits - m - jnp.log(jnp.sum(jnp.exp(logits - m), axis=1, keepdims=True))
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

    @jax.jit
    def mlp_step(p, x, y):
        l, g = jax.value_and_grad(loss)(p, x, y)
        return jax.tree.map(lambda w, gw: w - 0.01 * gw, p, g), l

    conv = jax.jit(lambda x, w: jax.lax.conv_general_dilated(x, w, (1, 1), "SAME"))
    params = {k: a[k] for k in ("w1", "b1", "w2", "b2")}
    jhypot, jsoftmax, jsum, jmatmul, jadd = (jax.jit(hypot), jax.jit(softmax), jax.jit(jnp.sum),
                                             jax.jit(jnp.matmul), jax.jit(lambda u, v: u + v))
    return {
        "hypot_eager": lambda: hypot(a["x1m"], a["y1m"]),
        "hypot_jit": lambda: jhypot(a["x1m"], a["y1m"]),
        "sum": lambda: jsum(a["x4m"]),
        "softmax": lambda: jsoftmax(a["soft"]),
        "matmul256": lambda: jmatmul(a["a256"], a["b256"]),
        "matmul512": lambda: jmatmul(a["a512"], a["b512"]),
        "matmul1024": lambda: jmatmul(a["a1024"], a["b1024"]),
        "conv2d": lambda: conv(a["conv_x"], a["conv_w"]),
        "mlp_step": lambda: mlp_step(params, a["mlp_x"], a["mlp_y"]),
        "tiny_add_eager": lambda: a["t10a"] + a["t10b"],
        "tiny_add_jit": lambda: jadd(a["t10a"], a["t10b"]),
    }


def jaxlite_trace_time(device=None):
    """First call (trace + prepare) minus a cached call, for a fused elementwise function."""
    import jaxlite as jax
    import jaxlite.numpy as jnp
    x = jax.device_put(np.ones(1024, np.float32), device)
    times = []
    for i in range(RUNS):
        f = jax.jit(lambda u, v: jnp.sqrt(u * u + v * v) * (i + 1))
        t0 = time.perf_counter()
        np.asarray(f(x, x))
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        np.asarray(f(x, x))
        times.append(first - (time.perf_counter() - t0))
    return statistics.median(times)


def _readback_numpy(out):
    for leaf in (out if isinstance(out, tuple) else (out,)):
        if isinstance(leaf, tuple):
            _readback_numpy(leaf)
        else:
            np.asarray(leaf)


def _readback_jaxlite(out):
    import jaxlite as jax
    for leaf in jax.tree_util.tree_leaves(out):
        np.asarray(leaf)


def run(system: str) -> dict:
    """Run every workload for 'numpy' or 'jaxlite-<device>'; returns {name: [seconds, reps]}."""
    d = inputs()
    if system == "numpy":
        table, readback = numpy_workloads(d), _readback_numpy
    elif system.startswith("jaxlite-"):
        device = system.split("-", 1)[1]
        table, readback = jaxlite_workloads(d, device), _readback_jaxlite
    else:
        raise ValueError(f"unknown system {system!r}")
    results = {name: list(measure(fn, readback)) for name, fn in table.items()}
    if system.startswith("jaxlite-"):
        results["jit_trace"] = [jaxlite_trace_time(system.split("-", 1)[1]), 1]
    return results


# ---- eager small-array ops (issue 18) -----------------------------------------------------------------

EAGER_OPS = ["a + b", "a + 1", "a * 2.0", "jnp.sin(a)", "a.sum()", "a[3]", "a[2:5]", "a.reshape(2, 5)", "jit(a, b)"]
EAGER_MIN_OPS = 64  # ops per timed run at least (more until a run lasts MIN_RUN_S)


def measure_ops(ops: dict, sync) -> dict:
    """{name: [median seconds per op, ops per run]}: runs of `reps` ops, none read back but the
    last, whose readback (`sync`) waits for every op queued before it; warm-up excluded. The runs
    go round-robin over the ops, so that the engine tiering its code up in the background (seconds
    into the page) or a collection slows every op alike rather than the ones measured first."""
    def run(op, reps):
        t0 = time.perf_counter()
        for _ in range(reps):
            r = op()
        sync(r)
        return time.perf_counter() - t0

    reps = {}
    for name, op in ops.items():
        t0, calls = time.perf_counter(), 0
        while calls < WARMUP or time.perf_counter() - t0 < WARMUP_S:
            run(op, EAGER_MIN_OPS)
            calls += 1
        n = EAGER_MIN_OPS
        while run(op, n) < MIN_RUN_S and n < 1 << 16:
            n *= 2
        reps[name] = n
    times = {name: [] for name in ops}
    for _ in range(RUNS):
        for name, op in ops.items():
            times[name].append(run(op, reps[name]) / reps[name])
    return {name: [statistics.median(times[name]), reps[name]] for name in ops}


def eager_ops(system: str, d) -> dict:
    """The eager rows for 'numpy' or 'jaxlite-<device>' on 10-element float32 arrays: name -> op."""
    if system == "numpy":
        a, b = d["t10a"], d["t10b"]
        sin, add = np.sin, lambda u, v: u + v  # numpy has no jit: the same computation eagerly
    else:
        import jaxlite as jax
        import jaxlite.numpy as jnp
        # uncommitted arrays on the device, as a page's own code makes them (jnp.asarray under the default
        # device); device_put(x, device) would commit them to it
        with jax.default_device(jax.devices(system.split("-", 1)[1])[0]):
            a, b = (jnp.asarray(d[k]) for k in ("t10a", "t10b"))
        sin, add = jnp.sin, jax.jit(lambda u, v: u + v)
    ops = [lambda: a + b, lambda: a + 1, lambda: a * 2.0, lambda: sin(a), lambda: a.sum(), lambda: a[3],
           lambda: a[2:5], lambda: a.reshape(2, 5), lambda: add(a, b)]
    return dict(zip(EAGER_OPS, ops))


def run_eager(system: str) -> dict:
    """{op: [seconds per op, ops per run]} for 'numpy' or 'jaxlite-<device>'."""
    if system == "numpy":
        return measure_ops(eager_ops(system, inputs()), np.asarray)
    import jaxlite as jax
    before = jax.config.jax_default_device
    jax.config.update("jax_default_device", system.split("-", 1)[1])
    try:
        return measure_ops(eager_ops(system, inputs()), _readback_jaxlite)
    finally:
        jax.config.update("jax_default_device", before)


if __name__ == "__main__":  # native numpy in CPython
    import json
    import sys
    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else "numpy")))
