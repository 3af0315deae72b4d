"""Orderings beyond sort: lexsort, partition, argpartition, sort_complex."""

from __future__ import annotations

import numpy as np

from jaxlite._src import dtypes
from jaxlite._src.lax import lax, sorting as lsort, structural
from jaxlite._src.numpy import lax_numpy as jnp
from jaxlite._src.numpy.util import asarray, canonicalize_axis, check_arraylike

__all__ = ["lexsort", "partition", "argpartition", "sort_complex"]


def lexsort(keys, axis=-1):
    """Indices that sort by several keys, the last key primary, along `axis`."""
    keys = tuple(keys)
    check_arraylike("lexsort", *keys)
    if not keys:
        raise TypeError("need sequence of keys with len > 0 in lexsort")
    keys = [asarray(k) for k in keys]
    if len({k.shape for k in keys}) > 1:
        raise ValueError("all keys need to be the same shape")
    if keys[0].ndim == 0:
        return jnp.zeros((), dtypes.default_int())
    axis = canonicalize_axis(axis, keys[0].ndim)
    iota = structural.broadcasted_iota(dtypes.default_int(), keys[0].shape, axis)
    # The last key is the primary one.
    return lsort.sort(keys[::-1] + [iota], axis, True, num_keys=len(keys))[-1]


def _last_axis(name, a, kth, axis):
    check_arraylike(name, a)
    a = asarray(a)
    if a.dtype.kind == "c":
        raise NotImplementedError(f"jnp.{name} for complex dtype is not implemented.")
    axis = canonicalize_axis(axis, a.ndim)
    return jnp.swapaxes(a, axis, -1), canonicalize_axis(kth, a.shape[axis]), axis


def partition(a, kth, axis=-1):
    """The kth smallest at position kth; smaller ones before it in ascending order, the rest after
    it in descending order (the layout JAX's top_k-based version produces)."""
    x, k, axis = _last_axis("partition", a, kth, axis)
    s = lsort.sort(x, x.ndim - 1)
    out = jnp.concatenate([s[..., :k + 1], jnp.flip(s[..., k + 1:], -1)], axis=-1)
    return jnp.swapaxes(out, -1, axis)


def argpartition(a, kth, axis=-1):
    """Indices of the kth+1 smallest (ascending, ties by index) followed by the other indices in
    increasing order, as JAX returns them."""
    x, k, axis = _last_axis("argpartition", a, kth, axis)
    last = x.ndim - 1
    iota = structural.broadcasted_iota(dtypes.int32, x.shape, last)
    _, order = lsort.sort_key_val(x, iota, last)
    _, rank = lsort.sort_key_val(order, iota, last)  # the inverse permutation
    _, rest = lsort.sort_key_val(rank <= k, iota, last)
    out = jnp.concatenate([order[..., :k + 1], rest[..., :x.shape[-1] - k - 1]], axis=-1)
    return jnp.swapaxes(jnp.astype(out, dtypes.default_int()), -1, axis)


def sort_complex(a):
    """Sort a complex array by real part, then imaginary part (the result is complex)."""
    check_arraylike("sort_complex", a)
    a = asarray(a)
    s = lsort.sort(a, a.ndim - 1) if a.ndim else a
    cdt = np.complex128 if a.dtype in (np.float64, np.complex128) or (
        a.dtype.kind in "iub" and dtypes.x64_enabled()) else np.complex64
    return lax.convert_element_type(s, np.dtype(cdt))
