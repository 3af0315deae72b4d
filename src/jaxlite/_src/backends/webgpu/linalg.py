"""Factorisations on the webgpu device: `cholesky_p`, `triangular_solve_p`, `lu_p` and
`lu_pivots_to_permutation_p` for float32 and complex64 as staged WGSL kernels, batched over the
leading dimensions (other dtypes return None: the host, counted; complex128 cannot live on the
device at all, WGSL having no f64).

Blocked and right-looking, as the wasm device's drivers (backends/wasm/linalg.py), in place,
every step a dispatch into the runtime's one command encoder:
- Cholesky: `init` writes both triangles of the result (the input symmetrised, or its lower
  triangle mirrored) and clears the status; then per block of NB columns one `step`, in which
  every workgroup factors the diagonal block (read from the upper triangle, which no one writes
  then) in workgroup memory and all but the first solve NB rows of the panel below it against it
  (L21 = A21 L11^-T, an invocation per row), the first writing L11; and one `gemm`, A22 -= L21
  L21^T, skipping the tiles above the diagonal (SYRK's half; the diagonal tiles, whole, keep the
  next diagonal block symmetric). L's diagonal goes to a side buffer, since the next workgroups
  read the diagonal block's own. A pivot that is not positive marks its matrix in a status word
  (WGSL promises nothing for sqrt of a negative number or for NaN arithmetic); `finish` zeroes
  the upper triangle, writes the diagonal, and NaN over the lower triangle of a failed matrix, as
  JAX does. 2 ceil(n / NB) + 1 dispatches, symmetrisation included, in one compute pass (no
  buffer copy): at n = 1024 33, where the separate potrf / trsv / gemm steps, symmetrising kernel
  and copy made 48 and two passes (4096: 129, was 192).
- triangular_solve: every flag combination is one problem, M x = b for each vector of X (the
  columns for a left solve, the rows for a right one) with M = op(T) or op(T)^T as strides over T;
  the diagonal blocks by `trsv`, the rest of X by `gemm`. With many vectors `trsv` takes WG
  vectors per workgroup over blocks of TRSV_NB, the block in workgroup memory and each vector's
  chain (nb^2 / 2 multiply-adds) in an invocation; with few (solve's right-hand side)
  `trsv_wg` takes a workgroup per vector over blocks of TRSVW_NB, one barrier per element: at
  n = 4096 with one vector 31 dispatches a solve, was 127 (blocks of 64, each a single
  invocation's chain of 2016 loads from global memory).
- LU with partial pivoting, per panel of LU_NB columns: the panel factored recursively (as the
  wasm device's lu_panel and LAPACK's getrf2): halves down to LU_BASE columns, the left half's
  U12 by `trsv` and its update of the right half by `gemm`; the leaves by `lu_panel`, a
  workgroup per matrix (the pivot search a reduction over the workgroup, through subgroups where
  the device has them; the first entry of largest magnitude as LAPACK chooses; the swap over
  whole rows, so nothing is deferred; scaling and the leaf's rank-1 updates). Then U12 = L11^-1
  A12 (`trsv`) and A22 -= L21 U12 (`gemm`); the permutation from the pivots by `perm` (an
  invocation per matrix).

`gemm` is the tiling of routines.matmul_f32 (a 64x64 tile of C per workgroup of 256, BK-deep
slices of both operands in workgroup memory, 4x4 neighbouring outputs per invocation, so that
each step reads one vec4 of each operand for 16 multiply-adds) with sizes, offsets and strides
in the uniform instead of the source: one pipeline serves every step of every size,
where matmul_f32 compiles one per shape, and it subtracts from a strided view in place. Loads
walk each operand's contiguous axis (chosen by its strides), so they stay coalesced.

complex64: every generator takes the element type (`Elem`: f32, or vec2<f32> = (re, im), the
device's two float32 words per element) and writes the same staging around complex products,
conjugations and Smith's division (the jl_c* helpers); over f32 it writes the float32
shaders' text unchanged. Cholesky factors A = L L^H (the upper triangle kept as the conjugate
mirror, the diagonal block read back conjugated, gemm's B conjugated; of a diagonal entry only
its real part, as LAPACK's potrf), the solves conjugate M for conjugate_a as they load it, LU
pivots on |re| + |im| (LAPACK's icamax, hence JAX's pivots on CPU). The gemm keeps the real and
imaginary parts of its slices in workgroup memory apart, BK_C64 deep, so the step is still vec4
multiply-adds. A packed triangle of 64 complex numbers takes 16640 bytes, just over WebGPU's
guaranteed 16 KiB: where a device offers no more (GPUs and SwiftShader offer 32 KiB) the complex
block is 32 (`block`).

Block sizes. NB = 64 is the most whose packed lower triangle (2080 words) sits in workgroup
memory with room to spare under WebGPU's guaranteed 16 KiB (a larger block at small orders,
which would halve the steps, needs 33 KiB at NB = 128); NB must equal gemm's tile (BM, BN) so
that the diagonal tiles are whole. The cost of a Cholesky step is its latency: the diagonal
block's factorisation (nb columns between barriers) and a row's solve (nb^2 / 2 dependent
multiply-adds against workgroup memory) in one dispatch, then the gemm. LU: a leaf's columns
each cost a pivot reduction, a swap, and a pass over the workgroup's rows (1024 invocations
where the GPU has them: at order 4096 four rows each, where the one-level panel of 32 had 16 on
256 invocations); the recursion moves half of the panel's updates into gemm, and with the
triangular solves of order <= 64 in one dispatch each, a panel of 64 costs 6 dispatches (leaf,
trsv, gemm, leaf; trsv, gemm): 383 at order 4096, as many as the one-level panel of 32 made.
"""

from __future__ import annotations

import numpy as np

from jaxlite._src.backends.webgpu.device import WebGPUBuffer, WebGPUDevice
from jaxlite._src.backends.webgpu.render import bindings

NB = 64        # Cholesky's block (the diagonal kernel's workgroup and its workgroup memory)
TRSV_NB = 64   # triangular solves: diagonal blocks of this order, the rest through gemm ...
TRSVW_NB = 256  # ... or of this order where there are few vectors (a workgroup per vector)
FEW_VECTORS = 256  # vectors (batch included) up to which a solve takes a workgroup per vector
FEW_VECTORS_CPU = 16  # ... on a CPU adapter, where a barrier is a sweep over the invocations
LU_NB = 64     # LU's outer panel width (the trailing update's depth) ...
LU_BASE = 32   # ... factored recursively down to leaves of this many columns (the serial part)
WG = 64        # invocations per workgroup of the per-vector kernels
BM = BN = 64   # gemm's tile of C ...
BK = 16        # ... and its depth per stage in workgroup memory
assert NB == BM == BN  # Cholesky's next diagonal block is one whole gemm tile (kept symmetric)
assert LU_NB <= NB and TRSV_NB <= NB  # trsv's block fits its workgroup memory
BK_C64 = 8    # complex64 gemm's depth: four f32 slices (both parts of A and B), 8 KiB
_NAN = "0x7fc00000u"
F32 = np.dtype(np.float32)
C64 = np.dtype(np.complex64)

# complex64 helpers for these shaders (fused kernels get complex numbers as float pairs from
# kernel/complex.py instead). Division is Smith's (no overflow in |b|^2); |re| + |im| is LAPACK's
# pivot measure (scabs1, in icamax).
_V2 = "vec2<f32>"
_COMPLEX_LIB = {
    "cmul": (f"fn jl_cmul(a: {_V2}, b: {_V2}) -> {_V2} "
             f"{{ return {_V2}(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }}"),
    "cconj": f"fn jl_cconj(a: {_V2}) -> {_V2} {{ return {_V2}(a.x, -a.y); }}",
    "cconj_if": f"fn jl_cconj_if(a: {_V2}, c: bool) -> {_V2} {{ return select(a, {_V2}(a.x, -a.y), c); }}",
    "cabs1": f"fn jl_cabs1(a: {_V2}) -> f32 {{ return abs(a.x) + abs(a.y); }}",
    "cdiv": "\n".join([
        f"fn jl_cdiv(a: {_V2}, b: {_V2}) -> {_V2} {{",
        "  if (abs(b.x) >= abs(b.y)) {",
        "    let r = b.y / b.x;",
        f"    return {_V2}(a.x + a.y * r, a.y - a.x * r) / (b.x + b.y * r);",
        "  }",
        "  let r = b.x / b.y;",
        f"  return {_V2}(a.x * r + a.y, a.y * r - a.x) / (b.x * r + b.y);",
        "}"]),
}


class Elem:
    """What the generators write for one element type: float32, or complex64 as vec2<f32> (re,
    im: the device's two float32 words per element). Over float32 every piece is the text the
    float32 shaders always had, so they stay as they were (tests/test_webgpu_linalg_complex.py
    holds their hashes)."""

    def __init__(self, cplx: bool):
        self.cplx = cplx
        self.t = "vec2<f32>" if cplx else "f32"
        self.zero = "vec2<f32>()" if cplx else "0.0"
        self.one = "vec2<f32>(1.0, 0.0)" if cplx else "1.0"
        self.words = 2 if cplx else 1
        self.key = ("c64",) if cplx else ()

    def mul(self, a: str, b: str) -> str:
        return f"jl_cmul({a}, {b})" if self.cplx else f"{a} * {b}"

    def mul_conj(self, a: str, b: str) -> str:
        """a conj(b): Cholesky's products with L^H."""
        return f"jl_cmul({a}, jl_cconj({b}))" if self.cplx else f"{a} * {b}"

    def div(self, a: str, b: str) -> str:
        return f"jl_cdiv({a}, {b})" if self.cplx else f"{a} / {b}"

    def conj(self, a: str) -> str:
        return f"jl_cconj({a})" if self.cplx else a

    def conj_if(self, a: str, flag: str) -> str:
        return f"jl_cconj_if({a}, {flag})" if self.cplx else a

    def re(self, a: str) -> str:
        return f"{a}.x" if self.cplx else a

    def from_re(self, a: str) -> str:
        return f"vec2<f32>({a}, 0.0)" if self.cplx else a

    def norm2(self, a: str) -> str:
        return f"dot({a}, {a})" if self.cplx else f"{a} * {a}"

    def abs1(self, a: str) -> str:
        """The pivot measure: |re| + |im| for complex, as LAPACK's icamax (and JAX on CPU)."""
        return f"jl_cabs1({a})" if self.cplx else f"abs({a})"

    def nonzero(self, a: str) -> str:
        return f"any({a} != vec2<f32>())" if self.cplx else f"{a} != 0.0"

    def lib(self, *names: str) -> list[str]:
        """The complex helpers a shader uses (none for float32)."""
        return [_COMPLEX_LIB[name] for name in names] if self.cplx else []


R32, CPLX = Elem(False), Elem(True)
ELEMS = {F32: R32, C64: CPLX}


# ---- kernels ------------------------------------------------------------------------------------


def _prm(names: str) -> list[str]:
    """`let name = p.prm[..]` for each uniform parameter, in order."""
    return [f"  let {name} = p.prm[{k // 4}][{k % 4}];" for k, name in enumerate(names.split())]


def _count(names: str) -> int:
    return len(names.split())


INIT_PRM = "n sym"


def _per_element(binds, prm: str) -> list[str]:
    """A shader's head with one invocation per word t of p.n: matrix b, row i, column j."""
    return [*binds, f"@compute @workgroup_size({WG})",
            "fn main(@builtin(global_invocation_id) gid: vec3<u32>) {",
            "  let t = gid.y * p.stride + gid.x;",
            "  if (t >= p.n) { return; }",
            *_prm(prm),
            "  let b = t / (n * n);",
            "  let i = (t / n) % n;",
            "  let j = t % n;"]


def _init_kernel(e: Elem = R32) -> str:
    """Each of p.n = batch * n * n elements of out0 from the input x, both triangles: (x + x^H) / 2
    where `sym` (cholesky_p's symmetrize_input), else the lower triangle mirrored (conjugated);
    word 0 of each matrix's aux (its status) set to 0. The factor steps read their diagonal block
    from the upper triangle while the first workgroup writes L11 into the lower one."""
    return "\n".join([
        *_per_element([*bindings([("x", e.t)], [e.t, "f32"], 0, _count(INIT_PRM)), *e.lib("cconj")], INIT_PRM),
        "  let mirror = b * n * n + j * n + i;",
        f"  if (sym != 0u) {{ out0[t] = (x[t] + {e.conj('x[mirror]')}) / 2.0; }}",
        f"  else if (j > i) {{ out0[t] = {e.conj('x[mirror]')}; }} else {{ out0[t] = x[t]; }}",
        "  if (i == 0u && j == 0u) { out1[b * (n + 1u)] = 0.0; }",
        "}"])


STEP_PRM = "ld j0 nb gpm"


def _step_kernel(e: Elem = R32, nb_max: int = NB) -> str:
    """One block column of Cholesky for each of p.n / gpm matrices, gpm workgroups each. Every
    workgroup factors the nb x nb diagonal block at (j0, j0) in workgroup memory (read from the
    upper triangle, which nobody writes here), left-looking column by column between barriers:
    d = A[k, k] - sum_j<k |L[k, j]|^2, L[i, k] = (A[i, k] - sum_j<k L[i, j] conj(L[k, j])) / sqrt(d)
    (of a complex A[k, k] only the real part, as LAPACK's potrf). Workgroup 0 writes L11 below
    the diagonal, its diagonal and the status (a pivot that is not positive) into aux; workgroup
    g > 0 solves its nb_max rows of the panel below, L21 = A21 L11^-H, an invocation per row
    against L11 in workgroup memory. So the diagonal block and the panel are one dispatch, the
    repeated factorisation costing no time (the workgroups run side by side)."""
    tri = lambda i, j: f"{i} * ({i} + 1u) / 2u + {j}"  # noqa: E731 (packed lower triangle)
    return "\n".join([
        *bindings([], [e.t, "f32"], 0, _count(STEP_PRM)),
        *e.lib("cmul", "cconj"),
        f"var<workgroup> S: array<{e.t}, {nb_max * (nb_max + 1) // 2}>;",
        f"@compute @workgroup_size({nb_max})",
        "fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) i: u32) {",
        "  let w = wid.y * p.stride + wid.x;",
        "  if (w >= p.n) { return; }",
        *_prm(STEP_PRM),
        "  let b = w / gpm;",
        "  let g = w % gpm;",
        "  let base = b * ld * ld;",
        "  let dbase = base + j0 * ld + j0;",
        f"  for (var e = i; e < nb * nb; e += {nb_max}u) {{",
        "    let r = e / nb; let c = e % nb;",
        f"    if (c <= r) {{ S[{tri('r', 'c')}] = {e.conj('out0[dbase + c * ld + r]')}; }}",
        "  }",
        "  workgroupBarrier();",
        "  var failed = false;",
        "  for (var k = 0u; k < nb; k++) {",
        "    let row = i >= k && i < nb;",
        f"    var s = {e.zero};",
        "    var d = 1.0;",
        "    if (row) {",
        f"      s = S[{tri('i', 'k')}];",
        f"      d = {e.re('S[' + tri('k', 'k') + ']')};",
        "      for (var j = 0u; j < k; j++) {",
        f"        let lk = S[{tri('k', 'j')}];",
        f"        s -= {e.mul_conj('S[' + tri('i', 'j') + ']', 'lk')};",
        f"        d -= {e.norm2('lk')};",
        "      }",
        "    }",
        "    let ok = d > 0.0;",
        "    let r = sqrt(select(1.0, d, ok));",
        "    workgroupBarrier();",
        f"    if (row) {{ S[{tri('i', 'k')}] = select(s / r, {e.from_re('r')}, i == k); }}",
        "    if (row && i == k && !ok) { failed = true; }",
        "    workgroupBarrier();",
        "  }",
        "  let abase = b * (ld + 1u);",
        "  if (g == 0u) {",
        f"    for (var e = i; e < nb * nb; e += {nb_max}u) {{",
        "      let r = e / nb; let c = e % nb;",
        f"      if (c < r) {{ out0[dbase + r * ld + c] = S[{tri('r', 'c')}]; }}",
        "    }",
        f"    if (i < nb) {{ out1[abase + 1u + j0 + i] = {e.re('S[' + tri('i', 'i') + ']')}; }}",
        "    if (failed) { out1[abase] = 1.0; }",
        "    return;",
        "  }",
        f"  let row = j0 + nb + (g - 1u) * {nb_max}u + i;",
        "  if (row >= ld) { return; }",
        "  let x0 = base + row * ld + j0;",
        f"  var x: array<{e.t}, {nb_max}>;",
        "  for (var k = 0u; k < nb; k++) {",
        "    var s = out0[x0 + k];",
        f"    for (var q = 0u; q < k; q++) {{ s -= {e.mul_conj('x[q]', 'S[' + tri('k', 'q') + ']')}; }}",
        f"    x[k] = s / {e.re('S[' + tri('k', 'k') + ']')};",
        "    out0[x0 + k] = x[k];",
        "  }",
        "}"])


FINISH_PRM = "n"


def _finish_kernel(e: Elem = R32) -> str:
    """In place over p.n elements: 0 above the diagonal, the diagonal from aux (real), NaN on
    and below it where the matrix failed (aux word 0 of each matrix: its status). Written as
    bits: a WGSL constant may not be NaN."""
    bits, splat = ("vec2<u32>", "vec2<u32>({})") if e.cplx else ("u32", "{}")
    diag = "bitcast<u32>(aux[b * (n + 1u) + 1u + i])"
    return "\n".join([
        *_per_element(bindings([("aux", "f32")], [bits], 0, _count(FINISH_PRM)), FINISH_PRM),
        f"  if (j > i) {{ out0[t] = {splat.format('0u')}; }}",
        "  else if (aux[b * (n + 1u)] != 0.0) { out0[t] = " + splat.format(_NAN) + "; }",
        f"  else if (i == j) {{ out0[t] = {f'vec2<u32>({diag}, 0u)' if e.cplx else diag}; }}",
        "}"])


TRSV_PRM = "nvec nb toff t1 t2 tb xoff vs es xb unit fwd t_in"
CONJ_PRM = " cj"  # complex solves: M conjugated (triangular_solve's conjugate_a)


def _trsv_prm(e: Elem) -> str:
    return TRSV_PRM + (CONJ_PRM if e.cplx else "")


def _trsv_kernel(e: Elem = R32, nb_max: int = NB) -> str:
    """For each of nvec vectors x of each matrix b (element e at out0[xoff + b*xb + v*vs + e*es]):
    solve M x = x in place, M[i, q] = T[toff + b*tb + i*t1 + q*t2] (conjugated where `cj`) of
    order nb <= nb_max, lower (`fwd`: forward substitution) or upper, its diagonal taken as 1
    where `unit`. T is the input `t` (`t_in`) or out0. A workgroup of WG vectors of one matrix
    (p.n workgroups, ceil(nvec / WG) per matrix) loads M once into workgroup memory, packed in
    the order of the solve (an upper M reversed, so lower too); then each invocation runs its
    vector's chain of nb^2 / 2 multiply-adds from workgroup memory and its own registers."""
    tri = lambda i, j: f"{i} * ({i} + 1u) / 2u + {j}"  # noqa: E731 (packed lower triangle)
    return "\n".join([
        *bindings([("t", e.t)], [e.t], 0, _count(_trsv_prm(e))),
        *e.lib("cmul", "cdiv", "cconj_if"),
        f"fn tm(i: u32, t_in: bool) -> {e.t} {{ if (t_in) {{ return t[i]; }} return out0[i]; }}",
        f"var<workgroup> S: array<{e.t}, {nb_max * (nb_max + 1) // 2}>;",
        f"@compute @workgroup_size({WG})",
        "fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {",
        "  let w = wid.y * p.stride + wid.x;",
        "  if (w >= p.n) { return; }",
        *_prm(_trsv_prm(e)),
        "  let f = fwd != 0u;",
        f"  let per = (nvec + {WG - 1}u) / {WG}u;",
        "  let b = w / per;",
        f"  let v = (w % per) * {WG}u + lid;",
        "  let tbase = toff + b * tb;",
        f"  for (var e = lid; e < nb * nb; e += {WG}u) {{",
        "    let r = e / nb; let c = e % nb;",
        "    if (c <= r) {",
        "      let i = select(nb - 1u - r, r, f); let q = select(nb - 1u - c, c, f);",
        f"      S[{tri('r', 'c')}] = {e.conj_if('tm(tbase + i * t1 + q * t2, t_in != 0u)', 'cj != 0u')};",
        "    }",
        "  }",
        "  workgroupBarrier();",
        "  if (v >= nvec) { return; }",
        "  let x0 = xoff + b * xb + v * vs;",
        f"  var xp: array<{e.t}, {nb_max}>;",
        "  for (var k = 0u; k < nb; k++) {",
        "    let at = x0 + select(nb - 1u - k, k, f) * es;",
        "    var s = out0[at];",
        f"    for (var q = 0u; q < k; q++) {{ s -= {e.mul('xp[q]', 'S[' + tri('k', 'q') + ']')}; }}",
        f"    if (unit == 0u) {{ s = {e.div('s', 'S[' + tri('k', 'k') + ']')}; }}",
        "    xp[k] = s;",
        "    out0[at] = s;",
        "  }",
        "}"])


def _trsv_wg_kernel(e: Elem = R32) -> str:
    """As _trsv_kernel, a workgroup of TRSVW_NB per vector (p.n workgroups): invocation i holds
    x[i]; per position c along M's order, the invocation of that row divides it and publishes it
    in workgroup memory, and after a barrier every later row subtracts its multiple (its T entry
    for the next position loaded before the barrier). nb barriers per block instead of an
    invocation's chain of nb^2 / 2: for solves with few vectors (a right-hand side of solve)."""
    tm = lambda at: e.conj_if(f"tm({at}, tin)", "cj != 0u")  # noqa: E731
    return "\n".join([
        *bindings([("t", e.t)], [e.t], 0, _count(_trsv_prm(e))),
        *e.lib("cmul", "cdiv", "cconj_if"),
        f"fn tm(i: u32, t_in: bool) -> {e.t} {{ if (t_in) {{ return t[i]; }} return out0[i]; }}",
        f"var<workgroup> xs: array<{e.t}, {TRSVW_NB}>;",
        f"@compute @workgroup_size({TRSVW_NB})",
        "fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) i: u32) {",
        "  let g = wid.y * p.stride + wid.x;",
        "  if (g >= p.n) { return; }",
        *_prm(_trsv_prm(e)),
        "  let f = fwd != 0u;",
        "  let tin = t_in != 0u;",
        "  let b = g / nvec;",
        "  let tbase = toff + b * tb + i * t1;",
        "  let x = xoff + b * xb + (g % nvec) * vs + i * es;",
        "  let mine = i < nb;",
        f"  var xi = {e.zero};",
        f"  var dii = {e.one};",
        f"  var tnext = {e.zero};",
        "  if (mine) {",
        "    xi = out0[x];",
        f"    if (unit == 0u) {{ dii = {tm('tbase + i * t2')}; }}",
        f"    tnext = {tm('tbase + select(nb - 1u, 0u, f) * t2')};",
        "  }",
        "  for (var c = 0u; c < nb; c++) {",
        "    let ci = select(nb - 1u - c, c, f);",
        "    let tc = tnext;",
        f"    if (mine && c + 1u < nb) {{ tnext = {tm('tbase + select(ci - 1u, ci + 1u, f) * t2')}; }}",
        # (complex: no division where `unit`, which would turn an infinite part into NaN)
        ("    if (i == ci) { if (unit == 0u) { xi = jl_cdiv(xi, dii); } xs[c] = xi; }" if e.cplx else
         "    if (i == ci) { xi = xi / dii; xs[c] = xi; }"),
        "    workgroupBarrier();",
        f"    if (mine && select((i < ci), (i > ci), f)) {{ xi -= {e.mul('tc', 'xs[c]')}; }}",
        "  }",
        "  if (mine) { out0[x] = xi; }",
        "}"])


GEMM_PRM = "m n k aoff as0 as1 ab boff bs0 bs1 bb coff cs0 cb b0 lower a_in b_in"
GEMM_CONJ_PRM = " conj_a conj_b"  # complex: A, B conjugated (Cholesky's L^H, conjugate_a's M)


def _gemm_prm(e: Elem) -> str:
    return GEMM_PRM + (GEMM_CONJ_PRM if e.cplx else "")


def _gemm_kernel(e: Elem = R32) -> str:
    """C[i, j] -= sum_q A[i, q] B[q, j] for batch b0 + z: A[i, q] = a[aoff + z*ab + i*as0 + q*as1],
    B[q, j] = b[boff + z*bb + q*bs0 + j*bs1], C[i, j] = out0[coff + z*cb + i*cs0 + j]; A and B read
    the input `t` (`a_in`, `b_in`) or out0 itself (disjoint from C). `lower`: only tiles that
    reach the diagonal. Neighbouring invocations load along each operand's contiguous axis (as1
    == 1: along q). One pipeline for every use (SwiftShader takes seconds to compile each).
    complex64: the real and imaginary parts of both slices in workgroup memory apart (BK_C64
    deep, so the four slices take the float32 kernel's 8 KiB), conjugated as they are loaded
    (`conj_a`, `conj_b`), and an accumulator for each part: per step four vec4 multiply-adds
    for each row of the invocation's 4x4 outputs, where float32 has one."""
    bk = BK_C64 if e.cplx else BK
    a_load = "ld(abase + (row0 + r) * as0 + (k0 + qa) * as1, oka, a_in != 0u)"
    b_load = "ld(bbase + (k0 + qb) * bs0 + (col0 + c) * bs1, okb, b_in != 0u)"
    if e.cplx:
        a_store = [f"      let va = {a_load};", "      As[ia / 4u][ia % 4u] = va.x;",
                   "      Ai[ia / 4u][ia % 4u] = select(va.y, -va.y, conj_a != 0u);"]
        b_store = [f"      let vb = {b_load};", "      Bs[ib / 4u][ib % 4u] = vb.x;",
                   "      Bi[ib / 4u][ib % 4u] = select(vb.y, -vb.y, conj_b != 0u);"]
        step = [f"      let ai = Ai[q * {BM // 4}u + ty];",
                f"      let bi = Bi[q * {BN // 4}u + tx];",
                "      for (var a = 0u; a < 4u; a++) {",
                "        acc[a] = fma(vec4<f32>(av[a]), bv, fma(vec4<f32>(-ai[a]), bi, acc[a]));",
                "        acci[a] = fma(vec4<f32>(av[a]), bi, fma(vec4<f32>(ai[a]), bv, acci[a]));",
                "      }"]
        result = "vec2<f32>(acc[a][h], acci[a][h])"
    else:
        a_store = [f"      As[ia / 4u][ia % 4u] = {a_load};"]
        b_store = [f"      Bs[ib / 4u][ib % 4u] = {b_load};"]
        step = ["      for (var a = 0u; a < 4u; a++) { acc[a] = fma(vec4<f32>(av[a]), bv, acc[a]); }"]
        result = "acc[a][h]"
    return "\n".join([
        *bindings([("t", e.t)], [e.t], 0, _count(_gemm_prm(e))),
        f"fn ld(i: u32, ok: bool, t_in: bool) -> {e.t} {{",
        f"  if (!ok) {{ return {e.zero}; }}",
        "  if (t_in) { return t[i]; }",
        "  return out0[i];",
        "}",
        f"var<workgroup> As: array<vec4<f32>, {bk * BM // 4}>;",
        f"var<workgroup> Bs: array<vec4<f32>, {bk * BN // 4}>;",
        *([f"var<workgroup> Ai: array<vec4<f32>, {bk * BM // 4}>;",
           f"var<workgroup> Bi: array<vec4<f32>, {bk * BN // 4}>;"] if e.cplx else []),
        "@compute @workgroup_size(256)",
        "fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {",
        *_prm(_gemm_prm(e)),
        f"  let row0 = wid.y * {BM}u;",
        f"  let col0 = wid.x * {BN}u;",
        f"  if (lower != 0u && col0 > row0 + {BM - 1}u) {{ return; }}",
        "  let z = wid.z + b0;",
        "  let abase = aoff + z * ab;",
        "  let bbase = boff + z * bb;",
        "  let tx = lid % 16u;",
        "  let ty = lid / 16u;",
        "  var acc: array<vec4<f32>, 4>;",
        *(["  var acci: array<vec4<f32>, 4>;"] if e.cplx else []),
        f"  for (var k0 = 0u; k0 < k; k0 += {bk}u) {{",
        f"    for (var e = lid; e < {BM * bk}u; e += 256u) {{",
        f"      let r = select(e % {BM}u, e / {bk}u, as1 == 1u);",
        f"      let qa = select(e / {BM}u, e % {bk}u, as1 == 1u);",
        "      let oka = row0 + r < m && k0 + qa < k;",
        f"      let ia = qa * {BM}u + r;",
        *a_store,
        f"      let c = select(e / {bk}u, e % {BN}u, bs1 == 1u);",
        f"      let qb = select(e % {bk}u, e / {BN}u, bs1 == 1u);",
        "      let okb = col0 + c < n && k0 + qb < k;",
        f"      let ib = qb * {BN}u + c;",
        *b_store,
        "    }",
        "    workgroupBarrier();",
        f"    for (var q = 0u; q < {bk}u; q++) {{",
        f"      let av = As[q * {BM // 4}u + ty];",
        f"      let bv = Bs[q * {BN // 4}u + tx];",
        *step,
        "    }",
        "    workgroupBarrier();",
        "  }",
        "  let cbase = coff + z * cb;",
        "  for (var a = 0u; a < 4u; a++) {",
        "    let r = row0 + ty * 4u + a;",
        "    if (r < m) {",
        "      for (var h = 0u; h < 4u; h++) {",
        "        let c = col0 + tx * 4u + h;",
        f"        if (c < n) {{ let at = cbase + r * cs0 + c; out0[at] = out0[at] - {result}; }}",
        "      }",
        "    }",
        "  }",
        "}"])


LU_PRM = "m n j0 jb kp"


def _lu_panel_kernel(wg: int, subgroups: bool = False, e: Elem = R32) -> str:
    """Columns [j0, j0 + jb) (jb <= LU_BASE) of p.n matrices m x n, a workgroup of wg each: per
    column k, the pivot row (the first entry of largest magnitude at or below k: each
    invocation's rows, then a tree over the workgroup), its index into the pivots (kp per
    matrix), the swap of whole rows k and pivot (the pivot row's panel part kept in workgroup
    memory), then one pass over the rows below k (each invocation its own): the column scaled by
    the pivot (left as it is where the pivot is 0, as LAPACK), the rank-1 update of the panel,
    and the search of column k + 1 on the updated values. Three barriers and a tree per column;
    with `subgroups`, the tree is two subgroup reductions around one barrier (every subgroup
    combines the subgroups' winners itself), so four barriers a column. The magnitude of a
    complex entry is |re| + |im|, LAPACK's (so JAX's pivots on CPU)."""
    def search(indent):  # the running (best, at) of column c over row i
        return [f"{indent}let v = {e.abs1('out0[base + i * n + c]')};",
                f"{indent}if (v > best) {{ best = v; at = i; }}"]
    tree = [
        "    bv[lid] = best;",
        "    bi[lid] = at;",
        "    workgroupBarrier();",
        f"    for (var s = {wg // 2}u; s > 0u; s >>= 1u) {{",
        "      if (lid < s) {",
        "        let ov = bv[lid + s]; let oi = bi[lid + s];",
        "        if (ov > bv[lid] || (ov == bv[lid] && oi < bi[lid])) { bv[lid] = ov; bi[lid] = oi; }",
        "      }",
        "      workgroupBarrier();",
        "    }",
        "    let pr = bi[0];"]
    # The first of the largest in a subgroup: the least row index among the lanes holding the max.
    first_max = lambda v, i: [f"    let {v}m = subgroupMax({v});",  # noqa: E731
                              f"    let {i}m = subgroupMin(select(0xffffffffu, {i}, {v} == {v}m));"]
    tree_subgroups = [
        *first_max("best", "at"),
        "    bv[lid] = select(-1.0, bestm, sid == 0u);",
        "    bi[lid] = atm;",
        "    workgroupBarrier();",
        "    var b2 = -1.0;",
        "    var i2 = 0xffffffffu;",
        f"    for (var j = sid; j < {wg}u; j += ssz) {{",
        "      let ov = bv[j]; let oi = bi[j];",
        "      if (ov > b2 || (ov == b2 && oi < i2)) { b2 = ov; i2 = oi; }",
        "    }",
        *first_max("b2", "i2"),
        "    let pr = i2m;"]
    builtins = ", @builtin(subgroup_invocation_id) sid: u32, @builtin(subgroup_size) ssz: u32" if subgroups else ""
    return "\n".join([
        # (the combining loop's bound is the subgroup size, uniform though WGSL cannot tell; no
        # barrier depends on it)
        *(["enable subgroups;", "diagnostic(off, subgroup_uniformity);"] if subgroups else []),
        *bindings([], [e.t, "i32"], 0, _count(LU_PRM)),
        *e.lib("cmul", "cdiv", "cabs1"),
        f"var<workgroup> bv: array<f32, {wg}>;",
        f"var<workgroup> bi: array<u32, {wg}>;",
        f"var<workgroup> prow: array<{e.t}, {LU_BASE}>;",
        f"@compute @workgroup_size({wg})",
        f"fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32{builtins}) {{",
        "  let b = wid.y * p.stride + wid.x;",
        "  if (b >= p.n) { return; }",
        *_prm(LU_PRM),
        "  let base = b * m * n;",
        "  var best = -1.0;",
        "  var at = j0;",
        f"  for (var i = j0 + lid; i < m; i += {wg}u) {{",
        "    let c = j0;",
        *search("    "),
        "  }",
        "  for (var k = j0; k < j0 + jb; k++) {",
        *(tree_subgroups if subgroups else tree),
        "    if (lid == 0u) { out1[b * kp + k] = i32(pr); }",
        "    let swap = pr != k;",
        # without a swap only the panel's part of row k is read (into prow)
        f"    for (var j = select(j0, 0u, swap) + lid; j < select(j0 + jb, n, swap); j += {wg}u) {{",
        "      let x = out0[base + k * n + j];",
        "      var y = x;",
        "      if (swap) {",
        "        y = out0[base + pr * n + j];",
        "        out0[base + k * n + j] = y;",
        "        out0[base + pr * n + j] = x;",
        "      }",
        "      if (j >= j0 && j < j0 + jb) { prow[j - j0] = y; }",
        "    }",
        "    storageBarrier();",
        "    workgroupBarrier();",
        "    let pivot = prow[k - j0];",
        "    let c = k + 1u;",
        "    best = -1.0;",
        "    at = c;",
        f"    for (var i = c + lid; i < m; i += {wg}u) {{",
        "      var l = out0[base + i * n + k];",
        f"      if ({e.nonzero('pivot')}) {{ l = {e.div('l', 'pivot')}; out0[base + i * n + k] = l; }}",
        f"      for (var j = c; j < j0 + jb; j++) {{ out0[base + i * n + j] -= {e.mul('l', 'prow[j - j0]')}; }}",
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


def _gemm(dev, out, c, batch, m, n, k, a, b, t=None, lower=False, e=R32, conj_a=False, conj_b=False):
    """C -= A @ B on views: c = (offset, row stride, batch stride) of `out`; a, b = (offset, row
    stride, column stride, batch stride, from t) of t or of `out` (disjoint from C), in elements;
    complex A, B conjugated where asked."""
    if m <= 0 or n <= 0 or k <= 0:
        return
    (aoff, as0, as1, ab, a_in), (boff, bs0, bs1, bb, b_in), (coff, cs0, cb) = a, b, c
    pid = _pipeline(dev, ("gemm", *e.key), lambda: _gemm_kernel(e), 1, 1)
    ids = [(t if t is not None else _dummy(dev)).id, out.id]
    rt = dev.runtime
    for b0 in range(0, batch, rt.max_groups):
        z = min(rt.max_groups, batch - b0)
        rt.dispatch(pid, (-(-n // BN), -(-m // BM), z),
                    [0, 0, 0, 0, *_words(_gemm_prm(e), m=m, n=n, k=k, aoff=aoff, as0=as0, as1=as1, ab=ab,
                                         boff=boff, bs0=bs0, bs1=bs1, bb=bb, coff=coff, cs0=cs0, cb=cb, b0=b0,
                                         lower=int(lower), a_in=int(a_in), b_in=int(b_in),
                                         conj_a=int(conj_a), conj_b=int(conj_b))],
                    ids, z * m * n * k // 64 * e.words ** 2)


def _trsv(dev, x, batch, nvec, nb, toff, t1, t2, tb, xoff, vs, es, xb, forward, unit, t=None, per_vector=False,
          e=R32, conj=False):
    """M x = x in place for batch * nvec vectors of x (see _trsv_kernel); M from t or x itself,
    conjugated where `conj` (complex). per_vector: a workgroup per vector (_trsv_wg_kernel,
    nb <= TRSVW_NB), else per WG vectors (nb at most the element type's block)."""
    if nvec <= 0 or nb <= 0 or batch <= 0:
        return
    ids = [(t if t is not None else _dummy(dev)).id, x.id]
    values = dict(nvec=nvec, nb=nb, toff=toff, t1=t1, t2=t2, tb=tb, xoff=xoff, vs=vs, es=es, xb=xb,
                  unit=int(unit), fwd=int(forward), t_in=int(t is not None), cj=int(conj))
    work = batch * nvec * nb * nb * e.words ** 2
    if per_vector:
        pid = _pipeline(dev, ("trsv_wg", *e.key), lambda: _trsv_wg_kernel(e), 1, 1)
        _per_group(dev, pid, batch * nvec, ids, _trsv_prm(e), work, **values)
    else:
        blk = block(dev, e)
        assert nb <= blk
        pid = _pipeline(dev, ("trsv", *e.key, blk), lambda: _trsv_kernel(e, blk), 1, 1)
        _per_group(dev, pid, batch * -(-nvec // WG), ids, _trsv_prm(e), work, **values)


def block(dev, e: Elem) -> int:
    """The order of the triangles the Cholesky step and trsv keep in workgroup memory: NB, but
    for complex64 32 where the device offers less workgroup memory than a packed triangle of 64
    complex numbers takes (16640 bytes, just over WebGPU's guaranteed 16 KiB; GPUs and
    SwiftShader offer 32 KiB). LU's outer panel is no wider (its triangular solves)."""
    if not e.cplx:
        return NB
    key = ("linalg_wgsl", "c64_block")
    blk = dev._kernels.get(key)
    if blk is None:
        try:
            lim = int(dev.runtime.gpu.limits.maxComputeWorkgroupStorageSize)
        except Exception:  # no JS device behind the runtime: the guaranteed size
            lim = 16384
        blk = dev._kernels[key] = NB if lim >= 8 * NB * (NB + 1) // 2 else NB // 2
    return blk


def _dummy(dev) -> WebGPUBuffer:
    """What binds as `t` when a kernel reads out0 only (a binding may not name out0 twice); 8
    bytes, one element of a complex array."""
    key = ("linalg_wgsl", "dummy")
    buf = dev._kernels.get(key)
    if buf is None:
        buf = dev._kernels[key] = WebGPUBuffer(dev, 8)
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
    """init (both triangles, symmetrised or mirrored), then per block column of NB a `step`
    (diagonal block and panel) and a `gemm` (the trailing update), then `finish`: 2 ceil(n / NB)
    + 1 dispatches in one compute pass."""
    (x,) = in_avals
    e = ELEMS.get(x.dtype)
    if e is None:
        return None
    n = x.shape[-1]
    batch = x.size // (n * n) if n else 0
    out = WebGPUBuffer(dev, x.size * 4 * e.words)
    if not batch:
        return [out]
    blk = block(dev, e)
    aux = WebGPUBuffer(dev, batch * (n + 1) * 4)  # per matrix: its status, then L's diagonal
    init = _pipeline(dev, ("chol_init", *e.key), lambda: _init_kernel(e), 1, 2)
    _per_item(dev, init, batch * n * n, [_as_buffer(bufs[0]).id, out.id, aux.id], INIT_PRM,
              n=n, sym=int(bool(params.get("symmetrize_input"))))
    step = _pipeline(dev, ("chol_step", *e.key, blk), lambda: _step_kernel(e, blk), 0, 2)
    for j0 in range(0, n, blk):
        nb = min(blk, n - j0)
        r0 = j0 + nb
        gpm = 1 + -(-(n - r0) // blk)  # the diagonal block's workgroup, then one per blk panel rows
        _per_group(dev, step, batch * gpm, [out.id, aux.id], STEP_PRM,
                   batch * (gpm * nb ** 3 // 6 + (n - r0) * nb * nb // 2) * e.words ** 2,
                   ld=n, j0=j0, nb=nb, gpm=gpm)
        if r0 < n:  # A22 -= L21 L21^H (SYRK's half: tiles that reach the diagonal)
            _gemm(dev, out, (r0 * n + r0, n, n * n), batch, n - r0, n - r0, nb,
                  (r0 * n + j0, n, 1, n * n, False), (r0 * n + j0, 1, n, n * n, False), lower=True,
                  e=e, conj_b=True)
    fin = _pipeline(dev, ("chol_finish", *e.key), lambda: _finish_kernel(e), 1, 1)
    _per_item(dev, fin, batch * n * n, [aux.id, out.id], FINISH_PRM, n=n)
    return [out]


def triangular_solve_routine(dev, bufs, in_avals, params, out_avals):
    """op(T) X = B (left_side) or X op(T) = B, every vector of X (columns, or rows) solving
    M x = b: M = T when left_side != transpose_a, else T^T, as strides over T, conjugated where
    conjugate_a (conjugation commutes with the transposition)."""
    a, b = in_avals
    e = ELEMS.get(a.dtype)
    if e is None or b.dtype != a.dtype:
        return None
    conj = e.cplx and params["conjugate_a"]  # (conjugate_a means nothing for real T)
    n = a.shape[-1]
    rows, cols = b.shape[-2:]
    out = _copy_of(dev, bufs[1], b.size * 4 * e.words)
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
    few = batch * nvec <= (FEW_VECTORS_CPU if dev.runtime.cpu_adapter else FEW_VECTORS)
    blk = TRSVW_NB if few else min(TRSV_NB, block(dev, e))
    starts = list(range(0, n, blk))
    if not lower:
        starts.reverse()
    for s0 in starts:
        s1 = min(s0 + blk, n)
        nb = s1 - s0
        _trsv(dev, out, batch, nvec, nb, s0 * (t1 + t2), t1, t2, n * n, s0 * es, vs, es, rows * cols,
              lower, unit, t, per_vector=few, e=e, conj=conj)
        r0, r1 = (s1, n) if lower else (0, s0)
        if r1 <= r0:
            continue
        # the other elements of every vector: x[r] -= M[r, blk] x[blk]
        mview = (r0 * t1 + s0 * t2, t1, t2, n * n, True)
        if left:  # C[r, v] -= M[r, q] X[blk q, v]
            _gemm(dev, out, (r0 * cols, cols, rows * cols), batch, r1 - r0, cols, nb, mview,
                  (s0 * cols, cols, 1, rows * cols, False), t, e=e, conj_a=conj)
        else:  # C[v, r] -= X[v, blk q] M[r, q]
            _gemm(dev, out, (r0, cols, rows * cols), batch, rows, r1 - r0, nb,
                  (s0, cols, 1, rows * cols, False), (r0 * t1 + s0 * t2, t2, t1, n * n, True), t, e=e, conj_b=conj)
    return [out]


def lu_routine(dev, bufs, in_avals, params, out_avals):
    """Per panel of LU_NB columns: the recursive panel (`_lu_panel`), U12 = L11^-1 A12
    (`_trsm_unit_lower`), A22 -= L21 U12 (`gemm`); then the permutation."""
    (x,) = in_avals
    e = ELEMS.get(x.dtype)
    if e is None:
        return None
    m, n = x.shape[-2:]
    k = min(m, n)
    batch = int(np.prod(x.shape[:-2], dtype=np.int64))
    out = _copy_of(dev, bufs[0], x.size * 4 * e.words)
    piv = WebGPUBuffer(dev, batch * k * 4)
    perm = WebGPUBuffer(dev, batch * m * 4)
    if k and batch:
        wg, sub = panel_workgroup(dev, m), bool(dev.use_subgroups)
        leaf = _pipeline(dev, ("lu_panel", wg, sub, *e.key), lambda: _lu_panel_kernel(wg, sub, e), 0, 2)
        panel = min(LU_NB, block(dev, e))
        for j0 in range(0, k, panel):
            jb = min(panel, k - j0)
            _lu_panel(dev, leaf, out, piv, batch, m, n, k, j0, jb, e)
            r0 = j0 + jb
            if r0 < n:
                _trsm_unit_lower(dev, out, batch, n, m * n, j0, jb, r0, n - r0, e)
                _gemm(dev, out, (r0 * n + r0, n, m * n), batch, m - r0, n - r0, jb,
                      (r0 * n + j0, n, 1, m * n, False), (j0 * n + r0, n, 1, m * n, False), e=e)
    if m and batch:
        _permutation(dev, piv, perm, batch, k, m)
    return [out, piv, perm]


def panel_workgroup(dev, m: int) -> int:
    """The LU leaf's workgroup for m rows: 1024 invocations for tall panels where the GPU runs
    them (the rows spread over more invocations, each column's chain shorter), else 256: on a
    CPU adapter (where every barrier costs a sweep over the invocations), where the device
    allows no more, or for shorter panels (four rows an invocation at most)."""
    key = ("linalg_wgsl", "panel_wg")
    wg = dev._kernels.get(key)
    if wg is None:
        try:
            lims = dev.runtime.gpu.limits
            lim = min(int(lims.maxComputeInvocationsPerWorkgroup), int(lims.maxComputeWorkgroupSizeX))
        except Exception:  # no JS device behind the runtime: the guaranteed size
            lim = 256
        wg = dev._kernels[key] = 1024 if lim >= 1024 and not dev.runtime.cpu_adapter else 256
    return wg if m > 4 * 256 else min(wg, 256)


def _lu_panel(dev, leaf, out, piv, batch, m, n, kp, j0, jb, e=R32):
    """Columns [j0, j0 + jb), rows j0.. of each matrix factored in place with partial pivoting
    (rows swapped whole): LU_BASE columns by the leaf kernel, wider panels split in halves, the
    left half's U12 by a triangular solve and its update of the right half through gemm."""
    if jb <= LU_BASE:
        _per_group(dev, leaf, batch, [out.id, piv.id], LU_PRM,
                   batch * ((m - j0) * jb * jb + jb * n) * e.words ** 2, m=m, n=n, j0=j0, jb=jb, kp=kp)
        return
    jl = jb // 2
    r = j0 + jl
    _lu_panel(dev, leaf, out, piv, batch, m, n, kp, j0, jl, e)
    _trsm_unit_lower(dev, out, batch, n, m * n, j0, jl, r, j0 + jb - r, e)
    _gemm(dev, out, (r * n + r, n, m * n), batch, m - r, j0 + jb - r, jl,
          (r * n + j0, n, 1, m * n, False), (j0 * n + r, n, 1, m * n, False), e=e)
    _lu_panel(dev, leaf, out, piv, batch, m, n, kp, r, jb - jl, e)


def _trsm_unit_lower(dev, out, batch, ld, mat, t0, t, c0, nc, e=R32):
    """X = L^-1 X in place: L the unit lower triangle of order t <= NB at (t0, t0), X rows
    [t0, t0 + t) and columns [c0, c0 + nc) (right of L) of each matrix (mat elements apart)."""
    _trsv(dev, out, batch, nc, t, t0 * ld + t0, ld, 1, mat, t0 * ld + c0, 1, ld, mat, True, True, e=e)


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
