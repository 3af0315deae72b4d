"""jax.nn.initializers: functions `init(key, shape, dtype)` that draw parameter arrays.

They draw through jaxlite.random, whose bits match JAX's for the same key, and combine them the
way JAX does (same distributions, same scaling constants, same operation order), so a model
initialised here starts from the same numbers as under JAX.
"""

from __future__ import annotations

import math
import typing
from typing import Any, Protocol

import numpy as np

from jaxlite import random
from jaxlite._src import dtypes
from jaxlite._src.numpy import lax_numpy as jnp


@typing.runtime_checkable
class Initializer(Protocol):
    """The type of an initializer: a callable (key, shape, dtype=None, out_sharding=None) -> array."""
    def __call__(self, key, shape, dtype: Any = None, out_sharding: Any = None):
        raise NotImplementedError


def _dtype(dtype):
    return dtypes.default_float() if dtype is None else dtypes.check_user_dtype(dtype)


def _no_sharding(out_sharding, name):
    # One device per page: there is nothing to shard over, so only the default is meaningful.
    if out_sharding is not None:
        raise NotImplementedError(f"jax.nn.initializers.{name}: out_sharding is not supported in jaxlite "
                                  "(a single device has nothing to shard over)")


def zeros(key, shape, dtype=None, out_sharding=None):
    """Initializer that returns an array of zeros of `shape` and `dtype` (the key is unused)."""
    _no_sharding(out_sharding, "zeros")
    return jnp.zeros(shape, _dtype(dtype))


def ones(key, shape, dtype=None, out_sharding=None):
    """Initializer that returns an array of ones of `shape` and `dtype` (the key is unused)."""
    _no_sharding(out_sharding, "ones")
    return jnp.ones(shape, _dtype(dtype))


def constant(value, dtype=None) -> Initializer:
    """Make an initializer that fills every array with `value`."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        _no_sharding(out_sharding, "constant")
        return jnp.full(shape, value, dtype=_dtype(dtype))
    return init


def uniform(scale=0.01, dtype=None) -> Initializer:
    """Make an initializer drawing uniformly from [0, scale)."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        _no_sharding(out_sharding, "uniform")
        dtype = _dtype(dtype)
        return random.uniform(key, shape, dtype) * jnp.array(scale, dtype)
    return init


def normal(stddev=0.01, dtype=None) -> Initializer:
    """Make an initializer drawing from a normal with standard deviation `stddev` and mean 0."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        _no_sharding(out_sharding, "normal")
        dtype = _dtype(dtype)
        return random.normal(key, shape, dtype) * jnp.array(stddev, dtype)
    return init


def truncated_normal(stddev=0.01, dtype=None, lower=-2.0, upper=2.0) -> Initializer:
    """Make an initializer drawing from a normal with standard deviation `stddev`, truncated to [lower, upper]
    standard deviations.
    """
    def init(key, shape, dtype=dtype, out_sharding=None):
        _no_sharding(out_sharding, "truncated_normal")
        dtype = _dtype(dtype)
        return random.truncated_normal(key, lower, upper, shape, dtype) * jnp.array(stddev, dtype)
    return init


def _compute_fans(shape, in_axis=-2, out_axis=-1, batch_axis=()):
    """(fan_in, fan_out): axes outside in/out/batch form a convolution's receptive field."""
    if isinstance(in_axis, int) and in_axis == -2 and len(shape) <= 1:
        raise ValueError(f"Can't compute input and output sizes of a {len(shape)}-dimensional weights tensor "
                         "with default in_axis. Must be at least 2D or specify in_axis explicitly.")

    def size(axes):
        return shape[axes] if isinstance(axes, int) else math.prod(shape[i] for i in axes)

    in_size, out_size = size(in_axis), size(out_axis)
    receptive_field = math.prod(shape) / in_size / out_size / size(batch_axis)
    return in_size * receptive_field, out_size * receptive_field


def _complex_dtype(dtype):
    real = np.array(0, dtype).real.dtype
    return real, np.result_type(real, np.complex64)


def _complex_uniform(key, shape, dtype):
    """Uniform on a disk in the complex plane, mean 0 and variance 1."""
    key_r, key_theta = random.split(key)
    real, dtype = _complex_dtype(dtype)
    r = jnp.sqrt(2 * random.uniform(key_r, shape, real)).astype(dtype)
    theta = 2 * np.pi * random.uniform(key_theta, shape, real).astype(dtype)
    return r * jnp.exp(1j * theta)


def _complex_truncated_normal(key, upper, shape, dtype):
    """A complex normal whose modulus is truncated at `upper` (variance 1 before truncation)."""
    key_r, key_theta = random.split(key)
    real, dtype = _complex_dtype(dtype)
    t = (1 - jnp.exp(jnp.array(-upper ** 2, dtype))) * random.uniform(key_r, shape, real).astype(dtype)
    r = jnp.sqrt(-jnp.log(1 - t))
    theta = 2 * np.pi * random.uniform(key_theta, shape, real).astype(dtype)
    return r * jnp.exp(1j * theta)


# Standard deviations of the unit normal truncated to [-2, 2] (real) and of the complex normal
# with modulus truncated at 2: dividing by them makes the truncated draw's variance the target.
_TRUNC_STD_REAL = 0.8796256610342398
_TRUNC_STD_COMPLEX = 0.9531116438049121


def variance_scaling(scale, mode, distribution, in_axis=-2, out_axis=-1, batch_axis=(), dtype=None) -> Initializer:
    """Make an initializer whose variance is `scale` divided by the fan in, fan out or their average (`mode`),
    drawn from `distribution` ('truncated_normal', 'normal' or 'uniform').
    """
    def init(key, shape, dtype=dtype, out_sharding=None):
        _no_sharding(out_sharding, "variance_scaling")
        shape = tuple(int(d) for d in shape)
        dtype = _dtype(dtype)
        fan_in, fan_out = _compute_fans(shape, in_axis, out_axis, batch_axis)
        if mode == "fan_in":
            denominator = fan_in
        elif mode == "fan_out":
            denominator = fan_out
        elif mode == "fan_avg":
            denominator = (fan_in + fan_out) / 2
        elif mode == "fan_geo_avg":
            denominator = (fan_in * fan_out) ** 0.5
        else:
            raise ValueError(f"invalid mode for variance scaling initializer: {mode}")
        variance = jnp.array(scale / denominator, dtype=dtype)
        is_real = dtypes.issubdtype(dtype, np.floating)
        if distribution == "truncated_normal":
            if is_real:
                stddev = jnp.sqrt(variance) / jnp.array(_TRUNC_STD_REAL, dtype)
                return random.truncated_normal(key, -2, 2, shape, dtype) * stddev
            stddev = jnp.sqrt(variance) / jnp.array(_TRUNC_STD_COMPLEX, dtype)
            return _complex_truncated_normal(key, 2, shape, dtype) * stddev
        if distribution == "normal":
            return random.normal(key, shape, dtype) * jnp.sqrt(variance)
        if distribution == "uniform":
            if is_real:
                return random.uniform(key, shape, dtype, -1) * jnp.sqrt(3 * variance)
            return _complex_uniform(key, shape, dtype) * jnp.sqrt(variance)
        raise ValueError(f"invalid distribution for variance scaling initializer: {distribution}")
    return init


def glorot_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None) -> Initializer:
    """Make a Glorot/Xavier uniform initializer: variance scaling 1.0, 'fan_avg', uniform (also
    `xavier_uniform`).
    """
    return variance_scaling(1.0, "fan_avg", "uniform", in_axis, out_axis, batch_axis, dtype)


def glorot_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None) -> Initializer:
    """Make a Glorot/Xavier normal initializer: variance scaling 1.0, 'fan_avg', truncated normal (also
    `xavier_normal`).
    """
    return variance_scaling(1.0, "fan_avg", "truncated_normal", in_axis, out_axis, batch_axis, dtype)


def lecun_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None) -> Initializer:
    """Make a LeCun uniform initializer: variance scaling 1.0, 'fan_in', uniform."""
    return variance_scaling(1.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def lecun_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None) -> Initializer:
    """Make a LeCun normal initializer: variance scaling 1.0, 'fan_in', truncated normal."""
    return variance_scaling(1.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis, dtype)


def he_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None) -> Initializer:
    """Make a He/Kaiming uniform initializer: variance scaling 2.0, 'fan_in', uniform (also `kaiming_uniform`)."""
    return variance_scaling(2.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def he_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None) -> Initializer:
    """Make a He/Kaiming normal initializer: variance scaling 2.0, 'fan_in', truncated normal (also
    `kaiming_normal`).
    """
    return variance_scaling(2.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis, dtype)


xavier_uniform, xavier_normal = glorot_uniform, glorot_normal
kaiming_uniform, kaiming_normal = he_uniform, he_normal


def orthogonal(scale=1.0, column_axis: int = -1, dtype=None) -> Initializer:
    """Orthonormal rows or columns (whichever side is smaller) along `column_axis`."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        _no_sharding(out_sharding, "orthogonal")
        dtype = _dtype(dtype)
        shape = tuple(int(d) for d in shape)
        if len(shape) < 2:
            raise ValueError("orthogonal initializer requires at least a 2D shape")
        if 0 in shape:
            return jnp.zeros(shape, dtype=dtype)
        n_cols = shape[column_axis]
        n_rows = math.prod(shape) // n_cols
        q = random.orthogonal(key, n_rows, (), dtype, n_cols)
        q = jnp.reshape(q, tuple(int(d) for d in np.delete(shape, column_axis)) + (n_cols,))
        return jnp.array(scale, dtype) * jnp.moveaxis(q, -1, column_axis)
    return init


def delta_orthogonal(scale=1.0, column_axis: int = -1, dtype=None) -> Initializer:
    """A convolution kernel that is an orthogonal matrix at the spatial centre and 0 elsewhere."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        _no_sharding(out_sharding, "delta_orthogonal")
        dtype = _dtype(dtype)
        shape = tuple(int(d) for d in shape)
        if len(shape) not in (3, 4, 5):
            raise ValueError("Delta orthogonal initializer requires a 3D, 4D or 5D shape.")
        if shape[-1] < shape[-2]:
            raise ValueError("`fan_in` must be less or equal than `fan_out`. ")
        matrix = orthogonal(scale=scale, column_axis=column_axis, dtype=dtype)(key, shape[-2:])
        centre = tuple((k - 1) // 2 for k in shape[:-2])
        return jnp.zeros(shape, dtype=dtype).at[centre + (Ellipsis,)].set(matrix)
    return init
