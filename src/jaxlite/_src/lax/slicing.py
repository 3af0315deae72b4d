"""gather and scatter with XLA's dimension numbers (the index vector is the last axis of indices).

Out-of-bounds modes follow JAX on XLA: "clip" clamps start indices (gather and scatter);
"fill" (alias "drop") returns fill_value for a gather window that does not fit and skips such a
scatter window; "promise_in_bounds" leaves it to XLA's native rule, which clamps a gather and skips
a scatter. lax.gather defaults to "promise_in_bounds", lax.scatter* to "fill", as in JAX.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from jaxlite._src import ad, batching, core, dtypes
from jaxlite._src.backends import cpu
from jaxlite._src.core import Primitive, ShapedArray, abstract_eval_rules, get_aval
from jaxlite._src.lax import lax


class GatherDimensionNumbers(NamedTuple):
    offset_dims: tuple
    collapsed_slice_dims: tuple
    start_index_map: tuple
    operand_batching_dims: tuple = ()
    start_indices_batching_dims: tuple = ()


class ScatterDimensionNumbers(NamedTuple):
    update_window_dims: tuple
    inserted_window_dims: tuple
    scatter_dims_to_operand_dims: tuple
    operand_batching_dims: tuple = ()
    scatter_indices_batching_dims: tuple = ()


class GatherScatterMode:
    CLIP = "clip"
    FILL_OR_DROP = "fill"
    PROMISE_IN_BOUNDS = "promise_in_bounds"

    @staticmethod
    def from_any(mode) -> str:
        if mode is None or mode in ("fill", "drop", "fill_or_drop", "FILL_OR_DROP"):
            return GatherScatterMode.FILL_OR_DROP
        if mode in ("clip", "CLIP"):
            return GatherScatterMode.CLIP
        if mode in ("promise_in_bounds", "PROMISE_IN_BOUNDS"):
            return GatherScatterMode.PROMISE_IN_BOUNDS
        raise ValueError(f'Unknown gather mode "{mode}"')


def _default_fill(dtype):
    dt = np.dtype(dtype)
    if dt.kind in "fc":
        return np.nan
    if dt.kind == "b":
        return True
    return np.iinfo(dt).min if dt.kind == "i" else np.iinfo(dt).max


def _start_indices(operand_shape, window_sizes, indices, index_map, batching_dims, idx_batching_dims, mode):
    """Per operand dim: window start (broadcast over the indices' batch shape), plus validity."""
    batch_shape = indices.shape[:-1]
    starts, valid = [], np.ones(batch_shape, bool)
    for d, (n, size) in enumerate(zip(operand_shape, window_sizes)):
        if d in index_map:
            s = indices[..., index_map.index(d)].astype(np.int64)
            valid &= (s >= 0) & (s <= n - size)
            s = np.clip(s, 0, max(n - size, 0))
        elif d in batching_dims:
            bd = idx_batching_dims[batching_dims.index(d)]
            s = np.broadcast_to(np.arange(batch_shape[bd]).reshape(
                [batch_shape[bd] if i == bd else 1 for i in range(len(batch_shape))]), batch_shape)
        else:
            s = np.zeros(batch_shape, np.int64)
        starts.append(s)
    return starts, valid


def _window_index(starts, window_sizes, nb):
    nd = len(window_sizes)
    idx = []
    for d, (s, size) in enumerate(zip(starts, window_sizes)):
        off = np.arange(size).reshape((1,) * nb + tuple(size if e == d else 1 for e in range(nd)))
        idx.append(s.reshape(s.shape + (1,) * nd) + off)
    return tuple(idx)


# ---- gather ---------------------------------------------------------------------------------------

gather_p = Primitive("gather")


def _gather_shape(operand, indices, dimension_numbers, slice_sizes):
    dn = dimension_numbers
    batch_shape = indices.shape[:-1]
    if indices.shape[-1] != len(dn.start_index_map):
        raise TypeError(f"Gather op has {len(dn.start_index_map)} elements in start_index_map and the bound "
                        f"of dimension index_vector_dim={indices.ndim - 1} of indices is "
                        f"{indices.shape[-1]}. These two numbers must be equal.")
    if len(slice_sizes) != operand.ndim:
        raise TypeError(f"Gather op must have one slice size for every input dimension; got "
                        f"len(slice_sizes)={len(slice_sizes)}, input_shape.rank={operand.ndim}")
    for d, s in enumerate(slice_sizes):
        if not 0 <= s <= operand.shape[d]:
            raise TypeError(f"Slice size at index {d} in gather op is out of range, must be within "
                            f"[0, {operand.shape[d]} + 1), got {s}.")
    for d in dn.collapsed_slice_dims + dn.operand_batching_dims:
        if slice_sizes[d] > 1:
            raise TypeError(f"Gather op can only collapse slice dims with bound 1, but bound is "
                            f"{slice_sizes[d]} for index {d} at position ...")
    keep = [slice_sizes[d] for d in range(operand.ndim)
            if d not in dn.collapsed_slice_dims and d not in dn.operand_batching_dims]
    out_rank = len(batch_shape) + len(keep)
    shape, bi, oi = [], iter(batch_shape), iter(keep)
    for i in range(out_rank):
        shape.append(next(oi) if i in dn.offset_dims else next(bi))
    return tuple(shape)


def _gather_abstract(operand, indices, dimension_numbers, slice_sizes, mode, fill_value):
    if indices.dtype.kind not in "iu":
        raise TypeError(f"indices must have an integer type, got {indices.dtype.name}")
    shape = _gather_shape(operand, indices, dimension_numbers, slice_sizes)
    return [ShapedArray(shape, operand.dtype, operand.weak_type)]


def _gather_kernel(operand, indices, dimension_numbers, slice_sizes, mode, fill_value):
    dn = dimension_numbers
    nb = indices.ndim - 1
    batch_shape = indices.shape[:-1]
    starts, valid = _start_indices(operand.shape, slice_sizes, indices, dn.start_index_map,
                                   dn.operand_batching_dims, dn.start_indices_batching_dims, mode)
    out = operand[_window_index(starts, slice_sizes, nb)] if operand.size else \
        np.zeros(batch_shape + tuple(slice_sizes), operand.dtype)
    if mode == "fill":
        fv = _default_fill(operand.dtype) if fill_value is None else fill_value
        out = np.where(valid.reshape(batch_shape + (1,) * operand.ndim), out, np.array(fv).astype(operand.dtype))
    keep = [d for d in range(operand.ndim) if d not in dn.collapsed_slice_dims and d not in dn.operand_batching_dims]
    out = out.reshape(batch_shape + tuple(slice_sizes[d] for d in keep))
    out_rank = nb + len(keep)
    src = [0] * out_rank
    batch_pos = [i for i in range(out_rank) if i not in dn.offset_dims]
    for j, p in enumerate(batch_pos):
        src[p] = j
    for j, p in enumerate(dn.offset_dims):
        src[p] = nb + j
    return out.transpose(src)


def gather(operand, start_indices, dimension_numbers: GatherDimensionNumbers, slice_sizes, *,
           mode=None, fill_value=None, indices_are_sorted=False, unique_indices=False):
    operand = lax._as_array(operand)
    start_indices = lax._as_array(start_indices)
    dn = GatherDimensionNumbers(*(tuple(int(d) for d in f) for f in dimension_numbers))
    mode = GatherScatterMode.from_any("promise_in_bounds" if mode is None else mode)
    if mode != GatherScatterMode.FILL_OR_DROP:
        fill_value = None
    elif fill_value is not None:
        if np.ndim(fill_value) != 0:
            raise ValueError("fill_value argument to gather must be a scalar")
        fill_value = core.concrete_or_error(fill_value, "fill_value argument to gather")
        with np.errstate(invalid="ignore", over="ignore"):
            fill_value = np.array(fill_value).astype(get_aval(operand).dtype).item()
    return gather_p.bind(operand, start_indices, dimension_numbers=dn,
                         slice_sizes=tuple(int(s) for s in slice_sizes), mode=mode, fill_value=fill_value)


def _gather_jvp(primals, tangents, **params):
    operand, indices = primals
    return [gather_p.bind(operand, indices, **params)], [gather_p.bind(tangents[0], indices, **params)]


def _gather_transpose(ct, operand, indices, dimension_numbers, slice_sizes, mode, fill_value):
    if not ad.is_undefined_primal(operand):
        return [None, None]
    dn = dimension_numbers
    zeros = lax.full(operand.aval.shape, 0, operand.aval.dtype)
    sdn = ScatterDimensionNumbers(dn.offset_dims, dn.collapsed_slice_dims, dn.start_index_map,
                                  dn.operand_batching_dims, dn.start_indices_batching_dims)
    out = scatter_add_p.bind(zeros, indices, ct, dimension_numbers=sdn, mode=mode, unique_indices=False)
    return [out, None]


def _gather_vmap(axis_size, vals, dims, dimension_numbers, slice_sizes, mode, fill_value):
    (operand, indices), (od, idd) = vals, dims
    dn = dimension_numbers

    def up(t):
        return tuple(d + 1 for d in t)

    if idd is batching.not_mapped:  # only the operand is batched: one more window dim
        operand = batching.moveaxis(operand, od, 0)
        dn2 = GatherDimensionNumbers((0,) + up(dn.offset_dims), up(dn.collapsed_slice_dims),
                                     up(dn.start_index_map), up(dn.operand_batching_dims),
                                     dn.start_indices_batching_dims)
        return [gather_p.bind(operand, indices, dimension_numbers=dn2, slice_sizes=(axis_size,) + slice_sizes,
                              mode=mode, fill_value=fill_value)], [0]
    indices = batching.moveaxis(indices, idd, 0)
    if od is batching.not_mapped:  # only the indices: one more batch dim in front
        dn2 = GatherDimensionNumbers(up(dn.offset_dims), dn.collapsed_slice_dims, dn.start_index_map,
                                     dn.operand_batching_dims, up(dn.start_indices_batching_dims))
        return [gather_p.bind(operand, indices, dimension_numbers=dn2, slice_sizes=slice_sizes,
                              mode=mode, fill_value=fill_value)], [0]
    operand = batching.moveaxis(operand, od, 0)
    dn2 = GatherDimensionNumbers(up(dn.offset_dims), up(dn.collapsed_slice_dims), up(dn.start_index_map),
                                 (0,) + up(dn.operand_batching_dims), (0,) + up(dn.start_indices_batching_dims))
    return [gather_p.bind(operand, indices, dimension_numbers=dn2, slice_sizes=(1,) + slice_sizes,
                          mode=mode, fill_value=fill_value)], [0]


abstract_eval_rules[gather_p] = _gather_abstract
cpu.kernels[gather_p] = _gather_kernel
ad.jvp_rules[gather_p] = _gather_jvp
ad.transpose_rules[gather_p] = _gather_transpose
batching.vmap_rules[gather_p] = _gather_vmap

# ---- scatter --------------------------------------------------------------------------------------


def _scatter_abstract(operand, indices, updates, dimension_numbers, mode, unique_indices):
    if indices.dtype.kind not in "iu":
        raise TypeError(f"indices must have an integer type, got {indices.dtype.name}")
    if updates.dtype != operand.dtype:
        raise TypeError(f"scatter updates dtype {updates.dtype.name} must match operand dtype "
                        f"{operand.dtype.name}")
    dn = dimension_numbers
    if indices.shape[-1] != len(dn.scatter_dims_to_operand_dims):
        raise TypeError("Scatter op has {} elements in scatter_dims_to_operand_dims and the bound of the "
                        "index vector dimension of indices is {}.".format(len(dn.scatter_dims_to_operand_dims),
                                                                          indices.shape[-1]))
    upd_scatter = [d for i, d in enumerate(updates.shape) if i not in dn.update_window_dims]
    if tuple(upd_scatter) != indices.shape[:-1]:
        raise TypeError(f"Scatter updates shape {updates.shape} does not match indices batch shape "
                        f"{indices.shape[:-1]} outside update_window_dims {dn.update_window_dims}.")
    return [operand]


def _window_sizes(operand_shape, updates_shape, dn):
    wins = iter(updates_shape[d] for d in dn.update_window_dims)
    return tuple(1 if (d in dn.inserted_window_dims or d in dn.operand_batching_dims) else next(wins)
                 for d in range(len(operand_shape)))


def _scatter_kernel(combine):
    def kernel(operand, indices, updates, dimension_numbers, mode, unique_indices):
        dn = dimension_numbers
        nb = indices.ndim - 1
        wsizes = _window_sizes(operand.shape, updates.shape, dn)
        # updates -> [scatter dims..., window dims (in operand order, 1 for inserted)]
        scatter_axes = [i for i in range(updates.ndim) if i not in dn.update_window_dims]
        u = updates.transpose(scatter_axes + list(dn.update_window_dims)).reshape(indices.shape[:-1] + wsizes)
        starts, valid = _start_indices(operand.shape, wsizes, indices, dn.scatter_dims_to_operand_dims,
                                       dn.operand_batching_dims, dn.scatter_indices_batching_dims, mode)
        idx = _window_index(starts, wsizes, nb)
        if mode != "clip":  # drop whole windows that do not fit
            keep = valid.reshape(valid.shape + (1,) * operand.ndim)
            keep = np.broadcast_to(keep, u.shape)
            idx = tuple(np.broadcast_to(i, u.shape)[keep] for i in idx)
            u = u[keep]
        out = np.array(operand, copy=True)
        combine(out, idx, u)
        return out
    return kernel


def _set(out, idx, u):
    out[idx] = u


def _extremum_at(greater):
    """np.maximum.at/np.minimum.at, but complex elements one update at a time by XLA's
    lexicographic rule (numpy's propagates NaNs where XLA's keeps the update)."""
    real, pick = (np.maximum if greater else np.minimum), lax._lex_pick(greater)

    def combine(out, idx, u):
        if out.dtype.kind != "c":
            return real.at(out, idx, u)
        idx = [np.broadcast_to(i, u.shape).ravel() for i in idx]
        for k, v in enumerate(np.ravel(u)):
            at = tuple(i[k] for i in idx)
            out[at] = pick(out[at], v)
    return combine


scatter_p = Primitive("scatter")
scatter_add_p = Primitive("scatter-add")
scatter_mul_p = Primitive("scatter-mul")
scatter_min_p = Primitive("scatter-min")
scatter_max_p = Primitive("scatter-max")
for _p, _c in ((scatter_p, _set), (scatter_add_p, np.add.at), (scatter_mul_p, np.multiply.at),
               (scatter_min_p, _extremum_at(False)), (scatter_max_p, _extremum_at(True))):
    abstract_eval_rules[_p] = _scatter_abstract
    cpu.kernels[_p] = _scatter_kernel(_c)


def _scatter_wrapper(prim):
    def f(operand, scatter_indices, updates, dimension_numbers, *, indices_are_sorted=False,
          unique_indices=False, mode=None):
        operand = lax._as_array(operand)
        dn = ScatterDimensionNumbers(*(tuple(int(d) for d in f) for f in dimension_numbers))
        updates = lax._as_array(updates)
        if get_aval(updates).dtype != get_aval(operand).dtype:
            updates = lax.convert_element_type(updates, get_aval(operand).dtype)
        return prim.bind(operand, lax._as_array(scatter_indices), updates, dimension_numbers=dn,
                         mode=GatherScatterMode.from_any(mode), unique_indices=bool(unique_indices))
    return f


scatter = _scatter_wrapper(scatter_p)
scatter_add = _scatter_wrapper(scatter_add_p)
scatter_mul = _scatter_wrapper(scatter_mul_p)
scatter_min = _scatter_wrapper(scatter_min_p)
scatter_max = _scatter_wrapper(scatter_max_p)


def _gather_of_scatter(x, indices, updates_shape, dn, mode):
    """Read x at the windows a scatter with these dimension numbers writes (its transpose)."""
    slice_sizes = _window_sizes(get_aval(x).shape, updates_shape, dn)
    gdn = GatherDimensionNumbers(dn.update_window_dims, dn.inserted_window_dims, dn.scatter_dims_to_operand_dims,
                                 dn.operand_batching_dims, dn.scatter_indices_batching_dims)
    return gather_p.bind(x, indices, dimension_numbers=gdn, slice_sizes=slice_sizes, mode=mode, fill_value=0)


def _scatter_add_jvp(primals, tangents, **params):
    operand, indices, updates = primals
    return ([scatter_add_p.bind(operand, indices, updates, **params)],
            [scatter_add_p.bind(tangents[0], indices, tangents[2], **params)])


def _scatter_add_transpose(ct, operand, indices, updates, dimension_numbers, mode, unique_indices):
    ct_op = ct if ad.is_undefined_primal(operand) else None
    ct_upd = None
    if ad.is_undefined_primal(updates):
        ct_upd = _gather_of_scatter(ct, indices, updates.aval.shape, dimension_numbers, mode)
    return [ct_op, None, ct_upd]


def _scatter_jvp(primals, tangents, dimension_numbers, mode, unique_indices):
    operand, indices, updates = primals
    params = dict(dimension_numbers=dimension_numbers, mode=mode, unique_indices=unique_indices)
    out = scatter_p.bind(operand, indices, updates, **params)
    # Where several updates hit one place the winner is unspecified, as in JAX; tangents follow
    # the same scatter so they come from the same update.
    return [out], [scatter_p.bind(tangents[0], indices, tangents[2], **params)]


def _scatter_transpose(ct, operand, indices, updates, dimension_numbers, mode, unique_indices):
    uaval = updates.aval if ad.is_undefined_primal(updates) else get_aval(updates)
    ct_op = None
    if ad.is_undefined_primal(operand):
        zeros = lax.full(uaval.shape, 0, uaval.dtype)
        ct_op = scatter_p.bind(ct, indices, zeros, dimension_numbers=dimension_numbers, mode=mode,
                               unique_indices=unique_indices)
    ct_upd = None
    if ad.is_undefined_primal(updates):
        ct_upd = _gather_of_scatter(ct, indices, uaval.shape, dimension_numbers, mode)
    return [ct_op, None, ct_upd]


def _scatter_mul_jvp(primals, tangents, dimension_numbers, mode, unique_indices):
    operand, indices, updates = primals
    params = dict(dimension_numbers=dimension_numbers, mode=mode, unique_indices=unique_indices)
    out = scatter_mul_p.bind(operand, indices, updates, **params)
    if not unique_indices:
        raise NotImplementedError("scatter_mul gradients are only implemented if `unique_indices=True`")
    t_op = scatter_mul_p.bind(tangents[0], indices, updates, **params)
    gathered = _gather_of_scatter(operand, indices, get_aval(updates).shape, dimension_numbers, mode)
    t_upd = scatter_p.bind(ad.zeros_like(operand), indices, lax.mul(gathered, tangents[2]), **params)
    return [out], [lax.add(t_op, t_upd)]


def _scatter_vmap(prim):
    def rule(axis_size, vals, dims, dimension_numbers, mode, unique_indices):
        operand, indices, updates = vals
        od, idd, ud = dims
        dn = dimension_numbers

        def up(t):
            return tuple(d + 1 for d in t)

        operand = batching.move_batch_axis(axis_size, od, 0, operand)
        updates = batching.move_batch_axis(axis_size, ud, 0, updates)
        if idd is batching.not_mapped:
            # The batch axis becomes a window axis of every update.
            dn2 = ScatterDimensionNumbers((0,) + up(dn.update_window_dims), up(dn.inserted_window_dims),
                                          up(dn.scatter_dims_to_operand_dims), up(dn.operand_batching_dims),
                                          dn.scatter_indices_batching_dims)
        else:
            indices = batching.moveaxis(indices, idd, 0)
            dn2 = ScatterDimensionNumbers(up(dn.update_window_dims), up(dn.inserted_window_dims),
                                          up(dn.scatter_dims_to_operand_dims), (0,) + up(dn.operand_batching_dims),
                                          (0,) + up(dn.scatter_indices_batching_dims))
        return [prim.bind(operand, indices, updates, dimension_numbers=dn2, mode=mode,
                          unique_indices=unique_indices)], [0]
    batching.vmap_rules[prim] = rule


for _p in (scatter_p, scatter_add_p, scatter_mul_p, scatter_min_p, scatter_max_p):
    _scatter_vmap(_p)
ad.jvp_rules[scatter_add_p] = _scatter_add_jvp
ad.transpose_rules[scatter_add_p] = _scatter_add_transpose
ad.jvp_rules[scatter_p] = _scatter_jvp
ad.transpose_rules[scatter_p] = _scatter_transpose
ad.jvp_rules[scatter_mul_p] = _scatter_mul_jvp


def _select(pred, on_true, on_false):
    return lax.select_n(pred, on_false, on_true)


def _scatter_extremal_jvp(prim):
    """JAX's rule for scatter-min/max: the tangent at each place is the mean of the tangents of
    every value (the operand's and the updates') that ties for the extremum there."""
    def rule(primals, tangents, dimension_numbers, mode, unique_indices):
        operand, indices, updates = primals
        params = dict(dimension_numbers=dimension_numbers, mode=mode, unique_indices=unique_indices)
        out = prim.bind(operand, indices, updates, **params)
        ushape = get_aval(updates).shape

        def gathered(x):
            return _gather_of_scatter(x, indices, ushape, dimension_numbers, mode)

        def count(flags):
            return gathered(scatter_add_p.bind(ad.zeros_like(operand), indices, flags, **params))

        uaval = get_aval(updates)
        zeros, ones = lax.full(ushape, 0, uaval.dtype), lax.full(ushape, 1, uaval.dtype)
        won = lax.eq(updates, gathered(out))
        kept = lax.eq(gathered(operand), gathered(out))
        n_won = count(_select(won, ones, zeros))
        n_refs = count(ones)
        # Counts are clamped to 1 where a place has no winner or no reference (a dropped index):
        # those coefficients are never used, and the clamp keeps them finite.
        share = lax.div(ones, _select(kept, lax.add(n_won, ones), lax.max(n_won, ones)))
        upd_coef = _select(won, share, zeros)
        op_coef = lax.div(lax.sub(_select(kept, share, zeros), ones), lax.max(n_refs, ones))
        t_upd = lax.add(lax.mul(gathered(tangents[0]), op_coef), lax.mul(tangents[2], upd_coef))
        return [out], [scatter_add_p.bind(tangents[0], indices, t_upd, **params)]
    return rule


ad.jvp_rules[scatter_min_p] = _scatter_extremal_jvp(scatter_min_p)
ad.jvp_rules[scatter_max_p] = _scatter_extremal_jvp(scatter_max_p)

# ---- helpers built on gather/scatter --------------------------------------------------------------


def take_along_axis(x, indices, axis: int, mode="clip"):
    """x[..., indices, ...] along axis with indices of x's shape except at axis (lax-level helper)."""
    x = lax._as_array(x)
    shape = get_aval(x).shape
    nd = len(shape)
    axis = axis % nd
    idx_shape = get_aval(indices).shape
    from jaxlite._src.lax.structural import broadcasted_iota, reshape
    from jaxlite._src.lax.structural import concatenate as lconcat
    cols = []
    for d in range(nd):
        col = indices if d == axis else broadcasted_iota(get_aval(indices).dtype, idx_shape, d)
        cols.append(reshape(col, idx_shape + (1,)))
    full_idx = lconcat(cols, nd)
    dn = GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=tuple(range(nd)),
                                start_index_map=tuple(range(nd)))
    return gather(x, full_idx, dn, (1,) * nd, mode=mode)


def batched_dynamic_slice(axis_size, vals, dims, slice_sizes):
    """vmap of dynamic_slice with batched start indices: a gather with one index vector per row."""
    from jaxlite._src.lax.structural import concatenate as lconcat, reshape
    x, *idxs = vals
    dx, *didxs = dims
    idxs = [batching.move_batch_axis(axis_size, d, 0, i) for i, d in zip(idxs, didxs)]
    index = lconcat([reshape(i, (axis_size, 1)) for i in idxs], 1)
    nd = len(slice_sizes)
    if dx is batching.not_mapped:
        dn = GatherDimensionNumbers(tuple(range(1, nd + 1)), (), tuple(range(nd)))
        return [gather(x, index, dn, slice_sizes, mode="clip")], [0]
    x = batching.moveaxis(x, dx, 0)
    dn = GatherDimensionNumbers(tuple(range(1, nd + 1)), (), tuple(range(1, nd + 1)), (0,), (0,))
    return [gather(x, index, dn, (1,) + tuple(slice_sizes), mode="clip")], [0]


def batched_dynamic_update_slice(axis_size, vals, dims):
    from jaxlite._src.lax.structural import concatenate as lconcat, reshape
    x, update, *idxs = vals
    dx, du, *didxs = dims
    x = batching.move_batch_axis(axis_size, dx, 0, x)
    update = batching.move_batch_axis(axis_size, du, 0, update)
    idxs = [batching.move_batch_axis(axis_size, d, 0, i) for i, d in zip(idxs, didxs)]
    index = lconcat([reshape(i, (axis_size, 1)) for i in idxs], 1)
    nd = len(idxs)
    dn = ScatterDimensionNumbers(tuple(range(1, nd + 1)), (), tuple(range(1, nd + 1)), (0,), (0,))
    return [scatter(x, index, update, dn, mode="clip")], [0]
