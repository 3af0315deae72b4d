"""QR, symmetric eigendecomposition and SVD on the wasm device: routines for `qr_p`, `eigh_p` and
`svd_p` in `WasmDevice.prim_routines`, float32 and float64, batched, each batch one call into
WebAssembly.

- qr: unblocked Householder as LAPACK's sgeqr2/sorg2r: reflector j from column j with
  beta = -sign(alpha) * ||x|| (slarfg: tau = 0 and no sign change where the column below the
  diagonal is zero), applied to the trailing columns row by row (SIMD over the rows); Q formed
  backwards from the identity. The signs are LAPACK's, so Q and R equal the cpu kernel's and JAX's,
  not only Q @ R. Norms and the reflector's scalars are computed in float64.
- eigh: Householder tridiagonalisation of the symmetrised matrix (the triangle `lower` names),
  reflectors from the rows right of the diagonal, A22 -= v w^T + w v^T row by row (as LAPACK's
  ssytd2), Q formed backwards and transposed; then implicit QL with Wilkinson's shift on the
  tridiagonal in float64 (EISPACK's tql2), each plane rotation turning two contiguous rows of
  Q^T. Eigenvalues ascending (stable insertion sort, so ties keep their order: the zero matrix
  gives the identity, as LAPACK). A cyclic Jacobi was tried first: 10x slower at n = 512 (its
  column half of each rotation is strided).
- svd: one-sided Jacobi (Hestenes) on the rows of W = B^T, B = A (m >= n) or A^T (m < n), so
  every dot product and rotation runs over contiguous floats; columns p, q count as orthogonal
  when |w_p . w_q| <= sqrt(M) eps ||w_p|| ||w_q|| (sgesvj's tolerance: the vector dot products
  carry that much rounding). From order PRECONDITION_FROM on, W first turns by the eigenvectors
  of its Gram matrix (the eigh above): Jacobi then needs a sweep or two instead of about ten and
  keeps its own accuracy (the Gram matrix's squared condition number only slows it down). B is
  scaled by a power of two so that sums of squares neither overflow nor underflow.
  Singular values descending; U's columns w_i / s_i, and where s_i is zero or U is full (m x m),
  completed by Gram-Schmidt (twice) from unit vectors.

Eigenvectors and singular vectors are unique up to sign only, and these signs are not LAPACK's.
A matrix with a non-finite entry gives NaN in every output (JAX's CPU result for eigh and svd).
Complex dtypes run the same generators over complex numbers: each takes the element kind, an
object whose methods write the steps that differ (`_Real` here, `_Complex` in eig_complex.py,
which registers its routines in front of these); pivoted QR and svd's subset_by_index return
None: they run on the host (counted).
The generators take the element type: float32 data runs f32x4 inner loops with norms, dot
products and rotation angles in float64; float64 data runs the same code on f64x2 (the `fT`/`vT`
spellings of `_EWat`) with float64's epsilon in the tolerances.
"""

from __future__ import annotations

import re

import numpy as np

from jaxlite._src.backends.wasm.assembler import assemble
from jaxlite._src.backends.wasm.device import WasmBuffer, WasmDevice
from jaxlite._src.backends.wasm.linalg import F32, F64, Elem, _Wat, _batch, _elem, _ex, _g, _module, _ptr, _set

EPS = {"f32": 2.0 ** -23, "f64": 2.0 ** -52}  # machine epsilon of the data
MAX_SWEEPS = 30       # Jacobi converges quadratically: about 10 sweeps from W itself, 1-3 preconditioned
ZERO_SIGMA = {"f32": 1e-35, "f64": 1e-300}  # singular values below this get a completed U column (1 / s overflows)
# e_m counts as zero below this relative to |d_m| + |d_m+1| (float32 data: ample; float64: its epsilon)
QL_TOL = {"f32": 2.0 ** -30, "f64": 2.0 ** -52}
PRECONDITION_FROM = 16  # matrix order from which the svd starts from the Gram matrix's eigenvectors
QL_ITERATIONS = 30    # per eigenvalue (LAPACK's limit); QL converges cubically, 2-3 is usual

_F32 = {"c", "s", "xs", "ys", "sc", "fin", "af", "tf", "mx", "pw", "ipw"}
_F64 = {"th", "t", "ds", "dal", "dbeta", "xx", "yy", "xy", "dd", "tol", "tf64", "tb", "tg",
        "tr", "tp", "tc", "ts"}
_V128 = {"cv", "sv", "xv", "yv", "a4", "xx_v", "yy_v", "xy_v", "dd_v"}
_I64 = {"ebits64"}


class _EWat(_Wat):
    """_Wat whose instructions name the element type t neutrally, translated as they are written:
    `fT.` its scalar operations, `vT.` its SIMD shape, `shT` the shift of an element's address
    (`shC` of a complex element's: two of t, backends/wasm/eig_complex.py),
    `to64`/`from64` the conversions to and from the float64 that norms and rotations are computed
    in (nothing for float64 data)."""

    def __call__(self, *ins: str) -> None:
        t = self.t
        conv = {"to64": "f64.promote_f32", "from64": "f32.demote_f64"} if t is F32 else {"to64": None, "from64": None}
        for i in ins:
            if i in conv:
                if conv[i]:
                    self.lines.append(conv[i])
                continue
            i = re.sub(r"\bshC\b", f"i32.const {t.shift + 1}", i)
            self.lines.append(re.sub(r"\bshT\b", f"i32.const {t.shift}",
                                     re.sub(r"\bvT\.", f"{t.v}.", re.sub(r"\bfT\.", f"{t.s}.", i))))


def _fn(w: _Wat, name: str, params, data=_F32, f64=_F64, v128=_V128) -> str:
    """The function, its locals read off the body (types by the name sets above, _F32's being the
    data's type; the rest i32)."""
    seen = dict.fromkeys(re.findall(r"local\.(?:get|set|tee) \$(\w+)", "\n".join(w.lines)))
    types = [(v, w.t.s if v in data else "f64" if v in f64 else "v128" if v in v128 else "i64" if v in _I64
              else "i32") for v in seen if v not in params]
    return w.func(name, params, types)


def _at(base, idx):
    """Instructions for the address of element idx of the data array base."""
    return _ex(base, idx) + ["shT", "i32.shl", "i32.add"]


def _ati(base, idx):
    """Instructions for base + idx * 4 (an int32 array)."""
    return _ex(base, idx) + ["i32.const 2", "i32.shl", "i32.add"]


def _p(base, r, ld, c):
    """The address of element [r, c] of the data matrix base with row stride ld."""
    return _ptr(base, r, ld, c)[:-3] + ["shT", "i32.shl", "i32.add"]


def _walk(w, n, ptrs, vec, one, between=None, one_size=None):
    """Over n floats: vec() at each v128 (16 bytes), one() at the rest (one_size bytes each: an
    element unless told), the bodies addressing through the pointer locals of ptrs (pointer local
    -> base local), which step on after each."""
    first = next(iter(ptrs))
    for ptr, base in ptrs.items():
        _set(w, ptr, base)
    _set(w, "wend", first, n, [f"i32.const {-w.t.lanes}", "i32.and", "shT", "i32.shl", "i32.add"])
    _set(w, "wstop", first, n, ["shT", "i32.shl", "i32.add"])

    def run(body, stop, step):
        w.n += 1
        w(f"block $wx{w.n}", f"loop $wl{w.n}", f"local.get ${first}", f"local.get ${stop}", "i32.ge_u",
          f"br_if $wx{w.n}")
        body()
        for ptr in ptrs:
            w(f"local.get ${ptr}", f"i32.const {step}", "i32.add", f"local.set ${ptr}")
        w(f"br $wl{w.n}", "end", "end")
    run(vec, "wend", 16)
    if between:
        between()
    run(one, "wstop", one_size or w.t.size)


def _axpy(w, n, py, px, a):
    """y[0:n] += a * x[0:n] (a a local of the data's type)."""
    w(f"local.get ${a}", "vT.splat", "local.set $a4")
    _walk(w, n, {"ay": py, "ax": px},
          lambda: w("local.get $ay", "local.get $ay", "v128.load align=4", "local.get $a4", "local.get $ax",
                    "v128.load align=4", "vT.mul", "vT.add", "v128.store align=4"),
          lambda: w("local.get $ay", "local.get $ay", "fT.load", f"local.get ${a}", "local.get $ax", "fT.load",
                    "fT.mul", "fT.add", "fT.store"))


def _rotate(w, n, px, py):
    """x, y = c x - s y, s x + c y over n floats (c, s: locals of the data's type)."""
    w("local.get $c", "vT.splat", "local.set $cv", "local.get $s", "vT.splat", "local.set $sv")

    def body(load, store, ty, c, s, x, y):
        w("local.get $ax", load, f"local.set ${x}", "local.get $ay", load, f"local.set ${y}",
          "local.get $ax", f"local.get ${x}", f"local.get ${c}", f"{ty}.mul", f"local.get ${y}", f"local.get ${s}",
          f"{ty}.mul", f"{ty}.sub", store,
          "local.get $ay", f"local.get ${x}", f"local.get ${s}", f"{ty}.mul", f"local.get ${y}", f"local.get ${c}",
          f"{ty}.mul", f"{ty}.add", store)
    _walk(w, n, {"ax": px, "ay": py},
          lambda: body("v128.load align=4", "v128.store align=4", "vT", "cv", "sv", "xv", "yv"),
          lambda: body("fT.load", "fT.store", "fT", "c", "s", "xs", "ys"))


def _dots(w, n, pairs):
    """For each (acc, px, py): the float64 local acc = x[0:n] . y[0:n], summed in vector lanes."""
    ptrs = {f"w_{base}": base for _, px, py in pairs for base in (px, py)}
    for acc, _, _ in pairs:
        w("v128.const i32x4 0 0 0 0", f"local.set ${acc}_v", "f64.const 0", f"local.set ${acc}")

    def vec():
        for acc, px, py in pairs:
            w(f"local.get ${acc}_v", f"local.get $w_{px}", "v128.load align=4", f"local.get $w_{py}",
              "v128.load align=4", "vT.mul", "vT.add", f"local.set ${acc}_v")

    def lanes():
        for acc, _, _ in pairs:
            for lane in range(w.t.lanes):
                w(f"local.get ${acc}", f"local.get ${acc}_v", f"vT.extract_lane {lane}", "to64",
                  "f64.add", f"local.set ${acc}")

    def one():
        for acc, px, py in pairs:
            w(f"local.get ${acc}", f"local.get $w_{px}", "fT.load", "to64", f"local.get $w_{py}",
              "fT.load", "to64", "f64.mul", "f64.add", f"local.set ${acc}")
    _walk(w, n, ptrs, vec, one, lanes)


def _copy(w, n, py, px):
    """y[0:n] = x[0:n] over n floats."""
    _walk(w, n, {"ay": py, "ax": px}, lambda: w("local.get $ay", "local.get $ax", "v128.load align=4",
                                                "v128.store align=4"),
          lambda: w("local.get $ay", "local.get $ax", "fT.load", "fT.store"))


def _fill(w, var, n, ptr, value):
    """ptr[0:n] = value (an instruction pushing a value of the data's type)."""
    w.loop(var, "i32.const 0", _g(n), lambda: w(*_at(ptr, var), value, "fT.store"))


def _eye(w, ptr, rows, cols):
    w.loop("i", "i32.const 0", _g(rows), lambda: w.loop("j", "i32.const 0", _g(cols), lambda: w(
        *_p(ptr, "i", cols, "j"), "fT.const 1", "fT.const 0", "local.get $i", "local.get $j", "i32.eq",
        "select", "fT.store")))


def _sort(w, perm, n, key, ascending):
    """perm = argsort of key(idx) (instructions pushing the key, of the data's type, of the index in local $ki),
    stable (insertion sort)."""
    w.loop("i", "i32.const 0", _g(n), lambda: w(*_ati(perm, "i"), "local.get $i", "i32.store"))

    def insert():
        w(*_ati(perm, "i"), "i32.load", "local.set $cur", "local.get $i", "i32.const 1", "i32.sub", "local.set $j")
        w("block $sx", "loop $sl", "local.get $j", "i32.const 0", "i32.lt_s", "br_if $sx")
        w(*_ati(perm, "j"), "i32.load", "local.set $ki", *key(), "local.get $cur", "local.set $ki", *key(),
          "fT.gt" if ascending else "fT.lt", "i32.eqz", "br_if $sx")
        w(*_ati(perm, "j"), "i32.const 4", "i32.add", *_ati(perm, "j"), "i32.load", "i32.store",
          "local.get $j", "i32.const 1", "i32.sub", "local.set $j", "br $sl", "end", "end")
        w(*_ati(perm, "j"), "i32.const 4", "i32.add", "local.get $cur", "i32.store")
    w.loop("i", "i32.const 1", _g(n), insert)


def _jacobi_angle(w, app, aqq, apq):
    """From float64 locals: t = tan of the rotation that zeroes apq, c, s in the data's type."""
    w(f"local.get ${aqq}", f"local.get ${app}", "f64.sub", "f64.const 2", f"local.get ${apq}", "f64.mul", "f64.div",
      "local.tee $th", "f64.abs", "local.get $th", "local.get $th", "f64.mul", "f64.const 1", "f64.add", "f64.sqrt",
      "f64.add", "local.set $t",
      "f64.const 1", "local.get $th", "f64.copysign", "local.get $t", "f64.div", "local.set $t",
      "f64.const 1", "local.get $t", "local.get $t", "f64.mul", "f64.const 1", "f64.add", "f64.sqrt", "f64.div",
      "local.tee $dd", "from64", "local.set $c",
      "local.get $dd", "local.get $t", "f64.mul", "from64", "local.set $s")


class _Real:
    """The steps of the generators shared with eig_complex.py that depend on the element kind,
    here for real data (eig_complex._Complex: over complex numbers). Holds the generator's _EWat."""
    sh = "shT"     # the shift of an element's address
    double = []    # turns a count of elements into one of floats
    data, f64, v128 = _F32, _F64, _V128

    def __init__(self, t: Elem):
        self.w = _EWat(t)

    at = staticmethod(_at)  # the address of element idx
    p = staticmethod(_p)    # the address of matrix element [r, c]

    def counts(self, *names):
        """Locals for the float counts floats() names (none: a real element is one float)."""

    def floats(self, n):
        return n

    def fn(self, name, params):
        return _fn(self.w, name, params, self.data, self.f64, self.v128)

    def eye(self, ptr, rows, cols):
        _eye(self.w, ptr, rows, cols)

    def store(self, addr, re, im):
        self.w(*addr, *re, "fT.store")

    def move(self, dst, src, tee=False, conj=False):
        """*dst = *src (tee: the value also in $xs); the locals holding its parts."""
        self.w(*dst, *src, "fT.load", *(["local.tee $xs"] if tee else []), "fT.store")
        return ["xs"]

    def eigh_cell(self):
        """a[i, j] = x[src] (the symmetric matrix of x's triangle), fin += x - x."""
        self.w(*_p("a", "i", "n", "j"), *_at("x", "src"), "fT.load", "local.tee $xs", "fT.store",
               "local.get $fin", "local.get $xs", "local.get $xs", "fT.sub", "fT.add", "local.set $fin")

    def tridiagonal_step(self):
        """Reflector j from row j right of the diagonal (v = (1, ...) left in a[j, j + 1:]), then
        A22 = H A22 H as A22 -= v w^T + w v^T with w = p - (tau / 2)(p . v) v, p = tau A22 v."""
        w = self.w
        _set(w, "ln", "n", "j", ["i32.sub", "i32.const 1", "i32.sub"])
        _set(w, "vp", _p("a", "j", "n", _ex("j", 1, ["i32.add"])))
        _set(w, "dal", "vp", ["fT.load", "to64"])
        w("f64.const 0", "local.set $ds")
        w.loop("i", "i32.const 1", "local.get $ln", lambda: w(
            "local.get $ds", *_at("vp", "i"), "fT.load", "to64", "local.tee $dd", "local.get $dd",
            "f64.mul", "f64.add", "local.set $ds"))
        w(*_d("d", "j"), *_p("a", "j", "n", "j"), "fT.load", "to64", "f64.store")
        w(*_d("e", "j"), "local.get $dal", "f64.store", *_at("tau", "j"), "fT.const 0", "fT.store")
        w("local.get $ds", "f64.const 0", "f64.ne", "if")
        w("local.get $dal", "local.get $dal", "f64.mul", "local.get $ds", "f64.add", "f64.sqrt", "local.get $dal",
          "f64.copysign", "f64.neg", "local.set $dbeta")
        w(*_d("e", "j"), "local.get $dbeta", "f64.store")
        w(*_at("tau", "j"), "local.get $dbeta", "local.get $dal", "f64.sub", "local.get $dbeta", "f64.div",
          "from64", "local.tee $tf", "fT.store")
        w("f64.const 1", "local.get $dal", "local.get $dbeta", "f64.sub", "f64.div", "from64", "local.set $sc")
        w.loop("i", "i32.const 1", "local.get $ln", lambda: w(
            *_at("vp", "i"), "local.tee $ap", "local.get $ap", "fT.load", "local.get $sc", "fT.mul", "fT.store"))
        w("local.get $vp", "fT.const 1", "fT.store")

        def p_entry():  # pv[i] = tau A22[i, :] . v
            _set(w, "ri", "vp", "i", 1, ["i32.add"], "n", ["i32.mul", "shT", "i32.shl", "i32.add"])
            _dots(w, "ln", [("dd", "ri", "vp")])
            w(*_at("pv", "i"), "local.get $dd", "from64", "local.get $tf", "fT.mul", "fT.store")
        w.loop("i", "i32.const 0", "local.get $ln", p_entry)
        _dots(w, "ln", [("dd", "pv", "vp")])
        _set(w, "af", "dd", ["from64", "local.get $tf", "fT.mul", "fT.const -0.5", "fT.mul"])
        _axpy(w, "ln", "pv", "vp", "af")

        def rank2():  # row i of A22 -= v_i w + w_i v
            _set(w, "ri", "vp", "i", 1, ["i32.add"], "n", ["i32.mul", "shT", "i32.shl", "i32.add"])
            _set(w, "af", _at("vp", "i"), ["fT.load", "fT.neg"])
            _axpy(w, "ln", "ri", "pv", "af")
            _set(w, "af", _at("pv", "i"), ["fT.load", "fT.neg"])
            _axpy(w, "ln", "ri", "vp", "af")
        w.loop("i", "i32.const 0", "local.get $ln", rank2)
        w("end")

    def qr_reflector(self):
        """qr's reflector j from column j below the diagonal (LAPACK's slarfg): tau[j], v left in
        a[j+1:, j], beta on the diagonal; opens an `if` where H_j is not the identity."""
        w = self.w
        _set(w, "dal", _p("a", "j", "n", "j"), ["fT.load", "to64"])
        w("f64.const 0", "local.set $ds")
        w.loop("i", "local.get $j i32.const 1 i32.add", "local.get $m", lambda: w(
            "local.get $ds", *_p("a", "i", "n", "j"), "fT.load", "to64", "local.tee $dd",
            "local.get $dd", "f64.mul", "f64.add", "local.set $ds"))
        w(*_at("tau", "j"), "fT.const 0", "fT.store")
        w("local.get $ds", "f64.const 0", "f64.ne", "if")
        w("local.get $dal", "local.get $dal", "f64.mul", "local.get $ds", "f64.add", "f64.sqrt", "local.get $dal",
          "f64.copysign", "f64.neg", "local.set $dbeta")
        w(*_at("tau", "j"), "local.get $dbeta", "local.get $dal", "f64.sub", "local.get $dbeta", "f64.div",
          "from64", "fT.store")
        w("f64.const 1", "local.get $dal", "local.get $dbeta", "f64.sub", "f64.div", "from64", "local.set $sc")
        w.loop("i", "local.get $j i32.const 1 i32.add", "local.get $m", lambda: w(
            *_p("a", "i", "n", "j"), "local.tee $ap", "local.get $ap", "fT.load", "local.get $sc", "fT.mul",
            "fT.store"))
        w(*_p("a", "j", "n", "j"), "local.get $dbeta", "from64", "fT.store")

    def h_tau_axpy(self, n, py, px, j, conj):
        """y -= tau_j x (conj: conj(tau_j))."""
        _set(self.w, "af", _at("tau", j), ["fT.load", "fT.neg"])
        _axpy(self.w, n, py, px, "af")

    def upper(self, dst, src):
        """*dst = *src on and above the diagonal (j >= i), else 0."""
        self.w(*dst, *src, "fT.load", "fT.const 0", "local.get $j", "local.get $i", "i32.ge_s", "select", "fT.store")

    def span(self, n):
        """n elements' floats (an instruction list or a local's name)."""
        return n

    def if_tau(self, j, keep=True):
        """Opens an `if` that runs where reflector j is not the identity (keep: tau_j in $tf)."""
        if keep:
            _set(self.w, "tf", _at("tau", j), ["fT.load"])
            self.w("local.get $tf", "fT.const 0", "fT.ne", "if")
        else:
            self.w(*_at("tau", j), "fT.load", "fT.const 0", "fT.ne", "if")

    def h_entry(self, addr):
        """v_i = *addr, for h_gather and h_scatter."""
        _set(self.w, "af", addr, ["fT.load"])

    def h_gather(self, n, py, px):
        """y += conj(v_i) x (a row's share of v^H X)."""
        _axpy(self.w, n, py, px, "af")

    def h_scatter(self, n, py, px, tau):
        """y -= tau v_i x (tau: instructions turning v_i into -tau v_i)."""
        _set(self.w, "af", "af", tau)
        _axpy(self.w, n, py, px, "af")

    def norm2(self, n, acc, px):
        _dots(self.w, n, [(acc, px, px)])

    def pair_dots(self, n):
        """xx, yy: the squared norms of rows pp, qq; pushes |pp . qq| and names the float64 local
        holding it (or its real part)."""
        _dots(self.w, n, [("xx", "pp", "pp"), ("yy", "qq", "qq"), ("xy", "pp", "qq")])
        self.w("local.get $xy", "f64.abs")
        return "xy"

    def phase(self, n, ptr, first):
        """Turn row ptr by the phase pair_dots found (nothing to turn for real data)."""

    def project(self, n, pu, pl):
        """Row pu -= (pl . pu) pl."""
        _dots(self.w, n, [("dd", pu, pl)])
        _set(self.w, "af", "dd", ["from64", "fT.neg"])
        _axpy(self.w, n, pu, pl, "af")

    def gram_entry(self, n):
        """g[i, j] and g[j, i] from rows pp (i) and qq (j)."""
        _dots(self.w, n, [("dd", "pp", "qq")])
        self.w(*_p("g", "i", "N", "j"), "local.get $dd", "from64", "local.tee $xs", "fT.store",
               *_p("g", "j", "N", "i"), "local.get $xs", "fT.store")

    def coefficient(self, addr):
        """The factor of the next axpy: *addr."""
        _set(self.w, "af", addr, ["fT.load"])

    def axpy(self, n, py, px):
        _axpy(self.w, n, py, px, "af")

    def copy_floats(self, n, dst, src):
        self.w.loop("i", "i32.const 0", _g(n), lambda: self.w(*_at(dst, "i"), *_at(src, "i"), "fT.load", "fT.store"))


# ---- qr -------------------------------------------------------------------------------------------------


def qr_wat(name: str, t: Elem = F32, kind=None) -> str:
    """(x, q, r, m, n, qc, batch, a, wv, tau): for each m x n matrix of x, Q (m x qc) and R (qc x n),
    qc = m (full) or min(m, n); a (m x n), wv (max(n, qc)) and tau (min(m, n)) are scratch.
    kind: the element kind (_Real; eig_complex's applies H^H where R is formed)."""
    kd = (kind or _Real)(t)
    w = kd.w
    _set(w, "k", _ex("m", "n", "m", "n", ["i32.lt_s", "select"]))

    def reflector():
        kd.qr_reflector()
        _set(w, "nc", "n", "j", ["i32.sub", "i32.const 1", "i32.sub"])
        _set(w, "row", kd.p("a", "j", "n", _ex("j", 1, ["i32.add"])))
        apply_h("row", "nc", "n", "j", True)
        w("end")

    def apply_h(row, nc, ld, j, conj):
        """H_j (conj: H_j^H; the same for real data), H_j = I - tau v v^H, v = (1, a[j+1:, j]), on the
        nc columns of the rows from row on: wv = v^H rows, then each row -= tau v_i wv."""
        _copy(w, kd.span(nc), "wv", row)

        def rows(update):
            w.loop("i", f"local.get ${j} i32.const 1 i32.add", "local.get $m", lambda: (
                _set(w, "ri", row, "i", j, ["i32.sub"], ld, ["i32.mul", kd.sh, "i32.shl", "i32.add"]),
                kd.h_entry(kd.p("a", "i", "n", j)),
                update()))
        rows(lambda: kd.h_gather(nc, "wv", "ri"))
        kd.h_tau_axpy(nc, row, "wv", j, conj)
        rows(lambda: kd.h_scatter(nc, "ri", "wv", _at("tau", j) + ["fT.load", "fT.neg", "fT.mul"]))

    def matrix():
        _set(w, "mn", "m", "n", ["i32.mul"])
        kd.copy_floats(kd.span("mn"), "a", "x")
        w.loop("j", "i32.const 0", "local.get $k", reflector)
        w.loop("i", "i32.const 0", "local.get $qc", lambda: w.loop("j", "i32.const 0", "local.get $n", lambda: (
            kd.upper(kd.p("r", "i", "n", "j"), kd.p("a", "i", "n", "j")))))
        kd.eye("q", "m", "qc")

        def backward():
            _set(w, "j", "k", 1, ["i32.sub"], "jj", ["i32.sub"])
            kd.if_tau("j", keep=False)
            _set(w, "nc", "qc", "j", ["i32.sub"])
            _set(w, "row", kd.p("q", "j", "qc", "j"))
            apply_h("row", "nc", "qc", "j", False)
            w("end")
        w.loop("jj", "i32.const 0", "local.get $k", backward)
        _set(w, "x", "x", "mn", [kd.sh, "i32.shl", "i32.add"])
        _set(w, "q", "q", "m", "qc", ["i32.mul", kd.sh, "i32.shl", "i32.add"])
        _set(w, "r", "r", "qc", "n", ["i32.mul", kd.sh, "i32.shl", "i32.add"])
    w.loop("b", "i32.const 0", "local.get $batch", matrix)
    return kd.fn(name, ["x", "q", "r", "m", "n", "qc", "batch", "a", "wv", "tau"])


# ---- eigh -----------------------------------------------------------------------------------------------


def _d(arr, idx):
    """Instructions for the address of float64 element idx of arr."""
    return _ex(arr, idx) + ["i32.const 3", "i32.shl", "i32.add"]


def _ql(w, row, width):
    """Implicit QL with Wilkinson's shift on (d, e) (EISPACK's tql2 as Numerical Recipes'
    tqli writes it), in float64; each plane rotation also turns rows i, i + 1 of zt (row(i): the
    instructions of row i's address; width: its floats)."""
    t = w.t

    def eigenvalue():
        w("i32.const 0", "local.set $it", "loop $ql")
        w("local.get $l", "local.set $m", "block $fm", "loop $fml",
          "local.get $m", "local.get $nm1", "i32.ge_s", "br_if $fm",
          *_d("e", "m"), "f64.load", "f64.abs", f"f64.const {QL_TOL[t.s]}",
          *_d("d", "m"), "f64.load", "f64.abs", *_d("d", _ex("m", 1, ["i32.add"])), "f64.load", "f64.abs",
          "f64.add", "f64.mul", "f64.le", "br_if $fm",
          "local.get $m", "i32.const 1", "i32.add", "local.set $m", "br $fml", "end", "end")
        w("local.get $m", "local.get $l", "i32.ne", "local.get $it", f"i32.const {QL_ITERATIONS}", "i32.lt_s",
          "i32.and", "if")
        w("local.get $it", "i32.const 1", "i32.add", "local.set $it")
        # g = d[m] - d[l] + e[l] / (g + sign(g) hypot(g, 1)), g = (d[l + 1] - d[l]) / (2 e[l])
        w(*_d("d", _ex("l", 1, ["i32.add"])), "f64.load", *_d("d", "l"), "f64.load", "f64.sub", "f64.const 2",
          *_d("e", "l"), "f64.load", "f64.mul", "f64.div", "local.tee $tg",
          "local.get $tg", "f64.mul", "f64.const 1", "f64.add", "f64.sqrt", "local.get $tg", "f64.copysign",
          "local.get $tg", "f64.add", "local.set $tr",
          *_d("d", "m"), "f64.load", *_d("d", "l"), "f64.load", "f64.sub", *_d("e", "l"), "f64.load",
          "local.get $tr", "f64.div", "f64.add", "local.set $tg")
        w("f64.const 1", "local.set $ts", "f64.const 1", "local.set $tc", "f64.const 0", "local.set $tp",
          "i32.const 0", "local.set $under")
        _set(w, "i", "m", 1, ["i32.sub"])
        w("block $ib", "loop $il", "local.get $i", "local.get $l", "i32.lt_s", "br_if $ib")
        w("local.get $ts", *_d("e", "i"), "f64.load", "local.tee $dd", "f64.mul", "local.set $tf64",
          "local.get $tc", "local.get $dd", "f64.mul", "local.set $tb",
          *_d("e", _ex("i", 1, ["i32.add"])), "local.get $tf64", "local.get $tf64", "f64.mul", "local.get $tg",
          "local.get $tg", "f64.mul", "f64.add", "f64.sqrt", "local.tee $tr", "f64.store")
        w("local.get $tr", "f64.const 0", "f64.eq", "if",
          *_d("d", _ex("i", 1, ["i32.add"])), *_d("d", _ex("i", 1, ["i32.add"])), "f64.load", "local.get $tp",
          "f64.sub", "f64.store", *_d("e", "m"), "f64.const 0", "f64.store", "i32.const 1", "local.set $under",
          "br $ib", "end")
        w("local.get $tf64", "local.get $tr", "f64.div", "local.set $ts",
          "local.get $tg", "local.get $tr", "f64.div", "local.set $tc",
          *_d("d", _ex("i", 1, ["i32.add"])), "f64.load", "local.get $tp", "f64.sub", "local.set $tg",
          *_d("d", "i"), "f64.load", "local.get $tg", "f64.sub", "local.get $ts", "f64.mul",
          "f64.const 2", "local.get $tc", "f64.mul", "local.get $tb", "f64.mul", "f64.add", "local.set $tr",
          "local.get $ts", "local.get $tr", "f64.mul", "local.set $tp",
          *_d("d", _ex("i", 1, ["i32.add"])), "local.get $tg", "local.get $tp", "f64.add", "f64.store",
          "local.get $tc", "local.get $tr", "f64.mul", "local.get $tb", "f64.sub", "local.set $tg")
        w("local.get $tc", "from64", "local.set $c", "local.get $ts", "from64", "local.set $s")
        _set(w, "pp", row("i"))
        _set(w, "qq", row(_ex("i", 1, ["i32.add"])))
        _rotate(w, width, "pp", "qq")
        w("local.get $i", "i32.const 1", "i32.sub", "local.set $i", "br $il", "end", "end")
        w("local.get $under", "i32.eqz", "if",
          *_d("d", "l"), *_d("d", "l"), "f64.load", "local.get $tp", "f64.sub", "f64.store",
          *_d("e", "l"), "local.get $tg", "f64.store", *_d("e", "m"), "f64.const 0", "f64.store", "end")
        w("br $ql", "end", "end")
    w(*_d("e", "nm1"), "f64.const 0", "f64.store")
    w.loop("l", "i32.const 0", "local.get $n", eigenvalue)


def symeig_wat(name: str, t: Elem = F32, kind=None) -> str:
    """(a, n, q, zt, d, e, tau, pv): the eigenvalues d (float64, unsorted) and eigenvectors (the
    rows of zt) of the symmetric n x n matrix a (overwritten); q (n x n), e (n float64), tau, pv
    (n) are scratch."""
    kd = (kind or _Real)(t)
    w = kd.w
    _set(w, "nm1", "n", 1, ["i32.sub"])
    kd.counts("n")
    w.loop("j", "i32.const 0", "local.get $nm1", kd.tridiagonal_step)
    w(*_d("d", "nm1"), *kd.p("a", "nm1", "n", "nm1"), "fT.load", "to64", "f64.store")
    _form_q(kd)
    _ql(w, lambda r: kd.p("zt", r, "n", 0), kd.floats("n"))
    return kd.fn(name, ["a", "n", "q", "zt", "d", "e", "tau", "pv"])


def _form_q(kd):
    """Q = H_0 ... H_{n-2} backwards from the identity (rows j + 1.. only), then zt = Q^T (symeig's
    last step for either kind: a's rows right of the diagonal hold the reflectors)."""
    w = kd.w
    kd.eye("q", "n", "n")

    def back():
        _set(w, "j", "n", 2, ["i32.sub"], "jj", ["i32.sub"])
        kd.if_tau("j")
        _set(w, "ln", "n", "j", ["i32.sub", "i32.const 1", "i32.sub"])
        _set(w, "vp", kd.p("a", "j", "n", _ex("j", 1, ["i32.add"])))
        _set(w, "row", kd.p("q", _ex("j", 1, ["i32.add"]), "n", _ex("j", 1, ["i32.add"])))
        kd.counts("ln")
        _fill(w, "i", kd.floats("ln"), "pv", "fT.const 0")

        def rows(update):
            w.loop("i", "i32.const 0", "local.get $ln", lambda: (
                _set(w, "ri", "row", "i", "n", ["i32.mul", kd.sh, "i32.shl", "i32.add"]),
                kd.h_entry(kd.at("vp", "i")), update()))
        rows(lambda: kd.h_gather("ln", "pv", "ri"))
        rows(lambda: kd.h_scatter("ln", "ri", "pv", ["local.get $tf", "fT.mul", "fT.neg"]))
        w("end")
    _set(w, "nm1", "n", 1, ["i32.sub"])
    w.loop("jj", "i32.const 0", "local.get $nm1", back)
    w.loop("i", "i32.const 0", "local.get $n", lambda: w.loop("j", "i32.const 0", "local.get $n", lambda: kd.move(
        kd.p("zt", "i", "n", "j"), kd.p("q", "j", "n", "i"))))


def eigh_wat(name: str, t: Elem = F32, kind=None) -> str:
    """(x, v, wo, n, k, lo, batch, lower, a, q, zt, perm, d, e, tau, pv, wf): for each n x n matrix
    of x (the triangle `lower` names), eigenvectors v (n x k) and eigenvalues wo (k) of ascending
    ranks [lo, lo + k). Scratch: a, q, zt (n x n), perm, tau, pv, wf (n), d, e (n float64).
    kind: the element kind (_Real; eig_complex's for Hermitian matrices)."""
    kd = (kind or _Real)(t)
    w = kd.w

    def load():  # a = the matrix of x's triangle; fin = sum(x - x): NaN where not finite
        w("fT.const 0", "local.set $fin")

        def cell():
            # lower: x[max(i, j), min(i, j)], upper: x[min, max]
            _set(w, "hi", _ex("i", "j", "i", "j", ["i32.gt_s", "select"]))
            _set(w, "lw", _ex("i", "j", "i", "j", ["i32.lt_s", "select"]))
            _set(w, "src", _ex("hi", "lw", "lower", ["select", "local.get $n", "i32.mul"], "lw", "hi", "lower",
                               ["select", "i32.add"]))
            kd.eigh_cell()
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
            w.loop("r", "i32.const 0", "local.get $n", lambda: kd.move(kd.p("v", "r", "k", "i"),
                                                                       kd.p("zt", "src", "n", "r")))
        w.loop("i", "i32.const 0", "local.get $k", column)
        w("else")
        _fill(w, "i", "k", "wo", "fT.const nan")
        _set(w, "nk", "n", "k", ["i32.mul"] + kd.double)
        _fill(w, "i", "nk", "v", "fT.const nan")
        w("end")
        _set(w, "x", "x", "n", "n", ["i32.mul", kd.sh, "i32.shl", "i32.add"])
        _set(w, "v", "v", "n", "k", ["i32.mul", kd.sh, "i32.shl", "i32.add"])
        _set(w, "wo", "wo", "k", ["shT", "i32.shl", "i32.add"])
    w.loop("b", "i32.const 0", "local.get $batch", matrix)
    return kd.fn(name, ["x", "v", "wo", "n", "k", "lo", "batch", "lower", "a", "q", "zt", "perm", "d", "e", "tau",
                        "pv", "wf"])


# ---- svd ------------------------------------------------------------------------------------------------


def svd_wat(name: str, t: Elem = F32, kind=None) -> str:
    """(x, so, M, N, s1, s2, batch, uv, R, ut, ut_i, ut_r, ut_step, vb, vb_i, vb_c, vb_step, wk, pt, utb,
    perm, sig): the SVD of B (M x N, M >= N, B[r, i] = x[r * s1 + i * s2]) per matrix of x:
    singular values so (N), and with uv the rows of U_B^T (R of them: N, or M when full) written
    to ut[i * ut_i + r * ut_r] and of V_B^T to vb[i * vb_i + c * vb_c] (so A^T's factors land
    transposed). Scratch: wk (N x M), pt (N x N), utb (R x M), perm (N), sig (N).
    kind: the element kind (_Real; eig_complex's complex one runs the same steps over complex rows)."""
    k = (kind or _Real)(t)
    w, p = k.w, k.p

    def load():
        """wk = B^T scaled by pw, the power of two at or below the largest |part| (so that the sums
        of squares neither overflow nor underflow); fin = sum(x - x), NaN where not finite."""
        w("fT.const 0", "local.set $fin", "fT.const 0", "local.set $mx")

        def cell():
            parts = k.move(p("wk", "i", "M", "r"), k.at("x", _ex("r", "s1", ["i32.mul"], "i", "s2",
                                                                 ["i32.mul", "i32.add"])), tee=True)
            w("local.get $fin", *[i for v in parts for i in (f"local.get ${v}", f"local.get ${v}", "fT.sub",
                                                             "fT.add")], "local.set $fin",
              "local.get $mx", *[i for v in parts for i in (f"local.get ${v}", "fT.abs", "fT.max")], "local.set $mx")
        w.loop("i", "i32.const 0", "local.get $N", lambda: w.loop("r", "i32.const 0", "local.get $M", cell))
        if w.t is F32:
            w("local.get $mx", "i32.reinterpret_f32", "i32.const 0x7f800000", "i32.and", "local.tee $ebits",
              "f32.reinterpret_i32", "f32.const 0x1p-64", "local.get $ebits", "select", "local.set $pw")
        else:
            w("local.get $mx", "i64.reinterpret_f64", "i64.const 0x7ff0000000000000", "i64.and", "local.tee $ebits64",
              "f64.reinterpret_i64", "f64.const 0x1p-64", "local.get $ebits64", "i64.eqz", "i32.eqz", "select",
              "local.set $pw")
        w("fT.const 1", "local.get $pw", "fT.div", "local.set $ipw", "local.get $pw", "fT.const 1", "fT.ne", "if")
        _set(w, "mn", "M", "N", ["i32.mul"] + k.double)
        w.loop("i", "i32.const 0", "local.get $mn", lambda: w(
            *_at("wk", "i"), *_at("wk", "i"), "fT.load", "local.get $ipw", "fT.mul", "fT.store"))
        w("end")

    def pair():
        """Rows p, q (complex: q first turned by the phase that makes w_p^H w_q real), then the
        rotation by the real angle."""
        _set(w, "pp", p("wk", "p", "M", 0))
        _set(w, "qq", p("wk", "q", "M", 0))
        xy = k.pair_dots("M")
        w("local.get $tol", "local.get $xx", "f64.sqrt", "f64.mul", "local.get $yy", "f64.sqrt", "f64.mul", "f64.gt",
          "if")
        w("local.get $rot", "i32.const 1", "i32.add", "local.set $rot")
        k.phase("M", "qq", True)
        _jacobi_angle(w, "xx", "yy", xy)
        _rotate(w, k.floats("M"), "pp", "qq")
        w("local.get $uv", "if")
        _set(w, "pp", p("pt", "p", "N", 0))
        _set(w, "qq", p("pt", "q", "N", 0))
        k.phase("N", "qq", False)
        _rotate(w, k.floats("N"), "pp", "qq")
        w("end", "end")

    def scale_row(ptr):
        w.loop("r", "i32.const 0", _g(k.floats("M")), lambda: w(
            *_at("ui", "r"), "local.get $af", *_at(ptr, "r"), "fT.load", "fT.mul", "fT.store"))

    def complete():
        """utb row i: the first unit vector with a part orthogonal to rows [0, i) of at least
        1 / sqrt(2 M), that part (two Gram-Schmidt passes), normalised."""
        _set(w, "ui", p("utb", "i", "M", 0))
        w("i32.const 0", "local.set $eu", "block $cx", "loop $cl")
        _fill(w, "r", k.floats("M"), "ui", "fT.const 0")
        w(*k.at("ui", "eu"), "fT.const 1", "fT.store")
        for _ in range(2):
            def project():
                _set(w, "ul", p("utb", "l", "M", 0))
                k.project("M", "ui", "ul")
            w.loop("l", "i32.const 0", "local.get $i", project)
        k.norm2("M", "dd", "ui")
        w("local.get $dd", "f64.const 1", "local.get $M", "f64.convert_i32_s", "f64.const 2", "f64.mul", "f64.div",
          "f64.gt", "br_if $cx")
        w("local.get $eu", "i32.const 1", "i32.add", "local.tee $eu", "local.get $M", "i32.lt_s", "br_if $cl", "end",
          "end")
        _set(w, "af", "dd", ["f64.sqrt", "from64", "local.set $sc", "fT.const 1", "local.get $sc", "fT.div"])
        scale_row("ui")

    def ut_at(r):
        return k.at("ut", _ex("i", "ut_i", ["i32.mul"], r, "ut_r", ["i32.mul", "i32.add"]))

    def vb_at(r):
        return k.at("vb", _ex("i", "vb_i", ["i32.mul"], r, "vb_c", ["i32.mul", "i32.add"]))

    def factors():
        def urow():
            # rows [0, N) of U_B^T: w_src / s_src, unless s_src is zero; the rest completed
            _set(w, "ui", p("utb", "i", "M", 0))
            _set(w, "src", _ex(_ati("perm", "i") + ["i32.load"], [_g(0)], "i", "N", ["i32.lt_s", "select"]))
            _set(w, "sc", _at("sig", "src"), ["fT.load"])
            w("local.get $i", "local.get $N", "i32.lt_s", "local.get $sc", f"fT.const {ZERO_SIGMA[t.s]}", "fT.gt",
              "i32.and", "if")
            _set(w, "af", ["fT.const 1", "local.get $sc", "fT.div"])
            _set(w, "pp", p("wk", "src", "M", 0))
            scale_row("pp")
            w("else")
            complete()
            w("end")
            w.loop("r", "i32.const 0", "local.get $M", lambda: k.move(ut_at("r"), k.at("ui", "r")))
        w.loop("i", "i32.const 0", "local.get $R", urow)

        def vrow():  # V_B^T's rows (complex: V_B^H, the conjugate of the accumulated rotations)
            _set(w, "src", _ati("perm", "i"), ["i32.load"])
            w.loop("r", "i32.const 0", "local.get $N", lambda: k.move(vb_at("r"), p("pt", "src", "N", "r"),
                                                                      conj=True))
        w.loop("i", "i32.const 0", "local.get $N", vrow)

    def nan_factors():
        w.loop("i", "i32.const 0", "local.get $R", lambda: w.loop("r", "i32.const 0", "local.get $M", lambda: k.store(
            ut_at("r"), ["fT.const nan"], ["fT.const nan"])))
        w.loop("i", "i32.const 0", "local.get $N", lambda: w.loop("r", "i32.const 0", "local.get $N", lambda: k.store(
            vb_at("r"), ["fT.const nan"], ["fT.const nan"])))

    def precondition():
        """W = P0 W and pt = P0, P0 = V0^T (complex: V0^H), V0 the eigenvectors of the Gram matrix
        W W^T (W W^H): the rows come out nearly orthogonal, and Jacobi restores the accuracy the
        Gram matrix loses in a sweep or two instead of ten."""
        def gram_row():
            _set(w, "pp", p("wk", "i", "M", 0))

            def entry():
                _set(w, "qq", p("wk", "j", "M", 0))
                k.gram_entry("M")
            w.loop("j", "local.get $i", "local.get $N", entry)
        w.loop("i", "i32.const 0", "local.get $N", gram_row)
        w(*_ex("g", "N", "utb", "pt", "d", "e", "tau", "pv"), "call $symeig")

        def rotated_row():  # utb[i] = sum_j pt[i, j] wk[j]
            _set(w, "ui", p("utb", "i", "M", 0))
            _fill(w, "r", k.floats("M"), "ui", "fT.const 0")

            def term():
                k.coefficient(p("pt", "i", "N", "j"))
                _set(w, "pp", p("wk", "j", "M", 0))
                k.axpy("M", "ui", "pp")
            w.loop("j", "i32.const 0", "local.get $N", term)
        w.loop("i", "i32.const 0", "local.get $N", rotated_row)
        _set(w, "mn", "M", "N", ["i32.mul"] + k.double)
        k.copy_floats("mn", "wk", "utb")

    def matrix():
        load()
        w("local.get $fin", "local.get $fin", "fT.eq", "if")
        w("local.get $N", f"i32.const {PRECONDITION_FROM}", "i32.ge_s", "if")
        precondition()
        w("else")
        k.eye("pt", "N", "N")
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
            _set(w, "pp", p("wk", "i", "M", 0))
            k.norm2("M", "dd", "pp")
            w(*_at("sig", "i"), "local.get $dd", "f64.sqrt", "from64", "fT.store")
        w.loop("i", "i32.const 0", "local.get $N", norm)
        _sort(w, "perm", "N", lambda: _at("sig", "ki") + ["fT.load"], False)
        w.loop("i", "i32.const 0", "local.get $N", lambda: w(
            *_at("so", "i"), *_at("sig", _ati("perm", "i") + ["i32.load"]), "fT.load", "local.get $pw", "fT.mul",
            "fT.store"))
        w("local.get $uv", "if")
        factors()
        w("end", "else")
        _fill(w, "i", "N", "so", "fT.const nan")
        w("local.get $uv", "if")
        nan_factors()
        w("end", "end")
        _set(w, "x", "x", "M", "N", ["i32.mul", k.sh, "i32.shl", "i32.add"])
        _set(w, "so", "so", "N", ["shT", "i32.shl", "i32.add"])
        _set(w, "ut", "ut", "ut_step", [k.sh, "i32.shl", "i32.add"])
        _set(w, "vb", "vb", "vb_step", [k.sh, "i32.shl", "i32.add"])
    k.counts("M", "N")
    # the orthogonality tolerance: sqrt(M) eps (vector dot products of M terms)
    w("local.get $M", "f64.convert_i32_s", "f64.sqrt", f"f64.const {EPS[t.s]}", "f64.mul", "local.set $tol")
    w.loop("b", "i32.const 0", "local.get $batch", matrix)
    return k.fn(name, ["x", "so", "M", "N", "s1", "s2", "batch", "uv", "R", "ut", "ut_i", "ut_r", "ut_step",
                       "vb", "vb_i", "vb_c", "vb_step", "wk", "pt", "utb", "perm", "sig", "g", "d", "e", "tau", "pv"])


_FUNCS = {"qr": qr_wat, "eigh": eigh_wat, "svd": svd_wat}


def eig_module(name: str, shared: bool, t: Elem = F32) -> str:
    return _module(shared, [_FUNCS[name](name, t)] + ([symeig_wat("symeig", t)] if name != "qr" else []), name)


def _kernel(dev, name, t: Elem = F32):
    shared = dev.runtime.shared
    return dev.compile_cached(("eig", name, shared, t.s), lambda: dev.runtime.instantiate(
        assemble(eig_module(name, shared, t))))


def _scratch(dev, t, *counts):
    """Pointers to one scratch buffer split into arrays of counts elements of t (kept alive by
    the returned buffer; the float64 d and e count two elements each: ample for float64 data)."""
    buf = WasmBuffer(dev, t.size * max(1, sum(counts)))
    offsets = np.cumsum((0,) + counts[:-1]) * t.size
    return buf, [buf.ptr + int(o) for o in offsets]


# ---- the primitives' routines ------------------------------------------------------------------------
# Each runs for either kind: t the element's part type (a float), parts 1 (real) or 2 (complex),
# kernel(dev, name, t) the compiled module of that kind.


def _qr(dev, bufs, x, params, out_avals, t, parts, kernel):
    if params["pivoting"]:
        return None
    m, n = x.shape[-2:]
    k = min(m, n)
    qc = m if params["full_matrices"] else k
    batch = _batch(x.shape)
    c = parts * t.size
    with dev.runtime.lock:
        q, r = WasmBuffer(dev, c * batch * m * qc), WasmBuffer(dev, c * batch * qc * n)
        if batch and m * qc:
            keep, ptrs = _scratch(dev, t, parts * m * n, parts * max(n, qc), parts * k)
            kernel(dev, "qr", t)(bufs[0].ptr, q.ptr, r.ptr, m, n, qc, batch, *ptrs)
    return [q, r]


def _eigh(dev, bufs, x, params, out_avals, t, parts, kernel):
    n = x.shape[-1]
    lo, hi = params["subset_by_index"] or (0, n)
    k = hi - lo
    batch = _batch(x.shape)
    c = parts
    # sort_eigenvalues=False: JAX's CPU (LAPACK's syevd) returns them ascending all the same
    with dev.runtime.lock:
        v, wo = WasmBuffer(dev, c * t.size * batch * n * k), WasmBuffer(dev, t.size * batch * k)
        if batch and n and k:
            keep, ptrs = _scratch(dev, t, c * n * n, c * n * n, c * n * n, n, 2 * n, 2 * n, c * n, c * n, n)
            kernel(dev, "eigh", t)(bufs[0].ptr, v.ptr, wo.ptr, n, k, lo, batch, int(params["lower"]), *ptrs)
    return [v, wo]


def _svd(dev, bufs, x, params, out_avals, t, parts, kernel):
    m, n = x.shape[-2:]
    big, k = max(m, n), min(m, n)
    uv, full = params["compute_uv"], params["full_matrices"]
    # (an empty matrix with factors: identities, made by the host)
    if params["subset_by_index"] is not None or (uv and not k):
        return None
    batch = _batch(x.shape)
    trans = m < n  # work on B = A^T (not conjugated)
    rows = big if (uv and full) else k  # rows of U_B^T
    c = parts
    with dev.runtime.lock:
        outs = [WasmBuffer(dev, a.dtype.itemsize * a.size) for a in out_avals]
        if batch and k:
            uc = out_avals[1].shape[-1] if uv else 0
            u, vh = (outs[1].ptr, outs[2].ptr) if uv else (0, 0)
            if not trans:  # U = U_B (m x uc): row i of U_B^T is column i; V^T = V_B^T (n x n) (V^H = V_B^H)
                ut, vb = (u, 1, uc, m * uc), (vh, n, 1, n * n)
            else:  # U = V_B (m x m) (complex: conj(V_B)): row i of V_B^T is column i; V^T = U_B^T (rows x n)
                ut, vb = (vh, n, 1, rows * n), (u, 1, uc, m * uc)
            keep, ptrs = _scratch(dev, t, c * k * big, c * k * k, c * rows * big, k, k, c * k * k, 2 * k, 2 * k,
                                  c * k, c * k)
            strides = (1, n) if trans else (n, 1)
            kernel(dev, "svd", t)(bufs[0].ptr, outs[0].ptr, big, k, *strides, batch, int(uv), rows, *ut, *vb, *ptrs)
    return outs


def _routine(run, elem_of, parts, kernel, otherwise=lambda *args: None):
    """The prim routine that runs run on the data elem_of gives an element type for (None: otherwise)."""
    def routine(dev, bufs, in_avals, params, out_avals):
        t = elem_of(in_avals[0])
        if t is None:
            return otherwise(dev, bufs, in_avals, params, out_avals)
        return run(dev, bufs, in_avals[0], params, out_avals, t, parts, kernel)
    return routine


qr_routine = _routine(_qr, _elem, 1, _kernel)
eigh_routine = _routine(_eigh, _elem, 1, _kernel)
svd_routine = _routine(_svd, _elem, 1, _kernel)
WasmDevice.prim_routines.update({"qr": qr_routine, "eigh": eigh_routine, "svd": svd_routine})
