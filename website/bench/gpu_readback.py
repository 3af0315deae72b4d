"""Where WebGPU readback time goes in this setup (inside Pyodide, as gpu_workloads.py): copy to a
MAP_READ buffer and wait for the map, getMappedRange, the copy out of the mapping (into a fresh JS
array, and into Pyodide's heap), then jaxlite's whole read. Medians of 5, 64 MiB."""

import json
import sys
import time

import numpy as np

import jaxlite as jax
from pyodide.code import run_js

PROBE = run_js("""(async (device, module, n, ptr) => {
  const U = GPUBufferUsage;
  const src = device.createBuffer({ size: n, usage: U.STORAGE | U.COPY_SRC | U.COPY_DST });
  const st = device.createBuffer({ size: n, usage: U.MAP_READ | U.COPY_DST });
  const rows = [];
  for (let rep = 0; rep < 5; rep++) {
    const t0 = performance.now();
    const e = device.createCommandEncoder();
    e.copyBufferToBuffer(src, 0, st, 0, n);
    device.queue.submit([e.finish()]);
    await st.mapAsync(GPUMapMode.READ);
    const t1 = performance.now();
    const r = st.getMappedRange();
    const t2 = performance.now();
    const js = new Uint8Array(n); js.set(new Uint8Array(r));
    const t3 = performance.now();
    module.HEAPU8.set(new Uint8Array(r), ptr);
    const t4 = performance.now();
    st.unmap();
    rows.push([t1 - t0, t2 - t1, t3 - t2, t4 - t3]);
  }
  src.destroy(); st.destroy();
  return JSON.stringify(rows);
})""")


async def main():
    await jax.init()
    gpu = jax.devices("webgpu")[0]
    n = 1 << 26
    dst = np.empty(n, np.uint8)
    rows = json.loads(await PROBE(gpu.runtime.gpu, __import__("pyodide_js")._module, n, dst.__array_interface__["data"][0]))
    med = [sorted(c)[2] for c in zip(*rows)]
    print(f"   64 MiB: copy+map wait {med[0]:.2f} ms, getMappedRange {med[1]:.2f} ms, "
          f"copy to JS array {med[2]:.2f} ms, copy to heap {med[3]:.2f} ms", file=sys.stderr)
    buf = gpu.put(np.ones(n // 4, np.float32))
    ts = []
    for _ in range(5):
        t0 = time.perf_counter()
        gpu.runtime.read_sync(buf.id, n)
        ts.append(time.perf_counter() - t0)
    print(f"   jaxlite read_sync 64 MiB: {sorted(ts)[2] * 1e3:.2f} ms", file=sys.stderr)


await main()  # noqa: F704
