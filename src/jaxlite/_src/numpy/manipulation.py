"""jaxlite.numpy array editing: append/insert/delete, rot90, resize, block, and the functional
forms of NumPy's in-place updates (put, place, put_along_axis, fill_diagonal), which return a new
array and need `inplace=False`, as in JAX."""

from __future__ import annotations

import builtins

import numpy as np

from jaxlite._src import core
from jaxlite._src.lax import lax, structural
from jaxlite._src.numpy import lax_numpy as jnp, reductions, sorting
from jaxlite._src.numpy.scatter_util import scatter_points
from jaxlite._src.numpy.util import asarray, canonicalize_axis, check_arraylike, promote_dtypes


def append(arr, values, axis=None):
    """Append `values` to the end of `arr` along `axis` (flattening both if None)."""
    check_arraylike("append", arr, values)
    if axis is None:
        return jnp.concatenate([jnp.ravel(arr), jnp.ravel(values)], 0)
    return jnp.concatenate([arr, values], axis)


def insert(arr, obj, values, axis=None):
    """Insert `values` into `arr` before the indices `obj` along `axis` (flattened if None)."""
    check_arraylike("insert", arr, 0 if isinstance(obj, slice) else obj, values)
    a, values = asarray(arr), asarray(values)
    if axis is None:
        a, axis = jnp.ravel(a), 0
    axis = canonicalize_axis(core.concrete_or_error(axis, "axis argument of jnp.insert()"), a.ndim)
    n = a.shape[axis]
    if isinstance(obj, slice):
        indices = jnp.arange(*obj.indices(n))
    else:
        indices = asarray(obj)
    if indices.ndim > 1:
        raise ValueError("jnp.insert(): obj must be a slice, a one-dimensional array, or a scalar")
    if indices.dtype.kind not in "iu":
        if indices.size == 0 and not isinstance(obj, core.Tracer):
            indices = indices.astype(np.int32)
        else:
            raise ValueError("jnp.insert(): index array must be integer typed")
    values = jnp.array(values, ndmin=a.ndim, dtype=a.dtype)
    if indices.ndim == 0:
        # NumPy inserts a scalar index's values as one block whose leading axis goes to `axis`.
        values = jnp.moveaxis(values, 0, axis)
    n_insert = values.shape[axis] if indices.ndim == 0 else indices.shape[0]
    if indices.ndim == 0:
        indices = jnp.full((n_insert,), indices, indices.dtype)
    vshape = list(a.shape)
    vshape[axis] = n_insert
    values = jnp.broadcast_to(values, tuple(vshape))
    indices = jnp.clip(jnp.where(indices < 0, indices + n, indices), 0, n).astype(np.int32)
    # Stable order of the inserted entries, then each one's slot in the output.
    order = sorting.argsort(indices, stable=True)
    rank = sorting.argsort(order, stable=True).astype(np.int32)
    sorted_pos = jnp.take(indices, order) + jnp.arange(n_insert, dtype=np.int32)
    value_slot = jnp.take(sorted_pos, rank)
    out_len = n + n_insert
    # Original element i moves right by the number of inserted entries at or before it.
    shift = reductions.sum(jnp.expand_dims(jnp.take(indices, order), 1) <= jnp.arange(n, dtype=np.int32), 0,
                    dtype=np.int32)
    arr_slot = jnp.arange(n, dtype=np.int32) + shift
    moved_a, moved_v = jnp.moveaxis(a, axis, 0), jnp.moveaxis(values, axis, 0)
    out = lax.full((out_len,) + moved_a.shape[1:], 0, a.dtype)
    out = _scatter_rows(out, arr_slot, moved_a)
    out = _scatter_rows(out, value_slot, moved_v)
    return jnp.moveaxis(out, 0, axis)


def _scatter_rows(out, rows, updates):
    from jaxlite._src.lax import slicing
    nd = out.ndim
    dn = slicing.ScatterDimensionNumbers(update_window_dims=tuple(range(1, nd)), inserted_window_dims=(0,),
                                         scatter_dims_to_operand_dims=(0,))
    return slicing.scatter(out, jnp.expand_dims(rows, 1), updates, dn, mode="fill")


def delete(arr, obj, axis=None, *, assume_unique_indices=False):
    """Remove the entries at indices `obj` along `axis` (flattened if None); under jit, needs static indices or
    `assume_unique_indices`.
    """
    a = asarray(arr)
    if axis is None:
        a, axis = jnp.ravel(a), 0
    axis = canonicalize_axis(axis, a.ndim)
    n = a.shape[axis]
    if isinstance(obj, slice):
        keep = np.setdiff1d(np.arange(n), np.arange(*obj.indices(n)))
        return jnp.take(a, asarray(keep.astype(np.int32)), axis=axis)
    if isinstance(obj, (int, np.integer)) and not isinstance(obj, bool):
        i = int(obj)
        if not -n <= i < n:
            raise ValueError(f"index {i} is out of bounds for axis {axis} with size {n}")
        i %= n
        return jnp.concatenate([structural.slice_in_dim(a, 0, i, axis=axis),
                                structural.slice_in_dim(a, i + 1, n, axis=axis)], axis)
    check_arraylike("delete", a, obj)
    obj_arr = asarray(obj)
    if obj_arr.dtype.kind in "iu" and assume_unique_indices:
        # Traceable: the k-th kept element is k plus the number of deleted indices at or below it.
        o = sorting.sort(jnp.clip(jnp.where(obj_arr < 0, obj_arr + n, obj_arr), 0, n).ravel())
        o = o - jnp.arange(o.size, dtype=o.dtype)
        i = jnp.arange(n - o.size, dtype=o.dtype)
        i = i + reductions.sum(jnp.expand_dims(i, 0) >= jnp.expand_dims(o, 1), 0, dtype=o.dtype)
        return jnp.take(a, i, axis=axis)
    concrete = np.asarray(core.concrete_or_error(obj_arr, "'obj' array argument of jnp.delete()"))
    if concrete.dtype.kind in "iu":
        mask = np.ones(n, dtype=bool)
        mask[concrete] = False
    elif concrete.dtype == bool:
        if concrete.shape != (n,):
            raise ValueError("np.delete(arr, obj): for boolean indices, obj must be one-dimensional "
                             "with length matching specified axis.")
        mask = ~concrete
    else:
        raise ValueError(f"np.delete(arr, obj): got obj.dtype={concrete.dtype}; must be integer or bool.")
    return jnp.take(a, asarray(np.nonzero(mask)[0].astype(np.int32)), axis=axis)


def rot90(m, k=1, axes=(0, 1)):
    """Rotate `m` by 90 degrees `k` times in the plane of `axes`."""
    m = asarray(m)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    ax1, ax2 = canonicalize_axis(axes[0], m.ndim), canonicalize_axis(axes[1], m.ndim)
    if ax1 == ax2:
        raise ValueError("Axes must be different")
    k = int(core.concrete_or_error(k, "k argument of jnp.rot90")) % 4
    if k == 0:
        return m
    if k == 2:
        return jnp.flip(jnp.flip(m, ax1), ax2)
    perm = list(range(m.ndim))
    perm[ax1], perm[ax2] = perm[ax2], perm[ax1]
    if k == 1:
        return jnp.transpose(jnp.flip(m, ax2), perm)
    return jnp.flip(jnp.transpose(m, perm), ax2)


def resize(a, new_shape):
    """Array of shape `new_shape` filled with the elements of `a` repeated in C order."""
    a = asarray(a)
    new_shape = (new_shape,) if isinstance(new_shape, (int, np.integer)) else tuple(new_shape)
    if builtins.any(int(d) < 0 for d in new_shape):
        raise ValueError("All elements of `new_shape` must be non-negative")
    total = int(np.prod(new_shape, dtype=np.int64))
    flat = jnp.ravel(a)
    if total == 0 or flat.size == 0:
        return lax.full(new_shape, 0, a.dtype)
    reps = -(-total // flat.size)
    return jnp.reshape(structural.slice_in_dim(jnp.tile(flat, reps), 0, total), new_shape)


def unstack(x, /, *, axis=0):
    """Split `x` along `axis` into a tuple of arrays with that axis removed."""
    x = asarray(x)
    if x.ndim == 0:
        raise ValueError("Unstack requires arrays with rank > 0, however a scalar array was passed.")
    axis = canonicalize_axis(axis, x.ndim)
    return tuple(structural.index_in_dim(x, i, axis, keepdims=False) for i in range(x.shape[axis]))


def trim_zeros(filt, trim="fb", axis=None):
    """Remove leading ('f'), trailing ('b') or both ('fb') zeros of a 1-D array (needs concrete values)."""
    a = asarray(filt)
    if a.ndim == 0:
        raise TypeError("trim_zeros requires an array with at least one dimension")
    concrete = np.asarray(core.concrete_or_error(a, "Error arose in the `filt` argument of trim_zeros()"))
    axes = range(a.ndim) if axis is None else [canonicalize_axis(ax, a.ndim)
                                               for ax in ((axis,) if np.ndim(axis) == 0 else axis)]
    nz = concrete != 0
    if not nz.any():
        return lax.full(tuple(0 if i in axes else d for i, d in enumerate(a.shape)), 0, a.dtype)
    out = a
    for ax in axes:
        along = np.nonzero(nz.any(axis=tuple(i for i in range(a.ndim) if i != ax)))[0]
        lo = int(along[0]) if "f" in trim.lower() else 0
        hi = int(along[-1]) + 1 if "b" in trim.lower() else a.shape[ax]
        out = structural.slice_in_dim(out, lo, hi, axis=ax)
    return out


def block(arrays):
    """Assemble an array from nested lists of blocks (the innermost lists join along the last axis)."""
    out, depth = _block(arrays, 0)
    return out


def _block(arrays, level):
    if isinstance(arrays, tuple):
        raise TypeError("jax.numpy.block does not allow tuples, got {}".format(arrays))
    if isinstance(arrays, list):
        if not arrays:
            raise ValueError("jax.numpy.block does not allow empty list arguments")
        parts = [_block(x, level + 1) for x in arrays]
        depths = {d for _, d in parts}
        if len(depths) != 1:
            raise ValueError("Mismatched list depths in jax.numpy.block")
        depth = depths.pop()
        arrs = [p for p, _ in parts]
        nd = builtins.max(depth - level, builtins.max(jnp.ndim(x) for x in arrs))
        arrs = [jnp.reshape(x, (1,) * (nd - jnp.ndim(x)) + jnp.shape(x)) for x in arrs]
        return jnp.concatenate(arrs, axis=level - depth), depth
    return asarray(arrays), level


def diagflat(v, k=0):
    """2-D array with the flattened input on its k-th diagonal."""
    v = jnp.ravel(v)
    return jnp.diag(v, k)


def fill_diagonal(a, val, wrap=False, *, inplace=True):
    """Set the main diagonal of `a` to `val`; only with `inplace=False`, as JAX (arrays are immutable)."""
    if inplace:
        raise NotImplementedError("JAX arrays are immutable, must use inplace=False")
    if wrap:
        raise NotImplementedError("wrap=True is not implemented, must use wrap=False")
    check_arraylike("fill_diagonal", a, val)
    a, val = asarray(a), asarray(val)
    if a.ndim < 2:
        raise ValueError("array must be at least 2-d")
    if a.ndim > 2 and builtins.any(n != a.shape[0] for n in a.shape[1:]):
        raise ValueError("All dimensions of input must be of equal length")
    row = structural.broadcasted_iota(np.int32, a.shape, 0)
    mask = None
    for ax in range(1, a.ndim):
        eq = lax.eq(row, structural.broadcasted_iota(np.int32, a.shape, ax))
        mask = eq if mask is None else lax.bitwise_and(mask, eq)
    vals = jnp.ravel(val).astype(a.dtype)
    if vals.size == 0:
        return a
    # On the diagonal the row index counts the entries, so it picks val's entries cyclically.
    picked = jnp.take(vals, lax.rem(row, lax.full(a.shape, vals.size, np.int32)))
    return lax.select_n(mask, a, picked)


def _tile_to(v, n):
    v = jnp.ravel(v)
    return jnp.take(v, jnp.arange(n, dtype=np.int32) % v.size) if v.size != n else v


def put(a, ind, v, mode=None, *, inplace=True):
    """Replace the elements of the flattened `a` at indices `ind` with `v`; only with `inplace=False` (arrays
    are immutable).
    """
    if inplace:
        raise ValueError("jax.numpy.put cannot modify arrays in-place, because JAX arrays are immutable. "
                         "Pass inplace=False to instead return an updated array.")
    check_arraylike("put", a, ind, v)
    a, ind, v = asarray(a), jnp.ravel(ind), jnp.ravel(v)
    if not a.size or not ind.size or not v.size:
        return a
    v = _tile_to(v, ind.size).astype(a.dtype)
    if mode is None:
        ind, scatter_mode = jnp.where(ind < 0, ind + a.size, ind) if ind.dtype.kind == "i" else ind, "fill"
    elif mode == "clip":
        ind, scatter_mode = jnp.clip(ind, 0, a.size - 1), "fill"
    elif mode == "wrap":
        ind, scatter_mode = ind % a.size, "fill"
    elif mode == "raise":
        raise NotImplementedError("The 'raise' mode to jnp.put is not supported.")
    else:
        raise ValueError(f"mode should be one of 'wrap' or 'clip'; got {mode=}")
    return jnp.reshape(scatter_points(jnp.ravel(a), [ind], v, scatter_mode), a.shape)


def place(arr, mask, vals, *, inplace=True):
    """Replace the elements of `arr` where `mask` is True with `vals`, repeated as needed; only with
    `inplace=False` (arrays are immutable).
    """
    if inplace:
        raise ValueError("jax.numpy.place cannot modify arrays in-place, because JAX arrays are immutable. "
                         "Pass inplace=False to instead return an updated array.")
    check_arraylike("place", arr, mask, vals)
    data, mask, vals = asarray(arr), asarray(mask), asarray(vals)
    if data.size != mask.size:
        raise ValueError("place: arr and mask must be the same size")
    if not vals.size:
        raise ValueError("Cannot place values from an empty array")
    if not data.size:
        return data
    from jaxlite._src.numpy.sorting import nonzero
    (indices,) = nonzero(jnp.ravel(mask), size=mask.size, fill_value=mask.size)
    vals = _tile_to(vals, mask.size).astype(data.dtype)
    return jnp.reshape(scatter_points(jnp.ravel(data), [indices], vals, "fill"), data.shape)


def put_along_axis(arr, indices, values, axis, inplace=True, *, mode=None):
    """Write `values` into `arr` at `indices` along `axis` (the inverse of take_along_axis); only with
    `inplace=False`.
    """
    if inplace:
        raise ValueError("jax.numpy.put_along_axis cannot modify arrays in-place, because JAX arrays"
                         "are immutable. Pass inplace=False to instead return an updated array.")
    check_arraylike("put_along_axis", arr, indices, values)
    a, indices, values = asarray(arr), asarray(indices), asarray(values)
    shape0 = a.shape
    if axis is None:
        a, axis = jnp.ravel(a), 0
    if a.ndim != indices.ndim:
        raise ValueError("put_along_axis arguments 'arr' and 'indices' must have same ndim. Got "
                         f"arr.ndim={a.ndim} and indices.ndim={indices.ndim}.")
    axis = canonicalize_axis(axis, a.ndim)
    values = jnp.broadcast_to(values, indices.shape).astype(a.dtype)
    if indices.dtype.kind == "i":
        indices = jnp.where(indices < 0, indices + a.shape[axis], indices)
    idx = [indices if d == axis else structural.broadcasted_iota(indices.dtype, indices.shape, d)
           for d in range(a.ndim)]
    scatter_mode = "clip" if mode == "clip" else "fill"
    return jnp.reshape(scatter_points(a, idx, values, scatter_mode), shape0)


def compress(condition, a, axis=None, *, size=None, fill_value=0, out=None):
    """Select the slices of `a` along `axis` where `condition` is True; under jit, `size=` fixes the output
    length.
    """
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.compress is not supported.")
    check_arraylike("compress", condition, a)
    cond = asarray(condition)
    cond = cond if cond.dtype == np.bool_ else lax.ne(cond, lax.full(cond.shape, 0, cond.dtype))
    if cond.ndim != 1:
        raise ValueError("condition must be a 1D array")
    if axis is None:
        arr, axis = jnp.ravel(a), 0
    else:
        arr = jnp.moveaxis(a, axis, 0)
    n = arr.shape[0]
    if cond.shape[0] > n:
        extra = structural.slice_in_dim(cond, n, cond.shape[0])
        if bool(np.any(np.asarray(core.concrete_or_error(extra, "jnp.compress condition longer than the array")))):
            raise ValueError("condition contains entries that are out of bounds")
        cond = structural.slice_in_dim(cond, 0, n)
    arr = structural.slice_in_dim(arr, 0, cond.shape[0])
    from jaxlite._src.numpy.sorting import nonzero
    if size is None:
        (rows,) = nonzero(cond)  # needs a concrete condition, as in JAX
        out_ = jnp.take(arr, rows, axis=0)
    else:
        (rows,) = nonzero(cond, size=size, fill_value=-1)
        valid = jnp.reshape(rows >= 0, (size,) + (1,) * (arr.ndim - 1))
        out_ = jnp.where(valid, jnp.take(arr, jnp.maximum(rows, 0), axis=0), asarray(fill_value).astype(arr.dtype))
    return jnp.moveaxis(out_, 0, axis)


def extract(condition, arr, *, size=None, fill_value=0):
    """The elements of `arr` where `condition` is True, flattened; under jit, `size=` fixes the output length."""
    return compress(jnp.ravel(condition), jnp.ravel(arr), size=size, fill_value=fill_value)


def choose(a, choices, out=None, mode="raise"):
    """Build an array by picking, for each element of the index array `a`, the entry of `choices[a]`; `mode`
    handles out-of-range indices.
    """
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.choose is not supported.")
    check_arraylike("choose", a, *choices)
    a = asarray(a)
    if a.dtype.kind not in "iu":
        raise ValueError("`a` array must be integer typed")
    n = len(choices)
    if mode == "raise":
        arr = np.asarray(core.concrete_or_error(a, "The error occurred because jnp.choose was jit-compiled with "
                                                   "mode='raise'. Use mode='wrap' or mode='clip' instead."))
        if np.any((arr < 0) | (arr >= n)):
            raise ValueError("invalid entry in choice array")
    elif mode == "wrap":
        a = jnp.remainder(a, n)
    elif mode == "clip":
        a = jnp.clip(a, 0, n - 1)
    else:
        raise ValueError(f"mode={mode!r} not understood. Must be 'raise', 'wrap', or 'clip'")
    a, *cs = jnp.broadcast_arrays(a, *promote_dtypes(*choices))
    result = lax.convert_element_type(cs[0], cs[0].dtype, False)  # as jnp.array(choices): strong
    for k in range(1, n):
        result = jnp.where(a == k, cs[k], result)
    return result
