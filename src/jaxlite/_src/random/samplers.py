"""The samplers of jax.random, each the same computation on the same bits as JAX 0.10's, so
samples agree with JAX to float rounding (the bits themselves are identical).

A public sampler checks its arguments, then runs its traceable body under `jit` (one fused
program per shape and dtype, as JAX jits them) or inline when it is already being traced, so a
user's `jit` fuses the whole sampler with its surroundings. Bodies call each other's bodies.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

import jaxlite.numpy as jnp
from jaxlite._src import core, dtypes, tree_util
from jaxlite._src.ad_util import stop_gradient
from jaxlite._src.features import partial
from jaxlite._src.jit import jit
from jaxlite._src.lax import control_flow, lax, sorting, structural
from jaxlite._src.lax.bitcast import bitcast_convert_type
from jaxlite._src.numpy.util import broadcast_shapes, canonicalize_axis, promote_dtypes_inexact
from jaxlite._src.random import prng
from jaxlite._src.random.prng import PRNGKeyArray, check_prng_key
from jaxlite._src.random.special import erf_inv


def _staged(*static_argnums):
    """Jit the body once per static signature unless an argument is already a tracer."""
    def wrap(body):
        jitted = jit(body, static_argnums=static_argnums)

        def call(*args):
            if any(isinstance(x, core.Tracer) for x in tree_util.tree_leaves(args)):
                return body(*args)
            return jitted(*args)
        return call
    return wrap


# ---- argument checks shared by the samplers -------------------------------------------------------


def _concrete_int(x, context):
    return int(core.concrete_or_error(x, context))


def _shape(shape) -> tuple:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    try:
        return tuple(_concrete_int(d, "The error occurred in a jax.random shape") if isinstance(d, core.Tracer)
                     else int(d) for d in shape)
    except TypeError:
        raise TypeError(f"Shapes must be 1D sequences of concrete values of integer type, got {shape}.") from None


def _float_dtype(name, dtype, kinds="f", what="a float"):
    dtype = dtypes.check_user_dtype(float if dtype is None else dtype)
    if dtype.kind not in kinds:
        raise ValueError(f"dtype argument to `{name}` must be {what} dtype, got {dtype}")
    return dtype


def _int_dtype(dtype):
    return dtypes.check_user_dtype(int if dtype is None else dtype)


def _check_shape(name, shape, *param_shapes):
    if param_shapes:
        shape_ = broadcast_shapes(shape, *param_shapes)
        if tuple(shape) != tuple(shape_):
            raise ValueError(f"{name} parameter shapes must be broadcast-compatible with shape argument, and the "
                             f"result of broadcasting the shapes must equal the shape argument, but got result "
                             f"{shape_} for shape argument {shape}.")


def _broadcast_shape(name, shape, *args):
    if shape is None:
        return broadcast_shapes(*(np.shape(a) for a in args)) if args else ()
    shape = _shape(shape)
    _check_shape(name, shape, *(np.shape(a) for a in args))
    return shape


def _check_safe_cast(name, dtype, *args):
    for a in args:
        a_dtype, weak = dtypes.dtype_and_weak(a)
        if not weak and dtypes.promote_types(a_dtype, dtype) != dtype:
            raise ValueError(f"In arguments to {name}, cannot safely cast argument of type {a_dtype} "
                             f"to {dtype}")


def _float_sampler_args(name, key, shape, dtype, *params):
    """The checks a float sampler with array parameters makes first, in JAX's order: the key, a
    float dtype, the shape against the parameters' shapes, and a safe cast of each parameter."""
    key, _ = check_prng_key(name, key)
    dtype = _float_dtype(name, dtype)
    shape = _broadcast_shape(name, shape, *params)
    _check_safe_cast(name, dtype, *params)
    return key, shape, dtype


def _const(dtype, value):
    return lax.full((), value, dtype)


def _bits(key: PRNGKeyArray, bit_width: int, shape: tuple):
    return prng._random_bits(key._base_array, bit_width, tuple(shape))


def _split(key: PRNGKeyArray, num=2) -> PRNGKeyArray:
    shape = tuple(num) if isinstance(num, Sequence) else (num,)
    return PRNGKeyArray(prng._split(key._base_array, shape))


def _bcast(x, shape):
    return jnp.broadcast_to(x, shape)


# ---- bits, uniform and normal ---------------------------------------------------------------------


def bits(key, shape=(), dtype=None):
    """Random unsigned integers (uint32 by default, or `dtype`) with all bits uniform, of the given `shape`."""
    key, _ = check_prng_key("bits", key)
    dtype = dtypes.check_user_dtype(dtypes.canonicalize_dtype(np.uint64) if dtype is None else dtype)
    if dtype.kind != "u":
        raise ValueError(f"dtype argument to `bits` must be an unsigned int dtype, got {dtype}")
    return _bits_staged(key, dtype.itemsize * 8, _shape(shape))


_bits_staged = _staged(1, 2)(_bits)


def uniform(key, shape=(), dtype=None, minval=0., maxval=1.):
    """Uniform floats in [minval, maxval) of the given `shape` and float `dtype`."""
    key, _ = check_prng_key("uniform", key)
    dtype = _float_dtype("uniform", dtype)
    return _uniform_staged(key, minval, maxval, _shape(shape), dtype)


def _uniform(key, minval, maxval, shape, dtype):
    finfo = np.finfo(dtype)
    nbits, nmant = finfo.bits, finfo.nmant
    minval = lax.convert_element_type(minval, dtype)
    maxval = lax.convert_element_type(maxval, dtype)
    uint = prng.UINT_DTYPES[nbits]
    # Random mantissa bits under the exponent of 1.0 give a float in [1, 2).
    float_bits = lax.bitwise_or(lax.shift_right_logical(_bits(key, nbits, shape), nbits - nmant),
                                int(np.array(1.0, dtype).view(uint)))
    # (bitcast in the rank-1 view: the cpu bitcast kernel turns 0-d operands into shape (1,))
    floats = structural.reshape(bitcast_convert_type(structural.reshape(float_bits, (1,)) if not shape else float_bits,
                                                     dtype), shape)
    floats = lax.sub(floats, 1.0)
    return jnp.maximum(minval, floats * (maxval - minval) + minval)


_uniform_staged = _staged(3, 4)(_uniform)


def normal(key, shape=(), dtype=None):
    """Standard normal floats (complex dtypes: real and imaginary parts with variance 1/2 each) of the given
    `shape`.
    """
    key, _ = check_prng_key("normal", key)
    dtype = _float_dtype("normal", dtype, "fc", "a float or complex")
    return _normal_staged(key, _shape(shape), dtype)


def _normal_real(key, shape, dtype):
    lo = np.nextafter(np.array(-1., dtype), np.array(0., dtype), dtype=dtype)
    u = _uniform(key, lo, np.array(1., dtype), shape, dtype)
    return lax.mul(erf_inv(u), float(np.array(np.sqrt(2), dtype)))


def _normal(key, shape, dtype):
    if dtype.kind == "c":
        real = np.dtype(np.array(0, dtype).real.dtype)
        key_re, key_im = _split(key)
        re = _normal_real(key_re, shape, real).astype(dtype)
        im = _normal_real(key_im, shape, real).astype(dtype)
        return (re + 1j * im) / np.array(np.sqrt(2), dtype)
    return _normal_real(key, shape, dtype)


_normal_staged = _staged(1, 2)(_normal)


def truncated_normal(key, lower, upper, shape=None, dtype=None):
    """Standard normal floats truncated to (lower, upper), of `shape` broadcast with the bounds."""
    shape = None if shape is None else _shape(shape)
    key, _ = check_prng_key("truncated_normal", key)
    dtype = _float_dtype("truncated_normal", dtype)
    if shape is None:
        shape = broadcast_shapes(np.shape(lower), np.shape(upper))
    else:
        _check_shape("truncated_normal", shape, np.shape(lower), np.shape(upper))
    return _truncated_normal_staged(key, lower, upper, shape, dtype)


def _truncated_normal(key, lower, upper, shape, dtype):
    sqrt2 = float(np.array(np.sqrt(2), dtype))
    lower = lax.convert_element_type(lower, dtype)
    upper = lax.convert_element_type(upper, dtype)
    a = lax.erf(lower / sqrt2)
    b = lax.erf(upper / sqrt2)
    u = _uniform(key, a, b, shape, dtype)
    out = erf_inv(u) * sqrt2
    # Rounding (or u == a) must not push a sample onto or past the bounds.
    lo = lax.nextafter(stop_gradient(lower), lax.full(np.shape(lower), np.inf, dtype))
    hi = lax.nextafter(stop_gradient(upper), lax.full(np.shape(upper), -np.inf, dtype))
    return jnp.clip(out, lo, hi)


_truncated_normal_staged = _staged(3, 4)(_truncated_normal)


def bernoulli(key, p=0.5, shape=None, mode="low"):
    """Booleans that are True with probability `p`, of `shape` broadcast with `p`."""
    shape = None if shape is None else _shape(shape)
    if mode not in ("high", "low"):
        raise ValueError(f"got mode={mode!r}, expected 'high' or 'low'")
    key, _ = check_prng_key("bernoulli", key)
    dtype = dtypes.dtype_and_weak(p)[0]
    if dtype.kind != "f":
        raise TypeError(f"bernoulli probability `p` must have a floating dtype, got {dtype}.")
    p = lax.convert_element_type(p, dtype)
    if shape is None:
        shape = np.shape(p)
    else:
        _check_shape("bernoulli", shape, np.shape(p))
    return _bernoulli_staged(key, p, shape, mode)


def _bernoulli(key, p, shape, mode):
    dtype = p.dtype
    if mode == "high":
        u = _uniform(key, 0., 1., (2, *shape), dtype)
        u1, u2 = u[0], u[1] * 2.0 ** -np.finfo(dtype).nmant
        return u2 < p - u1
    return _uniform(key, 0., 1., shape, dtype) < p


_bernoulli_staged = _staged(2, 3)(_bernoulli)


# ---- integers ------------------------------------------------------------------------------------


def _convert_and_clip_integer(val, dtype):
    lo = max(np.iinfo(dtype).min, np.iinfo(val.dtype).min)
    hi = min(np.iinfo(dtype).max, np.iinfo(val.dtype).max)
    return jnp.clip(val, lax.full((), lo, val.dtype), lax.full((), hi, val.dtype)).astype(dtype)


def randint(key, shape, minval, maxval, dtype=None):
    """Random integers in [minval, maxval) of the given `shape` and integer `dtype`."""
    key, _ = check_prng_key("randint", key)
    dtype = _int_dtype(dtype)
    shape = _shape(shape)
    if dtype.kind not in "iu":
        raise TypeError(f"randint only accepts integer dtypes, got {dtype}")
    info = np.iinfo(dtype)
    sample_dtype = dtype
    if info.bits < 32:  # JAX samples narrow integers in 32 bits, which lessens the modulo bias
        sample_dtype = np.dtype("int32")
        minval = jnp.asarray(minval).astype("int32").clip(int(info.min), int(info.max))
        maxval = jnp.asarray(maxval).astype("int32").clip(int(info.min), int(info.max) + 1)
    return _randint_staged(key, minval, maxval, shape, sample_dtype).astype(dtype)


def _randint(key, minval, maxval, shape, dtype):
    _check_shape("randint", shape, np.shape(minval), np.shape(maxval))
    minval, maxval = jnp.asarray(minval), jnp.asarray(maxval)
    if minval.dtype.kind not in "iu":
        minval = minval.astype(int)
    if maxval.dtype.kind not in "iu":
        maxval = maxval.astype(int)
    # maxval beyond the dtype (randint(k, s, 0, 256, uint8)) makes the span one larger.
    maxval_out_of_range = maxval > _convert_and_clip_integer(jnp.array(np.iinfo(dtype).max, dtype), maxval.dtype)
    minval = _bcast(_convert_and_clip_integer(minval, dtype), shape)
    maxval = _bcast(_convert_and_clip_integer(maxval, dtype), shape)
    maxval_out_of_range = _bcast(maxval_out_of_range, shape)
    nbits = np.iinfo(dtype).bits
    k1, k2 = _split(key)
    higher_bits, lower_bits = _bits(k1, nbits, shape), _bits(k2, nbits, shape)
    unsigned = prng.UINT_DTYPES[nbits]
    span = lax.convert_element_type(maxval - minval, unsigned)
    span = lax.select_n(maxval <= minval, span, lax.full(shape, 1, unsigned))
    span = lax.select_n(maxval_out_of_range & (maxval > minval), span, lax.add(span, 1))
    # A remainder of a 2*nbits-bit number: multiplier = 2**nbits % span, computed without overflow.
    multiplier = lax.rem(lax.full(shape, 2 ** (nbits // 2), unsigned), span)
    multiplier = lax.rem(lax.mul(multiplier, multiplier), span)
    offset = lax.add(lax.mul(lax.rem(higher_bits, span), multiplier), lax.rem(lower_bits, span))
    offset = lax.rem(offset, span)
    return lax.add(minval, lax.convert_element_type(offset, dtype))


_randint_staged = _staged(3, 4)(_randint)


# ---- permutations and choices ---------------------------------------------------------------------


def _shuffle(key, x, axis):
    # Sort by fresh random 32-bit keys, enough rounds that collisions are unlikely (JAX's rule).
    num_rounds = int(np.ceil(3 * np.log(max(1, x.size)) / np.log(np.iinfo(np.uint32).max)))
    for _ in range(num_rounds):
        key, subkey = _split(key)
        sort_keys = _bits(subkey, 32, x.shape)
        _, x = sorting.sort_key_val(sort_keys, x, axis)
    return x


_shuffle_staged = _staged(2)(_shuffle)


def permutation(key, x, axis=0, independent=False):
    """Random permutation of `x` along `axis` (of arange(x) for an int); `independent` shuffles each slice on
    its own.
    """
    key, _ = check_prng_key("permutation", key)
    if not np.ndim(x):
        if dtypes.dtype_and_weak(x)[0].kind not in "iu":
            raise TypeError("x must be an integer or at least 1-dimensional")
        r = _concrete_int(x, "argument x of jax.random.permutation()")
        return _shuffle_staged(key, jnp.arange(r), canonicalize_axis(axis, 1))
    x = jnp.asarray(x)
    axis = canonicalize_axis(axis, x.ndim)
    if independent or x.ndim == 1:
        return _shuffle_staged(key, x, axis)
    ind = _shuffle_staged(key, jnp.arange(x.shape[axis]), 0)
    return jnp.take(x, ind, axis, unique_indices=True)


def choice(key, a, shape=(), replace=True, p=None, axis=0, mode=None):
    """Random draws from `a` (or arange(a)) along `axis`, with or without replacement, optionally with
    probabilities `p`.
    """
    key, _ = check_prng_key("choice", key)
    if not isinstance(shape, Sequence):
        raise TypeError(f"shape argument of jax.random.choice must be a sequence, got {shape}")
    arr = jnp.asarray(a)
    if arr.ndim == 0:
        n_inputs = _concrete_int(a, "The error occurred in jax.random.choice()")
    else:
        axis = canonicalize_axis(axis, arr.ndim)
        n_inputs = arr.shape[axis]
    shape = tuple(shape)
    n_draws = math.prod(shape)
    if n_draws == 0:
        return jnp.zeros(shape, dtype=arr.dtype)
    if n_inputs <= 0:
        raise ValueError("a must be greater than 0 unless no samples are taken")
    if not replace and n_draws > n_inputs:
        raise ValueError(f"Cannot take a larger sample (size {n_draws}) than population (size {n_inputs}) when "
                         "'replace=False'")
    if p is None:
        if replace:
            ind = randint(key, shape, 0, n_inputs)
            result = ind if arr.ndim == 0 else jnp.take(arr, ind, axis)
        else:
            slices = (slice(None),) * axis + (slice(n_draws),)
            result = permutation(key, n_inputs if arr.ndim == 0 else arr, axis)[slices]
    else:
        p_arr, = promote_dtypes_inexact(p)
        if p_arr.shape != (n_inputs,):
            raise ValueError("p must be None or a 1D vector with the same size as a.shape[axis]. "
                             f"p has shape {p_arr.shape} and a.shape[axis] is {n_inputs}.")
        if replace:
            p_cuml = jnp.cumsum(p_arr)
            r = p_cuml[-1] * (1 - uniform(key, shape, dtype=p_cuml.dtype))
            ind = jnp.searchsorted(p_cuml, r).astype(int)
        else:
            # Gumbel top-k: the k largest of log p + gumbel noise are a sample without replacement.
            g = gumbel(key, (n_inputs,), dtype=p_arr.dtype, mode=mode) + jnp.log(p_arr)
            ind = sorting.top_k(g, n_draws)[1].astype(int)
        result = ind if arr.ndim == 0 else jnp.take(arr, ind, axis)
    return result.reshape(shape if arr.ndim == 0 else arr.shape[0:axis] + tuple(shape) + arr.shape[axis + 1:])


# ---- gumbel and categorical -----------------------------------------------------------------------


def gumbel(key, shape=(), dtype=None, mode=None):
    """Samples of the standard Gumbel distribution."""
    key, _ = check_prng_key("gumbel", key)
    dtype = _float_dtype("gumbel", dtype)
    mode = "low" if mode is None else mode
    if mode not in ("highest", "high", "low"):
        raise ValueError(f"Must provide valid mode for gumbel got: {mode}")
    return _gumbel_staged(key, _shape(shape), dtype, mode)


def _clz32(x):
    """Leading zeros of uint32 words: 32 - popcount of the word with every bit below its top set."""
    for s in (1, 2, 4, 8, 16):
        x = lax.bitwise_or(x, lax.shift_right_logical(x, s))
    return lax.sub(lax.full(x.shape, 32, x.dtype), lax.population_count(x))


def _safe_int_to_float(bits):
    """A 64-bit fixed-point fraction (two uint32 words) rounded down to a float32, exactly."""
    finfo = np.finfo(np.float32)
    hi, lo = bits[0], bits[1]
    hiclz, loclz = _clz32(hi), _clz32(lo)
    u32 = np.dtype("uint32")
    hi_all_zero = hiclz == 32
    mantissa = lax.bitwise_or(lax.shift_left(hi, hiclz),
                              jnp.where(hi_all_zero, lax.shift_left(lo, loclz),
                                        lax.shift_right_logical(lo, lax.sub(lax.full(lo.shape, 32, u32), hiclz))))
    mantissa = lax.shift_right_logical(mantissa, finfo.bits - finfo.nmant - 1)
    mantissa = lax.bitwise_and(mantissa, (1 << finfo.nmant) - 1)
    exp = -finfo.minexp - jnp.where(hi_all_zero, 32 + loclz, hiclz)
    exp = lax.shift_left(exp, finfo.nmant)
    exp = lax.bitwise_and(exp, (1 << (finfo.bits - 2)) - (1 << (finfo.nmant - 1)))
    return bitcast_convert_type(lax.bitwise_or(exp, mantissa), np.dtype("float32"))


def _gumbel(key, shape, dtype, mode):
    info = np.finfo(dtype)
    if dtype == np.float32 and mode == "highest":
        bits_ = _bits(key, 32, (2, *shape))
        neg = lax.bitwise_not(bits_)
        lo_bits = neg[1]
        carry = jnp.stack([(lo_bits == np.uint32(0xFFFFFFFF)).astype(np.uint32), jnp.ones_like(lo_bits)])
        neg = neg + carry
        flip = bits_[0] < np.uint32(1 << 31)
        x = _safe_int_to_float(jnp.where(flip, bits_, neg))
        return jnp.where(flip, -jnp.log(-jnp.log1p(-x)), -jnp.log(-jnp.log(x)))
    if mode in ("high", "highest"):
        u = _uniform(key, 0.0, 1.0, (2, *shape), dtype)
        high, low = u[0], u[1]
        x = jnp.where(high >= 0.5, high, high + 2.0 ** -info.nmant * low + float(info.tiny))
        return -jnp.log(-jnp.log1p(-x))
    return -jnp.log(-jnp.log(_uniform(key, float(info.tiny), 1.0, shape, dtype)))


_gumbel_staged = _staged(1, 2, 3)(_gumbel)


def categorical(key, logits, axis=-1, shape=None, replace=True, mode=None):
    """Category indices drawn from unnormalized log-probabilities `logits` along `axis` (Gumbel-max)."""
    key, _ = check_prng_key("categorical", key)
    logits = jnp.asarray(logits)
    batch_shape = tuple(np.delete(logits.shape, axis))
    if shape is None:
        shape = batch_shape
    else:
        shape = _shape(shape)
        _check_shape("categorical", shape, batch_shape)
    shape_prefix = shape[:len(shape) - len(batch_shape)]
    if replace:
        if axis >= 0:
            axis -= logits.ndim
        logits_shape = list(shape[len(shape) - len(batch_shape):])
        logits_shape.insert(axis % logits.ndim, logits.shape[axis])
        noise = gumbel(key, (*shape_prefix, *logits_shape), logits.dtype, mode=mode)
        return jnp.argmax(noise + jnp.expand_dims(logits, tuple(range(len(shape_prefix)))), axis=axis)
    logits = logits + gumbel(key, logits.shape, logits.dtype, mode=mode)
    k = math.prod(shape_prefix)
    if k > logits.shape[axis]:
        raise ValueError(f"Number of samples without replacement ({k}) cannot exceed number of categories "
                         f"({logits.shape[axis]}).")
    _, indices = sorting.top_k(jnp.moveaxis(logits, axis, -1), k)
    return structural.reshape(indices, shape, (indices.ndim - 1, *range(indices.ndim - 1)))


# ---- transforms of one uniform or normal draw -----------------------------------------------------


def _unary_sampler(name, body):
    def sampler(key, shape=(), dtype=None):
        key, _ = check_prng_key(name, key)
        dtype = _float_dtype(name, dtype)
        return staged(key, _shape(shape), dtype)
    staged = _staged(1, 2)(body)
    sampler.__name__ = sampler.__qualname__ = name
    return sampler


def _exponential(key, shape, dtype):
    u = _uniform(key, 0., 1., shape, dtype)
    return lax.neg(lax.log1p(lax.neg(u)))  # log of 1 - u in (0, 1]


def _laplace(key, shape, dtype):
    u = _uniform(key, -1. + float(np.finfo(dtype).epsneg), 1., shape, dtype)
    return lax.mul(lax.sign(u), lax.log1p(lax.neg(lax.abs(u))))


def _logistic(key, shape, dtype):
    x = _uniform(key, float(np.finfo(dtype).tiny), 1., shape, dtype)
    return lax.sub(lax.log(x), lax.log1p(lax.neg(x)))


def _cauchy(key, shape, dtype):
    u = _uniform(key, float(np.finfo(dtype).eps), 1., shape, dtype)
    return lax.tan(lax.mul(lax.sub(u, 0.5), float(np.array(np.pi, dtype))))


exponential = _unary_sampler("exponential", _exponential)
laplace = _unary_sampler("laplace", _laplace)
logistic = _unary_sampler("logistic", _logistic)
cauchy = _unary_sampler("cauchy", _cauchy)


def pareto(key, b, shape=None, dtype=None):
    """Samples of the Pareto distribution with shape `b` (minimum 1)."""
    key, shape, dtype = _float_sampler_args("pareto", key, shape, dtype, b)
    return _pareto_staged(key, b, shape, dtype)


def _pareto(key, b, shape, dtype):
    b = lax.convert_element_type(b, dtype)
    return jnp.exp(_exponential(key, shape, dtype) / b)


_pareto_staged = _staged(2, 3)(_pareto)


def rademacher(key, shape=(), dtype=None):
    """Random -1 or +1 with equal probability, in `dtype` (int by default)."""
    key, _ = check_prng_key("rademacher", key)
    return _rademacher_staged(key, _shape(shape), _int_dtype(dtype))


def _rademacher(key, shape, dtype):
    b = _bernoulli(key, lax.full((), 0.5, dtypes.default_float()), shape, "low").astype(dtype)
    return (2 * b - 1).astype(dtype)


_rademacher_staged = _staged(1, 2)(_rademacher)


def _maxwell(key, shape, dtype):
    x = _normal(key, (*shape, 3), dtype)
    return jnp.sqrt(jnp.sum(x * x, axis=-1))


maxwell = _unary_sampler("maxwell", _maxwell)


# Docstrings of the names the factories above make (one closure per name, so each gets its line).
_DOCS = {
    "exponential": "Samples of the standard exponential distribution (rate 1).",
    "laplace": "Samples of the standard Laplace distribution (location 0, scale 1).",
    "logistic": "Samples of the standard logistic distribution.",
    "cauchy": "Samples of the standard Cauchy distribution.",
    "maxwell": "Samples of the standard Maxwell-Boltzmann distribution (the norm of a 3-D standard normal).",
}
for _name, _doc in _DOCS.items():
    globals()[_name].__doc__ = _doc
del _name, _doc


def double_sided_maxwell(key, loc, scale, shape=(), dtype=None):
    """Samples of the double-sided Maxwell distribution with location `loc` and scale `scale`."""
    key, _ = check_prng_key("double_sided_maxwell", key)
    dtype = _float_dtype("double_sided_maxwell", dtype)
    return _double_sided_maxwell_staged(key, loc, scale, _shape(shape), dtype)


def _double_sided_maxwell(key, loc, scale, shape, dtype):
    params_shape = broadcast_shapes(np.shape(loc), np.shape(scale))
    shape = (shape or params_shape) + params_shape
    maxwell_key, rademacher_key = _split(key)
    return _rademacher(rademacher_key, shape, dtype) * _maxwell(maxwell_key, shape, dtype) * scale + loc


_double_sided_maxwell_staged = _staged(3, 4)(_double_sided_maxwell)


def weibull_min(key, scale, concentration, shape=(), dtype=None):
    """Samples of the Weibull distribution with `scale` and `concentration`."""
    key, _ = check_prng_key("weibull_min", key)
    dtype = _float_dtype("weibull_min", dtype)
    return _weibull_min_staged(key, scale, concentration, _shape(shape), dtype)


def _weibull_min(key, scale, concentration, shape, dtype):
    u = _uniform(key, 0., 1., shape, dtype)
    return jnp.power(-jnp.log1p(-u), 1.0 / concentration) * scale


_weibull_min_staged = _staged(3, 4)(_weibull_min)


def rayleigh(key, scale, shape=None, dtype=None):
    """Samples of the Rayleigh distribution with `scale`."""
    key, shape, dtype = _float_sampler_args("rayleigh", key, shape, dtype, scale)
    return _rayleigh_staged(key, scale, shape, dtype)


def _rayleigh(key, scale, shape, dtype):
    u = _uniform(key, 0., 1., shape, dtype)
    scale = _bcast(jnp.asarray(scale).astype(dtype), shape)
    return lax.mul(scale, lax.sqrt(lax.mul(lax.log(u), -2.0)))


_rayleigh_staged = _staged(2, 3)(_rayleigh)


def wald(key, mean, shape=None, dtype=None):
    """Samples of the Wald (inverse Gaussian) distribution with `mean` and scale 1."""
    key, shape, dtype = _float_sampler_args("wald", key, shape, dtype, mean)
    return _wald_staged(key, mean, shape, dtype)


def _wald(key, mean, shape, dtype):
    k1, k2 = _split(key)
    mean = _bcast(jnp.asarray(mean).astype(dtype), shape)
    v = _normal(k1, shape, dtype)
    z = _uniform(k2, 0., 1., shape, dtype)
    y = lax.integer_pow(v, 2)
    y_sq = lax.integer_pow(y, 2)
    mean_sq = lax.integer_pow(mean, 2)
    sqrt_term = lax.sqrt(4 * mean * y + mean_sq * y_sq)
    x = mean + mean_sq * y / 2 - mean / 2 * sqrt_term
    return lax.select_n(lax.le(z, mean / (mean + x)), mean_sq / x, x)


_wald_staged = _staged(2, 3)(_wald)


def geometric(key, p, shape=None, dtype=None):
    """Samples of the geometric distribution: the number of trials up to the first success with probability
    `p`.
    """
    key, _ = check_prng_key("geometric", key)
    dtype = _int_dtype(dtype)
    if dtype.kind not in "iu":
        raise ValueError(f"dtype argument to `geometric` must be an int dtype, got {dtype}")
    shape = _broadcast_shape("geometric", shape, p)
    return _geometric_staged(key, p, shape, dtype)


def _geometric(key, p, shape, dtype):
    p, = promote_dtypes_inexact(p)
    u = _uniform(key, 0., 1., shape, p.dtype)
    u = jnp.where(u == 0, 1, u)
    log_one_minus_p = _bcast(lax.log1p(-p), shape)
    return (lax.floor(lax.div(lax.log(u), log_one_minus_p)) + 1).astype(dtype)


_geometric_staged = _staged(2, 3)(_geometric)


def triangular(key, left, mode, right, shape=None, dtype=None):
    """Samples of the triangular distribution on [left, right] with peak at `mode`."""
    key, shape, dtype = _float_sampler_args("triangular", key, shape, dtype, left, mode, right)
    return _triangular_staged(key, left, mode, right, shape, dtype)


def _triangular(key, left, mode, right, shape, dtype):
    left, mode, right = (_bcast(lax.convert_element_type(v, dtype), shape) for v in (left, mode, right))
    fc = (mode - left) / (right - left)
    u = _uniform(key, 0., 1., shape, dtype)
    out1 = left + lax.sqrt(u * (right - left) * (mode - left))
    out2 = right - lax.sqrt((1 - u) * (right - left) * (right - mode))
    return lax.select_n(u < fc, out2, out1)


_triangular_staged = _staged(4, 5)(_triangular)


def lognormal(key, sigma=np.float32(1), shape=None, dtype=None):
    """Samples of the log-normal distribution: exp(sigma * standard normal)."""
    key, _ = check_prng_key("lognormal", key)
    dtype = _float_dtype("lognormal", dtype, "fc", "a float or complex")
    shape = _broadcast_shape("lognormal", shape, sigma)
    _check_safe_cast("lognormal", dtype, sigma)
    return _lognormal_staged(key, sigma, shape, dtype)


def _lognormal(key, sigma, shape, dtype):
    return jnp.exp(_normal(key, shape, dtype) * lax.convert_element_type(sigma, dtype))


_lognormal_staged = _staged(2, 3)(_lognormal)


@partial("method='eigh' and 'svd' give JAX's samples on the cpu device; on wasm the factorisations are "
         "the device's own, whose eigen/singular vectors may differ from LAPACK's by their signs, and so "
         "the samples (the distribution is the same); method='cholesky', the default, is JAX's everywhere")
def multivariate_normal(key, mean, cov, shape=None, dtype=None, method="cholesky"):
    """Samples of the multivariate normal with `mean` and covariance `cov`, factored by `method` ('cholesky',
    'eigh' or 'svd').
    """
    key, _ = check_prng_key("multivariate_normal", key)
    mean, cov = promote_dtypes_inexact(mean, cov)
    if method not in {"svd", "eigh", "cholesky"}:
        raise ValueError("method must be one of {'svd', 'eigh', 'cholesky'}")
    dtype = mean.dtype if dtype is None else dtypes.check_user_dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype argument to `multivariate_normal` must be a float dtype, got {dtype}")
    if mean.ndim < 1:
        raise ValueError(f"multivariate_normal requires mean.ndim >= 1, got mean.ndim == {mean.ndim}")
    if cov.ndim < 2:
        raise ValueError(f"multivariate_normal requires cov.ndim >= 2, got cov.ndim == {cov.ndim}")
    n = mean.shape[-1]
    if cov.shape[-2:] != (n, n):
        raise ValueError(f"multivariate_normal requires cov.shape == (..., n, n) for n={n}, but got "
                         f"cov.shape == {cov.shape}.")
    if shape is None:
        shape = broadcast_shapes(mean.shape[:-1], cov.shape[:-2])
    else:
        shape = _shape(shape)
        _check_shape("normal", shape, mean.shape[:-1], cov.shape[:-2])
    return _multivariate_normal_staged(key, mean, cov, shape, dtype, method)


def _multivariate_normal(key, mean, cov, shape, dtype, method):
    # Same factorisations as JAX, so the same key gives the same samples (up to float rounding).
    if method == "svd":
        u, s, _ = jnp.linalg.svd(cov)
        factor = u * jnp.sqrt(s[..., None, :])
    elif method == "eigh":
        w, v = jnp.linalg.eigh(cov)
        factor = v * jnp.sqrt(w[..., None, :])
    else:
        factor = jnp.linalg.cholesky(cov)
    samples = _normal(key, shape + mean.shape[-1:], dtype)
    return mean + jnp.einsum("...ij,...j->...i", factor, samples)


_multivariate_normal_staged = _staged(3, 4, 5)(_multivariate_normal)


def orthogonal(key, n, shape=(), dtype=None, m=None):
    """Random n x n (or n x m) matrices with orthonormal columns/rows, uniform over the orthogonal group,
    batched by `shape`.
    """
    shape = _shape(shape)
    key, _ = check_prng_key("orthogonal", key)
    dtype = dtypes.check_user_dtype(float if dtype is None else dtype)
    n = _concrete_int(n, "The error occurred in jax.random.orthogonal()")
    m = n if m is None else _concrete_int(m, "The error occurred in jax.random.orthogonal()")
    return _orthogonal_staged(key, n, m, shape, dtype)


def _orthogonal(key, n, m, shape, dtype):
    # Mezzadri's recipe, as JAX: QR of a Gaussian matrix, columns rescaled by the phase of diag(R).
    z = _normal(key, (*shape, max(n, m), min(n, m)), dtype)
    q, r = jnp.linalg.qr(z)
    d = jnp.diagonal(r, axis1=-2, axis2=-1)
    x = q * jnp.expand_dims(jnp.sign(d), -2)
    return jnp.swapaxes(x, -1, -2) if n < m else x


_orthogonal_staged = _staged(1, 2, 3, 4)(_orthogonal)
