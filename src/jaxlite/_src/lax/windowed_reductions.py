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

from jaxlite._src import ad, batching, core, partial_eval as pe, tree_util
from jaxlite._src.backends import cpu
from jaxlite._src.core import Primitive, ShapedArray, abstract_eval_rules, get_aval
from jaxlite._src.lax import composite, lax, reductions
from jaxlite._src.lax.convolution import _vjp_lhs_padding, padtype_to_pads
from jaxlite._src.lax.structural import _pad_kernel, broadcast_in_dim, concatenate, pad, reshape, slice, transpose


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


# The derivative of max/min pooling, as JAX's: the tangent at the window position chosen by
# select_prim (ge: the max, le: the min) is gathered (select_and_gather_add); its transpose scatters
# the cotangent there (select_and_scatter_add). Unlike JAX's, select_and_scatter_add keeps the
# dilation params too.

def _select_and_gather_add(t, x, select_prim, **params):
    name = "max" if select_prim is lax.ge_p else "min"
    dt = get_aval(x).dtype
    ans = (reduce_window_max_p if name == "max" else reduce_window_min_p).bind(x, **params)
    xs = _patches(x, _identity(name, dt), **params)
    ts = _patches(t, np.zeros((), get_aval(t).dtype), **params)
    # The first window position equal to the answer wins (NaN: the first NaN).
    found = lax.full(get_aval(ans).shape, False)
    t_out = lax.full(get_aval(ans).shape, 0, get_aval(t).dtype) if not ts else None
    is_nan = lax.ne(ans, ans) if dt.kind == "f" else None
    for xk, tk in zip(xs, ts):
        hit = lax.eq(xk, ans)
        if is_nan is not None:
            hit = lax.bitwise_or(hit, lax.bitwise_and(is_nan, lax.ne(xk, xk)))
        take = lax.bitwise_and(hit, lax.bitwise_not(found))
        found = lax.bitwise_or(found, hit)
        t_out = tk if t_out is None else lax.select_n(take, t_out, tk)
    return t_out


def _select_and_scatter_add(source, operand, **params):
    avals = [get_aval(operand), get_aval(operand)]
    closed = composite.decomposition(select_and_gather_add_p, avals, params)
    return ad.transposed_fn(closed, [True, False], avals)(operand, source)[0]


def _operand_transpose(prim):
    def rule(ct, source, operand, **params):
        if ad.is_undefined_primal(operand):
            raise NotImplementedError(f"{prim} is not linear in its operand")
        return [prim.bind(ct, operand, **params), None]
    return rule


def _window_vmap(prim):
    """Batch axes to the front of every operand, and a window of one over them."""
    def rule(axis_size, vals, dims, window_dimensions, window_strides, padding, base_dilation, window_dilation,
             **params):
        vals = [batching.move_batch_axis(axis_size, d, 0, v) if get_aval(v).ndim + (d is None) > 1 or d is not None
                else v for v, d in zip(vals, dims)]
        out = prim.bind(*vals, window_dimensions=(1, *window_dimensions), window_strides=(1, *window_strides),
                        padding=((0, 0), *padding), base_dilation=(1, *base_dilation),
                        window_dilation=(1, *window_dilation), **params)
        return (out, [0] * len(out)) if prim.multiple_results else ([out], [0])
    return rule


select_and_gather_add_p = composite.def_composite(
    "select_and_gather_add", _select_and_gather_add, linear_args=(0,))
select_and_scatter_add_p = composite.def_composite(
    "select_and_scatter_add", _select_and_scatter_add, linear_args=(0,),
    transpose=_operand_transpose(select_and_gather_add_p))
ad.transpose_rules[select_and_gather_add_p] = _operand_transpose(select_and_scatter_add_p)
batching.vmap_rules[select_and_gather_add_p] = _window_vmap(select_and_gather_add_p)
batching.vmap_rules[select_and_scatter_add_p] = _window_vmap(select_and_scatter_add_p)


def _select_and_scatter(source, operand, init_value, **params):
    out = select_and_scatter_add_p.bind(source, operand, **params)
    return lax.add(out, broadcast_in_dim(init_value, get_aval(out).shape, ()))


# XLA's SelectAndScatter with JAX's select_prim and addition as the scatter computation (JAX's
# params hold both computations as jaxprs).
select_and_scatter_p = composite.def_composite("select_and_scatter", _select_and_scatter)


def _chooser_jvp(prim, select_prim):
    def rule(primals, tangents, **params):
        (x,), (t,) = primals, tangents
        return [prim.bind(x, **params)], [select_and_gather_add_p.bind(t, x, select_prim=select_prim, **params)]
    ad.jvp_rules[prim] = rule


_chooser_jvp(reduce_window_max_p, lax.ge_p)
_chooser_jvp(reduce_window_min_p, lax.le_p)


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
    closed = _scalar_jaxpr(computation, tree, [get_aval(o).dtype for o in flat_ops])
    outs = reduce_window_p.bind(*flat_ops, *inits, jaxpr=closed, consts=(), **params)
    return tree_util.tree_unflatten(tree, outs)


def _reduce_window(*args, jaxpr, consts, **params):
    """The window patches folded in order through the computation."""
    n = len(args) // 2
    flat_ops, inits = args[:n], args[n:]
    combine = _elementwise(jaxpr)
    patches = [_patches(o, i, **params) for o, i in zip(flat_ops, inits)]
    out_shape = reduce_window_shape_tuple(get_aval(flat_ops[0]).shape, **params)
    acc = [broadcast_in_dim(i, out_shape, ()) for i in inits]
    for k in range(len(patches[0])):
        acc = combine(*acc, *[p[k] for p in patches])
    return acc


_scalar_jaxprs: dict = {}  # (computation, tree, dtypes) -> ClosedJaxpr: one jaxpr (one params value) per function


def _scalar_jaxpr(computation, tree, dts) -> core.ClosedJaxpr:
    """The computation traced on scalars, flat: (*accumulators, *values) -> accumulators."""
    key = (computation, tree, tuple(dts))
    closed = _scalar_jaxprs.get(key)
    if closed is None:
        n = len(dts)

        def flat(*xs):
            acc, vals = (tree_util.tree_unflatten(tree, list(v)) for v in (xs[:n], xs[n:]))
            res = computation(acc, vals)
            return [lax.convert_element_type(lax._as_array(r), dt) for r, dt in zip(tree_util.tree_leaves(res), dts)]
        closed = pe.make_closed_jaxpr(flat, [core.ShapedArray((), dt) for dt in (*dts, *dts)])
        if len(_scalar_jaxprs) > 1024:  # lambdas made anew per call: start over
            _scalar_jaxprs.clear()
        _scalar_jaxprs[key] = closed
    return closed


def _elementwise(closed: core.ClosedJaxpr):
    """A jaxpr over scalars applied to every element of equally shaped arrays (through vmap)."""
    def f(*xs):
        shape = get_aval(xs[0]).shape
        size = math.prod(shape)
        flat = [reshape(x, (size,)) for x in xs]
        outs, dims = batching.vmap_flat(lambda *a: pe.closed_call(closed, a), [0] * len(flat), size, flat)
        return [reshape(batching.move_batch_axis(size, d, 0, o), shape) for o, d in zip(outs, dims)]
    return f


reduce_window_p = composite.def_composite("reduce_window", _reduce_window, multiple_results=True)
batching.vmap_rules[reduce_window_p] = _window_vmap(reduce_window_p)


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
    inits = [lax.convert_element_type(i, get_aval(o).dtype) for i, o in zip(flat_inits, flat_ops)]
    closed = _scalar_jaxpr(computation, tree, [get_aval(o).dtype for o in flat_ops])
    outs = reduce_p.bind(*flat_ops, *inits, computation=computation, jaxpr=closed, dimensions=dims)
    return tree_util.tree_unflatten(tree, outs)


def _reduce(*args, computation, jaxpr, dimensions):
    n_ops = len(args) // 2
    flat_ops, inits = args[:n_ops], args[n_ops:]
    shape, dims = get_aval(flat_ops[0]).shape, dimensions
    kept = [d for d in range(len(shape)) if d not in dims]
    n = math.prod(shape[d] for d in dims)
    rest = tuple(shape[d] for d in kept)
    xs = [reshape(transpose(o, tuple(kept) + dims), rest + (n,)) for o in flat_ops]
    last = len(rest)
    elementwise = _elementwise(jaxpr)

    def combine(a, b):
        return elementwise(*a, *b)
    if n == 0:
        return [lax.full(rest, i) for i in inits]
    while n > 1:
        half = n // 2
        lo = [_take(x, 0, half, last) for x in xs]
        hi = [_take(x, half, 2 * half, last) for x in xs]
        merged = combine(lo, hi)
        if n % 2:
            merged = [concatenate([m, _take(x, 2 * half, n, last)], last) for m, x in zip(merged, xs)]
        xs, n = merged, half + n % 2
    xs = [reshape(x, rest) for x in xs]
    return combine([lax.full(rest, i) for i in inits], xs)


def _reduce_vmap(axis_size, vals, dims, computation, jaxpr, dimensions):
    n = len(vals) // 2
    if any(d is not None for d in dims[n:]):  # batched init values: through the decomposition
        return batching.vmap_flat(lambda *a: _reduce(*a, computation=computation, jaxpr=jaxpr, dimensions=dimensions),
                                  dims, axis_size, vals)
    ops = [batching.move_batch_axis(axis_size, d, 0, v) for v, d in zip(vals[:n], dims[:n])]
    outs = reduce_p.bind(*ops, *vals[n:], computation=computation, jaxpr=jaxpr,
                         dimensions=tuple(d + 1 for d in dimensions))
    return outs, [0] * len(outs)


# XLA's Reduce with a computation that is not a known monoid (those bind the reduce_* primitives).
reduce_p = composite.def_composite("reduce", _reduce, multiple_results=True, vmap=_reduce_vmap)


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
