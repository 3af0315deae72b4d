"""custom_jvp and custom_vjp.

Each is bound through the trace stack (`process_custom_jvp` / `process_custom_vjp`), so the rule
applies whichever transformation meets it first: eval runs the function, jvp runs the rule,
vmap batches function and rule together, and jit stages out a call primitive that remembers
the rule for later differentiation. Reverse mode of custom_vjp goes through `custom_lin`, a
primitive linear in the tangents whose transpose is the user's bwd.
"""

from __future__ import annotations

import functools
import inspect
from typing import Callable

from jaxlite._src import ad, batching, core, dispatch, partial_eval as pe, tree_util
from jaxlite._src.api_util import flatten_fun
from jaxlite._src.core import Primitive


def _resolve_args(fun, args, kwargs):
    if not kwargs:
        return args
    try:
        ba = inspect.signature(fun).bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"custom derivative function called with arguments that do not match its "
                        f"signature: {e}") from None
    ba.apply_defaults()
    return ba.args + tuple(ba.kwargs.values()) if ba.kwargs else ba.args


def _split_nondiff(args, nondiff_argnums):
    nd = set(i % len(args) for i in nondiff_argnums) if args else set()
    static = {i: args[i] for i in nd}
    dyn = tuple(a for i, a in enumerate(args) if i not in nd)
    return static, dyn


def _merge(static, dyn, n):
    it = iter(dyn)
    return [static[i] if i in static else next(it) for i in range(n)]


# ---- custom_jvp ---------------------------------------------------------------------------------

custom_jvp_call_p = Primitive("custom_jvp_call", multiple_results=True)


class custom_jvp:
    def __init__(self, fun: Callable, nondiff_argnums=()):
        functools.update_wrapper(self, fun, updated=())
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.jvp = None

    def defjvp(self, jvp: Callable, symbolic_zeros: bool = False):
        self.jvp = jvp
        return jvp

    def defjvps(self, *jvps):
        """One function per positional argument: jvp_i(g_i, primal_out, *primals) -> tangent."""
        def jvp(primals, tangents):
            out = self.fun(*primals)
            t_out = None
            for f, t in zip(jvps, tangents):
                if f is None:
                    continue
                contrib = f(t, out, *primals)
                t_out = contrib if t_out is None else tree_util.tree_map(lambda a, b: a + b, t_out, contrib)
            if t_out is None:
                t_out = tree_util.tree_map(lambda o: ad.zeros_like(o), out)
            return out, t_out
        self.defjvp(jvp)

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args, **kwargs):
        if self.jvp is None:
            raise AttributeError(f"No JVP defined for custom_jvp function {self.__name__} using defjvp.")
        args = _resolve_args(self.fun, args, kwargs)
        static, dyn = _split_nondiff(args, self.nondiff_argnums)
        n = len(args)
        flat, in_tree = tree_util.tree_flatten(dyn)
        store = {}

        def fun_flat(*xs):
            out = self.fun(*_merge(static, tree_util.tree_unflatten(in_tree, xs), n))
            out_flat, store["out_tree"] = tree_util.tree_flatten(out)
            return out_flat

        def jvp_flat(primals, tangents):
            p = tree_util.tree_unflatten(in_tree, primals)
            t = tree_util.tree_unflatten(in_tree, tangents)
            nd_args = [static[i] for i in sorted(static)]
            out = self.jvp(*nd_args, tuple(p), tuple(t)) if static else self.jvp(tuple(p), tuple(t))
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError("Custom JVP rule must produce a pair (list or tuple of length two) "
                                "representing primal and tangent outputs.")
            po, to = out
            po_flat, ptree = tree_util.tree_flatten(po)
            to_flat, ttree = tree_util.tree_flatten(to)
            if ptree != ttree:
                raise TypeError(f"Custom JVP rule must produce primal and tangent outputs with equal "
                                f"container (pytree) structures, but got {ptree} and {ttree} respectively.")
            store.setdefault("out_tree", ptree)
            for a, b in zip(po_flat, to_flat):
                sa, sb = core.get_aval(a), core.get_aval(b)
                if sa.shape != sb.shape:
                    raise TypeError(f"Custom JVP rule must produce primal and tangent outputs with equal "
                                    f"shapes, but got {sa.shape} and {sb.shape}.")
            return po_flat, to_flat

        outs = bind_custom_jvp(fun_flat, jvp_flat, flat)
        return tree_util.tree_unflatten(store["out_tree"], outs)


def bind_custom_jvp(fun_flat, jvp_flat, args) -> list:
    return core.bind_custom_jvp(custom_jvp_call_p, fun_flat, jvp_flat, args)


core.abstract_eval_rules[custom_jvp_call_p] = lambda *avals, call_jaxpr, jvp: list(call_jaxpr.out_avals)
dispatch.impl_rules[custom_jvp_call_p] = lambda *args, call_jaxpr, jvp: pe.closed_call(call_jaxpr, args)


def _custom_jvp_call_jvp(primals, tangents, call_jaxpr, jvp):
    return jvp(list(primals), list(tangents))


def _custom_jvp_call_vmap(axis_size, vals, dims, call_jaxpr, jvp):
    fun_b, jvp_b = batching.batch_jvp_pair(lambda *xs: pe.closed_call(call_jaxpr, xs), jvp, dims, axis_size)
    return bind_custom_jvp(fun_b, jvp_b, vals), [0] * len(call_jaxpr.out_avals)


ad.jvp_rules[custom_jvp_call_p] = _custom_jvp_call_jvp
batching.vmap_rules[custom_jvp_call_p] = _custom_jvp_call_vmap


# ---- custom_vjp ---------------------------------------------------------------------------------

custom_vjp_call_p = Primitive("custom_vjp_call", multiple_results=True)
custom_lin_p = ad.custom_lin_p  # what custom_vjp becomes under jvp: defined in ad.py with its transpose


class custom_vjp:
    def __init__(self, fun: Callable, nondiff_argnums=()):
        functools.update_wrapper(self, fun, updated=())
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.fwd = self.bwd = None

    def defvjp(self, fwd: Callable, bwd: Callable, symbolic_zeros: bool = False, optimize_remat: bool = False):
        self.fwd, self.bwd = fwd, bwd

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args, **kwargs):
        if self.fwd is None:
            raise AttributeError(f"No VJP defined for custom_vjp function {self.__name__} using defvjp.")
        args = _resolve_args(self.fun, args, kwargs)
        static, dyn = _split_nondiff(args, self.nondiff_argnums)
        n = len(args)
        flat, in_tree = tree_util.tree_flatten(dyn)
        in_avals = [core.raise_to_shaped(core.get_aval(x)) for x in flat]
        store = {}
        nd_args = [static[i] for i in sorted(static)]

        def fun_flat(*xs):
            out = self.fun(*_merge(static, tree_util.tree_unflatten(in_tree, xs), n))
            out_flat, store["out_tree"] = tree_util.tree_flatten(out)
            return out_flat

        def fwd_flat(*xs):
            res = self.fwd(*_merge(static, tree_util.tree_unflatten(in_tree, xs), n))
            if not (isinstance(res, (tuple, list)) and len(res) == 2):
                raise TypeError("Custom VJP fwd rule must produce a pair (list or tuple of length two) "
                                "where the first element represents the primal output and the second "
                                "element represents residuals.")
            out, residuals = res
            out_flat, out_tree = tree_util.tree_flatten(out)
            store.setdefault("out_tree", out_tree)
            res_flat, store["res_tree"] = tree_util.tree_flatten(residuals)
            return out_flat, res_flat

        def bwd_flat(res_flat, cts_flat):
            residuals = tree_util.tree_unflatten(store["res_tree"], res_flat)
            cts = tree_util.tree_unflatten(store["out_tree"], cts_flat)
            cts_in = self.bwd(*nd_args, residuals, cts)
            if not isinstance(cts_in, tuple):
                raise TypeError(f"Custom VJP bwd rule must produce a tuple of length equal to the number of "
                                f"primal inputs, but got {type(cts_in).__name__}")
            if len(cts_in) != len(dyn):
                raise TypeError(f"Custom VJP bwd rule must produce a tuple of length equal to the number of "
                                f"primal inputs ({len(dyn)}), but got a tuple of length {len(cts_in)}")
            out = []
            for ct, arg in zip(cts_in, dyn):
                leaves = tree_util.tree_leaves(arg)
                if ct is None:
                    out += [None] * len(leaves)
                else:
                    out += tree_util.tree_structure(arg).flatten_up_to(ct)
            return [ad.zeros_like_aval(a) if c is None else c for c, a in zip(out, in_avals)]

        outs = bind_custom_vjp(fun_flat, fwd_flat, bwd_flat, flat)
        return tree_util.tree_unflatten(store["out_tree"], outs)


def bind_custom_vjp(fun_flat, fwd_flat, bwd_flat, args) -> list:
    return core.bind_custom_vjp(custom_vjp_call_p, fun_flat, fwd_flat, bwd_flat, args)


def _custom_lin_impl(*args, num_res, bwd, out_avals):
    raise TypeError("can't apply forward-mode autodiff (jvp) to a custom_vjp function.")


dispatch.impl_rules[custom_lin_p] = _custom_lin_impl


core.abstract_eval_rules[custom_vjp_call_p] = lambda *avals, call_jaxpr, fwd, bwd: list(call_jaxpr.out_avals)
dispatch.impl_rules[custom_vjp_call_p] = lambda *args, call_jaxpr, fwd, bwd: pe.closed_call(call_jaxpr, args)
ad.jvp_rules[custom_vjp_call_p] = lambda primals, tangents, call_jaxpr, fwd, bwd: ad.custom_vjp_jvp(
    fwd, bwd, primals, tangents)


def _custom_vjp_call_vmap(axis_size, vals, dims, call_jaxpr, fwd, bwd):
    fun_b, fwd_b, bwd_b = batching.batch_vjp_triple(lambda *xs: pe.closed_call(call_jaxpr, xs), fwd, bwd, dims,
                                             axis_size)
    return bind_custom_vjp(fun_b, fwd_b, bwd_b, vals), [0] * len(call_jaxpr.out_avals)


batching.vmap_rules[custom_vjp_call_p] = _custom_vjp_call_vmap


def _custom_lin_vmap(axis_size, vals, dims, num_res, bwd, out_avals):
    vals = [batching.move_batch_axis(axis_size, d, 0, v) for v, d in zip(vals, dims)]

    def bwd_b(res, cts):
        k = len(res)
        outs, odims = batching.vmap_flat(lambda *a: bwd(list(a[:k]), list(a[k:])), [0] * (k + len(cts)),
                                         axis_size, [*res, *cts])
        return [batching.move_batch_axis(axis_size, d, 0, o) for o, d in zip(outs, odims)]

    avals_b = tuple(a.update(shape=(axis_size,) + a.shape) for a in out_avals)
    return custom_lin_p.bind(*vals, num_res=num_res, bwd=bwd_b, out_avals=avals_b), [0] * len(out_avals)


batching.vmap_rules[custom_lin_p] = _custom_lin_vmap


# ---- custom_gradient and closure_convert ------------------------------------------------------


def custom_gradient(fun: Callable):
    """fun(*args) -> (out, vjp) with vjp(ct) -> cotangents of args: a custom_vjp whose residual is
    vjp traced to a jaxpr, so the values it closes over become residual arrays."""
    @custom_vjp
    def wrapped(*args, **kwargs):
        out, _ = fun(*args, **kwargs)
        return out

    def fwd(*args, **kwargs):
        out, rule = fun(*args, **kwargs)
        out_flat, out_tree = tree_util.tree_flatten((out,))
        store = {}

        def rule_flat(*cts_flat):
            cts_in = rule(*tree_util.tree_unflatten(out_tree, cts_flat))
            flat, store["in_tree"] = tree_util.tree_flatten(cts_in)
            return flat

        avals = [core.raise_to_shaped(core.get_aval(o)).strip_weak_type() for o in out_flat]
        jaxpr, consts = pe.trace_to_jaxpr(rule_flat, avals)
        run = functools.partial(_run_gradient_rule, jaxpr, store["in_tree"], out_tree)
        return out, tree_util.Partial(run, *consts)

    def bwd(res, cts):
        return res(cts)

    wrapped.defvjp(fwd, bwd)
    return wrapped


def _run_gradient_rule(jaxpr, in_tree, out_tree, *consts_and_cts):
    consts, cts = consts_and_cts[:-1], consts_and_cts[-1]
    cts_flat, tree = tree_util.tree_flatten((cts,))
    if tree != out_tree:
        raise TypeError(f"custom_gradient rule got cotangents of structure {tree}, expected {out_tree}")
    out = tree_util.tree_unflatten(in_tree, core.eval_jaxpr(jaxpr, [*consts, *cts_flat]))
    return (out,) if in_tree == tree_util.tree_structure(0) else tuple(out)


def closure_convert(fun: Callable, *example_args):
    """(converted, consts): converted(*args, *consts) computes fun(*args), with the traced values
    fun closes over hoisted into consts, so a custom_vjp/custom_jvp of converted can differentiate
    with respect to them."""
    flat, in_tree = tree_util.tree_flatten(example_args)
    flat_fun, out_tree_of, _ = flatten_fun(fun, in_tree)
    avals = [core.raise_to_shaped(core.get_aval(x)) for x in flat]
    jaxpr, consts = pe.trace_to_jaxpr(flat_fun, avals)
    hoist = [isinstance(c, core.Tracer) for c in consts]
    hoisted = [c for c, h in zip(consts, hoist) if h]
    out_tree = out_tree_of()

    def converted(*args_and_consts):
        n = len(args_and_consts) - len(hoisted)
        args, extra = args_and_consts[:n], iter(args_and_consts[n:])
        all_consts = [next(extra) if h else c for c, h in zip(consts, hoist)]
        args_flat, tree = tree_util.tree_flatten(tuple(args))
        if tree != in_tree:
            raise TypeError("The inputs to the closure produced by closure_convert must have the same Pytree "
                            f"structure as the example arguments passed when closure_convert was called. "
                            f"Expected {in_tree}, but got {tree}")
        return tree_util.tree_unflatten(out_tree, core.eval_jaxpr(jaxpr, [*all_consts, *args_flat]))

    return converted, hoisted
