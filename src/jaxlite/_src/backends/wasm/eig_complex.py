"""complex64/complex128 QR, Hermitian eigh and SVD on the wasm device: the algorithms of eig.py
over complex numbers, registered in `WasmDevice.prim_routines` in front of eig.py's routines
(real dtypes go on to those).

A complex array is interleaved (re, im) pairs of float32 (complex64) or float64 (complex128), as
numpy lays it out, so every generator takes the part's element type (`Elem`) and a complex
element is two of them (`shC` in `_EWat`). The generators are eig.py's, run with the kind
`_Complex`: its methods write the steps where complex numbers differ (products, conjugates, the
phase of a Jacobi pair, clarfg's reflector, the Hermitian tridiagonal step). The inner loops run
over v128s of whole complex numbers: a product a * x as (splat re(a)) x + (splat im(a) [-1, 1,
...]) swap(x), swap exchanging each number's parts (i8x16.swizzle); a row's scaling by a real
number and a plane rotation with real c, s are the real routines over twice the floats.

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
from jaxlite._src.backends.wasm.device import WasmDevice
from jaxlite._src.backends.wasm.eig import _copy, _d, _EWat, _walk
from jaxlite._src.backends.wasm.linalg import F32, F64, Elem, _ex, _g, _module, _ptr, _set

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


# ---- the element kind -------------------------------------------------------------------------------


class _Complex(eig._Real):
    """eig._Real's steps over complex elements (two floats of t each)."""
    sh = "shC"
    double = ["i32.const 1", "i32.shl"]
    data, f64, v128 = _DATA, _F64, _V128

    def __init__(self, t: Elem):
        self.w = _wat(t)

    at = staticmethod(_c)
    p = staticmethod(_cp)

    def counts(self, *names):
        for n in names:
            _set(self.w, n + "2", _two(n))

    def floats(self, n):
        return n + "2"

    def eye(self, ptr, rows, cols):
        _ceye(self.w, ptr, rows, cols)

    def store(self, addr, re, im):
        _cstore(self.w, addr, re, im)

    def move(self, dst, src, tee=False, conj=False):
        _cload(self.w, src, "xs", "ys")
        _cstore(self.w, dst, ["local.get $xs"], ["local.get $ys"] + ["fT.neg"] * conj)
        return ["xs", "ys"]

    def eigh_cell(self):
        """a[i, j] = A[j, i]: x[src], conjugated where (j, i) lies in the other triangle (the
        diagonal's imaginary part dropped); fin over both parts."""
        w = self.w
        _set(w, "flip", _ex("i", "j", ["i32.gt_s"], "i", "j", ["i32.lt_s"], "lower", ["select"]))
        _cload(w, _c("x", "src"), "xs", "ys")
        w("local.get $fin", "local.get $xs", "local.get $xs", "fT.sub", "fT.add", "local.get $ys", "local.get $ys",
          "fT.sub", "fT.add", "local.set $fin")
        _cstore(w, _cp("a", "i", "n", "j"), ["local.get $xs"],
                ["local.get $ys", "fT.neg", "local.get $ys", "local.get $flip", "select", "fT.const 0",
                 "local.get $i", "local.get $j", "i32.ne", "select"])

    def tridiagonal_step(self):
        """Reflector j from column j of A below the diagonal (row j of a right of it: v = (1, ...)
        left there), then A22 = H^H A22 H as A22 -= v w^H + w v^H."""
        w = self.w
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

    def qr_reflector(self):
        """clarfg's reflector (tau complex, beta real; also where only im(alpha) is nonzero)."""
        w = self.w
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

    def h_tau_axpy(self, n, py, px, j, conj):
        _cload(self.w, _c("tau", j), "taur", "taui")
        if conj:
            self.w("local.get $taui", "fT.neg", "local.set $taui")
        self.w("local.get $taur", "fT.neg", "local.set $ar", "local.get $taui", "fT.neg", "local.set $ai")
        _caxpy(self.w, n, py, px)

    def upper(self, dst, src):
        self.w("local.get $j", "local.get $i", "i32.ge_s", "local.set $up")
        _cload(self.w, src, "xs", "ys")
        _cstore(self.w, dst, ["local.get $xs", "fT.const 0", "local.get $up", "select"],
                ["local.get $ys", "fT.const 0", "local.get $up", "select"])

    def span(self, n):
        return _two(n)

    def if_tau(self, j, keep=True):
        _cload(self.w, _c("tau", j), "taur", "taui")
        self.w("local.get $taur", "fT.const 0", "fT.ne", "local.get $taui", "fT.const 0", "fT.ne", "i32.or", "if")

    def h_entry(self, addr):
        _cload(self.w, addr, "vr", "vi")

    def h_gather(self, n, py, px):
        self.w("local.get $vr", "local.set $ar", "local.get $vi", "fT.neg", "local.set $ai")
        _caxpy(self.w, n, py, px)

    def h_scatter(self, n, py, px, tau):
        """y -= tau v_i x, tau the complex locals taur, taui (if_tau's)."""
        _neg_product(self.w, "vr", "vi")
        _caxpy(self.w, n, py, px)

    def norm2(self, n, acc, px):
        _cdots(self.w, n, [(acc, px, px, False)])

    def pair_dots(self, n):
        _cdots(self.w, n, [("xx", "pp", "pp", False), ("yy", "qq", "qq", False), ("xy", "pp", "qq", True)])
        self.w("local.get $xyr", "local.get $xyr", "f64.mul", "local.get $xyi", "local.get $xyi", "f64.mul",
               "f64.add", "f64.sqrt", "local.tee $axy")
        return "axy"

    def phase(self, n, ptr, first):
        if first:  # ar + i ai = conj(xy) / |xy|
            self.w("local.get $xyr", "local.get $axy", "f64.div", "from64", "local.set $ar",
                   "local.get $xyi", "f64.neg", "local.get $axy", "f64.div", "from64", "local.set $ai")
        _cscal(self.w, n, ptr)

    def project(self, n, pu, pl):
        _cdots(self.w, n, [("dd", pl, pu, True)])
        self.w("local.get $ddr", "f64.neg", "from64", "local.set $ar", "local.get $ddi", "f64.neg", "from64",
               "local.set $ai")
        _caxpy(self.w, n, pu, pl)

    def gram_entry(self, n):
        """H[i, j] = w_j^H w_i, H[j, i] its conjugate. g holds H itself, which symeig reads as
        conj(H) (its A^T layout); conj(H)'s eigenvectors are conj(Z), so symeig's zt (their
        transposes as rows) is Z^H = P0."""
        _cdots(self.w, n, [("dd", "qq", "pp", True)])
        self.w("local.get $ddr", "from64", "local.set $xs", "local.get $ddi", "from64", "local.set $ys")
        _cstore(self.w, _cp("g", "i", "N", "j"), ["local.get $xs"], ["local.get $ys"])
        _cstore(self.w, _cp("g", "j", "N", "i"), ["local.get $xs"], ["local.get $ys", "fT.neg"])

    def coefficient(self, addr):
        _cload(self.w, addr, "ar", "ai")

    def axpy(self, n, py, px):
        _caxpy(self.w, n, py, px)

    def copy_floats(self, n, dst, src):
        _copy(self.w, n, dst, src)


# ---- the generators: eig.py's with the complex kind ------------------------------------------------


def cqr_wat(name: str, t: Elem = F32) -> str:
    """(x, q, r, m, n, qc, batch, a, wv, tau): eig.qr_wat's contract over complex matrices."""
    return eig.qr_wat(name, t, _Complex)


def csymeig_wat(name: str, t: Elem = F32) -> str:
    """(a, n, q, zt, d, e, tau, pv): the eigenvalues d (float64, unsorted) and eigenvectors (the
    rows of zt, transposed: row k is z_k^T) of the Hermitian n x n matrix A held as a = A^T
    (overwritten); q (n x n), e (n float64), tau, pv (n) are scratch."""
    return eig.symeig_wat(name, t, _Complex)


def ceigh_wat(name: str, t: Elem = F32) -> str:
    """(x, v, wo, n, k, lo, batch, lower, a, q, zt, perm, d, e, tau, pv, wf): eig.eigh_wat's
    contract over Hermitian matrices (the triangle `lower` names; the diagonal's imaginary parts
    ignored, as LAPACK's cheevd): v complex, wo real; a holds A^T."""
    return eig.eigh_wat(name, t, _Complex)


def csvd_wat(name: str, t: Elem = F32) -> str:
    """eig.svd_wat's contract over complex matrices (so real): U_B^T's rows w_i / s_i to ut, and
    V_B^H = conj(P) to vb, P the accumulated unitary transformation of W's rows."""
    return eig.svd_wat(name, t, _Complex)


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


qr_routine = eig._routine(eig._qr, _complex, 2, _kernel, eig.qr_routine)
eigh_routine = eig._routine(eig._eigh, _complex, 2, _kernel, eig.eigh_routine)
svd_routine = eig._routine(eig._svd, _complex, 2, _kernel, eig.svd_routine)
WasmDevice.prim_routines.update({"qr": qr_routine, "eigh": eigh_routine, "svd": svd_routine})
