"""jaxlite.numpy bit packing and counting: packbits, unpackbits, bitwise_count."""

from __future__ import annotations

import numpy as np

from jaxlite._src.lax import lax, structural
from jaxlite._src.numpy import lax_numpy as jnp
from jaxlite._src.numpy.util import asarray, canonicalize_axis, check_arraylike


def _bit_weights(bitorder: str):
    if bitorder not in ("little", "big"):
        raise ValueError("'order' must be either 'little' or 'big'")
    bits = np.arange(8, dtype=np.uint8)
    return bits[::-1].copy() if bitorder == "big" else bits


def packbits(a, axis=None, bitorder="big"):
    """Pack a boolean/integer array into uint8 bits along `axis` (flattened if None), `bitorder` 'big' or
    'little'.
    """
    check_arraylike("packbits", a)
    a = asarray(a)
    if a.dtype.kind not in "iub":
        raise TypeError("Expected an input array of integer or boolean data type")
    bits = _bit_weights(bitorder)
    a = lax.convert_element_type(lax.ne(a, lax.full(a.shape, 0, a.dtype)), np.uint8)
    if axis is None:
        a, axis = jnp.ravel(a), 0
    axis = canonicalize_axis(axis, a.ndim)
    a = jnp.swapaxes(a, axis, -1)
    rem = a.shape[-1] % 8
    if rem:
        a = structural.pad(a, np.uint8(0), [(0, 0, 0)] * (a.ndim - 1) + [(0, 8 - rem, 0)])
    a = jnp.reshape(a, a.shape[:-1] + (a.shape[-1] // 8, 8))
    shifted = lax.shift_left(a, lax.full(a.shape, 0, np.uint8) + asarray(bits))
    # The eight shifted bits are disjoint, so OR-ing them is their sum.
    from jaxlite._src.numpy import reductions
    packed = reductions.sum(shifted, axis=-1, dtype=np.uint8)
    return jnp.swapaxes(packed, axis, -1)


def unpackbits(a, axis=None, count=None, bitorder="big"):
    """Unpack each uint8 element into 8 bits along `axis` (flattened if None), keeping `count` bits."""
    check_arraylike("unpackbits", a)
    a = asarray(a)
    if a.dtype != np.uint8:
        raise TypeError("Expected an input array of unsigned byte data type")
    bits = _bit_weights(bitorder)
    if axis is None:
        a, axis = jnp.ravel(a), 0
    axis = canonicalize_axis(axis, a.ndim)
    a = jnp.swapaxes(a, axis, -1)
    expanded = structural.broadcast_in_dim(a, a.shape + (8,), tuple(range(a.ndim)))
    shifts = structural.broadcast_in_dim(asarray(bits), expanded.shape, (a.ndim,))
    unpacked = lax.bitwise_and(lax.shift_right_logical(expanded, shifts), lax.full(expanded.shape, 1, np.uint8))
    unpacked = jnp.reshape(unpacked, unpacked.shape[:-2] + (-1,))
    if count is not None:
        n = unpacked.shape[-1]
        if count > n:
            unpacked = structural.pad(unpacked, np.uint8(0), [(0, 0, 0)] * (unpacked.ndim - 1) + [(0, count - n, 0)])
        else:
            unpacked = structural.slice_in_dim(unpacked, 0, max(count + n, 0) if count < 0 else count, axis=-1)
    return jnp.swapaxes(unpacked, axis, -1)


def bitwise_count(x, /):
    """Elementwise number of set bits in |x| for integer or boolean input (a uint8 array)."""
    check_arraylike("bitwise_count", x)
    x = asarray(x)
    if x.dtype.kind == "b":
        x = lax.convert_element_type(x, np.uint8)
    elif x.dtype.kind == "i":
        x = lax.abs(x)
    return lax.convert_element_type(lax.population_count(x), np.uint8)
