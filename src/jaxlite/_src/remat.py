"""checkpoint / remat: save only the inputs of a function for the backward pass and recompute
its intermediates there, trading compute for memory (as jax.checkpoint)."""

from __future__ import annotations

import functools
from typing import Callable

from jaxlite._src import core, dispatch, jit, partial_eval as pe, tree_util
from jaxlite._src.core import ClosedJaxpr, JaxprEqn, Primitive

remat_p = Primitive("checkpoint", multiple_results=True)
core.abstract_eval_rules[remat_p] = lambda *avals, jaxpr, prevent_cse: list(jaxpr.out_avals)
dispatch.impl_rules[remat_p] = lambda *args, jaxpr, prevent_cse: pe.closed_call(jaxpr, args)
jit.register_call_rules(remat_p)


def _remat_partial_eval_jaxpr(eqn, unks_in):
    closed = eqn.params["jaxpr"]
    nc = len(closed.consts)
    j1, j2, out_unks, num_res = pe.partial_eval_jaxpr(closed.jaxpr, [False] * nc + unks_in)
    known_ins = [x for x, uk in zip(eqn.inputs, unks_in) if not uk]
    unknown_ins = [x for x, uk in zip(eqn.inputs, unks_in) if uk]
    consts = list(closed.consts)
    n_known_out = len(j1.outs) - num_res
    # Known side: only the known outputs (no residuals kept).
    j1_outs, _ = pe.dce_jaxpr(j1, [True] * n_known_out + [False] * num_res)
    known_avals = [core.raise_to_shaped(x.aval) for x in known_ins]

    def unknown_f(*args):
        k, u = args[:len(known_ins)], args[len(known_ins):]
        res = core.eval_jaxpr(j1, [*consts, *k])[n_known_out:]
        return core.eval_jaxpr(j2, [*res, *u])

    j_unknown = pe.make_closed_jaxpr(unknown_f, known_avals + [x.aval for x in unknown_ins])
    outs1, outs2 = core.partition_list(out_unks, eqn.out_binders)
    eqn1 = JaxprEqn(remat_p, [core.Literal(c) for c in consts] + known_ins,
                    dict(jaxpr=ClosedJaxpr(j1_outs, []), prevent_cse=eqn.params["prevent_cse"]), outs1)
    eqn2 = JaxprEqn(remat_p, known_ins + unknown_ins,
                    dict(jaxpr=j_unknown, prevent_cse=eqn.params["prevent_cse"]), outs2)
    return eqn1, eqn2, out_unks, [x for x in known_ins if isinstance(x, core.Var)]


pe.register_partial_eval(remat_p, _remat_partial_eval_jaxpr)


def checkpoint(fun: Callable, *, prevent_cse: bool = True, policy=None, static_argnums=()) -> Callable:
    static_argnums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    @functools.wraps(fun, updated=())
    def wrapped(*args, **kwargs):
        closed, out_tree, leaves = jit.trace_function(fun, args, kwargs, static_argnums)
        outs = remat_p.bind(*leaves, jaxpr=closed, prevent_cse=prevent_cse)
        return tree_util.tree_unflatten(out_tree, outs)

    return wrapped


remat = checkpoint
