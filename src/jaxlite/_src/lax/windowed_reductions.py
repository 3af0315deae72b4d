"""Window reductions: reduce_window_{sum,max,min} primitives, the generic reduce_window, and the
generic lax.reduce.

A window of output position o along a dimension covers positions o*stride + k*window_dilation
(k < window size) of the operand after padding and base dilation (interior padding with the init
value). The max/min jvp picks, in each window, the tangent at the first position (window order)
holding the extremum, as XLA's select_and_gather_add does; it is built from strided slices of the
padded operand ("patches"), so its transpose (select_and_scatter_add) comes from theirs.
"""

from __future__ import annotations

import builtins
import itertools
import math

import numpy as np

from jaxlite._src import ad, batching, core, tree_util
from jaxlite._src.backends import cpu
from jaxlite._src.core import Primitive, ShapedArray, abstract_eval_rules, get_aval
from jaxlite._src.lax import lax, reductions
from jaxlite._src.lax.convolution import _vjp_lhs_padding, padtype_to_pads
from jaxlite._src.lax.structural import _pad_kernel, concatenate, pad, reshape, slice, transpose


def _dilated(n, d):
    return 0 if n == 0 else (n - 1) * d + 1


def reduce_window_shape_tuple(operand_shape, window_dimensions, window_strides, padding, base_dilation=None,
                              window_dilation=None):
    nd = len(operand_shape)
    base_dilation = base_dilation or (1,) * nd
    window_dilation = window_dilation or (1,) * nd
    out = []
    for n, w, s, (lo, hi), bd, wd in zip(operand_shape, window_dimensions, window_strides, padding,
                                         base_dilation, window_dilation):
        padded = _dilated(n, bd) + lo + hi
        span = _dilated(w, wd)
        out.append(max((padded - span) // s + 1, 0) if padded >= span else 0)
    return tuple(out)


def _check(x, window_dimensions, window_strides, padding, base_dilation, window_dilation):
    nd = x.ndim
    for what, v in (("window_dimensions", window_dimensions), ("window_strides", window_strides),
                    ("padding", padding), ("base_dilation", base_dilation), ("window_dilation", window_dilation)):
        if len(v) != nd:
            raise TypeError(f"reduce_window: {what} {v} must have one entry per operand dimension "
                            f"(operand shape {x.shape})")
    for what, v in (("window_dimensions", window_dimensions), ("window_strides", window_strides),
                    ("base_dilation", base_dilation), ("window_dilation", window_dilation)):
        if any(e < 1 for e in v):
            raise TypeError(f"reduce_window: {what} must be positive, got {v}")


def _identity(name, dtype):
    dt = np.dtype(dtype)
    if name == "sum":
        return np.zeros((), dt)
    return np.array(reductions._identity_max(dt) if name == "max" else reductions._identity_min(dt), dt)


def _window_kernel(name, combine):
    def kernel(x, window_dimensions, window_strides, padding, base_dilation, window_dilation):
        init = _identity(name, x.dtype)
        out_shape = reduce_window_shape_tuple(x.shape, window_dimensions, window_strides, padding, base_dilation,
                                              window_dilation)
        acc = np.full(out_shape, init, x.dtype)
        if acc.size == 0:
            return acc
        xp = _pad_kernel(x, init, [(lo, hi, bd - 1) for (lo, hi), bd in zip(padding, base_dilation)])
        for k in itertools.product(*map(range, window_dimensions)):
            sl = tuple(builtins.slice(kd * wd, kd * wd + (o - 1) * s + 1, s)
                       for kd, wd, o, s in zip(k, window_dilation, out_shape, window_strides))
            acc = combine(acc, xp[sl]).astype(x.dtype)
        return acc
    return kernel


def _make(name, kinds, combine):
    p = Primitive(f"reduce_window_{name}")

    def abstract(x, **params):
        if x.dtype.kind not in kinds:
            raise TypeError(f"reduce_window_{name} does not accept dtype {x.dtype.name}.")
        _check(x, **params)
        return [ShapedArray(reduce_window_shape_tuple(x.shape, **params), x.dtype, x.weak_type)]

    def vmap(axis_size, vals, dims, window_dimensions, window_strides, padding, base_dilation, window_dilation):
        x = batching.moveaxis(vals[0], dims[0], 0)
        return [p.bind(x, window_dimensions=(1, *window_dimensions), window_strides=(1, *window_strides),
                       padding=((0, 0), *padding), base_dilation=(1, *base_dilation),
                       window_dilation=(1, *window_dilation))], [0]
    abstract_eval_rules[p] = abstract
    cpu.kernels[p] = _window_kernel(name, combine)
    batching.vmap_rules[p] = vmap
    return p


reduce_window_sum_p = _make("sum", "iufc", np.add)
reduce_window_max_p = _make("max", "iufb", np.maximum)
reduce_window_min_p = _make("min", "iufb", np.minimum)

ad.jvp_rules[reduce_window_sum_p] = lambda p, t, **params: ([reduce_window_sum_p.bind(p[0], **params)],
                                                            [reduce_window_sum_p.bind(t[0], **params)])


def _reduce_window_sum_transpose(ct, x, window_dimensions, window_strides, padding, base_dilation,
                                 window_dilation):
    # Each operand element collects the cotangents of the windows that cover it: pad the
    # cotangent (strides become interior padding) and sum windows over it, with the base dilation
    # as the stride so only real operand positions are produced.
    in_shape = x.aval.shape
    ct_shape = get_aval(ct).shape
    pads = _vjp_lhs_padding(in_shape, window_dimensions, window_strides, ct_shape, padding, base_dilation,
                            window_dilation)
    padded = pad(ct, np.zeros((), get_aval(ct).dtype), [(lo, hi, s - 1) for (lo, hi), s in zip(pads, window_strides)])
    nd = len(in_shape)
    out = reduce_window_sum_p.bind(padded, window_dimensions=tuple(window_dimensions), window_strides=tuple(base_dilation),
                                   padding=((0, 0),) * nd, base_dilation=(1,) * nd,
                                   window_dilation=tuple(window_dilation))
    assert get_aval(out).shape == in_shape, (get_aval(out).shape, in_shape)
    return [out]


ad.transpose_rules[reduce_window_sum_p] = _reduce_window_sum_transpose


def _patches(x, init, window_dimensions, window_strides, padding, base_dilation, window_dilation):
    """One array of the output's shape per window offset k: element o holds the operand at window
    position k of window o (init where it falls into padding)."""
    out_shape = reduce_window_shape_tuple(get_aval(x).shape, window_dimensions, window_strides, padding,
                                          base_dilation, window_dilation)
    xp = pad(x, init, [(lo, hi, bd - 1) for (lo, hi), bd in zip(padding, base_dilation)])
    res = []
    for k in itertools.product(*map(range, window_dimensions)):
        start = [kd * wd for kd, wd in zip(k, window_dilation)]
        limit = [s0 + (o - 1) * s + 1 if o else s0 for s0, o, s in zip(start, out_shape, window_strides)]
        res.append(slice(xp, start, limit, window_strides))
    return res


def _chooser_jvp(prim, name):
    def rule(primals, tangents, **params):
        (x,), (t,) = primals, tangents
        ans = prim.bind(x, **params)
        dt = get_aval(x).dtype
        xs = _patches(x, _identity(name, dt), **params)
        ts = _patches(t, np.zeros((), get_aval(t).dtype), **params)
        # The first window position equal to the answer wins (NaN: the first NaN).
        found = lax.full(get_aval(ans).shape, False)
        t_out = lax.zeros_like_array(ans) if not ts else None
        is_nan = lax.ne(ans, ans) if dt.kind == "f" else None
        for xk, tk in zip(xs, ts):
            hit = lax.eq(xk, ans)
            if is_nan is not None:
                hit = lax.bitwise_or(hit, lax.bitwise_and(is_nan, lax.ne(xk, xk)))
            take = lax.bitwise_and(hit, lax.bitwise_not(found))
            found = lax.bitwise_or(found, hit)
            t_out = tk if t_out is None else lax.select_n(take, t_out, tk)
        return [ans], [t_out]
    ad.jvp_rules[prim] = rule


_chooser_jvp(reduce_window_max_p, "max")
_chooser_jvp(reduce_window_min_p, "min")


# ---- the public API -------------------------------------------------------------------------------


def _normalize(operand_shape, window_dimensions, window_strides, padding, base_dilation, window_dilation):
    nd = len(operand_shape)
    window_dimensions = tuple(int(w) for w in window_dimensions)
    window_strides = tuple(int(s) for s in window_strides)
    base_dilation = tuple(int(b) for b in base_dilation) if base_dilation is not None else (1,) * nd
    window_dilation = tuple(int(w) for w in window_dilation) if window_dilation is not None else (1,) * nd
    if isinstance(padding, str):
        dilated_shape = tuple(_dilated(n, b) for n, b in zip(operand_shape, base_dilation))
        dilated_window = tuple(_dilated(w, d) for w, d in zip(window_dimensions, window_dilation))
        padding = padtype_to_pads(dilated_shape, dilated_window, window_strides, padding)
    padding = tuple((int(lo), int(hi)) for lo, hi in padding)
    return dict(window_dimensions=window_dimensions, window_strides=window_strides, padding=padding,
                base_dilation=base_dilation, window_dilation=window_dilation)


_MONOIDS = {}  # computation -> (primitive, name), filled below


def _is_identity(v, name, dtype):
    if isinstance(v, core.Tracer):
        return False
    try:
        return bool(np.asarray(v, dtype) == _identity(name, dtype))
    except (TypeError, ValueError):
        return False


def reduce_window(operand, init_value, computation, window_dimensions, window_strides, padding,
                  base_dilation=None, window_dilation=None):
    """XLA's ReduceWindow: add/max/min with their identity as init value become the specific
    primitives; any other computation (and several operands) folds the window patches in order."""
    flat_ops, tree = tree_util.tree_flatten(operand)
    flat_inits, init_tree = tree_util.tree_flatten(init_value)
    if tree != init_tree:
        raise ValueError("reduce_window: operands and init_values must have the same tree structure")
    flat_ops = [lax._as_array(o) for o in flat_ops]
    shape = get_aval(flat_ops[0]).shape
    params = _normalize(shape, window_dimensions, window_strides, padding, base_dilation, window_dilation)
    monoid = _MONOIDS.get(computation)
    if len(flat_ops) == 1 and monoid is not None and _is_identity(flat_inits[0], monoid[1], get_aval(flat_ops[0]).dtype):
        return tree_util.tree_unflatten(tree, [monoid[0].bind(flat_ops[0], **params)])
    inits = [lax.convert_element_type(i, get_aval(o).dtype) for i, o in zip(flat_inits, flat_ops)]
    patches = [_patches(o, i, **params) for o, i in zip(flat_ops, inits)]
    out_shape = reduce_window_shape_tuple(shape, **params)
    acc = [lax.full(out_shape, i) for i in inits]
    for k in range(len(patches[0])):
        res = computation(tree_util.tree_unflatten(tree, acc), tree_util.tree_unflatten(tree, [p[k] for p in patches]))
        acc = tree_util.tree_leaves(res)
    return tree_util.tree_unflatten(tree, acc)


def _specific(prim):
    def f(operand, window_dimensions, window_strides, padding, base_dilation=None, window_dilation=None):
        x = lax._as_array(operand)
        return prim.bind(x, **_normalize(get_aval(x).shape, window_dimensions, window_strides, padding,
                                         base_dilation, window_dilation))
    f.__name__ = prim.name
    return f


reduce_window_sum = _specific(reduce_window_sum_p)
reduce_window_max = _specific(reduce_window_max_p)
reduce_window_min = _specific(reduce_window_min_p)
_MONOIDS.update({lax.add: (reduce_window_sum_p, "sum"), lax.max: (reduce_window_max_p, "max"),
                 lax.min: (reduce_window_min_p, "min")})


# ---- lax.reduce -----------------------------------------------------------------------------------

_REDUCE_MONOIDS = {lax.add: (reductions.reduce_sum, "sum"), lax.mul: (reductions.reduce_prod, "prod"),
                   lax.max: (reductions.reduce_max, "max"), lax.min: (reductions.reduce_min, "min")}


def _reduce_identity(name, dtype):
    dt = np.dtype(dtype)
    if name == "prod":
        return np.ones((), dt)
    if name == "and":
        return np.array(True if dt.kind == "b" else -1).astype(dt)
    if name in ("or", "xor"):
        return np.zeros((), dt)
    return _identity(name, dt)


def reduce(operands, init_values, computation, dimensions):
    """XLA's Reduce: monoids (add, mul, max, min, and/or/xor) with their identity as init value
    become reduce_* primitives; other computations combine halves pairwise (XLA assumes the
    computation is associative and commutative too), then the init value once."""
    flat_ops, tree = tree_util.tree_flatten(operands)
    flat_inits, init_tree = tree_util.tree_flatten(init_values)
    if tree != init_tree:
        raise ValueError("reduce: operands and init_values must have the same tree structure")
    flat_ops = [lax._as_array(o) for o in flat_ops]
    shape = get_aval(flat_ops[0]).shape
    dims = tuple(sorted(int(d) % max(len(shape), 1) for d in dimensions))
    monoid = _reduce_monoid(computation)
    if len(flat_ops) == 1 and monoid is not None and _is_reduce_identity(flat_inits[0], monoid[1], flat_ops[0]):
        return tree_util.tree_unflatten(tree, [monoid[0](flat_ops[0], dims)])
    kept = [d for d in range(len(shape)) if d not in dims]
    n = math.prod(shape[d] for d in dims)
    rest = tuple(shape[d] for d in kept)
    xs = [reshape(transpose(o, tuple(kept) + dims), rest + (n,)) for o in flat_ops]
    inits = [lax.convert_element_type(i, get_aval(o).dtype) for i, o in zip(flat_inits, flat_ops)]
    last = len(rest)

    def combine(a, b):
        return tree_util.tree_leaves(computation(tree_util.tree_unflatten(tree, a), tree_util.tree_unflatten(tree, b)))
    if n == 0:
        return tree_util.tree_unflatten(tree, [lax.full(rest, i) for i in inits])
    while n > 1:
        half = n // 2
        lo = [_take(x, 0, half, last) for x in xs]
        hi = [_take(x, half, 2 * half, last) for x in xs]
        merged = combine(lo, hi)
        if n % 2:
            merged = [concatenate([m, _take(x, 2 * half, n, last)], last) for m, x in zip(merged, xs)]
        xs, n = merged, half + n % 2
    xs = [reshape(x, rest) for x in xs]
    return tree_util.tree_unflatten(tree, combine([lax.full(rest, i) for i in inits], xs))


def _take(x, start, stop, axis):
    from jaxlite._src.lax.structural import slice_in_dim
    return slice_in_dim(x, start, stop, axis=axis)


def _reduce_monoid(computation):
    if computation in _REDUCE_MONOIDS:
        return _REDUCE_MONOIDS[computation]
    return {lax.bitwise_and: (reductions.reduce_and, "and"), lax.bitwise_or: (reductions.reduce_or, "or"),
            lax.bitwise_xor: (reductions.reduce_xor, "xor")}.get(computation)


def _is_reduce_identity(v, name, x):
    dt = get_aval(x).dtype
    if name in ("and", "or") and dt.kind != "b":
        return False  # reduce_and/or are boolean here; integer bitwise reductions take the tree
    if isinstance(v, core.Tracer):
        return False
    try:
        return bool(np.asarray(v).astype(dt) == _reduce_identity(name, dt))
    except (TypeError, ValueError):
        return False
