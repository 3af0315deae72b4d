"""complex64/complex128 QR, Hermitian eigh and SVD on the wasm device: the algorithms of eig.py
over complex numbers, registered in `WasmDevice.prim_routines` in front of eig.py's routines
(real dtypes go on to those).

A complex array is interleaved (re, im) pairs of float32 (complex64) or float64 (complex128), as
numpy lays it out, so every generator takes the part's element type (`Elem`) and a complex
element is two of them (`shC` in `_EWat`). The inner loops run over v128s of whole complex numbers:
a product a * x as (splat re(a)) x + (splat im(a) [-1, 1, ...]) swap(x), swap exchanging each
number's parts (i8x16.swizzle); a row's scaling by a real number and a plane rotation with real
c, s are the real routines over twice the floats.

- qr: complex Householder as LAPACK's cgeqr2/cung2r: clarfg's reflector H = I - tau v v^H with
  beta = -sign(re(alpha)) ||(alpha, x)|| real (tau = 0 only where x = 0 and alpha is real; a
  complex alpha gets a reflector even with x empty, so that R's diagonal is real), H^H applied to
  the trailing columns; Q formed backwards from the identity. Q and R equal LAPACK's (numpy's,
  JAX's CPU), not only Q R.
- eigh: Householder tridiagonalisation as chetd2 (A22 -= v w^H + w v^H, w = p - (tau/2)(p^H v) v,
  p = tau A22 v); clarfg's beta is real, so the tridiagonal is real symmetric and eig.py's implicit
  QL runs on it unchanged, its rotations turning the complex rows of Q^T. The matrix is held as
  A^T (= conj(A)): the column below the diagonal that a reflector takes is then a contiguous row,
  and A22 v a row of conjugate dot products.
- svd: one-sided Jacobi on the rows of W = B^T as eig.py's, each pair first turned by the phase
  that makes w_p^H w_q real, then rotated by the real angle; preconditioned (from
  eig.PRECONDITION_FROM) by the eigenvectors of the Hermitian Gram matrix W W^H. With
  B = U S V^H: U's columns w_i / s_i, V^H the conjugate of the accumulated rotations.

Pivoted QR and svd's subset_by_index return None (the host runs them, counted), as for real data.
"""

from __future__ import annotations

import numpy as np

from jaxlite._src.backends.wasm import eig
from jaxlite._src.backends.wasm.assembler import assemble
from jaxlite._src.backends.wasm.device import WasmBuffer, WasmDevice
from jaxlite._src.backends.wasm.eig import (EPS, MAX_SWEEPS, PRECONDITION_FROM, ZERO_SIGMA, _at, _ati, _d,
                                            _EWat, _fn, _jacobi_angle, _ql, _rotate, _sort, _walk)
from jaxlite._src.backends.wasm.linalg import F32, F64, Elem, _batch, _ex, _g, _module, _ptr, _set

ELEMS = {np.dtype(np.complex64): F32, np.dtype(np.complex128): F64}
# i8x16.swizzle indices (as i32 lanes) exchanging the parts of each complex number in a v128
_SWAP = {"f32": "v128.const i32x4 117835012 50462976 252579084 185207048",
         "f64": "v128.const i32x4 185207048 252579084 50462976 117835012"}

_DATA = eig._F32 | {"ar", "ai", "vr", "vi", "taur", "taui"}
_F64 = eig._F64 | {"dalr", "dali", "dre", "den", "dtr", "dti", "ddr", "ddi", "xyr", "xyi", "axy", "qr_"}
_V128 = eig._V128 | {"swp", "arv", "aiv", "dd_va", "dd_vb", "ds_va", "xx_va", "yy_va", "xy_va", "xy_vb"}


def _alt(t: Elem) -> str:
    """[-1, 1, -1, 1] (float32) or [-1, 1] (float64): the signs of i * (re, im) = (-im, re)."""
    return f"v128.const {t.v} " + " ".join(["-1 1"] * (t.lanes // 2))


def _two(n):
    """Instructions for 2n (the floats of n complex numbers)."""
    return _ex(n) + ["i32.const 1", "i32.shl"]


def _c(base, idx):
    """The address of complex element idx of base."""
    return _ex(base, idx) + ["shC", "i32.shl", "i32.add"]


def _cp(base, r, ld, c):
    """The address of complex element [r, c] of the matrix base with row stride ld."""
    return _ptr(base, r, ld, c)[:-3] + ["shC", "i32.shl", "i32.add"]


def _cstore(w, addr, re, im):
    """*addr = re + i im (instruction lists pushing values of the data's type)."""
    w(*addr, *re, "fT.store", *addr, *im, f"fT.store offset={w.t.size}")


def _cload(w, addr, re, im):
    """Locals re, im = the parts at addr."""
    w(*addr, "local.tee $ap", "fT.load", f"local.set ${re}", "local.get $ap", f"fT.load offset={w.t.size}",
      f"local.set ${im}")


def _copy(w, n, py, px):
    """y[0:n] = x[0:n] over n floats."""
    _walk(w, n, {"ay": py, "ax": px}, lambda: w("local.get $ay", "local.get $ax", "v128.load align=4",
                                                "v128.store align=4"),
          lambda: w("local.get $ay", "local.get $ax", "fT.load", "fT.store"))


def _splat_a(w):
    w("local.get $ar", "vT.splat", "local.set $arv", "local.get $ai", "vT.splat", _alt(w.t), "vT.mul",
      "local.set $aiv")


def _caxpy(w, n, py, px):
    """y[0:n] += a x[0:n] over n complex numbers, a = ar + i ai (locals of the data's type)."""
    o = w.t.size
    _splat_a(w)
    _walk(w, _two(n), {"ay": py, "ax": px},
          lambda: w("local.get $ay", "local.get $ay", "v128.load align=4", "local.get $ax", "v128.load align=4",
                    "local.tee $xv", "local.get $arv", "vT.mul", "vT.add", "local.get $xv", "local.get $swp",
                    "i8x16.swizzle", "local.get $aiv", "vT.mul", "vT.add", "v128.store align=4"),
          lambda: w("local.get $ay", "local.get $ay", "fT.load", "local.get $ar", "local.get $ax", "fT.load", "fT.mul",
                    "fT.add", "local.get $ai", "local.get $ax", f"fT.load offset={o}", "fT.mul", "fT.sub", "fT.store",
                    "local.get $ay", "local.get $ay", f"fT.load offset={o}", "local.get $ar", "local.get $ax",
                    f"fT.load offset={o}", "fT.mul", "fT.add", "local.get $ai", "local.get $ax", "fT.load", "fT.mul",
                    "fT.add", f"fT.store offset={o}"),
          one_size=2 * o)


def _cscal(w, n, px):
    """x[0:n] *= a over n complex numbers, a = ar + i ai."""
    o = w.t.size
    _splat_a(w)
    _walk(w, _two(n), {"ax": px},
          lambda: w("local.get $ax", "local.get $ax", "v128.load align=4", "local.tee $xv", "local.get $arv",
                    "vT.mul", "local.get $xv", "local.get $swp", "i8x16.swizzle", "local.get $aiv", "vT.mul", "vT.add",
                    "v128.store align=4"),
          lambda: w("local.get $ax", "fT.load", "local.set $xs", "local.get $ax", f"fT.load offset={o}",
                    "local.set $ys", "local.get $ax", "local.get $ar", "local.get $xs", "fT.mul", "local.get $ai",
                    "local.get $ys", "fT.mul", "fT.sub", "fT.store", "local.get $ax", "local.get $ar", "local.get $ys",
                    "fT.mul", "local.get $ai", "local.get $xs", "fT.mul", "fT.add", f"fT.store offset={o}"),
          one_size=2 * o)


def _cdots(w, n, pairs):
    """For each (acc, px, py, cplx): x^H y over n complex numbers in float64, summed in vector
    lanes: its real part in the local acc (cplx False: a squared norm, a real part), or both parts
    in acc + "r" and acc + "i"."""
    o = w.t.size
    ptrs = {f"w_{base}": base for _, px, py, _ in pairs for base in (px, py)}
    for acc, _, _, cplx in pairs:
        w("v128.const i32x4 0 0 0 0", f"local.set ${acc}_va", "f64.const 0", f"local.set ${acc + 'r' * cplx}")
        if cplx:
            w("v128.const i32x4 0 0 0 0", f"local.set ${acc}_vb", "f64.const 0", f"local.set ${acc}i")

    def vec():
        for acc, px, py, cplx in pairs:
            w(f"local.get ${acc}_va", f"local.get $w_{px}", "v128.load align=4", f"local.get $w_{py}",
              "v128.load align=4", "vT.mul", "vT.add", f"local.set ${acc}_va")
            if cplx:  # lanes x_re y_im, x_im y_re
                w(f"local.get ${acc}_vb", f"local.get $w_{px}", "v128.load align=4", f"local.get $w_{py}",
                  "v128.load align=4", "local.get $swp", "i8x16.swizzle", "vT.mul", "vT.add", f"local.set ${acc}_vb")

    def lanes():
        for acc, _, _, cplx in pairs:
            re = acc + "r" * cplx
            for lane in range(w.t.lanes):
                w(f"local.get ${re}", f"local.get ${acc}_va", f"vT.extract_lane {lane}", "to64", "f64.add",
                  f"local.set ${re}")
                if cplx:
                    w(f"local.get ${acc}i", f"local.get ${acc}_vb", f"vT.extract_lane {lane}", "to64",
                      "f64.sub" if lane % 2 else "f64.add", f"local.set ${acc}i")

    def part(p, off):
        return [f"local.get $w_{p}", f"fT.load offset={off}" if off else "fT.load", "to64"]

    def one():
        for acc, px, py, cplx in pairs:
            re = acc + "r" * cplx
            w(f"local.get ${re}", *part(px, 0), *part(py, 0), "f64.mul", "f64.add", *part(px, o), *part(py, o),
              "f64.mul", "f64.add", f"local.set ${re}")
            if cplx:
                w(f"local.get ${acc}i", *part(px, 0), *part(py, o), "f64.mul", "f64.add", *part(px, o),
                  *part(py, 0), "f64.mul", "f64.sub", f"local.set ${acc}i")
    _walk(w, _two(n), ptrs, vec, one, lanes, one_size=2 * o)


def _ceye(w, ptr, rows, cols):
    w.loop("i", "i32.const 0", _g(rows), lambda: w.loop("j", "i32.const 0", _g(cols), lambda: _cstore(
        w, _cp(ptr, "i", cols, "j"), ["fT.const 1", "fT.const 0", "local.get $i", "local.get $j", "i32.eq", "select"],
        ["fT.const 0"])))


def _reflector_scalars(w):
    """From alpha = dalr + i dali and ds = ||x||^2 (float64 locals), where x or im(alpha) is
    nonzero: clarfg's dbeta = -sign(re(alpha)) ||(alpha, x)||, tau = (beta - alpha) / beta (taur,
    taui and dtr, dti) and ar + i ai = 1 / (alpha - beta) (Smith's division: no overflow)."""
    w("local.get $dalr", "local.get $dalr", "f64.mul", "local.get $dali", "local.get $dali", "f64.mul", "f64.add",
      "local.get $ds", "f64.add", "f64.sqrt", "local.get $dalr", "f64.copysign", "f64.neg", "local.set $dbeta",
      "local.get $dbeta", "local.get $dalr", "f64.sub", "local.get $dbeta", "f64.div", "local.tee $dtr", "from64",
      "local.set $taur", "local.get $dali", "f64.neg", "local.get $dbeta", "f64.div", "local.tee $dti", "from64",
      "local.set $taui")
    # 1 / (p + i q), p = re(alpha) - beta, q = im(alpha)
    w("local.get $dalr", "local.get $dbeta", "f64.sub", "local.set $dre",
      "local.get $dre", "f64.abs", "local.get $dali", "f64.abs", "f64.ge", "if",
      "local.get $dali", "local.get $dre", "f64.div", "local.tee $qr_", "local.get $dali", "f64.mul", "local.get $dre",
      "f64.add", "local.set $den",
      "f64.const 1", "local.get $den", "f64.div", "from64", "local.set $ar",
      "local.get $qr_", "f64.neg", "local.get $den", "f64.div", "from64", "local.set $ai",
      "else",
      "local.get $dre", "local.get $dali", "f64.div", "local.tee $qr_", "local.get $dre", "f64.mul", "local.get $dali",
      "f64.add", "local.set $den",
      "local.get $qr_", "local.get $den", "f64.div", "from64", "local.set $ar",
      "f64.const -1", "local.get $den", "f64.div", "from64", "local.set $ai", "end")


def _neg_product(w, xr, xi):
    """ar + i ai = -(taur + i taui)(xr + i xi)."""
    w("local.get $taui", f"local.get ${xi}", "fT.mul", "local.get $taur", f"local.get ${xr}", "fT.mul", "fT.sub",
      "local.set $ar", "local.get $taur", f"local.get ${xi}", "fT.mul", "local.get $taui", f"local.get ${xr}",
      "fT.mul", "fT.add", "fT.neg", "local.set $ai")


def _wat(t):
    w = _EWat(t)
    w(_SWAP[t.s], "local.set $swp")
    return w


def _func(w, name, params):
    return _fn(w, name, params, data=_DATA, f64=_F64, v128=_V128)


# ---- qr -------------------------------------------------------------------------------------------------


def cqr_wat(name: str, t: Elem = F32) -> str:
    """(x, q, r, m, n, qc, batch, a, wv, tau): eig.qr_wat's contract over complex matrices."""
    w = _wat(t)
    _set(w, "k", _ex("m", "n", "m", "n", ["i32.lt_s", "select"]))

    def reflector():
        _cload(w, _cp("a", "j", "n", "j"), "xs", "ys")
        w("local.get $xs", "to64", "local.set $dalr", "local.get $ys", "to64", "local.set $dali", "f64.const 0",
          "local.set $ds")
        w.loop("i", "local.get $j i32.const 1 i32.add", "local.get $m", lambda: (
            _cload(w, _cp("a", "i", "n", "j"), "xs", "ys"),
            w("local.get $ds", "local.get $xs", "to64", "local.tee $dd", "local.get $dd", "f64.mul", "local.get $ys",
              "to64", "local.tee $dd", "local.get $dd", "f64.mul", "f64.add", "f64.add", "local.set $ds")))
        _cstore(w, _c("tau", "j"), ["fT.const 0"], ["fT.const 0"])
        w("local.get $ds", "f64.const 0", "f64.ne", "local.get $dali", "f64.const 0", "f64.ne", "i32.or", "if")
        _reflector_scalars(w)
        _cstore(w, _c("tau", "j"), ["local.get $taur"], ["local.get $taui"])

        def scale():
            _cload(w, _cp("a", "i", "n", "j"), "xs", "ys")
            _cstore(w, _cp("a", "i", "n", "j"),
                    ["local.get $ar", "local.get $xs", "fT.mul", "local.get $ai", "local.get $ys", "fT.mul", "fT.sub"],
                    ["local.get $ar", "local.get $ys", "fT.mul", "local.get $ai", "local.get $xs", "fT.mul", "fT.add"])
        w.loop("i", "local.get $j i32.const 1 i32.add", "local.get $m", scale)
        _cstore(w, _cp("a", "j", "n", "j"), ["local.get $dbeta", "from64"], ["fT.const 0"])
        _set(w, "nc", "n", "j", ["i32.sub", "i32.const 1", "i32.sub"])
        _set(w, "row", _cp("a", "j", "n", _ex("j", 1, ["i32.add"])))
        apply_h("row", "nc", "n", "j", True)
        w("end")

    def apply_h(row, nc, ld, j, conj):
        """H_j (conj: H_j^H), H_j = I - tau v v^H, v = (1, a[j+1:, j]), on the nc columns of the
        rows from row on: wv = v^H rows, then each row -= tau v_i wv."""
        _copy(w, _two(nc), "wv", row)

        def rows(update):
            w.loop("i", f"local.get ${j} i32.const 1 i32.add", "local.get $m", lambda: (
                _set(w, "ri", row, "i", j, ["i32.sub"], ld, ["i32.mul", "shC", "i32.shl", "i32.add"]),
                _cload(w, _cp("a", "i", "n", j), "vr", "vi"),
                update()))
        rows(lambda: (w("local.get $vr", "local.set $ar", "local.get $vi", "fT.neg", "local.set $ai"),
                      _caxpy(w, nc, "wv", "ri")))
        _cload(w, _c("tau", j), "taur", "taui")
        if conj:
            w("local.get $taui", "fT.neg", "local.set $taui")
        w("local.get $taur", "fT.neg", "local.set $ar", "local.get $taui", "fT.neg", "local.set $ai")
        _caxpy(w, nc, row, "wv")
        rows(lambda: (_neg_product(w, "vr", "vi"), _caxpy(w, nc, "ri", "wv")))

    def matrix():
        _set(w, "mn", "m", "n", ["i32.mul"])
        _copy(w, _two("mn"), "a", "x")
        w.loop("j", "i32.const 0", "local.get $k", reflector)

        def r_entry():
            w("local.get $j", "local.get $i", "i32.ge_s", "local.set $up")
            _cload(w, _cp("a", "i", "n", "j"), "xs", "ys")
            _cstore(w, _cp("r", "i", "n", "j"), ["local.get $xs", "fT.const 0", "local.get $up", "select"],
                    ["local.get $ys", "fT.const 0", "local.get $up", "select"])
        w.loop("i", "i32.const 0", "local.get $qc", lambda: w.loop("j", "i32.const 0", "local.get $n", r_entry))
        _ceye(w, "q", "m", "qc")

        def backward():
            _set(w, "j", "k", 1, ["i32.sub"], "jj", ["i32.sub"])
            _cload(w, _c("tau", "j"), "taur", "taui")
            w("local.get $taur", "fT.const 0", "fT.ne", "local.get $taui", "fT.const 0", "fT.ne", "i32.or", "if")
            _set(w, "nc", "qc", "j", ["i32.sub"])
            _set(w, "row", _cp("q", "j", "qc", "j"))
            apply_h("row", "nc", "qc", "j", False)
            w("end")
        w.loop("jj", "i32.const 0", "local.get $k", backward)
        _set(w, "x", "x", "mn", ["shC", "i32.shl", "i32.add"])
        _set(w, "q", "q", "m", "qc", ["i32.mul", "shC", "i32.shl", "i32.add"])
        _set(w, "r", "r", "qc", "n", ["i32.mul", "shC", "i32.shl", "i32.add"])
    w.loop("b", "i32.const 0", "local.get $batch", matrix)
    return _func(w, name, ["x", "q", "r", "m", "n", "qc", "batch", "a", "wv", "tau"])


# ---- eigh -----------------------------------------------------------------------------------------------


def csymeig_wat(name: str, t: Elem = F32) -> str:
    """(a, n, q, zt, d, e, tau, pv): the eigenvalues d (float64, unsorted) and eigenvectors (the
    rows of zt, transposed: row k is z_k^T) of the Hermitian n x n matrix A held as a = A^T
    (overwritten); q (n x n), e (n float64), tau, pv (n) are scratch."""
    w = _wat(t)

    def tridiagonal_step():
        """Reflector j from column j of A below the diagonal (row j of a right of it: v = (1, ...)
        left there), then A22 = H^H A22 H as A22 -= v w^H + w v^H."""
        _set(w, "ln", "n", "j", ["i32.sub", "i32.const 1", "i32.sub"])
        _set(w, "vp", _cp("a", "j", "n", _ex("j", 1, ["i32.add"])))
        _set(w, "vq", "vp", 1, ["shC", "i32.shl", "i32.add"])
        _set(w, "lm1", "ln", 1, ["i32.sub"])
        _cload(w, ["local.get $vp"], "xs", "ys")
        w("local.get $xs", "to64", "local.set $dalr", "local.get $ys", "to64", "local.set $dali")
        _cdots(w, "lm1", [("ds", "vq", "vq", False)])
        w(*_d("d", "j"), *_cp("a", "j", "n", "j"), "fT.load", "to64", "f64.store")
        w(*_d("e", "j"), "local.get $dalr", "f64.store")
        _cstore(w, _c("tau", "j"), ["fT.const 0"], ["fT.const 0"])
        w("local.get $ds", "f64.const 0", "f64.ne", "local.get $dali", "f64.const 0", "f64.ne", "i32.or", "if")
        _reflector_scalars(w)
        w(*_d("e", "j"), "local.get $dbeta", "f64.store")
        _cstore(w, _c("tau", "j"), ["local.get $taur"], ["local.get $taui"])
        _cscal(w, "lm1", "vq")
        _cstore(w, ["local.get $vp"], ["fT.const 1"], ["fT.const 0"])

        def p_entry():  # pv[i] = tau (A22 v)_i = tau conj(a22 row i) . v
            _set(w, "ri", "vp", "i", 1, ["i32.add"], "n", ["i32.mul", "shC", "i32.shl", "i32.add"])
            _cdots(w, "ln", [("dd", "ri", "vp", True)])
            _cstore(w, _c("pv", "i"),
                    ["local.get $dtr", "local.get $ddr", "f64.mul", "local.get $dti", "local.get $ddi", "f64.mul",
                     "f64.sub", "from64"],
                    ["local.get $dtr", "local.get $ddi", "f64.mul", "local.get $dti", "local.get $ddr", "f64.mul",
                     "f64.add", "from64"])
        w.loop("i", "i32.const 0", "local.get $ln", p_entry)
        _cdots(w, "ln", [("dd", "pv", "vp", True)])  # alpha = -(tau / 2) p^H v
        w("f64.const -0.5", "local.get $dtr", "local.get $ddr", "f64.mul", "local.get $dti", "local.get $ddi",
          "f64.mul", "f64.sub", "f64.mul", "from64", "local.set $ar",
          "f64.const -0.5", "local.get $dtr", "local.get $ddi", "f64.mul", "local.get $dti", "local.get $ddr",
          "f64.mul", "f64.add", "f64.mul", "from64", "local.set $ai")
        _caxpy(w, "ln", "pv", "vp")

        def rank2():  # row i of a22 (column i of A22) -= conj(w_i) v + conj(v_i) w
            _set(w, "ri", "vp", "i", 1, ["i32.add"], "n", ["i32.mul", "shC", "i32.shl", "i32.add"])
            _cload(w, _c("pv", "i"), "ar", "ai")
            w("local.get $ar", "fT.neg", "local.set $ar")
            _caxpy(w, "ln", "ri", "vp")
            _cload(w, _c("vp", "i"), "ar", "ai")
            w("local.get $ar", "fT.neg", "local.set $ar")
            _caxpy(w, "ln", "ri", "pv")
        w.loop("i", "i32.const 0", "local.get $ln", rank2)
        w("end")

    def form_q():
        """Q = H_0 ... H_{n-2} backwards from the identity (rows j + 1.. only), then zt = Q^T."""
        _ceye(w, "q", "n", "n")

        def back():
            _set(w, "j", "n", 2, ["i32.sub"], "jj", ["i32.sub"])
            _cload(w, _c("tau", "j"), "taur", "taui")
            w("local.get $taur", "fT.const 0", "fT.ne", "local.get $taui", "fT.const 0", "fT.ne", "i32.or", "if")
            _set(w, "ln", "n", "j", ["i32.sub", "i32.const 1", "i32.sub"])
            _set(w, "vp", _cp("a", "j", "n", _ex("j", 1, ["i32.add"])))
            _set(w, "row", _cp("q", _ex("j", 1, ["i32.add"]), "n", _ex("j", 1, ["i32.add"])))
            _set(w, "l2", _two("ln"))
            w.loop("i", "i32.const 0", "local.get $l2", lambda: w(*_at("pv", "i"), "fT.const 0", "fT.store"))

            def rows(update):
                w.loop("i", "i32.const 0", "local.get $ln", lambda: (
                    _set(w, "ri", "row", "i", "n", ["i32.mul", "shC", "i32.shl", "i32.add"]),
                    _cload(w, _c("vp", "i"), "vr", "vi"), update()))
            rows(lambda: (w("local.get $vr", "local.set $ar", "local.get $vi", "fT.neg", "local.set $ai"),
                          _caxpy(w, "ln", "pv", "ri")))
            rows(lambda: (_neg_product(w, "vr", "vi"), _caxpy(w, "ln", "ri", "pv")))
            w("end")
        w.loop("jj", "i32.const 0", "local.get $nm1", back)
        w.loop("i", "i32.const 0", "local.get $n", lambda: w.loop("j", "i32.const 0", "local.get $n", lambda: (
            _cload(w, _cp("q", "j", "n", "i"), "xs", "ys"),
            _cstore(w, _cp("zt", "i", "n", "j"), ["local.get $xs"], ["local.get $ys"]))))

    _set(w, "nm1", "n", 1, ["i32.sub"])
    _set(w, "n2", _two("n"))
    w.loop("j", "i32.const 0", "local.get $nm1", tridiagonal_step)
    w(*_d("d", "nm1"), *_cp("a", "nm1", "n", "nm1"), "fT.load", "to64", "f64.store")
    form_q()
    _ql(w, lambda r: _cp("zt", r, "n", 0), "n2")
    return _func(w, name, ["a", "n", "q", "zt", "d", "e", "tau", "pv"])


def ceigh_wat(name: str, t: Elem = F32) -> str:
    """(x, v, wo, n, k, lo, batch, lower, a, q, zt, perm, d, e, tau, pv, wf): eig.eigh_wat's
    contract over Hermitian matrices (the triangle `lower` names; the diagonal's imaginary parts
    ignored, as LAPACK's cheevd): v complex, wo real."""
    w = _wat(t)

    def load():  # a = A^T; fin = sum(x - x) over both parts: NaN where not finite
        w("fT.const 0", "local.set $fin")

        def cell():
            _set(w, "hi", _ex("i", "j", "i", "j", ["i32.gt_s", "select"]))
            _set(w, "lw", _ex("i", "j", "i", "j", ["i32.lt_s", "select"]))
            _set(w, "src", _ex("hi", "lw", "lower", ["select", "local.get $n", "i32.mul"], "lw", "hi", "lower",
                               ["select", "i32.add"]))
            # a[i, j] = A[j, i]: x's entry, conjugated where (j, i) lies in the other triangle
            _set(w, "flip", _ex("i", "j", ["i32.gt_s"], "i", "j", ["i32.lt_s"], "lower", ["select"]))
            _cload(w, _c("x", "src"), "xs", "ys")
            w("local.get $fin", "local.get $xs", "local.get $xs", "fT.sub", "fT.add", "local.get $ys", "local.get $ys",
              "fT.sub", "fT.add", "local.set $fin")
            _cstore(w, _cp("a", "i", "n", "j"), ["local.get $xs"],
                    ["local.get $ys", "fT.neg", "local.get $ys", "local.get $flip", "select", "fT.const 0",
                     "local.get $i", "local.get $j", "i32.ne", "select"])
        w.loop("i", "i32.const 0", "local.get $n", lambda: w.loop("j", "i32.const 0", "local.get $n", cell))

    def matrix():
        load()
        w("local.get $fin", "local.get $fin", "fT.eq", "if")
        w(*_ex("a", "n", "q", "zt", "d", "e", "tau", "pv"), "call $symeig")
        w.loop("i", "i32.const 0", "local.get $n", lambda: w(
            *_at("wf", "i"), *_d("d", "i"), "f64.load", "from64", "fT.store"))
        _sort(w, "perm", "n", lambda: _at("wf", "ki") + ["fT.load"], True)

        def column():
            _set(w, "src", _ati("perm", _ex("lo", "i", ["i32.add"])), ["i32.load"])
            w(*_at("wo", "i"), *_at("wf", "src"), "fT.load", "fT.store")
            w.loop("r", "i32.const 0", "local.get $n", lambda: (
                _cload(w, _cp("zt", "src", "n", "r"), "xs", "ys"),
                _cstore(w, _cp("v", "r", "k", "i"), ["local.get $xs"], ["local.get $ys"])))
        w.loop("i", "i32.const 0", "local.get $k", column)
        w("else")
        w.loop("i", "i32.const 0", "local.get $k", lambda: w(*_at("wo", "i"), "fT.const nan", "fT.store"))
        _set(w, "nk", "n", "k", ["i32.mul", "i32.const 1", "i32.shl"])
        w.loop("i", "i32.const 0", "local.get $nk", lambda: w(*_at("v", "i"), "fT.const nan", "fT.store"))
        w("end")
        _set(w, "x", "x", "n", "n", ["i32.mul", "shC", "i32.shl", "i32.add"])
        _set(w, "v", "v", "n", "k", ["i32.mul", "shC", "i32.shl", "i32.add"])
        _set(w, "wo", "wo", "k", ["shT", "i32.shl", "i32.add"])
    w.loop("b", "i32.const 0", "local.get $batch", matrix)
    return _func(w, name, ["x", "v", "wo", "n", "k", "lo", "batch", "lower", "a", "q", "zt", "perm", "d", "e", "tau",
                           "pv", "wf"])


# ---- svd ------------------------------------------------------------------------------------------------


def csvd_wat(name: str, t: Elem = F32) -> str:
    """eig.svd_wat's contract over complex matrices (so real): U_B^T's rows w_i / s_i to ut, and
    V_B^H = conj(P) to vb, P the accumulated unitary transformation of W's rows."""
    w = _wat(t)

    def load():
        """wk = B^T scaled by pw, the power of two at or below the largest |part|; fin = sum(x - x)."""
        w("fT.const 0", "local.set $fin", "fT.const 0", "local.set $mx")

        def cell():
            _cload(w, _c("x", _ex("r", "s1", ["i32.mul"], "i", "s2", ["i32.mul", "i32.add"])), "xs", "ys")
            _cstore(w, _cp("wk", "i", "M", "r"), ["local.get $xs"], ["local.get $ys"])
            w("local.get $fin", "local.get $xs", "local.get $xs", "fT.sub", "fT.add", "local.get $ys", "local.get $ys",
              "fT.sub", "fT.add", "local.set $fin",
              "local.get $mx", "local.get $xs", "fT.abs", "fT.max", "local.get $ys", "fT.abs", "fT.max",
              "local.set $mx")
        w.loop("i", "i32.const 0", "local.get $N", lambda: w.loop("r", "i32.const 0", "local.get $M", cell))
        if w.t is F32:
            w("local.get $mx", "i32.reinterpret_f32", "i32.const 0x7f800000", "i32.and", "local.tee $ebits",
              "f32.reinterpret_i32", "f32.const 0x1p-64", "local.get $ebits", "select", "local.set $pw")
        else:
            w("local.get $mx", "i64.reinterpret_f64", "i64.const 0x7ff0000000000000", "i64.and", "local.tee $ebits64",
              "f64.reinterpret_i64", "f64.const 0x1p-64", "local.get $ebits64", "i64.eqz", "i32.eqz", "select",
              "local.set $pw")
        w("fT.const 1", "local.get $pw", "fT.div", "local.set $ipw", "local.get $pw", "fT.const 1", "fT.ne", "if")
        _set(w, "mn", "M", "N", ["i32.mul", "i32.const 1", "i32.shl"])
        w.loop("i", "i32.const 0", "local.get $mn", lambda: w(
            *_at("wk", "i"), *_at("wk", "i"), "fT.load", "local.get $ipw", "fT.mul", "fT.store"))
        w("end")

    def pair():
        """Rows p, q: q turned by the phase of w_p^H w_q (which makes it real), then the real rotation."""
        _set(w, "pp", _cp("wk", "p", "M", 0))
        _set(w, "qq", _cp("wk", "q", "M", 0))
        _cdots(w, "M", [("xx", "pp", "pp", False), ("yy", "qq", "qq", False), ("xy", "pp", "qq", True)])
        w("local.get $xyr", "local.get $xyr", "f64.mul", "local.get $xyi", "local.get $xyi", "f64.mul", "f64.add",
          "f64.sqrt", "local.tee $axy", "local.get $tol", "local.get $xx", "f64.sqrt", "f64.mul", "local.get $yy",
          "f64.sqrt", "f64.mul", "f64.gt", "if")
        w("local.get $rot", "i32.const 1", "i32.add", "local.set $rot")
        w("local.get $xyr", "local.get $axy", "f64.div", "from64", "local.set $ar",
          "local.get $xyi", "f64.neg", "local.get $axy", "f64.div", "from64", "local.set $ai")
        _cscal(w, "M", "qq")
        _jacobi_angle(w, "xx", "yy", "axy")
        _rotate(w, "M2", "pp", "qq")
        w("local.get $uv", "if")
        _set(w, "pp", _cp("pt", "p", "N", 0))
        _set(w, "qq", _cp("pt", "q", "N", 0))
        _cscal(w, "N", "qq")
        _rotate(w, "N2", "pp", "qq")
        w("end", "end")

    def complete():
        """utb row i: the first unit vector with a part orthogonal to rows [0, i) of at least
        1 / sqrt(2 M), that part (two Gram-Schmidt passes), normalised."""
        _set(w, "ui", _cp("utb", "i", "M", 0))
        w("i32.const 0", "local.set $eu", "block $cx", "loop $cl")
        w.loop("r", "i32.const 0", "local.get $M2", lambda: w(*_at("ui", "r"), "fT.const 0", "fT.store"))
        w(*_c("ui", "eu"), "fT.const 1", "fT.store")
        for _ in range(2):
            def project():
                _set(w, "ul", _cp("utb", "l", "M", 0))
                _cdots(w, "M", [("dd", "ul", "ui", True)])
                w("local.get $ddr", "f64.neg", "from64", "local.set $ar", "local.get $ddi", "f64.neg", "from64",
                  "local.set $ai")
                _caxpy(w, "M", "ui", "ul")
            w.loop("l", "i32.const 0", "local.get $i", project)
        _cdots(w, "M", [("dd", "ui", "ui", False)])
        w("local.get $dd", "f64.const 1", "local.get $M", "f64.convert_i32_s", "f64.const 2", "f64.mul", "f64.div",
          "f64.gt", "br_if $cx")
        w("local.get $eu", "i32.const 1", "i32.add", "local.tee $eu", "local.get $M", "i32.lt_s", "br_if $cl", "end",
          "end")
        _set(w, "af", "dd", ["f64.sqrt", "from64", "local.set $sc", "fT.const 1", "local.get $sc", "fT.div"])
        w.loop("r", "i32.const 0", "local.get $M2", lambda: w(
            *_at("ui", "r"), "local.get $af", *_at("ui", "r"), "fT.load", "fT.mul", "fT.store"))

    def factors():
        def urow():
            # rows [0, N) of U_B^T: w_src / s_src, unless s_src is zero; the rest completed
            _set(w, "ui", _cp("utb", "i", "M", 0))
            _set(w, "src", _ex(_ati("perm", "i") + ["i32.load"], [_g(0)], "i", "N", ["i32.lt_s", "select"]))
            _set(w, "sc", _at("sig", "src"), ["fT.load"])
            w("local.get $i", "local.get $N", "i32.lt_s", "local.get $sc", f"fT.const {ZERO_SIGMA[t.s]}", "fT.gt",
              "i32.and", "if")
            _set(w, "af", ["fT.const 1", "local.get $sc", "fT.div"])
            _set(w, "pp", _cp("wk", "src", "M", 0))
            w.loop("r", "i32.const 0", "local.get $M2", lambda: w(
                *_at("ui", "r"), "local.get $af", *_at("pp", "r"), "fT.load", "fT.mul", "fT.store"))
            w("else")
            complete()
            w("end")
            w.loop("r", "i32.const 0", "local.get $M", lambda: (
                _cload(w, _c("ui", "r"), "xs", "ys"),
                _cstore(w, _c("ut", _ex("i", "ut_i", ["i32.mul"], "r", "ut_r", ["i32.mul", "i32.add"])),
                        ["local.get $xs"], ["local.get $ys"])))
        w.loop("i", "i32.const 0", "local.get $R", urow)

        def vrow():
            _set(w, "src", _ati("perm", "i"), ["i32.load"])
            w.loop("r", "i32.const 0", "local.get $N", lambda: (
                _cload(w, _cp("pt", "src", "N", "r"), "xs", "ys"),
                _cstore(w, _c("vb", _ex("i", "vb_i", ["i32.mul"], "r", "vb_c", ["i32.mul", "i32.add"])),
                        ["local.get $xs"], ["local.get $ys", "fT.neg"])))
        w.loop("i", "i32.const 0", "local.get $N", vrow)

    def nan_factors():
        nan = ["fT.const nan"]
        w.loop("i", "i32.const 0", "local.get $R", lambda: w.loop("r", "i32.const 0", "local.get $M", lambda: _cstore(
            w, _c("ut", _ex("i", "ut_i", ["i32.mul"], "r", "ut_r", ["i32.mul", "i32.add"])), nan, nan)))
        w.loop("i", "i32.const 0", "local.get $N", lambda: w.loop("r", "i32.const 0", "local.get $N", lambda: _cstore(
            w, _c("vb", _ex("i", "vb_i", ["i32.mul"], "r", "vb_c", ["i32.mul", "i32.add"])), nan, nan)))

    def precondition():
        """W = P0 W and pt = P0 = Z^H, Z the eigenvectors of the Gram matrix H = W W^H. g holds H
        itself, which symeig reads as conj(H) (its A^T layout); conj(H)'s eigenvectors are conj(Z),
        so symeig's zt (their transposes as rows) is Z^H = P0."""
        def gram_row():
            _set(w, "pp", _cp("wk", "i", "M", 0))

            def entry():  # H[i, j] = w_j^H w_i
                _set(w, "qq", _cp("wk", "j", "M", 0))
                _cdots(w, "M", [("dd", "qq", "pp", True)])
                w("local.get $ddr", "from64", "local.set $xs", "local.get $ddi", "from64", "local.set $ys")
                _cstore(w, _cp("g", "i", "N", "j"), ["local.get $xs"], ["local.get $ys"])
                _cstore(w, _cp("g", "j", "N", "i"), ["local.get $xs"], ["local.get $ys", "fT.neg"])
            w.loop("j", "local.get $i", "local.get $N", entry)
        w.loop("i", "i32.const 0", "local.get $N", gram_row)
        w(*_ex("g", "N", "utb", "pt", "d", "e", "tau", "pv"), "call $symeig")

        def rotated_row():  # utb[i] = sum_j pt[i, j] wk[j]
            _set(w, "ui", _cp("utb", "i", "M", 0))
            w.loop("r", "i32.const 0", "local.get $M2", lambda: w(*_at("ui", "r"), "fT.const 0", "fT.store"))

            def term():
                _cload(w, _cp("pt", "i", "N", "j"), "ar", "ai")
                _set(w, "pp", _cp("wk", "j", "M", 0))
                _caxpy(w, "M", "ui", "pp")
            w.loop("j", "i32.const 0", "local.get $N", term)
        w.loop("i", "i32.const 0", "local.get $N", rotated_row)
        _set(w, "mn", "M", "N", ["i32.mul", "i32.const 1", "i32.shl"])
        _copy(w, "mn", "wk", "utb")

    def matrix():
        load()
        w("local.get $fin", "local.get $fin", "fT.eq", "if")
        w("local.get $N", f"i32.const {PRECONDITION_FROM}", "i32.ge_s", "if")
        precondition()
        w("else")
        _ceye(w, "pt", "N", "N")
        w("end")

        def sweep():
            w("i32.const 0", "local.set $rot")
            w.loop("p", "i32.const 0", "local.get $N", lambda: w.loop(
                "q", "local.get $p i32.const 1 i32.add", "local.get $N", pair))
            w("local.get $rot", "i32.eqz", "br_if $swx")
        w("block $swx")
        w.loop("sw", "i32.const 0", f"i32.const {MAX_SWEEPS}", sweep)
        w("end")

        def norm():
            _set(w, "pp", _cp("wk", "i", "M", 0))
            _cdots(w, "M", [("dd", "pp", "pp", False)])
            w(*_at("sig", "i"), "local.get $dd", "f64.sqrt", "from64", "fT.store")
        w.loop("i", "i32.const 0", "local.get $N", norm)
        _sort(w, "perm", "N", lambda: _at("sig", "ki") + ["fT.load"], False)
        w.loop("i", "i32.const 0", "local.get $N", lambda: w(
            *_at("so", "i"), *_at("sig", _ati("perm", "i") + ["i32.load"]), "fT.load", "local.get $pw", "fT.mul",
            "fT.store"))
        w("local.get $uv", "if")
        factors()
        w("end", "else")
        w.loop("i", "i32.const 0", "local.get $N", lambda: w(*_at("so", "i"), "fT.const nan", "fT.store"))
        w("local.get $uv", "if")
        nan_factors()
        w("end", "end")
        _set(w, "x", "x", "M", "N", ["i32.mul", "shC", "i32.shl", "i32.add"])
        _set(w, "so", "so", "N", ["shT", "i32.shl", "i32.add"])
        _set(w, "ut", "ut", "ut_step", ["shC", "i32.shl", "i32.add"])
        _set(w, "vb", "vb", "vb_step", ["shC", "i32.shl", "i32.add"])
    _set(w, "M2", _two("M"))
    _set(w, "N2", _two("N"))
    # the orthogonality tolerance: sqrt(M) eps (vector dot products of M terms)
    w("local.get $M", "f64.convert_i32_s", "f64.sqrt", f"f64.const {EPS[t.s]}", "f64.mul", "local.set $tol")
    w.loop("b", "i32.const 0", "local.get $batch", matrix)
    return _func(w, name, ["x", "so", "M", "N", "s1", "s2", "batch", "uv", "R", "ut", "ut_i", "ut_r", "ut_step",
                           "vb", "vb_i", "vb_c", "vb_step", "wk", "pt", "utb", "perm", "sig", "g", "d", "e", "tau",
                           "pv"])


# ---- the primitives' routines ------------------------------------------------------------------------

_FUNCS = {"qr": cqr_wat, "eigh": ceigh_wat, "svd": csvd_wat}


def complex_module(name: str, shared: bool, t: Elem = F32) -> str:
    return _module(shared, [_FUNCS[name](name, t)] + ([csymeig_wat("symeig", t)] if name != "qr" else []), name)


def _kernel(dev, name, t: Elem):
    shared = dev.runtime.shared
    return dev.compile_cached(("eig_complex", name, shared, t.s), lambda: dev.runtime.instantiate(
        assemble(complex_module(name, shared, t))))


def _complex(x) -> Elem | None:
    return ELEMS.get(np.dtype(x.dtype))


def qr_routine(dev, bufs, in_avals, params, out_avals):
    (x,) = in_avals
    t = _complex(x)
    if t is None:
        return eig.qr_routine(dev, bufs, in_avals, params, out_avals)
    if params["pivoting"]:
        return None
    m, n = x.shape[-2:]
    k = min(m, n)
    qc = m if params["full_matrices"] else k
    batch = _batch(x.shape)
    c = 2 * t.size
    with dev.runtime.lock:
        q, r = WasmBuffer(dev, c * batch * m * qc), WasmBuffer(dev, c * batch * qc * n)
        if batch and m * qc:
            keep, ptrs = eig._scratch(dev, t, 2 * m * n, 2 * max(n, qc), 2 * k)
            _kernel(dev, "qr", t)(bufs[0].ptr, q.ptr, r.ptr, m, n, qc, batch, *ptrs)
    return [q, r]


def eigh_routine(dev, bufs, in_avals, params, out_avals):
    (x,) = in_avals
    t = _complex(x)
    if t is None:
        return eig.eigh_routine(dev, bufs, in_avals, params, out_avals)
    n = x.shape[-1]
    lo, hi = params["subset_by_index"] or (0, n)
    k = hi - lo
    batch = _batch(x.shape)
    with dev.runtime.lock:
        v, wo = WasmBuffer(dev, 2 * t.size * batch * n * k), WasmBuffer(dev, t.size * batch * k)
        if batch and n and k:
            keep, ptrs = eig._scratch(dev, t, 2 * n * n, 2 * n * n, 2 * n * n, n, 2 * n, 2 * n, 2 * n, 2 * n, n)
            _kernel(dev, "eigh", t)(bufs[0].ptr, v.ptr, wo.ptr, n, k, lo, batch, int(params["lower"]), *ptrs)
    return [v, wo]


def svd_routine(dev, bufs, in_avals, params, out_avals):
    (x,) = in_avals
    t = _complex(x)
    if t is None:
        return eig.svd_routine(dev, bufs, in_avals, params, out_avals)
    m, n = x.shape[-2:]
    big, k = max(m, n), min(m, n)
    uv, full = params["compute_uv"], params["full_matrices"]
    if params["subset_by_index"] is not None or (uv and not k):
        return None
    batch = _batch(x.shape)
    trans = m < n  # work on B = A^T (not conjugated)
    rows = big if (uv and full) else k
    with dev.runtime.lock:
        outs = [WasmBuffer(dev, a.dtype.itemsize * a.size) for a in out_avals]
        if batch and k:
            uc = out_avals[1].shape[-1] if uv else 0
            u, vh = (outs[1].ptr, outs[2].ptr) if uv else (0, 0)
            if not trans:  # U = U_B: row i of U_B^T is column i; V^H = V_B^H
                ut, vb = (u, 1, uc, m * uc), (vh, n, 1, n * n)
            else:  # A = conj(V_B) S U_B^T: U's column i is V_B^H's row i, V^H = U_B^T
                ut, vb = (vh, n, 1, rows * n), (u, 1, uc, m * uc)
            keep, ptrs = eig._scratch(dev, t, 2 * k * big, 2 * k * k, 2 * rows * big, k, k, 2 * k * k, 2 * k, 2 * k,
                                      2 * k, 2 * k)
            strides = (1, n) if trans else (n, 1)
            _kernel(dev, "svd", t)(bufs[0].ptr, outs[0].ptr, big, k, *strides, batch, int(uv), rows, *ut, *vb, *ptrs)
    return outs


WasmDevice.prim_routines.update({"qr": qr_routine, "eigh": eigh_routine, "svd": svd_routine})
