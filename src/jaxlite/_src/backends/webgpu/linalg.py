"""Factorisations on the webgpu device: `cholesky_p`, `triangular_solve_p`, `lu_p` and
`lu_pivots_to_permutation_p` for float32 as staged WGSL kernels, batched over the leading
dimensions (other dtypes return None: the host, counted).

Blocked and right-looking, as the wasm device's drivers (backends/wasm/linalg.py), in place on a
copy of the input, every step a dispatch into the runtime's one command encoder:
- Cholesky, per block of NB columns: `potrf` factors the diagonal block (a workgroup per matrix,
  the block's lower triangle in workgroup memory, left-looking column by column between
  barriers); `trsv` solves the panel below it (L21 = A21 L11^-T, an invocation per row); `gemm`
  updates the trailing matrix, A22 -= L21 L21^T, skipping the tiles above the diagonal (SYRK's
  half of the work). A pivot that is not positive marks its matrix in a status word (WGSL
  promises nothing for sqrt of a negative number or for NaN arithmetic); a last pass zeroes the
  upper triangle and writes NaN over the lower triangle of a failed matrix, as JAX does.
- triangular_solve: every flag combination is one problem, M x = b for each vector of X (the
  columns for a left solve, the rows for a right one) with M = op(T) or op(T)^T as strides over T;
  blocks of TRSV_NB along M's order, the diagonal block by `trsv` (an invocation per vector), the
  rest of X by `gemm`.
- LU with partial pivoting, per panel of LU_NB columns: `lu_panel` (a workgroup per matrix: the
  pivot search as a workgroup reduction, the first entry of largest magnitude as LAPACK chooses,
  the swap over whole rows, scaling, the panel's rank-1 updates), then U12 = L11^-1 A12 (`trsv`,
  an invocation per column) and A22 -= L21 U12 (`gemm`); the permutation from the pivots by
  `perm` (an invocation per matrix).

`gemm` is the tiling of routines.matmul_f32 (a 64x64 tile of C per workgroup of 256, BK-deep
slices of both operands in workgroup memory, 4x4 outputs per invocation) with sizes, offsets
and strides in the uniform instead of the source: one pipeline serves every step of every size,
where matmul_f32 compiles one per shape, and it subtracts from a strided view in place. Loads
walk each operand's contiguous axis (chosen by its strides), so they stay coalesced.

Block sizes. NB = 64 is the most whose packed lower triangle (2080 words) sits in workgroup
memory with room to spare under WebGPU's guaranteed 16 KiB. The reasoning for an H200 (not
measured here, SwiftShader only checks correctness): a step costs three dispatches whatever nb
is, and at order 4096 64 steps make ~200 dispatches (a few microseconds each on the GPU), while
the trailing updates (n^3/3 flops) run at gemm's speed with k = 64, which reads and writes C
once per 64 of k; larger blocks would halve the dispatches but double the serial work in
`potrf` and `trsv`, which use one workgroup or one invocation per row. TRSV_NB = 64 likewise
(an invocation's serial work is nb^2/2 per block). LU is the weak one: `lu_panel` runs on one
workgroup per matrix, so each of the n columns is a chain of a pivot reduction, a swap, a scaling
and a rank-1 update of the panel with barriers between them (some microseconds per column on a
GPU); LU_NB = 32 keeps the panel's share of the updates (m n LU_NB / 2) small against gemm's.
A recursive panel (as the wasm device's lu_panel) would move more of it into gemm.
"""

from __future__ import annotations

import numpy as np

from jaxlite._src.backends.webgpu.device import WebGPUBuffer, WebGPUDevice
from jaxlite._src.backends.webgpu.render import bindings

NB = 64        # Cholesky's block (the diagonal kernel's workgroup and its workgroup memory)
TRSV_NB = 64   # triangular solves: diagonal blocks of this order, the rest through gemm
LU_NB = 32     # LU's panel width (the panel kernel is the serial part)
WG = 64        # invocations per workgroup of the per-vector kernels
PANEL_WG = 256  # the LU panel's workgroup (its pivot search reduces over these)
BM = BN = 64   # gemm's tile of C ...
BK = 16        # ... and its depth per stage in workgroup memory
_NAN = "0x7fc00000u"
F32 = np.dtype(np.float32)


# ---- kernels ------------------------------------------------------------------------------------


def _prm(names: str) -> list[str]:
    """`let name = p.prm[..]` for each uniform parameter, in order."""
    return [f"  let {name} = p.prm[{k // 4}][{k % 4}];" for k, name in enumerate(names.split())]


def _count(names: str) -> int:
    return len(names.split())


POTRF_PRM = "ld j0 nb"


def _potrf_kernel() -> str:
    """The nb x nb diagonal block at (j0, j0) of each of p.n matrices (order ld), a workgroup
    each, factored in workgroup memory: column k's entries i >= k are
    d = A[k, k] - sum_j<k L[k, j]^2, L[i, k] = (A[i, k] - sum_j<k L[i, j] L[k, j]) / sqrt(d)."""
    tri = lambda i, j: f"{i} * ({i} + 1u) / 2u + {j}"  # noqa: E731 (packed lower triangle)
    return "\n".join([
        *bindings([], ["f32", "u32"], 0, _count(POTRF_PRM)),
        f"var<workgroup> S: array<f32, {NB * (NB + 1) // 2}>;",
        f"@compute @workgroup_size({NB})",
        "fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) i: u32) {",
        "  let b = wid.y * p.stride + wid.x;",
        "  if (b >= p.n) { return; }",
        *_prm(POTRF_PRM),
        "  let base = b * ld * ld + j0 * ld + j0;",
        f"  for (var e = i; e < nb * nb; e += {NB}u) {{",
        "    let r = e / nb; let c = e % nb;",
        f"    if (c <= r) {{ S[{tri('r', 'c')}] = out0[base + r * ld + c]; }}",
        "  }",
        "  workgroupBarrier();",
        "  var failed = false;",
        "  for (var k = 0u; k < nb; k++) {",
        "    let row = i >= k && i < nb;",
        "    var s = 0.0;",
        "    var d = 1.0;",
        "    if (row) {",
        f"      s = S[{tri('i', 'k')}];",
        f"      d = S[{tri('k', 'k')}];",
        "      for (var j = 0u; j < k; j++) {",
        f"        let lk = S[{tri('k', 'j')}];",
        f"        s -= S[{tri('i', 'j')}] * lk;",
        "        d -= lk * lk;",
        "      }",
        "    }",
        "    let ok = d > 0.0;",
        "    let r = sqrt(select(1.0, d, ok));",
        "    workgroupBarrier();",
        f"    if (row) {{ S[{tri('i', 'k')}] = select(s / r, r, i == k); }}",
        "    if (row && i == k && !ok) { failed = true; }",
        "    workgroupBarrier();",
        "  }",
        f"  for (var e = i; e < nb * nb; e += {NB}u) {{",
        "    let r = e / nb; let c = e % nb;",
        f"    if (c <= r) {{ out0[base + r * ld + c] = S[{tri('r', 'c')}]; }}",
        "  }",
        "  if (failed) { out1[b] = 1u; }",
        "}"])


FINISH_PRM = "n"


def _finish_kernel() -> str:
    """In place over p.n words: 0 above the diagonal, NaN below it where the matrix failed."""
    return "\n".join([
        *bindings([("status", "u32")], ["u32"], 0, _count(FINISH_PRM)),
        f"@compute @workgroup_size({WG})",
        "fn main(@builtin(global_invocation_id) gid: vec3<u32>) {",
        "  let t = gid.y * p.stride + gid.x;",
        "  if (t >= p.n) { return; }",
        *_prm(FINISH_PRM),
        "  let i = (t / n) % n;",
        "  let j = t % n;",
        "  if (j > i) { out0[t] = 0u; } else if (status[t / (n * n)] != 0u) { out0[t] = " + _NAN + "; }",
        "}"])


TRSV_PRM = "nvec nb toff t1 t2 tb xoff vs es xb unit fwd t_in"


def _trsv_kernel() -> str:
    """For each of p.n = batch * nvec vectors x (element e at out0[xoff + b*xb + v*vs + e*es]):
    solve M x = x in place, M[i, q] = T[toff + b*tb + i*t1 + q*t2] of order nb, lower (`fwd`:
    forward substitution) or upper, its diagonal taken as 1 where `unit`. T is the input `t`
    (`t_in`) or out0."""
    return "\n".join([
        *bindings([("t", "f32")], ["f32"], 0, _count(TRSV_PRM)),
        "fn tm(i: u32, t_in: bool) -> f32 { if (t_in) { return t[i]; } return out0[i]; }",
        f"@compute @workgroup_size({WG})",
        "fn main(@builtin(global_invocation_id) gid: vec3<u32>) {",
        "  let g = gid.y * p.stride + gid.x;",
        "  if (g >= p.n) { return; }",
        *_prm(TRSV_PRM),
        "  let b = g / nvec;",
        "  let tbase = toff + b * tb;",
        "  let x = xoff + b * xb + (g % nvec) * vs;",
        "  for (var c = 0u; c < nb; c++) {",
        "    let i = select(nb - 1u - c, c, fwd != 0u);",
        "    var s = out0[x + i * es];",
        "    let hi = select(nb, i, fwd != 0u);",
        "    for (var q = select(i + 1u, 0u, fwd != 0u); q < hi; q++) {",
        "      s -= tm(tbase + i * t1 + q * t2, t_in != 0u) * out0[x + q * es];",
        "    }",
        "    if (unit == 0u) { s = s / tm(tbase + i * (t1 + t2), t_in != 0u); }",
        "    out0[x + i * es] = s;",
        "  }",
        "}"])


GEMM_PRM = "m n k aoff as0 as1 ab boff bs0 bs1 bb coff cs0 cb b0 lower a_in b_in"


def _gemm_kernel() -> str:
    """C[i, j] -= sum_q A[i, q] B[q, j] for batch b0 + z: A[i, q] = a[aoff + z*ab + i*as0 + q*as1],
    B[q, j] = b[boff + z*bb + q*bs0 + j*bs1], C[i, j] = out0[coff + z*cb + i*cs0 + j]; A and B read
    the input `t` (`a_in`, `b_in`) or out0 itself (disjoint from C). `lower`: only tiles that
    reach the diagonal. Neighbouring invocations load along each operand's contiguous axis (as1
    == 1: along q). One pipeline for every use (SwiftShader takes seconds to compile each)."""
    return "\n".join([
        *bindings([("t", "f32")], ["f32"], 0, _count(GEMM_PRM)),
        "fn ld(i: u32, ok: bool, t_in: bool) -> f32 {",
        "  if (!ok) { return 0.0; }",
        "  if (t_in) { return t[i]; }",
        "  return out0[i];",
        "}",
        f"var<workgroup> As: array<f32, {BK * BM}>;",
        f"var<workgroup> Bs: array<f32, {BK * BN}>;",
        "@compute @workgroup_size(256)",
        "fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {",
        *_prm(GEMM_PRM),
        f"  let row0 = wid.y * {BM}u;",
        f"  let col0 = wid.x * {BN}u;",
        f"  if (lower != 0u && col0 > row0 + {BM - 1}u) {{ return; }}",
        "  let z = wid.z + b0;",
        "  let abase = aoff + z * ab;",
        "  let bbase = boff + z * bb;",
        "  let tx = lid % 16u;",
        "  let ty = lid / 16u;",
        "  var acc: array<vec4<f32>, 4>;",
        f"  for (var k0 = 0u; k0 < k; k0 += {BK}u) {{",
        f"    for (var e = lid; e < {BM * BK}u; e += 256u) {{",
        f"      let r = select(e % {BM}u, e / {BK}u, as1 == 1u);",
        f"      let qa = select(e / {BM}u, e % {BK}u, as1 == 1u);",
        "      let oka = row0 + r < m && k0 + qa < k;",
        f"      As[qa * {BM}u + r] = ld(abase + (row0 + r) * as0 + (k0 + qa) * as1, oka, a_in != 0u);",
        f"      let c = select(e / {BK}u, e % {BN}u, bs1 == 1u);",
        f"      let qb = select(e % {BK}u, e / {BN}u, bs1 == 1u);",
        "      let okb = col0 + c < n && k0 + qb < k;",
        f"      Bs[qb * {BN}u + c] = ld(bbase + (k0 + qb) * bs0 + (col0 + c) * bs1, okb, b_in != 0u);",
        "    }",
        "    workgroupBarrier();",
        f"    for (var q = 0u; q < {BK}u; q++) {{",
        f"      let ai = q * {BM}u + ty;",
        f"      let bi = q * {BN}u + tx;",
        "      let av = vec4<f32>(As[ai], As[ai + 16u], As[ai + 32u], As[ai + 48u]);",
        "      let bv = vec4<f32>(Bs[bi], Bs[bi + 16u], Bs[bi + 32u], Bs[bi + 48u]);",
        "      for (var a = 0u; a < 4u; a++) { acc[a] = fma(vec4<f32>(av[a]), bv, acc[a]); }",
        "    }",
        "    workgroupBarrier();",
        "  }",
        "  let cbase = coff + z * cb;",
        "  for (var a = 0u; a < 4u; a++) {",
        "    let r = row0 + ty + 16u * a;",
        "    if (r < m) {",
        "      for (var h = 0u; h < 4u; h++) {",
        "        let c = col0 + tx + 16u * h;",
        "        if (c < n) { let at = cbase + r * cs0 + c; out0[at] = out0[at] - acc[a][h]; }",
        "      }",
        "    }",
        "  }",
        "}"])


LU_PRM = "m n j0 jb kp"


def _lu_panel_kernel() -> str:
    """Columns [j0, j0 + jb) of p.n matrices m x n, a workgroup each: per column k, the pivot row
    (the first entry of largest magnitude at or below k: each invocation's rows, then a workgroup
    reduction), its index into the pivots (kp per matrix), the swap of whole rows k and pivot,
    then one pass over the rows below k (each invocation its own): the column scaled by the pivot
    (left as it is where the pivot is 0, as LAPACK), the rank-1 update of the panel, and the
    search of column k + 1 on the updated values. Two barriers and a reduction per column."""
    def search(indent):  # the running (best, at) of column c over row i
        return [f"{indent}let v = abs(out0[base + i * n + c]);", f"{indent}if (v > best) {{ best = v; at = i; }}"]
    return "\n".join([
        *bindings([], ["f32", "i32"], 0, _count(LU_PRM)),
        f"var<workgroup> bv: array<f32, {PANEL_WG}>;",
        f"var<workgroup> bi: array<u32, {PANEL_WG}>;",
        f"@compute @workgroup_size({PANEL_WG})",
        "fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {",
        "  let b = wid.y * p.stride + wid.x;",
        "  if (b >= p.n) { return; }",
        *_prm(LU_PRM),
        "  let base = b * m * n;",
        "  var best = -1.0;",
        "  var at = j0;",
        f"  for (var i = j0 + lid; i < m; i += {PANEL_WG}u) {{",
        "    let c = j0;",
        *search("    "),
        "  }",
        "  for (var k = j0; k < j0 + jb; k++) {",
        "    bv[lid] = best;",
        "    bi[lid] = at;",
        "    workgroupBarrier();",
        f"    for (var s = {PANEL_WG // 2}u; s > 0u; s >>= 1u) {{",
        "      if (lid < s) {",
        "        let ov = bv[lid + s]; let oi = bi[lid + s];",
        "        if (ov > bv[lid] || (ov == bv[lid] && oi < bi[lid])) { bv[lid] = ov; bi[lid] = oi; }",
        "      }",
        "      workgroupBarrier();",
        "    }",
        "    let pr = bi[0];",
        "    if (lid == 0u) { out1[b * kp + k] = i32(pr); }",
        "    if (pr != k) {",
        f"      for (var j = lid; j < n; j += {PANEL_WG}u) {{",
        "        let x = out0[base + k * n + j];",
        "        out0[base + k * n + j] = out0[base + pr * n + j];",
        "        out0[base + pr * n + j] = x;",
        "      }",
        "    }",
        "    storageBarrier();",
        "    workgroupBarrier();",
        "    let pivot = out0[base + k * n + k];",
        "    let c = k + 1u;",
        "    best = -1.0;",
        "    at = c;",
        f"    for (var i = c + lid; i < m; i += {PANEL_WG}u) {{",
        "      var l = out0[base + i * n + k];",
        "      if (pivot != 0.0) { l = l / pivot; out0[base + i * n + k] = l; }",
        "      for (var j = c; j < j0 + jb; j++) { out0[base + i * n + j] -= l * out0[base + k * n + j]; }",
        "      if (c < j0 + jb) {",
        *search("        "),
        "      }",
        "    }",
        "    storageBarrier();",
        "    workgroupBarrier();",
        "  }",
        "}"])


PERM_PRM = "k m"


def _perm_kernel() -> str:
    """The permutation of each of p.n pivot rows: the identity of m, with row j swapped with row
    pivots[j] in turn (pivots clipped to [0, m), as the cpu kernel)."""
    return "\n".join([
        *bindings([("piv", "i32")], ["i32"], 0, _count(PERM_PRM)),
        f"@compute @workgroup_size({WG})",
        "fn main(@builtin(global_invocation_id) gid: vec3<u32>) {",
        "  let b = gid.y * p.stride + gid.x;",
        "  if (b >= p.n) { return; }",
        *_prm(PERM_PRM),
        "  for (var i = 0u; i < m; i++) { out0[b * m + i] = i32(i); }",
        "  for (var j = 0u; j < k; j++) {",
        "    let q = b * m + u32(clamp(piv[b * k + j], 0, i32(m) - 1));",
        "    let x = out0[b * m + j];",
        "    out0[b * m + j] = out0[q];",
        "    out0[q] = x;",
        "  }",
        "}"])


# ---- launching ----------------------------------------------------------------------------------


def _pipeline(dev, key, make, n_in: int, n_out: int) -> int:
    return dev.compile_cached(("linalg_wgsl", *key), lambda: dev.runtime.pipeline(make(), n_in, n_out, key[0]))


def _words(names: str, **values) -> list[int]:
    words = [int(values[name]) for name in names.split()]
    return words + [0] * (-len(words) % 4)


def _per_item(dev, pid, count: int, ids, names: str, work: int = 0, **values) -> None:
    """count invocations of WG each."""
    groups = -(-count // WG)
    gx = min(groups, dev.runtime.max_groups)
    dev.runtime.dispatch(pid, (gx, -(-groups // gx), 1), [count, gx * WG, 0, 0, *_words(names, **values)], ids,
                         work or count)


def _per_group(dev, pid, groups: int, ids, names: str, work: int, **values) -> None:
    """A workgroup for each of `groups` matrices."""
    gx = min(groups, dev.runtime.max_groups)
    dev.runtime.dispatch(pid, (gx, -(-groups // gx), 1), [groups, gx, 0, 0, *_words(names, **values)], ids, work)


def _gemm(dev, out, c, batch, m, n, k, a, b, t=None, lower=False):
    """C -= A @ B on views: c = (offset, row stride, batch stride) of `out`; a, b = (offset, row
    stride, column stride, batch stride, from t) of t or of `out` (disjoint from C)."""
    if m <= 0 or n <= 0 or k <= 0:
        return
    (aoff, as0, as1, ab, a_in), (boff, bs0, bs1, bb, b_in), (coff, cs0, cb) = a, b, c
    pid = _pipeline(dev, ("gemm",), _gemm_kernel, 1, 1)
    ids = [(t if t is not None else _dummy(dev)).id, out.id]
    rt = dev.runtime
    for b0 in range(0, batch, rt.max_groups):
        z = min(rt.max_groups, batch - b0)
        rt.dispatch(pid, (-(-n // BN), -(-m // BM), z),
                    [0, 0, 0, 0, *_words(GEMM_PRM, m=m, n=n, k=k, aoff=aoff, as0=as0, as1=as1, ab=ab, boff=boff,
                                         bs0=bs0, bs1=bs1, bb=bb, coff=coff, cs0=cs0, cb=cb, b0=b0,
                                         lower=int(lower), a_in=int(a_in), b_in=int(b_in))],
                    ids, z * m * n * k // 64)


def _trsv(dev, x, batch, nvec, nb, toff, t1, t2, tb, xoff, vs, es, xb, forward, unit, t=None):
    """M x = x in place for batch * nvec vectors of x (see _trsv_kernel); M from t or x itself."""
    if nvec <= 0 or nb <= 0 or batch <= 0:
        return
    pid = _pipeline(dev, ("trsv",), _trsv_kernel, 1, 1)
    ids = [(t if t is not None else _dummy(dev)).id, x.id]
    _per_item(dev, pid, batch * nvec, ids, TRSV_PRM, batch * nvec * nb * nb,
              nvec=nvec, nb=nb, toff=toff, t1=t1, t2=t2, tb=tb, xoff=xoff, vs=vs, es=es, xb=xb, unit=int(unit),
              fwd=int(forward), t_in=int(t is not None))


def _dummy(dev) -> WebGPUBuffer:
    """What binds as `t` when a kernel reads out0 only (a binding may not name out0 twice)."""
    key = ("linalg_wgsl", "dummy")
    buf = dev._kernels.get(key)
    if buf is None:
        buf = dev._kernels[key] = WebGPUBuffer(dev, 4)
    return buf


def _as_buffer(buf):
    return buf.buffer() if hasattr(buf, "buffer") else buf  # a lazy constant: its memory


def _copy_of(dev, buf, nbytes: int) -> WebGPUBuffer:
    out = WebGPUBuffer(dev, nbytes)
    if nbytes:
        dev.runtime.copy(_as_buffer(buf).id, 0, out.id, 0, nbytes)
    return out


# ---- the primitives' routines -------------------------------------------------------------------


def cholesky_routine(dev, bufs, in_avals, params, out_avals):
    (x,) = in_avals
    if x.dtype != F32:
        return None
    if params.get("symmetrize_input"):  # cholesky_p's flag (lax/linalg.py): (x + x^T) / 2 first
        from jaxlite._src.lax.linalg import symmetrized
        bufs = [symmetrized(dev, bufs[0], x)]
    n = x.shape[-1]
    batch = x.size // (n * n) if n else 0
    out = _copy_of(dev, bufs[0], x.size * 4)
    if not batch:
        return [out]
    status = dev.put(np.zeros(batch, np.uint32))
    potrf = _pipeline(dev, ("potrf",), _potrf_kernel, 0, 2)
    for j0 in range(0, n, NB):
        nb = min(NB, n - j0)
        _per_group(dev, potrf, batch, [out.id, status.id], POTRF_PRM, batch * nb ** 3 // 6, ld=n, j0=j0, nb=nb)
        r0 = j0 + nb
        if r0 < n:  # L21 = A21 L11^-T: rows of the panel against L11 (lower, forward)
            _trsv(dev, out, batch, n - r0, nb, j0 * n + j0, n, 1, n * n, r0 * n + j0, n, 1, n * n, True, False)
            _gemm(dev, out, (r0 * n + r0, n, n * n), batch, n - r0, n - r0, nb,
                  (r0 * n + j0, n, 1, n * n, False), (r0 * n + j0, 1, n, n * n, False), lower=True)
    fin = _pipeline(dev, ("cholesky_finish",), _finish_kernel, 1, 1)
    _per_item(dev, fin, batch * n * n, [status.id, out.id], FINISH_PRM, n=n)
    return [out]


def triangular_solve_routine(dev, bufs, in_avals, params, out_avals):
    """op(T) X = B (left_side) or X op(T) = B, every vector of X (columns, or rows) solving
    M x = b: M = T when left_side != transpose_a, else T^T, as strides over T."""
    a, b = in_avals
    if a.dtype != F32 or b.dtype != F32:  # (conjugate_a means nothing for real T)
        return None
    n = a.shape[-1]
    rows, cols = b.shape[-2:]
    out = _copy_of(dev, bufs[1], b.size * 4)
    batch = b.size // (rows * cols) if b.size else 0
    if not batch or not n:
        return [out]
    t = _as_buffer(bufs[0])
    left, trans = params["left_side"], params["transpose_a"]
    m_is_t = left != trans
    t1, t2 = (n, 1) if m_is_t else (1, n)
    lower = params["lower"] if m_is_t else not params["lower"]
    unit = params["unit_diagonal"]
    nvec, vs, es = (cols, 1, cols) if left else (rows, cols, 1)
    starts = list(range(0, n, TRSV_NB))
    if not lower:
        starts.reverse()
    for s0 in starts:
        s1 = min(s0 + TRSV_NB, n)
        nb = s1 - s0
        _trsv(dev, out, batch, nvec, nb, s0 * (t1 + t2), t1, t2, n * n, s0 * es, vs, es, rows * cols,
              lower, unit, t)
        r0, r1 = (s1, n) if lower else (0, s0)
        if r1 <= r0:
            continue
        # the other elements of every vector: x[r] -= M[r, blk] x[blk]
        mview = (r0 * t1 + s0 * t2, t1, t2, n * n, True)
        if left:  # C[r, v] -= M[r, q] X[blk q, v]
            _gemm(dev, out, (r0 * cols, cols, rows * cols), batch, r1 - r0, cols, nb, mview,
                  (s0 * cols, cols, 1, rows * cols, False), t)
        else:  # C[v, r] -= X[v, blk q] M[r, q]
            _gemm(dev, out, (r0, cols, rows * cols), batch, rows, r1 - r0, nb,
                  (s0, cols, 1, rows * cols, False), (r0 * t1 + s0 * t2, t2, t1, n * n, True), t)
    return [out]


def lu_routine(dev, bufs, in_avals, params, out_avals):
    (x,) = in_avals
    if x.dtype != F32:
        return None
    m, n = x.shape[-2:]
    k = min(m, n)
    batch = int(np.prod(x.shape[:-2], dtype=np.int64))
    out = _copy_of(dev, bufs[0], x.size * 4)
    piv = WebGPUBuffer(dev, batch * k * 4)
    perm = WebGPUBuffer(dev, batch * m * 4)
    if k and batch:
        panel = _pipeline(dev, ("lu_panel",), _lu_panel_kernel, 0, 2)
        for j0 in range(0, k, LU_NB):
            jb = min(LU_NB, k - j0)
            _per_group(dev, panel, batch, [out.id, piv.id], LU_PRM, batch * (m - j0) * (n + jb * jb),
                       m=m, n=n, j0=j0, jb=jb, kp=k)
            r0 = j0 + jb
            if r0 < n:  # U12 = L11^-1 A12 (unit lower, the columns of A12), A22 -= L21 U12
                _trsv(dev, out, batch, n - r0, jb, j0 * n + j0, n, 1, m * n, j0 * n + r0, 1, n, m * n,
                      True, True)
                _gemm(dev, out, (r0 * n + r0, n, m * n), batch, m - r0, n - r0, jb,
                      (r0 * n + j0, n, 1, m * n, False), (j0 * n + r0, n, 1, m * n, False))
    if m and batch:
        _permutation(dev, piv, perm, batch, k, m)
    return [out, piv, perm]


def _permutation(dev, piv, perm, batch, k, m):
    pid = _pipeline(dev, ("lu_perm",), _perm_kernel, 1, 1)
    _per_item(dev, pid, batch, [piv.id, perm.id], PERM_PRM, batch * (m + k), k=k, m=m)


def pivots_to_permutation_routine(dev, bufs, in_avals, params, out_avals):
    (p,) = in_avals
    if p.dtype != np.int32:
        return None
    m, k = params["permutation_size"], p.shape[-1]
    batch = int(np.prod(p.shape[:-1], dtype=np.int64))
    perm = WebGPUBuffer(dev, batch * m * 4)
    if m and batch:
        _permutation(dev, _as_buffer(bufs[0]), perm, batch, k, m)
    return [perm]


WebGPUDevice.prim_routines.update({
    "cholesky": cholesky_routine,
    "triangular_solve": triangular_solve_routine,
    "lu": lu_routine,
    "lu_pivots_to_permutation": pivots_to_permutation_routine,
})
