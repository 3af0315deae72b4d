"""Wasm factorisations on one thread and across the worker pool, inside Pyodide in Node (the worker
shim tools/node_web_workers.mjs gives Node the Web Workers the pool needs), with numpy alongside:
    JAXLITE_NODE_THREADS=8 node --experimental-wasm-relaxed-simd --import=./tools/node_web_workers.mjs \
        tools/pyodide_node.mjs tools/bench_threads.py 1024,2048
Prints medians of 5 (3 for the big solve) after 2 warm-ups, two rounds of one thread then threads.
"""
import asyncio
import sys
import time

import numpy as np

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite._src.backends.wasm import linalg as W
from jaxlite._src.lax import linalg as L

dev = jax.devices("wasm")[0]
rt = dev.runtime
(jnp.ones((512, 512), jnp.float32) * 2).block_until_ready()  # a kernel big enough to make the pool
await asyncio.sleep(1)  # noqa: F704 (runPythonAsync) the event loop turns: the workers start
print(f"threads {rt.threads} started {rt.pool.started() if rt.pool else 0} fma {rt.relaxed_simd}", flush=True)
rng = np.random.default_rng(0)
def med(f, reps=5):
    f(); f()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
    return 1e3 * sorted(ts)[len(ts) // 2]
orig = W._threaded
sizes = [int(v) for v in (sys.argv[1] if len(sys.argv) > 1 else "1024").split(",")]
for n in sizes:
    a = rng.standard_normal((n, n)).astype(np.float32); s = a @ a.T + n * np.eye(n, dtype=np.float32)
    bb = rng.standard_normal((n, 1)).astype(np.float32)
    t = (a + 30 * np.eye(n)).astype(np.float32); B = rng.standard_normal((n, n)).astype(np.float32)
    xs, xa, xb, xt, xB = (jax.device_put(v, dev) for v in (s, a, bb, t, B))
    trsm = lambda: np.asarray(L.triangular_solve_p.bind(xt, xB, left_side=True, lower=True, transpose_a=False, conjugate_a=False, unit_diagonal=False))
    for rep in range(2):
        for mode in ("one", "threads"):
            W._threaded = (lambda d, k: False) if mode == "one" else orig
            tc = med(lambda: np.asarray(jnp.linalg.cholesky(xs)))
            ts = med(lambda: np.asarray(jnp.linalg.solve(xa, xb)))
            tt = med(trsm, 3)
            print(f"{n} {mode}: cholesky {tc:.1f} ms, solve {ts:.1f} ms, left solve n x n rhs {tt:.1f} ms ({n**3/tt/1e6:.1f} GFLOP/s)", flush=True)
    W._threaded = orig
    if n <= 1024:
        print(f"{n} numpy: cholesky {med(lambda: np.linalg.cholesky(s), 3):.1f} ms, solve {med(lambda: np.linalg.solve(a, bb), 3):.1f} ms", flush=True)
