"""Reductions (sum, max, min, prod, and, or), argmax/argmin and cumulative ops, with their rules."""

from __future__ import annotations

import functools

import numpy as np

from jaxlite._src import ad, ad_util, batching, dtypes
from jaxlite._src.backends import cpu
from jaxlite._src.core import Primitive, ShapedArray, abstract_eval_rules, get_aval
from jaxlite._src.lax import lax
from jaxlite._src.lax.structural import broadcast_in_dim, reshape, transpose


def _reduce_abstract(name, kinds):
    def rule(x, axes):
        if x.dtype.kind not in kinds:
            raise TypeError(f"{name} does not accept dtype {x.dtype.name}.")
        if any(not 0 <= a < x.ndim for a in axes) or len(set(axes)) != len(axes):
            raise ValueError(f"Invalid reduction dimension {axes} for input shape {x.shape}")
        shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
        return [ShapedArray(shape, x.dtype, x.weak_type)]
    return rule


def _reduce_vmap(prim):
    def rule(axis_size, vals, dims, axes):
        x = batching.moveaxis(vals[0], dims[0], 0)
        return [prim.bind(x, axes=tuple(a + 1 for a in axes))], [0]
    batching.vmap_rules[prim] = rule


def _make_reduce(name, kinds, kernel):
    p = Primitive(name)
    abstract_eval_rules[p] = _reduce_abstract(name, kinds)
    cpu.kernels[p] = kernel
    _reduce_vmap(p)
    return p


def _np_max(x, axes):
    if x.size == 0:
        return np.full(tuple(d for i, d in enumerate(x.shape) if i not in axes), _identity_max(x.dtype), x.dtype)
    if x.dtype.kind == "c":
        return _complex_fold(x, axes, lax.max_p, _identity_max(x.dtype))
    return np.max(x, axis=axes)


def _np_min(x, axes):
    if x.size == 0:
        return np.full(tuple(d for i, d in enumerate(x.shape) if i not in axes), _identity_min(x.dtype), x.dtype)
    if x.dtype.kind == "c":
        return _complex_fold(x, axes, lax.min_p, _identity_min(x.dtype))
    return np.min(x, axis=axes)


def _complex_fold(x, axes, prim, identity):
    """A complex max/min reduction as XLA's CPU runs it: the binary lexicographic rule folded from
    the identity in order (which decides where a NaN ends up), after XLA's tree rewrite: reduced
    axes longer than 32 first fold in windows of 32 (padded evenly at both ends, padding skipped),
    shorter reduced axes whole; axes of length 1 only are a reshape (kernel/complex.py: the same
    order as kernels)."""
    if all(x.shape[d] == 1 for d in axes):
        return x.reshape([n for d, n in enumerate(x.shape) if d not in axes])
    while any(x.shape[d] > 32 for d in axes):
        pads = [(t // 2, t - t // 2) for t in (-(-n // 32) * 32 - n if d in axes and n > 32 else 0
                                               for d, n in enumerate(x.shape))]
        win = [(32 if n > 32 else n) if d in axes else 1 for d, n in enumerate(x.shape)]
        x, valid = np.pad(x, pads), np.pad(np.ones(x.shape, bool), pads)
        acc = np.full([n // w for n, w in zip(x.shape, win)], identity, x.dtype)
        for off in np.ndindex(*win):  # row-major over each window
            at = tuple(slice(o, None, w) for o, w in zip(off, win))
            acc = np.where(valid[at], cpu.kernels[prim](acc, x[at]), acc)
        x = acc
    kept = [d for d in range(x.ndim) if d not in axes]
    flat = np.transpose(x, kept + list(axes)).reshape([x.shape[d] for d in kept] + [-1])
    acc = np.full(flat.shape[:-1], identity, x.dtype)
    for k in range(flat.shape[-1]):
        acc = cpu.kernels[prim](acc, flat[..., k])
    return acc


def _identity_max(dt):
    dt = np.dtype(dt)
    return -np.inf if dt.kind in "fc" else (False if dt.kind == "b" else np.iinfo(dt).min)


def _identity_min(dt):
    dt = np.dtype(dt)
    return np.inf if dt.kind in "fc" else (True if dt.kind == "b" else np.iinfo(dt).max)


reduce_sum_p = _make_reduce("reduce_sum", "iufc", lambda x, axes: np.sum(x, axis=axes, dtype=x.dtype))
reduce_prod_p = _make_reduce("reduce_prod", "iufc", lambda x, axes: np.prod(x, axis=axes, dtype=x.dtype))
reduce_max_p = _make_reduce("reduce_max", "iufcb", _np_max)
reduce_min_p = _make_reduce("reduce_min", "iufcb", _np_min)
reduce_and_p = _make_reduce("reduce_and", "b", lambda x, axes: np.all(x, axis=axes))
reduce_or_p = _make_reduce("reduce_or", "b", lambda x, axes: np.any(x, axis=axes))
reduce_xor_p = _make_reduce("reduce_xor", "iub", lambda x, axes: np.bitwise_xor.reduce(x, axis=axes)
                            if x.size else np.zeros(tuple(d for i, d in enumerate(x.shape) if i not in axes), x.dtype))
ad.nondiff.update({reduce_and_p, reduce_or_p, reduce_xor_p})


def _axes(x, axes):
    nd = get_aval(x).ndim
    return tuple(sorted(int(a) % nd for a in axes)) if nd else ()


def _reducer(prim):
    def reduce(x, axes):
        nd = np.ndim(x)
        if any(not -nd <= int(a) < nd for a in axes):  # JAX's check; _axes would wrap them
            raise ValueError(f"reduction axes {tuple(axes)} contains out-of-bounds indices for "
                             f"{get_aval(lax._as_array(x)).str_short()}.")
        x = lax._as_array(x)
        return prim.bind(x, axes=_axes(x, axes))
    reduce.__name__ = prim.name
    return reduce


reduce_sum, reduce_prod, reduce_max, reduce_min, reduce_and, reduce_or, reduce_xor = map(
    _reducer, (reduce_sum_p, reduce_prod_p, reduce_max_p, reduce_min_p, reduce_and_p, reduce_or_p, reduce_xor_p))


def _kept_dims(shape, axes):
    return tuple(i for i in range(len(shape)) if i not in axes)


def _broadcast_back(y, shape, axes):
    return broadcast_in_dim(y, shape, _kept_dims(shape, axes))


ad.jvp_rules[reduce_sum_p] = lambda p, t, axes: ([reduce_sum_p.bind(p[0], axes=axes)],
                                                 [reduce_sum_p.bind(t[0], axes=axes)])
ad.transpose_rules[reduce_sum_p] = lambda ct, x, axes: [_broadcast_back(ct, x.aval.shape, axes)]


def _chooser_jvp(prim):
    # The tangent is the mean of the tangents at the positions that attain the extremum.
    def rule(primals, tangents, axes):
        (x,), (t,) = primals, tangents
        ans = prim.bind(x, axes=axes)
        shape = get_aval(x).shape
        loc = lax.convert_element_type(lax.eq(x, _broadcast_back(ans, shape, axes)), get_aval(t).dtype)
        counts = reduce_sum_p.bind(loc, axes=axes)
        return [ans], [lax.div(reduce_sum_p.bind(lax.mul(t, loc), axes=axes), counts)]
    ad.jvp_rules[prim] = rule


_chooser_jvp(reduce_max_p)
_chooser_jvp(reduce_min_p)


def _reduce_prod_jvp(primals, tangents, axes):
    # d prod = sum_i t_i * prod_{j != i} x_j, with the "all but one" products from exclusive
    # cumulative products from both ends (exact where x has zeros, unlike prod / x).
    (x,), (t,) = primals, tangents
    ans = reduce_prod_p.bind(x, axes=axes)
    shape = get_aval(x).shape
    kept = _kept_dims(shape, axes)
    perm = kept + tuple(axes)
    n = int(np.prod([shape[a] for a in axes], dtype=np.int64))
    flat_shape = tuple(shape[k] for k in kept) + (n,)
    xf = reshape(transpose(x, perm), flat_shape)
    tf = reshape(transpose(t, perm), flat_shape)
    last = len(flat_shape) - 1
    left = _exclusive_cumprod(xf, last, reverse=False)
    right = _exclusive_cumprod(xf, last, reverse=True)
    return [ans], [reduce_sum_p.bind(lax.mul(tf, lax.mul(left, right)), axes=(last,))]


def _exclusive_cumprod(x, axis, reverse):
    from jaxlite._src.lax.structural import pad, slice_in_dim
    n = get_aval(x).shape[axis]
    c = cumprod(x, axis, reverse=reverse)
    cfg = [(0, 0, 0)] * get_aval(x).ndim
    if reverse:
        cfg[axis] = (0, 1, 0)
        return pad(slice_in_dim(c, 1, n, axis=axis), 1, cfg)
    cfg[axis] = (1, 0, 0)
    return pad(slice_in_dim(c, 0, n - 1, axis=axis), 1, cfg)


ad.jvp_rules[reduce_prod_p] = _reduce_prod_jvp

# ---- argmax / argmin ------------------------------------------------------------------------------

argmax_p = Primitive("argmax")
argmin_p = Primitive("argmin")


def _arg_abstract(x, axes, index_dtype, compare="gt"):
    if np.dtype(x.dtype).kind == "c":  # (XLA's argmax/argmin compare with gt/lt, which take no complex)
        raise TypeError(f"{compare} does not accept dtype {np.dtype(x.dtype).name} at position 0. Accepted dtypes "
                        "at position 0 are subtypes of integer, floating, bool.")
    if len(axes) != 1 or not 0 <= axes[0] < x.ndim:
        raise ValueError(f"Invalid axes {axes} for operand of shape {x.shape}")
    if x.shape[axes[0]] == 0:
        raise ValueError("attempt to get argmax/argmin of an empty sequence")
    return [ShapedArray(tuple(d for i, d in enumerate(x.shape) if i != axes[0]), index_dtype)]


for _p, _f in ((argmax_p, np.argmax), (argmin_p, np.argmin)):
    abstract_eval_rules[_p] = functools.partial(_arg_abstract, compare="gt" if _p is argmax_p else "lt")
    cpu.kernels[_p] = (lambda f: lambda x, axes, index_dtype: f(x, axis=axes[0]).astype(index_dtype))(_f)
    batching.vmap_rules[_p] = (lambda p: lambda n, vals, dims, axes, index_dtype: (
        [p.bind(batching.moveaxis(vals[0], dims[0], 0), axes=(axes[0] + 1,), index_dtype=index_dtype)], [0]))(_p)
    ad.nondiff.add(_p)


def argmax(x, axis: int, index_dtype=dtypes.int32):
    if not 0 <= int(axis) < np.ndim(x):
        raise ValueError(f"Invalid axis {axis} for operand shape {np.shape(x)}")
    x = lax._as_array(x)
    return argmax_p.bind(x, axes=(int(axis) % get_aval(x).ndim,), index_dtype=np.dtype(index_dtype))


def argmin(x, axis: int, index_dtype=dtypes.int32):
    if not 0 <= int(axis) < np.ndim(x):
        raise ValueError(f"Invalid axis {axis} for operand shape {np.shape(x)}")
    x = lax._as_array(x)
    return argmin_p.bind(x, axes=(int(axis) % get_aval(x).ndim,), index_dtype=np.dtype(index_dtype))


# ---- cumulative ops -------------------------------------------------------------------------------


def _cum_kernel(fn):
    def kernel(x, axis, reverse):
        if reverse:
            x = np.flip(x, axis)
        out = fn(x, axis=axis)
        return np.flip(out, axis) if reverse else out
    return kernel


def _make_cum(name, fn):
    p = Primitive(name)
    abstract_eval_rules[p] = lambda x, axis, reverse: [x]
    cpu.kernels[p] = _cum_kernel(fn)
    batching.vmap_rules[p] = lambda n, vals, dims, axis, reverse: (
        [p.bind(batching.moveaxis(vals[0], dims[0], 0), axis=axis + 1, reverse=reverse)], [0])
    return p


cumsum_p = _make_cum("cumsum", lambda x, axis: np.cumsum(x, axis=axis, dtype=x.dtype))
cumprod_p = _make_cum("cumprod", lambda x, axis: np.cumprod(x, axis=axis, dtype=x.dtype))
def _xla_scan_rows(combine, ident, x, reverse):
    """Inclusive scan of each row of x (rows, n) in XLA's CPU order, which decides where NaNs of a
    complex max/min end up: rows of up to 16 fold each prefix (suffix, reversed: still in index
    order) from the identity; longer ones scan blocks of 16 (the last padded with the identity),
    scan the blocks' totals the same way, and combine each element's in-block fold with the total
    of the blocks before it (after it, reversed)."""
    rows, n = x.shape
    ident_col = np.full((rows,), ident, x.dtype)
    if n <= 16:
        out = np.empty_like(x)
        for p in range(n):
            acc = ident_col
            for k in (range(p + 1) if not reverse else range(p, n)):
                acc = combine(acc, x[:, k])
            out[:, p] = acc
        return out
    nb = -(-n // 16)
    padded = np.concatenate([x, np.repeat(ident_col[:, None], nb * 16 - n, 1)], 1)
    inner = _xla_scan_rows(combine, ident, padded.reshape(rows * nb, 16), reverse).reshape(rows, nb, 16)
    totals = _xla_scan_rows(combine, ident, np.ascontiguousarray(inner[:, :, 0 if reverse else 15]), reverse)
    carry = (np.concatenate([totals[:, 1:], ident_col[:, None]], 1) if reverse
             else np.concatenate([ident_col[:, None], totals[:, :-1]], 1))
    return combine(inner, carry[:, :, None]).reshape(rows, nb * 16)[:, :n]


def _cum_extreme(greater: bool):
    """cummax/cummin: numpy's accumulate for reals; complex numbers by XLA's lexicographic rule in
    XLA's order (numpy's accumulate propagates NaNs where XLA keeps the later element)."""
    real = _cum_kernel(lambda x, axis: (np.maximum if greater else np.minimum).accumulate(x, axis=axis))
    pick = lax._lex_pick(greater)
    ident = complex(-np.inf, 0) if greater else complex(np.inf, 0)

    def kernel(x, axis, reverse):
        if x.dtype.kind != "c" or x.size == 0:
            return real(x, axis, reverse)
        moved = np.moveaxis(x, axis, -1)
        with np.errstate(invalid="ignore"):
            out = _xla_scan_rows(pick, ident, moved.reshape(-1, moved.shape[-1]), reverse)
        return np.moveaxis(out.reshape(moved.shape), -1, axis)
    return kernel


cummax_p = _make_cum("cummax", lambda x, axis: np.maximum.accumulate(x, axis=axis))
cummin_p = _make_cum("cummin", lambda x, axis: np.minimum.accumulate(x, axis=axis))
cpu.kernels[cummax_p], cpu.kernels[cummin_p] = _cum_extreme(True), _cum_extreme(False)

ad.jvp_rules[cumsum_p] = lambda p, t, axis, reverse: ([cumsum_p.bind(p[0], axis=axis, reverse=reverse)],
                                                      [cumsum_p.bind(t[0], axis=axis, reverse=reverse)])
ad.transpose_rules[cumsum_p] = lambda ct, x, axis, reverse: [cumsum_p.bind(ct, axis=axis, reverse=not reverse)]


def _cumprod_jvp(primals, tangents, axis, reverse):
    # out_i = prod_{j<=i} x_j; d out_i = sum_{k<=i} t_k prod_{j<=i, j!=k} x_j. Computed by
    # differentiating a masked product, exact at zeros: O(n^2) in the scanned axis length.
    (x,), (t,) = primals, tangents
    ans = cumprod_p.bind(x, axis=axis, reverse=reverse)
    shape = get_aval(x).shape
    n = shape[axis]
    from jaxlite._src.lax.structural import broadcasted_iota, expand_dims
    nd = len(shape)
    # Pairs (i, k) along a new trailing axis pair: include x_j for j<=i (j>=i when reversed).
    big = shape + (n,)
    xi = broadcast_in_dim(x, big, tuple(range(nd)))
    ti = broadcast_in_dim(t, big, tuple(range(nd)))
    j = broadcasted_iota(dtypes.int32, big, axis)
    i = broadcasted_iota(dtypes.int32, big, nd)
    inside = lax.ge(j, i) if reverse else lax.le(j, i)
    ones = lax.full(big, 1, get_aval(x).dtype)
    zeros = lax.full(big, 0, get_aval(x).dtype)
    masked_x = lax.select_n(inside, ones, xi)
    masked_t = lax.select_n(inside, zeros, ti)
    _, tan = _reduce_prod_jvp([masked_x], [masked_t], (axis,))
    # tan has shape with `axis` removed and trailing i: move i back to `axis`.
    perm = list(range(nd - 1))
    perm.insert(axis, nd - 1)
    return [ans], [transpose(tan[0], tuple(perm))]


ad.jvp_rules[cumprod_p] = _cumprod_jvp


def _cumextreme_jvp(prim):
    def rule(primals, tangents, axis, reverse):
        # Each output takes the tangent of the element that set the running extremum: the latest
        # position j (in scan order) with x[j] == ans[j].
        (x,), (t,) = primals, tangents
        ans = prim.bind(x, axis=axis, reverse=reverse)
        shape = get_aval(x).shape
        from jaxlite._src.lax.slicing import take_along_axis
        from jaxlite._src.lax.structural import broadcasted_iota
        idx = broadcasted_iota(dtypes.int32, shape, axis)
        hit = lax.eq(x, ans)
        if reverse:
            src = cummin_p.bind(lax.select_n(hit, lax.full(shape, shape[axis], dtypes.int32), idx),
                                axis=axis, reverse=True)
        else:
            src = cummax_p.bind(lax.select_n(hit, lax.full(shape, -1, dtypes.int32), idx),
                                axis=axis, reverse=False)
        return [ans], [take_along_axis(t, src, axis)]
    ad.jvp_rules[prim] = rule


_cumextreme_jvp(cummax_p)
_cumextreme_jvp(cummin_p)


def _cumulative(prim):
    def f(x, axis=0, reverse=False):
        x = lax._as_array(x)
        return prim.bind(x, axis=int(axis) % max(get_aval(x).ndim, 1), reverse=bool(reverse))
    f.__name__ = prim.name
    return f


cumsum, cumprod, cummax, cummin = map(_cumulative, (cumsum_p, cumprod_p, cummax_p, cummin_p))

# vmap of custom_vjp sums the cotangents of unbatched inputs; registered so batching.py need not import lax.
ad_util.register_ops(reduce_sum=reduce_sum)
