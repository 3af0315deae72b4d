"""threefry2x32 keys as JAX 0.10 makes them (`jax_threefry_partitionable=True`, its default).

A key is two uint32 words. Bits for an output of shape S come from hashing the counter pair
(hi, lo) of each element's flat index with the key; `split` hashes the same counters and keeps
both words, `fold_in` hashes the counter (0, data). Everything is jaxlite lax integer ops (add,
xor, shifts, or), so under `jit` a sampler becomes fused kernels on wasm and webgpu.

Typed keys (`key(0)`, dtype `key<fry>`) are `PRNGKeyArray`s: a pytree node whose one leaf is the
uint32 data of shape (*shape, 2), so jit, vmap, scan and grad see an ordinary array. Raw keys
(`PRNGKey(0)`) are that uint32 data itself; functions given raw keys return raw keys, as JAX's do.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from jaxlite._src import core, dtypes, tree_util
import jaxlite.numpy as jnp
from jaxlite._src.array import Array
from jaxlite._src.jit import jit
from jaxlite._src.lax import lax, structural

IMPL_NAME = "threefry2x32"
_OTHER_JAX_IMPLS = ("rbg", "unsafe_rbg", "philox2x32", "philox4x32", "threefry4x32")
UINT_DTYPES = {8: np.dtype("uint8"), 16: np.dtype("uint16"), 32: np.dtype("uint32"), 64: np.dtype("uint64")}

# ---- the threefry2x32 hash ------------------------------------------------------------------------

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))


def _rotate_left(x, r: int):
    return lax.bitwise_or(lax.shift_left(x, r), lax.shift_right_logical(x, 32 - r))


def threefry2x32(k1, k2, x1, x2):
    """Threefry-2x32 with 20 rounds: key words k1, k2 and counter words x1, x2 (uint32 arrays of
    one shape) to two uint32 arrays of that shape."""
    ks = (k1, k2, lax.bitwise_xor(lax.bitwise_xor(k1, k2), 0x1BD11BDA))
    x1, x2 = lax.add(x1, ks[0]), lax.add(x2, ks[1])
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            x1 = lax.add(x1, x2)
            x2 = lax.bitwise_xor(x1, _rotate_left(x2, r))
        x1 = lax.add(x1, ks[(i + 1) % 3])
        x2 = lax.add(lax.add(x2, ks[(i + 2) % 3]), i + 1)
    return x1, x2


def _key_words(data, shape):
    """The two words of one raw key (shape (2,)), broadcast to `shape`."""
    k1 = structural.index_in_dim(data, 0, 0, keepdims=False)
    k2 = structural.index_in_dim(data, 1, 0, keepdims=False)
    return structural.broadcast(k1, shape), structural.broadcast(k2, shape)


def _hash_counters(data, shape):
    """Both hash words for the counters 0..size-1 laid out over `shape` (the high counter word is
    0: sizes beyond 2**32 do not fit in a browser)."""
    size = math.prod(shape)
    if size >= 2 ** 32:
        raise NotImplementedError("random bits array of size exceeding 2 ** 32")
    lo = structural.reshape(structural.iota(np.dtype("uint32"), size), shape)
    hi = lax.full(shape, 0, np.dtype("uint32"))
    return threefry2x32(*_key_words(data, shape), hi, lo)


def _random_bits(data, bit_width: int, shape: tuple):
    b1, b2 = _hash_counters(data, shape)
    if bit_width == 64:
        u64 = UINT_DTYPES[64]
        hi = lax.convert_element_type(b1, u64)
        return lax.bitwise_or(lax.shift_left(hi, 32), lax.convert_element_type(b2, u64))
    bits = lax.bitwise_xor(b1, b2)
    return bits if bit_width == 32 else lax.convert_element_type(bits, UINT_DTYPES[bit_width])


def _split(data, shape: tuple):
    b1, b2 = _hash_counters(data, shape)
    return jnp.stack([b1, b2], axis=len(shape))


def _fold_in(data, msg):
    k1, k2 = _key_words(data, ())
    b1, b2 = threefry2x32(k1, k2, lax.full((), 0, np.dtype("uint32")), msg)
    return jnp.stack([b1, b2])


random_bits_data = jit(_random_bits, static_argnums=(1, 2))
split_data = jit(_split, static_argnums=(1,))
fold_in_data = jit(_fold_in)


def seed_data(seed):
    """The raw key of an integer seed: the seed's 64 bits as two words (32-bit seeds: (0, seed))."""
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)):
        s = int(seed)
        if not dtypes.x64_enabled() or (isinstance(seed, np.integer) and seed.dtype.itemsize < 8):
            s &= 0xFFFFFFFF  # a 32-bit seed: JAX's key is (0, seed)
        return jnp.asarray(np.array([(s >> 32) & 0xFFFFFFFF, s & 0xFFFFFFFF], np.uint32))
    seed = jnp.asarray(seed)
    if not np.issubdtype(seed.dtype, np.integer):
        raise TypeError(f"PRNG key seed must be an integer; got {seed!r}")
    u32 = np.dtype("uint32")
    lo = lax.convert_element_type(seed, u32)
    if seed.dtype.itemsize == 8:
        hi = lax.convert_element_type(lax.shift_right_logical(seed, 32), u32)
    else:
        hi = lax.full((), 0, u32)
    return jnp.stack([hi, lo])


# ---- typed key arrays -----------------------------------------------------------------------------


class KeyTy:
    """The dtype of typed threefry key arrays, printed `key<fry>` as in JAX."""
    name = "key<fry>"
    itemsize = 8
    _impl_name = IMPL_NAME
    type = dtypes.prng_key  # (for issubdtype, as JAX's key dtypes' scalar type)

    def __repr__(self):
        return self.name

    __str__ = __repr__

    def __eq__(self, other):
        return type(other) is KeyTy

    def __hash__(self):
        return hash(KeyTy)


KEY_DTYPE = KeyTy()


class PRNGKeyArray:
    """An array of keys: behaves like an array whose elements are keys (shape, indexing,
    iteration) over uint32 data of shape (*shape, 2)."""

    __slots__ = ("_base_array",)
    __array_priority__ = 100
    __hash__ = None

    def __init__(self, data):
        self._base_array = data

    shape = property(lambda self: tuple(self._base_array.shape[:-1]))
    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: math.prod(self.shape))
    dtype = property(lambda self: KEY_DTYPE)
    itemsize = property(lambda self: KEY_DTYPE.itemsize)
    nbytes = property(lambda self: KEY_DTYPE.itemsize * self.size)

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d key array")
        return (PRNGKeyArray(self._base_array[i]) for i in range(self.shape[0]))

    def __getitem__(self, idx):
        if not isinstance(idx, tuple):
            idx = (idx,)
        if not self.shape and any(i is not Ellipsis and i is not None for i in idx):
            raise IndexError(f"Too many indices: 0-dimensional key array indexed with {len(idx)}.")
        return PRNGKeyArray(self._base_array[idx + (slice(None),)])

    def __bool__(self):
        raise TypeError("key array cannot be converted to boolean.")

    def __array__(self, dtype=None, copy=None):
        raise TypeError("JAX array with PRNGKey dtype cannot be converted to a NumPy array. Use "
                        "jax.random.key_data(arr) if you wish to extract the underlying integer array.")

    def _compare(self, other, op):
        if not isinstance(other, PRNGKeyArray):
            raise TypeError(f"{op.__name__} of a key array with a non-key operand of type {type(other).__name__} "
                            "is not defined; compare jax.random.key_data(...) instead.")
        return jnp.all(op(self._base_array, other._base_array), axis=-1) if op is operator.eq else \
            jnp.any(op(self._base_array, other._base_array), axis=-1)

    def __eq__(self, other):
        return self._compare(other, operator.eq)

    def __ne__(self, other):
        return self._compare(other, operator.ne)

    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        shape = tuple(shape)
        if -1 in shape:
            known = math.prod(d for d in shape if d != -1)
            shape = tuple(self.size // max(known, 1) if d == -1 else d for d in shape)
        return PRNGKeyArray(jnp.reshape(self._base_array, (*shape, 2)))

    def ravel(self, order="C"):
        return self.reshape(self.size)

    flatten = ravel

    def squeeze(self, axis=None):
        if axis is None:
            axis = tuple(i for i, d in enumerate(self.shape) if d == 1)
        axis = (axis,) if isinstance(axis, int) else tuple(axis)
        axis = tuple(a % max(self.ndim, 1) for a in axis)
        return PRNGKeyArray(jnp.squeeze(self._base_array, axis))

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        axes = tuple(axes) or tuple(reversed(range(self.ndim)))
        return PRNGKeyArray(jnp.transpose(self._base_array, (*(a % self.ndim for a in axes), self.ndim)))

    T = property(lambda self: self.transpose())

    def swapaxes(self, a, b):
        axes = list(range(self.ndim))
        axes[a], axes[b] = axes[b], axes[a]
        return self.transpose(axes)

    def copy(self):
        return PRNGKeyArray(jnp.array(self._base_array))

    def block_until_ready(self):
        getattr(self._base_array, "block_until_ready", lambda: None)()
        return self

    def devices(self):
        return self._base_array.devices()

    @property
    def device(self):
        return self._base_array.device

    def __repr__(self):
        return f"Array({self.shape}, dtype={KEY_DTYPE.name}) overlaying:\n{self._base_array}"

    __str__ = __repr__


def _unflatten_keys(_, children):
    out = object.__new__(PRNGKeyArray)
    out._base_array, = children
    return out


tree_util.register_pytree_node(PRNGKeyArray, lambda k: ((k._base_array,), None), _unflatten_keys)
Array.register(PRNGKeyArray)  # isinstance(key, jax.Array) holds, as in JAX


# ---- taking keys apart ----------------------------------------------------------------------------


def is_typed_key(x) -> bool:
    return isinstance(x, PRNGKeyArray)


def check_key_data(data):
    if not all(hasattr(data, a) for a in ("ndim", "shape", "dtype")):
        raise TypeError("JAX encountered invalid PRNG key data: expected key_data to have ndim, shape, and "
                        f"dtype attributes. Got {data}")
    if data.ndim < 1:
        raise TypeError(f"JAX encountered invalid PRNG key data: expected key_data.ndim >= 1; got ndim={data.ndim}")
    if tuple(data.shape[-1:]) != (2,):
        raise TypeError("JAX encountered invalid PRNG key data: expected key_data.shape to end with (2,); got "
                        f"shape={tuple(data.shape)} for impl={IMPL_NAME}")
    if np.dtype(data.dtype) != np.uint32:
        raise TypeError("JAX encountered invalid PRNG key data: expected key_data.dtype = uint32; got "
                        f"dtype={np.dtype(data.dtype)}")


def wrap(data) -> PRNGKeyArray:
    check_key_data(data)
    if isinstance(data, np.ndarray):
        data = jnp.asarray(data)
    return PRNGKeyArray(data)


def check_prng_key(name: str, key, allow_batched: bool = False) -> tuple[PRNGKeyArray, bool]:
    """(the typed key, whether it was given raw). Raw keys are validated like JAX's."""
    if isinstance(key, PRNGKeyArray):
        typed, wrapped = key, False
    elif isinstance(key, (Array, np.ndarray, core.Tracer)) or np.isscalar(key):
        typed, wrapped = wrap(key), True
    else:
        raise TypeError(f"unexpected PRNG key type {type(key)}")
    if not allow_batched and typed.ndim:
        raise ValueError(f"{name} accepts a single key, but was given a key array of shape {typed.shape} != (). "
                         "Use jax.vmap for batching.")
    return typed, wrapped


def resolve_impl(spec):
    """Only threefry2x32 (JAX's default) exists here."""
    if spec is None or isinstance(spec, KeyTy) or spec == IMPL_NAME or getattr(spec, "name", None) == IMPL_NAME:
        return IMPL_NAME
    if isinstance(spec, str):
        if spec in _OTHER_JAX_IMPLS:
            raise NotImplementedError(f"PRNG implementation {spec!r} is not available in jaxlite; only "
                                      f"{IMPL_NAME!r} (JAX's default) is.")
        raise ValueError(f'unrecognized PRNG implementation "{spec}". Did you mean one of: "{IMPL_NAME}"?')
    raise TypeError(f"unrecognized type {type(spec)} for specifying PRNG implementation.")
