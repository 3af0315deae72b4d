"""Time matmul tile configurations of the webgpu device on this GPU (inside Pyodide, as
gpu_workloads.py): for each size and MatmulConfig, K launches then one readback, median of 3.
Checks each result against float64 numpy on a few rows. Prints `BENCH_JSON {...}`."""

import json
import sys
import time

import numpy as np

import jaxlite as jax
from jaxlite._src.backends.webgpu import routines
from jaxlite._src.backends.webgpu.device import WebGPUBuffer

CONFIGS = [*routines.CANDIDATES, routines.MatmulConfig(128, 128, 32, 8, 8)]


async def main(sizes):
    await jax.init()
    gpu = jax.devices("webgpu")[0]
    rt = gpu.runtime
    rng = np.random.default_rng(1)
    out = {}
    for n in sizes:
        a = rng.standard_normal((n, n)).astype(np.float32)
        b = rng.standard_normal((n, n)).astype(np.float32)
        ga, gb = gpu.put(a), gpu.put(b)
        rows = rng.choice(n, 4, replace=False)
        ref = a[rows].astype(np.float64) @ b.astype(np.float64)
        k = max(20, min(200, int(2e12 / n ** 3)))
        for cfg in CONFIGS:
            try:
                pid = rt.pipeline(routines.matmul_f32(1, n, n, n, cfg), 2, 1, "tune")
            except Exception as e:  # a configuration the adapter cannot run
                print(f"{n} {cfg}: {type(e).__name__}: {str(e)[:200]}", file=sys.stderr)
                continue
            grid = routines.grid(cfg, 1, n, n)

            def chain(reps):
                c = None
                t0 = time.perf_counter()
                for _ in range(reps):
                    c = WebGPUBuffer(gpu, n * n * 4)
                    rt.dispatch(pid, grid, [0, 0, 0, 0], [ga.id, gb.id, c.id], n ** 3 // 64)
                host = rt.read_sync(c.id, n * n * 4).view(np.float32).reshape(n, n)
                return (time.perf_counter() - t0) / reps, host

            _, host = chain(1)
            err = float(np.linalg.norm(host[rows] - ref) / np.linalg.norm(ref))
            times = sorted(chain(k)[0] for _ in range(3))
            tflops = 2 * n ** 3 / times[1] / 1e12
            out[f"{n}:{cfg.bm}x{cfg.bn}x{cfg.bk}/{cfg.tm}x{cfg.tn}"] = {"s": times[1], "tflops": tflops, "err": err}
            print(f"{n} {cfg}: {times[1] * 1e3:.3f} ms {tflops:.2f} TFLOP/s err {err:.1e}", file=sys.stderr)
    print("BENCH_JSON " + json.dumps(out))


await main([int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "4096,1024").split(",")])  # noqa: F704
