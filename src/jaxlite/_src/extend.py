"""What jax.extend.core and jax.interpreters.{ad,batching} give for defining a new primitive.

Their rule signatures are JAX's; the dicts below translate them into jaxlite's rule tables
(vmap rules here also receive the axis size and return lists; jvp rules return lists).
"""

from __future__ import annotations

from jaxlite._src import ad, batching, core, dispatch


class Primitive(core.Primitive):
    """core.Primitive with JAX's def_impl / def_abstract_eval. The implementation runs on
    concrete Arrays, so on wasm/webgpu the primitive runs as a host step of a fused plan."""

    def def_impl(self, impl):
        dispatch.impl_rules[self] = impl
        return impl

    def def_abstract_eval(self, abstract_eval):
        def rule(*avals, **params):
            out = abstract_eval(*avals, **params)
            return list(out) if self.multiple_results else [out]
        core.abstract_eval_rules[self] = rule
        return abstract_eval

    def def_effectful_abstract_eval(self, abstract_eval):
        from jaxlite._src import effects
        effects.effectful.add(self)
        return self.def_abstract_eval(lambda *a, **k: abstract_eval(*a, **k)[0])


class _JvpTable(dict):
    """jax.interpreters.ad.primitive_jvps: rule(primals, tangents, **params) -> (out, tangent_out)."""

    def __setitem__(self, prim, rule):
        super().__setitem__(prim, rule)
        if prim.multiple_results:
            ad.jvp_rules[prim] = rule
        else:
            def lists(primals, tangents, **params):
                out, t = rule(primals, tangents, **params)
                return [out], [t]
            ad.jvp_rules[prim] = lists


class _BatcherTable(dict):
    """jax.interpreters.batching.primitive_batchers: rule(args, dims, **params) -> (out, out_dim)."""

    def __setitem__(self, prim, rule):
        super().__setitem__(prim, rule)

        def adapted(axis_size, vals, dims, **params):
            out, out_dims = rule(vals, dims, **params)
            if prim.multiple_results:
                return list(out), list(out_dims)
            return [out], [out_dims]
        batching.vmap_rules[prim] = adapted


primitive_jvps = _JvpTable()
primitive_transposes = ad.transpose_rules  # the same signature as JAX's: (ct, *args, **params) -> list
primitive_batchers = _BatcherTable()


def defjvp(prim, *jvp_rules):
    """One rule per input: rule(g, *primals, **params) is that input's tangent contribution."""
    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        total = None
        for r, t in zip(jvp_rules, tangents):
            if r is not None and t is not None:
                total = ad.add_tangents(total, r(t, *primals, **params))
        return out, ad.zeros_like(out) if total is None else total
    primitive_jvps[prim] = rule


def deflinear(prim, transpose_rule):
    """A primitive linear in all its inputs: its jvp applies it to the tangents."""
    def jvp(primals, tangents, **params):
        return prim.bind(*primals, **params), prim.bind(*tangents, **params)
    primitive_jvps[prim] = jvp
    ad.transpose_rules[prim] = lambda ct, *args, **params: transpose_rule(ct, **params)


def get_primitive_transpose(prim):
    return ad.transpose_rules[prim]


def defvectorized(prim):
    """An elementwise primitive of one input: vmap applies it to the batched array as it is."""
    primitive_batchers[prim] = lambda args, dims, **params: (prim.bind(*args, **params), dims[0])


