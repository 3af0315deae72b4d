"""jaxlite.numpy floating-point decomposition and classification: modf, frexp, ldexp, nextafter,
isposinf/isneginf, iscomplex/isreal, angle. frexp and ldexp work on the IEEE bits (bitcasts), so
they stay exact and fuse into kernels."""

from __future__ import annotations

import numpy as np

from jaxlite._src import dtypes
from jaxlite._src.lax import lax
from jaxlite._src.lax.bitcast import bitcast_convert_type
from jaxlite._src.numpy import lax_numpy as jnp
from jaxlite._src.numpy.util import (asarray, check_arraylike, promote_args_inexact,
                                     promote_dtypes_inexact)

_UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}
_INT = {2: np.int16, 4: np.int32, 8: np.int64}


def modf(x, /, out=None):
    """Split each element into its fractional and integral parts, both with the sign of x."""
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.modf is not supported.")
    check_arraylike("modf", x)
    (x,) = promote_dtypes_inexact(x)
    whole = jnp.trunc(x)
    return lax.sub(x, whole), whole


def _normalized_bits(x):
    """x's bits as an unsigned int, with subnormals scaled up by 2**nmant (and that shift)."""
    info = np.finfo(x.dtype)
    ut, it = _UINT[x.dtype.itemsize], _INT[x.dtype.itemsize]
    small = lax.lt(lax.abs(x), lax.full(x.shape, info.tiny, x.dtype))
    scaled = jnp.where(small, lax.mul(x, lax.full(x.shape, 2.0 ** info.nmant, x.dtype)), x)
    shift = jnp.where(small, lax.full(x.shape, -info.nmant, it), lax.full(x.shape, 0, it))
    return bitcast_convert_type(scaled, ut), shift


def frexp(x, /):
    """Split each element into a mantissa in [0.5, 1) and an integer exponent: x = m * 2**e."""
    check_arraylike("frexp", x)
    x = asarray(x)
    if x.dtype.kind == "c":
        raise TypeError("frexp does not support complex-valued inputs")
    if x.dtype.kind != "f":
        x = lax.convert_element_type(x, dtypes.default_float())
    info = np.finfo(x.dtype)
    ut, it = _UINT[x.dtype.itemsize], _INT[x.dtype.itemsize]
    bits, shift = _normalized_bits(x)
    exp_mask = (1 << info.nexp) - 1
    bias = 1 - info.minexp
    def const(v, dt):
        return lax.full(x.shape, v, dt)
    field = lax.bitwise_and(lax.shift_right_logical(bits, const(info.nmant, ut)), const(exp_mask, ut))
    exponent = lax.add(shift, lax.sub(lax.convert_element_type(field, it), const(bias - 1, it)))
    # Keep sign and mantissa, and set the exponent field to that of [0.5, 1).
    keep = ~(exp_mask << info.nmant) & np.iinfo(ut).max
    mant_bits = lax.bitwise_or(lax.bitwise_and(bits, const(keep, ut)), const((bias - 1) << info.nmant, ut))
    mantissa = bitcast_convert_type(mant_bits, x.dtype)
    special = jnp.logical_or(jnp.logical_or(jnp.isinf(x), jnp.isnan(x)), lax.eq(x, lax.full(x.shape, 0, x.dtype)))
    exponent = jnp.where(special, lax.full(x.shape, 0, it), exponent)
    return jnp.where(special, x, mantissa), lax.convert_element_type(exponent, np.int32)


def ldexp(x1, x2, /):
    """Elementwise x1 * 2**x2 for an integer exponent x2."""
    check_arraylike("ldexp", x1, x2)
    d1, d2 = jnp.asarray(x1).dtype, jnp.asarray(x2).dtype
    if d1.kind not in "biuf" or d2.kind not in "biu":
        raise ValueError(f"ldexp not supported for input types {(d1, d2)}")
    x1 = asarray(x1)
    if x1.dtype.kind != "f":
        x1 = lax.convert_element_type(x1, dtypes.default_float())
    x1 = lax.convert_element_type(x1, x1.dtype, False)
    x, n = jnp.broadcast_arrays(x1, lax.convert_element_type(asarray(x2), np.int32))
    info = np.finfo(x.dtype)
    bias = 1 - info.minexp
    ut = _UINT[x.dtype.itemsize]
    # Three exact power-of-two factors cover every exponent that can change a finite result.
    limit = 3 * (bias - 1)
    n = jnp.clip(n, -limit, limit)
    out = x
    for k in range(3):
        part = lax.div(n, lax.full(n.shape, 3 - k, np.int32))
        n = lax.sub(n, part)
        biased = lax.convert_element_type(lax.add(part, lax.full(n.shape, bias, np.int32)), ut)
        scale = bitcast_convert_type(lax.shift_left(biased, lax.full(n.shape, info.nmant, ut)), x.dtype)
        out = lax.mul(out, scale)
    return out


def nextafter(x1, x2, /):
    """Elementwise next representable floating-point value after x1 in the direction of x2."""
    return lax.nextafter(*promote_args_inexact("nextafter", x1, x2))


def _isposneginf(x, infinity, name):
    check_arraylike(name, x)
    x = asarray(x)
    if x.dtype.kind == "c":
        raise ValueError("isposinf/isneginf are not well defined for complex types")
    if x.dtype.kind != "f":
        return _const_bool(x, False)
    return lax.eq(x, lax.full(x.shape, infinity, x.dtype))


def _const_bool(x, value):
    # As JAX's full_like: a weakly typed input gives a weakly typed bool.
    return lax.convert_element_type(lax.full(x.shape, value, np.bool_), np.bool_, x.weak_type)


def isposinf(x, /, out=None):
    """Elementwise test for positive infinity."""
    return _isposneginf(x, np.inf, "isposinf")


def isneginf(x, /, out=None):
    """Elementwise test for negative infinity."""
    return _isposneginf(x, -np.inf, "isneginf")


def iscomplex(x):
    """Elementwise test for a nonzero imaginary part (False everywhere for real input)."""
    check_arraylike("iscomplex", x)
    x = asarray(x)
    if x.dtype.kind != "c":
        return _const_bool(x, False)
    return lax.ne(lax.imag(x), lax.full(x.shape, 0, lax.imag(x).dtype))


def isreal(x):
    """Elementwise test for a zero imaginary part (True everywhere for real input)."""
    check_arraylike("isreal", x)
    x = asarray(x)
    if x.dtype.kind != "c":
        return _const_bool(x, True)
    return lax.eq(lax.imag(x), lax.full(x.shape, 0, lax.imag(x).dtype))


def isrealobj(x):
    """True if x does not have a complex dtype (a Python check on the dtype, not on values)."""
    return not jnp.iscomplexobj(x)


def angle(z, deg=False):
    """Elementwise argument (phase) of complex numbers, in radians, or in degrees with `deg=True`."""
    check_arraylike("angle", z)
    z = asarray(z)
    re, im = jnp.real(z), jnp.imag(z)
    re, im = promote_args_inexact("angle", re, im)
    out = lax.atan2(im, re)
    return lax.mul(out, lax.full(out.shape, 180 / np.pi, out.dtype)) if deg else out
