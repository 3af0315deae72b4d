"""Elementwise primitives, conversions and constants, each with its rules beside it:
abstract eval (core), cpu kernel (backends.cpu), jvp and transpose (ad), vmap (batching).

lax is strict like JAX's: operands of a binary op must share dtype and shape; only Python
scalars are converted (to the other operand's dtype) and broadcast for convenience.
"""

from __future__ import annotations

import math

import numpy as np

from jaxlite._src import ad, ad_util, batching, core, dtypes
from jaxlite._src.backends import cpu
from jaxlite._src.core import Primitive, ShapedArray, abstract_eval_rules, get_aval

# ---- helpers shared by the elementwise primitives -------------------------------------------------

_FLOAT = "fc"
_NUM = "iufc"
_INT = "iu"
_INTB = "iub"
_ANY = "iufcb"


def _check_kinds(name, avals, kinds):
    for a in avals:
        if dtypes.kind(a.dtype) not in kinds:
            raise TypeError(f"{name} does not accept dtype {a.dtype.name}. Accepted dtypes are subtypes of "
                            f"{_kind_names(kinds)}.")


def _kind_names(kinds):
    names = {"f": "floating", "c": "complexfloating", "i": "signedinteger", "u": "unsignedinteger", "b": "bool"}
    return ", ".join(names[k] for k in kinds)


def _nary_abstract(name, kinds, out_dtype=None):
    def rule(*avals, **params):
        _check_kinds(name, avals, kinds)
        shapes = {a.shape for a in avals}
        if len(shapes) > 1:
            raise TypeError(f"{name} got incompatible shapes for broadcasting: "
                            f"{', '.join(str(a.shape) for a in avals)}.")
        dts = {a.dtype for a in avals}
        if len(dts) > 1:
            raise TypeError(f"{name} requires arguments to have the same dtypes, got "
                            f"{', '.join(a.dtype.name for a in avals)}.")
        dt = avals[0].dtype
        if out_dtype is not None:
            dt = out_dtype(dt)
        weak = all(a.weak_type for a in avals) and out_dtype is None
        return [ShapedArray(avals[0].shape, dt, weak)]
    return rule


def _vmap_elementwise(prim):
    def rule(axis_size, vals, dims, **params):
        # Put every batch axis in front; unbatched operands are broadcast to match.
        vals = [batching.move_batch_axis(axis_size, d, 0, v) for v, d in zip(vals, dims)]
        return [prim.bind(*vals, **params)], [0]
    batching.vmap_rules[prim] = rule


def _make(name, n, kinds, kernel, out_dtype=None):
    p = Primitive(name)
    abstract_eval_rules[p] = _nary_abstract(name, kinds, out_dtype)
    cpu.kernels[p] = kernel
    _vmap_elementwise(p)
    return p


def unop(name, kinds, kernel):
    return _make(name, 1, kinds, kernel)


def binop(name, kinds, kernel, out_dtype=None):
    return _make(name, 2, kinds, kernel, out_dtype)


def defjvp(prim, *jvps):
    """jvps[i](g_i, *primals) is the tangent contribution of operand i (None: none)."""
    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        t_out = None
        for jvp, t in zip(jvps, tangents):
            if jvp is not None:
                t_out = ad.add_tangents(t_out, jvp(t, *primals, **params))
        if t_out is None:
            t_out = ad.zeros_like(out)
        return [out], [t_out]
    ad.jvp_rules[prim] = rule


def defjvp2(prim, jvp):
    """Unary jvp that may reuse the output: jvp(g, ans, x)."""
    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        return [out], [jvp(tangents[0], out, *primals, **params)]
    ad.jvp_rules[prim] = rule


def _scalar_operands(*args):
    """Convert Python scalars to the dtype of the array operand and broadcast them to its shape."""
    arrays = [a for a in args if not _is_python_scalar(a)]
    if not arrays:
        return [_as_array(a) for a in args]
    ref = get_aval(arrays[0])
    return [full(ref.shape, a, ref.dtype) if _is_python_scalar(a) else a for a in args]


def _is_python_scalar(x) -> bool:
    return isinstance(x, (bool, int, float, complex)) and not isinstance(x, core.Tracer)


def _as_array(x):
    from jaxlite._src import dispatch
    if isinstance(x, core.Tracer) or hasattr(x, "aval"):
        return x
    return dispatch.make_array(x)


# ---- constants ------------------------------------------------------------------------------------

def full(shape, fill_value, dtype=None):
    """An array of `shape` filled with fill_value (a scalar or 0-d array, concrete or traced)."""
    shape = tuple(int(core.concrete_or_error(d, "shape of full")) for d in shape)
    if isinstance(fill_value, core.Tracer) or hasattr(fill_value, "aval"):
        x = fill_value
        if dtype is not None and get_aval(x).dtype != np.dtype(dtype):
            x = convert_element_type(x, dtype)
    else:
        dt = dtypes.canonicalize_dtype(dtype if dtype is not None else dtypes.dtype_and_weak(fill_value)[0])
        x = np.array(fill_value, dtype=dt) if dt.kind != "b" else np.array(bool(fill_value))
    if get_aval(x).shape != ():
        raise TypeError(f"full must be called with scalar fill_value, got fill_value.shape {get_aval(x).shape}.")
    return broadcast_in_dim(x, shape, ())


def zeros_like_array(x):
    a = get_aval(x)
    return full(a.shape, 0, a.dtype)


# ---- arithmetic -----------------------------------------------------------------------------------

neg_p = unop("neg", _NUM, np.negative)
sign_p = unop("sign", _NUM, np.sign)
floor_p = unop("floor", "f", np.floor)
ceil_p = unop("ceil", "f", np.ceil)
is_finite_p = Primitive("is_finite")
abstract_eval_rules[is_finite_p] = _nary_abstract("is_finite", "f", lambda dt: dtypes.bool_)
cpu.kernels[is_finite_p] = np.isfinite
_vmap_elementwise(is_finite_p)
ad.nondiff.add(is_finite_p)

round_p = Primitive("round")
abstract_eval_rules[round_p] = _nary_abstract("round", "f")
cpu.kernels[round_p] = lambda x, rounding_method=0: (
    np.round(x) if rounding_method == 1 else np.sign(x) * np.floor(np.abs(x) + np.asarray(0.5, x.dtype)))
_vmap_elementwise(round_p)

exp_p = unop("exp", _FLOAT, np.exp)
exp2_p = unop("exp2", _FLOAT, np.exp2)
log_p = unop("log", _FLOAT, np.log)
log1p_p = unop("log1p", _FLOAT, np.log1p)
expm1_p = unop("expm1", _FLOAT, np.expm1)
tanh_p = unop("tanh", _FLOAT, np.tanh)
logistic_p = unop("logistic", _FLOAT, lambda x: np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))),
                                                        np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x)))))
sin_p = unop("sin", _FLOAT, np.sin)
cos_p = unop("cos", _FLOAT, np.cos)
tan_p = unop("tan", _FLOAT, np.tan)
asin_p = unop("asin", _FLOAT, np.arcsin)
acos_p = unop("acos", _FLOAT, np.arccos)
atan_p = unop("atan", _FLOAT, np.arctan)
sinh_p = unop("sinh", _FLOAT, np.sinh)
cosh_p = unop("cosh", _FLOAT, np.cosh)
asinh_p = unop("asinh", _FLOAT, np.arcsinh)
acosh_p = unop("acosh", _FLOAT, np.arccosh)
atanh_p = unop("atanh", _FLOAT, np.arctanh)
sqrt_p = unop("sqrt", _FLOAT, np.sqrt)
rsqrt_p = unop("rsqrt", _FLOAT, lambda x: 1 / np.sqrt(x))
cbrt_p = unop("cbrt", "f", np.cbrt)
abs_p = Primitive("abs")


def _abs_abstract(x):
    _check_kinds("abs", [x], _NUM)
    return [x.update(dtype=np.abs(np.zeros((), x.dtype)).dtype)]


abstract_eval_rules[abs_p] = _abs_abstract
cpu.kernels[abs_p] = np.abs
_vmap_elementwise(abs_p)
not_p = unop("not", _INTB, np.invert)

_erf = np.frompyfunc(math.erf, 1, 1)
_erfc = np.frompyfunc(math.erfc, 1, 1)
_lgamma = np.frompyfunc(lambda v: v if math.isnan(v) else math.inf if math.isinf(v) or (v <= 0 and v == math.floor(v))
                        else math.lgamma(v), 1, 1)
erf_p = unop("erf", "f", _erf)
erfc_p = unop("erfc", "f", _erfc)
lgamma_p = unop("lgamma", "f", _lgamma)

integer_pow_p = Primitive("integer_pow")
abstract_eval_rules[integer_pow_p] = _nary_abstract("integer_pow", _NUM)
# An integer base takes the exponent as a 64-bit numpy int: numpy 2 rejects a Python int exponent
# that does not fit the base's dtype (x ** 2**40 wraps in JAX).
cpu.kernels[integer_pow_p] = lambda x, y: (np.power(x, {"i": np.int64, "u": np.uint64}.get(x.dtype.kind, int)(y)) if y >= 0
                                           else 1 / np.power(x, -y)).astype(x.dtype)
_vmap_elementwise(integer_pow_p)

add_p = binop("add", _NUM, np.add)
sub_p = binop("sub", _NUM, np.subtract)
mul_p = binop("mul", _NUM, np.multiply)


def _div_kernel(x, y):
    if x.dtype.kind in "iu":
        with np.errstate(all="ignore"):
            # Truncating division without abs (abs(INT_MIN) overflows); INT_MIN / -1 wraps, as in XLA.
            safe = np.where((y == 0) | (y == -1) if x.dtype.kind == "i" else y == 0, 1, y).astype(x.dtype)
            q = x // safe
            q = np.where((x % safe != 0) & ((x < 0) != (safe < 0)), q + 1, q) if x.dtype.kind == "i" else q
            if x.dtype.kind == "i":
                q = np.where(y == -1, np.negative(x), q)
            return np.where(y == 0, np.array(-1).astype(x.dtype), q).astype(x.dtype)
    return np.divide(x, y)


def _rem_kernel(x, y):
    if x.dtype.kind in "iu":
        safe = np.where(y == 0, 1, y)
        return np.where(y == 0, x, np.fmod(x, safe)).astype(x.dtype)
    return np.fmod(x, y)


div_p = binop("div", _NUM, _div_kernel)
rem_p = binop("rem", _INT + "f", _rem_kernel)
pow_p = binop("pow", _FLOAT, np.power)
def _lex_pick(greater: bool):
    """XLA's max/min: numpy's for reals; complex numbers compare lexicographically (real part,
    then imaginary) and the result is x where x is strictly greater (less), else y, so that a NaN
    in x gives y and a NaN in y gives y (numpy propagates either)."""
    real = np.maximum if greater else np.minimum

    def kernel(x, y):
        x, y = np.asarray(x), np.asarray(y)
        if x.dtype.kind != "c":
            return real(x, y)
        a, b = (x, y) if greater else (y, x)
        first = (a.real > b.real) | ((a.real == b.real) & (a.imag > b.imag))
        return np.where(first, x, y).astype(np.result_type(x, y))
    return kernel


max_p = binop("max", _ANY, _lex_pick(True))
min_p = binop("min", _ANY, _lex_pick(False))
atan2_p = binop("atan2", "f", np.arctan2)
nextafter_p = binop("nextafter", "f", np.nextafter)
and_p = binop("and", _INTB, np.bitwise_and)
or_p = binop("or", _INTB, np.bitwise_or)
xor_p = binop("xor", _INTB, np.bitwise_xor)


def _shift(kind):
    # XLA semantics on the bit pattern: shifts of >= the bit width give 0, or the sign fill for an
    # arithmetic right shift, which sign-extends unsigned types too.
    def kernel(x, y):
        bits = x.dtype.itemsize * 8
        signed = x.view(np.dtype(f"i{x.dtype.itemsize}"))
        unsigned = x.view(np.dtype(f"u{x.dtype.itemsize}"))
        big = (y < 0) | (y >= bits)
        ys = np.where(big, 0, y).astype(unsigned.dtype)
        if kind == "left":
            out = np.where(big, 0, np.left_shift(unsigned, ys))
        elif kind == "arith":
            out = np.where(big, np.where(signed < 0, -1, 0), np.right_shift(signed, ys.astype(signed.dtype)))
            out = out.astype(signed.dtype).view(unsigned.dtype)
        else:
            out = np.where(big, 0, np.right_shift(unsigned, ys))
        return out.astype(unsigned.dtype).view(x.dtype)
    return kernel


shift_left_p = binop("shift_left", _INT, _shift("left"))
shift_right_arithmetic_p = binop("shift_right_arithmetic", _INT, _shift("arith"))
shift_right_logical_p = binop("shift_right_logical", _INT, _shift("logical"))
population_count_p = unop("population_count", _INT, lambda x: np.array(
    [bin(int(v) & ((1 << (8 * x.dtype.itemsize)) - 1)).count("1") for v in x.ravel()], x.dtype).reshape(x.shape))
# Piecewise-constant and integer-only ops: their derivatives are zero.
for _p in (and_p, or_p, xor_p, not_p, shift_left_p, shift_right_arithmetic_p, shift_right_logical_p,
           population_count_p, sign_p, floor_p, ceil_p, round_p, nextafter_p):
    ad.nondiff.add(_p)


def _to_bool(dt):
    return dtypes.bool_


eq_p = binop("eq", _ANY, np.equal, _to_bool)
ne_p = binop("ne", _ANY, np.not_equal, _to_bool)
lt_p = binop("lt", _ANY, np.less, _to_bool)
le_p = binop("le", _ANY, np.less_equal, _to_bool)
gt_p = binop("gt", _ANY, np.greater, _to_bool)
ge_p = binop("ge", _ANY, np.greater_equal, _to_bool)
for _p in (eq_p, ne_p, lt_p, le_p, gt_p, ge_p):
    ad.nondiff.add(_p)

real_p = Primitive("real")
imag_p = Primitive("imag")
conj_p = Primitive("conj")
for _p, _k in ((real_p, np.real), (imag_p, np.imag)):
    abstract_eval_rules[_p] = lambda x: [x.update(dtype=np.zeros((), x.dtype).real.dtype)]
    cpu.kernels[_p] = _k
    _vmap_elementwise(_p)
abstract_eval_rules[conj_p] = lambda x: [x]
cpu.kernels[conj_p] = np.conj
_vmap_elementwise(conj_p)

# ---- wrappers (the lax API) -----------------------------------------------------------------------


def _un(p):
    return lambda x: p.bind(_as_array(x))


# JAX's accuracy= requests (lax.AccuracyMode, lax.Tolerance: extras.py registers the types) change nothing
# on its CPU, nor here; anything else raises JAX's NotImplementedError.
accuracy_types: list = []


def _un_accuracy(p, checked=True):
    def f(x, accuracy=None):
        if checked and accuracy is not None and not isinstance(accuracy, tuple(accuracy_types)):
            raise NotImplementedError(f"Accuracy {accuracy} not supported")
        return p.bind(_as_array(x))
    return f


def _bin(p):
    return lambda x, y: p.bind(*_scalar_operands(x, y))


neg, sign, floor, ceil, is_finite = map(_un, (neg_p, sign_p, floor_p, ceil_p, is_finite_p))
exp, exp2, log, log1p, expm1, tanh = map(_un_accuracy, (exp_p, exp2_p, log_p, log1p_p, expm1_p, tanh_p))
logistic = _un_accuracy(logistic_p, checked=False)  # JAX's logistic takes any accuracy value
sin, cos, tan = map(_un_accuracy, (sin_p, cos_p, tan_p))
asin, acos, atan = map(_un, (asin_p, acos_p, atan_p))
sinh, cosh, asinh, acosh, atanh = map(_un, (sinh_p, cosh_p, asinh_p, acosh_p, atanh_p))
sqrt, rsqrt, cbrt = map(_un_accuracy, (sqrt_p, rsqrt_p, cbrt_p))
abs, bitwise_not = map(_un, (abs_p, not_p))
erf, erfc, lgamma, population_count = map(_un, (erf_p, erfc_p, lgamma_p, population_count_p))
real, imag, conj = map(_un, (real_p, imag_p, conj_p))
add, sub, mul, div, rem, pow = map(_bin, (add_p, sub_p, mul_p, div_p, rem_p, pow_p))
max, min, atan2, nextafter = map(_bin, (max_p, min_p, atan2_p, nextafter_p))
bitwise_and, bitwise_or, bitwise_xor = map(_bin, (and_p, or_p, xor_p))
shift_left, shift_right_arithmetic, shift_right_logical = map(
    _bin, (shift_left_p, shift_right_arithmetic_p, shift_right_logical_p))
eq, ne, lt, le, gt, ge = map(_bin, (eq_p, ne_p, lt_p, le_p, gt_p, ge_p))


def round(x, rounding_method=0):
    return round_p.bind(_as_array(x), rounding_method=int(rounding_method))


def integer_pow(x, y: int):
    return integer_pow_p.bind(_as_array(x), y=int(y))


def square(x):
    return integer_pow(x, 2)


def reciprocal(x):
    return integer_pow(x, -1)


# ---- convert_element_type -------------------------------------------------------------------------

convert_element_type_p = Primitive("convert_element_type")


def _convert_abstract(x, new_dtype, weak_type=False):
    return [ShapedArray(x.shape, new_dtype, weak_type)]


def _convert_kernel(x, new_dtype, weak_type=False):
    new = np.dtype(new_dtype)
    if new.kind in "iu" and x.dtype.kind in "fc":
        # XLA semantics: truncate toward zero, NaN -> 0, saturate at the integer range.
        info = np.iinfo(new)
        xr = np.real(x) if x.dtype.kind == "c" else x
        with np.errstate(all="ignore"):
            y = np.trunc(np.nan_to_num(xr.astype(np.float64), nan=0.0, posinf=info.max, neginf=info.min))
            return np.clip(y, info.min, info.max).astype(new)
    if new.kind == "b":
        return x != 0
    if new.kind != "c" and x.dtype.kind == "c":
        x = np.real(x)
    with np.errstate(all="ignore"):
        return x.astype(new)


abstract_eval_rules[convert_element_type_p] = _convert_abstract
cpu.kernels[convert_element_type_p] = _convert_kernel


def convert_element_type(x, new_dtype, weak_type: bool = False):
    new_dtype = dtypes.canonicalize_dtype(new_dtype)
    x = _as_array(x)
    aval = get_aval(x)
    if aval.dtype == new_dtype and aval.weak_type == weak_type:
        return x
    if aval.shape == () and not isinstance(x, core.Tracer):
        # Fold conversions of concrete scalars (Python constants) instead of staging them.
        from jaxlite._src import dispatch
        return dispatch.make_array(_convert_kernel(np.asarray(x), new_dtype), new_dtype, weak_type=bool(weak_type))
    return convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=bool(weak_type))


def _convert_jvp(primals, tangents, new_dtype, weak_type):
    (x,), (t,) = primals, tangents
    out = convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=weak_type)
    if new_dtype.kind not in "fc" or get_aval(x).dtype.kind not in "fc":
        return [out], [ad.zeros_like(out)]
    return [out], [convert_element_type_p.bind(t, new_dtype=new_dtype, weak_type=weak_type)]


def _convert_transpose(ct, x, new_dtype, weak_type):
    old = x.aval
    return [convert_element_type_p.bind(ct, new_dtype=old.dtype, weak_type=old.weak_type)]


ad.jvp_rules[convert_element_type_p] = _convert_jvp
ad.transpose_rules[convert_element_type_p] = _convert_transpose
_vmap_elementwise(convert_element_type_p)

# ---- select_n -------------------------------------------------------------------------------------

select_n_p = Primitive("select_n")


def _select_n_abstract(which, *cases):
    if not cases:
        raise TypeError("select_n must have at least one case")
    if which.dtype != dtypes.bool_ and which.dtype.kind not in "iu":
        raise TypeError(f"select_n which must be boolean or integer type, got {which.dtype}")
    if which.dtype == dtypes.bool_ and len(cases) > 2:
        raise TypeError("select_n with boolean which can have at most 2 cases")
    if any(c.shape != cases[0].shape or c.dtype != cases[0].dtype for c in cases):
        raise TypeError(f"select_n cases must have the same shapes and dtypes, got "
                        f"{', '.join(c.str_short() for c in cases)}.")
    if which.shape and which.shape != cases[0].shape:
        raise TypeError(f"select_n which must be scalar or have the same shape as cases, got which "
                        f"shape {which.shape} but case shape {cases[0].shape}.")
    return [ShapedArray(cases[0].shape, cases[0].dtype, all(c.weak_type for c in cases))]


def _select_n_kernel(which, *cases):
    if len(cases) == 1:
        return cases[0]
    return np.choose(which.astype(np.int32), cases) if which.shape else cases[int(which)]


def select_n(which, *cases):
    return select_n_p.bind(_as_array(which), *_scalar_operands(*cases))


def _select_n_jvp(primals, tangents):
    which, *cases = primals
    out = select_n_p.bind(which, *cases)
    return [out], [select_n_p.bind(which, *tangents[1:])]


def _select_n_transpose(ct, which, *cases):
    zeros = ad.zeros_like(ct)
    n = len(cases)
    cts = [None]
    for i, c in enumerate(cases):
        if ad.is_undefined_primal(c):
            branches = [zeros] * n
            branches[i] = ct
            cts.append(select_n_p.bind(which, *branches))
        else:
            cts.append(None)
    return cts


def _select_n_vmap(axis_size, vals, dims):
    which, *cases = vals
    wd, *cds = dims
    if wd is batching.not_mapped and get_aval(which).shape == ():
        cases = [batching.move_batch_axis(axis_size, d, 0, c) for c, d in zip(cases, cds)]
        return [select_n_p.bind(which, *cases)], [0]
    vals = [batching.move_batch_axis(axis_size, d, 0, v) for v, d in zip(vals, dims)]
    which, *cases = vals
    case_shape = get_aval(cases[0]).shape
    if get_aval(which).shape != case_shape:  # batched scalar predicate: broadcast it
        which = broadcast_in_dim(which, case_shape, (0,))
    return [select_n_p.bind(which, *cases)], [0]


abstract_eval_rules[select_n_p] = _select_n_abstract
cpu.kernels[select_n_p] = _select_n_kernel
ad.jvp_rules[select_n_p] = _select_n_jvp
ad.transpose_rules[select_n_p] = _select_n_transpose
batching.vmap_rules[select_n_p] = _select_n_vmap

# ---- derivatives of the elementwise ops -----------------------------------------------------------


defjvp(neg_p, lambda g, x: neg(g))
defjvp2(exp_p, lambda g, ans, x: mul(g, ans))
defjvp2(exp2_p, lambda g, ans, x: mul(g, mul(ans, float(np.log(2)))))
defjvp(log_p, lambda g, x: div(g, x))
defjvp(log1p_p, lambda g, x: div(g, add(x, 1)))
defjvp2(expm1_p, lambda g, ans, x: mul(g, add(ans, 1)))
defjvp2(tanh_p, lambda g, ans, x: mul(g, sub(1, mul(ans, ans))))
defjvp2(logistic_p, lambda g, ans, x: mul(g, mul(ans, sub(1, ans))))
defjvp(sin_p, lambda g, x: mul(g, cos(x)))
defjvp(cos_p, lambda g, x: neg(mul(g, sin(x))))
defjvp2(tan_p, lambda g, ans, x: mul(g, add(1, mul(ans, ans))))
defjvp(asin_p, lambda g, x: mul(g, rsqrt(sub(1, mul(x, x)))))
defjvp(acos_p, lambda g, x: neg(mul(g, rsqrt(sub(1, mul(x, x))))))
defjvp(atan_p, lambda g, x: div(g, add(1, mul(x, x))))
defjvp(sinh_p, lambda g, x: mul(g, cosh(x)))
defjvp(cosh_p, lambda g, x: mul(g, sinh(x)))
defjvp(asinh_p, lambda g, x: mul(g, rsqrt(add(mul(x, x), 1))))
defjvp(acosh_p, lambda g, x: mul(g, rsqrt(mul(sub(x, 1), add(x, 1)))))
defjvp(atanh_p, lambda g, x: div(g, sub(1, mul(x, x))))
defjvp2(sqrt_p, lambda g, ans, x: div(g, mul(ans, 2)))
defjvp2(rsqrt_p, lambda g, ans, x: mul(g, mul(div(ans, x), -0.5)))
defjvp2(cbrt_p, lambda g, ans, x: mul(g, div(ans, mul(x, 3))))
defjvp(abs_p, lambda g, x: mul(g, sign(x)) if get_aval(x).dtype.kind != "c" else
       div(real(mul(conj(x), g)), abs(x)))
defjvp(erf_p, lambda g, x: mul(g, mul(exp(neg(mul(x, x))), 2 / math.sqrt(math.pi))))
defjvp(erfc_p, lambda g, x: mul(g, mul(exp(neg(mul(x, x))), -2 / math.sqrt(math.pi))))


def _integer_pow_jvp(g, x, y):
    if y == 0:
        return ad.zeros_like(g)
    if y == 1:
        return g
    return mul(g, mul(integer_pow(x, y - 1), y))


defjvp(integer_pow_p, _integer_pow_jvp)
defjvp(add_p, lambda g, x, y: g, lambda g, x, y: g)
defjvp(sub_p, lambda g, x, y: g, lambda g, x, y: neg(g))
defjvp(mul_p, lambda g, x, y: mul(g, y), lambda g, x, y: mul(x, g))
defjvp(div_p, lambda g, x, y: div(g, y), lambda g, x, y: neg(mul(g, div(div(x, y), y))))


def _pow_jvp_x(g, x, y):
    return mul(g, mul(y, pow(x, sub(y, 1))))


def _pow_jvp_y(g, x, y):
    # d/dy x**y = log(x) x**y, defined as 0 where x == 0 (as JAX does).
    safe_log = select_n(eq(x, 0), log(x), ad.zeros_like(x))
    return mul(g, mul(safe_log, pow(x, y)))


defjvp(pow_p, _pow_jvp_x, _pow_jvp_y)


def _balanced_eq(x, z, y):
    # Ties split the gradient evenly between equal operands, as JAX does.
    one, half, zero = (full(get_aval(x).shape, v, get_aval(x).dtype) for v in (1, 0.5, 0))
    return select_n(eq(x, z), zero, select_n(eq(y, z), one, half))


defjvp(max_p, lambda g, x, y: mul(g, _balanced_eq(x, max(x, y), y)),
       lambda g, x, y: mul(g, _balanced_eq(y, max(x, y), x)))
defjvp(min_p, lambda g, x, y: mul(g, _balanced_eq(x, min(x, y), y)),
       lambda g, x, y: mul(g, _balanced_eq(y, min(x, y), x)))
defjvp(rem_p, lambda g, x, y: g, lambda g, x, y: mul(neg(g), mul(sign(div(x, y)), floor(abs(div(x, y))))))
defjvp(atan2_p, lambda g, x, y: mul(g, div(y, add(mul(x, x), mul(y, y)))),
       lambda g, x, y: mul(g, div(neg(x), add(mul(x, x), mul(y, y)))))
defjvp(real_p, lambda g, x: real(g))
defjvp(imag_p, lambda g, x: imag(g))
defjvp(conj_p, lambda g, x: conj(g))
defjvp(lgamma_p, lambda g, x: mul(g, _digamma(x)))


def _digamma(x):
    from jaxlite._src.lax import special
    return special.digamma(x)


# ---- transposes of the linear elementwise ops -----------------------------------------------------


ad.transpose_rules[neg_p] = lambda ct, x: [neg(ct)]
ad.transpose_rules[add_p] = lambda ct, x, y: [ct if ad.is_undefined_primal(x) else None,
                                              ct if ad.is_undefined_primal(y) else None]
ad.transpose_rules[sub_p] = lambda ct, x, y: [ct if ad.is_undefined_primal(x) else None,
                                              neg(ct) if ad.is_undefined_primal(y) else None]
ad.transpose_rules[real_p] = lambda ct, x: [convert_element_type(ct, x.aval.dtype)]
ad.transpose_rules[conj_p] = lambda ct, x: [conj(ct)]
ad.transpose_rules[imag_p] = lambda ct, x: [  # complex(0, -ct), as JAX's
    mul(convert_element_type(neg(ct), x.aval.dtype), full(get_aval(ct).shape, 1j, x.aval.dtype))]


def _mul_transpose(ct, x, y):
    if ad.is_undefined_primal(x) and ad.is_undefined_primal(y):
        raise NotImplementedError("mul of two linear values is not linear")
    if ad.is_undefined_primal(x):
        return [mul(ct, y), None]
    return [None, mul(x, ct)]


def _div_transpose(ct, x, y):
    if ad.is_undefined_primal(y):
        raise NotImplementedError("div is not linear in its denominator")
    return [div(ct, y), None]


ad.transpose_rules[mul_p] = _mul_transpose
ad.transpose_rules[div_p] = _div_transpose


# broadcast_in_dim is defined in structural.py; the import is at the end to keep `full` above.
from jaxlite._src.lax.structural import broadcast_in_dim  # noqa: E402

# The operations autodiff needs (zeros, add, casts), registered so ad.py need not import lax.
ad_util.register_ops(full=full, add=add, convert_element_type=convert_element_type)
