"""custom_vmap: a function with its own batching rule, and sequential_vmap (a rule that loops).

The function is staged as `custom_vmap_call`, a call primitive that carries the rule, so the rule
applies whenever vmap meets the call, also after jit has staged it. Differentiation goes through
the function itself (JAX instead builds a custom_vmap of the jvp whose rule is the jvp of the
rule; both give the same values for a consistent rule).
"""

from __future__ import annotations

import functools
from typing import Callable

from jaxlite._src import ad, batching, core, dispatch, partial_eval as pe, tree_util
from jaxlite._src.core import ClosedJaxpr, Primitive
from jaxlite._src.features import partial

custom_vmap_call_p = Primitive("custom_vmap_call", multiple_results=True)


@partial("under jvp and grad the function itself is differentiated and batched; the rule is used "
         "for vmap of the primal computation only")
class custom_vmap:
    def __init__(self, fun: Callable):
        functools.update_wrapper(self, fun, updated=())
        self.fun = fun
        self.vmap_rule = None

    def def_vmap(self, vmap_rule: Callable) -> Callable:
        """rule(axis_size, in_batched, *args) -> (out, out_batched); batched args have the batch
        axis first, in_batched/out_batched are pytrees of bools matching args/out."""
        self.vmap_rule = vmap_rule
        return vmap_rule

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args, **kwargs):
        if kwargs:
            raise TypeError("custom_vmap functions take positional arguments only")
        if self.vmap_rule is None:
            raise AttributeError(f"No batching rule defined for custom_vmap function {self.__name__} "
                                 "using def_vmap.")
        flat, in_tree = tree_util.tree_flatten(args)
        store = {}

        def fun_flat(*xs):
            out_flat, store["out_tree"] = tree_util.tree_flatten(self.fun(*tree_util.tree_unflatten(in_tree, xs)))
            return out_flat

        call = pe.make_closed_jaxpr(fun_flat, [core.raise_to_shaped(core.get_aval(x)) for x in flat])
        rule = _FlatRule(self.vmap_rule, in_tree, store["out_tree"])
        outs = custom_vmap_call_p.bind(*flat, call_jaxpr=call, rule=rule)
        return tree_util.tree_unflatten(store["out_tree"], outs)


class _FlatRule:
    """The user's rule on flat lists: (axis_size, batched flags, values) -> (outs, out flags)."""

    def __init__(self, rule, in_tree, out_tree):
        self.rule, self.in_tree, self.out_tree = rule, in_tree, out_tree

    def __call__(self, axis_size, in_batched, vals):
        args = tree_util.tree_unflatten(self.in_tree, vals)
        batched = list(tree_util.tree_unflatten(self.in_tree, in_batched))
        res = self.rule(axis_size, batched, *args)
        if not (isinstance(res, (tuple, list)) and len(res) == 2):
            raise TypeError("the vmap rule of a custom_vmap function must return a pair (outputs, "
                            "out_batched)")
        out, out_batched = res
        out_flat, tree = tree_util.tree_flatten(out)
        if tree != self.out_tree:
            raise ValueError(f"the vmap rule returned outputs of structure {tree}, but the function "
                             f"returns {self.out_tree}")
        flags = self.out_tree.flatten_up_to(out_batched) if not isinstance(out_batched, bool) \
            else [out_batched] * len(out_flat)
        return out_flat, [bool(f) for f in flags]


core.abstract_eval_rules[custom_vmap_call_p] = lambda *avals, call_jaxpr, rule: list(call_jaxpr.out_avals)
dispatch.impl_rules[custom_vmap_call_p] = lambda *args, call_jaxpr, rule: pe.closed_call(call_jaxpr, args)


def _custom_vmap_vmap(axis_size, vals, dims, call_jaxpr: ClosedJaxpr, rule):
    in_batched = [d is not batching.not_mapped for d in dims]
    vals = [batching.move_batch_axis(axis_size, d, 0, v) if b else v for v, d, b in zip(vals, dims, in_batched)]
    outs, out_batched = rule(axis_size, in_batched, vals)
    for o, b, a in zip(outs, out_batched, call_jaxpr.out_avals):
        want = ((axis_size,) + a.shape) if b else a.shape
        if core.get_aval(o).shape != want:
            raise ValueError(f"the vmap rule of a custom_vmap function returned an output of shape "
                             f"{core.get_aval(o).shape}, expected {want}")
    return outs, [0 if b else batching.not_mapped for b in out_batched]


def _custom_vmap_jvp(primals, tangents, call_jaxpr: ClosedJaxpr, rule):
    return ad.jvp_flat(lambda *a: pe.closed_call(call_jaxpr, a), primals, tangents)


batching.vmap_rules[custom_vmap_call_p] = _custom_vmap_vmap
ad.jvp_rules[custom_vmap_call_p] = _custom_vmap_jvp


def sequential_vmap(f: Callable) -> custom_vmap:
    """f with a vmap rule that applies f to each batch element in turn (`lax.map`, as JAX)."""
    f = custom_vmap(f)

    @f.def_vmap
    def rule(axis_size, in_batched, *args):
        from jaxlite._src.lax.control_flow import map as lax_map
        args_flat, tree = tree_util.tree_flatten(args)
        flags = tree.flatten_up_to(tuple(in_batched))

        def one(batched_vals):
            it = iter(batched_vals)
            xs = [next(it) if b else a for a, b in zip(args_flat, flags)]
            return f.fun(*tree_util.tree_unflatten(tree, xs))

        out = lax_map(one, [a for a, b in zip(args_flat, flags) if b])
        return out, tree_util.tree_map(lambda _: True, out)

    return f
