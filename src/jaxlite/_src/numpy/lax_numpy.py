"""jaxlite.numpy: array creation, elementwise math, shape manipulation and products."""

from __future__ import annotations

import builtins
import math
import string

import numpy as np

from jaxlite._src import core, dispatch, dtypes
from jaxlite._src.core import get_aval
from jaxlite._src.jit import jit
from jaxlite._src.lax import lax, structural
from jaxlite._src.lax.dot import dot_general
from jaxlite._src.numpy.util import (asarray, broadcast_shapes, broadcast_to, canonicalize_axes,
                                     canonicalize_axis, check_arraylike, is_array, promote_args,
                                     promote_args_inexact, promote_dtypes, promote_dtypes_inexact)

# dtypes, constants
from jaxlite._src.numpy.scalar_types import (bool, bool_, cdouble, complex64, complex128, complex_,  # noqa: E402,A004
                                             csingle, double, float16, float32, float64, float_, int8, int16,
                                             int32, int64, int_, single, uint, uint8, uint16, uint32, uint64)
dtype = np.dtype
generic, number, integer, signedinteger, unsignedinteger = np.generic, np.number, np.integer, np.signedinteger, np.unsignedinteger
inexact, floating, complexfloating = np.inexact, np.floating, np.complexfloating
pi, e, inf, nan, euler_gamma = np.pi, np.e, np.inf, np.nan, np.euler_gamma
newaxis = None
character, flexible, object_ = np.character, np.flexible, np.object_
ComplexWarning = np.exceptions.ComplexWarning
# bfloat16, float8_*, float4/6_*, int1/2/4, uint1/2/4: the ml_dtypes scalar types where ml_dtypes imports.
globals().update({name: dt.type for name, dt in dtypes.EXTENDED.items()})
isdtype = dtypes.isdtype
promote_types = dtypes.promote_types
result_type = dtypes.result_type
issubdtype = dtypes.issubdtype
finfo, iinfo = dtypes.finfo, dtypes.iinfo


def ndim(x) -> int:
    """Number of dimensions of `x` (a Python int)."""
    return get_aval(x).ndim if is_array(x) else np.ndim(x)


def shape(x) -> tuple:
    """Shape of `x` as a tuple of Python ints."""
    return get_aval(x).shape if is_array(x) else np.shape(x)


def size(x, axis=None) -> int:
    """Number of elements of `x`, or its length along `axis` (a Python int)."""
    s = shape(x)
    return int(np.prod(s, dtype=np.int64)) if axis is None else s[axis]


def isscalar(x) -> bool:
    """True if `x` is a scalar: a Python/numpy scalar or a 0-d array."""
    return (is_array(x) and get_aval(x).ndim == 0) or np.isscalar(x)


def can_cast(from_, to, casting="safe") -> bool:
    """True if `from_` can be cast to dtype `to` under the `casting` rule ('no', 'equiv', 'safe', 'same_kind',
    'unsafe').
    """
    return np.can_cast(from_, to, casting)


# ---- creation -------------------------------------------------------------------------------------


def array(object, dtype=None, copy=True, order="K", ndmin=0):
    """Create an array from a scalar, nested sequence or array, with optional `dtype` and at least `ndmin`
    dimensions.

    Differs from JAX: no `device=` argument.
    """
    if object is None:
        raise ValueError("None is not a valid value for jnp.array")
    if is_array(object) and dtype is None:
        out = object if not copy else lax.convert_element_type(object, get_aval(object).dtype)
    else:
        out = asarray(object, dtype)
    if ndmin > ndim(out):
        out = structural.reshape(out, (1,) * (ndmin - ndim(out)) + shape(out))
    return out


def astype(x, dtype, copy=False):
    """Convert `x` to `dtype` (complex to real drops the imaginary part, as JAX).

    Differs from JAX: no `device=` argument.
    """
    return lax.convert_element_type(asarray(x), dtypes.check_user_dtype(dtype))


def _dtype_or_default(dtype):
    return dtypes.check_user_dtype(dtype) if dtype is not None else dtypes.default_float()


def zeros(shape, dtype=None, device=None):
    """Array of the given shape filled with zeros (default float dtype if `dtype` is None)."""
    return lax.full(_shape(shape), 0, _dtype_or_default(dtype))


def ones(shape, dtype=None, device=None):
    """Array of the given shape filled with ones (default float dtype if `dtype` is None)."""
    return lax.full(_shape(shape), 1, _dtype_or_default(dtype))


def empty(shape, dtype=None, device=None):
    """Array of the given shape; as in JAX it is filled with zeros (arrays are immutable)."""
    return zeros(shape, dtype)


def full(shape, fill_value, dtype=None, device=None):
    """Array of the given shape filled with `fill_value`, whose dtype is used if `dtype` is None."""
    if dtype is None and is_array(fill_value) and ndim(fill_value) > 0:
        return broadcast_to(fill_value, _shape(shape))
    dt = dtypes.check_user_dtype(dtype) if dtype is not None else dtypes.result_type(fill_value)
    if is_array(fill_value) and ndim(fill_value) > 0:
        return broadcast_to(astype(fill_value, dt), _shape(shape))
    if type(fill_value) in (int, float, complex):
        fill_value = _scalar_fill(fill_value, dt, weak=dtype is None)
    return lax.full(_shape(shape), fill_value, dt)


def _numpy_cast(v, dt) -> np.ndarray:
    """A Python scalar as JAX converts fill values and arange bounds, by numpy's cast: an int that
    does not fit wraps (jnp.full(3, 2**40) is zeros), unlike jnp.array, which raises."""
    if type(v) is int and not -2**63 <= v < 2**64:
        raise OverflowError("Python int too large to convert to C long")
    with np.errstate(all="ignore"):
        return np.array(v).astype(dt)


def _scalar_fill(v, dt, weak: bool):
    return dispatch.make_array(_numpy_cast(v, dt), weak_type=weak)


def _like_dtype(x, dtype):
    return dtypes.check_user_dtype(dtype) if dtype is not None else asarray(x).dtype


def zeros_like(x, dtype=None, shape=None):
    """Array of zeros with the shape and dtype of `x` (also `empty_like`), overridable by `shape`/`dtype`.

    Differs from JAX: no `device=` argument.
    """
    return lax.full(shape if shape is not None else asarray(x).shape, 0, _like_dtype(x, dtype))


def ones_like(x, dtype=None, shape=None):
    """Array of ones with the shape and dtype of `x`, overridable by `shape`/`dtype`.

    Differs from JAX: no `device=` argument.
    """
    return lax.full(shape if shape is not None else asarray(x).shape, 1, _like_dtype(x, dtype))


def full_like(x, fill_value, dtype=None, shape=None):
    """Array filled with `fill_value` with the shape and dtype of `x`, overridable by `shape`/`dtype`.

    Differs from JAX: no `device=` argument.
    """
    return full(shape if shape is not None else asarray(x).shape, fill_value, _like_dtype(x, dtype))


empty_like = zeros_like


def _shape(shape) -> tuple:
    # JAX names broadcast_in_dim here: its array creators broadcast a scalar to the shape.
    return core.canonicalize_shape(shape, "broadcast_in_dim")


def arange(start, stop=None, step=None, dtype=None, *, device=None):
    """Evenly spaced values in [start, stop) with step `step`, like Python's range; the dtype follows the
    arguments.
    """
    out = _arange(start, stop, step, dtype)
    # As JAX: the values are computed first, then placed (and committed) on the named device.
    return out if device is None else dispatch.device_put(out, device)


def _arange(start, stop, step, dtype):
    start_name = "stop" if stop is None and step is None else "start"
    for name, v in ((start_name, start), ("stop", stop), ("step", step)):
        core.concrete_or_error(v, f"It arose in the jnp.arange argument '{name}'")
        if v is not None and np.ndim(v) != 0:
            raise ValueError(f"jax.numpy.arange: arguments must be scalars; got {name}={v}")
    if stop is None:  # arange(stop) and arange(stop, step=k) both count from 0
        start, stop = 0, start
    step = 1 if step is None else step
    vals = [v for v in (start, stop, step) if v is not None]
    dt = dtypes.check_user_dtype(dtype) if dtype is not None else dtypes.result_type(*[
        float(v) if isinstance(v, float) else (int(v) if isinstance(v, (int, np.integer)) else v) for v in vals])
    n = max(int(np.ceil((float(stop) - float(start)) / float(step))), 0)
    if dt.kind in "iu" and all(isinstance(v, (int, np.integer)) for v in vals):
        # start and step wrap to the dtype, as in JAX (arange(2**40, 2**40 + 3) is [0 1 2])
        step, start = (int(_numpy_cast(int(v), dt)) for v in (step, start))
        return lax.add(lax.mul(structural.iota(dt, n), step), start) if n else zeros((0,), dt)
    idx = structural.iota(dt, n)
    return lax.add(lax.mul(idx, float(step)), float(start)) if n else zeros((0,), dt)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """`num` evenly spaced samples from start to stop (stop included unless `endpoint=False`); `retstep` also
    returns the step.

    Differs from JAX: no `device=` argument.
    """
    num = int(core.concrete_or_error(num, "linspace num must be static"))
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    dt = dtypes.check_user_dtype(dtype) if dtype is not None else dtypes.default_float()
    start, stop = promote_dtypes_inexact(start, stop)
    start, stop = asarray(start), asarray(stop)
    compute = dtypes.promote_types(get_aval(start).dtype, dt) if dt.kind in "fc" else get_aval(start).dtype
    start, stop = astype(start, compute), astype(stop, compute)
    div = (num - 1) if endpoint else num
    bshape = broadcast_shapes(shape(start), shape(stop))
    start, stop = broadcast_to(start, bshape), broadcast_to(stop, bshape)
    out_shape = (num,) + bshape
    i = structural.broadcasted_iota(compute, out_shape, 0)
    s = structural.broadcast_in_dim(start, out_shape, tuple(range(1, len(out_shape))))
    e_ = structural.broadcast_in_dim(stop, out_shape, tuple(range(1, len(out_shape))))
    if div > 0:
        step = lax.div(lax.sub(e_, s), float(div))
        out = lax.add(s, lax.mul(i, step))
        if endpoint and num > 1:
            out = structural.concatenate([structural.slice_in_dim(out, 0, num - 1), structural.slice_in_dim(e_, 0, 1)], 0)
    else:
        step = lax.sub(e_, s)
        out = s
    out = moveaxis(out, 0, axis)
    out = astype(out, dt)
    if retstep:
        return out, (lax.div(lax.sub(stop, start), float(div)) if div > 0 else nan)
    return out


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """`num` samples spaced evenly on a log scale: base**linspace(start, stop)."""
    return astype(power(base, linspace(start, stop, num, endpoint, axis=axis)), _dtype_or_default(dtype))


def eye(N, M=None, k=0, dtype=None):
    """2-D array with ones on the k-th diagonal and zeros elsewhere, N rows by M columns.

    Differs from JAX: no `device=` argument.
    """
    n, m = core.canonicalize_shape((N, N if M is None else M))
    if n < 0 or m < 0:
        raise ValueError(f"negative dimensions are not allowed, got {N} and {M}")
    N, M = n, m
    dt = _dtype_or_default(dtype)
    i = structural.broadcasted_iota(np.int32, (N, M), 0)
    j = structural.broadcasted_iota(np.int32, (N, M), 1)
    return lax.convert_element_type(lax.eq(lax.add(i, int(k)), j), dt)


def identity(n, dtype=None):
    """Square n x n identity matrix."""
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    """N x M array with ones at and below the k-th diagonal and zeros above."""
    N, M = core.canonicalize_shape((N, N if M is None else M), "iota")
    i = structural.broadcasted_iota(np.int32, (N, M), 0)
    j = structural.broadcasted_iota(np.int32, (N, M), 1)
    return lax.convert_element_type(lax.ge(lax.add(i, int(k)), j), _dtype_or_default(dtype))


def tril(m, k=0):
    """Copy of `m` with the elements above the k-th diagonal zeroed (on the last two axes)."""
    m = asarray(m)
    mask = tri(*shape(m)[-2:], k=k, dtype=bool)
    return where(mask, m, zeros_like(m))


def triu(m, k=0):
    """Copy of `m` with the elements below the k-th diagonal zeroed (on the last two axes)."""
    m = asarray(m)
    mask = tri(*shape(m)[-2:], k=k - 1, dtype=bool)
    return where(mask, zeros_like(m), m)


def diag(v, k=0):
    """The k-th diagonal of a 2-D array, or a 2-D array with a 1-D input on its k-th diagonal."""
    v = asarray(v)
    if ndim(v) == 1:
        n = shape(v)[0] + builtins.abs(k)
        i = structural.broadcasted_iota(np.int32, (n, n), 0)
        j = structural.broadcasted_iota(np.int32, (n, n), 1)
        # Entry (i, i+k) holds v[i] for k >= 0 (a row broadcast), (j-k, j) holds v[j] for k < 0.
        padded = structural.pad(v, np.zeros((), v.dtype), [(0, builtins.abs(k), 0)])
        vals = structural.broadcast_in_dim(padded, (n, n), (0,) if k >= 0 else (1,))
        return where(lax.eq(lax.add(i, int(k)), j), vals, zeros_like(vals))
    if ndim(v) == 2:
        return diagonal(v, k)
    raise ValueError("Input must be 1- or 2-d.")


def diagonal(a, offset=0, axis1=0, axis2=1):
    """The diagonal with offset `offset` over axes `axis1` and `axis2`, moved to the last axis."""
    a = asarray(a)
    nd = ndim(a)
    axis1, axis2 = canonicalize_axis(axis1, nd), canonicalize_axis(axis2, nd)
    a = moveaxis(a, (axis1, axis2), (-2, -1))
    n, m = shape(a)[-2:]
    i = structural.broadcasted_iota(np.int32, (n, m), 0)
    j = structural.broadcasted_iota(np.int32, (n, m), 1)
    mask = lax.eq(lax.add(i, int(offset)), j)
    from jaxlite._src.numpy import reductions
    summed = reductions.sum(where(mask, a, zeros_like(a)), axis=-1 if offset >= 0 else -2)
    length = builtins.max(0, builtins.min(n, m - offset) if offset >= 0 else builtins.min(n + offset, m))
    start = builtins.max(-offset, 0) if offset < 0 else 0
    return structural.slice_in_dim(summed, start, start + length, axis=-1)


def trace(a, offset=0, axis1=0, axis2=1, dtype=None):
    """Sum along the diagonal with offset `offset` over axes `axis1` and `axis2`."""
    from jaxlite._src.numpy import reductions
    return reductions.sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """Coordinate arrays from 1-D coordinate vectors: 'xy' (Cartesian) or 'ij' (matrix) indexing, optionally
    sparse.
    """
    xi = [ravel(asarray(x)) for x in xi]
    n = len(xi)
    shapes = [shape(x)[0] for x in xi]
    if indexing == "xy" and n >= 2:
        shapes[0], shapes[1] = shapes[1], shapes[0]
    out = []
    for k, x in enumerate(xi):
        axis = k
        if indexing == "xy" and n >= 2 and k < 2:
            axis = 1 - k
        if sparse:
            s = [1] * n
            s[axis] = shape(x)[0]
            out.append(structural.reshape(x, s))
        else:
            out.append(structural.broadcast_in_dim(x, tuple(shapes), (axis,)))
    return out


# ---- elementwise ----------------------------------------------------------------------------------


def _unary(lax_fn, name, inexact=False, kinds=None):
    def f(x, /):
        check_arraylike(name, x)
        (x,) = promote_args_inexact(name, x) if inexact else promote_args(name, x)
        return lax_fn(x)
    f.__name__ = name
    return dispatch.replayed_unary(f)


# Eager broadcasts of at least this many elements run as one jitted (fused) computation, so a
# scalar or a row stays virtual inside the kernel instead of becoming a full array first: `x * 2`
# on a large wasm array peaks at 2x `x`, not 3x. Smaller ones dispatch op by op (cheaper).
EAGER_FUSE_ELEMENTS = 1 << 16


def _broadcast_is_big(x1, x2) -> bool:
    if isinstance(x1, core.Tracer) or isinstance(x2, core.Tracer):
        return False
    s1, s2 = np.shape(x1), np.shape(x2)
    if s1 == s2:
        return False
    try:
        return math.prod(broadcast_shapes(s1, s2)) >= EAGER_FUSE_ELEMENTS
    except ValueError:
        return False  # the op by op path raises JAX's error


def _binary(lax_fn, name, inexact=False):
    def body(x1, x2):
        a, b = promote_args_inexact(name, x1, x2) if inexact else promote_args(name, x1, x2)
        return lax_fn(a, b)

    fused = jit(body)

    def f(x1, x2, /):
        # Fast path: two arrays of one type and shape need no promotion or broadcasting.
        a1, a2 = getattr(x1, "aval", None), getattr(x2, "aval", None)
        if (a1 is not None and a2 is not None and a1.shape == a2.shape and a1.dtype == a2.dtype
                and a1.weak_type == a2.weak_type and (not inexact or a1.dtype.kind in "fc")):
            return lax_fn(x1, x2)
        check_arraylike(name, x1, x2)
        return fused(x1, x2) if _broadcast_is_big(x1, x2) else body(x1, x2)
    f.__name__ = body.__name__ = name
    return f


add = _binary(lambda a, b: lax.bitwise_or(a, b) if a.dtype == bool else lax.add(a, b), "add")
subtract = _binary(lax.sub, "subtract")
multiply = _binary(lambda a, b: lax.bitwise_and(a, b) if a.dtype == bool else lax.mul(a, b), "multiply")
true_divide = divide = _binary(lax.div, "true_divide", inexact=True)
negative = _unary(lax.neg, "negative")
positive = _unary(lambda x: x, "positive")
sign = _unary(lax.sign, "sign")
floor = _unary(lambda x: x if x.dtype.kind in "iub" else lax.floor(x), "floor")
ceil = _unary(lambda x: x if x.dtype.kind in "iub" else lax.ceil(x), "ceil")
trunc = _unary(lambda x: x if x.dtype.kind in "iub" else where(lax.lt(x, 0), lax.ceil(x), lax.floor(x)), "trunc")
rint = _unary(lambda x: lax.round(x, 1) if x.dtype.kind == "f" else x, "rint")
exp = _unary(lax.exp, "exp", True)
exp2 = _unary(lax.exp2, "exp2", True)
expm1 = _unary(lax.expm1, "expm1", True)
log = _unary(lax.log, "log", True)
log1p = _unary(lax.log1p, "log1p", True)
log2 = _unary(lambda x: lax.div(lax.log(x), float(np.log(2))), "log2", True)
log10 = _unary(lambda x: lax.div(lax.log(x), float(np.log(10))), "log10", True)
sqrt = _unary(lax.sqrt, "sqrt", True)
cbrt = _unary(lax.cbrt, "cbrt", True)
sin = _unary(lax.sin, "sin", True)
cos = _unary(lax.cos, "cos", True)
tan = _unary(lax.tan, "tan", True)
arcsin = asin = _unary(lax.asin, "arcsin", True)
arccos = acos = _unary(lax.acos, "arccos", True)
arctan = atan = _unary(lax.atan, "arctan", True)
sinh = _unary(lax.sinh, "sinh", True)
cosh = _unary(lax.cosh, "cosh", True)
tanh = _unary(lax.tanh, "tanh", True)
arcsinh = asinh = _unary(lax.asinh, "arcsinh", True)
arccosh = acosh = _unary(lax.acosh, "arccosh", True)
arctanh = atanh = _unary(lax.atanh, "arctanh", True)
arctan2 = atan2 = _binary(lax.atan2, "arctan2", True)
deg2rad = radians = _unary(lambda x: lax.mul(x, float(np.pi / 180)), "deg2rad", True)
rad2deg = degrees = _unary(lambda x: lax.mul(x, float(180 / np.pi)), "rad2deg", True)
square = _unary(lambda x: lax.integer_pow(x, 2), "square")
reciprocal = _unary(lambda x: lax.integer_pow(x, -1), "reciprocal")
absolute = abs = _unary(lambda x: x if x.dtype.kind in "ub" else lax.abs(x), "absolute")
fabs = _unary(lax.abs, "fabs", True)
maximum = _binary(lax.max, "maximum")
minimum = _binary(lax.min, "minimum")
real = _unary(lambda x: lax.real(x) if x.dtype.kind == "c" else x, "real")
imag = _unary(lambda x: lax.imag(x) if x.dtype.kind == "c" else zeros_like(x), "imag")
conjugate = conj = _unary(lambda x: lax.conj(x) if x.dtype.kind == "c" else x, "conjugate")
equal = _binary(lax.eq, "equal")
not_equal = _binary(lax.ne, "not_equal")
less = _binary(lax.lt, "less")
less_equal = _binary(lax.le, "less_equal")
greater = _binary(lax.gt, "greater")
greater_equal = _binary(lax.ge, "greater_equal")
def _isfinite(x):
    if x.dtype.kind == "c":  # both parts finite
        return lax.bitwise_and(lax.is_finite(lax.real(x)), lax.is_finite(lax.imag(x)))
    return lax.is_finite(x) if x.dtype.kind == "f" else full_like(x, True, bool)


def _isinf(x):
    if x.dtype.kind == "c":  # either part infinite
        return lax.bitwise_or(_isinf(lax.real(x)), _isinf(lax.imag(x)))
    return lax.eq(lax.abs(x), lax.full(x.shape, np.inf, x.dtype)) if x.dtype.kind == "f" else full_like(x, False, bool)


isfinite = _unary(_isfinite, "isfinite")
isnan = _unary(lambda x: lax.ne(x, x) if x.dtype.kind in "fc" else full_like(x, False, bool), "isnan")
isinf = _unary(_isinf, "isinf")
signbit = _unary(lambda x: lax.lt(x, 0) if x.dtype.kind != "f" else
                 lax.ne(lax.shift_right_logical(lax_bitcast_int(x), x.dtype.itemsize * 8 - 1), 0), "signbit")


def lax_bitcast_int(x):
    from jaxlite._src.lax.bitcast import bitcast_convert_type
    return bitcast_convert_type(x, np.dtype(f"i{x.dtype.itemsize}"))


def _logical(lax_fn, name):
    def f(*args):
        args = [astype(a, bool) if ndim(a) >= 0 and asarray(a).dtype != bool else asarray(a) for a in args]
        return lax_fn(*promote_args(name, *args))
    f.__name__ = name
    return f


logical_and = _logical(lax.bitwise_and, "logical_and")
logical_or = _logical(lax.bitwise_or, "logical_or")
logical_xor = _logical(lax.bitwise_xor, "logical_xor")
logical_not = _logical(lax.bitwise_not, "logical_not")


def _check_int_or_bool(name, *arrs):
    for a in arrs:
        if a.dtype.kind not in "iub":
            raise TypeError(f"{name} requires integer or boolean arguments, got {a.dtype.name}")


def _bitwise(lax_fn, name):
    def f(*args):
        arrs = promote_args(name, *args)
        _check_int_or_bool(name, *arrs)
        return lax_fn(*arrs)
    f.__name__ = name
    return f


bitwise_and = _bitwise(lax.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(lax.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(lax.bitwise_xor, "bitwise_xor")
bitwise_not = invert = bitwise_invert = _bitwise(lax.bitwise_not, "invert")
left_shift = bitwise_left_shift = _bitwise(lax.shift_left, "left_shift")
right_shift = bitwise_right_shift = _bitwise(
    lambda a, b: lax.shift_right_arithmetic(a, b) if a.dtype.kind == "i" else lax.shift_right_logical(a, b),
    "right_shift")


# Docstrings of the names the factories above make (one closure per name, so each gets its line).
_DOCS = {
    "abs": "Elementwise absolute value |x| (also `absolute`); for complex input, the magnitude.",
    "acos": "Elementwise inverse cosine, in radians (also `arccos`); integers promote to float.",
    "acosh": "Elementwise inverse hyperbolic cosine (also `arccosh`); integers promote to float.",
    "add": "Elementwise sum x1 + x2, with broadcasting and JAX's type promotion; for bools, logical or.",
    "asin": "Elementwise inverse sine, in radians (also `arcsin`); integers promote to float.",
    "asinh": "Elementwise inverse hyperbolic sine (also `arcsinh`); integers promote to float.",
    "atan": "Elementwise inverse tangent, in radians (also `arctan`); integers promote to float.",
    "atan2": "Elementwise angle of the point (x2, x1), in radians in [-pi, pi] (also `arctan2`).",
    "atanh": "Elementwise inverse hyperbolic tangent (also `arctanh`); integers promote to float.",
    "bitwise_and": "Elementwise bitwise AND of integer or boolean arrays, with broadcasting.",
    "bitwise_or": "Elementwise bitwise OR of integer or boolean arrays, with broadcasting.",
    "bitwise_xor": "Elementwise bitwise XOR of integer or boolean arrays, with broadcasting.",
    "bitwise_not": "Elementwise bitwise NOT (also `invert`, `bitwise_invert`); logical not for booleans.",
    "left_shift": "Elementwise x1 << x2 for integer arrays (also `bitwise_left_shift`).",
    "right_shift": ("Elementwise x1 >> x2 for integer arrays (also `bitwise_right_shift`): arithmetic for signed, "
                    "logical for unsigned."),
    "cbrt": "Elementwise real cube root; integers promote to float.",
    "ceil": "Elementwise ceiling: the smallest integer value >= x (integer inputs are returned unchanged).",
    "conjugate": "Elementwise complex conjugate (also `conj`); real input is returned unchanged.",
    "cos": "Elementwise cosine of x in radians; integers promote to float.",
    "cosh": "Elementwise hyperbolic cosine; integers promote to float.",
    "deg2rad": "Elementwise conversion from degrees to radians (also `radians`).",
    "rad2deg": "Elementwise conversion from radians to degrees (also `degrees`).",
    "divide": "Elementwise true division x1 / x2 (also `true_divide`): the result is always inexact.",
    "equal": "Elementwise x1 == x2, with broadcasting; returns a boolean array.",
    "not_equal": "Elementwise x1 != x2, with broadcasting; returns a boolean array.",
    "less": "Elementwise x1 < x2, with broadcasting; returns a boolean array.",
    "less_equal": "Elementwise x1 <= x2, with broadcasting; returns a boolean array.",
    "greater": "Elementwise x1 > x2, with broadcasting; returns a boolean array.",
    "greater_equal": "Elementwise x1 >= x2, with broadcasting; returns a boolean array.",
    "exp": "Elementwise exponential e**x; integers promote to float.",
    "exp2": "Elementwise base-2 exponential 2**x; integers promote to float.",
    "expm1": "Elementwise exp(x) - 1, accurate for small x.",
    "fabs": "Elementwise absolute value as a float (integers promote to float; complex input is rejected by lax).",
    "floor": "Elementwise floor: the largest integer value <= x (integer inputs are returned unchanged).",
    "imag": "Imaginary part of each element; zeros for real input.",
    "real": "Real part of each element; real input is returned unchanged.",
    "isfinite": "Elementwise test for finite values (not inf, not NaN; for complex, both parts); True for integers.",
    "isinf": "Elementwise test for positive or negative infinity (for complex, either part).",
    "isnan": "Elementwise test for NaN (a complex number is NaN if either part is).",
    "log": "Elementwise natural logarithm; integers promote to float.",
    "log10": "Elementwise base-10 logarithm; integers promote to float.",
    "log1p": "Elementwise log(1 + x), accurate for small x.",
    "log2": "Elementwise base-2 logarithm; integers promote to float.",
    "logical_and": "Elementwise logical AND, after converting both inputs to bool.",
    "logical_or": "Elementwise logical OR, after converting both inputs to bool.",
    "logical_xor": "Elementwise logical XOR, after converting both inputs to bool.",
    "logical_not": "Elementwise logical NOT, after converting the input to bool.",
    "maximum": "Elementwise maximum of x1 and x2, with broadcasting; NaN wins if either is NaN.",
    "minimum": "Elementwise minimum of x1 and x2, with broadcasting; NaN wins if either is NaN.",
    "multiply": "Elementwise product x1 * x2, with broadcasting; for bools, logical and.",
    "negative": "Elementwise negation -x.",
    "positive": "Elementwise +x: the input, unchanged in value and dtype.",
    "reciprocal": "Elementwise 1 / x in the input's dtype (integer division for integer input).",
    "rint": "Elementwise round to the nearest integer value, halves to even; the dtype is kept.",
    "sign": "Elementwise sign: -1, 0 or 1 (NaN stays NaN; for complex, x / |x|).",
    "signbit": "Elementwise test whether the sign bit is set (True for -0.0 and negative NaN).",
    "sin": "Elementwise sine of x in radians; integers promote to float.",
    "sinh": "Elementwise hyperbolic sine; integers promote to float.",
    "sqrt": "Elementwise non-negative square root; integers promote to float.",
    "square": "Elementwise x * x in the input's dtype.",
    "subtract": "Elementwise difference x1 - x2, with broadcasting and JAX's type promotion.",
    "tan": "Elementwise tangent of x in radians; integers promote to float.",
    "tanh": "Elementwise hyperbolic tangent; integers promote to float.",
    "trunc": "Elementwise rounding toward zero (integer inputs are returned unchanged).",
}
for _name, _doc in _DOCS.items():
    globals()[_name].__doc__ = _doc
del _name, _doc


def floor_divide(x1, x2, /):
    """Elementwise floor division x1 // x2, rounding toward minus infinity (Python's rule for ints)."""
    a, b = promote_args("floor_divide", x1, x2)
    if a.dtype.kind in "iu":
        q = lax.div(a, b)
        if a.dtype.kind == "u":
            return q
        # sign, not "< 0", as JAX does: x // 0 is then -2 for x != 0 (XLA's x / 0 is -1)
        fix = logical_and(lax.ne(lax.rem(a, b), 0), lax.ne(lax.sign(a), lax.sign(b)))
        return where(fix, lax.sub(q, 1), q)
    if a.dtype == bool:
        raise TypeError("floor_divide does not accept boolean arguments")
    return lax.floor(lax.div(a, b))


def remainder(x1, x2, /):
    """Elementwise remainder of floor division (also `remainder`): the result has the sign of x2."""
    a, b = promote_args("remainder", x1, x2)
    if a.dtype == bool:
        raise TypeError("remainder does not accept boolean arguments")
    if a.dtype.kind in "iu":  # x % 0 is 0 in JAX
        b = where(lax.eq(b, 0), ones_like(b), b)
    r = lax.rem(a, b)
    if a.dtype.kind == "u":
        return r
    fix = logical_and(lax.ne(r, 0), lax.ne(lax.lt(r, 0), lax.lt(b, 0)))
    return where(fix, lax.add(r, b), r)


mod = remainder


def fmod(x1, x2, /):
    """Elementwise remainder of x1 / x2 with the sign of x1 (C's fmod, truncated division)."""
    a, b = promote_args("fmod", x1, x2)
    if a.dtype.kind in "iu":  # fmod(x, 0) is 0 in JAX
        b = where(lax.eq(b, 0), ones_like(b), b)
    return lax.rem(a, b)


def divmod(x1, x2, /):
    """Elementwise (floor_divide(x1, x2), mod(x1, x2)) as a pair of arrays."""
    return floor_divide(x1, x2), remainder(x1, x2)


def power(x1, x2, /):
    """Elementwise x1 ** x2 (also `pow`), with JAX's promotion; integer powers of integers stay integers."""
    check_arraylike("power", x1, x2)
    # A concrete integer exponent uses integer_pow (exact, differentiable at 0), as JAX does.
    if isinstance(x2, (int, np.integer)) and not isinstance(x2, builtins.bool):
        (x,) = promote_args("power", x1)
        if x.dtype.kind in "iu" and x2 < 0:
            a = get_aval(x)
            raise TypeError(f"Integers cannot be raised to negative powers, got integer_pow("
                            f"{'~' if a.weak_type else ''}{a.dtype.name}[{','.join(map(str, a.shape))}], {int(x2)})")
        return lax.integer_pow(x, int(x2))
    a, b = promote_args("power", x1, x2)
    if a.dtype.kind in "iu":
        return _int_pow(a, b)
    if a.dtype == bool:
        raise TypeError("power does not accept boolean arguments")
    return lax.pow(a, b)


def _int_pow(a, b):
    # Exponentiation by squaring over the bits of a traced integer exponent.
    acc = ones_like(a)
    base = a
    e = b
    for _ in range(a.dtype.itemsize * 8):
        acc = where(lax.ne(lax.bitwise_and(e, 1), 0), lax.mul(acc, base), acc)
        base = lax.mul(base, base)
        e = lax.shift_right_logical(e, 1)
    return acc  # a negative exponent runs over its two's complement bits, as in JAX


pow = power


def float_power(x1, x2, /):
    """Elementwise x1 ** x2 computed in floating point (integers promote to float)."""
    a, b = promote_args("float_power", astype(asarray(x1), dtypes.canonicalize_dtype(np.float64)), x2)
    return lax.pow(*promote_args_inexact("float_power", a, b))


def hypot(x1, x2, /):
    """Elementwise sqrt(x1**2 + x2**2), without overflow for large inputs."""
    a, b = promote_args_inexact("hypot", x1, x2)
    a, b = lax.abs(a), lax.abs(b)
    big, small = lax.max(a, b), lax.min(a, b)
    ratio = lax.div(small, where(lax.eq(big, 0), ones_like(big), big))
    return where(lax.eq(big, 0), big, lax.mul(big, lax.sqrt(lax.add(1, lax.mul(ratio, ratio)))))


def logaddexp(x1, x2, /):
    """Elementwise log(exp(x1) + exp(x2)), computed without overflow."""
    a, b = promote_args_inexact("logaddexp", x1, x2)
    amax = lax.max(a, b)
    delta = lax.sub(a, b)
    return where(isnan(delta), lax.add(a, b), lax.add(amax, lax.log1p(lax.exp(lax.neg(lax.abs(delta))))))


def logaddexp2(x1, x2, /):
    """Elementwise log2(2**x1 + 2**x2), computed without overflow."""
    ln2 = float(np.log(2))
    return divide(logaddexp(multiply(x1, ln2), multiply(x2, ln2)), ln2)


def copysign(x1, x2, /):
    """Elementwise x1 with its sign replaced by the sign of x2 (as floats)."""
    a, b = promote_args_inexact("copysign", x1, x2)
    return where(signbit(b), lax.neg(lax.abs(a)), lax.abs(a))


def heaviside(x1, x2, /):
    """Elementwise Heaviside step: 0 where x1 < 0, x2 where x1 == 0, 1 where x1 > 0."""
    a, b = promote_args_inexact("heaviside", x1, x2)
    return where(lax.lt(a, 0), zeros_like(a), where(lax.gt(a, 0), ones_like(a), b))


def sinc(x, /):
    """Elementwise normalized sinc, sin(pi x) / (pi x), with sinc(0) = 1."""
    (x,) = promote_args_inexact("sinc", x)
    pix = lax.mul(x, float(np.pi))
    safe = where(lax.eq(x, 0), ones_like(x), pix)
    return where(lax.eq(x, 0), ones_like(x), lax.div(lax.sin(safe), safe))


def fmax(x1, x2):
    """Elementwise maximum that ignores NaN: the other value is returned unless both are NaN."""
    a, b = promote_args("fmax", x1, x2)
    return where(isnan(a), b, where(isnan(b), a, lax.max(a, b)))


def fmin(x1, x2):
    """Elementwise minimum that ignores NaN: the other value is returned unless both are NaN."""
    a, b = promote_args("fmin", x1, x2)
    return where(isnan(a), b, where(isnan(b), a, lax.min(a, b)))


def round(a, decimals=0, out=None):
    """Round each element to `decimals` decimal places (also `around`), halves to even."""
    (a,) = promote_args("round", a)
    if a.dtype.kind in "iub":
        if decimals < 0:
            f = 10 ** (-decimals)
            return lax.mul(floor_divide(lax.add(a, f // 2), f), f)
        return a
    if decimals == 0:
        return lax.round(a, 1)
    factor = float(10 ** decimals)
    return lax.div(lax.round(lax.mul(a, factor), 1), factor)


around = round


def clip(arr=None, min=None, max=None, *, a=None, a_min=None, a_max=None):
    """Limit each element of `arr` to the interval [min, max]; either bound may be None."""
    x = asarray(arr if arr is not None else a)
    lo = min if min is not None else a_min
    hi = max if max is not None else a_max
    if lo is not None:
        x = maximum(x, lo)
    if hi is not None:
        x = minimum(x, hi)
    return x


def where(condition, x=None, y=None, /, *, size=None, fill_value=None):
    """Choose elementwise from x where `condition` is True and from y elsewhere.

    With only `condition` it returns the indices of its nonzero elements (as `nonzero`), which needs
    `size=` (and optionally `fill_value=`) under jit.
    """
    if x is None and y is None:
        from jaxlite._src.numpy.sorting import nonzero
        return nonzero(condition, size=size, fill_value=fill_value)
    if size is not None or fill_value is not None:
        raise ValueError("size and fill_value arguments cannot be used in three-term where function.")
    if x is None or y is None:
        raise ValueError("Either both or neither of the x and y arguments should be provided to jax.numpy.where")
    check_arraylike("where", condition, x, y)
    cond = asarray(condition)
    if cond.dtype != bool:
        cond = lax.ne(cond, lax.full((), 0, cond.dtype) if not cond.shape else zeros_like(cond))
    x, y = promote_dtypes(x, y)
    shp = broadcast_shapes(shape(cond), shape(x), shape(y))
    cond, x, y = broadcast_to(cond, shp), broadcast_to(x, shp), broadcast_to(y, shp)
    return lax.select_n(cond, y, x)


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """Replace NaN by `nan`, +inf by `posinf` and -inf by `neginf` (default: the dtype's largest/smallest
    finite values).
    """
    x = asarray(x)
    if x.dtype.kind not in "fc":
        return x
    info = np.finfo(x.dtype)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    x = where(isnan(x), lax.full(x.shape, nan, x.dtype), x)
    x = where(lax.eq(x, np.array(np.inf, x.dtype)) if not x.shape else lax.eq(x, full_like(x, np.inf)),
              full_like(x, posinf), x)
    return where(lax.eq(x, full_like(x, -np.inf)), full_like(x, neginf), x)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise test |a - b| <= atol + rtol * |b|; `equal_nan` makes NaNs compare equal."""
    a, b = promote_args("isclose", a, b)
    if a.dtype.kind not in "fc":
        return equal(a, b)
    out = less_equal(absolute(subtract(a, b)), add(atol, multiply(rtol, absolute(b))))
    out = logical_or(out, equal(a, b))  # infinities of the same sign
    if equal_nan:
        out = logical_or(out, logical_and(isnan(a), isnan(b)))
    return out


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True if every element pair of a and b is close in the sense of `isclose`."""
    from jaxlite._src.numpy import reductions
    return reductions.all(isclose(a, b, rtol, atol, equal_nan))


def array_equal(a1, a2, equal_nan=False):
    """True if a1 and a2 have the same shape and equal elements (`equal_nan` counts NaNs equal)."""
    from jaxlite._src.numpy import reductions
    a1, a2 = asarray(a1), asarray(a2)
    if shape(a1) != shape(a2):
        return asarray(False)
    eq = equal(a1, a2)
    if equal_nan:
        eq = logical_or(eq, logical_and(isnan(a1), isnan(a2)))
    return reductions.all(eq)


# ---- shape manipulation ---------------------------------------------------------------------------


def reshape(a, shape=None, order="C", *, newshape=None):
    """Array with the elements of `a` (C order) in a new `shape`; one dimension may be -1."""
    a = asarray(a)
    if shape is None:
        shape = newshape
    if order == "A":
        raise NotImplementedError("np.reshape order=A is not implemented.")
    if order not in ("C", "F"):
        raise ValueError(f"Unexpected value for 'order' argument: {order}.")
    if isinstance(shape, (int, np.integer)) or (is_array(shape) and ndim(shape) == 0):
        shape = (shape,)
    shape = [int(core.concrete_or_error(d, "reshape shape must be static")) for d in shape]
    if shape.count(-1) > 1:
        raise ValueError("can only specify one unknown dimension")
    if -1 in shape:
        known = int(np.prod([d for d in shape if d != -1], dtype=np.int64))
        total = size(a)
        if known == 0 or total % known:
            raise TypeError(f"cannot reshape array of shape {a.shape} (size {total}) into shape "
                            f"{tuple(shape)} because the product of specified axis sizes ({known}) does "
                            f"not evenly divide {total}")
        shape[shape.index(-1)] = total // known
    if int(np.prod(shape, dtype=np.int64)) != size(a):
        raise TypeError(f"cannot reshape array of shape {a.shape} (size {size(a)}) into shape {tuple(shape)} "
                        f"(size {int(np.prod(shape, dtype=np.int64))})")
    if order == "F":
        # Fortran order is C order on the reversed axes.
        rev_in = tuple(range(ndim(a)))[::-1]
        out = structural.reshape(structural.transpose(a, rev_in), tuple(shape)[::-1])
        return structural.transpose(out, tuple(range(len(shape)))[::-1])
    return structural.reshape(a, tuple(shape))


def ravel(a, order="C"):
    """The elements of `a` as a 1-D array, in C order."""
    if order == "K":
        raise NotImplementedError("Ravel not implemented for order='K'.")
    return reshape(a, (size(a),), order)


def transpose(a, axes=None):
    """Permute the axes of `a` by `axes` (reverse them if None)."""
    a = asarray(a)
    nd = ndim(a)
    axes = tuple(range(nd))[::-1] if axes is None else tuple(canonicalize_axis(i, nd) for i in axes)
    if sorted(axes) != list(range(nd)):
        raise TypeError(f"transpose permutation isn't a permutation of operand dimensions, got permutation "
                        f"{axes} for operand shape {shape(a)}.")
    return structural.transpose(a, axes)


def permute_dims(a, axes):
    """Permute the axes of `a` by `axes` (the array-API name of `transpose`)."""
    return transpose(a, axes)


def matrix_transpose(x):
    """Swap the last two axes of `x` (a batch of matrices)."""
    return swapaxes(x, -1, -2)


def swapaxes(a, axis1, axis2):
    """Interchange two axes of `a`."""
    a = asarray(a)
    nd = ndim(a)
    perm = list(range(nd))
    i, j = canonicalize_axis(axis1, nd), canonicalize_axis(axis2, nd)
    perm[i], perm[j] = perm[j], perm[i]
    return structural.transpose(a, perm)


def moveaxis(a, source, destination):
    """Move the axes `source` of `a` to the positions `destination`, keeping the order of the others."""
    a = asarray(a)
    nd = ndim(a)
    src = canonicalize_axes(source if isinstance(source, (tuple, list)) else (source,), nd)
    dst = canonicalize_axes(destination if isinstance(destination, (tuple, list)) else (destination,), nd)
    if len(src) != len(dst):
        raise ValueError("Inconsistent number of elements: source and destination")
    perm = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        perm.insert(d, s)
    return structural.transpose(a, perm)


def rollaxis(a, axis, start=0):
    """Move axis `axis` of `a` to before position `start` (numpy's older form of `moveaxis`)."""
    nd = ndim(a)
    axis = canonicalize_axis(axis, nd)
    start = start % (nd + 1) if start < 0 else start
    if axis < start:
        start -= 1
    return moveaxis(a, axis, start)


def expand_dims(a, axis):
    """Insert size-1 axes into `a` at the positions `axis` (an int or a tuple)."""
    a = asarray(a)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    nd = ndim(a) + len(axes)
    return structural.expand_dims(a, [canonicalize_axis(x, nd) for x in axes])


def squeeze(a, axis=None):
    """Remove size-1 axes from `a`: those in `axis`, or all of them if None."""
    a = asarray(a)
    if axis is None:
        axis = tuple(i for i, d in enumerate(shape(a)) if d == 1)
    axes = canonicalize_axes(axis if isinstance(axis, (tuple, list)) else (axis,), ndim(a))
    return structural.squeeze(a, axes)


def broadcast_arrays(*args):
    """Broadcast the inputs against each other, returning a list of arrays of one shape."""
    arrs = [asarray(a) for a in args]
    shp = broadcast_shapes(*(shape(a) for a in arrs))
    return [broadcast_to(a, shp) for a in arrs]


def atleast_1d(*arys):
    """View each input as an array with at least one dimension."""
    out = [reshape(a, (1,)) if ndim(a) == 0 else asarray(a) for a in arys]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys):
    """View each input as an array with at least two dimensions."""
    out = []
    for a in arys:
        a = asarray(a)
        out.append(reshape(a, (1,) * (2 - ndim(a)) + shape(a)) if ndim(a) < 2 else a)
    return out[0] if len(out) == 1 else out


def atleast_3d(*arys):
    """View each input as an array with at least three dimensions."""
    out = []
    for a in arys:
        a = asarray(a)
        if ndim(a) == 0:
            a = reshape(a, (1, 1, 1))
        elif ndim(a) == 1:
            a = reshape(a, (1, shape(a)[0], 1))
        elif ndim(a) == 2:
            a = expand_dims(a, -1)
        out.append(a)
    return out[0] if len(out) == 1 else out


def concatenate(arrays, axis=0, dtype=None):
    """Join a sequence of arrays along an existing `axis` (also `concat`); axis=None flattens them first."""
    if isinstance(arrays, (tuple, list)) and not arrays:
        raise ValueError("Need at least one array to concatenate.")
    arrs = promote_dtypes(*arrays) if not is_array(arrays) else list(unstack_like(arrays))
    if dtype is not None:
        arrs = [astype(a, dtype) for a in arrs]
    if axis is None:
        return structural.concatenate([ravel(a) for a in arrs], 0)
    if builtins.any(ndim(a) == 0 for a in arrs):
        raise ValueError("Zero-dimensional arrays cannot be concatenated.")
    axis = canonicalize_axis(axis, ndim(arrs[0]))
    return structural.concatenate(arrs, axis)


def unstack_like(a):
    from jaxlite._src.numpy.indexing import unstack
    return unstack(a)


concat = concatenate


def stack(arrays, axis=0, dtype=None):
    """Join a sequence of same-shaped arrays along a new `axis`."""
    if not len(arrays):
        raise ValueError("Need at least one array to stack.")
    arrs = promote_dtypes(*arrays) if not is_array(arrays) else list(unstack_like(arrays))
    shapes = {shape(a) for a in arrs}
    if len(shapes) != 1:
        raise ValueError("All input arrays must have the same shape.")
    axis = canonicalize_axis(axis, ndim(arrs[0]) + 1)
    out = structural.concatenate([structural.expand_dims(a, (axis,)) for a in arrs], axis)
    return astype(out, dtype) if dtype is not None else out


def vstack(tup, dtype=None):
    """Stack arrays row-wise: along axis 0, after making them at least 2-D."""
    return concatenate([atleast_2d(a) for a in tup], 0, dtype)


row_stack = vstack


def hstack(tup, dtype=None):
    """Stack arrays column-wise: along axis 1, or axis 0 for 1-D inputs."""
    arrs = [atleast_1d(a) for a in tup]
    return concatenate(arrs, 0 if ndim(arrs[0]) == 1 else 1, dtype)


def dstack(tup, dtype=None):
    """Stack arrays depth-wise: along axis 2, after making them at least 3-D."""
    return concatenate([atleast_3d(a) for a in tup], 2, dtype)


def column_stack(tup):
    """Stack 1-D arrays as the columns of a 2-D array (2-D inputs are joined along axis 1)."""
    return concatenate([reshape(a, (-1, 1)) if ndim(a) < 2 else asarray(a) for a in tup], 1)


def split(ary, indices_or_sections, axis=0):
    """Split an array into equal sections (an int) or at the given indices along `axis`; sections must divide
    evenly.
    """
    return _split("split", ary, indices_or_sections, axis)


def array_split(ary, indices_or_sections, axis=0):
    """Split an array into sections along `axis`, like `split` but allowing unequal sections."""
    return _split("array_split", ary, indices_or_sections, axis)


def _split(name, ary, ios, axis):
    ary = asarray(ary)
    axis = canonicalize_axis(axis, ndim(ary))
    n = shape(ary)[axis]
    if isinstance(ios, (int, np.integer)):
        k = int(ios)
        if name == "split" and n % k:
            raise ValueError("array split does not result in an equal division")
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
        bounds = np.cumsum([0] + sizes)
    else:
        bounds = [0] + [int(i) for i in ios] + [n]
    return [structural.slice_in_dim(ary, int(builtins.min(lo, n)), int(builtins.min(builtins.max(hi, lo), n)), axis=axis)
            for lo, hi in zip(bounds[:-1], bounds[1:])]


def hsplit(ary, ios):
    """Split an array along axis 1 (axis 0 for 1-D input), as `split`."""
    return split(ary, ios, axis=1 if ndim(ary) > 1 else 0)


def vsplit(ary, ios):
    """Split an array along axis 0, as `split`."""
    return split(ary, ios, axis=0)


def dsplit(ary, ios):
    """Split an array of 3 or more dimensions along axis 2 (depth), as `split`."""
    if ndim(ary) < 3:
        raise IndexError("tuple index out of range")  # JAX reads shape[2]
    return split(ary, ios, axis=2)


def flip(m, axis=None):
    """Reverse the order of elements along `axis` (all axes if None)."""
    m = asarray(m)
    return structural.rev(m, canonicalize_axes(axis, ndim(m)))


def fliplr(m):
    """Reverse the order of columns (axis 1)."""
    return flip(m, 1)


def flipud(m):
    """Reverse the order of rows (axis 0)."""
    return flip(m, 0)


def roll(a, shift, axis=None):
    """Shift the elements of `a` by `shift` along `axis` (of the flattened array if None), wrapping around."""
    a = asarray(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), shape(a))
    shifts = shift if isinstance(shift, (tuple, list)) else (shift,)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    if len(shifts) == 1 and len(axes) > 1:
        shifts = shifts * len(axes)
    for s, ax in zip(shifts, axes):
        ax = canonicalize_axis(ax, ndim(a))
        n = shape(a)[ax]
        if n == 0:
            continue
        if is_array(s) and isinstance(s, core.Tracer):
            # A traced shift: rotate by slicing a doubled array at a dynamic offset.
            s = remainder(s, n)
            doubled = structural.concatenate([a, a], ax)
            a = structural.dynamic_slice_in_dim(doubled, lax.sub(n, s), n, ax)
        else:
            s = int(s) % n
            if s:
                a = structural.concatenate([structural.slice_in_dim(a, n - s, n, axis=ax),
                                            structural.slice_in_dim(a, 0, n - s, axis=ax)], ax)
    return a


def tile(A, reps):
    """Repeat the whole array `A` the number of times given by `reps` along each axis."""
    A = asarray(A)
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    nd = builtins.max(len(reps), ndim(A))
    A = reshape(A, (1,) * (nd - ndim(A)) + shape(A))
    reps = (1,) * (nd - len(reps)) + reps
    shp = shape(A)
    bshape = []
    bd = []
    for i, (r, s) in enumerate(zip(reps, shp)):
        bshape += [r, s]
        bd.append(2 * i + 1)
    out = structural.broadcast_in_dim(A, tuple(bshape), tuple(bd))
    return reshape(out, tuple(r * s for r, s in zip(reps, shp)))


def repeat(a, repeats, axis=None, *, total_repeat_length=None):
    """Repeat each element of `a` `repeats` times along `axis`; under jit, array `repeats` need
    `total_repeat_length`.
    """
    a = asarray(a)
    if axis is None:
        a, axis = ravel(a), 0
    axis = canonicalize_axis(axis, ndim(a))
    if isinstance(repeats, (int, np.integer)):
        r = int(repeats)
        shp = shape(a)
        expanded = structural.broadcast_in_dim(a, shp[:axis + 1] + (r,) + shp[axis + 1:],
                                               tuple(range(axis + 1)) + tuple(range(axis + 2, len(shp) + 1)))
        return reshape(expanded, shp[:axis] + (shp[axis] * r,) + shp[axis + 1:])
    reps = np.asarray(core.concrete_or_error(repeats, "repeats must be concrete (or pass total_repeat_length)"))
    idx = np.repeat(np.arange(shape(a)[axis]), reps)
    return take(a, asarray(idx.astype(np.int32)), axis=axis)


def pad(array, pad_width, mode="constant", constant_values=0, **kwargs):
    """Pad an array by `pad_width` with `mode` ('constant', 'edge', 'reflect', 'symmetric', 'wrap', ...)."""
    array = asarray(array)
    nd = ndim(array)
    pw = np.broadcast_to(np.asarray(pad_width, dtype=np.int64).reshape(-1, 2) if np.ndim(pad_width) else
                         np.full((1, 2), int(pad_width)), (nd, 2)) if nd else np.zeros((0, 2), np.int64)
    if mode == "constant":
        cv = asarray(constant_values)
        if ndim(cv) == 0:
            return structural.pad(array, astype(cv, array.dtype), [(int(lo), int(hi), 0) for lo, hi in pw])
        cvs = np.broadcast_to(np.asarray(constant_values), (nd, 2))
        out = array
        for ax in range(nd):
            cfg = [(0, 0, 0)] * nd
            cfg[ax] = (int(pw[ax][0]), 0, 0)
            out = structural.pad(out, np.array(cvs[ax][0], array.dtype), cfg)
            cfg[ax] = (0, int(pw[ax][1]), 0)
            out = structural.pad(out, np.array(cvs[ax][1], array.dtype), cfg)
        return out
    if mode in ("edge", "wrap", "reflect", "symmetric"):
        out = array
        for ax in range(nd):
            lo, hi = int(pw[ax][0]), int(pw[ax][1])
            n = shape(out)[ax]
            idx = np.arange(-lo, n + hi)
            if mode == "edge":
                idx = np.clip(idx, 0, n - 1)
            elif mode == "wrap":
                idx = idx % n
            elif mode == "reflect":
                period = 2 * (n - 1) if n > 1 else 1
                idx = np.abs(idx) % period
                idx = np.where(idx >= n, period - idx, idx)
            else:
                period = 2 * n
                idx = idx % period
                idx = np.where(idx >= n, period - 1 - idx, idx)
            out = take(out, asarray(idx.astype(np.int32)), axis=ax)
        return out
    raise NotImplementedError(f"jnp.pad mode={mode!r}")


def take(a, indices, axis=None, out=None, mode=None, unique_indices=False, indices_are_sorted=False,
         fill_value=None):
    """Take elements of `a` at `indices` along `axis` (of the flattened array if None); `mode` handles out-of-
    bound indices.
    """
    from jaxlite._src.lax.slicing import GatherDimensionNumbers, gather
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.take is not supported.")
    check_arraylike("take", a, indices)
    a = asarray(a)
    indices = asarray(indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"take requires integer indices, got {indices.dtype.name}")
    if axis is None:
        a, axis = ravel(a), 0
    axis = canonicalize_axis(axis, ndim(a))
    n = shape(a)[axis]
    if mode is None or mode == "fill":
        gather_mode, idx = "fill", _wrap_negative(indices, n)
    elif mode == "raise":
        raise NotImplementedError("The 'raise' mode to jnp.take is not supported.")
    elif mode == "wrap":
        gather_mode, idx = "clip", remainder(indices, n) if n else indices
    elif mode == "clip":
        gather_mode, idx = "clip", indices  # JAX clips negative indices to 0 here, not from the end
    else:
        raise ValueError(f"Invalid mode '{mode}' for np.take")
    if n == 0 and size(indices):
        if gather_mode != "fill":
            raise IndexError("Cannot do a non-empty jnp.take() from an empty axis.")
    nd = ndim(a)
    offset = tuple(range(axis)) + tuple(range(axis + ndim(indices), nd + ndim(indices) - 1))
    dn = GatherDimensionNumbers(offset_dims=offset, collapsed_slice_dims=(axis,), start_index_map=(axis,))
    slice_sizes = tuple(1 if i == axis else d for i, d in enumerate(shape(a)))
    return gather(a, structural.expand_dims(idx, (ndim(idx),)), dn, slice_sizes,
                  mode=gather_mode, fill_value=fill_value)


def _wrap_negative(indices, n):
    if indices.dtype.kind != "i":
        return indices
    return where(lax.lt(indices, 0), lax.add(indices, lax.full(shape(indices), n, indices.dtype)), indices)


def take_along_axis(arr, indices, axis=-1, mode=None, fill_value=None):
    """Pick values from `arr` with an index array of matching shape along `axis` (what argsort returns fits).

    Differs from JAX: no `wrap_negative_indices` argument.
    """
    from jaxlite._src.lax import slicing
    check_arraylike("take_along_axis", arr, indices)
    arr, indices = asarray(arr), asarray(indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"take_along_axis indices must be of integer type, got {indices.dtype}")
    if mode is not None and mode not in ("fill", "clip", "drop", "promise_in_bounds"):
        raise ValueError(f'Unknown gather mode "{mode}"')
    if axis is None:
        arr, axis = ravel(arr), 0
        indices = ravel(indices)
    axis = canonicalize_axis(axis, ndim(arr))
    if ndim(indices) != ndim(arr):
        raise ValueError("indices and arr must have the same number of dimensions; "
                         f"{ndim(indices)} vs. {ndim(arr)}")
    bshape = list(broadcast_shapes(tuple(1 if i == axis else d for i, d in enumerate(shape(indices))),
                                   tuple(1 if i == axis else d for i, d in enumerate(shape(arr)))))
    bshape_idx = list(bshape)
    bshape_idx[axis] = shape(indices)[axis]
    indices = broadcast_to(indices, bshape_idx)
    bshape_arr = list(bshape)
    bshape_arr[axis] = shape(arr)[axis]
    arr = broadcast_to(arr, bshape_arr)
    indices = _wrap_negative(indices, shape(arr)[axis])
    # One full index vector per element: the iota of every other axis beside the given indices.
    nd, idx_shape = ndim(arr), shape(indices)
    cols = [indices if d == axis else structural.broadcasted_iota(indices.dtype, idx_shape, d) for d in range(nd)]
    full_idx = structural.concatenate([structural.reshape(c, idx_shape + (1,)) for c in cols], nd)
    dn = slicing.GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=tuple(range(nd)),
                                        start_index_map=tuple(range(nd)))
    return slicing.gather(arr, full_idx, dn, (1,) * nd, mode="fill" if mode is None else mode,
                          fill_value=fill_value)


# ---- products -------------------------------------------------------------------------------------


def dot(a, b, precision=None, preferred_element_type=None):
    """Dot product: inner product of 1-D arrays, matrix product of 2-D arrays, and numpy's rules for other
    ranks.
    """
    a, b = promote_dtypes(a, b)
    if ndim(a) == 0 or ndim(b) == 0:
        return multiply(a, b)
    if ndim(b) == 1:
        return dot_general(a, b, (((ndim(a) - 1,), (0,)), ((), ())), precision=precision,
                           preferred_element_type=preferred_element_type)
    return dot_general(a, b, (((ndim(a) - 1,), (ndim(b) - 2,)), ((), ())), precision=precision,
                       preferred_element_type=preferred_element_type)


def matmul(a, b, precision=None, preferred_element_type=None):
    """Matrix product of two arrays, broadcasting over leading batch axes (the @ operator)."""
    check_arraylike("matmul", a, b)
    a, b = promote_dtypes(a, b)
    if ndim(a) == 0 or ndim(b) == 0:
        raise ValueError(f"matmul: operands must have at least 1 dimension, got shapes {shape(a)} and {shape(b)}")
    a_vec, b_vec = ndim(a) == 1, ndim(b) == 1
    a2 = structural.expand_dims(a, (0,)) if a_vec else a
    b2 = structural.expand_dims(b, (1,)) if b_vec else b
    if shape(a2)[-1] != shape(b2)[-2]:
        raise TypeError(f"dot_general requires contracting dimensions to have the same shape, got "
                        f"{(shape(a2)[-1],)} and {(shape(b2)[-2],)}.")
    batch = broadcast_shapes(shape(a2)[:-2], shape(b2)[:-2])
    a2 = broadcast_to(a2, batch + shape(a2)[-2:])
    b2 = broadcast_to(b2, batch + shape(b2)[-2:])
    nb = len(batch)
    out = dot_general(a2, b2, (((nb + 1,), (nb,)), (tuple(range(nb)), tuple(range(nb)))), precision=precision,
                      preferred_element_type=preferred_element_type)
    if a_vec:
        out = structural.squeeze(out, (nb,))
    if b_vec:
        out = structural.squeeze(out, (ndim(out) - 1,))
    return out


def matvec(x1, x2, /):
    """Matrix-vector product over the last axes, broadcasting over batch axes."""
    check_arraylike("matvec", x1, x2)
    x1, x2 = asarray(x1), asarray(x2)
    if ndim(x1) < 2 or ndim(x2) < 1:
        raise ValueError(f"matvec: operands must be at least 2-d and 1-d, got shapes {shape(x1)} and {shape(x2)}")
    out = matmul(x1, structural.expand_dims(x2, (ndim(x2),)))
    return structural.squeeze(out, (ndim(out) - 1,))


def vecmat(x1, x2, /):
    """Vector-matrix product (conjugating the vector) over the last axes, broadcasting over batch axes."""
    check_arraylike("vecmat", x1, x2)
    x1, x2 = asarray(x1), asarray(x2)
    if ndim(x1) < 1 or ndim(x2) < 2:
        raise ValueError(f"vecmat: operands must be at least 1-d and 2-d, got shapes {shape(x1)} and {shape(x2)}")
    out = matmul(structural.expand_dims(conj(x1), (ndim(x1) - 1,)), x2)
    return structural.squeeze(out, (ndim(out) - 2,))


def vecdot(x1, x2, /, *, axis=-1, precision=None, preferred_element_type=None):
    """Dot product of vectors along `axis` (conjugating x1), broadcasting over the other axes."""
    check_arraylike("vecdot", x1, x2)
    x1, x2 = asarray(x1), asarray(x2)
    if ndim(x1) == 0 or ndim(x2) == 0:
        raise ValueError("vecdot: operands must be at least 1-d")
    if shape(x1)[axis] != shape(x2)[axis]:
        raise ValueError(f"axes must match; got shapes {shape(x1)} and {shape(x2)} with {axis=}")
    x1, x2 = promote_dtypes(moveaxis(x1, axis, -1), moveaxis(x2, axis, -1))
    if x1.dtype.kind == "c":
        x1 = conj(x1)
    batch = broadcast_shapes(shape(x1)[:-1], shape(x2)[:-1])
    n = shape(x1)[-1]
    x1, x2 = broadcast_to(x1, batch + (n,)), broadcast_to(x2, batch + (n,))
    nb = len(batch)
    return dot_general(x1, x2, (((nb,), (nb,)), (tuple(range(nb)), tuple(range(nb)))), precision=precision,
                       preferred_element_type=preferred_element_type)


def einsum_path(subscripts, /, *operands, optimize="auto"):
    """The contraction order numpy.einsum_path picks (jaxlite's einsum contracts left to right)."""
    shapes = [np.broadcast_to(np.zeros((), np.float32), shape(op)) for op in operands]
    strategy = "greedy" if optimize in ("auto", True) else optimize
    path, info = np.einsum_path(subscripts, *shapes, optimize=strategy)
    return [tuple(p) for p in path[1:]], info


def vdot(a, b, precision=None):
    """Dot product of two arrays flattened to 1-D, conjugating the first.

    Differs from JAX: no `preferred_element_type` argument.
    """
    a, b = asarray(a), asarray(b)
    if a.dtype.kind == "c":
        a = conj(a)
    return dot(ravel(a), ravel(b))


def inner(a, b, precision=None):
    """Inner product over the last axis of both arrays.

    Differs from JAX: no `preferred_element_type` argument.
    """
    a, b = promote_dtypes(a, b)
    if ndim(a) == 0 or ndim(b) == 0:
        return multiply(a, b)
    return tensordot(a, b, ((ndim(a) - 1,), (ndim(b) - 1,)))


def outer(a, b, out=None):
    """Outer product of two arrays flattened to 1-D."""
    a, b = promote_dtypes(ravel(a), ravel(b))
    return multiply(structural.expand_dims(a, (1,)), structural.expand_dims(b, (0,)))


def tensordot(a, b, axes=2, precision=None):
    """Tensor dot product, summing over the last `axes` axes of a and the first of b (or given axis pairs).

    Differs from JAX: no `preferred_element_type` argument.
    """
    a, b = promote_dtypes(a, b)
    if isinstance(axes, (int, np.integer)):
        ax_a = tuple(range(ndim(a) - int(axes), ndim(a)))
        ax_b = tuple(range(int(axes)))
    else:
        ax_a, ax_b = axes
        ax_a = canonicalize_axes(ax_a if isinstance(ax_a, (tuple, list)) else (ax_a,), ndim(a))
        ax_b = canonicalize_axes(ax_b if isinstance(ax_b, (tuple, list)) else (ax_b,), ndim(b))
    return dot_general(a, b, ((tuple(ax_a), tuple(ax_b)), ((), ())), precision=precision)


def kron(a, b):
    """Kronecker product of two arrays."""
    a, b = promote_dtypes(a, b)
    nd = builtins.max(ndim(a), ndim(b))
    a = reshape(a, (1,) * (nd - ndim(a)) + shape(a))
    b = reshape(b, (1,) * (nd - ndim(b)) + shape(b))
    ae = reshape(a, tuple(d for s in shape(a) for d in (s, 1)))
    be = reshape(b, tuple(d for s in shape(b) for d in (1, s)))
    return reshape(multiply(ae, be), tuple(x * y for x, y in zip(shape(a), shape(b))))


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 2- or 3-element vectors along the given axes."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = promote_dtypes(a, b)
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    if shape(a)[-1] != 3 or shape(b)[-1] != 3:
        raise ValueError("jnp.cross supports 3-vectors only")
    a0, a1, a2 = (structural.index_in_dim(a, i, -1, False) for i in range(3))
    b0, b1, b2 = (structural.index_in_dim(b, i, -1, False) for i in range(3))
    c = stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], -1)
    return moveaxis(c, -1, axisc)


def _einsum_check(specs, shapes, out):
    """JAX's (numpy's) checks, so a bad spec names the label at fault."""
    sizes = {}
    for k, (s, shp) in enumerate(zip(specs, shapes)):
        for ch, n in zip(s, shp):
            if not ch.isalpha():
                raise ValueError(f"Character {ch!r} is not a valid symbol.")
            if sizes.setdefault(ch, n) != n and 1 not in (n, sizes[ch]):
                raise ValueError(f"Size of label {ch!r} for operand {k} ({n}) does not match previous "
                                 f"terms ({sizes[ch]}).")
            sizes[ch] = builtins.max(sizes[ch], n) if 1 in (n, sizes[ch]) else n
    for ch in out:
        if out.count(ch) > 1:
            raise ValueError(f"Output character {ch!r} appeared more than once in the output.")
        if ch not in sizes:
            raise ValueError(f"Output character {ch!r} did not appear in the input")


def einsum(subscripts, *operands, optimize="optimal", precision=None, preferred_element_type=None):
    """einsum by successive pairwise dot_generals (sums over indices that are not needed later)."""
    operands = promote_dtypes(*operands)
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        lhs, out = subscripts.split("->")
    else:
        lhs = subscripts
        counts = {}
        for ch in lhs.replace(",", "").replace(".", ""):
            counts[ch] = counts.get(ch, 0) + 1
        out = ("..." if "..." in lhs else "") + "".join(sorted(c for c, k in counts.items() if k == 1))
    ins = lhs.split(",")
    if len(ins) != len(operands):
        raise ValueError(f"Number of einsum subscripts, {len(ins)}, must be equal to the number of operands, "
                         f"{len(operands)}.")
    # Expand ellipses into fresh letters.
    free_letters = [c for c in string.ascii_letters if c not in subscripts]
    ell_nd = builtins.max([ndim(op) - len(s.replace("...", "")) for s, op in zip(ins, operands) if "..." in s],
                          default=0)
    ell = "".join(free_letters[:ell_nd])
    specs = []
    for k_op, (s, op) in enumerate(zip(ins, operands)):
        if "..." in s:
            k = ndim(op) - len(s.replace("...", ""))
            s = s.replace("...", ell[ell_nd - k:])
        if len(s) != ndim(op):
            raise ValueError(f"Einstein sum subscript {s!r} does not contain the correct number of indices "
                             f"for operand {k_op} (its shape is {shape(op)}).")
        specs.append(s)
    out = out.replace("...", ell)
    _einsum_check(specs, [shape(op) for op in operands], out)
    ops = list(operands)
    # Handle repeated indices within one operand (diagonals) and sum indices used by one operand only.
    for i, (s, op) in enumerate(zip(specs, ops)):
        while builtins.len(set(s)) != builtins.len(s):
            c = next(ch for ch in s if s.count(ch) > 1)
            p1 = s.index(c)
            p2 = s.index(c, p1 + 1)
            op = diagonal(op, 0, p1, p2)
            s = s[:p1] + s[p1 + 1:p2] + s[p2 + 1:] + c
        specs[i], ops[i] = s, op
    while len(ops) > 1:
        (s1, a), (s2, b) = (specs[0], ops[0]), (specs[1], ops[1])
        rest = "".join(specs[2:]) + out
        # Sum out indices that appear in one operand of the pair only and nowhere later.
        s1, a = _einsum_sum_unused(s1, a, s2 + rest)
        s2, b = _einsum_sum_unused(s2, b, s1 + rest)
        shared = [ch for ch in s1 if ch in s2]
        batch = [ch for ch in shared if ch in rest]
        contract = [ch for ch in shared if ch not in rest]
        dn = ((tuple(s1.index(c) for c in contract), tuple(s2.index(c) for c in contract)),
              (tuple(s1.index(c) for c in batch), tuple(s2.index(c) for c in batch)))
        res = dot_general(a, b, dn, precision=precision, preferred_element_type=preferred_element_type)
        s_res = ("".join(batch) + "".join(ch for ch in s1 if ch not in shared)
                 + "".join(ch for ch in s2 if ch not in shared))
        specs, ops = [s_res] + specs[2:], [res] + ops[2:]
    s, op = _einsum_sum_unused(specs[0], ops[0], out)
    return transpose(op, [s.index(ch) for ch in out])


def _einsum_sum_unused(spec, op, keep):
    from jaxlite._src.numpy import reductions
    drop = tuple(k for k, ch in enumerate(spec) if ch not in keep)
    if not drop:
        return spec, op
    return "".join(ch for ch in spec if ch in keep), reductions.sum(op, axis=drop)


# ---- misc -----------------------------------------------------------------------------------------


def iscomplexobj(x) -> bool:
    """True if x has a complex dtype (a Python check on the dtype, not on values)."""
    return asarray(x).dtype.kind == "c"


def count_nonzero(a, axis=None, keepdims=False):
    """Number of nonzero elements of `a` over `axis` (all axes if None)."""
    from jaxlite._src.numpy import reductions
    return reductions.sum(not_equal(a, 0), axis=axis, keepdims=keepdims, dtype=dtypes.default_int())


def unravel_index(indices, shape):
    """Convert flat indices into a tuple of coordinate arrays for an array of `shape` (C order)."""
    indices = asarray(indices)
    out = []
    for d in reversed(shape):
        out.append(lax.rem(indices, d) if d else indices)
        indices = lax.div(indices, d) if d else indices
    return tuple(reversed(out))


def ravel_multi_index(multi_index, dims, mode="raise", order="C"):
    """Convert a tuple of coordinate arrays into flat indices for an array of `dims`; `mode` handles out-of-
    range coordinates.
    """
    out = asarray(0)
    for i, d in zip(multi_index, dims):
        out = add(multiply(out, d), clip(asarray(i), 0, d - 1))
    return out
