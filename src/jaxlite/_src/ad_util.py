"""stop_gradient: the identity whose derivative is zero."""

from __future__ import annotations

from jaxlite._src import ad, batching, core, tree_util
from jaxlite._src.backends import cpu
from jaxlite._src.core import Primitive

stop_gradient_p = Primitive("stop_gradient")
core.abstract_eval_rules[stop_gradient_p] = lambda x: [x]
cpu.kernels[stop_gradient_p] = lambda x: x
ad.nondiff.add(stop_gradient_p)
batching.vmap_rules[stop_gradient_p] = lambda n, vals, dims: ([stop_gradient_p.bind(vals[0])], dims)


def stop_gradient(x):
    from jaxlite._src.lax.lax import _as_array

    def stop(v):
        v = _as_array(v)
        return v if core.get_aval(v).dtype.kind not in "fc" else stop_gradient_p.bind(v)

    return tree_util.tree_map(stop, x)
