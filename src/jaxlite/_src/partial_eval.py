"""Building jaxprs: tracing to a jaxpr (jit, make_jaxpr) and partial evaluation (linearize, vjp).

Two traces, as in autodidax:
- JaxprTrace records every primitive applied to its tracers into a jaxpr (a "dynamic" trace:
  it also captures operations on values that do not depend on the inputs).
- PartialEvalTrace splits a computation into what can be computed now (known inputs) and a jaxpr
  of what must wait for the unknown inputs; linearize = jvp + partial eval of the tangents.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, NamedTuple

import numpy as np

from jaxlite._src import core, effects
from jaxlite._src.core import (ClosedJaxpr, Jaxpr, JaxprEqn, Literal, ShapedArray, Trace, Tracer, Var,
                               abstract_eval, get_aval, raise_to_shaped)

# ---- tracing to a jaxpr ---------------------------------------------------------------------------


class JaxprTracer(Tracer):
    __slots__ = ("_aval",)

    def __init__(self, trace, aval):
        self._trace = trace
        self._aval = aval

    @property
    def aval(self):
        return self._aval


class JaxprBuilder:
    def __init__(self):
        self.eqns: list[JaxprEqn] = []
        self.tracer_to_var: dict[int, Var] = {}
        self.const_tracers: dict[int, JaxprTracer] = {}
        self.constvals: dict[Var, Any] = {}
        self.tracers: list[JaxprTracer] = []

    def new_tracer(self, trace, aval) -> JaxprTracer:
        t = JaxprTracer(trace, aval)
        self.tracers.append(t)
        return t

    def add_var(self, tracer) -> Var:
        v = self.tracer_to_var[id(tracer)] = Var(tracer.aval)
        return v

    def getvar(self, tracer) -> Var:
        v = self.tracer_to_var.get(id(tracer))
        if v is None:
            raise core.UnexpectedTracerError(
                f"Encountered an unexpected tracer: {tracer}. It was created by another "
                "transformation that has finished (a leaked tracer); return it as an output instead.")
        return v

    def add_const(self, tracer, val) -> Var:
        var = self.add_var(tracer)
        self.const_tracers[id(val)] = tracer
        self.constvals[var] = val
        return var

    def release(self):
        # The builder holds its tracers, which hold their trace, whose main holds the builder: a
        # cycle that would keep the constants (device arrays) alive until a full collection.
        # A tracer that leaks out of the finished trace then finds no variable, as it should.
        self.tracers.clear()
        self.const_tracers.clear()
        self.constvals.clear()
        self.tracer_to_var.clear()

    def build(self, in_tracers, out_tracers) -> tuple[Jaxpr, list]:
        constvars, constvals = list(self.constvals.keys()), list(self.constvals.values())
        t2v = self.getvar
        in_binders = constvars + [t2v(t) for t in in_tracers]
        jaxpr = Jaxpr(in_binders, self.eqns, [t2v(t) for t in out_tracers])
        jaxpr, constvals = _inline_literals(jaxpr, constvals)
        return jaxpr, constvals


def _is_literal_const(val) -> bool:
    if isinstance(val, (bool, int, float, complex, np.generic)):
        return True
    shape = getattr(val, "shape", None)
    return shape == () and not isinstance(val, Tracer)


def _inline_literals(jaxpr: Jaxpr, consts) -> tuple[Jaxpr, list]:
    const_binders, other = core.split_list(jaxpr.in_binders, len(consts))
    scalars = [_is_literal_const(c) for c in consts]
    new_const_binders, lit_binders = core.partition_list(scalars, const_binders)
    new_consts, lit_vals = core.partition_list(scalars, consts)
    literals = {v: Literal(val, v.aval) for v, val in zip(lit_binders, lit_vals)}
    eqns = [JaxprEqn(e.primitive, [literals.get(x, x) if isinstance(x, Var) else x for x in e.inputs],
                     e.params, e.out_binders) for e in jaxpr.eqns]
    outs = [literals.get(x, x) if isinstance(x, Var) else x for x in jaxpr.outs]
    return Jaxpr(new_const_binders + other, eqns, outs), new_consts


class JaxprTrace(Trace):
    @property
    def builder(self) -> JaxprBuilder:
        return self.main.global_data

    def new_arg(self, aval) -> JaxprTracer:
        aval = raise_to_shaped(aval)
        tracer = self.builder.new_tracer(self, aval)
        self.builder.tracer_to_var[id(tracer)] = Var(aval)
        return tracer

    def get_or_make_const_tracer(self, val):
        tracer = self.builder.const_tracers.get(id(val))
        if tracer is None:
            tracer = self.builder.new_tracer(self, raise_to_shaped(get_aval(val)))
            self.builder.add_const(tracer, val)
        return tracer

    pure = lift = get_or_make_const_tracer

    def process_primitive(self, primitive, tracers, params):
        avals_in = [t.aval for t in tracers]
        avals_out = abstract_eval(primitive, avals_in, params)
        out_tracers = [self.builder.new_tracer(self, a) for a in avals_out]
        inputs = [self.builder.getvar(t) for t in tracers]
        outvars = [self.builder.add_var(t) for t in out_tracers]
        self.builder.eqns.append(JaxprEqn(primitive, inputs, params, outvars))
        return out_tracers

    # A custom_jvp/custom_vjp call is staged as one equation of `prim` holding the traced function
    # and the (untraced) rules, which a later jvp or transpose uses.
    def process_custom_jvp(self, prim, fun, jvp, tracers, params):
        call = make_closed_jaxpr(fun, [t.aval for t in tracers])
        return self.process_primitive(prim, tracers, dict(call_jaxpr=call, jvp=jvp))

    def process_custom_vjp(self, prim, fun, fwd, bwd, tracers, params):
        call = make_closed_jaxpr(fun, [t.aval for t in tracers])
        return self.process_primitive(prim, tracers, dict(call_jaxpr=call, fwd=fwd, bwd=bwd))


def trace_to_jaxpr(f: Callable, in_avals) -> tuple[Jaxpr, list]:
    """Trace flat f(*tracers) -> list of outputs to a jaxpr (first binders are the consts)."""
    builder = JaxprBuilder()
    with core.new_main(JaxprTrace, builder) as main:
        with core.new_dynamic(main):
            trace = JaxprTrace(main)
            try:
                tracers_in = [trace.new_arg(a) for a in in_avals]
                outs = f(*tracers_in)
                tracers_out = [core.full_raise(trace, out) for out in outs]
                jaxpr, consts = builder.build(tracers_in, tracers_out)
            finally:
                builder.release()
    return jaxpr, consts


def make_closed_jaxpr(f: Callable, in_avals) -> ClosedJaxpr:
    jaxpr, consts = trace_to_jaxpr(f, in_avals)
    return ClosedJaxpr(jaxpr, consts)


def closed_call(closed: ClosedJaxpr, args) -> list:
    return core.eval_jaxpr(closed.jaxpr, [*closed.consts, *args])


# ---- partial evaluation ---------------------------------------------------------------------------


class PartialVal(NamedTuple):
    aval: ShapedArray
    const: Any | None

    @classmethod
    def known(cls, val):
        return PartialVal(get_aval(val), val)

    @classmethod
    def unknown(cls, aval):
        return PartialVal(aval, None)

    is_known = property(lambda self: self.const is not None)
    is_unknown = property(lambda self: self.const is None)


class LambdaBindingRecipe(NamedTuple):
    pass


class ConstRecipe(NamedTuple):
    val: Any


class JaxprEqnRecipe(NamedTuple):
    prim: core.Primitive
    tracers_in: list
    params: dict
    avals_out: list
    tracer_refs_out: list


class PartialEvalTracer(Tracer):
    __slots__ = ("pval", "recipe")

    def __init__(self, trace, pval: PartialVal, recipe):
        self._trace = trace
        self.pval = pval
        self.recipe = recipe

    @property
    def aval(self):
        return self.pval.aval

    def full_lower(self):
        if self.pval.is_known:
            return core.full_lower(self.pval.const)
        return self

    def to_concrete_value(self):
        return to_concrete_value(self.pval.const) if self.pval.is_known else None


def to_concrete_value(x):
    """The concrete value behind x when it is known at trace time (a constant, the primal of a
    jvp of a concrete value), else None."""
    if not isinstance(x, Tracer):
        return x
    get = getattr(x, "to_concrete_value", None)
    return get() if get is not None else None


# Rules for primitives whose inner jaxprs can themselves be split (jit, control flow).
partial_eval_rules: dict = {}


class PartialEvalTrace(Trace):
    def new_arg(self, pval: PartialVal):
        return PartialEvalTracer(self, pval, LambdaBindingRecipe())

    def lift(self, val):
        return PartialEvalTracer(self, PartialVal.known(val), None)

    pure = lift

    def instantiate_const(self, tracer: PartialEvalTracer) -> PartialEvalTracer:
        if tracer.pval.is_unknown:
            return tracer
        pval = PartialVal.unknown(raise_to_shaped(tracer.aval))
        return PartialEvalTracer(self, pval, ConstRecipe(tracer.pval.const))

    def process_primitive(self, primitive, tracers, params):
        if all(t.pval.is_known for t in tracers):
            return core.bind(primitive, *(core.full_lower(t) for t in tracers), **params)
        rule = partial_eval_rules.get(primitive)
        if rule is not None:
            return rule(self, tracers, **params)
        return self.default_process_primitive(primitive, tracers, params)

    def default_process_primitive(self, primitive, tracers, params):
        tracers_in = [self.instantiate_const(t) for t in tracers]
        avals_out = abstract_eval(primitive, [t.aval for t in tracers_in], params)
        tracers_out = [PartialEvalTracer(self, PartialVal.unknown(a), None) for a in avals_out]
        eqn = JaxprEqnRecipe(primitive, tracers_in, params, avals_out, [weakref.ref(t) for t in tracers_out])
        for t in tracers_out:
            t.recipe = eqn
        return tracers_out

    # Known inputs are evaluated below with the rule still attached, so an outer jvp (grad of grad)
    # differentiates the custom rule, never the function. With unknown inputs jvp has already run,
    # and the function itself is what is traced.
    def process_custom_jvp(self, prim, fun, jvp, tracers, params):
        if all(t.pval.is_known for t in tracers):
            return core.bind_custom_jvp(prim, fun, jvp, [core.full_lower(t) for t in tracers])
        return fun(*tracers)

    def process_custom_vjp(self, prim, fun, fwd, bwd, tracers, params):
        if all(t.pval.is_known for t in tracers):
            return core.bind_custom_vjp(prim, fun, fwd, bwd, [core.full_lower(t) for t in tracers])
        return fun(*tracers)


def partial_eval_flat(f: Callable, pvals_in: list[PartialVal]):
    with core.new_main(PartialEvalTrace) as main:
        trace = PartialEvalTrace(main)
        tracers_in = [trace.new_arg(pval) for pval in pvals_in]
        outs = f(*tracers_in)
        tracers_out = [core.full_raise(trace, out) for out in outs]
        pvals_out = [t.pval for t in tracers_out]
        unk_tracers_in = [t for t in tracers_in if t.pval.is_unknown]
        unk_tracers_out = [t for t in tracers_out if t.pval.is_unknown]
        jaxpr, consts = tracers_to_jaxpr(unk_tracers_in, unk_tracers_out)
    return jaxpr, pvals_out, consts


def tracers_to_jaxpr(tracers_in, tracers_out) -> tuple[Jaxpr, list]:
    tracer_to_var = {id(t): Var(raise_to_shaped(t.aval)) for t in tracers_in}
    constvar_to_val: dict[Var, Any] = {}
    constid_to_var: dict[int, Var] = {}
    processed_eqns: set[int] = set()
    eqns: list[JaxprEqn] = []
    for t in toposort(tracers_out, tracer_parents):
        if isinstance(t.recipe, LambdaBindingRecipe):
            if id(t) not in tracer_to_var:
                raise core.UnexpectedTracerError(f"unexpected input tracer {t} during partial evaluation")
        elif isinstance(t.recipe, ConstRecipe):
            val = t.recipe.val
            var = constid_to_var.get(id(val))
            if var is None:
                aval = raise_to_shaped(get_aval(val))
                var = constid_to_var[id(val)] = Var(aval)
                constvar_to_val[var] = val
            tracer_to_var[id(t)] = var
        elif isinstance(t.recipe, JaxprEqnRecipe):
            if id(t.recipe) not in processed_eqns:
                eqns.append(_recipe_to_eqn(tracer_to_var, t.recipe))
                processed_eqns.add(id(t.recipe))
        else:
            raise TypeError(t.recipe)
    constvars, constvals = list(constvar_to_val), list(constvar_to_val.values())
    in_binders = constvars + [tracer_to_var[id(t)] for t in tracers_in]
    out_vars = [tracer_to_var[id(t)] for t in tracers_out]
    return Jaxpr(in_binders, eqns, out_vars), constvals


def _recipe_to_eqn(tracer_to_var, recipe: JaxprEqnRecipe) -> JaxprEqn:
    inputs = [tracer_to_var[id(t)] for t in recipe.tracers_in]
    out_binders = [Var(aval) for aval in recipe.avals_out]
    for t_ref, var in zip(recipe.tracer_refs_out, out_binders):
        t = t_ref()
        if t is not None:
            tracer_to_var[id(t)] = var
    return JaxprEqn(recipe.prim, inputs, recipe.params, out_binders)


def tracer_parents(t: PartialEvalTracer) -> list:
    return t.recipe.tracers_in if isinstance(t.recipe, JaxprEqnRecipe) else []


def toposort(out_nodes, parents):
    if not out_nodes:
        return []
    out_nodes = _remove_duplicates(out_nodes)
    child_counts: dict[int, int] = {}
    stack = list(out_nodes)
    while stack:
        node = stack.pop()
        if id(node) in child_counts:
            child_counts[id(node)] += 1
        else:
            child_counts[id(node)] = 1
            stack.extend(parents(node))
    for node in out_nodes:
        child_counts[id(node)] -= 1
    sorted_nodes = []
    childless = [n for n in out_nodes if not child_counts[id(n)]]
    while childless:
        node = childless.pop()
        sorted_nodes.append(node)
        for parent in parents(node):
            if child_counts[id(parent)] == 1:
                childless.append(parent)
            else:
                child_counts[id(parent)] -= 1
    return sorted_nodes[::-1]


def _remove_duplicates(lst):
    seen: set[int] = set()
    return [x for x in lst if id(x) not in seen and not seen.add(id(x))]


# ---- jaxpr utilities ------------------------------------------------------------------------------


def dce_jaxpr(jaxpr: Jaxpr, used_outputs: list[bool]) -> tuple[Jaxpr, list[bool]]:
    """Drop equations whose results are unused; returns the jaxpr and which inputs it still uses."""
    outs = [o for o, u in zip(jaxpr.outs, used_outputs) if u]
    live = {o for o in outs if isinstance(o, Var)}
    new_eqns = []
    for eqn in reversed(jaxpr.eqns):
        if any(v in live for v in eqn.out_binders) or eqn.primitive in effects.effectful:
            new_eqns.append(eqn)
            live.update(x for x in eqn.inputs if isinstance(x, Var))
    used_inputs = [v in live for v in jaxpr.in_binders]
    return Jaxpr(jaxpr.in_binders, new_eqns[::-1], outs), used_inputs


# ---- partial evaluation of a jaxpr (for higher-order primitives) ----------------------------------

# prim -> rule(eqn, in_unknowns) -> (eqn_known | None, eqn_unknown | None, out_unknowns, residual vars)
partial_eval_jaxpr_rules: dict = {}


def partial_eval_jaxpr(jaxpr: Jaxpr, in_unknowns: list[bool], instantiate: list[bool] | None = None):
    """Split jaxpr into jaxpr_known: known ins -> known outs + residuals, and jaxpr_unknown:
    residuals + unknown ins -> unknown outs. Returns (known, unknown, out_unknowns, num_res)."""
    env: dict[Var, bool] = {}
    residuals: dict[Var, None] = {}  # ordered set

    def read(x) -> bool:
        return isinstance(x, Var) and env[x]

    def write(unk: bool, v: Var) -> None:
        env[v] = unk

    def new_res(x):
        if isinstance(x, Var):
            residuals[x] = None
        return x

    eqns1, eqns2 = [], []
    for v, uk in zip(jaxpr.in_binders, in_unknowns, strict=True):
        write(uk, v)
    for eqn in jaxpr.eqns:
        unks_in = [read(x) for x in eqn.inputs]
        rule = partial_eval_jaxpr_rules.get(eqn.primitive)
        if rule is not None and any(unks_in):
            eqn1, eqn2, unks_out, res = rule(eqn, unks_in)
            if eqn1 is not None:
                eqns1.append(eqn1)
            eqns2.append(eqn2)
            for r in res:
                new_res(r)
            for v, uk in zip(eqn.out_binders, unks_out):
                write(uk, v)
        elif any(unks_in):
            for x, uk in zip(eqn.inputs, unks_in):
                if not uk:
                    new_res(x)
            eqns2.append(eqn)
            for v in eqn.out_binders:
                write(True, v)
        else:
            eqns1.append(eqn)
            for v in eqn.out_binders:
                write(False, v)
    out_unknowns = [read(x) for x in jaxpr.outs]
    if instantiate is not None:
        for x, inst in zip(jaxpr.outs, instantiate):
            if inst and not read(x):
                new_res(x)
        out_unknowns = [a or b for a, b in zip(out_unknowns, instantiate)]
    # Known inputs used directly by the unknown side are residuals too.
    residuals_list = [r for r in residuals if not (r in env and env[r])]
    ins1, ins2 = core.partition_list(in_unknowns, jaxpr.in_binders)
    outs1, outs2 = core.partition_list(out_unknowns, jaxpr.outs)
    jaxpr1 = Jaxpr(ins1, eqns1, outs1 + residuals_list)
    res_binders = [Var(r.aval) for r in residuals_list]
    rename = dict(zip(residuals_list, res_binders))
    eqns2 = [JaxprEqn(e.primitive, [rename.get(x, x) if isinstance(x, Var) else x for x in e.inputs], e.params,
                      e.out_binders) for e in eqns2]
    outs2 = [rename.get(x, x) if isinstance(x, Var) else x for x in outs2]
    jaxpr2 = Jaxpr(res_binders + ins2, eqns2, outs2)
    return jaxpr1, jaxpr2, out_unknowns, len(residuals_list)


def partial_eval_with_jaxpr_rule(trace: PartialEvalTrace, prim, tracers, params):
    """Run a jaxpr-level rule on one equation under PartialEvalTrace: bind the known half now,
    record the unknown half as a recipe fed by residuals."""
    rule = partial_eval_jaxpr_rules[prim]
    in_vars = [Var(t.aval) for t in tracers]
    out_vars = [Var(a) for a in abstract_eval(prim, [t.aval for t in tracers], params)]
    unks = [t.pval.is_unknown for t in tracers]
    eqn1, eqn2, out_unks, _ = rule(JaxprEqn(prim, in_vars, params, out_vars), unks)
    known: dict[Var, Any] = {v: t.pval.const for v, t in zip(in_vars, tracers) if t.pval.is_known}
    unknown: dict[Var, PartialEvalTracer] = {v: t for v, t in zip(in_vars, tracers) if t.pval.is_unknown}

    def read_known(x):
        return x.val if isinstance(x, Literal) else known[x]

    if eqn1 is not None:
        outs1 = core.bind(eqn1.primitive, *(read_known(x) for x in eqn1.inputs), **eqn1.params)
        known.update(zip(eqn1.out_binders, outs1))

    def tracer_for(x):
        if isinstance(x, Var) and x in unknown:
            return unknown[x]
        return trace.instantiate_const(core.full_raise(trace, read_known(x)))

    ins2 = [tracer_for(x) for x in eqn2.inputs]
    outs2 = [PartialEvalTracer(trace, PartialVal.unknown(v.aval), None) for v in eqn2.out_binders]
    recipe = JaxprEqnRecipe(eqn2.primitive, ins2, eqn2.params, [v.aval for v in eqn2.out_binders],
                            [weakref.ref(t) for t in outs2])
    for t in outs2:
        t.recipe = recipe
    out2 = dict(zip(eqn2.out_binders, outs2))
    return [out2[v] if uk else known[v] for v, uk in zip(out_vars, out_unks)]


def register_partial_eval(prim, jaxpr_rule) -> None:
    partial_eval_jaxpr_rules[prim] = jaxpr_rule
    partial_eval_rules[prim] = lambda trace, tracers, **params: partial_eval_with_jaxpr_rule(
        trace, prim, tracers, params)
