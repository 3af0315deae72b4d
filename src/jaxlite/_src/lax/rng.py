"""rng_bit_generator: XLA's RngBitGenerator with the three-fry algorithm, bit for bit.

The key is four uint32 words: (w0, w1) the threefry key, (w2, w3) a 64-bit counter. Like XLA, the
output shape is split in half along its first even dimension (else its largest); element j of the
half shape hashes the counter + j, and its two hash words fill the two halves. The new key has the
counter advanced by the half shape's size. All of it is jaxlite lax integer ops (the hash is
jaxlite.random's threefry2x32), so it fuses into kernels under jit.
"""

from __future__ import annotations

import enum
import math

import numpy as np

from jaxlite._src import dtypes
from jaxlite._src.core import get_aval
from jaxlite._src.features import not_applicable, partial
from jaxlite._src.lax import lax
from jaxlite._src.lax.structural import (broadcast, concatenate, expand_dims, index_in_dim, iota, reshape,
                                         slice as slice_)


class RandomAlgorithm(enum.IntEnum):
    RNG_DEFAULT = 0
    RNG_THREE_FRY = 1
    RNG_PHILOX = 2

    def __str__(self):
        return self.name


_U32 = np.dtype(np.uint32)


def _split_dim(shape):
    for d, n in enumerate(shape):
        if n % 2 == 0:
            return d
    return max(range(len(shape)), key=lambda d: (shape[d], -d))


def _threefry_bits(key, shape):
    from jaxlite._src.random.prng import threefry2x32
    w = [index_in_dim(key, i, 0, keepdims=False) for i in range(4)]
    if not shape:
        bits, new_key = _threefry_bits(key, (1,))
        return reshape(bits, ()), new_key
    sd = _split_dim(shape)
    half = list(shape)
    half[sd] = -(-shape[sd] // 2)
    count = math.prod(half)
    lo = lax.add(broadcast(w[2], (count,)), iota(_U32, count))
    carry = lax.convert_element_type(lax.lt(lo, broadcast(w[2], (count,))), _U32)
    hi = lax.add(broadcast(w[3], (count,)), carry)
    o0, o1 = threefry2x32(broadcast(w[0], (count,)), broadcast(w[1], (count,)), lo, hi)
    pair = concatenate([expand_dims(reshape(o, tuple(half)), (sd + 1,)) for o in (o0, o1)], sd + 1)
    full = list(shape)
    full[sd] = 2 * half[sd]
    bits = reshape(pair, tuple(full))
    if full[sd] != shape[sd]:
        bits = slice_(bits, (0,) * len(shape), tuple(shape))
    new_lo = lax.add(w[2], np.uint32(count & 0xFFFFFFFF))
    new_hi = lax.add(lax.add(w[3], np.uint32(count >> 32)), lax.convert_element_type(lax.lt(new_lo, w[2]), _U32))
    new_key = concatenate([expand_dims(v, (0,)) for v in (w[0], w[1], new_lo, new_hi)], 0)
    return bits, new_key


@partial("RNG_DEFAULT uses three-fry (JAX's CPU default is Philox, so its bits differ); RNG_PHILOX and "
         "64-bit outputs are not supported")
def rng_bit_generator(key, shape, dtype=np.uint32, algorithm=RandomAlgorithm.RNG_DEFAULT, *, out_sharding=None):
    """(new_key, random bits of `shape` and unsigned `dtype`) from a uint32[4] key."""
    key = lax._as_array(key)
    shape = tuple(int(d) for d in shape)
    dtype = dtypes.canonicalize_dtype(dtype)
    if dtype.kind != "u":
        raise TypeError(f"rng_bit_generator: unsupported dtype {dtype.name}")
    a = get_aval(key)
    if a.shape != (4,) or a.dtype != _U32:
        raise TypeError(f"rng_bit_generator: jaxlite takes a uint32[4] key, got {a.str_short()}")
    if RandomAlgorithm(algorithm) == RandomAlgorithm.RNG_PHILOX:
        raise NotImplementedError("rng_bit_generator: RNG_PHILOX is not implemented in jaxlite; use RNG_THREE_FRY")
    if dtype.itemsize > 4:
        raise NotImplementedError("rng_bit_generator: 64-bit outputs are not implemented in jaxlite")
    if math.prod(shape) == 0:
        return key, lax.full(shape, 0, dtype)
    bits, new_key = _threefry_bits(key, shape)
    return new_key, bits if dtype == _U32 else lax.convert_element_type(bits, dtype)


rng_uniform = not_applicable("jax.lax.rng_uniform", "XLA's stateful RngUniform draws without a key, and its "
                             "numbers are backend-defined; jaxlite programs are pure functions of their "
                             "inputs: use jax.random or lax.rng_bit_generator")
