"""Cholesky on the webgpu device: `cholesky_p` for float32 as staged WGSL kernels, batched over
the leading dimensions (other dtypes return None: the host, counted).

Left-looking: column k of matrix b is, for i >= k,
    d = A[k, k] - sum_j<k L[k, j]^2,   L[i, k] = (A[i, k] - sum_j<k L[i, j] L[k, j]) / sqrt(d)
(L[k, k] = sqrt(d)), one invocation per row, into a column-major scratch, so that neighbouring
invocations read neighbouring words and all of them the same L[k, j]. Small or many matrices run
all columns in one dispatch, a workgroup per matrix with a barrier between columns; a large
matrix runs one dispatch per column (the column index travels in the uniform: one pipeline for
all). A column whose d is not positive marks its matrix failed in a status word (WGSL promises
nothing for sqrt of a negative number or for NaN arithmetic); a last pass writes the lower
triangle, zeros above it, and NaN over the whole lower triangle of a failed matrix, as JAX does.

This is far from a blocked factorisation whose trailing updates run as matmuls: on an H200
(make bench-gpu) jax-js's webgpu Cholesky is 15-20x faster at 1024 and 4096.
"""

from __future__ import annotations

import numpy as np

from jaxlite._src.backends.webgpu.device import WebGPUBuffer, WebGPUDevice
from jaxlite._src.backends.webgpu.render import bindings

WG = 256
# Matrices up to this order run in one dispatch, a workgroup each, and so do batches of at least
# MANY_MATRICES (the SMs then all busy); larger single matrices run a dispatch per column, whose
# invocations spread over the whole GPU. On an H200 (one matrix): 64: 0.85 vs 1.5 ms, 512: 23 vs
# 26 ms, 1024: 178 vs 101 ms, 4096: 9.1 vs 1.6 s; 1000 matrices of 32: 0.9 vs 1.1 ms.
MATRIX_MAX = 512
MANY_MATRICES = 64
_NAN = "0x7fc00000u"


def _entry(n: int, indent: str, guard: str) -> list[str]:
    """L[i, k] of matrix b (WGSL lines, both kernels' inner step), its stores only where `guard`
    holds (a WGSL bool; "" for always), and the failure mark where d is not positive."""
    store = f"out0[base + k * {n}u + i] = select(s / r, r, i == k);"
    mark = f"if ({guard + ' && ' if guard else ''}i == k && !ok) {{ out1[b] = 1u; }}"
    return [indent + line for line in (
        f"var s = a[base + i * {n}u + k];",
        f"var d = a[base + k * {n}u + k];",
        "for (var j = 0u; j < k; j++) {",
        f"  let lk = out0[base + j * {n}u + k];",
        f"  s -= out0[base + j * {n}u + i] * lk;",
        "  d -= lk * lk;",
        "}",
        "let ok = d > 0.0;",
        "let r = sqrt(select(1.0, d, ok));",
        f"if ({guard}) {{ {store} }}" if guard else store,
        mark)]


def _column_kernel(n: int) -> str:
    """Column p.z0 of every matrix: p.n = batch * (n - k) invocations."""
    return "\n".join([
        *bindings([("a", "f32")], ["f32", "u32"]),
        f"@compute @workgroup_size({WG})",
        "fn main(@builtin(global_invocation_id) gid: vec3<u32>) {",
        "  let t = gid.y * p.stride + gid.x;",
        "  if (t >= p.n) { return; }",
        "  let k = p.z0;",
        f"  let rows = {n}u - k;",
        "  let b = t / rows;",
        "  let i = k + t % rows;",
        f"  let base = b * {n * n}u;",
        *_entry(n, "  ", ""),
        "}"])


def _matrix_kernel(n: int) -> str:
    """Every column of one matrix per workgroup, the columns separated by barriers: one dispatch
    for the whole factorisation (p.n matrices, one workgroup each)."""
    return "\n".join([
        *bindings([("a", "f32")], ["f32", "u32"]),
        f"@compute @workgroup_size({WG})",
        "fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {",
        "  let b = wid.y * p.stride + wid.x;",
        "  let live = b < p.n;",
        f"  let base = select(0u, b, live) * {n * n}u;",
        f"  for (var k = 0u; k < {n}u; k++) {{",
        f"    for (var i = k + tid; i < {n}u; i += {WG}u) {{",
        *_entry(n, "      ", "live"),
        "    }",
        "    storageBarrier();",
        "    workgroupBarrier();",
        "  }",
        "}"])


def _final_kernel(n: int) -> str:
    """out[b, i, j] = L[i, j] below and on the diagonal, 0 above, NaN below for failed matrices."""
    return "\n".join([
        *bindings([("lt", "f32"), ("status", "u32")], ["u32"]),
        f"@compute @workgroup_size({WG})",
        "fn main(@builtin(global_invocation_id) gid: vec3<u32>) {",
        "  let t = gid.y * p.stride + gid.x;",
        "  if (t >= p.n) { return; }",
        f"  let b = t / {n * n}u;",
        f"  let i = (t / {n}u) % {n}u;",
        f"  let j = t % {n}u;",
        f"  let v = select(bitcast<u32>(lt[b * {n * n}u + j * {n}u + i]), {_NAN}, status[b] != 0u);",
        "  out0[t] = select(v, 0u, j > i);",
        "}"])


def _launch(dev, pid, count: int, ids, k: int = 0) -> None:
    groups = -(-count // WG)
    gx = min(groups, dev.runtime.max_groups)
    dev.runtime.dispatch(pid, (gx, -(-groups // gx), 1), [count, gx * WG, k, 0], ids, count)


def cholesky_routine(dev, bufs, in_avals, params, out_avals):
    (x,) = in_avals
    if x.dtype != np.float32:
        return None
    n = x.shape[-1]
    batch = x.size // (n * n) if n else 0
    out = WebGPUBuffer(dev, x.size * 4)
    if not batch:
        return [out]
    a = bufs[0].buffer() if hasattr(bufs[0], "buffer") else bufs[0]  # a lazy constant: its memory
    rt = dev.runtime
    fin = dev.compile_cached(("cholesky_out", n), lambda: rt.pipeline(_final_kernel(n), 2, 1, "cholesky_out"))
    lt = WebGPUBuffer(dev, x.size * 4)
    status = dev.put(np.zeros(batch, np.uint32))
    if n <= MATRIX_MAX or batch >= MANY_MATRICES:
        one = dev.compile_cached(("cholesky_matrix", n),
                                 lambda: rt.pipeline(_matrix_kernel(n), 1, 2, "cholesky_matrix"))
        gx = min(batch, rt.max_groups)
        rt.dispatch(one, (gx, -(-batch // gx), 1), [batch, gx, 0, 0], [a.id, lt.id, status.id], batch * n * n)
    else:
        col = dev.compile_cached(("cholesky_col", n), lambda: rt.pipeline(_column_kernel(n), 1, 2, "cholesky_col"))
        for k in range(n):
            _launch(dev, col, batch * (n - k), [a.id, lt.id, status.id], k)
    _launch(dev, fin, batch * n * n, [lt.id, status.id, out.id])
    return [out]


WebGPUDevice.prim_routines["cholesky"] = cholesky_routine
