"""Complex factorisations on the wasm device: Cholesky, triangular solve and LU for complex64 and
complex128 (under jax_enable_x64), as WebAssembly routines beside the float ones of linalg.py.

The wasm device stores a complex array as numpy does: interleaved (re, im) pairs of float32 or
float64, so one v128 holds two complex64 elements or one complex128. The blocked drivers are
linalg.py's own (trsm_blocked, the Cholesky and LU drivers, the batch entries): they only compute
addresses (from the element size) and call kernels by name, so this module supplies complex
kernels under those names and reuses the drivers as they are:

- `gemm_nn/tn/nt`: C -= op(A) @ op(B) with SIMD, linalg.gemm_wat's loops (packing, tiles, edges)
  with this module's arithmetic (`ComplexTile`). Per register tile (MR rows x NV vectors) two
  accumulators per vector: acc_r += splat(a.re) * B and acc_i += splat(a.im) * B over k, then
  C -= acc_r + (swap(acc_i) ^ sign), with the sign bit on the real lanes for a * b and on the
  imaginary lanes for conj(a) * b; conj(B) is taken when B's columns are packed.
- the small diagonal blocks of the solves: `trsm_rows` (left solves, SIMD, the same
  two-accumulator sums), `trsm_dot` (right solves with transpose_a, Cholesky's panel: SIMD dot
  products) and `trsm` (the other right solves, scalar, any orientation through strides); the
  division by the diagonal is a product with its reciprocal (Smith's formula, as OpenBLAS
  precomputes it).
- `potf2`: Cholesky's diagonal block; the diagonal's imaginary part is not read (LAPACK's zpotrf
  and JAX ignore it), a diagonal that is not > 0 fails and the result is NaN below the diagonal.
- `getf2`: an LU panel with LAPACK's pivot: the first entry of largest |re| + |im| (icamax's
  measure, what JAX on CPU picks; a NaN counts as largest, as in the float kernel: OpenBLAS's
  choice among NaNs depends on its SIMD layout and is not reproduced).
- conjugation: linalg.py's drivers pass no conjugate_a, so the module keeps it in a global
  (`$conj`) that the kernels reading the triangle consult: transposed solves conjugate T there
  (and the gemm whose operand is T: A in gemm_tn, B in gemm_nt; Cholesky's L21 L21^H too).
  conj(T) X = B without a transpose is solved as T conj(X) = conj(B): X conjugated in place
  before and after.

The routines are linalg.py's (`routines`) over this module's kernels and entries; they register
over linalg.py's for cholesky, triangular_solve and lu and hand every other dtype on to them
(this module imports linalg.py, never the other way round). linalg.py's threaded drivers are
float only: complex runs on the calling thread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jaxlite._src.backends.wasm import linalg as L
from jaxlite._src.backends.wasm.assembler import assemble
from jaxlite._src.backends.wasm.device import WasmDevice
from jaxlite._src.backends.wasm.linalg import _Wat, _call, _ex, _if, _module, _set

# gemm's register tile: MR rows of NV vectors, two accumulators each: 8, as the float gemm keeps
# (1 or 4 rows measured no faster under wasmtime or in Node); NV is linalg.gemm_wat's strip width
MR = 2
NV = 2
SIGN = -2147483648  # an i32 lane with only the sign bit


@dataclass(frozen=True)
class CElem:
    """A complex element type: its part's scalar type and SIMD shape, complex elements per v128,
    log2 of its size (linalg.py's drivers read only `shift`), and the element mover laswp uses."""
    s: str
    v: str
    lanes: int
    shift: int
    mover: L.Elem

    @property
    def size(self) -> int:
        return 1 << self.shift

    @property
    def part(self) -> int:
        return self.size // 2

    @property
    def splat(self) -> str:
        return f"v128.load{8 * self.part}_splat"

    @property
    def move(self) -> str:
        return "i64" if self.size == 8 else "v128"

    def mask(self, imag: bool) -> str:
        """v128 constant with the sign bit of every real (or imaginary) part set."""
        if self.size == 8:
            lanes = [0, SIGN, 0, SIGN] if imag else [SIGN, 0, SIGN, 0]
        else:
            lanes = [0, 0, 0, SIGN] if imag else [0, SIGN, 0, 0]
        return "v128.const i32x4 " + " ".join(map(str, lanes))

    @property
    def swap(self) -> str:
        """i8x16.swizzle indices exchanging re and im of every element."""
        lanes = [0x07060504, 0x03020100, 0x0F0E0D0C, 0x0B0A0908] if self.size == 8 else \
            [0x0B0A0908, 0x0F0E0D0C, 0x03020100, 0x07060504]
        return "v128.const i32x4 " + " ".join(map(str, lanes))


# laswp moves a complex64 as one f64 (wasm loads and stores keep every bit, NaN payloads included)
C64 = CElem("f32", "f32x4", 2, 3, L.F64)
C128 = CElem("f64", "f64x2", 1, 4, L.Elem("v128", "v128", 1, 4))
CELEMS = {np.dtype(np.complex64): C64, np.dtype(np.complex128): C128}


# ---- scalar complex helpers ----------------------------------------------------------------------------------


def _load(w, t, ptr, r, i):
    w(f"local.get ${ptr}", f"{t.s}.load", f"local.set ${r}", f"local.get ${ptr}", f"{t.s}.load offset={t.part}",
      f"local.set ${i}")


def _load_at(w, t, ptr, r, i, *addr):
    """_load from the address of w.addr(*addr), kept in local ptr."""
    w.addr(*addr)
    w(f"local.set ${ptr}")
    _load(w, t, ptr, r, i)


def _store(w, t, ptr, r, i):
    w(f"local.get ${ptr}", f"local.get ${r}", f"{t.s}.store", f"local.get ${ptr}", f"local.get ${i}",
      f"{t.s}.store offset={t.part}")


def _conj_if_global(w, t, i):
    """i = -i when the module's $conj is set."""
    w(f"local.get ${i}", f"{t.s}.neg", f"local.get ${i}", "global.get $conj", "select", f"local.set ${i}")


def _msub(w, t, sr, si, ar, ai, br, bi):
    """(sr, si) -= (ar, ai) * (br, bi)."""
    s = t.s
    w(f"local.get ${sr}", f"local.get ${ar}", f"local.get ${br}", f"{s}.mul", f"local.get ${ai}", f"local.get ${bi}",
      f"{s}.mul", f"{s}.sub", f"{s}.sub", f"local.set ${sr}")
    w(f"local.get ${si}", f"local.get ${ar}", f"local.get ${bi}", f"{s}.mul", f"local.get ${ai}", f"local.get ${br}",
      f"{s}.mul", f"{s}.add", f"{s}.sub", f"local.set ${si}")


def _mul(w, t, sr, si, ar, ai, tmp):
    """(sr, si) *= (ar, ai)."""
    s = t.s
    w(f"local.get ${sr}", f"local.get ${ar}", f"{s}.mul", f"local.get ${si}", f"local.get ${ai}", f"{s}.mul",
      f"{s}.sub", f"local.set ${tmp}")
    w(f"local.get ${sr}", f"local.get ${ai}", f"{s}.mul", f"local.get ${si}", f"local.get ${ar}", f"{s}.mul",
      f"{s}.add", f"local.set ${si}", f"local.get ${tmp}", f"local.set ${sr}")


def _recip(w, t, cr, ci, outr, outi, r, den):
    """(outr, outi) = 1 / (cr, ci) by Smith's formula (no overflow of cr^2 + ci^2)."""
    s = t.s
    w(f"local.get ${cr}", f"{s}.abs", f"local.get ${ci}", f"{s}.abs", f"{s}.ge", "if")
    w(f"local.get ${ci}", f"local.get ${cr}", f"{s}.div", f"local.set ${r}",
      f"local.get ${cr}", f"local.get ${ci}", f"local.get ${r}", f"{s}.mul", f"{s}.add", f"local.set ${den}",
      f"{s}.const 1", f"local.get ${den}", f"{s}.div", f"local.set ${outr}",
      f"local.get ${r}", f"local.get ${den}", f"{s}.div", f"{s}.neg", f"local.set ${outi}")
    w("else")
    w(f"local.get ${cr}", f"local.get ${ci}", f"{s}.div", f"local.set ${r}",
      f"local.get ${cr}", f"local.get ${r}", f"{s}.mul", f"local.get ${ci}", f"{s}.add", f"local.set ${den}",
      f"local.get ${r}", f"local.get ${den}", f"{s}.div", f"local.set ${outr}",
      f"{s}.const -1", f"local.get ${den}", f"{s}.div", f"local.set ${outi}")
    w("end")


def _fma(w, t, fma, acc, x, y):
    """acc += x * y (vectors in locals)."""
    if fma:
        w(f"local.get ${x}", f"local.get ${y}", f"local.get ${acc}", f"{t.v}.relaxed_madd", f"local.set ${acc}")
    else:
        w(f"local.get ${acc}", f"local.get ${x}", f"local.get ${y}", f"{t.v}.mul", f"{t.v}.add", f"local.set ${acc}")


def _combine(w, acc_r, acc_i):
    """Pushes acc_r + (swap(acc_i) ^ $sgn): the sums' complex products."""
    w(f"local.get ${acc_r}", f"local.get ${acc_i}", "local.get $swp", "i8x16.swizzle", "local.get $sgn", "v128.xor")


def _masks(w, t, conj: bool):
    """$swp and $sgn (the sign on the real lanes, or on the imaginary ones where $conj is set and
    this kernel conjugates)."""
    w(t.swap, "local.set $swp")
    if conj:
        w("global.get $conj", "if", t.mask(True), "local.set $sgn", "else", t.mask(False), "local.set $sgn", "end")
    else:
        w(t.mask(False), "local.set $sgn")


# ---- kernels ------------------------------------------------------------------------------------------------


class ComplexTile(L.RealTile):
    """linalg.gemm_wat's arithmetic for complex elements: per vector of the tile two accumulators,
    acc_r += splat(a.re) * B and acc_i += splat(a.im) * B, combined as C -= acc_r + (swap(acc_i) ^
    sign); with $conj set, gemm_tn conjugates A (the sign) and gemm_nt B (when it is packed)."""
    rows = MR
    extra_i32 = ("ap",)

    def __init__(self, t: CElem, fma: bool, trans_a: bool, trans_b: bool):
        super().__init__(t, fma)
        self.align, self.move = t.part, t.move
        self.conj_a, self.conj_b = trans_a and not trans_b, trans_b and not trans_a

    def setup(self, w):
        t = self.t
        _masks(w, t, self.conj_a)
        if self.conj_b:
            w(t.mask(True), "v128.const i32x4 0 0 0 0", "global.get $conj", "select", "local.set $bm")

    def scalar_cell(self, w):
        t = self.t
        _load_at(w, t, "cp", "sr", "si", "c", "i2", "ldc", "j2", None)

        def step():
            _load_at(w, t, "ap", "ar", "ai", "a", "i2", "sa1", "p", "sa2")
            _load_at(w, t, "bp", "br", "bi", "b", "p", "sb1", "j2", "sb2")
            if self.conj_a:
                _conj_if_global(w, t, "ai")
            if self.conj_b:
                _conj_if_global(w, t, "bi")
            _msub(w, t, "sr", "si", "ar", "ai", "br", "bi")
        w.loop("p", "i32.const 0", "local.get $k", step)
        _store(w, t, "cp", "sr", "si")

    def packed_row(self, w):
        if self.conj_b:
            for off in (0, 16):
                w("local.get $pk", "local.get $pk", f"v128.load offset={off}", "local.get $bm", "v128.xor",
                  f"v128.store offset={off}")

    def zero(self, w):
        for r in range(MR):
            for h in range(NV):
                w("v128.const i32x4 0 0 0 0", f"local.tee $r{r}{h}", f"local.set $i{r}{h}")

    def row_step(self, w, r, ptr, off):
        t = self.t
        w(f"local.get ${ptr}", f"{t.splat} offset={off}", "local.set $xr",
          f"local.get ${ptr}", f"{t.splat} offset={off + t.part}", "local.set $xi")
        for h in range(NV):
            _fma(w, t, self.fma, f"r{r}{h}", "xr", f"b{h}")
            _fma(w, t, self.fma, f"i{r}{h}", "xi", f"b{h}")

    def store_row(self, w, r):
        w("local.set $cp")
        for h in range(NV):
            w("local.get $cp", "local.get $cp", f"v128.load offset={16 * h} align={self.t.part}")
            _combine(w, f"r{r}{h}", f"i{r}{h}")
            w(f"{self.t.v}.add", f"{self.t.v}.sub", f"v128.store offset={16 * h} align={self.t.part}")

    def locals_(self):
        s = self.t.s
        return ([(x, s) for x in ("sr", "si", "ar", "ai", "br", "bi")]
                + [(x, "v128") for x in ("xr", "xi", "swp", "sgn", "bm")] + [(f"b{h}", "v128") for h in range(NV)]
                + [(f"{c}{r}{h}", "v128") for c in "ri" for r in range(MR) for h in range(NV)])


def gemm_sub_wat(trans_a: bool, trans_b: bool, fma: bool, name: str, t: CElem) -> str:
    """kernel(a, b, c, scratch, n, k, lda, ldb, ldc, r0, r1) as linalg.gemm_sub_wat for complex
    elements: C[i, :] -= op(A)[i, :] @ op(B) for rows i in [r0, r1); with $conj set, gemm_tn
    conjugates A and gemm_nt B (the triangle or L in the drivers that call them)."""
    return L.gemm_wat(trans_a, trans_b, name, t, ComplexTile(t, fma, trans_a, trans_b))


def _rows_of_step(w):
    """i = fwd ? step : n - 1 - step; the solved rows p are [plo, phi) = [0, i) or (i, n)."""
    w("local.get $step", "local.get $n", "i32.const 1", "i32.sub", "local.get $step", "i32.sub",
      "local.get $fwd", "select", "local.set $i")
    w("i32.const 0", "local.get $i", "i32.const 1", "i32.add", "local.get $fwd", "select", "local.set $plo")
    w("local.get $i", "local.get $n", "local.get $fwd", "select", "local.set $phi")


def _diag_recip(w, t):
    """(ir, ii) = 1 / op(T)[i, i] (conjugated with $conj)."""
    _load_at(w, t, "tp", "dr", "di", "t", "i", "t1", "i", "t2")
    _conj_if_global(w, t, "di")
    _recip(w, t, "dr", "di", "ir", "ii", "rr", "den")


def _solve_cell(w, t, own, other, other_addr, lo="plo", recip=False, loaded=False):
    """X[i, c] (at the address in local `own`, or in (sr, si) already where loaded) minus the sum
    over the solved rows p in [lo, phi) of op(T)[i, p] X[p, c] (T conjugated with $conj;
    other_addr() pushes X[p, c]'s address, kept in local `other`), times the diagonal's reciprocal
    unless unit (computed here with recip)."""
    if not loaded:
        _load(w, t, own, "sr", "si")

    def term():
        _load_at(w, t, "tp", "ar", "ai", "t", "i", "t1", "p", "t2")
        _conj_if_global(w, t, "ai")
        other_addr()
        w(f"local.set ${other}")
        _load(w, t, other, "br", "bi")
        _msub(w, t, "sr", "si", "ar", "ai", "br", "bi")
    w.loop("p", f"local.get ${lo}", "local.get $phi", term)
    w("local.get $unit", "i32.eqz", "if")
    if recip:
        _diag_recip(w, t)
    _mul(w, t, "sr", "si", "ir", "ii", "tmp")
    w("end")
    _store(w, t, own, "sr", "si")


_SCALAR_LOCALS = ("sr", "si", "ar", "ai", "br", "bi", "dr", "di", "ir", "ii", "rr", "den", "tmp")


def trsm_wat(name: str, t: CElem) -> str:
    """kernel(t, x, n, k, t1, t2, x1, x2, fwd, unit) as linalg.trsm_wat for complex elements
    (op(T)[i, p] = t[i * t1 + p * t2], conjugated with $conj), scalar."""
    w = _Wat(t)

    def row():
        _rows_of_step(w)
        w("local.get $unit", "i32.eqz", "if")
        _diag_recip(w, t)
        w("end")

        def col():
            w.addr("x", "i", "x1", "c", "x2")
            w("local.set $xp")
            _solve_cell(w, t, "xp", "q", lambda: w.addr("x", "p", "x1", "c", "x2"))
        w.loop("c", "i32.const 0", "local.get $k", col)
    w.loop("step", "i32.const 0", "local.get $n", row)
    return w.func(name, ["t", "x", "n", "k", "t1", "t2", "x1", "x2", "fwd", "unit"],
                  [(v, "i32") for v in ("step", "i", "c", "p", "plo", "phi", "xp", "tp", "q")]
                  + [(v, t.s) for v in _SCALAR_LOCALS])


def trsm_dot_wat(name: str, t: CElem, fma: bool = False) -> str:
    """(t, x, n, k, ldt, ldx, fwd, unit) as linalg.trsm_dot_wat for complex elements (op(T)[i, p] =
    t[i * ldt + p], conjugated with $conj; X[i, c] = x[c * ldx + i]: Cholesky's panel): each sum
    over p as a SIMD dot product in two accumulators, t * x (lanes tr xr, ti xi) and t * swap(x)
    (tr xi, ti xr), whose lanes' signed sums are the real and imaginary parts."""
    w = _Wat(t)
    s, v = t.s, t.v
    w(t.swap, "local.set $swp")
    # conj(t) x: re = tr xr + ti xi, im = tr xi - ti xr; t x: re = tr xr - ti xi, im = tr xi + ti xr
    w(t.mask(True), "v128.const i32x4 0 0 0 0", "global.get $conj", "select", "local.set $m2",
      "v128.const i32x4 0 0 0 0", t.mask(True), "global.get $conj", "select", "local.set $m1")
    w("local.get $ldt", "local.set $t1", "i32.const 1", "local.set $t2")

    def hsum(acc, mask):
        w(f"local.get ${acc}", f"local.get ${mask}", "v128.xor", f"local.set ${acc}")
        for lane in range(16 // t.part):
            w(f"local.get ${acc}", f"{v}.extract_lane {lane}")
            if lane:
                w(f"{s}.add")

    def row_of_x():
        _set(w, "xr", "x", "c", "ldx", ["i32.mul", f"i32.const {t.shift}", "i32.shl", "i32.add"])

        def elem():
            _rows_of_step(w)
            _set(w, "ti", "t", "i", "ldt", ["i32.mul", f"i32.const {t.shift}", "i32.shl", "i32.add"])
            _set(w, "p4", "phi", "phi", "plo", ["i32.sub", f"i32.const {t.lanes - 1}", "i32.and", "i32.sub"])
            w("v128.const i32x4 0 0 0 0", "local.tee $a1", "local.set $a2")

            def vec():
                _set(w, "tp", "ti", "p", [f"i32.const {t.shift}", "i32.shl", "i32.add"])
                _set(w, "q", "xr", "p", [f"i32.const {t.shift}", "i32.shl", "i32.add"])
                w("local.get $tp", f"v128.load align={t.part}", "local.set $tv",
                  "local.get $q", f"v128.load align={t.part}", "local.tee $xv", "local.get $swp", "i8x16.swizzle",
                  "local.set $xs")
                _fma(w, t, fma, "a1", "tv", "xv")
                _fma(w, t, fma, "a2", "tv", "xs")
            w.loop("p", "local.get $plo", "local.get $p4", vec, step=f"i32.const {t.lanes}")
            _set(w, "xp", "xr", "i", [f"i32.const {t.shift}", "i32.shl", "i32.add"])
            _load(w, t, "xp", "sr", "si")
            w("local.get $sr")
            hsum("a1", "m1")
            w(f"{s}.sub", "local.set $sr", "local.get $si")
            hsum("a2", "m2")
            w(f"{s}.sub", "local.set $si")
            _solve_cell(w, t, "xp", "q", lambda: w(*_ex("xr", "p", [f"i32.const {t.shift}", "i32.shl", "i32.add"])),
                        lo="p4", recip=True, loaded=True)
        w.loop("step", "i32.const 0", "local.get $n", elem)
    w.loop("c", "i32.const 0", "local.get $k", row_of_x)
    return w.func(name, ["t", "x", "n", "k", "ldt", "ldx", "fwd", "unit"],
                  [(x, "i32") for x in ("t1", "t2", "c", "step", "i", "p", "p4", "plo", "phi", "xr", "ti", "xp", "tp",
                                        "q")]
                  + [(x, s) for x in _SCALAR_LOCALS]
                  + [(x, "v128") for x in ("swp", "m1", "m2", "a1", "a2", "tv", "xv", "xs")])


def trsm_rows_wat(name: str, t: CElem, fma: bool = False) -> str:
    """kernel(t, x, n, k, t1, t2, ldx, fwd, unit) as linalg.trsm_rows_wat for complex elements: for
    each vector of row i's columns the sum over the solved rows p of T[i, p] X[p, c] in two
    accumulators, then (x - sum) times the diagonal's reciprocal."""
    w = _Wat(t)
    s, v = t.s, t.v
    _masks(w, t, True)
    w(t.mask(False), "local.set $rm")
    w("local.get $k", "local.get $k", f"i32.const {t.lanes}", "i32.rem_s", "i32.sub", "local.set $k4")

    def row():
        _rows_of_step(w)
        _set(w, "xi", "x", "i", "ldx", ["i32.mul", f"i32.const {t.shift}", "i32.shl", "i32.add"])
        w("local.get $unit", "i32.eqz", "if")
        _diag_recip(w, t)
        w("local.get $ir", f"{v}.splat", "local.set $irv", "local.get $ii", f"{v}.splat", "local.set $iiv")
        w("end")

        def vec():
            w("v128.const i32x4 0 0 0 0", "local.tee $ar4", "local.set $ai4")

            def term():
                w.addr("t", "i", "t1", "p", "t2")
                w("local.tee $tp", f"{t.splat}", "local.set $tr4", "local.get $tp", f"{t.splat} offset={t.part}",
                  "local.set $ti4")
                w.addr("x", "p", "ldx", "c", None)
                w(f"v128.load align={t.part}", "local.set $xv")
                _fma(w, t, fma, "ar4", "tr4", "xv")
                _fma(w, t, fma, "ai4", "ti4", "xv")
            w.loop("p", "local.get $plo", "local.get $phi", term)
            _set(w, "q", "xi", "c", [f"i32.const {t.shift}", "i32.shl", "i32.add"])
            w("local.get $q", f"v128.load align={t.part}")
            _combine(w, "ar4", "ai4")
            w(f"{v}.add", f"{v}.sub", "local.set $xv")
            w("local.get $unit", "i32.eqz", "if")
            w("local.get $xv", "local.get $irv", f"{v}.mul", "local.get $xv", "local.get $swp", "i8x16.swizzle",
              "local.get $rm", "v128.xor", "local.get $iiv", f"{v}.mul", f"{v}.add", "local.set $xv")
            w("end")
            w("local.get $q", "local.get $xv", f"v128.store align={t.part}")

        def one():
            _set(w, "q", "xi", "c", [f"i32.const {t.shift}", "i32.shl", "i32.add"])
            _solve_cell(w, t, "q", "xp", lambda: w.addr("x", "p", "ldx", "c", None))
        w.loop("c", "i32.const 0", "local.get $k4", vec, step=f"i32.const {t.lanes}")
        w.loop("c", "local.get $k4", "local.get $k", one)
    w.loop("step", "i32.const 0", "local.get $n", row)
    return w.func(name, ["t", "x", "n", "k", "t1", "t2", "ldx", "fwd", "unit"],
                  [(x, "i32") for x in ("step", "i", "c", "p", "plo", "phi", "xi", "xp", "tp", "q", "k4")]
                  + [(x, s) for x in _SCALAR_LOCALS]
                  + [(x, "v128") for x in ("swp", "sgn", "rm", "irv", "iiv", "ar4", "ai4", "tr4", "ti4", "xv")])


def potf2_wat(name: str, t: CElem) -> str:
    """kernel(a, n, lda) -> 1, or 0 where the block is not positive definite: the lower Cholesky
    factor (L L^H) of the n x n block in place, column by column; the diagonal's imaginary part is
    not read and is written as 0, as LAPACK's zpotf2 does."""
    w = _Wat(t)
    s = t.s
    w(f"{s}.const 1", "local.set $d")

    def column():
        def rowi():
            _load_at(w, t, "ap", "sr", "si", "a", "i", "lda", "j", None)

            def term():  # s -= A[i, p] conj(A[j, p])
                _load_at(w, t, "xp", "ar", "ai", "a", "i", "lda", "p", None)
                _load_at(w, t, "xp", "br", "bi", "a", "j", "lda", "p", None)
                w("local.get $bi", f"{s}.neg", "local.set $bi")
                _msub(w, t, "sr", "si", "ar", "ai", "br", "bi")
            w.loop("p", "i32.const 0", "local.get $j", term)
            w("local.get $i", "local.get $j", "i32.eq", "if")
            # a NaN goes on as NaN (the float kernel's s <= 0 test)
            w("local.get $sr", f"{s}.const 0", f"{s}.le", "if", "i32.const 0", "return", "end")
            w("local.get $sr", f"{s}.sqrt", "local.set $d", f"{s}.const 0", "local.set $si")
            _store(w, t, "ap", "d", "si")
            w("else")
            w("local.get $sr", "local.get $d", f"{s}.div", "local.set $sr",
              "local.get $si", "local.get $d", f"{s}.div", "local.set $si")
            _store(w, t, "ap", "sr", "si")
            w("end")
        w.loop("i", "local.get $j", "local.get $n", rowi)
    w.loop("j", "i32.const 0", "local.get $n", column)
    w("i32.const 1")
    return w.func(name, ["a", "n", "lda"], [(x, "i32") for x in ("i", "j", "p", "ap", "xp")]
                  + [(x, s) for x in ("sr", "si", "ar", "ai", "br", "bi", "d")], result="i32")


def getf2_wat(name: str, t: CElem) -> str:
    """kernel(a, m, n, lda, piv, base): LU with partial pivoting of an m x n panel in place; the
    pivot is the first entry of largest |re| + |im| (LAPACK's icamax, JAX's choice on CPU; NaN
    counts as largest), a zero pivot leaves its column unscaled, the others are scaled by the
    pivot's reciprocal; piv[j] = base + the pivot row."""
    s = t.s

    def cabs1(w):
        w("local.tee $ap", f"{s}.load", f"{s}.abs", "local.get $ap", f"{s}.load offset={t.part}", f"{s}.abs",
          f"{s}.add")

    def eliminate(w):
        _load_at(w, t, "ap", "dr", "di", "a", "j", "lda", "j", None)
        w("local.get $dr", f"{s}.const 0", f"{s}.ne", "local.get $di", f"{s}.const 0", f"{s}.ne", "i32.or",
          "local.tee $nz", "if")
        _recip(w, t, "dr", "di", "ir", "ii", "rr", "den")
        w("end")

        def below():
            _load_at(w, t, "ap", "ar", "ai", "a", "i", "lda", "j", None)
            w("local.get $nz", "if")
            _mul(w, t, "ar", "ai", "ir", "ii", "tmp")
            _store(w, t, "ap", "ar", "ai")
            w("end")

            def update():  # A[i, c] -= l A[j, c]
                _load_at(w, t, "ap", "sr", "si", "a", "i", "lda", "c", None)
                _load_at(w, t, "bp", "br", "bi", "a", "j", "lda", "c", None)
                _msub(w, t, "sr", "si", "ar", "ai", "br", "bi")
                _store(w, t, "ap", "sr", "si")
            w("local.get $j", "i32.const 1", "i32.add", "local.set $c0")
            w.loop("c", "local.get $c0", "local.get $n", update)
        w.loop("i", "local.get $i0", "local.get $m", below)
    return L.getf2_loops_wat(name, t, cabs1, t.move, eliminate, ("nz",), _SCALAR_LOCALS + ("best", "v"))


def laswp_wat(name: str, t: CElem) -> str:
    """linalg.laswp_wat over elements of the complex size (rows swapped as bytes)."""
    return L.laswp_wat(name, t.mover)


def triangle_wat(name: str, t: CElem) -> str:
    """kernel(a, n, nan_lower): zero the strict upper triangle; with nan_lower fill the lower one
    (diagonal included) with nan + nanj: JAX's result for a failed Cholesky."""
    w = _Wat(t)
    s = t.s

    def cell():
        w.addr("a", "i", "n", "j", None)
        w("local.set $ap", "local.get $j", "local.get $i", "i32.gt_s", "if", f"{s}.const 0", "local.tee $v",
          "local.set $u")
        _store(w, t, "ap", "v", "u")
        w("else", "local.get $nan", "if", f"{s}.const nan", "local.tee $v", "local.set $u")
        _store(w, t, "ap", "v", "u")
        w("end", "end")
    w.loop("i", "i32.const 0", "local.get $n", lambda: w.loop("j", "i32.const 0", "local.get $n", cell))
    return w.func(name, ["a", "n", "nan"], [("i", "i32"), ("j", "i32"), ("ap", "i32"), ("v", s), ("u", s)])


def symm_wat(name: str, t: CElem) -> str:
    """kernel(a, out, n): the lower triangle of out = (a + a^H) / 2 in linalg.symm_wat's tiles (a^H's
    column reads stay in cache), the strict upper triangle left unwritten as there."""
    w = _Wat(t)
    s = t.s

    def cell():  # (x + conj(y)) * 0.5 rounds as JAX's (x + y^H) / 2
        w.addr("a", "i", "n", "j", None)
        w("local.set $pr")
        w.addr("a", "j", "n", "i", None)
        w("local.set $pc")
        w.addr("out", "i", "n", "j", None)
        w("local.get $pr", f"{s}.load", "local.get $pc", f"{s}.load", f"{s}.add", f"{s}.const 0.5",
          f"{s}.mul", f"{s}.store")
        w.addr("out", "i", "n", "j", None)
        w("local.get $pr", f"{s}.load offset={t.part}", "local.get $pc", f"{s}.load offset={t.part}",
          f"{s}.sub", f"{s}.const 0.5", f"{s}.mul", f"{s}.store offset={t.part}")
    L.symm_tiles(w, lambda: w.loop("j", "local.get $jb", "local.get $je", cell))
    return w.func(name, ["a", "out", "n"], [(x, "i32") for x in ("ib", "ie", "jb", "je", "i", "j", "pr", "pc")])


def conj_wat(name: str, t: CElem) -> str:
    """kernel(x, count): x = conj(x) in place for count elements (the imaginary parts' sign bits)."""
    w = _Wat(t)
    _set(w, "end", "x", "count", [f"i32.const {t.shift}", "i32.shl", "i32.add"])
    w.loop("p", "local.get $x", "local.get $end", lambda: w(
        "local.get $p", "local.get $p", f"{t.s}.load offset={t.part}", f"{t.s}.neg", f"{t.s}.store offset={t.part}"),
        step=f"i32.const {t.size}")
    return w.func(name, ["x", "count"], [("end", "i32"), ("p", "i32")])


# ---- entries: $conj set for the drivers, whole batches in one call ---------------------------------------------


def ctrsm_batch_wat(name: str, t: CElem) -> str:
    """(t, x, n, rows, cols, left, lower, trans, conj, unit, batch, scratch): linalg's trsm_batch
    with conjugate_a; conj(T) X = B (no transpose) as T conj(X) = conj(B)."""
    w = _Wat(t)
    _set(w, "plain", "conj", "trans", ["i32.eqz", "i32.and"])
    _set(w, "count", "rows", "cols", ["i32.mul"], "batch", ["i32.mul"])
    _if(w, "plain", lambda: _call(w, "conj", "x", "count"))
    w("local.get $conj", "local.get $plain", "i32.eqz", "i32.and", "global.set $conj")
    _call(w, "trsm_batch", "t", "x", "n", "rows", "cols", "left", "lower", "trans", "unit", "batch", "scratch")
    _if(w, "plain", lambda: _call(w, "conj", "x", "count"))
    return w.func(name, ["t", "x", "n", "rows", "cols", "left", "lower", "trans", "conj", "unit", "batch", "scratch"],
                  [("plain", "i32"), ("count", "i32")])


def cchol_batch_wat(name: str, t: CElem) -> str:
    """(a, n, batch, scratch): linalg's chol_batch with $conj set (L21 = A21 L11^-H, A22 -= L21 L21^H)."""
    w = _Wat(t)
    w("i32.const 1", "global.set $conj")
    _call(w, "chol_batch", "a", "n", "batch", "scratch")
    return w.func(name, ["a", "n", "batch", "scratch"], [])


def clu_batch_wat(name: str, t: CElem) -> str:
    """(a, m, n, piv, batch, scratch): linalg's lu_batch, no conjugation."""
    w = _Wat(t)
    w("i32.const 0", "global.set $conj")
    _call(w, "lu_batch", "a", "m", "n", "piv", "batch", "scratch")
    return w.func(name, ["a", "m", "n", "piv", "batch", "scratch"], [])


_FUNCS = {"trsm": trsm_wat, "potf2": potf2_wat, "getf2": getf2_wat, "laswp": laswp_wat,
          "triangle": triangle_wat, "symm": symm_wat, "conj": conj_wat, "ctrsm_batch": ctrsm_batch_wat,
          "cchol_batch": cchol_batch_wat, "clu_batch": clu_batch_wat,
          # linalg.py's drivers, generated for the complex element size
          "trsm_blocked": L.trsm_blocked_wat, "chol": L.chol_wat, "chol_outer": L.chol_outer_wat,
          "chol_inner": L.chol_inner_wat, "lu_panel": L.lu_panel_wat, "lu": L.lu_wat}


def linalg_module(export: str, fma: bool, shared: bool, t: CElem) -> str:
    """The module of `export` and the functions it calls, for complex elements of type t."""
    funcs = {name: fn(name, t) for name, fn in _FUNCS.items()}
    funcs.update({name: fn(name) for name, fn in L._entries(t).items()})
    funcs["trsm_rows"] = trsm_rows_wat("trsm_rows", t, fma)
    funcs["trsm_dot"] = trsm_dot_wat("trsm_dot", t, fma)
    state = "  (global $conj (mut i32) (i32.const 0))\n"
    return _module(shared, [state] + L.linked(funcs, export, lambda ta, tb, name: gemm_sub_wat(ta, tb, fma, name, t)),
                   export)


def _kernel(dev, name, t: CElem):
    fma, shared = dev.runtime.relaxed_simd, dev.runtime.shared
    return dev.compile_cached(("linalg_complex", name, fma, shared, t.s),
                              lambda: dev.runtime.instantiate(assemble(linalg_module(name, fma, shared, t))))


# ---- the primitives' routines: linalg.py's, over this module's kernels ----------------------------------


_ROUTINES = L.routines(L.Family(CELEMS, _kernel, chol="cchol_batch", trsm="ctrsm_batch", lu="clu_batch", conj=True,
                                threads=False))


def _complex_first(name, routine):
    """linalg.py's routine for `name`, with complex dtypes taken here first: this module registers
    after linalg.py (it imports it), so linalg.py needs no import of it (one direction only)."""
    real = WasmDevice.prim_routines[name]

    def run(dev, bufs, in_avals, params, out_avals):
        out = routine(dev, bufs, in_avals, params, out_avals)
        return real(dev, bufs, in_avals, params, out_avals) if out is None else out
    return run


WasmDevice.prim_routines.update({name: _complex_first(name, routine) for name, routine in _ROUTINES.items()})
