"""jax.ops: segment reductions, each one scatter (add, mul, max or min) into an array holding the
reduction's identity. As in JAX, segment ids are not wrapped: with the default mode an id outside
[0, num_segments) (negative ones included) drops its row."""

from __future__ import annotations

import numpy as np

from jaxlite._src import core
from jaxlite._src.lax import lax, slicing
from jaxlite import numpy as jnp
from jaxlite._src.numpy.util import check_arraylike


def _identity(op: str, dtype):
    dt = np.dtype(dtype)
    if op == "add":
        return 0
    if op == "mul":
        return 1
    low = op == "max"  # max starts from the lowest value, min from the highest
    if dt.kind == "b":
        return not low
    if dt.kind in "iu":
        return np.iinfo(dt).min if low else np.iinfo(dt).max
    return -np.inf if low else np.inf


_SCATTER = {"add": slicing.scatter_add, "mul": slicing.scatter_mul, "max": slicing.scatter_max,
            "min": slicing.scatter_min}
_REDUCE = {"add": jnp.sum, "mul": jnp.prod, "max": jnp.max, "min": jnp.min}


def _segment(name, op, data, segment_ids, num_segments, indices_are_sorted, unique_indices, bucket_size, mode):
    check_arraylike(name, data, segment_ids)
    mode = slicing.GatherScatterMode.FILL_OR_DROP if mode is None else mode
    data, segment_ids = jnp.asarray(data), jnp.asarray(segment_ids)
    if num_segments is None:
        ids = core.concrete_or_error(segment_ids, f"{name}() `num_segments` argument.")
        num_segments = int(np.max(np.asarray(ids))) + 1
    num_segments = int(core.concrete_or_error(num_segments, f"{name}() `num_segments` argument."))
    if num_segments < 0:
        raise ValueError("num_segments must be non-negative.")
    dtype, trailing = data.dtype, data.shape[1:]
    if op in ("add", "mul") and dtype == np.bool_:
        raise TypeError(f"{op} does not accept dtype bool at position 0. Accepted dtypes at position 0 are "
                        "subtypes of integer, floating, complexfloating.")
    if bucket_size is None:
        # One scatter: row i of data combines into out[segment_ids[i]].
        out = lax.full((num_segments,) + trailing, _identity(op, dtype), dtype)
        index = segment_ids[..., None]
    else:
        # Rows in bucket b combine into out[b, id]; the buckets are then reduced.
        n = segment_ids.shape[0]
        num_buckets = -(-segment_ids.size // bucket_size)
        out = lax.full((num_buckets, num_segments) + trailing, _identity(op, dtype), dtype)
        index = jnp.stack([jnp.arange(n, dtype=segment_ids.dtype) // bucket_size, segment_ids], axis=-1)
    nb = index.ndim - 1
    updates = jnp.broadcast_to(data, index.shape[:-1] + trailing)
    dn = slicing.ScatterDimensionNumbers(
        update_window_dims=tuple(range(nb, nb + len(trailing))),
        inserted_window_dims=tuple(range(index.shape[-1])),
        scatter_dims_to_operand_dims=tuple(range(index.shape[-1])))
    out = _SCATTER[op](out, index, updates, dn, indices_are_sorted=indices_are_sorted,
                       unique_indices=unique_indices, mode=mode)
    if bucket_size is not None:
        out = _REDUCE[op](out, axis=0).astype(dtype)
    return out


def segment_sum(data, segment_ids, num_segments=None, indices_are_sorted=False, unique_indices=False,
                bucket_size=None, mode=None):
    """Sum of the rows of `data` that share a segment id: out[s] = sum(data[segment_ids == s])."""
    return _segment("segment_sum", "add", data, segment_ids, num_segments, indices_are_sorted, unique_indices,
                    bucket_size, mode)


def segment_prod(data, segment_ids, num_segments=None, indices_are_sorted=False, unique_indices=False,
                 bucket_size=None, mode=None):
    """Product of the rows of `data` that share a segment id (1 for an empty segment)."""
    return _segment("segment_prod", "mul", data, segment_ids, num_segments, indices_are_sorted, unique_indices,
                    bucket_size, mode)


def segment_max(data, segment_ids, num_segments=None, indices_are_sorted=False, unique_indices=False,
                bucket_size=None, mode=None):
    """Maximum of the rows of `data` that share a segment id (-inf, or the dtype's minimum, if empty)."""
    return _segment("segment_max", "max", data, segment_ids, num_segments, indices_are_sorted, unique_indices,
                    bucket_size, mode)


def segment_min(data, segment_ids, num_segments=None, indices_are_sorted=False, unique_indices=False,
                bucket_size=None, mode=None):
    """Minimum of the rows of `data` that share a segment id (inf, or the dtype's maximum, if empty)."""
    return _segment("segment_min", "min", data, segment_ids, num_segments, indices_are_sorted, unique_indices,
                    bucket_size, mode)
