"""Automatic differentiation: forward mode (jvp) and reverse mode (linearize + transpose = vjp).

Rule tables keyed by primitive, filled next to each primitive's definition:
- jvp_rules[p](primals, tangents, **params) -> (primals_out, tangents_out)
- transpose_rules[p](cts_out, *args, **params) -> cts for the args that are UndefPrimal
"""

from __future__ import annotations

import functools
import operator
from typing import Any, Callable, NamedTuple

import numpy as np

from jaxlite._src import ad_util, core, dtypes, partial_eval as pe, tree_util
from jaxlite._src.api_util import flatten_fun, shape_dtype_avals
from jaxlite._src.core import Primitive, Trace, Tracer, get_aval, raise_to_shaped

jvp_rules: dict = {}
transpose_rules: dict = {}
# Primitives whose outputs never carry a derivative (comparisons, integer ops, iota...).
nondiff: set = {ad_util.stop_gradient_p}


def zeros_like_aval(aval):
    return ad_util.full(aval.shape, 0, tangent_dtype(aval.dtype))


def zeros_like(x):
    return zeros_like_aval(get_aval(x))


def tangent_dtype(dtype) -> np.dtype:
    # JAX uses float0 for tangents of integer values; jaxlite keeps a zero of the same dtype.
    return np.dtype(dtype)


def add_tangents(x, y):
    if x is None:
        return y
    if y is None:
        return x
    return ad_util.add_jaxvals(x, y)


# ---- forward mode ---------------------------------------------------------------------------------


class JVPTracer(Tracer):
    __slots__ = ("primal", "tangent")

    def __init__(self, trace, primal, tangent):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent

    @property
    def aval(self):
        return get_aval(self.primal)

    # The jvp of a concrete value is concrete, so Python control flow on it works outside jit
    # (`grad(lambda x: x if x > 0 else -x)`). As in JAX, float() and complex() still refuse: they
    # would silently drop the derivative.
    def to_concrete_value(self):
        return pe.to_concrete_value(self.primal)

    def __bool__(self):
        v = self.to_concrete_value()
        return Tracer.__bool__(self) if v is None else bool(v)

    def __int__(self):
        v = self.to_concrete_value()
        return Tracer.__int__(self) if v is None else int(v)

    def __index__(self):
        v = self.to_concrete_value()
        return Tracer.__index__(self) if v is None else operator.index(v)

    def item(self, *args):
        v = self.to_concrete_value()
        if v is None:
            return Tracer.item(self)
        return v.item(*args) if hasattr(v, "item") else v


class JVPTrace(Trace):
    def pure(self, val):
        return JVPTracer(self, val, zeros_like(val))

    lift = pure

    def process_primitive(self, primitive, tracers, params):
        primals_in = [t.primal for t in tracers]
        tangents_in = [t.tangent for t in tracers]
        if primitive in nondiff:
            outs = core.bind(primitive, *primals_in, **params)
            return [JVPTracer(self, x, zeros_like(x)) for x in outs]
        rule = jvp_rules.get(primitive)
        if rule is None:
            raise NotImplementedError(f"Differentiation rule for '{primitive}' not implemented")
        primals_out, tangents_out = rule(primals_in, tangents_in, **params)
        return [JVPTracer(self, x, t) for x, t in zip(primals_out, tangents_out, strict=True)]

    def process_custom_jvp(self, prim, fun, jvp, tracers, params):
        primals_in = [t.primal for t in tracers]
        tangents_in = [t.tangent for t in tracers]
        primals_out, tangents_out = jvp(primals_in, tangents_in)
        return [JVPTracer(self, x, t) for x, t in zip(primals_out, tangents_out, strict=True)]

    def process_custom_vjp(self, prim, fun, fwd, bwd, tracers, params):
        primals_in = [t.primal for t in tracers]
        tangents_in = [t.tangent for t in tracers]
        primals_out, tangents_out = custom_vjp_jvp(fwd, bwd, primals_in, tangents_in)
        return [JVPTracer(self, x, t) for x, t in zip(primals_out, tangents_out, strict=True)]


# custom_vjp under jvp: fwd runs, and the tangents go through custom_lin, a primitive that can only
# be transposed (to bwd), as in JAX. Its impl and batching rules are in custom_derivatives.py.
custom_lin_p = Primitive("custom_lin", multiple_results=True)
core.abstract_eval_rules[custom_lin_p] = lambda *avals, num_res, bwd, out_avals: list(out_avals)


def custom_vjp_jvp(fwd, bwd, primals, tangents):
    out, res = fwd(*primals)
    out_avals = [raise_to_shaped(get_aval(o)).strip_weak_type() for o in out]
    t_out = custom_lin_p.bind(*res, *tangents, num_res=len(res), bwd=bwd, out_avals=tuple(out_avals))
    return out, t_out


def _custom_lin_transpose(cts, *args, num_res, bwd, out_avals):
    res = args[:num_res]
    cts = [instantiate_zeros(c, a) for c, a in zip(cts, out_avals)]
    return [None] * num_res + list(bwd(list(res), cts))


transpose_rules[custom_lin_p] = _custom_lin_transpose


def jvp_flat(f: Callable, primals, tangents):
    with core.new_main(JVPTrace) as main:
        trace = JVPTrace(main)
        tracers_in = [JVPTracer(trace, x, t) for x, t in zip(primals, tangents, strict=True)]
        outs = f(*tracers_in)
        tracers_out = [core.full_raise(trace, out) for out in outs]
        primals_out = [core.full_lower(t.primal) for t in tracers_out]
        tangents_out = [core.full_lower(t.tangent) for t in tracers_out]
    return primals_out, tangents_out


def _check_tangent(p, t):
    pa, ta = get_aval(p), get_aval(t)
    if pa.shape != ta.shape:
        raise ValueError(f"jvp called with different primal and tangent shapes;Got primal shape "
                         f"{pa.shape} and tangent shape as {ta.shape}")
    if dtypes.is_inexact(pa.dtype) and pa.dtype != ta.dtype:
        raise TypeError(f"primal and tangent arguments to jax.jvp do not match; dtypes must be equal, "
                        f"got primal dtype {pa.dtype} and tangent dtype {ta.dtype}.")


def jvp(fun: Callable, primals, tangents, has_aux: bool = False):
    core.check_callable(fun)
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("primal and tangent arguments to jax.jvp must be tuples or lists; "
                        f"found {type(primals).__name__} and {type(tangents).__name__}.")
    primals_flat, in_tree = tree_util.tree_flatten(tuple(primals))
    tangents_flat, in_tree2 = tree_util.tree_flatten(tuple(tangents))
    if in_tree != in_tree2:
        raise TypeError(f"primal and tangent arguments to jax.jvp must have the same tree structure; "
                        f"primals have tree structure {in_tree} whereas tangents have {in_tree2}.")
    for p, t in zip(primals_flat, tangents_flat):
        _check_tangent(p, t)
    f, out_tree, split_aux = flatten_fun(fun, in_tree, has_aux)
    primals_out, tangents_out = jvp_flat(f, primals_flat, tangents_flat)
    primals_out, aux = split_aux(primals_out)
    tangents_out, _ = split_aux(tangents_out)
    po = tree_util.tree_unflatten(out_tree(), primals_out)
    to = tree_util.tree_unflatten(out_tree(), tangents_out)
    return (po, to, aux) if has_aux else (po, to)


# ---- reverse mode ---------------------------------------------------------------------------------


class UndefPrimal:
    """A linear input of a jaxpr being transposed: its value is unknown, only its aval."""
    __slots__ = ("aval",)

    def __init__(self, aval):
        self.aval = raise_to_shaped(aval)

    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)

    def __repr__(self):
        return f"UndefPrimal({self.aval})"


def is_undefined_primal(x) -> bool:
    return isinstance(x, UndefPrimal)


def linearize_flat(f: Callable, primals_in):
    pvals_in = ([pe.PartialVal.known(x) for x in primals_in]
                + [pe.PartialVal.unknown(raise_to_shaped(get_aval(x)).strip_weak_type()) for x in primals_in])

    def f_jvp(*primals_tangents_in):
        n = len(primals_tangents_in) // 2
        primals_out, tangents_out = jvp_flat(f, primals_tangents_in[:n], primals_tangents_in[n:])
        return [*primals_out, *tangents_out]

    jaxpr, pvals_out, consts = pe.partial_eval_flat(f_jvp, pvals_in)
    n_out = len(pvals_out) // 2
    primal_pvals, tangent_pvals = pvals_out[:n_out], pvals_out[n_out:]
    if any(p.is_unknown for p in primal_pvals):
        raise core.UnexpectedTracerError("linearize: a primal output depends on a tangent")
    primals_out = [p.const for p in primal_pvals]
    return primals_out, tangent_pvals, jaxpr, consts


def _instantiate_tangents(tangent_pvals, unknown_outs):
    """Merge jaxpr outputs (for unknown tangents) with known ones (zeros, usually)."""
    it = iter(unknown_outs)
    return [next(it) if p.is_unknown else p.const for p in tangent_pvals]


def linearize(fun: Callable, *primals):
    core.check_callable(fun)
    primals_flat, in_tree = tree_util.tree_flatten(primals)
    f, out_tree, _ = flatten_fun(fun, in_tree)
    primals_out, tangent_pvals, jaxpr, consts = linearize_flat(f, primals_flat)

    def f_lin(*tangents):
        tangents_flat, tree2 = tree_util.tree_flatten(tangents)
        if tree2 != in_tree:
            raise TypeError(f"linearized function called with tree {tree2}, expected {in_tree}")
        outs = core.eval_jaxpr(jaxpr, [*consts, *tangents_flat])
        return tree_util.tree_unflatten(out_tree(), _instantiate_tangents(tangent_pvals, outs))

    return tree_util.tree_unflatten(out_tree(), primals_out), f_lin


def vjp_flat(f: Callable, primals_in):
    primals_out, tangent_pvals, jaxpr, consts = linearize_flat(f, primals_in)
    in_avals = [raise_to_shaped(get_aval(x)).strip_weak_type() for x in primals_in]
    out_avals = [p.aval for p in tangent_pvals]

    def f_vjp(*cts):
        for ct, aval in zip(cts, out_avals, strict=True):
            _check_cotangent(ct, aval)
        unknown_cts = [ct for ct, p in zip(cts, tangent_pvals) if p.is_unknown]
        args = [*consts, *(UndefPrimal(a) for a in in_avals)]
        cts_in = backward_pass(jaxpr, args, unknown_cts)
        return [instantiate_zeros(ct, a) for ct, a in zip(cts_in, in_avals)]

    return primals_out, f_vjp


def _check_cotangent(ct, aval):
    ca = get_aval(ct)
    if ca.shape != aval.shape:
        raise ValueError(f"unexpected JAX type (e.g. shape/dtype) for argument to vjp function: got "
                         f"{ca.str_short()}, but expected {aval.str_short()} because the corresponding "
                         "output of the function had that shape.")


def instantiate_zeros(ct, aval):
    return zeros_like_aval(aval) if ct is None else ct


def vjp(fun: Callable, *primals, has_aux: bool = False):
    core.check_callable(fun)
    primals_flat, in_tree = tree_util.tree_flatten(primals)
    f, out_tree, split_aux = flatten_fun(fun, in_tree, has_aux)
    all_out, tangent_pvals, jaxpr, consts = linearize_flat(f, primals_flat)
    primals_out_flat, aux = split_aux(all_out)
    primals_out = tree_util.tree_unflatten(out_tree(), primals_out_flat)
    # The pullback is a Partial whose leaves are the residuals, so it is a pytree that can leave a
    # jit (as jax.vjp's): everything else it needs is static.
    static = _VjpStatic(jaxpr, [p.is_unknown for p in tangent_pvals],
                        [raise_to_shaped(get_aval(x)).strip_weak_type() for x in primals_flat],
                        [p.aval for p in tangent_pvals], in_tree, out_tree(), len(primals_out_flat),
                        [get_aval(x).weak_type for x in primals_flat])
    f_vjp = tree_util.Partial(functools.partial(_vjp_pullback, static), consts)
    return (primals_out, f_vjp, aux) if has_aux else (primals_out, f_vjp)


class _VjpStatic(NamedTuple):
    jaxpr: core.Jaxpr
    unknown: list
    in_avals: list
    out_avals: list
    in_tree: Any
    out_tree: Any
    n_out: int
    in_weak: list


def _vjp_pullback(static: _VjpStatic, consts, *cotangents):
    if len(cotangents) != 1:
        raise TypeError(f"The function returned by `jax.vjp` takes one argument (the output "
                        f"cotangent), got {len(cotangents)}")
    cts_flat, ct_tree = tree_util.tree_flatten(cotangents[0])
    if ct_tree != static.out_tree:
        raise ValueError(f"Tree structure of cotangent input {ct_tree} does not match structure "
                         f"of primal output {static.out_tree}.")
    # Aux outputs get zero cotangents: they are carried along, not differentiated.
    cts = [*cts_flat, *(zeros_like_aval(a) for a in static.out_avals[static.n_out:])]
    for ct, aval in zip(cts, static.out_avals, strict=True):
        _check_cotangent(ct, aval)
    unknown_cts = [ct for ct, uk in zip(cts, static.unknown) if uk]
    args = [*consts, *(UndefPrimal(a) for a in static.in_avals)]
    cts_in = backward_pass(static.jaxpr, args, unknown_cts)
    cts_in = [instantiate_zeros(ct, a) for ct, a in zip(cts_in, static.in_avals)]
    # A cotangent has its primal's type, weak type included (grad at a Python float is weak).
    cts_in = [ad_util.convert_element_type(ct, a.dtype, weak_type=True) if w else ct
              for ct, a, w in zip(cts_in, static.in_avals, static.in_weak)]
    return tree_util.tree_unflatten(static.in_tree, cts_in)


def backward_pass(jaxpr: core.Jaxpr, args, cotangents) -> list:
    """Transpose a jaxpr linear in its UndefPrimal args; returns their cotangents (None = zero)."""
    primal_env: dict[core.Var, Any] = {}
    ct_env: dict[core.Var, Any] = {}

    def read_primal(x):
        if isinstance(x, core.Literal):
            return x.val
        return primal_env.get(x, UndefPrimal(x.aval))

    def write_primal(v, val):
        if not is_undefined_primal(val):
            primal_env[v] = val

    def read_cotangent(v):
        return ct_env.pop(v, None)

    def write_cotangent(x, val):
        if isinstance(x, core.Var) and val is not None:
            ct_env[x] = add_tangents(ct_env[x], val) if x in ct_env else val

    for v, x in zip(jaxpr.in_binders, args, strict=True):
        write_primal(v, x)
    # Non-linear equations on known values (residual computations) run forward first.
    lin_eqns = []
    for eqn in jaxpr.eqns:
        ins = [read_primal(x) for x in eqn.inputs]
        if any(is_undefined_primal(x) for x in ins):
            lin_eqns.append(eqn)
        else:
            for v, val in zip(eqn.out_binders, core.bind(eqn.primitive, *ins, **eqn.params)):
                write_primal(v, val)
    for x, ct in zip(jaxpr.outs, cotangents, strict=True):
        write_cotangent(x, ct)
    for eqn in reversed(lin_eqns):
        primals_in = [read_primal(x) for x in eqn.inputs]
        cts_in = [read_cotangent(v) for v in eqn.out_binders]
        if all(ct is None for ct in cts_in):
            continue
        cts_in = [instantiate_zeros(ct, v.aval) for ct, v in zip(cts_in, eqn.out_binders)]
        rule = transpose_rules.get(eqn.primitive)
        if rule is None:
            raise NotImplementedError(f"Transpose rule (for reverse-mode differentiation) for "
                                      f"'{eqn.primitive}' not implemented")
        cts_out = rule(cts_in if eqn.primitive.multiple_results else cts_in[0], *primals_in, **eqn.params)
        for x, ct in zip(eqn.inputs, cts_out, strict=True):
            if isinstance(x, core.Var) and is_undefined_primal(read_primal(x)):
                write_cotangent(x, ct)
    return [read_cotangent(v) for v, x in zip(jaxpr.in_binders, args) if is_undefined_primal(x)]


def transposed_fn(closed, linear, arg_avals):
    """f(*known_args, *cotangents) -> cotangents of the linear inputs of closed (zeros
    instantiated), where linear[i] says whether input i is linear: the body of the transpose rules
    of primitives that carry a jaxpr (pjit, cond)."""
    lin_avals = [a for a, lin in zip(arg_avals, linear) if lin]
    n_known = linear.count(False)

    def f(*known_and_cts):
        it = iter(known_and_cts[:n_known])
        full = [UndefPrimal(a) if lin else next(it) for a, lin in zip(arg_avals, linear)]
        out = backward_pass(closed.jaxpr, [*closed.consts, *full], list(known_and_cts[n_known:]))
        return [instantiate_zeros(c, a) for c, a in zip(out, lin_avals)]

    return f


# ---- grad and friends -----------------------------------------------------------------------------


def _argnums_tuple(argnums, nargs):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for n in nums:
        if not -nargs <= n < nargs:
            raise TypeError(f"differentiating with respect to argnums={argnums} requires at least "
                            f"{max(nums) + 1} positional arguments to be passed by the caller, but got "
                            f"only {nargs} positional arguments.")
    return tuple(n % nargs for n in nums)


def _check_input_dtype_grad(x, holomorphic=False, allow_int=False, name="grad"):
    dt = get_aval(x).dtype
    if holomorphic and dt.kind != "c":
        raise TypeError(f"{name} with holomorphic=True requires inputs with complex dtype, but got {dt.name}.")
    if not allow_int and dt.kind not in "fc":
        raise TypeError(f"{name} requires real- or complex-valued inputs (input dtype that is a sub-dtype "
                        f"of np.inexact), but got {dt.name}. If you want to use Boolean- or integer-valued "
                        "inputs, use vjp or set allow_int to True.")


def _check_scalar_output(y, name="grad"):
    aval = get_aval(y)
    if aval.shape != ():
        raise TypeError(f"{name} requires scalar output, got output of shape {aval.shape}. "
                        "Use jax.vjp or jax.jacrev for non-scalar outputs.")
    if aval.dtype.kind not in "fc":
        raise TypeError(f"{name} requires real- or complex-valued outputs (output dtype that is a "
                        f"sub-dtype of np.inexact), but got {aval.dtype.name}.")


def value_and_grad(fun: Callable, argnums=0, has_aux: bool = False, holomorphic: bool = False,
                   allow_int: bool = False, reduce_axes=()):
    core.check_callable(fun)

    @functools.wraps(fun, updated=())
    def value_and_grad_f(*args, **kwargs):
        nums = _argnums_tuple(argnums, len(args))
        dyn = tuple(args[i] for i in nums)
        for leaf in tree_util.tree_leaves(dyn):
            _check_input_dtype_grad(leaf, holomorphic, allow_int, "grad")

        def f_dyn(*dyn_args):
            full = list(args)
            for i, a in zip(nums, dyn_args):
                full[i] = a
            return fun(*full, **kwargs)

        out = vjp(f_dyn, *dyn, has_aux=has_aux)
        if has_aux:
            ans, f_vjp, aux = out
        else:
            ans, f_vjp = out
        _check_scalar_output(ans)
        g = f_vjp(ad_util.full((), 1, get_aval(ans).dtype))
        g = g[0] if isinstance(argnums, int) else g
        return ((ans, aux), g) if has_aux else (ans, g)

    return value_and_grad_f


def grad(fun: Callable, argnums=0, has_aux: bool = False, holomorphic: bool = False,
         allow_int: bool = False, reduce_axes=()):
    vg = value_and_grad(fun, argnums, has_aux, holomorphic, allow_int)

    @functools.wraps(fun, updated=())
    def grad_f(*args, **kwargs):
        if has_aux:
            (_, aux), g = vg(*args, **kwargs)
            return g, aux
        return vg(*args, **kwargs)[1]

    return grad_f


def linear_transpose(fun: Callable, *primals, reduce_axes=()):
    """Transpose of a linear function at the given example arguments (only avals are used)."""
    core.check_callable(fun)
    primals_flat, in_tree = tree_util.tree_flatten(primals)
    in_avals = [a.strip_weak_type() for a in shape_dtype_avals(primals_flat)]
    f, out_tree, _ = flatten_fun(fun, in_tree)
    jaxpr, consts = pe.trace_to_jaxpr(f, in_avals)
    out_avals = jaxpr.out_avals

    def transposed(*cts):
        cts_flat, ct_tree = tree_util.tree_flatten(cts[0] if len(cts) == 1 else cts)
        if ct_tree != out_tree():
            raise TypeError(f"cotangent tree does not match function output: {ct_tree} vs {out_tree()}")
        for ct, aval in zip(cts_flat, out_avals):
            _check_cotangent(ct, aval)
        args = [*consts, *(UndefPrimal(a) for a in in_avals)]
        out = backward_pass(jaxpr, args, cts_flat)
        return tree_util.tree_unflatten(in_tree, [instantiate_zeros(c, a) for c, a in zip(out, in_avals)])

    return transposed
