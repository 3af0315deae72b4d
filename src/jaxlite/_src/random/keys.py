"""The key functions of jax.random: making keys from seeds, splitting, folding in data, and
converting between typed keys (dtype key<fry>) and their raw uint32 data."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

import jaxlite.numpy as jnp
from jaxlite._src import core
from jaxlite._src.random import prng
from jaxlite._src.random.samplers import _concrete_int
from jaxlite._src.random.prng import KEY_DTYPE, PRNGKeyArray, check_prng_key, resolve_impl


def _return(wrapped: bool, keys: PRNGKeyArray):
    return keys._base_array if wrapped else keys


def _key(ctor_name, seed, impl):
    resolve_impl(impl)
    if isinstance(seed, PRNGKeyArray):
        raise TypeError(f"{ctor_name} accepts a scalar seed, but was given a PRNG key.")
    if np.ndim(seed):
        raise TypeError(f"{ctor_name} accepts a scalar seed, but was given an array of shape {np.shape(seed)} "
                        "!= (). Use jax.vmap for batching")
    return PRNGKeyArray(prng.seed_data(seed))


def key(seed, *, impl=None, dtype=None):
    """A typed key (shape (), dtype key<fry>) from an integer seed."""
    if dtype is not None:
        if impl is not None:
            raise ValueError("Cannot specify both `impl` and `dtype` arguments to jax.random.key")
        impl = dtype
    return _key("key", seed, impl)


def PRNGKey(seed, *, impl=None):  # noqa: N802 (JAX's name)
    """A legacy raw key: uint32[2]."""
    return _key("PRNGKey", seed, impl)._base_array


def split(key, num=2):
    """Split a key into `num` new independent keys (an array of keys with leading axis `num`; num may be a
    shape).
    """
    typed, wrapped = check_prng_key("split", key)
    shape = tuple(num) if isinstance(num, Sequence) else (_concrete_int(num, "split num"),)
    return _return(wrapped, PRNGKeyArray(prng.split_data(typed._base_array, tuple(int(d) for d in shape))))


def fold_in(key, data):
    """A new key derived from `key` and the integer `data` (e.g. a step or a device index)."""
    typed, wrapped = check_prng_key("fold_in", key)
    if np.ndim(data):
        raise TypeError(f"fold_in accepts a scalar, but was given an array of shape {np.shape(data)} != (). "
                        "Use jax.vmap for batching.")
    # As JAX's jnp.uint32(data): Python ints up to 2**32 - 1 fold in unchanged, arrays and tracers
    # are converted.
    if isinstance(data, int) and not isinstance(data, bool):
        msg = jnp.asarray(np.uint32(data) if 0 <= data < 2 ** 32 else data, dtype=np.uint32)
    else:
        msg = jnp.asarray(data).astype(np.uint32)
    return _return(wrapped, PRNGKeyArray(prng.fold_in_data(typed._base_array, msg)))


def key_data(keys):
    """The uint32 data under a key array: shape (*keys.shape, 2)."""
    typed, _ = check_prng_key("key_data", keys, allow_batched=True)
    return typed._base_array


def wrap_key_data(key_bits_array, *, impl=None, dtype=None):
    """A typed key array over uint32 data of shape (..., 2)."""
    if dtype is not None:
        if impl is not None:
            raise ValueError("Cannot specify both `impl` and `dtype` arguments to jax.random.wrap_key_data")
        impl = dtype
    resolve_impl(impl)
    return prng.wrap(key_bits_array)


def key_impl(keys):
    """The name of the PRNG implementation behind a key array ('threefry2x32')."""
    check_prng_key("key_impl", keys, allow_batched=True)
    return prng.IMPL_NAME


def key_dtype(impl=None):
    """The key dtype of a PRNG implementation (key<fry>).

    Differs from JAX: only the threefry2x32 implementation (JAX's default); impl='rbg' and others raise
    NotImplementedError.
    """
    resolve_impl(impl)
    return KEY_DTYPE


def clone(key):
    """A key that can be reused (jax.experimental.key_reuse's view); values are unchanged."""
    return key
