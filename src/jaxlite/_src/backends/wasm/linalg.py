"""Factorisations on the wasm device: Cholesky, triangular solve, LU (and LU's pivots as a
permutation) as routines in `WasmDevice.prim_routines`, so that eager calls and jit plans run them
in the device's memory instead of as host fallbacks (numpy's lapack-lite in Pyodide is unblocked
and scalar).

The algorithms are blocked and right-looking over views (pointer, leading dimension) of matrices
in the linear memory. Every O(n^3) part goes through one strided SIMD kernel, `gemm_sub`
(C -= op(A) @ op(B) in MR x 8 register tiles: op(B) packed NC columns at a time as 8-column
strips, then each row tile of A runs against every strip, so that A's rows stay in L1 instead of
being re-read from L2 once per strip: 1.3-1.5x the earlier strip-at-a-time order at Cholesky's
update shape in Pyodide); the O(n^2 nb) parts are small kernels: `symm` (the symmetrised copy
(x + x^T) / 2 that cholesky_p(symmetrize_input=True) factors, read in tiles), `potf2`
(Cholesky's diagonal block), `trsm_rows` (SIMD, left solves), `trsm_dot` (SIMD, right solves
with transpose_a, Cholesky's panel), `trsm` (the other right solves, scalar, any orientation
through strides), `getf2` (an LU panel of PANEL_BASE columns with partial pivoting: the first
entry of largest magnitude, as LAPACK and the cpu kernel choose), `laswp` (a panel's row swaps
on the other columns, SIMD), `perm` (pivots to a permutation), `triangle` (Cholesky's zero
upper triangle, or NaN where the matrix is not positive definite, as JAX returns). The drivers
(blocked trsm, Cholesky, LU with its recursive panel) are WebAssembly functions too, so that a
whole batch is one host call: a call from Python costs tens of microseconds (more under
wasmtime), and a blocked factorisation makes hundreds. Where the runtime has worker threads,
the same drivers share each big gemm's rows with the workers from inside WebAssembly (`pgemm`:
the workers wait on a control block in the shared memory; no host call per gemm).
float32 and float64 (under jax_enable_x64): every generator takes the element type (`Elem`:
f32x4 or f64x2 vectors, 4- or 8-byte elements) and each dtype gets its own module; gemm's register
tile is MR rows of two vectors either way (8 float32 columns, 4 float64), so that both keep 8
accumulators in registers. Other dtypes return None: complex64/complex128 are taken first by
linalg_complex.py (complex kernels under these drivers: gemm_wat's, getf2_loops_wat's and
symm_tiles' loops take the complex arithmetic as callbacks, and `routines` take its entries),
the rest run on the host (counted).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np

from jaxlite._src.backends.wasm.assembler import assemble
from jaxlite._src.backends.wasm.device import WasmBuffer, WasmDevice
from jaxlite._src.backends.wasm.render import memory_import
from jaxlite._src.kernel import ir

MR = 4    # rows of gemm's register tile: 8 accumulators (6 rows, 12, measured slower in V8: registers)
NB = 64   # Cholesky's block: gemm's k (its speed) grows with it, and so does the diagonal work (128: slower)
LEFT_NB = 64     # diagonal blocks of left solves (SIMD trsm_rows), the rest is gemm
NB_INNER = 32    # Cholesky's diagonal blocks, factored in blocks of this by the scalar potf2
LU_NB = 192      # LU's outer block: its panel is factored recursively
PANEL_BASE = 8   # panel width that getf2 factors
TRSM_NB = 16     # diagonal blocks of right solves (trsm_dot or trsm), the rest is gemm
KU = 4    # gemm's k unrolling when A's rows are contiguous
NC = 256  # gemm's columns packed at once: a row tile of A stays in L1 across their strips
SYMM_TILE = 16   # tiles of the symmetrising copy: a^T's column reads (lines 4n bytes apart, one L1 set) stay in L1


@dataclass(frozen=True)
class Elem:
    """The element type a module is generated for: its scalar type, its SIMD shape and lanes per
    v128, and log2 of its size (an element's address is base + index << shift)."""
    s: str
    v: str
    lanes: int
    shift: int

    @property
    def size(self) -> int:
        return 1 << self.shift

    @property
    def splat(self) -> str:
        return f"v128.load{8 * self.size}_splat"


F32 = Elem("f32", "f32x4", 4, 2)
F64 = Elem("f64", "f64x2", 2, 3)
ELEMS = {np.dtype(np.float32): F32, np.dtype(np.float64): F64}


class _Wat:
    """Flat WAT lines with structured loops (the assembler takes no folded instructions)."""

    def __init__(self, t: Elem = F32):
        self.lines: list[str] = []
        self.n = 0
        self.t = t

    def __call__(self, *ins: str) -> None:
        self.lines.extend(ins)

    def loop(self, var, start, stop, body, step="i32.const 1"):
        """for var in range(start, stop): start, stop and step are instruction strings."""
        self.n += 1
        lab = self.n
        self(start, f"local.set ${var}", f"block $x{lab}", f"loop $l{lab}",
             f"local.get ${var}", stop, "i32.ge_s", f"br_if $x{lab}")
        body()
        self(f"local.get ${var}", step, "i32.add", f"local.set ${var}", f"br $l{lab}", "end", "end")

    def addr(self, base, i, s1, j, s2):
        """base + (i * s1 + j * s2) * element size for locals (s1/s2 locals or None for 1)."""
        self(f"local.get ${base}", f"local.get ${i}")
        if s1:
            self(f"local.get ${s1}", "i32.mul")
        self(f"local.get ${j}")
        if s2:
            self(f"local.get ${s2}", "i32.mul")
        self("i32.add", f"i32.const {self.t.shift}", "i32.shl", "i32.add")

    def func(self, name, params, locals_, result=None):
        body = "\n".join("    " + line for line in self.lines)
        res = f"(result {result})" if result else ""
        return (f"  (func ${name} " + " ".join(f"(param ${p} i32)" for p in params) + f" {res}\n    "
                + " ".join(f"(local ${n} {t})" for n, t in locals_) + "\n" + body + ")\n")


def _module(shared: bool, funcs, export: str, globals_: str = "") -> str:
    """One module of functions that call each other; `export` is the one the runtime calls."""
    return f"(module\n  {memory_import(shared)}\n{globals_}{''.join(funcs)}  (export \"kernel\" (func ${export})))\n"


# ---- kernels -------------------------------------------------------------------------------------------


def _dot_sub(w, t: Elem, lo, hi, a, b):
    """$s -= the sum over p in [lo, hi) of a[p] b[p]: a and b are _Wat.addr's arguments, p among them."""
    def term():
        w("local.get $s")
        w.addr(*a)
        w(f"{t.s}.load")
        w.addr(*b)
        w(f"{t.s}.load", f"{t.s}.mul", f"{t.s}.sub", "local.set $s")
    w.loop("p", lo, hi, term)


class RealTile:
    """What gemm_wat's skeleton does for real elements: one accumulator per vector of the tile's
    MR x 2 vectors, C -= acc at the end. linalg_complex.py's ComplexTile is the complex one."""
    rows = MR
    extra_i32: tuple[str, ...] = ()

    def __init__(self, t: Elem, fma: bool):
        self.t, self.fma = t, fma
        self.align, self.move = t.size, t.s   # the aligns of op(B)'s loads; what packs one element

    def setup(self, w) -> None:
        pass

    def scalar_cell(self, w) -> None:  # C[i2, j2] -= sum_p op(A)[i2, p] op(B)[p, j2]
        ty = self.t.s
        w.addr("c", "i2", "ldc", "j2", None)
        w("local.tee $cp", f"{ty}.load", "local.set $s")
        _dot_sub(w, self.t, "i32.const 0", "local.get $k", ("a", "i2", "sa1", "p", "sa2"),
                 ("b", "p", "sb1", "j2", "sb2"))
        w("local.get $cp", "local.get $s", f"{ty}.store")

    def packed_row(self, w) -> None:
        pass

    def zero(self, w) -> None:
        for r in range(self.rows):
            for h in range(2):
                w("v128.const i32x4 0 0 0 0", f"local.set $acc{r}{h}")

    def row_step(self, w, r, ptr, off) -> None:  # acc[r] += op(A)[i + r, p] op(B)[p, j:j+NR]
        t = self.t
        w(f"local.get ${ptr}", f"{t.splat} offset={off}", "local.set $av")
        for h in range(2):
            if self.fma:
                w("local.get $av", f"local.get $b{h}", f"local.get $acc{r}{h}", f"{t.v}.relaxed_madd")
            else:
                w(f"local.get $acc{r}{h}", "local.get $av", f"local.get $b{h}", f"{t.v}.mul", f"{t.v}.add")
            w(f"local.set $acc{r}{h}")

    def store_row(self, w, r) -> None:  # C[i + r, j:j+NR] -= acc[r], C's address on the stack
        sz, vt = self.t.size, self.t.v
        w("local.tee $cp", "local.get $cp", f"v128.load align={sz}", f"local.get $acc{r}0", f"{vt}.sub",
          f"v128.store align={sz}",
          "local.get $cp", "local.get $cp", f"v128.load offset=16 align={sz}", f"local.get $acc{r}1", f"{vt}.sub",
          f"v128.store offset=16 align={sz}")

    def locals_(self):
        return [("s", self.t.s), ("av", "v128"), ("b0", "v128"), ("b1", "v128")] + [
            (f"acc{r}{h}", "v128") for r in range(self.rows) for h in range(2)]


def gemm_sub_wat(trans_a: bool, trans_b: bool, fma: bool, name: str, t: Elem = F32) -> str:
    """kernel(a, b, c, scratch, n, k, lda, ldb, ldc, r0, r1): C[i, :] -= op(A)[i, :] @ op(B) for
    rows i in [r0, r1) of a view C (row stride ldc, n columns); op(A) is [., k], op(B) [k, n];
    scratch holds NC * k elements (NC columns of op(B), packed). The register tile is MR rows of
    two vectors (NR = 8 float32 columns, 4 float64: the same 8 accumulators either way)."""
    return gemm_wat(trans_a, trans_b, name, t, RealTile(t, fma))


def gemm_wat(trans_a: bool, trans_b: bool, name: str, t, tile_kind) -> str:
    """gemm_sub's loops for any element kind: strides, op(B) packed NC columns at a time as strips
    of two vectors (32 bytes) a row, every row tile of `tile_kind.rows` rows against every strip,
    scalar cells at the edges; `tile_kind` supplies the arithmetic (see RealTile)."""
    w = _Wat(t)
    nr, sz, mr = 32 >> t.shift, t.size, tile_kind.rows
    # element strides of op(A)[i, p] and op(B)[p, j]
    w("local.get $lda", "local.set $sa1", "i32.const 1", "local.set $sa2") if not trans_a else \
        w("i32.const 1", "local.set $sa1", "local.get $lda", "local.set $sa2")
    w("local.get $ldb", "local.set $sb1", "i32.const 1", "local.set $sb2") if not trans_b else \
        w("i32.const 1", "local.set $sb1", "local.get $ldb", "local.set $sb2")
    w("local.get $n", "local.get $n", f"i32.const {nr}", "i32.rem_s", "i32.sub", "local.set $n8")
    w("local.get $r1", "local.get $r1", "local.get $r0", "i32.sub", f"i32.const {mr}", "i32.rem_s", "i32.sub",
      "local.set $mm")
    w("local.get $k", "local.get $k", f"i32.const {KU}", "i32.rem_s", "i32.sub", "local.set $k4")
    w("local.get $lda", f"i32.const {t.shift}", "i32.shl", "local.set $lda4",
      "local.get $ldb", f"i32.const {t.shift}", "i32.shl", "local.set $ldb4")
    tile_kind.setup(w)

    def scalar_block(row_lo, row_hi, col_lo, col_hi):
        w.loop("i2", row_lo, row_hi, lambda: w.loop("j2", col_lo, col_hi, lambda: tile_kind.scalar_cell(w)))

    def pack():  # strip (j - jc) / NR of the scratch: [p, 0:NR] = op(B)[p, j:j+NR] (32 bytes a row)
        _set(w, "pk", "j", "jc", ["i32.sub"], "k", ["i32.mul", f"i32.const {t.shift}", "i32.shl"], "scratch",
             ["i32.add"])

        def row():
            if not trans_b:
                al = tile_kind.align
                w("local.get $pk")
                w.addr("b", "p", "ldb", "j", None)
                w("local.tee $bp", f"v128.load align={al}", "v128.store",
                  "local.get $pk", "local.get $bp", f"v128.load offset=16 align={al}", "v128.store offset=16")
            else:  # op(B)[p, j + q] = B[j + q, p]: NR rows of B, ldb apart
                w.addr("b", "j", "ldb", "p", None)
                w("local.set $bp")
                for q in range(nr):
                    w("local.get $pk", "local.get $bp", f"{tile_kind.move}.load",
                      f"{tile_kind.move}.store offset={sz * q}")
                    if q < nr - 1:
                        w("local.get $bp", "local.get $ldb4", "i32.add", "local.set $bp")
            tile_kind.packed_row(w)
            w("local.get $pk", "i32.const 32", "i32.add", "local.set $pk")
        w.loop("p", "i32.const 0", "local.get $k", row)

    def tile():
        tile_kind.zero(w)
        if not trans_a:
            for r in range(mr):  # pa_r = &A[i + r, 0]
                w("local.get $a", "local.get $i", f"i32.const {r}", "i32.add", "local.get $lda", "i32.mul",
                  f"i32.const {t.shift}", "i32.shl", "i32.add", f"local.set $pa{r}")
        else:  # op(A)[i + r, p] = A[p, i + r]: MR neighbours in one row of A
            w("local.get $a", "local.get $i", f"i32.const {t.shift}", "i32.shl", "i32.add", "local.set $pa0")
        _set(w, "pb", "j", "jc", ["i32.sub"], "k", ["i32.mul", f"i32.const {t.shift}", "i32.shl"], "scratch",
             ["i32.add"])

        def ksteps(unroll):
            for u in range(unroll):
                w("local.get $pb", f"v128.load offset={u * 32}", "local.set $b0",
                  "local.get $pb", f"v128.load offset={u * 32 + 16}", "local.set $b1")
                for r in range(mr):
                    tile_kind.row_step(w, r, *(("pa0", sz * r) if trans_a else (f"pa{r}", u * sz)))
                if trans_a:
                    w("local.get $pa0", "local.get $lda4", "i32.add", "local.set $pa0")
            w("local.get $pb", f"i32.const {unroll * 32}", "i32.add", "local.set $pb")
            if not trans_a:
                for r in range(mr):
                    w(f"local.get $pa{r}", f"i32.const {unroll * sz}", "i32.add", f"local.set $pa{r}")

        if trans_a:
            w.loop("p", "i32.const 0", "local.get $k", lambda: ksteps(1))
        else:
            w.loop("p", "i32.const 0", "local.get $k4", lambda: ksteps(KU), step=f"i32.const {KU}")
            w.loop("p", "local.get $k4", "local.get $k", lambda: ksteps(1))
        for r in range(mr):
            w("local.get $i", f"i32.const {r}", "i32.add", "local.set $row")
            w.addr("c", "row", "ldc", "j", None)
            tile_kind.store_row(w, r)

    def chunk():  # columns [jc, jce): their strips packed, then each row tile against every strip
        _set(w, "jce", "jc", NC, ["i32.add"])
        _set(w, "jce", _sel(["local.get $jce"], ["local.get $n8"], _ex("jce", "n8", ["i32.lt_s"])))
        w.loop("j", "local.get $jc", "local.get $jce", pack, step=f"i32.const {nr}")
        w.loop("i", "local.get $r0", "local.get $mm",
               lambda: w.loop("j", "local.get $jc", "local.get $jce", tile, step=f"i32.const {nr}"),
               step=f"i32.const {mr}")
        scalar_block("local.get $mm", "local.get $r1", "local.get $jc", "local.get $jce")
    w.loop("jc", "i32.const 0", "local.get $n8", chunk, step=f"i32.const {NC}")
    scalar_block("local.get $r0", "local.get $r1", "local.get $n8", "local.get $n")
    locals_ = [(x, "i32") for x in ("sa1", "sa2", "sb1", "sb2", "n8", "mm", "k4", "i", "j", "p", "i2", "j2", "row",
                                    "jc", "jce", "pb", "pk", "bp", "cp", *tile_kind.extra_i32, "lda4", "ldb4")]
    locals_ += [(f"pa{r}", "i32") for r in range(mr)] + tile_kind.locals_()
    return w.func(name, ["a", "b", "c", "scratch", "n", "k", "lda", "ldb", "ldc", "r0", "r1"], locals_)


def trsm_wat(name: str, t: Elem = F32) -> str:
    """kernel(t, x, n, k, t1, t2, x1, x2, fwd, unit): op(T) X = B in place, op(T)[i, p] =
    t[i * t1 + p * t2], X[i, c] = x[i * x1 + c * x2] (so any orientation of either is strides),
    n x n triangular (lower: fwd = 1, rows in order; upper: fwd = 0, rows in reverse)."""
    w = _Wat(t)

    def row():
        # i = fwd ? step : n - 1 - step; the solved rows p are [0, i) or (i, n)
        w("local.get $step", "local.get $n", "i32.const 1", "i32.sub", "local.get $step", "i32.sub",
          "local.get $fwd", "select", "local.set $i")
        w("i32.const 0", "local.get $i", "i32.const 1", "i32.add", "local.get $fwd", "select", "local.set $plo")
        w("local.get $i", "local.get $n", "local.get $fwd", "select", "local.set $phi")

        def col():
            w.addr("x", "i", "x1", "c", "x2")
            w("local.tee $xp", f"{t.s}.load", "local.set $s")
            _dot_sub(w, t, "local.get $plo", "local.get $phi", ("t", "i", "t1", "p", "t2"), ("x", "p", "x1", "c", "x2"))
            w("local.get $xp", "local.get $s")
            w("local.get $s")
            w.addr("t", "i", "t1", "i", "t2")
            w(f"{t.s}.load", f"{t.s}.div", "local.get $unit", "select", f"{t.s}.store")
        w.loop("c", "i32.const 0", "local.get $k", col)
    w.loop("step", "i32.const 0", "local.get $n", row)
    return w.func(name, ["t", "x", "n", "k", "t1", "t2", "x1", "x2", "fwd", "unit"],
                    [("step", "i32"), ("i", "i32"), ("c", "i32"), ("p", "i32"), ("plo", "i32"), ("phi", "i32"),
                     ("xp", "i32"), ("s", t.s)])


def trsm_rows_wat(name: str, t: Elem = F32) -> str:
    """kernel(t, x, n, k, t1, t2, ldx, fwd, unit): as trsm_wat for X with contiguous rows (a left
    solve): row i of X minus T[i, p] times each solved row p, a vector of columns at a time."""
    w = _Wat(t)

    def axpy(vec_op, scalar_op):
        w.loop("c", "i32.const 0", "local.get $k4", lambda: vec_op(), step=f"i32.const {t.lanes}")
        w.loop("c", "local.get $k4", "local.get $k", lambda: scalar_op())

    def row():
        w("local.get $step", "local.get $n", "i32.const 1", "i32.sub", "local.get $step", "i32.sub",
          "local.get $fwd", "select", "local.set $i")
        w("i32.const 0", "local.get $i", "i32.const 1", "i32.add", "local.get $fwd", "select", "local.set $plo")
        w("local.get $i", "local.get $n", "local.get $fwd", "select", "local.set $phi")
        w("local.get $x", "local.get $i", "local.get $ldx", "i32.mul", f"i32.const {t.shift}", "i32.shl", "i32.add",
          "local.set $xi")

        def term():
            w.addr("t", "i", "t1", "p", "t2")
            w(f"{t.s}.load", "local.tee $tv", f"{t.v}.splat", "local.set $tv4")
            w("local.get $x", "local.get $p", "local.get $ldx", "i32.mul", f"i32.const {t.shift}", "i32.shl", "i32.add",
              "local.set $xp")

            def vec():
                w("local.get $xi", "local.get $c", f"i32.const {t.shift}", "i32.shl", "i32.add", "local.tee $q",
                  "local.get $q", f"v128.load align={t.size}", "local.get $tv4",
                  "local.get $xp", "local.get $c", f"i32.const {t.shift}", "i32.shl", "i32.add",
                  f"v128.load align={t.size}", f"{t.v}.mul", f"{t.v}.sub", f"v128.store align={t.size}")

            def one():
                w("local.get $xi", "local.get $c", f"i32.const {t.shift}", "i32.shl", "i32.add", "local.tee $q",
                  "local.get $q", f"{t.s}.load", "local.get $tv",
                  "local.get $xp", "local.get $c", f"i32.const {t.shift}", "i32.shl", "i32.add", f"{t.s}.load",
                  f"{t.s}.mul", f"{t.s}.sub", f"{t.s}.store")
            axpy(vec, one)
        w.loop("p", "local.get $plo", "local.get $phi", term)
        w("local.get $unit", "i32.eqz", "if")
        w.addr("t", "i", "t1", "i", "t2")
        w(f"{t.s}.load", "local.tee $tv", f"{t.v}.splat", "local.set $tv4")
        axpy(lambda: w("local.get $xi", "local.get $c", f"i32.const {t.shift}", "i32.shl", "i32.add", "local.tee $q",
                       "local.get $q", f"v128.load align={t.size}", "local.get $tv4", f"{t.v}.div",
                       f"v128.store align={t.size}"),
             lambda: w("local.get $xi", "local.get $c", f"i32.const {t.shift}", "i32.shl", "i32.add", "local.tee $q",
                       "local.get $q", f"{t.s}.load", "local.get $tv", f"{t.s}.div", f"{t.s}.store"))
        w("end")
    w("local.get $k", "local.get $k", f"i32.const {t.lanes}", "i32.rem_s", "i32.sub", "local.set $k4")
    w.loop("step", "i32.const 0", "local.get $n", row)
    return w.func(name, ["t", "x", "n", "k", "t1", "t2", "ldx", "fwd", "unit"],
                    [(v, "i32") for v in ("step", "i", "c", "p", "plo", "phi", "xi", "xp", "q", "k4")]
                    + [("tv", t.s), ("tv4", "v128")])


def trsm_dot_wat(name: str, t: Elem = F32) -> str:
    """(t, x, n, k, ldt, ldx, fwd, unit): as trsm_wat for op(T)[i, p] = t[i * ldt + p] and
    X[i, c] = x[c * ldx + i] (a right solve with transpose_a, as Cholesky's panel is): each row
    of x solved on its own, the sums over p as dot products a vector at a time."""
    w = _Wat(t)

    def row_of_x():
        _set(w, "xr", "x", "c", "ldx", ["i32.mul", f"i32.const {t.shift}", "i32.shl", "i32.add"])

        def elem():
            w("local.get $step", "local.get $n", "i32.const 1", "i32.sub", "local.get $step", "i32.sub",
              "local.get $fwd", "select", "local.set $i")
            w("i32.const 0", "local.get $i", "i32.const 1", "i32.add", "local.get $fwd", "select", "local.set $plo")
            w("local.get $i", "local.get $n", "local.get $fwd", "select", "local.set $phi")
            _set(w, "ti", "t", "i", "ldt", ["i32.mul", f"i32.const {t.shift}", "i32.shl", "i32.add"])
            _set(w, "p4", "phi", "phi", "plo", ["i32.sub", f"i32.const {t.lanes - 1}", "i32.and", "i32.sub"])
            w("v128.const i32x4 0 0 0 0", "local.set $acc")
            w.loop("p", "local.get $plo", "local.get $p4", lambda: w(
                "local.get $acc", "local.get $ti", "local.get $p", f"i32.const {t.shift}", "i32.shl", "i32.add",
                f"v128.load align={t.size}", "local.get $xr", "local.get $p", f"i32.const {t.shift}", "i32.shl",
                "i32.add", f"v128.load align={t.size}", f"{t.v}.mul", f"{t.v}.add", "local.set $acc"),
                step=f"i32.const {t.lanes}")
            w("local.get $xr", "local.get $i", f"i32.const {t.shift}", "i32.shl", "i32.add", "local.tee $xp",
              f"{t.s}.load")
            for lane in range(t.lanes):
                w("local.get $acc", f"{t.v}.extract_lane {lane}", f"{t.s}.sub")
            w("local.set $s")
            w.loop("p", "local.get $p4", "local.get $phi", lambda: w(
                "local.get $s", "local.get $ti", "local.get $p", f"i32.const {t.shift}", "i32.shl", "i32.add",
                f"{t.s}.load", "local.get $xr", "local.get $p", f"i32.const {t.shift}", "i32.shl", "i32.add",
                f"{t.s}.load", f"{t.s}.mul", f"{t.s}.sub", "local.set $s"))
            w("local.get $xp", "local.get $s", "local.get $s", "local.get $ti", "local.get $i", f"i32.const {t.shift}",
              "i32.shl", "i32.add", f"{t.s}.load", f"{t.s}.div", "local.get $unit", "select", f"{t.s}.store")
        w.loop("step", "i32.const 0", "local.get $n", elem)
    w.loop("c", "i32.const 0", "local.get $k", row_of_x)
    return w.func(name, ["t", "x", "n", "k", "ldt", "ldx", "fwd", "unit"],
                  [(v, "i32") for v in ("c", "step", "i", "p", "p4", "plo", "phi", "xr", "ti", "xp")]
                  + [("s", t.s), ("acc", "v128")])


def potf2_wat(name: str, t: Elem = F32) -> str:
    """kernel(a, n, lda) -> 1, or 0 where the block is not positive definite: the lower Cholesky
    factor of the n x n block in place, column by column (left-looking within the block)."""
    w = _Wat(t)
    w(f"{t.s}.const 1", "local.set $d")

    def column():
        def rowi():
            w.addr("a", "i", "lda", "j", None)
            w("local.tee $ap", f"{t.s}.load", "local.set $s")
            _dot_sub(w, t, "i32.const 0", "local.get $j", ("a", "i", "lda", "p", None), ("a", "j", "lda", "p", None))
            w("local.get $i", "local.get $j", "i32.eq", "if")
            # a NaN goes on as NaN (LAPACK's s <= 0 test, and JAX's result for NaN entries)
            w("local.get $s", f"{t.s}.const 0", f"{t.s}.le", "if", "i32.const 0", "return", "end")
            w("local.get $s", f"{t.s}.sqrt", "local.set $d", "local.get $ap", "local.get $d", f"{t.s}.store")
            w("else", "local.get $ap", "local.get $s", "local.get $d", f"{t.s}.div", f"{t.s}.store", "end")
        w.loop("i", "local.get $j", "local.get $n", rowi)
    w.loop("j", "i32.const 0", "local.get $n", column)
    w("i32.const 1")
    return w.func(name, ["a", "n", "lda"], [("i", "i32"), ("j", "i32"), ("p", "i32"), ("ap", "i32"), ("s", t.s),
                                        ("d", t.s)], result="i32")


def getf2_wat(name: str, t: Elem = F32) -> str:
    """kernel(a, m, n, lda, piv, base): LU with partial pivoting of an m x n panel in place, as the
    cpu kernel does it (the first largest |value|, NaN counting as largest as in np.argmax; a zero
    pivot leaves its column unscaled); piv[j] = base + the pivot row."""
    def eliminate(w):
        w.addr("a", "j", "lda", "j", None)
        w(f"{t.s}.load", "local.set $piv_v")

        def below():
            w("local.get $piv_v", f"{t.s}.const 0", f"{t.s}.ne", "if")
            w.addr("a", "i", "lda", "j", None)
            w("local.tee $ap", "local.get $ap", f"{t.s}.load", "local.get $piv_v", f"{t.s}.div", f"{t.s}.store", "end")
            w.addr("a", "i", "lda", "j", None)
            w(f"{t.s}.load", "local.set $l")

            def update():
                w.addr("a", "i", "lda", "c", None)
                w("local.tee $ap", "local.get $ap", f"{t.s}.load", "local.get $l")
                w.addr("a", "j", "lda", "c", None)
                w(f"{t.s}.load", f"{t.s}.mul", f"{t.s}.sub", f"{t.s}.store")
            w("local.get $j", "i32.const 1", "i32.add", "local.set $c0")
            w.loop("c", "local.get $c0", "local.get $n", update)
        w.loop("i", "local.get $i0", "local.get $m", below)
    return getf2_loops_wat(name, t, lambda w: w(f"{t.s}.load", f"{t.s}.abs"), t.s, eliminate, (),
                           ("best", "v", "piv_v", "l"))


def getf2_loops_wat(name, t, magnitude, move, eliminate, more_i32, scalars) -> str:
    """getf2's pivoting for any element kind: per column the first row of largest magnitude
    (`magnitude(w)` turns an element's address into it, NaN counting as largest), its index into
    piv, the rows swapped as `move` values, then `eliminate(w)` scales and updates the rest."""
    w = _Wat(t)
    w("local.get $m", "local.get $n", "local.get $m", "local.get $n", "i32.lt_s", "select", "local.set $kmin")

    def column():
        w("local.get $j", "local.set $p")
        w.addr("a", "j", "lda", "j", None)
        magnitude(w)
        w("local.set $best")

        def search():
            w.addr("a", "i", "lda", "j", None)
            magnitude(w)
            # take it if larger, or if it is the first NaN (best not NaN yet)
            w("local.tee $v", "local.get $best", f"{t.s}.gt", "local.get $v", "local.get $v", f"{t.s}.ne",
              "local.get $best", "local.get $best", f"{t.s}.eq", "i32.and", "i32.or", "if",
              "local.get $v", "local.set $best", "local.get $i", "local.set $p", "end")
        w("local.get $j", "i32.const 1", "i32.add", "local.set $i0")
        w.loop("i", "local.get $i0", "local.get $m", search)
        w("local.get $piv", "local.get $j", "i32.const 2", "i32.shl", "i32.add", "local.get $p", "local.get $base",
          "i32.add", "i32.store")

        def swap():
            w.addr("a", "j", "lda", "c", None)
            w("local.tee $ap")
            w.addr("a", "p", "lda", "c", None)
            w("local.tee $bp", f"{move}.load", "local.get $bp", "local.get $ap", f"{move}.load", f"{move}.store",
              f"{move}.store")
        w("local.get $p", "local.get $j", "i32.ne", "if")
        w.loop("c", "i32.const 0", "local.get $n", swap)
        w("end")
        eliminate(w)
    w.loop("j", "i32.const 0", "local.get $kmin", column)
    return w.func(name, ["a", "m", "n", "lda", "piv", "base"],
                  [(x, "i32") for x in ("kmin", "j", "i", "i0", "c", "c0", "p", "ap", "bp", *more_i32)]
                  + [(v, t.s) for v in scalars])


def laswp_wat(name: str, t: Elem = F32) -> str:
    """kernel(a, lda, c0, c1, piv, j0, j1): for j in [j0, j1) swap rows j and piv[j] of columns [c0, c1)."""
    w = _Wat(t)

    def pivot():
        w("local.get $piv", "local.get $j", "i32.const 2", "i32.shl", "i32.add", "i32.load", "local.tee $p",
          "local.get $j", "i32.ne", "if")

        _set(w, "ap", _ptr("a", "j", "lda", "c0", t.shift))
        _set(w, "bp", _ptr("a", "p", "lda", "c0", t.shift))

        def swap(load, store, size):
            w("local.get $ap", "local.get $bp", load, "local.get $bp", "local.get $ap", load, store, store)
            _set(w, "ap", "ap", size, ["i32.add"])
            _set(w, "bp", "bp", size, ["i32.add"])
        w.loop("c", "local.get $c0", "local.get $c4",
               lambda: swap(f"v128.load align={t.size}", f"v128.store align={t.size}", 16), step=f"i32.const {t.lanes}")
        w.loop("c", "local.get $c4", "local.get $c1", lambda: swap(f"{t.s}.load", f"{t.s}.store", t.size))
        w("end")
    _set(w, "c4", "c1", "c1", "c0", ["i32.sub", f"i32.const {t.lanes - 1}", "i32.and", "i32.sub"])
    w.loop("j", "local.get $j0", "local.get $j1", pivot)
    return w.func(name, ["a", "lda", "c0", "c1", "piv", "j0", "j1"],
                  [(x, "i32") for x in ("j", "c", "c4", "p", "ap", "bp")])


def perm_wat(name: str, t: Elem = F32) -> str:
    """kernel(piv, perm, k, m, batch): perm[b] = arange(m) with the k swaps (j, clip(piv[b, j])) applied."""
    w = _Wat()

    def matrix():
        w.loop("i", "i32.const 0", "local.get $m", lambda: w(
            "local.get $perm", "local.get $i", "i32.const 2", "i32.shl", "i32.add", "local.get $i", "i32.store"))

        def swap():
            # p = clip(piv[j], 0, m - 1)
            w("local.get $piv", "local.get $j", "i32.const 2", "i32.shl", "i32.add", "i32.load", "local.tee $p",
              "i32.const 0", "local.get $p", "i32.const 0", "i32.gt_s", "select", "local.tee $p",
              "local.get $m", "i32.const 1", "i32.sub", "local.tee $q", "local.get $p", "local.get $q", "i32.lt_s",
              "select", "local.set $p")
            w("local.get $perm", "local.get $j", "i32.const 2", "i32.shl", "i32.add", "local.tee $ap",
              "local.get $perm", "local.get $p", "i32.const 2", "i32.shl", "i32.add", "local.tee $bp", "i32.load",
              "local.get $bp", "local.get $ap", "i32.load", "i32.store", "i32.store")
        w.loop("j", "i32.const 0", "local.get $k", swap)
        w("local.get $piv", "local.get $k", "i32.const 2", "i32.shl", "i32.add", "local.set $piv",
          "local.get $perm", "local.get $m", "i32.const 2", "i32.shl", "i32.add", "local.set $perm")
    w.loop("b", "i32.const 0", "local.get $batch", matrix)
    return w.func(name, ["piv", "perm", "k", "m", "batch"], [(x, "i32") for x in ("b", "i", "j", "p", "q", "ap", "bp")])


def triangle_wat(name: str, t: Elem = F32) -> str:
    """kernel(a, n, nan_lower): zero the strict upper triangle of an n x n matrix; with nan_lower
    fill the lower one (diagonal included) with NaN: JAX's result for a failed Cholesky."""
    w = _Wat(t)

    def row():
        def cell():
            w.addr("a", "i", "n", "j", None)
            w("local.tee $ap", f"{t.s}.const nan", "local.get $ap", f"{t.s}.load", "local.get $nan", "select",
              f"{t.s}.const 0", "local.get $j", "local.get $i", "i32.le_s", "select", f"{t.s}.store")
        w.loop("j", "i32.const 0", "local.get $n", cell)
    w.loop("i", "i32.const 0", "local.get $n", row)
    return w.func(name, ["a", "n", "nan"], [("i", "i32"), ("j", "i32"), ("ap", "i32")])


def symm_wat(name: str, t: Elem = F32) -> str:
    """kernel(a, out, n): the lower triangle of out = (a + a^T) / 2 (n x n; the strict upper
    triangle is left unwritten: the factorisation never reads it and `triangle` zeroes it), in
    SYMM_TILE tiles so that a^T's column reads stay in cache: the symmetrised input of
    cholesky_p(symmetrize_input=True) for the cost of the copy the routine makes anyway."""
    w = _Wat(t)

    def row():
        _set(w, "po", _ptr("out", "i", "n", "jb", t.shift))
        _set(w, "pr", _ptr("a", "i", "n", "jb", t.shift))
        _set(w, "pc", _ptr("a", "jb", "n", "i", t.shift))

        def cell():  # (x + y) * 0.5 rounds as JAX's (x + y) / 2
            w("local.get $po", "local.get $pr", f"{t.s}.load", "local.get $pc", f"{t.s}.load", f"{t.s}.add",
              f"{t.s}.const 0.5", f"{t.s}.mul", f"{t.s}.store")
            _set(w, "po", "po", t.size, ["i32.add"])
            _set(w, "pr", "pr", t.size, ["i32.add"])
            _set(w, "pc", "pc", "n4", ["i32.add"])
        w.loop("j", "local.get $jb", "local.get $je", cell)
    _set(w, "n4", "n", [f"i32.const {t.shift}", "i32.shl"])
    symm_tiles(w, row)
    return w.func(name, ["a", "out", "n"], [(v, "i32") for v in ("ib", "ie", "jb", "je", "i", "j", "n4", "po", "pr",
                                                                 "pc")])


def symm_tiles(w, row) -> None:
    """symm's order: SYMM_TILE x SYMM_TILE tiles on and below the diagonal, row by row in each;
    row() copies columns [jb, je) of row i (je: the tile's end, or the diagonal's)."""
    def tile_rows():
        _set(w, "ie", "ib", SYMM_TILE, ["i32.add"])
        _set(w, "ie", _sel(["local.get $ie"], ["local.get $n"], _ex("ie", "n", ["i32.lt_s"])))

        def tile():
            def rows():
                _set(w, "je", "jb", SYMM_TILE, ["i32.add"])
                _set(w, "je", _sel(["local.get $je"], _ex("i", 1, ["i32.add"]), _ex("je", "i", ["i32.le_s"])))
                row()
            w.loop("i", "local.get $ib", "local.get $ie", rows)
        w.loop("jb", "i32.const 0", "local.get $ie", tile, step=f"i32.const {SYMM_TILE}")
    w.loop("ib", "i32.const 0", "local.get $n", tile_rows, step=f"i32.const {SYMM_TILE}")


# ---- the blocked drivers, in WebAssembly too: one call per batch (a host call costs tens of us) -----------


def _g(v):
    return f"local.get ${v}" if isinstance(v, str) else f"i32.const {v}"


def _ex(*parts):
    """Instructions of parts: a local name, an int constant, or a list of instructions."""
    out = []
    for part in parts:
        out += part if isinstance(part, list) else [_g(part)]
    return out


def _ptr(base, r, ld, c, shift=2):
    """base + (r * ld + c) << shift (4-byte elements unless told)."""
    return _ex(base, r, ld) + ["i32.mul"] + _ex(c) + ["i32.add", f"i32.const {shift}", "i32.shl", "i32.add"]


def _elem_ptr(t: Elem):
    """_ptr for matrices of t."""
    return lambda base, r, ld, c: _ptr(base, r, ld, c, t.shift)


def _sel(a, b, cond):
    return _ex(a, b, cond) + ["select"]


def _call(w, fn, *args):
    w(*_ex(*args), f"call ${fn}")


def _set(w, var, *parts):
    w(*_ex(*parts), f"local.set ${var}")


def _if(w, cond, then, otherwise=None):
    w(*_ex(cond), "if")
    then()
    if otherwise is not None:
        w("else")
        otherwise()
    w("end")


def trsm_blocked_wat(name: str, t: Elem = F32) -> str:
    """(t, ldt, x, ldx, rows, cols, left, lower, trans, unit, scratch): op(T) X = B (left) or
    X op(T) = B in place on X [rows, cols], in blocks along T's order: each diagonal block by a
    scalar kernel, the rest of X updated through gemm."""
    ep = _elem_ptr(t)
    w = _Wat(t)
    _set(w, "efflow", "lower", "trans", ["i32.ne"])
    _set(w, "size", _sel(["local.get $rows"], ["local.get $cols"], "left"))
    _set(w, "blk", _sel([f"i32.const {LEFT_NB}"], [f"i32.const {TRSM_NB}"], "left"))
    # left: rows in order when op(T) is lower; right: columns in order when op(T) is upper
    _set(w, "fwd", "efflow", "left", ["i32.eq"])
    _set(w, "nblk", "size", "blk", ["i32.add", "i32.const 1", "i32.sub"], "blk", ["i32.div_s"])

    def step():
        _set(w, "s0", _sel(_ex("step", "blk", ["i32.mul"]),
                           _ex("nblk", 1, ["i32.sub"], "step", ["i32.sub"], "blk", ["i32.mul"]), "fwd"))
        _set(w, "s1", "s0", "blk", ["i32.add"])
        _set(w, "s1", _sel(["local.get $s1"], ["local.get $size"], _ex("s1", "size", ["i32.lt_s"])))
        _set(w, "nb", "s1", "s0", ["i32.sub"])
        _set(w, "lo", _sel(["local.get $s1"], ["i32.const 0"], "fwd"))
        _set(w, "rn", _sel(_ex("size", "s1", ["i32.sub"]), ["local.get $s0"], "fwd"))
        _set(w, "diag", ep("t", "s0", "ldt", "s0"))

        def left():
            _call(w, "trsm_rows", ["local.get $diag"], ep("x", "s0", "ldx", 0), "nb", "cols",
                  _sel([_g(1)], ["local.get $ldt"], "trans"), _sel(["local.get $ldt"], [_g(1)], "trans"),
                  "ldx", "fwd", "unit")
            _if(w, _ex("rn", 0, ["i32.gt_s"]), lambda: _if(
                w, "trans",
                lambda: _call(w, "gemm_tn", ep("t", "s0", "ldt", "lo"), ep("x", "s0", "ldx", 0),
                              ep("x", "lo", "ldx", 0), "scratch", "cols", "nb", "ldt", "ldx", "ldx", 0, "rn"),
                lambda: _call(w, "gemm_nn", ep("t", "lo", "ldt", "s0"), ep("x", "s0", "ldx", 0),
                              ep("x", "lo", "ldx", 0), "scratch", "cols", "nb", "ldt", "ldx", "ldx", 0, "rn")))

        def right():  # X op(T) = B  <=>  op(T)^T X^T = B^T: the kernel on transposed strides
            _if(w, "trans",
                lambda: _call(w, "trsm_dot", ["local.get $diag"], ep("x", 0, "ldx", "s0"), "nb", "rows", "ldt",
                              "ldx", "fwd", "unit"),
                lambda: _call(w, "trsm", ["local.get $diag"], ep("x", 0, "ldx", "s0"), "nb", "rows", 1, "ldt",
                              1, "ldx", "fwd", "unit"))
            _if(w, _ex("rn", 0, ["i32.gt_s"]), lambda: _if(
                w, "trans",
                lambda: _call(w, "gemm_nt", ep("x", 0, "ldx", "s0"), ep("t", "lo", "ldt", "s0"),
                              ep("x", 0, "ldx", "lo"), "scratch", "rn", "nb", "ldx", "ldt", "ldx", 0, "rows"),
                lambda: _call(w, "gemm_nn", ep("x", 0, "ldx", "s0"), ep("t", "s0", "ldt", "lo"),
                              ep("x", 0, "ldx", "lo"), "scratch", "rn", "nb", "ldx", "ldt", "ldx", 0, "rows")))
        _if(w, "left", left, right)
    w.loop("step", "i32.const 0", "local.get $nblk", step)
    return w.func(name, ["t", "ldt", "x", "ldx", "rows", "cols", "left", "lower", "trans", "unit", "scratch"],
                  [(v, "i32") for v in ("efflow", "size", "blk", "fwd", "nblk", "step", "s0", "s1", "nb", "lo", "rn",
                                        "diag")])


def _chol_blocked_wat(name: str, block: int, inner: str, t: Elem) -> str:
    """(a, n, lda, scratch) -> 1, or 0 where not positive definite: the lower Cholesky factor of
    the n x n view in place (above the diagonal: partial junk), in blocks of `block`: each
    diagonal block by `inner`, L21 = A21 L11^-T, then the lower part of A22 -= L21 L21^T a column
    block at a time (the diagonal blocks also compute some of the upper triangle)."""
    ep = _elem_ptr(t)
    w = _Wat(t)

    def panel():
        _set(w, "jb", "n", "j0", ["i32.sub"])
        _set(w, "jb", _sel([f"i32.const {block}"], ["local.get $jb"], _ex(block, "jb", ["i32.lt_s"])))
        extra = ["local.get $scratch"] if inner != "potf2" else []
        w(*ep("a", "j0", "lda", "j0"), "local.get $jb", "local.get $lda", *extra, f"call ${inner}", "i32.eqz",
          "if", "i32.const 0", "return", "end")
        _set(w, "r0", "j0", "jb", ["i32.add"])

        def below():
            _call(w, "trsm_blocked", ep("a", "j0", "lda", "j0"), "lda", ep("a", "r0", "lda", "j0"), "lda",
                  _ex("n", "r0", ["i32.sub"]), "jb", 0, 1, 1, 0, "scratch")

            def update():
                _set(w, "cw", "n", "c0", ["i32.sub"])
                _set(w, "cw", _sel([f"i32.const {2 * block}"], ["local.get $cw"], _ex(2 * block, "cw", ["i32.lt_s"])))
                _call(w, "gemm_nt", ep("a", "c0", "lda", "j0"), ep("a", "c0", "lda", "j0"),
                      ep("a", "c0", "lda", "c0"), "scratch", "cw", "jb", "lda", "lda", "lda", 0,
                      _ex("n", "c0", ["i32.sub"]))
            w.loop("c0", "local.get $r0", "local.get $n", update, step=f"i32.const {2 * block}")
        _if(w, _ex("r0", "n", ["i32.lt_s"]), below)
    w.loop("j0", "i32.const 0", "local.get $n", panel, step=f"i32.const {block}")
    w("i32.const 1")
    return w.func(name, ["a", "n", "lda", "scratch"], [(v, "i32") for v in ("j0", "jb", "r0", "c0", "cw")],
                  result="i32")


def chol_wat(name: str, t: Elem = F32) -> str:
    """(a, n, scratch): the lower Cholesky factor of the n x n matrix a in place, upper triangle
    zeroed; all NaN below the diagonal where a is not positive definite (JAX's result). Blocks of
    NB whose diagonal blocks are factored in blocks of NB_INNER (gemm's k stays large, the scalar
    potf2 small)."""
    w = _Wat(t)
    _call(w, "triangle", "a", "n", _ex("a", "n", "n", "scratch", ["call $chol_outer", "i32.eqz"]))
    return w.func(name, ["a", "n", "scratch"], [])


def chol_outer_wat(name: str, t: Elem = F32) -> str:
    return _chol_blocked_wat(name, NB, "chol_inner", t)


def chol_inner_wat(name: str, t: Elem = F32) -> str:
    return _chol_blocked_wat(name, NB_INNER, "potf2", t)


def lu_panel_wat(name: str, t: Elem = F32) -> str:
    """(a, m, n, j0, w, piv, scratch): LU with partial pivoting of columns [j0, j0 + w), rows
    [j0, m) of the m x n matrix a, recursively (the right half updated through gemm), pivots as
    global rows in piv[j0:j0 + w]."""
    ep = _elem_ptr(t)
    w = _Wat(t)
    w("local.get $w", f"i32.const {PANEL_BASE}", "i32.le_s", "if")
    _call(w, "getf2", ep("a", "j0", "n", "j0"), _ex("m", "j0", ["i32.sub"]), "w", "n",
          _ex("piv", "j0", ["i32.const 2", "i32.shl", "i32.add"]), "j0")
    w("return", "end")
    _set(w, "w1", "w", [f"i32.const {2 * PANEL_BASE}", "i32.div_s", f"i32.const {PANEL_BASE}", "i32.mul"])
    _set(w, "w1", _sel(["local.get $w1"], [_g(PANEL_BASE)], _ex("w1", PANEL_BASE, ["i32.gt_s"])))
    _set(w, "j1", "j0", "w1", ["i32.add"])
    _set(w, "je", "j0", "w", ["i32.add"])
    _call(w, name, "a", "m", "n", "j0", "w1", "piv", "scratch")
    _call(w, "laswp", "a", "n", "j1", "je", "piv", "j0", "j1")
    _call(w, "trsm_blocked", ep("a", "j0", "n", "j0"), "n", ep("a", "j0", "n", "j1"), "n", "w1",
          _ex("w", "w1", ["i32.sub"]), 1, 1, 0, 1, "scratch")
    _call(w, "gemm_nn", ep("a", "j1", "n", "j0"), ep("a", "j0", "n", "j1"), ep("a", "j1", "n", "j1"), "scratch",
          _ex("w", "w1", ["i32.sub"]), "w1", "n", "n", "n", 0, _ex("m", "j1", ["i32.sub"]))
    _call(w, name, "a", "m", "n", "j1", _ex("w", "w1", ["i32.sub"]), "piv", "scratch")
    _call(w, "laswp", "a", "n", "j0", "j1", "piv", "j1", "je")
    return w.func(name, ["a", "m", "n", "j0", "w", "piv", "scratch"], [(v, "i32") for v in ("w1", "j1", "je")])


def lu_wat(name: str, t: Elem = F32) -> str:
    """(a, m, n, piv, scratch): LU with partial pivoting in place, blocked right-looking: panels of
    LU_NB columns (lu_panel), their swaps on the other columns, U12 = L11^-1 A12, A22 -= L21 U12."""
    ep = _elem_ptr(t)
    w = _Wat(t)
    _set(w, "k", _sel(["local.get $m"], ["local.get $n"], _ex("m", "n", ["i32.lt_s"])))

    def panel():
        _set(w, "jb", "k", "j0", ["i32.sub"])
        _set(w, "jb", _sel([f"i32.const {LU_NB}"], ["local.get $jb"], _ex(LU_NB, "jb", ["i32.lt_s"])))
        _set(w, "r0", "j0", "jb", ["i32.add"])
        _call(w, "lu_panel", "a", "m", "n", "j0", "jb", "piv", "scratch")
        _call(w, "laswp", "a", "n", 0, "j0", "piv", "j0", "r0")

        def right():
            _call(w, "laswp", "a", "n", "r0", "n", "piv", "j0", "r0")
            _call(w, "trsm_blocked", ep("a", "j0", "n", "j0"), "n", ep("a", "j0", "n", "r0"), "n", "jb",
                  _ex("n", "r0", ["i32.sub"]), 1, 1, 0, 1, "scratch")
            _call(w, "gemm_nn", ep("a", "r0", "n", "j0"), ep("a", "j0", "n", "r0"), ep("a", "r0", "n", "r0"),
                  "scratch", _ex("n", "r0", ["i32.sub"]), "jb", "n", "n", "n", 0, _ex("m", "r0", ["i32.sub"]))
        _if(w, _ex("r0", "n", ["i32.lt_s"]), right)
    w.loop("j0", "i32.const 0", "local.get $k", panel, step=f"i32.const {LU_NB}")
    return w.func(name, ["a", "m", "n", "piv", "scratch"], [(v, "i32") for v in ("k", "j0", "jb", "r0")])


def _entries(t: Elem):
    def chol_batch(name):
        w = _Wat(t)
        _set(w, "sz", "n", "n", ["i32.mul", f"i32.const {t.shift}", "i32.shl"])
        w.loop("bi", "i32.const 0", "local.get $batch", lambda: (
            _call(w, "chol", "a", "n", "scratch"), _set(w, "a", "a", "sz", ["i32.add"])))
        return w.func(name, _ENTRY_PARAMS["chol_batch"], [("bi", "i32"), ("sz", "i32")])

    def symm_batch(name):
        w = _Wat(t)
        _set(w, "sz", "n", "n", ["i32.mul", f"i32.const {t.shift}", "i32.shl"])
        w.loop("bi", "i32.const 0", "local.get $batch", lambda: (
            _call(w, "symm", "a", "out", "n"), _set(w, "a", "a", "sz", ["i32.add"]),
            _set(w, "out", "out", "sz", ["i32.add"])))
        return w.func(name, ["a", "out", "n", "batch"], [("bi", "i32"), ("sz", "i32")])

    def lu_batch(name):
        w = _Wat(t)
        _set(w, "sz", "m", "n", ["i32.mul", f"i32.const {t.shift}", "i32.shl"])
        _set(w, "psz", _sel(["local.get $m"], ["local.get $n"], _ex("m", "n", ["i32.lt_s"])), ["i32.const 2", "i32.shl"])
        w.loop("bi", "i32.const 0", "local.get $batch", lambda: (
            _call(w, "lu", "a", "m", "n", "piv", "scratch"), _set(w, "a", "a", "sz", ["i32.add"]),
            _set(w, "piv", "piv", "psz", ["i32.add"])))
        return w.func(name, _ENTRY_PARAMS["lu_batch"], [("bi", "i32"), ("sz", "i32"), ("psz", "i32")])

    def trsm_batch(name):
        w = _Wat(t)
        _set(w, "tsz", "n", "n", ["i32.mul", f"i32.const {t.shift}", "i32.shl"])
        _set(w, "xsz", "rows", "cols", ["i32.mul", f"i32.const {t.shift}", "i32.shl"])
        w.loop("bi", "i32.const 0", "local.get $batch", lambda: (
            _call(w, "trsm_blocked", "t", "n", "x", "cols", "rows", "cols", "left", "lower", "trans", "unit",
                  "scratch"),
            _set(w, "t", "t", "tsz", ["i32.add"]), _set(w, "x", "x", "xsz", ["i32.add"])))
        return w.func(name, _ENTRY_PARAMS["trsm_batch"], [("bi", "i32"), ("tsz", "i32"), ("xsz", "i32")])
    return {"chol_batch": chol_batch, "symm_batch": symm_batch, "lu_batch": lu_batch, "trsm_batch": trsm_batch}


_FUNCS = {"trsm": trsm_wat, "trsm_dot": trsm_dot_wat, "trsm_rows": trsm_rows_wat, "potf2": potf2_wat, "getf2": getf2_wat,
          "laswp": laswp_wat, "perm": perm_wat, "triangle": triangle_wat, "symm": symm_wat,
          "trsm_blocked": trsm_blocked_wat,
          "chol": chol_wat, "chol_outer": chol_outer_wat,
          "chol_inner": chol_inner_wat, "lu_panel": lu_panel_wat, "lu": lu_wat}


# ---- the drivers across worker threads: gemm's rows shared out from inside WebAssembly ------------------
#
# A call from Python per gemm, and a worker round trip through JavaScript per gemm, cost more than
# the second core gains at order 1024 (measured: 47 ms threaded against 30 ms on one thread). So the
# whole driver runs in WebAssembly on the calling thread as before, while the pool's workers run
# `pworker`, a loop in the same module that waits on a control block in the shared memory. Each gemm
# big enough (PAR_WORK) posts its operands there and is cut into row chunks that every thread,
# the caller included, claims with a compare-and-swap; the caller waits for the chunks' count.
# Chunks are multiples of MR rows from r0, so every element is computed by the same tile code in
# the same k order as on one thread: the results are bit-identical. A claim carries the job's
# sequence number in the high half of its word, so that a worker holding an older job's operands
# cannot take a chunk of a newer one; a new job is posted only once every chunk of the last is done.
# When the driver returns, the caller posts `exit` with the session's number, and the workers leave
# their loops and return to their event loops.

CTRL_BYTES = 128           # the control block (job words), then the workers' scratch
PAR_WORK = 1 << 18         # gemm mul-adds from which a call is shared out
PAR_ROWS = 32              # fewest rows a chunk takes (each chunk packs op(B) again)
SPIN = 1 << 14             # polls of the job word before a worker sleeps on it (up to 1 ms at a time)
# Polls of the done count without progress after which the caller gives up (seconds: a worker that
# died in a chunk would otherwise hang the page): it marks the session failed, the driver's other
# gemms return at once, and _run_threaded raises. (No trap: under wasmtime a trap is a signal that
# pytest's faulthandler takes first.) A chunk is at most a third of a thread's share of one gemm.
STALL_POLLS = 1 << 33
_CTRL = {name: 4 * i for i, name in enumerate((
    "seq", "claim", "done", "exit", "kind", "a", "b", "c", "n", "k", "lda", "ldb", "ldc", "r0", "r1", "chunk",
    "nchunks", "wscratch", "wstride", "threads", "wchunks", "failed"))}
_GEMMS = ("gemm_nn", "gemm_nt", "gemm_tn")
_OPERANDS = ("a", "b", "c", "scratch", "n", "k", "lda", "ldb", "ldc", "r0", "r1")


def _ld(field):
    return ["local.get $ctrl", f"i32.load offset={_CTRL[field]}"]


def _atomic_ld(field):
    return ["local.get $ctrl", f"i32.atomic.load offset={_CTRL[field]}"]


def _atomic_st(w, field, *value):
    w("local.get $ctrl", *_ex(*value), f"i32.atomic.store offset={_CTRL[field]}")


def _post(w):
    """The next sequence number into $s, its claim word (no chunk taken), the number, a wake-up."""
    _set(w, "s", _atomic_ld("seq"), ["i32.const 1", "i32.add"])
    _atomic_st(w, "claim", "s", ["i32.const 16", "i32.shl"])
    _atomic_st(w, "seq", "s")
    w("local.get $ctrl", *_ld("threads"), "memory.atomic.notify", "drop")


def pgemm_wat(kind: int, name: str, t: Elem = F32) -> str:
    """gemm_xx's signature: small calls run it here; big ones are posted as a job in row chunks."""
    w = _Wat(t)
    gemm = _GEMMS[kind]
    _set(w, "ctrl", ["global.get $ctrl"])
    _set(w, "rows", "r1", "r0", ["i32.sub"])
    w("local.get $ctrl", "i32.eqz", "local.get $rows", "i64.extend_i32_s", "local.get $n", "i64.extend_i32_s",
      "i64.mul", "local.get $k", "i64.extend_i32_s", "i64.mul", f"i64.const {PAR_WORK}", "i64.lt_s", "i32.or",
      "local.get $rows", f"i32.const {2 * PAR_ROWS}", "i32.lt_s", "i32.or", "if")
    _call(w, gemm, *_OPERANDS)
    w("return", "end")
    w(*_ld("failed"), "if", "return", "end")  # (a stalled job: the rest of the driver is moot)
    # about three chunks per thread (a late worker still finds some), at least PAR_ROWS, in tiles of MR
    _set(w, "chunk", "rows", _ld("threads"), [f"i32.const {3}", "i32.mul", "i32.div_s"])
    _set(w, "chunk", _sel(["local.get $chunk"], [_g(PAR_ROWS)], _ex("chunk", PAR_ROWS, ["i32.gt_s"])))
    _set(w, "chunk", "chunk", [f"i32.const {MR - 1}", "i32.add", f"i32.const {MR}", "i32.div_s", f"i32.const {MR}",
                               "i32.mul"])
    _set(w, "nch", "rows", "chunk", ["i32.add", "i32.const 1", "i32.sub"], "chunk", ["i32.div_s"])
    for field, value in (("kind", kind), ("chunk", "chunk"), ("nchunks", "nch"),
                         *((f, f) for f in _OPERANDS if f != "scratch")):
        w("local.get $ctrl", *_ex(value), f"i32.store offset={_CTRL[field]}")
    _atomic_st(w, "done", 0)
    _post(w)
    _call(w, "pclaim", "scratch", "s")
    w("drop")
    _set(w, "last", 0)
    w("i64.const 0", "local.set $polls", "block $wx", "loop $wl")
    _set(w, "d", _atomic_ld("done"))
    w("local.get $d", "local.get $nch", "i32.ge_s", "br_if $wx")
    _if(w, _ex("d", "last", ["i32.ne"]), lambda: (
        _set(w, "last", "d"), w("i64.const 0", "local.set $polls", "br $wl")))
    w("local.get $polls", "i64.const 1", "i64.add", "local.tee $polls", f"i64.const {STALL_POLLS}", "i64.lt_s",
      "br_if $wl")
    w("local.get $ctrl", "i32.const 1", f"i32.atomic.store offset={_CTRL['failed']}", "end", "end")
    return w.func(name, list(_OPERANDS), [(v, "i32") for v in ("ctrl", "rows", "chunk", "nch", "s", "d", "last")]
                  + [("polls", "i64")])


def pclaim_wat(name: str, t: Elem = F32) -> str:
    """(scratch, s) -> chunks run: take chunks of job s until none is left (or a newer job was posted)."""
    w = _Wat(t)
    _set(w, "ctrl", ["global.get $ctrl"])
    w("block $cx (result i32)", "loop $cl")
    _set(w, "cw", _atomic_ld("claim"))
    w("local.get $ran", "local.get $cw", "i32.const 16", "i32.shr_u", "local.get $s", "i32.const 65535", "i32.and",
      "i32.ne", "br_if $cx", "drop")
    _set(w, "c", "cw", ["i32.const 65535", "i32.and"])
    w("local.get $ran", "local.get $c", *_ld("nchunks"), "i32.ge_s", "br_if $cx", "drop")
    w("local.get $ctrl", "local.get $cw", "local.get $cw", "i32.const 1", "i32.add",
      f"i32.atomic.rmw.cmpxchg offset={_CTRL['claim']}", "local.get $cw", "i32.ne", "br_if $cl")
    # chunk c of the job whose claim this was: its operands stay until every chunk is done
    _set(w, "lo", _ld("r0"), "c", _ld("chunk"), ["i32.mul", "i32.add"])
    _set(w, "hi", "lo", _ld("chunk"), ["i32.add"])
    _set(w, "hi", _sel(["local.get $hi"], _ld("r1"), _ex("hi", _ld("r1"), ["i32.lt_s"])))
    args = [{"scratch": "scratch", "r0": "lo", "r1": "hi"}.get(f) or _ld(f) for f in _OPERANDS]
    _set(w, "kind", _ld("kind"))
    _if(w, _ex("kind", 0, ["i32.eq"]), lambda: _call(w, _GEMMS[0], *args),
        lambda: _if(w, _ex("kind", 1, ["i32.eq"]), lambda: _call(w, _GEMMS[1], *args),
                    lambda: _call(w, _GEMMS[2], *args)))
    w("local.get $ctrl", "i32.const 1", f"i32.atomic.rmw.add offset={_CTRL['done']}", "drop")
    _set(w, "ran", "ran", ["i32.const 1", "i32.add"])
    w("br $cl", "end", "unreachable", "end")
    return w.func(name, ["scratch", "s"], [(v, "i32") for v in ("ctrl", "cw", "c", "lo", "hi", "kind", "ran")],
                  result="i32")


def pworker_wat(name: str, t: Elem = F32) -> str:
    """(me, session): a worker's loop: run the chunks of every posted job until the session's exit."""
    w = _Wat(t)
    _set(w, "ctrl", ["global.get $ctrl"])
    _set(w, "scratch", _ld("wscratch"), "me", ["i32.const 1", "i32.sub"], _ld("wstride"), ["i32.mul", "i32.add"])
    _set(w, "seen", -1)
    w("block $px", "loop $pl", *_atomic_ld("exit"), "local.get $session", "i32.eq", "br_if $px")
    _set(w, "s", _atomic_ld("seq"))
    _if(w, _ex("s", "seen", ["i32.ne"]), lambda: (
        _set(w, "seen", "s"), w("local.get $ctrl"), _call(w, "pclaim", "scratch", "s"),
        w(f"i32.atomic.rmw.add offset={_CTRL['wchunks']}", "drop"), _set(w, "spins", 0), w("br $pl")))
    _set(w, "spins", "spins", ["i32.const 1", "i32.add"])
    w("local.get $spins", f"i32.const {SPIN}", "i32.lt_s", "br_if $pl")
    w("local.get $ctrl", "local.get $seen", "i64.const 1000000", "memory.atomic.wait32", "drop", "br $pl", "end", "end")
    return w.func(name, ["me", "session"], [(v, "i32") for v in ("ctrl", "scratch", "seen", "s", "spins")])


def pexit_wat(name: str, t: Elem = F32) -> str:
    """(session): tell the workers that the driver has returned."""
    w = _Wat(t)
    _set(w, "ctrl", ["global.get $ctrl"])
    w("local.get $ctrl", "i32.const 0", f"i32.store offset={_CTRL['nchunks']}")
    _atomic_st(w, "exit", "session")
    _post(w)
    return w.func(name, ["session"], [("ctrl", "i32"), ("s", "i32")])


_ENTRY_PARAMS = {"chol_batch": ["a", "n", "batch", "scratch"],
                 "lu_batch": ["a", "m", "n", "piv", "batch", "scratch"],
                 "trsm_batch": ["t", "x", "n", "rows", "cols", "left", "lower", "trans", "unit", "batch", "scratch"]}


def par_entry_wat(entry: str, name: str, t: Elem = F32) -> str:
    """(me, ctrl, session, the entry's params): thread 0 runs the driver, the others pworker."""
    w = _Wat(t)
    w("local.get $ctrl", "global.set $ctrl")
    _if(w, _ex("me", 0, ["i32.eq"]),
        lambda: (_call(w, entry, *_ENTRY_PARAMS[entry]), _call(w, "pexit", "session")),
        lambda: _call(w, "pworker", "me", "session"))
    return w.func(name, ["me", "ctrl", "session", *_ENTRY_PARAMS[entry]], [])


def scratch_bytes(t: Elem = F32) -> int:
    """gemm's packed columns at the largest k a driver uses."""
    return NC * max(NB, LU_NB, LEFT_NB) << t.shift


def linalg_module(export: str, fma: bool, shared: bool, t: Elem = F32) -> str:
    """The module of `export` and the functions it calls (assembling costs time in Pyodide), for
    elements of type t. An export `<entry>_par` is the entry for threads: its drivers call the
    pgemm_xx that share big gemms out."""
    funcs = {name: fn(name, t) for name, fn in _FUNCS.items()}
    funcs.update({name: fn(name) for name, fn in _entries(t).items()})
    par = export.endswith("_par")
    if par:
        funcs = {name: text.replace("call $gemm_", "call $pgemm_") for name, text in funcs.items()}
        funcs.update({f"p{g}": pgemm_wat(i, f"p{g}", t) for i, g in enumerate(_GEMMS)})
        funcs.update({name: fn(name, t) for name, fn in (("pclaim", pclaim_wat), ("pworker", pworker_wat),
                                                         ("pexit", pexit_wat))})
        funcs[export] = par_entry_wat(export[:-4], export, t)
    return _module(shared, linked(funcs, export, lambda ta, tb, name: gemm_sub_wat(ta, tb, fma, name, t)), export,
                   "  (global $ctrl (mut i32) (i32.const 0))\n" if par else "")


def linked(funcs: dict, export: str, gemm) -> list[str]:
    """funcs and the three gemm_xx (`gemm(trans_a, trans_b, name)`), cut to `export` and what it
    calls, directly or not, in order."""
    for ta, tb in ((False, False), (False, True), (True, False)):
        name = f"gemm_{'t' if ta else 'n'}{'t' if tb else 'n'}"
        funcs[name] = gemm(ta, tb, name)
    need, todo = {export}, [export]
    while todo:
        for callee in re.findall(r"call \$(\w+)", funcs[todo.pop()]):
            if callee not in need:
                need.add(callee)
                todo.append(callee)
    return [funcs[name] for name in funcs if name in need]


def _kernel(dev, name, *flags, t: Elem = F32):
    """The module's function `name` (gemm: `gemm_xx` by its two transposition flags) as the callable,
    one module per element type."""
    if name == "gemm":
        name = f"gemm_{'t' if flags[0] else 'n'}{'t' if flags[1] else 'n'}"
    fma, shared = dev.runtime.relaxed_simd, dev.runtime.shared
    return dev.compile_cached(("linalg", name, fma, shared, t.s),
                              lambda: dev.runtime.instantiate(assemble(linalg_module(name, fma, shared, t))))


_sessions = itertools.count(1)


def _ctrl(dev, t) -> WasmBuffer:
    """The control block of the threaded drivers and the workers' scratch, per device and element type."""
    blocks = dev.__dict__.setdefault("_linalg_ctrl", {})
    buf = blocks.get(t.s)
    if buf is None:
        threads = dev.runtime.threads
        buf = blocks[t.s] = WasmBuffer(dev, CTRL_BYTES + (threads - 1) * scratch_bytes(t))
        words = np.zeros(CTRL_BYTES // 4, np.int32)
        words[[_CTRL["wscratch"] // 4, _CTRL["wstride"] // 4, _CTRL["threads"] // 4]] = (
            buf.ptr + CTRL_BYTES, scratch_bytes(t), threads)
        dev.runtime.write(buf.ptr, words)
    return buf


def _run_threaded(dev, t, entry, *args) -> None:
    """entry(*args) with its big gemms shared among the runtime's threads (see pgemm_wat)."""
    fn = _kernel(dev, entry + "_par", t=t)
    head = (_ctrl(dev, t).ptr, next(_sessions))
    calls = [(me, *head, *args) for me in range(dev.runtime.threads)]
    failed = head[0] + _CTRL["failed"]
    dev.runtime.write(failed, np.zeros(1, np.int32))
    if len(calls) > 1:
        dev.runtime.run_parallel(fn, calls)
    else:  # (a runtime without workers: the calling thread takes every chunk)
        fn(*calls[0])
    if dev.runtime.read(failed, 4).view(np.int32)[0]:
        raise RuntimeError(f"jaxlite: the wasm {entry.split('_')[0]} routine stopped: a chunk of its matrix "
                           "products never finished on a worker thread")


# ---- the primitives' routines ------------------------------------------------------------------------


# Matrix order from which the threaded drivers run. Measured in Chromium on the 2-core machine
# (medians of 7, three rounds): at 1024 Cholesky 30.2 -> 27.0 ms and solve 48.0 -> 40.9 ms; at 512
# no change; at 256 slower (the workers' wake-ups cost more than they take).
THREADED_FROM = 512


def _threaded(dev, n) -> bool:
    return dev.runtime.threads > 1 and n >= THREADED_FROM


def _elem(*avals, elems=ELEMS) -> Elem | None:
    """The element type (of elems) all avals share, or None (another dtype: the host runs it)."""
    dts = {np.dtype(a.dtype) for a in avals}
    return elems.get(dts.pop()) if len(dts) == 1 else None


def _copy(dev, buf, aval):
    """A device copy of buf (the routines factor in place); complex as a copy of its float parts."""
    dt, size = np.dtype(aval.dtype), aval.size
    if dt.kind == "c":
        dt, size = np.dtype(f"f{dt.itemsize // 2}"), 2 * size
    copy = dev.compile(ir.Kernel("copy", (dt,), (ir.Load(dt, 0, ir.Index(ir.I32)),)))
    return dev.launch(copy, [buf], size, dt)


def _batch(shape) -> int:
    return int(np.prod(shape[:-2], dtype=np.int64))


@dataclass(frozen=True)
class Family:
    """What the routines take from a family of modules: its element types by dtype, its kernels
    (`kernel(dev, name, t)`), its batch entries' names, whether its trsm entry takes conjugate_a,
    and whether its drivers may share their gemms with the runtime's threads."""
    elems: dict
    kernel: object
    chol: str = "chol_batch"
    trsm: str = "trsm_batch"
    lu: str = "lu_batch"
    conj: bool = False
    threads: bool = True

    def elem(self, *avals):
        return _elem(*avals, elems=self.elems)

    def run(self, dev, t, entry, n, *args) -> None:
        if self.threads and _threaded(dev, n):
            _run_threaded(dev, t, entry, *args)
        else:
            self.kernel(dev, entry, t)(*args)


def routines(f: Family) -> dict:
    """cholesky, triangular_solve and lu as device routines over the modules of f (None for other
    dtypes: the host runs them)."""
    def cholesky_routine(dev, bufs, in_avals, params, out_avals):
        (x,) = in_avals
        t = f.elem(x)
        if t is None:
            return None
        n = x.shape[-1]
        with dev.runtime.lock:
            batch = _batch(x.shape) if n else 0
            if params.get("symmetrize_input"):
                out = WasmBuffer(dev, x.size * t.size)
                if batch:
                    f.kernel(dev, "symm_batch", t)(bufs[0].ptr, out.ptr, n, batch)
            else:
                out = _copy(dev, bufs[0], x)
            scratch = WasmBuffer(dev, scratch_bytes(t))  # (held here: a freed block would be reused under the call)
            if batch:
                f.run(dev, t, f.chol, n, out.ptr, n, batch, scratch.ptr)
        return [out]

    def triangular_solve_routine(dev, bufs, in_avals, params, out_avals):
        a, b = in_avals
        t = f.elem(a, b)
        if t is None:
            return None
        n = a.shape[-1]
        rows, cols = b.shape[-2:]
        with dev.runtime.lock:
            out = _copy(dev, bufs[1], b)
            names = ("left_side", "lower", "transpose_a") + ("conjugate_a",) * f.conj + ("unit_diagonal",)
            batch = _batch(b.shape) if rows and cols and n else 0
            scratch = WasmBuffer(dev, scratch_bytes(t))
            if batch:
                f.run(dev, t, f.trsm, max(rows, cols), bufs[0].ptr, out.ptr, n, rows, cols,
                      *(int(params[k]) for k in names), batch, scratch.ptr)
        return [out]

    def lu_routine(dev, bufs, in_avals, params, out_avals):
        (x,) = in_avals
        t = f.elem(x)
        if t is None:
            return None
        m, n = x.shape[-2:]
        k = min(m, n)
        batch = _batch(x.shape)
        with dev.runtime.lock:
            out = _copy(dev, bufs[0], x)
            piv = WasmBuffer(dev, batch * k * 4)
            perm = WasmBuffer(dev, batch * m * 4)
            scratch = WasmBuffer(dev, scratch_bytes(t))
            if k and batch:
                f.run(dev, t, f.lu, k, out.ptr, m, n, piv.ptr, batch, scratch.ptr)
            if m and batch:
                _kernel(dev, "perm")(piv.ptr, perm.ptr, k, m, batch)
        return [out, piv, perm]
    return {"cholesky": cholesky_routine, "triangular_solve": triangular_solve_routine, "lu": lu_routine}


def pivots_to_permutation_routine(dev, bufs, in_avals, params, out_avals):
    (p,) = in_avals
    if p.dtype != np.int32:
        return None
    m, k = params["permutation_size"], p.shape[-1]
    batch = int(np.prod(p.shape[:-1], dtype=np.int64))
    with dev.runtime.lock:
        perm = WasmBuffer(dev, batch * m * 4)
        if m and batch:
            _kernel(dev, "perm")(bufs[0].ptr, perm.ptr, k, m, batch)
    return [perm]


WasmDevice.prim_routines.update(routines(Family(ELEMS, lambda dev, name, t: _kernel(dev, name, t=t))))
WasmDevice.prim_routines["lu_pivots_to_permutation"] = pivots_to_permutation_routine
