"""Vectorisation (vmap).

vmap_rules[p](axis_size, vals_in, dims_in, **params) -> (vals_out, dims_out); a dim of None
(`not_mapped`) means the value carries no batch axis.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from typing import Callable

from jaxlite._src import ad_util, core, tree_util
from jaxlite._src.api_util import flatten_fun
from jaxlite._src.core import Trace, Tracer, get_aval

vmap_rules: dict = {}
# Collectives (psum, all_gather, ...) need to know which vmap they run under:
# collective_rules[p](trace, vals_in, dims_in, **params) -> (vals_out, dims_out), called by every
# BatchTrace, mapped operands or not (lax/parallel.py has them).
collective_rules: dict = {}
not_mapped = None


class _RuleState(threading.local):
    """The axis name of the BatchTrace whose rule is running, per thread (as core's trace state):
    a rule that re-batches a jaxpr (jit, scan, cond, custom_jvp) runs vmap_flat for the same axis,
    so collectives inside still find their name."""
    axis_name = None


_rule_state = _RuleState()
_INHERIT = object()


class BatchTracer(Tracer):
    __slots__ = ("val", "batch_dim")

    def __init__(self, trace, val, batch_dim):
        self._trace = trace
        self.val = val
        self.batch_dim = batch_dim

    @property
    def aval(self):
        aval = get_aval(self.val)
        if self.batch_dim is not_mapped:
            return aval
        shape = aval.shape[:self.batch_dim] + aval.shape[self.batch_dim + 1:]
        return core.ShapedArray(shape, aval.dtype, aval.weak_type)

    def full_lower(self):
        if self.batch_dim is not_mapped:
            return core.full_lower(self.val)
        return self


class BatchTrace(Trace):
    def pure(self, val):
        return BatchTracer(self, val, not_mapped)

    lift = pure

    @property
    def axis_size(self) -> int:
        return self.main.global_data[0]

    @property
    def axis_name(self):
        return self.main.global_data[1]

    def process_primitive(self, primitive, tracers, params):
        vals_in = [t.val for t in tracers]
        dims_in = [t.batch_dim for t in tracers]
        if primitive in collective_rules:
            vals_out, dims_out = collective_rules[primitive](self, vals_in, dims_in, **params)
            return [BatchTracer(self, x, d) for x, d in zip(vals_out, dims_out, strict=True)]
        if all(d is not_mapped for d in dims_in):
            outs = core.bind(primitive, *vals_in, **params)
            return [BatchTracer(self, x, not_mapped) for x in outs]
        rule = vmap_rules.get(primitive)
        if rule is None:
            raise NotImplementedError(f"Batching rule for '{primitive}' not implemented")
        with _naming(self.axis_name):
            vals_out, dims_out = rule(self.axis_size, vals_in, dims_in, **params)
        return [BatchTracer(self, x, d) for x, d in zip(vals_out, dims_out, strict=True)]

    # A custom_jvp/custom_vjp call under vmap stays a custom call: of the batched function with
    # batched rules, all with the batch axis in front.
    def process_custom_jvp(self, prim, fun, jvp, tracers, params):
        with _naming(self.axis_name):
            fun_b, jvp_b = batch_jvp_pair(fun, jvp, [t.batch_dim for t in tracers], self.axis_size)
            outs = core.bind_custom_jvp(prim, fun_b, jvp_b, [t.val for t in tracers])
        return [BatchTracer(self, o, 0) for o in outs]

    def process_custom_vjp(self, prim, fun, fwd, bwd, tracers, params):
        with _naming(self.axis_name):
            fun_b, fwd_b, bwd_b = batch_vjp_triple(fun, fwd, bwd, [t.batch_dim for t in tracers], self.axis_size)
            outs = core.bind_custom_vjp(prim, fun_b, fwd_b, bwd_b, [t.val for t in tracers])
        return [BatchTracer(self, o, 0) for o in outs]


@contextlib.contextmanager
def _naming(axis_name):
    prev, _rule_state.axis_name = _rule_state.axis_name, axis_name
    try:
        yield
    finally:
        _rule_state.axis_name = prev


def moveaxis(x, src: int, dst: int):
    if src == dst:
        return x
    perm = [i for i in range(get_aval(x).ndim) if i != src]
    perm.insert(dst, src)
    return ad_util.transpose(x, tuple(perm))


def move_batch_axis(axis_size: int, src, dst: int, x):
    """Put x's batch axis (src, or none) at dst, broadcasting unbatched values."""
    if src is not_mapped:
        aval = get_aval(x)
        shape = list(aval.shape)
        shape.insert(dst, axis_size)
        dims = tuple(i for i in range(len(shape)) if i != dst)
        return ad_util.broadcast_in_dim(x, tuple(shape), dims)
    return moveaxis(x, src, dst)


def _to_front(axis_size, outs, dims):
    return [move_batch_axis(axis_size, d, 0, o) for o, d in zip(outs, dims)]


def batch_jvp_pair(fun, jvp, dims, axis_size):
    """fun and its custom jvp rule, both vmapped over `dims`, outputs batched along axis 0."""
    def fun_b(*xs):
        return _to_front(axis_size, *vmap_flat(fun, dims, axis_size, xs))

    def jvp_b(primals, tangents):
        k = len(primals)

        def flat(*pt):
            po, to = jvp(list(pt[:k]), list(pt[k:]))
            return [*po, *to]
        outs = _to_front(axis_size, *vmap_flat(flat, list(dims) + list(dims), axis_size, [*primals, *tangents]))
        m = len(outs) // 2
        return outs[:m], outs[m:]

    return fun_b, jvp_b


def batch_vjp_triple(fun, fwd, bwd, dims, axis_size):
    """fun and its custom fwd/bwd rules, vmapped over `dims`; residuals and cotangents batched
    along axis 0."""
    def fun_b(*xs):
        return _to_front(axis_size, *vmap_flat(fun, dims, axis_size, xs))

    n_out = {}

    def fwd_b(*xs):
        def flat(*a):
            out, res = fwd(*a)
            n_out["out"] = len(out)
            return [*out, *res]
        outs = _to_front(axis_size, *vmap_flat(flat, dims, axis_size, xs))
        return outs[:n_out["out"]], outs[n_out["out"]:]

    def bwd_b(res, cts):
        k = len(res)

        def flat(*a):
            return bwd(list(a[:k]), list(a[k:]))
        outs = _to_front(axis_size, *vmap_flat(flat, [0] * (k + len(cts)), axis_size, [*res, *cts]))
        # Cotangents of unbatched inputs are summed over the batch (they were broadcast).
        return [o if d is not None else ad_util.reduce_sum(o, (0,)) for o, d in zip(outs, dims)]

    return fun_b, fwd_b, bwd_b


def vmap_flat(f: Callable, in_axes, axis_size: int, args, axis_name=_INHERIT):
    if axis_name is _INHERIT:
        axis_name = _rule_state.axis_name
    with core.new_main(BatchTrace, (axis_size, axis_name)) as main:
        trace = BatchTrace(main)
        tracers_in = [BatchTracer(trace, x, ax) if ax is not None else x for x, ax in zip(args, in_axes)]
        outs = f(*tracers_in)
        tracers_out = [core.full_raise(trace, out) for out in outs]
        vals_out = [t.val for t in tracers_out]
        dims_out = [t.batch_dim for t in tracers_out]
    return vals_out, dims_out


def broadcast_prefix(prefix, full, what: str) -> list:
    """One spec entry (int or None) per leaf of `full`, where `prefix` is a tree prefix of it."""
    out: list = []
    _prefix_entries(prefix, full, out, (prefix, full, what))
    return out


def _prefix_entries(p, f, out: list, context) -> None:
    if p is None or isinstance(p, int):
        out.extend([p] * len(tree_util.tree_leaves(f)))
        return
    prefix, full, what = context
    pt, pnode = tree_util._node_of(p)
    ft, fnode = tree_util._node_of(f)
    pkids, paux = pnode.to_iterable(p) if pnode is not None else ((), None)
    fkids, faux = fnode.to_iterable(f) if fnode is not None else ((), None)
    if pnode is None or pt is not ft or len(pkids) != len(fkids) or not tree_util._data_eq(paux, faux):
        raise ValueError(f"vmap {what} specification must be a tree prefix of the corresponding "
                         f"value, got specification {prefix} for value tree {tree_util.tree_structure(full)}.")
    for a, b in zip(pkids, fkids):
        _prefix_entries(a, b, out, context)


def vmap(fun: Callable, in_axes=0, out_axes=0, axis_name=None, axis_size: int | None = None,
         spmd_axis_name=None):
    core.check_callable(fun)
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if not (in_axes is None or isinstance(in_axes, (int, tuple, dict))):
        raise TypeError(f"vmap in_axes must be an int, None, or a tuple of entries corresponding to "
                        f"the positional arguments passed to the function, but got {in_axes}.")

    @functools.wraps(fun, updated=())
    def batched_fun(*args, **kwargs):
        if isinstance(in_axes, tuple) and len(in_axes) != len(args):
            raise ValueError(f"vmap in_axes must be an int, None, or a tuple of entries corresponding "
                             f"to the positional arguments passed to the function, but got "
                             f"len(in_axes)={len(in_axes)}, len(args)={len(args)}")
        spec = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
        # Keyword arguments are always mapped over their leading axis, as in JAX.
        args_flat, in_tree = tree_util.tree_flatten((args, kwargs))
        axes_flat = broadcast_prefix((spec, {k: 0 for k in kwargs}), (args, kwargs), "in_axes")
        axes_flat = [None if a is None else _canon_axis(a, get_aval(x).ndim, "in_axes")
                     for x, a in zip(args_flat, axes_flat)]
        sizes = {get_aval(x).shape[a] for x, a in zip(args_flat, axes_flat) if a is not None}
        if axis_size is not None:
            sizes.add(axis_size)
        if not sizes:
            raise ValueError("vmap must have at least one non-None value in in_axes")
        if len(sizes) > 1:
            lines = [f"  arg with shape {get_aval(x).shape} mapped over axis {a}" for x, a in
                     zip(args_flat, axes_flat) if a is not None]
            raise ValueError("vmap got inconsistent sizes for array axes to be mapped:\n" + "\n".join(lines))
        size = sizes.pop()

        f, out_tree, _ = flatten_fun(lambda a, k: fun(*a, **k), in_tree)
        vals_out, dims_out = vmap_flat(f, axes_flat, size, args_flat, axis_name)
        out_spec = broadcast_prefix(out_axes, tree_util.tree_unflatten(out_tree(), vals_out), "out_axes")
        outs = []
        for v, d, od in zip(vals_out, dims_out, out_spec):
            if od is None:
                if d is not not_mapped:
                    raise ValueError("vmap has mapped output but out_axes is None")
                outs.append(v)
            else:
                od = _canon_axis(od, get_aval(v).ndim + (1 if d is not_mapped else 0), "out_axes")
                outs.append(move_batch_axis(size, d, od, v))
        return tree_util.tree_unflatten(out_tree(), outs)

    return batched_fun


def _canon_axis(a: int, ndim: int, what: str) -> int:
    if not -ndim <= a < ndim:
        raise ValueError(f"vmap was requested to map its argument along axis {a}, which implies that "
                         f"its rank should be at least {a + 1 if a >= 0 else -a}, but is only {ndim} "
                         f"({what})")
    return a % ndim


vmap_rules[ad_util.stop_gradient_p] = lambda n, vals, dims: ([ad_util.stop_gradient_p.bind(vals[0])], dims)
