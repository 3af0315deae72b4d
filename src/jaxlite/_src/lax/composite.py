"""Primitives defined by a decomposition into other lax primitives.

JAX has primitive objects (`top_k_p`, `squeeze_p`, `zeta_p`, ...) for operations that jaxlite
computes from smaller primitives. `def_composite` turns such a decomposition into a primitive of
its own: the primitive shows in jaxprs under JAX's name and params, and every rule is derived from
the decomposition `fn(*args, **params)`, traced once per (input avals, params):

- abstract evaluation: the output avals of that jaxpr;
- execution: `core.decomposition_rules` lets kernel plans (jit on wasm/webgpu) inline the jaxpr,
  so the primitive still runs as fused kernels; eagerly the jaxpr is evaluated one primitive at a
  time on the arguments' device (a cpu kernel serves only a host fallback);
- jvp: the jvp of fn, or for linear primitives the primitive itself applied to the tangents
  (as JAX's `deflinear`), or a rule of JAX's where its derivative differs from the decomposition's;
- transpose (linear primitives): the transpose of the decomposition's jaxpr;
- vmap: an explicit rule that keeps the primitive where one is given, else vmap of fn.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from jaxlite._src import ad, batching, core, dispatch
from jaxlite._src import partial_eval as pe
from jaxlite._src.backends import cpu

ELEMENTWISE = "elementwise"  # def_composite(vmap=ELEMENTWISE): the rule of `vmap_elementwise`
_fns: dict = {}  # primitive -> its decomposition fn(*args, **params)
_jaxprs: dict = {}  # (prim, avals, params) -> ClosedJaxpr of the decomposition


def decomposition(prim: core.Primitive, avals, params) -> core.ClosedJaxpr:
    avals = tuple(core.raise_to_shaped(a) for a in avals)
    try:
        key = (prim, avals, tuple(sorted(params.items())))
        hash(key)
    except TypeError:  # unhashable params (a list): traced every time
        key = None
    closed = _jaxprs.get(key) if key is not None else None
    if closed is None:
        fn = _fns[prim]
        closed = pe.make_closed_jaxpr(lambda *xs: _as_list(prim, fn(*xs, **params)), avals)
        if key is not None:
            if len(_jaxprs) > 4096:  # params made anew per call (a computation's jaxpr): start over
                _jaxprs.clear()
            _jaxprs[key] = closed
    return closed


def _as_list(prim, out):
    return list(out) if prim.multiple_results else [out]


def _impl(prim, *args, **params):
    # Eagerly the decomposition runs one primitive at a time on the arguments' device, as the
    # composed function did before it was a primitive (under jit, plans inline it and fuse).
    outs = pe.closed_call(decomposition(prim, [core.get_aval(a) for a in args], params), args)
    return outs if prim.multiple_results else outs[0]


def _jvp_of_fn(prim, primals, tangents, **params):
    fn = _fns[prim]
    return ad.jvp_flat(lambda *xs: _as_list(prim, fn(*xs, **params)), primals, tangents)


def _jvp_linear(prim, is_linear, primals, tangents, **params):
    outs = _as_list(prim, prim.bind(*primals, **params))
    ins = [t if is_linear(i) else p for i, (p, t) in enumerate(zip(primals, tangents))]
    return outs, _as_list(prim, prim.bind(*ins, **params))


def _transpose(prim, cts, *args, **params):
    undef = [ad.is_undefined_primal(a) for a in args]
    avals = [a.aval if u else core.get_aval(a) for a, u in zip(args, undef)]
    closed = decomposition(prim, avals, params)
    known = [a for a in args if not ad.is_undefined_primal(a)]
    outs = iter(ad.transposed_fn(closed, undef, avals)(*known, *_as_list(prim, cts)))
    return [next(outs) if u else None for u in undef]


def _vmap_of_fn(prim, axis_size, vals, dims, **params):
    fn = _fns[prim]
    return batching.vmap_flat(lambda *xs: _as_list(prim, fn(*xs, **params)), dims, axis_size, vals)


def def_composite(name: str, fn: Callable, *, multiple_results: bool = False, linear_args=None,
                  jvp: Callable | None = None, vmap: Callable | None = None, cpu_kernel: Callable | None = None,
                  transpose: Callable | None = None) -> core.Primitive:
    """A primitive `name` computed as fn(*args, **params).

    linear_args: positions in which the primitive is linear, or "all" (jvp binds it on those
    tangents, and the decomposition's transpose is its transpose); jvp(primals, tangents, **params) and
    vmap(axis_size, vals, dims, **params) replace the derived rules; cpu_kernel(*numpy arrays,
    **params) is what a host fallback would run (the decomposition with numpy by default)."""
    prim = core.Primitive(name, multiple_results)
    _fns[prim] = fn
    core.abstract_eval_rules[prim] = lambda *avals, **params: list(decomposition(prim, avals, params).out_avals)
    core.decomposition_rules[prim] = lambda avals, **params: decomposition(prim, avals, params)
    dispatch.impl_rules[prim] = lambda *args, **params: _impl(prim, *args, **params)
    # Only a host fallback would call the cpu kernel (eager runs and plans use the decomposition).
    cpu.kernels[prim] = cpu_kernel or (lambda *xs, **params: _as_numpy(prim, pe.closed_call(
        decomposition(prim, [core.get_aval(x) for x in xs], params), xs)))
    if jvp is not None:
        ad.jvp_rules[prim] = jvp
    elif linear_args is not None:
        is_linear = (lambda i: True) if linear_args == "all" else frozenset(linear_args).__contains__
        ad.jvp_rules[prim] = lambda p, t, **params: _jvp_linear(prim, is_linear, p, t, **params)
    else:
        ad.jvp_rules[prim] = lambda p, t, **params: _jvp_of_fn(prim, p, t, **params)
    if transpose is not None:
        ad.transpose_rules[prim] = transpose
    elif linear_args is not None:
        ad.transpose_rules[prim] = lambda cts, *args, **params: _transpose(prim, cts, *args, **params)
    if vmap == ELEMENTWISE:
        vmap = vmap_elementwise(prim)
    batching.vmap_rules[prim] = vmap or (lambda n, vals, dims, **params: _vmap_of_fn(prim, n, vals, dims, **params))
    return prim


def _as_numpy(prim, outs):
    outs = [np.asarray(o) for o in outs]
    return outs if prim.multiple_results else outs[0]


def vmap_elementwise(prim):
    """A vmap rule for an elementwise primitive whose operands share one shape: batch axes to the
    front (unbatched operands broadcast), then the primitive itself."""
    def rule(axis_size, vals, dims, **params):
        shapes = {tuple(core.get_aval(v).shape[:d] + core.get_aval(v).shape[d + 1:]) if d is not None
                  else tuple(core.get_aval(v).shape) for v, d in zip(vals, dims)}
        if len(shapes) != 1:
            return _vmap_of_fn(prim, axis_size, vals, dims, **params)
        front = [batching.move_batch_axis(axis_size, d, 0, v) for v, d in zip(vals, dims)]
        out = prim.bind(*front, **params)
        return _as_list(prim, out), [0] * (len(out) if prim.multiple_results else 1)
    return rule


def jvp_from(rule: Callable) -> Callable:
    """A primitive's jvp rule from a custom_jvp-style rule(primals, tangents) -> (out, tangent)."""
    def jvp(primals, tangents, **params):
        out, t = rule(primals, tangents, **params)
        return [out], [t]
    return jvp
