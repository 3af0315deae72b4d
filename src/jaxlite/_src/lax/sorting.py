"""sort: stable multi-operand sort along one dimension (the first num_keys operands are keys,
compared lexicographically; NaNs sort last), with jvp (tangents follow the permutation) and vmap."""

from __future__ import annotations

import numpy as np

from jaxlite._src import ad, ad_util, batching, dtypes
from jaxlite._src.backends import cpu
from jaxlite._src.core import Primitive, abstract_eval_rules, get_aval
from jaxlite._src.lax import composite, lax
from jaxlite._src.lax.structural import broadcasted_iota

sort_p = Primitive("sort", multiple_results=True)


def _sort_abstract(*operands, dimension, is_stable, num_keys):
    shapes = {o.shape for o in operands}
    if len(shapes) != 1:
        raise TypeError(f"sort operands must all have the same shape, got {[o.shape for o in operands]}")
    if not 0 <= dimension < operands[0].ndim:
        raise ValueError(f"sort dimension {dimension} out of range for shape {operands[0].shape}")
    if not 1 <= num_keys <= len(operands):
        raise ValueError(f"num_keys={num_keys} must be between 1 and the number of operands")
    return list(operands)


def _sort_kernel(*operands, dimension, is_stable, num_keys):
    moved = [np.moveaxis(o, dimension, -1) for o in operands]
    keys = []
    for k in moved[:num_keys]:
        if k.dtype.kind == "f":
            keys += [np.where(np.isnan(k), 0, k), np.isnan(k)]  # NaN last, ordered after every number
        else:
            keys += [k, np.zeros(k.shape, bool)]
    # lexsort's last key is the primary one: key0's nan flag, key0, key1's nan flag, ...
    lex = []
    for value, nan in zip(keys[::2], keys[1::2]):
        lex += [nan, value]
    perm = np.lexsort(lex[::-1], axis=-1) if moved[0].size else np.zeros(moved[0].shape, np.intp)
    return [np.moveaxis(np.take_along_axis(m, perm, -1), -1, dimension) for m in moved]


def sort(operand, dimension=-1, is_stable=True, num_keys=1):
    single = not isinstance(operand, (tuple, list))
    ops = [lax._as_array(o) for o in ([operand] if single else operand)]
    dim = dimension % get_aval(ops[0]).ndim
    out = sort_p.bind(*ops, dimension=dim, is_stable=bool(is_stable), num_keys=int(num_keys))
    return out[0] if single else tuple(out)


def sort_key_val(keys, values, dimension=-1, is_stable=True):
    k, v = sort((keys, values), dimension, is_stable, num_keys=1)
    return k, v


def _sort_jvp(primals, tangents, dimension, is_stable, num_keys):
    shape = get_aval(primals[0]).shape
    iota = broadcasted_iota(dtypes.int32, shape, dimension)
    *sorted_primals, perm = sort_p.bind(*primals, iota, dimension=dimension, is_stable=is_stable, num_keys=num_keys)
    from jaxlite._src.lax.slicing import take_along_axis
    return sorted_primals, [take_along_axis(t, perm, dimension) for t in tangents]


def _sort_vmap(axis_size, vals, dims, dimension, is_stable, num_keys):
    vals = [batching.move_batch_axis(axis_size, d, 0, v) for v, d in zip(vals, dims)]
    outs = sort_p.bind(*vals, dimension=dimension + 1, is_stable=is_stable, num_keys=num_keys)
    return outs, [0] * len(outs)


abstract_eval_rules[sort_p] = _sort_abstract
cpu.kernels[sort_p] = _sort_kernel
ad.jvp_rules[sort_p] = _sort_jvp
batching.vmap_rules[sort_p] = _sort_vmap


def sorted_top_k(x, k: int, axis: int, largest: bool = True):
    """The k largest (or smallest) entries along axis and their indices, ties lower index first:
    a stable sort (of the reversed row for the largest, reversed back)."""
    from jaxlite._src.lax.structural import rev, slice_in_dim
    shape = get_aval(x).shape
    iota = broadcasted_iota(dtypes.int32, shape, axis)
    if largest:
        vals, idx = sort((rev(x, (axis,)), rev(iota, (axis,))), axis, True, 1)
        vals, idx = rev(vals, (axis,)), rev(idx, (axis,))
    else:
        vals, idx = sort((x, iota), axis, True, 1)
    return [slice_in_dim(vals, 0, k, axis=axis), slice_in_dim(idx, 0, k, axis=axis)]


def top_k(operand, k: int, *, axis: int = -1):
    """The k largest entries along `axis` (the last by default) and their indices (ties: lower
    index first)."""
    x = lax._as_array(operand)
    shape = get_aval(x).shape
    if not shape:
        raise TypeError("top_k operand must have >= 1 dimension, got ()")
    if not -len(shape) <= axis < len(shape):
        raise ValueError(f"axis {axis} is out of bounds for array of dimension {len(shape)}")
    axis = int(axis) % len(shape)
    k = int(k)
    if k < 0:
        raise ValueError(f"k argument to top_k must be nonnegative, got {k}")
    if shape[axis] < k:
        raise TypeError(f"k argument to top_k must be no larger than size along axis {axis}; got k={k} "
                        f"with shape {shape}")
    vals, idx = top_k_p.bind(x, axis=axis, k=k)
    return vals, idx


def _top_k_jvp(primals, tangents, axis, k):
    """JAX's rule: the tangents gathered at the indices of the k largest."""
    from jaxlite._src.lax.slicing import take_along_axis
    vals, idx = top_k_p.bind(primals[0], axis=axis, k=k)
    return [vals, idx], [take_along_axis(tangents[0], idx, axis), ad_util.zeros_like_aval(get_aval(idx))]


def _top_k_vmap(axis_size, vals, dims, axis, k):
    x = batching.move_batch_axis(axis_size, dims[0], 0, vals[0])
    return top_k_p.bind(x, axis=axis + 1, k=k), [0, 0]


top_k_p = composite.def_composite("top_k", lambda x, axis, k: sorted_top_k(x, k, axis), multiple_results=True,
                                  jvp=_top_k_jvp, vmap=_top_k_vmap)
