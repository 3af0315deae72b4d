"""Shape-changing primitives: broadcast_in_dim, reshape, transpose, rev, pad, concatenate, slice,
dynamic_slice, dynamic_update_slice, iota; each with its rules beside it."""

from __future__ import annotations

import builtins

import numpy as np

from jaxlite._src import ad, ad_util, batching, core, dtypes
from jaxlite._src.backends import cpu
from jaxlite._src.core import Primitive, ShapedArray, abstract_eval_rules, get_aval
from jaxlite._src.lax import composite


def _as_array(x):
    from jaxlite._src.lax.lax import _as_array
    return _as_array(x)


def _shape_tuple(shape, what="shape"):
    return tuple(int(core.concrete_or_error(d, f"The {what} argument must be static")) for d in shape)


# ---- broadcast_in_dim -----------------------------------------------------------------------------

broadcast_in_dim_p = Primitive("broadcast_in_dim")


def _broadcast_in_dim_abstract(x, shape, broadcast_dimensions):
    if len(broadcast_dimensions) != x.ndim:
        raise TypeError(f"broadcast_in_dim broadcast_dimensions must have length equal to operand ndim; "
                        f"got broadcast_dimensions {broadcast_dimensions} for operand ndim {x.ndim}.")
    for i, d in enumerate(broadcast_dimensions):
        if not 0 <= d < len(shape) or x.shape[i] not in (1, shape[d]):
            raise TypeError(f"broadcast_in_dim operand dimension sizes must either be 1, or be equal to "
                            f"their corresponding dimensions in the target broadcast shape; got operand of "
                            f"shape {x.shape}, target broadcast shape {shape}, broadcast_dimensions "
                            f"{broadcast_dimensions} ")
    if list(broadcast_dimensions) != sorted(set(broadcast_dimensions)):
        raise TypeError(f"broadcast_in_dim broadcast_dimensions must be strictly increasing; got "
                        f"broadcast_dimensions {broadcast_dimensions}")
    return [ShapedArray(shape, x.dtype, x.weak_type)]


def _broadcast_in_dim_kernel(x, shape, broadcast_dimensions):
    expanded = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        expanded[d] = x.shape[i]
    return np.broadcast_to(x.reshape(expanded), shape)


def broadcast_in_dim(x, shape, broadcast_dimensions):
    core.canonicalize_shape(shape, "broadcast_in_dim")  # JAX's TypeErrors for float/negative sizes
    shape = _shape_tuple(shape)
    x = _as_array(x)
    bd = tuple(int(d) for d in broadcast_dimensions)
    if get_aval(x).shape == shape and bd == tuple(range(len(shape))):
        return x
    return broadcast_in_dim_p.bind(x, shape=shape, broadcast_dimensions=bd)


def broadcast(x, sizes):
    """Prepend dimensions of the given sizes."""
    x = _as_array(x)
    nd = get_aval(x).ndim
    return broadcast_in_dim(x, tuple(sizes) + get_aval(x).shape, tuple(range(len(sizes), len(sizes) + nd)))


def _broadcast_in_dim_transpose(ct, x, shape, broadcast_dimensions):
    in_shape = x.aval.shape
    unit = tuple(i for i, d in enumerate(broadcast_dimensions) if in_shape[i] == 1 and shape[d] != 1)
    summed = tuple(i for i in range(len(shape)) if i not in broadcast_dimensions) + \
        tuple(broadcast_dimensions[i] for i in unit)
    from jaxlite._src.lax.reductions import reduce_sum
    out = reduce_sum(ct, tuple(sorted(summed))) if summed else ct
    return [reshape(out, in_shape)]


def _broadcast_in_dim_vmap(axis_size, vals, dims, shape, broadcast_dimensions):
    (x,), (d,) = vals, dims
    x = batching.moveaxis(x, d, 0)
    return [broadcast_in_dim_p.bind(x, shape=(axis_size,) + shape,
                                    broadcast_dimensions=(0,) + tuple(b + 1 for b in broadcast_dimensions))], [0]


abstract_eval_rules[broadcast_in_dim_p] = _broadcast_in_dim_abstract
cpu.kernels[broadcast_in_dim_p] = _broadcast_in_dim_kernel
ad.jvp_rules[broadcast_in_dim_p] = lambda p, t, **kw: ([broadcast_in_dim_p.bind(p[0], **kw)],
                                                       [broadcast_in_dim_p.bind(t[0], **kw)])
ad.transpose_rules[broadcast_in_dim_p] = _broadcast_in_dim_transpose
batching.vmap_rules[broadcast_in_dim_p] = _broadcast_in_dim_vmap


def _linear_jvp(prim):
    def rule(primals, tangents, **params):
        return [prim.bind(*primals, **params)], [prim.bind(*tangents, **params)]
    ad.jvp_rules[prim] = rule


# ---- reshape --------------------------------------------------------------------------------------

reshape_p = Primitive("reshape")


def _reshape_abstract(x, new_sizes, dimensions=None):
    if int(np.prod(new_sizes, dtype=np.int64)) != x.size:
        raise TypeError(f"reshape total size must be unchanged, got new_sizes {new_sizes} (of total size "
                        f"{int(np.prod(new_sizes, dtype=np.int64))}) for shape {x.shape} (of total size {x.size}).")
    return [ShapedArray(new_sizes, x.dtype, x.weak_type)]


def reshape(x, new_sizes, dimensions=None):
    core.canonicalize_shape(new_sizes)  # JAX's TypeError for non-integer sizes
    x = _as_array(x)
    new_sizes = _shape_tuple(new_sizes, "new_sizes")
    if dimensions is not None and tuple(dimensions) != tuple(range(get_aval(x).ndim)):
        x = transpose(x, dimensions)
    if get_aval(x).shape == new_sizes:
        return x
    return reshape_p.bind(x, new_sizes=new_sizes, dimensions=None)


def _reshape_vmap(axis_size, vals, dims, new_sizes, dimensions):
    x = batching.moveaxis(vals[0], dims[0], 0)
    return [reshape_p.bind(x, new_sizes=(axis_size,) + new_sizes, dimensions=None)], [0]


abstract_eval_rules[reshape_p] = _reshape_abstract
cpu.kernels[reshape_p] = lambda x, new_sizes, dimensions=None: x.reshape(new_sizes)
_linear_jvp(reshape_p)
ad.transpose_rules[reshape_p] = lambda ct, x, new_sizes, dimensions: [reshape(ct, x.aval.shape)]
batching.vmap_rules[reshape_p] = _reshape_vmap

# ---- transpose ------------------------------------------------------------------------------------

transpose_p = Primitive("transpose")


def _transpose_abstract(x, permutation):
    if sorted(permutation) != list(range(x.ndim)):
        raise TypeError(f"transpose permutation isn't a permutation of operand dimensions, got "
                        f"permutation {permutation} for operand shape {x.shape}.")
    return [ShapedArray(tuple(x.shape[p] for p in permutation), x.dtype, x.weak_type)]


def transpose(x, permutation):
    x = _as_array(x)
    permutation = tuple(int(p) for p in permutation)
    if permutation == tuple(range(len(permutation))) and len(permutation) == get_aval(x).ndim:
        return x
    return transpose_p.bind(x, permutation=permutation)


def _transpose_vmap(axis_size, vals, dims, permutation):
    x = batching.moveaxis(vals[0], dims[0], 0)
    return [transpose_p.bind(x, permutation=(0,) + tuple(p + 1 for p in permutation))], [0]


abstract_eval_rules[transpose_p] = _transpose_abstract
cpu.kernels[transpose_p] = lambda x, permutation: np.transpose(x, permutation)
_linear_jvp(transpose_p)
ad.transpose_rules[transpose_p] = lambda ct, x, permutation: [transpose(ct, tuple(np.argsort(permutation)))]
batching.vmap_rules[transpose_p] = _transpose_vmap


def squeeze(x, dimensions):
    x = _as_array(x)
    shape = get_aval(x).shape
    dims = tuple(sorted({d % len(shape) for d in dimensions})) if shape else ()
    for d in dims:
        if shape[d] != 1:
            raise ValueError(f"cannot select an axis to squeeze out which has size not equal to one, "
                             f"got shape={shape} and dimensions={tuple(dimensions)}")
    return squeeze_p.bind(x, dimensions=dims)


def _squeeze(x, dimensions):
    shape = get_aval(x).shape
    return reshape(x, tuple(s for i, s in enumerate(shape) if i not in dimensions))


def _squeeze_vmap(axis_size, vals, dims, dimensions):
    x = batching.moveaxis(vals[0], dims[0], 0)
    return [squeeze_p.bind(x, dimensions=tuple(d + 1 for d in dimensions))], [0]


squeeze_p = composite.def_composite("squeeze", _squeeze, linear_args=(0,), vmap=_squeeze_vmap,
                                    cpu_kernel=lambda x, dimensions: np.squeeze(x, dimensions))


def expand_dims(x, dimensions):
    x = _as_array(x)
    shape = list(get_aval(x).shape)
    nd = len(shape) + len(dimensions)
    for d in sorted(d % nd for d in dimensions):
        shape.insert(d, 1)
    return reshape(x, shape)


# ---- rev ------------------------------------------------------------------------------------------

rev_p = Primitive("rev")
abstract_eval_rules[rev_p] = lambda x, dimensions: [x]
cpu.kernels[rev_p] = lambda x, dimensions: np.flip(x, dimensions) if dimensions else x
_linear_jvp(rev_p)
ad.transpose_rules[rev_p] = lambda ct, x, dimensions: [rev_p.bind(ct, dimensions=dimensions)]
batching.vmap_rules[rev_p] = lambda n, vals, dims, dimensions: (
    [rev_p.bind(batching.moveaxis(vals[0], dims[0], 0), dimensions=tuple(d + 1 for d in dimensions))], [0])


def rev(x, dimensions):
    return rev_p.bind(_as_array(x), dimensions=tuple(int(d) for d in dimensions))


# ---- pad ------------------------------------------------------------------------------------------

pad_p = Primitive("pad")


def _pad_abstract(x, padding_value, padding_config):
    if padding_value.shape != () or padding_value.dtype != x.dtype:
        raise TypeError(f"pad padding_value must be a scalar of the operand's dtype {x.dtype}, got "
                        f"{padding_value.str_short()}")
    if len(padding_config) != x.ndim:
        raise ValueError(f"length of padding_config must equal the number of axes of operand, got "
                         f"padding_config {padding_config} for operand shape {x.shape}")
    shape = []
    for n, (lo, hi, interior) in zip(x.shape, padding_config):
        if interior < 0:
            raise ValueError(f"interior padding in padding_config must be nonnegative, got {padding_config}")
        size = lo + hi + n + max(n - 1, 0) * interior
        if size < 0:
            raise ValueError(f"Dimension size after padding is not at least 0, got result shape of "
                             f"dimension {size} for padding_config {padding_config}")
        shape.append(size)
    return [ShapedArray(shape, x.dtype, x.weak_type)]


def _pad_kernel(x, pv, padding_config):
    grown = [max(lo, 0) + max(hi, 0) + n + max(n - 1, 0) * it for n, (lo, hi, it) in zip(x.shape, padding_config)]
    out = np.full(grown, pv, dtype=x.dtype)
    out[tuple(builtins.slice(max(lo, 0), max(lo, 0) + (n - 1) * (it + 1) + 1 if n else max(lo, 0), it + 1)
              for n, (lo, hi, it) in zip(x.shape, padding_config))] = x
    crop = tuple(builtins.slice(max(-lo, 0), g - max(-hi, 0)) for g, (lo, hi, it) in zip(grown, padding_config))
    return out[crop]


def pad(x, padding_value, padding_config):
    if len(padding_config) != np.ndim(x):  # JAX's check, before the config is unpacked
        raise ValueError(f"length of padding_config must equal the number of axes of operand, got padding_config "
                         f"{tuple(map(tuple, padding_config))} for operand shape {np.shape(x)}")
    x = _as_array(x)
    cfg = tuple((int(lo), int(hi), int(it)) for lo, hi, it in padding_config)
    pv = padding_value
    if not isinstance(pv, core.Tracer) and not hasattr(pv, "aval"):
        pv = np.array(pv, dtype=get_aval(x).dtype)
    return pad_p.bind(x, pv, padding_config=cfg)


def _pad_transpose(ct, x, pv, padding_config):
    from jaxlite._src.lax.lax import sub
    from jaxlite._src.lax.reductions import reduce_sum
    unneg = pad(ct, 0, [(max(-lo, 0), max(-hi, 0), 0) for lo, hi, _ in padding_config])
    shape = get_aval(unneg).shape
    t_x = slice(unneg, [max(lo, 0) for lo, _, _ in padding_config],
                [s - max(hi, 0) for s, (_, hi, _) in zip(shape, padding_config)],
                [it + 1 for _, _, it in padding_config])
    cts = [t_x if ad.is_undefined_primal(x) else None, None]
    if ad.is_undefined_primal(pv):
        total = reduce_sum(ct, tuple(range(get_aval(ct).ndim)))
        cts[1] = sub(total, reduce_sum(t_x, tuple(range(get_aval(t_x).ndim))))
    return cts


def _pad_jvp(primals, tangents, padding_config):
    return ([pad_p.bind(*primals, padding_config=padding_config)],
            [pad_p.bind(*tangents, padding_config=padding_config)])


def _pad_vmap(axis_size, vals, dims, padding_config):
    (x, pv), (dx, dpv) = vals, dims
    if dpv is not batching.not_mapped:
        # A batched padding value: pad with zeros, then select the padding positions.
        from jaxlite._src.lax.lax import select_n, full
        mask = pad(full(get_aval(x).shape[:dx] + get_aval(x).shape[dx + 1:] if dx is not None else get_aval(x).shape, True, dtypes.bool_),
                   False, padding_config)
        x = batching.move_batch_axis(axis_size, dx, 0, x)
        padded = pad_p.bind(x, np.zeros((), get_aval(x).dtype), padding_config=((0, 0, 0),) + padding_config)
        out_shape = get_aval(padded).shape
        pvb = broadcast_in_dim(pv, out_shape, (0,))
        return [select_n(broadcast_in_dim(mask, out_shape, tuple(range(1, len(out_shape)))), pvb, padded)], [0]
    x = batching.moveaxis(x, dx, 0)
    return [pad_p.bind(x, pv, padding_config=((0, 0, 0),) + padding_config)], [0]


abstract_eval_rules[pad_p] = _pad_abstract
cpu.kernels[pad_p] = _pad_kernel
ad.jvp_rules[pad_p] = _pad_jvp
ad.transpose_rules[pad_p] = _pad_transpose
batching.vmap_rules[pad_p] = _pad_vmap

# ---- concatenate ----------------------------------------------------------------------------------

concatenate_p = Primitive("concatenate")


def _concatenate_abstract(*xs, dimension):
    if not xs:
        raise TypeError("concatenate requires a non-empty sequence of operands")
    nd = xs[0].ndim
    if not 0 <= dimension < nd:
        raise TypeError(f"concatenate dimension out of bounds: dimension {dimension} for shapes "
                        f"{', '.join(str(x.shape) for x in xs)}.")
    for x in xs:
        if x.ndim != nd or any(x.shape[i] != xs[0].shape[i] for i in range(nd) if i != dimension):
            raise TypeError(f"Cannot concatenate arrays with shapes that differ in dimensions other than "
                            f"the one being concatenated: concatenating along dimension {dimension} for "
                            f"shapes {', '.join(str(x.shape) for x in xs)}.")
        if x.dtype != xs[0].dtype:
            raise TypeError(f"Cannot concatenate arrays with different dtypes: "
                            f"{', '.join(x.dtype.name for x in xs)}.")
    shape = list(xs[0].shape)
    shape[dimension] = sum(x.shape[dimension] for x in xs)
    return [ShapedArray(shape, xs[0].dtype, all(x.weak_type for x in xs))]


def concatenate(operands, dimension: int):
    if len(operands) == 0:  # JAX's check and wording
        raise ValueError("concatenate requires a non-empty sequences of arrays")
    operands = [_as_array(x) for x in operands]
    if len(operands) == 1:
        return operands[0]
    return concatenate_p.bind(*operands, dimension=int(dimension))


def _concatenate_transpose(ct, *xs, dimension):
    cts, start = [], 0
    shape = get_aval(ct).shape
    for x in xs:
        n = (x.aval if ad.is_undefined_primal(x) else get_aval(x)).shape[dimension]
        if ad.is_undefined_primal(x):
            lo = [0] * len(shape)
            hi = list(shape)
            lo[dimension], hi[dimension] = start, start + n
            cts.append(slice(ct, lo, hi))
        else:
            cts.append(None)
        start += n
    return cts


def _concatenate_vmap(axis_size, vals, dims, dimension):
    vals = [batching.move_batch_axis(axis_size, d, 0, v) for v, d in zip(vals, dims)]
    return [concatenate_p.bind(*vals, dimension=dimension + 1)], [0]


abstract_eval_rules[concatenate_p] = _concatenate_abstract
cpu.kernels[concatenate_p] = lambda *xs, dimension: np.concatenate(xs, axis=dimension)
_linear_jvp(concatenate_p)
ad.transpose_rules[concatenate_p] = _concatenate_transpose
batching.vmap_rules[concatenate_p] = _concatenate_vmap

# ---- slice ----------------------------------------------------------------------------------------

slice_p = Primitive("slice")


def _slice_abstract(x, start_indices, limit_indices, strides):
    if len(start_indices) != x.ndim or len(limit_indices) != x.ndim:
        raise TypeError(f"slice start_indices and limit_indices must have length equal to the number of "
                        f"dimensions of the operand, got start_indices {start_indices}, limit_indices "
                        f"{limit_indices} for operand shape {x.shape}.")
    shape = []
    for n, s, l, st in zip(x.shape, start_indices, limit_indices, strides):
        if not 0 <= s <= l <= n:
            raise TypeError(f"slice start_indices {start_indices} and limit_indices {limit_indices} "
                            f"must satisfy 0 <= start <= limit <= shape {x.shape}.")
        if st <= 0:
            raise TypeError(f"slice strides must be positive, got {strides}")
        shape.append(-(-(l - s) // st))
    return [ShapedArray(shape, x.dtype, x.weak_type)]


def slice(x, start_indices, limit_indices, strides=None):
    x = _as_array(x)
    nd = get_aval(x).ndim
    start = tuple(int(s) for s in start_indices)
    limit = tuple(int(s) for s in limit_indices)
    strides = tuple(int(s) for s in strides) if strides is not None else (1,) * nd
    if start == (0,) * nd and limit == get_aval(x).shape and strides == (1,) * nd:
        return x
    return slice_p.bind(x, start_indices=start, limit_indices=limit, strides=strides)


def slice_in_dim(x, start_index, limit_index, stride=1, axis=0):
    x = _as_array(x)
    shape = get_aval(x).shape
    axis = axis % len(shape)
    n = shape[axis]
    start = 0 if start_index is None else (start_index + n if start_index < 0 else start_index)
    limit = n if limit_index is None else (limit_index + n if limit_index < 0 else limit_index)
    starts, limits, strides = [0] * len(shape), list(shape), [1] * len(shape)
    starts[axis], limits[axis], strides[axis] = start, limit, stride
    return slice(x, starts, limits, strides)


def index_in_dim(x, index, axis=0, keepdims=True):
    out = slice_in_dim(x, index, index + 1, 1, axis)
    return out if keepdims else squeeze(out, (axis,))


def _slice_transpose(ct, x, start_indices, limit_indices, strides):
    shape = x.aval.shape
    out_shape = get_aval(ct).shape
    real_limits = [s + (n - 1) * st + 1 if n else s for s, n, st in zip(start_indices, out_shape, strides)]
    cfg = [(s, d - l, st - 1) for s, d, l, st in zip(start_indices, shape, real_limits, strides)]
    return [pad(ct, 0, cfg)]


def _slice_vmap(axis_size, vals, dims, start_indices, limit_indices, strides):
    x = batching.moveaxis(vals[0], dims[0], 0)
    return [slice_p.bind(x, start_indices=(0,) + start_indices, limit_indices=(axis_size,) + limit_indices,
                         strides=(1,) + strides)], [0]


abstract_eval_rules[slice_p] = _slice_abstract
cpu.kernels[slice_p] = lambda x, start_indices, limit_indices, strides: x[tuple(
    builtins.slice(s, l, st) for s, l, st in zip(start_indices, limit_indices, strides))]
_linear_jvp(slice_p)
ad.transpose_rules[slice_p] = _slice_transpose
batching.vmap_rules[slice_p] = _slice_vmap

# ---- dynamic_slice / dynamic_update_slice ---------------------------------------------------------

dynamic_slice_p = Primitive("dynamic_slice")
dynamic_update_slice_p = Primitive("dynamic_update_slice")


def _check_indices(name, x, idxs):
    if len(idxs) != x.ndim:
        raise TypeError(f"{name} start_indices must have length equal to the number of dimensions of "
                        f"the operand, got {len(idxs)} indices for operand shape {x.shape}.")
    for i in idxs:
        if i.shape != () or i.dtype.kind not in "iu":
            raise TypeError(f"{name} start_indices must be scalar integers, got {i.str_short()}")


def _dynamic_slice_abstract(x, *idxs, slice_sizes):
    _check_indices("dynamic_slice", x, idxs)
    if any(not 0 <= s <= n for s, n in zip(slice_sizes, x.shape)):
        raise TypeError(f"slice slice_sizes must be less than or equal to operand shape, got slice_sizes "
                        f"{slice_sizes} for operand shape {x.shape}.")
    return [ShapedArray(slice_sizes, x.dtype, x.weak_type)]


def _clamped_starts(shape, idxs, sizes):
    return [int(np.clip(int(i), 0, n - s)) for i, n, s in zip(idxs, shape, sizes)]


def _dynamic_slice_kernel(x, *idxs, slice_sizes):
    starts = _clamped_starts(x.shape, idxs, slice_sizes)
    return x[tuple(np.s_[s:s + n] for s, n in zip(starts, slice_sizes))]


def _dynamic_update_slice_abstract(x, update, *idxs):
    _check_indices("dynamic_update_slice", x, idxs)
    if update.ndim != x.ndim or any(u > n for u, n in zip(update.shape, x.shape)):
        raise TypeError(f"dynamic_update_slice update shape must be smaller than operand shape, got "
                        f"update shape {update.shape} for operand shape {x.shape}.")
    if update.dtype != x.dtype:
        raise TypeError(f"dynamic_update_slice update dtype must match operand dtype, got "
                        f"{update.dtype.name} and {x.dtype.name}.")
    return [x]


def _dynamic_update_slice_kernel(x, update, *idxs):
    starts = _clamped_starts(x.shape, idxs, update.shape)
    out = np.array(x, copy=True)
    out[tuple(np.s_[s:s + n] for s, n in zip(starts, update.shape))] = update
    return out


def _index_array(i):
    if isinstance(i, core.Tracer) or hasattr(i, "aval"):
        return i
    return np.array(int(i), dtype=np.int32)


def dynamic_slice(x, start_indices, slice_sizes):
    _check_index_dtypes("dynamic_slice", start_indices)
    x = _as_array(x)
    idxs = [_index_array(i) for i in start_indices]
    idxs = _common_index_dtype(idxs)
    return dynamic_slice_p.bind(x, *idxs, slice_sizes=_shape_tuple(slice_sizes, "slice_sizes"))


def dynamic_update_slice(x, update, start_indices):
    _check_index_dtypes("dynamic_update_slice", start_indices)
    x, update = _as_array(x), _as_array(update)
    idxs = _common_index_dtype([_index_array(i) for i in start_indices])
    return dynamic_update_slice_p.bind(x, update, *idxs)


def _check_index_dtypes(name, start_indices) -> None:
    """JAX's TypeError for float or bool start indices (they would be truncated silently)."""
    kinds = [np.dtype(get_aval(i).dtype) for i in start_indices]
    if any(k.kind not in "iu" for k in kinds):
        raise TypeError(f"index arguments to {name} must be integers of the same type, got: "
                        f"{', '.join(k.name for k in kinds)}")


def _common_index_dtype(idxs):
    from jaxlite._src.lax.lax import convert_element_type
    return [convert_element_type(i, dtypes.int32) if get_aval(i).dtype != dtypes.int32 else i for i in idxs]


def dynamic_slice_in_dim(x, start_index, slice_size, axis=0):
    shape = get_aval(x).shape
    starts = [0] * len(shape)
    sizes = list(shape)
    starts[axis], sizes[axis] = start_index, slice_size
    return dynamic_slice(x, starts, sizes)


def dynamic_index_in_dim(x, index, axis=0, keepdims=True):
    out = dynamic_slice_in_dim(x, index, 1, axis)
    return out if keepdims else squeeze(out, (axis,))


def dynamic_update_slice_in_dim(x, update, start_index, axis):
    starts = [0] * get_aval(x).ndim
    starts[axis] = start_index
    return dynamic_update_slice(x, update, starts)


def dynamic_update_index_in_dim(x, update, index, axis):
    if get_aval(update).ndim < get_aval(x).ndim:
        update = expand_dims(update, (axis,))
    return dynamic_update_slice_in_dim(x, update, index, axis)


def _dynamic_slice_jvp(primals, tangents, slice_sizes):
    x, *idxs = primals
    return ([dynamic_slice_p.bind(x, *idxs, slice_sizes=slice_sizes)],
            [dynamic_slice_p.bind(tangents[0], *idxs, slice_sizes=slice_sizes)])


def _dynamic_slice_transpose(ct, x, *idxs, slice_sizes):
    from jaxlite._src.lax.lax import full
    zeros = full(x.aval.shape, 0, x.aval.dtype)
    return [dynamic_update_slice_p.bind(zeros, ct, *idxs)] + [None] * len(idxs)


def _dynamic_update_slice_jvp(primals, tangents):
    x, update, *idxs = primals
    tx, tu = tangents[:2]
    return ([dynamic_update_slice_p.bind(x, update, *idxs)], [dynamic_update_slice_p.bind(tx, tu, *idxs)])


def _dynamic_update_slice_transpose(ct, x, update, *idxs):
    from jaxlite._src.lax.lax import full
    uaval = update.aval if ad.is_undefined_primal(update) else get_aval(update)
    ct_x = dynamic_update_slice_p.bind(ct, full(uaval.shape, 0, uaval.dtype), *idxs) \
        if ad.is_undefined_primal(x) else None
    ct_u = dynamic_slice_p.bind(ct, *idxs, slice_sizes=uaval.shape) if ad.is_undefined_primal(update) else None
    return [ct_x, ct_u] + [None] * len(idxs)


def _dynamic_slice_vmap(axis_size, vals, dims, slice_sizes):
    x, *idxs = vals
    dx, *didxs = dims
    if any(d is not batching.not_mapped for d in didxs):
        from jaxlite._src.lax.slicing import batched_dynamic_slice
        return batched_dynamic_slice(axis_size, vals, dims, slice_sizes)
    x = batching.moveaxis(x, dx, 0)
    zero = np.zeros((), get_aval(idxs[0]).dtype if idxs else np.int32)
    return [dynamic_slice_p.bind(x, zero, *idxs, slice_sizes=(axis_size,) + slice_sizes)], [0]


def _dynamic_update_slice_vmap(axis_size, vals, dims):
    x, update, *idxs = vals
    dx, du, *didxs = dims
    if any(d is not batching.not_mapped for d in didxs):
        from jaxlite._src.lax.slicing import batched_dynamic_update_slice
        return batched_dynamic_update_slice(axis_size, vals, dims)
    x = batching.move_batch_axis(axis_size, dx, 0, x)
    update = batching.move_batch_axis(axis_size, du, 0, update)
    zero = np.zeros((), get_aval(idxs[0]).dtype if idxs else np.int32)
    return [dynamic_update_slice_p.bind(x, update, zero, *idxs)], [0]


abstract_eval_rules[dynamic_slice_p] = _dynamic_slice_abstract
cpu.kernels[dynamic_slice_p] = _dynamic_slice_kernel
ad.jvp_rules[dynamic_slice_p] = _dynamic_slice_jvp
ad.transpose_rules[dynamic_slice_p] = _dynamic_slice_transpose
batching.vmap_rules[dynamic_slice_p] = _dynamic_slice_vmap
abstract_eval_rules[dynamic_update_slice_p] = _dynamic_update_slice_abstract
cpu.kernels[dynamic_update_slice_p] = _dynamic_update_slice_kernel
ad.jvp_rules[dynamic_update_slice_p] = _dynamic_update_slice_jvp
ad.transpose_rules[dynamic_update_slice_p] = _dynamic_update_slice_transpose
batching.vmap_rules[dynamic_update_slice_p] = _dynamic_update_slice_vmap

# ---- iota -----------------------------------------------------------------------------------------

iota_p = Primitive("iota")


def _iota_kernel(dtype, shape, dimension):
    r = np.arange(shape[dimension], dtype=dtype)
    expanded = [1] * len(shape)
    expanded[dimension] = shape[dimension]
    return np.broadcast_to(r.reshape(expanded), shape)


abstract_eval_rules[iota_p] = lambda dtype, shape, dimension: [ShapedArray(shape, dtype)]
cpu.kernels[iota_p] = _iota_kernel
ad.nondiff.add(iota_p)


def iota(dtype, size: int):
    return broadcasted_iota(dtype, (size,), 0)


def broadcasted_iota(dtype, shape, dimension: int):
    core.canonicalize_shape(shape, "iota")  # JAX's TypeErrors for float/negative sizes
    shape = _shape_tuple(shape)
    return iota_p.bind(dtype=dtypes.canonicalize_dtype(dtype), shape=shape, dimension=int(dimension))

# The operations vmap needs to move and broadcast batch axes, registered so batching.py need not import lax.
ad_util.register_ops(transpose=transpose, broadcast_in_dim=broadcast_in_dim)
