"""rng_bit_generator: XLA's RngBitGenerator (its CPU expansion), bit for bit, as a primitive.

The key is four uint32 words (or, under x64, two uint64 words: the same bits). XLA reads it as two
64-bit words K = w0 | w1 << 32 and C = w2 | w3 << 32:

- RNG_PHILOX (and RNG_DEFAULT, which XLA's CPU backend expands as Philox): Philox4x32-10 with key
  (w0, w1) over the 128-bit counters (C + b) | K << 64, b = 0, 1, ...; block b gives output words
  4b..4b+3 (uint64 outputs pair consecutive words, low first). The new key has C advanced by the
  block count; the counter's high half is not written back (XLA's u64[2] state layout).
- RNG_THREE_FRY: threefry2x32 with key (w0, w1) over 64-bit counters C + j. 32-bit outputs split
  the shape in half along its first even dimension (else its largest) and fill the two halves with
  the two hash words; 64-bit outputs hash every element and join the words, low first.

uint8 and uint16 outputs are uint32 bits truncated, as JAX asks XLA for uint32 and converts.
The cpu kernel is numpy; kernel devices inline `_generate` (jaxlite lax integer ops, mulhi for
Philox's 32x32 products) through `core.decomposition_rules`, so under jit it becomes fused kernels.
Eager calls on kernel devices run the numpy kernel on the host (counted as a host fallback).
"""

from __future__ import annotations

import enum
import math
import warnings

import numpy as np

from jaxlite._src import ad, batching, core, dtypes, partial_eval as pe
from jaxlite._src.backends import cpu
from jaxlite._src.core import Primitive, ShapedArray, abstract_eval_rules, get_aval
from jaxlite._src.features import not_applicable
from jaxlite._src.lax import lax
from jaxlite._src.lax.arith import mulhi
from jaxlite._src.lax.structural import (broadcast, concatenate, dynamic_update_index_in_dim, expand_dims,
                                         index_in_dim, iota, reshape, slice as slice_)


class RandomAlgorithm(enum.IntEnum):
    RNG_DEFAULT = 0
    RNG_THREE_FRY = 1
    RNG_PHILOX = 2

    def __str__(self):
        return self.name


_U32, _U64 = np.dtype(np.uint32), np.dtype(np.uint64)
_PHILOX_M = (0xD2511F53, 0xCD9E8D57)
_PHILOX_W = (0x9E3779B9, 0xBB67AE85)
_THREEFRY_ROT = ((13, 15, 26, 6), (17, 29, 16, 24))


def _is_philox(algorithm) -> bool:
    return RandomAlgorithm(algorithm) != RandomAlgorithm.RNG_THREE_FRY


def _words_needed(shape, dtype) -> int:
    return math.prod(shape) * (2 if dtype.itemsize == 8 else 1)


def _split_dim(shape):
    for d, n in enumerate(shape):
        if n % 2 == 0:
            return d
    return max(range(len(shape)), key=lambda d: (shape[d], -d))


def _halves_layout(shape):
    """(half shape, split dim) of XLA's 32-bit three-fry layout; a 0-d shape is taken as (1,)."""
    shape = shape or (1,)
    sd = _split_dim(shape)
    half = list(shape)
    half[sd] = -(-shape[sd] // 2)
    return tuple(half), sd


def _counter_advance(shape, dtype, algorithm) -> int:
    if math.prod(shape) == 0:
        return 0
    if _is_philox(algorithm):
        return -(-_words_needed(shape, dtype) // 4)
    if dtype.itemsize == 8:
        return math.prod(shape)
    return math.prod(_halves_layout(shape)[0])


# ---- the cpu kernel: numpy, uint64 products ------------------------------------------------------

def _np_words(key):
    key = np.asarray(key)
    if key.dtype == _U64:
        return [int(key[i]) >> s & 0xFFFFFFFF for i in (0, 1) for s in (0, 32)]
    return [int(w) for w in key]


def _np_philox(ctr, k0, k1):
    mask = np.uint64(0xFFFFFFFF)
    x = [c.astype(np.uint64) for c in ctr]
    k0, k1 = np.uint64(k0), np.uint64(k1)
    for _ in range(10):
        p0, p1 = x[0] * np.uint64(_PHILOX_M[0]), x[2] * np.uint64(_PHILOX_M[1])
        x = [(p1 >> np.uint64(32)) ^ x[1] ^ k0, p1 & mask, (p0 >> np.uint64(32)) ^ x[3] ^ k1, p0 & mask]
        k0, k1 = (k0 + np.uint64(_PHILOX_W[0])) & mask, (k1 + np.uint64(_PHILOX_W[1])) & mask
    return [v.astype(np.uint32) for v in x]


def _np_threefry(k0, k1, x0, x1):
    with np.errstate(over="ignore"):
        ks = (np.uint32(k0), np.uint32(k1), np.uint32(k0 ^ k1 ^ 0x1BD11BDA))
        x0, x1 = x0 + ks[0], x1 + ks[1]
        for i in range(5):
            for r in _THREEFRY_ROT[i % 2]:
                x0 = x0 + x1
                x1 = x0 ^ ((x1 << np.uint32(r)) | (x1 >> np.uint32(32 - r)))
            x0 = x0 + ks[(i + 1) % 3]
            x1 = x1 + ks[(i + 2) % 3] + np.uint32(i + 1)
    return x0, x1


def _np_counters(start: int, n: int, words: int):
    """The `words` uint32 words (low first) of start + 0..n-1, modulo 2**(32 * words)."""
    c = np.arange(n, dtype=object) + start
    return [np.array([v >> (32 * i) & 0xFFFFFFFF for v in c], _U32) for i in range(words)]


def _rng_cpu(key, *, shape, dtype, algorithm, out_sharding=None):
    w = _np_words(key)
    k, c = w[0] | w[1] << 32, w[2] | w[3] << 32
    n = math.prod(shape)
    gen = _U64 if dtype.itemsize == 8 else _U32
    if n == 0:
        bits = np.zeros(shape, dtype)
    elif _is_philox(algorithm):
        nb = _counter_advance(shape, dtype, algorithm)
        stream = np.stack(_np_philox(_np_counters(c | k << 64, nb, 4), w[0], w[1]), 1).ravel()
        stream = stream[:_words_needed(shape, dtype)]
        if gen == _U64:
            stream = stream[0::2].astype(_U64) | stream[1::2].astype(_U64) << np.uint64(32)
        bits = stream.reshape(shape)
    elif gen == _U64:
        o0, o1 = _np_threefry(w[0], w[1], *_np_counters(c, n, 2))
        bits = (o0.astype(_U64) | o1.astype(_U64) << np.uint64(32)).reshape(shape)
    else:
        half, sd = _halves_layout(shape)
        o0, o1 = _np_threefry(w[0], w[1], *_np_counters(c, math.prod(half), 2))
        pair = np.stack([o0.reshape(half), o1.reshape(half)], sd + 1)
        full = list(half)
        full[sd] *= 2
        bits = pair.reshape(full)[tuple(slice(0, d) for d in (shape or (1,)))].reshape(shape)
    new_c = (c + _counter_advance(shape, dtype, algorithm)) % 2 ** 64
    new_w = [w[0], w[1], new_c & 0xFFFFFFFF, new_c >> 32]
    new_key = np.array(new_w, _U32) if np.asarray(key).dtype == _U32 else np.array([k, new_c], _U64)
    return [new_key, bits.astype(dtype)]


# ---- the same bits from jaxlite lax integer ops (kernel devices inline this) --------------------

def _u32(v):
    return np.uint32(v & 0xFFFFFFFF)


def _add_carry(x, y):
    """x + y on uint32 words, and the carry (0/1, uint32)."""
    s = lax.add(x, y)
    return s, lax.convert_element_type(lax.lt(s, x), _U32)


def _lax_counters(words, n: int):
    """The uint32 words (low first) of the multiword integer `words` + 0..n-1, each of shape (n,)."""
    out, carry = [], iota(_U32, n)
    for w in words:
        s, carry = _add_carry(broadcast(w, (n,)), carry)
        out.append(s)
    return out


def _lax_philox(x, k0, k1):
    n = get_aval(x[0]).shape
    m0, m1 = lax.full(n, _PHILOX_M[0], _U32), lax.full(n, _PHILOX_M[1], _U32)
    for _ in range(10):
        b0, b1 = broadcast(k0, n), broadcast(k1, n)
        x = [lax.bitwise_xor(lax.bitwise_xor(mulhi(x[2], m1), x[1]), b0), lax.mul(x[2], m1),
             lax.bitwise_xor(lax.bitwise_xor(mulhi(x[0], m0), x[3]), b1), lax.mul(x[0], m0)]
        k0, k1 = lax.add(k0, _u32(_PHILOX_W[0])), lax.add(k1, _u32(_PHILOX_W[1]))
    return x


def _lax_threefry(k0, k1, x0, x1):
    n = get_aval(x0).shape

    def const(v):
        return lax.full(n, v, _U32)

    def rotl(v, r):
        return lax.bitwise_or(lax.shift_left(v, const(r)), lax.shift_right_logical(v, const(32 - r)))
    ks = (k0, k1, lax.bitwise_xor(lax.bitwise_xor(k0, k1), _u32(0x1BD11BDA)))
    ks = [broadcast(k, n) for k in ks]
    x0, x1 = lax.add(x0, ks[0]), lax.add(x1, ks[1])
    for i in range(5):
        for r in _THREEFRY_ROT[i % 2]:
            x0 = lax.add(x0, x1)
            x1 = lax.bitwise_xor(x0, rotl(x1, r))
        x0 = lax.add(x0, ks[(i + 1) % 3])
        x1 = lax.add(lax.add(x1, ks[(i + 2) % 3]), const(i + 1))
    return x0, x1


def _join64(lo, hi):
    hi = lax.convert_element_type(hi, _U64)
    shifted = lax.shift_left(hi, lax.full(get_aval(hi).shape, 32, _U64))
    return lax.bitwise_or(lax.convert_element_type(lo, _U64), shifted)


def _interleave(parts, axis):
    """Arrays of one shape, element i of each in turn along `axis` (which doubles, triples, ...)."""
    shape = get_aval(parts[0]).shape
    stacked = concatenate([expand_dims(p, (axis + 1,)) for p in parts], axis + 1)
    full = list(shape)
    full[axis] *= len(parts)
    return reshape(stacked, tuple(full))


def _generate(key, *, shape, dtype, algorithm):
    if get_aval(key).dtype == _U64:
        k64 = [index_in_dim(key, i, 0, keepdims=False) for i in (0, 1)]
        w = [lax.convert_element_type(v if s == 0 else lax.shift_right_logical(v, lax.full((), 32, _U64)), _U32)
             for v in k64 for s in (0, 32)]
    else:
        w = [index_in_dim(key, i, 0, keepdims=False) for i in range(4)]
    n = math.prod(shape)
    if n == 0:
        bits = lax.full(shape, 0, dtype)
    elif _is_philox(algorithm):
        nb = _counter_advance(shape, dtype, algorithm)
        ctr = _lax_counters([w[2], w[3], w[0], w[1]], nb)
        stream = reshape(_interleave(_lax_philox(ctr, w[0], w[1]), 0), (4 * nb,))
        stream = slice_(stream, (0,), (_words_needed(shape, dtype),))
        if dtype.itemsize == 8:
            stream = _join64(slice_(stream, (0,), (2 * n - 1,), (2,)), slice_(stream, (1,), (2 * n,), (2,)))
        bits = reshape(stream, shape)
    elif dtype.itemsize == 8:
        o0, o1 = _lax_threefry(w[0], w[1], *_lax_counters([w[2], w[3]], n))
        bits = reshape(_join64(o0, o1), shape)
    else:
        half, sd = _halves_layout(shape)
        count = math.prod(half)
        o0, o1 = _lax_threefry(w[0], w[1], *_lax_counters([w[2], w[3]], count))
        bits = _interleave([reshape(o0, half), reshape(o1, half)], sd)
        bits = reshape(slice_(bits, (0,) * len(half), shape or (1,)), shape)
    adv = _counter_advance(shape, dtype, algorithm)
    lo, c = _add_carry(w[2], _u32(adv))
    hi = lax.add(lax.add(w[3], _u32(adv >> 32)), c)
    if get_aval(key).dtype == _U64:
        new_key = concatenate([expand_dims(k64[0], (0,)), expand_dims(_join64(lo, hi), (0,))], 0)
    else:
        new_key = concatenate([expand_dims(v, (0,)) for v in (w[0], w[1], lo, hi)], 0)
    if get_aval(bits).dtype != dtype:
        bits = lax.convert_element_type(bits, dtype)
    return [new_key, bits]


# ---- the primitive -------------------------------------------------------------------------------

rng_bit_generator_p = Primitive("rng_bit_generator", multiple_results=True)


def _abstract(key, *, shape, dtype, algorithm, out_sharding=None):
    return [ShapedArray(key.shape, key.dtype), ShapedArray(shape, dtype)]


def _decomposition(in_avals, *, shape, dtype, algorithm, out_sharding=None):
    return pe.make_closed_jaxpr(lambda k: _generate(k, shape=shape, dtype=dtype, algorithm=algorithm), in_avals)


def _batch(axis_size, vals, dims, *, shape, dtype, algorithm, out_sharding=None):
    # As JAX's rule: the first key of the batch draws bits for the whole batch at once, and only
    # that key is advanced (the others come back unchanged).
    keys = batching.moveaxis(vals[0], dims[0], 0)
    new_key, bits = rng_bit_generator_p.bind(index_in_dim(keys, 0, 0, keepdims=False), shape=(axis_size, *shape),
                                             dtype=dtype, algorithm=algorithm, out_sharding=out_sharding)
    return [dynamic_update_index_in_dim(keys, new_key, 0, 0), bits], [0, 0]


abstract_eval_rules[rng_bit_generator_p] = _abstract
cpu.kernels[rng_bit_generator_p] = _rng_cpu
core.decomposition_rules[rng_bit_generator_p] = _decomposition
batching.vmap_rules[rng_bit_generator_p] = _batch
ad.nondiff.add(rng_bit_generator_p)


def _check_key(a):
    ok = (a.shape == (4,) and a.dtype == _U32) or (a.shape == (2,) and a.dtype == _U64)
    if not ok:
        # JAX fails the same way, in its lowering: an assertion on the key's type.
        raise AssertionError(f"rng_bit_generator: the key must be uint32[4] or (under x64) uint64[2], got "
                             f"{a.str_short()}")


def rng_bit_generator(key, shape, dtype=np.uint32, algorithm=RandomAlgorithm.RNG_DEFAULT, *, out_sharding=None):
    """(new_key, random bits of `shape` and unsigned `dtype`), XLA's CPU bits for `algorithm`."""
    key = lax._as_array(key)
    shape = tuple(int(d) for d in shape)
    asked = np.dtype(dtype)
    dtype = dtypes.canonicalize_dtype(asked)
    if dtype != asked:
        warnings.warn(f"Explicitly requested dtype {asked.name} requested in rng_bit_generator is not available, "
                      f"and will be truncated to dtype {dtype.name}. To enable more dtypes, set the jax_enable_x64 "
                      "configuration option or the JAX_ENABLE_X64 shell environment variable.", stacklevel=2)
    if dtype.kind != "u":
        raise TypeError(f"rng_bit_generator: unsupported dtype {dtype.name}")
    _check_key(get_aval(key))
    return tuple(rng_bit_generator_p.bind(key, shape=shape, dtype=dtype, algorithm=RandomAlgorithm(algorithm),
                                          out_sharding=out_sharding))


rng_uniform = not_applicable("jax.lax.rng_uniform", "XLA's stateful RngUniform draws without a key, and its "
                             "numbers are backend-defined; jaxlite programs are pure functions of their "
                             "inputs: use jax.random or lax.rng_bit_generator")
