"""copy_p and optimization_barrier_p: primitives whose values are their inputs.

copy_p is an elementwise identity (a fresh buffer on the cpu device, a fused no-op in kernels).
optimization_barrier binds on device arrays as they are (an impl rule, like JAX's): under jit on a
kernel device its operands are stored before it, so no work moves across it, and no host copy is made.
"""

from __future__ import annotations

import numpy as np

from jaxlite._src import ad, batching, dispatch, tree_util
from jaxlite._src.backends import cpu
from jaxlite._src.core import Primitive, abstract_eval_rules
from jaxlite._src.lax import lax
from jaxlite._src.lax.lax import _ANY, _nary_abstract, _vmap_elementwise

copy_p = Primitive("copy")
abstract_eval_rules[copy_p] = _nary_abstract("copy", _ANY)
cpu.kernels[copy_p] = lambda x: np.array(x, copy=True)
_vmap_elementwise(copy_p)
ad.jvp_rules[copy_p] = lambda primals, tangents: ([copy_p.bind(primals[0])], [copy_p.bind(tangents[0])])
ad.transpose_rules[copy_p] = lambda ct, x: [copy_p.bind(ct)]


def copy(x):
    return copy_p.bind(lax._as_array(x))


optimization_barrier_p = Primitive("optimization_barrier", multiple_results=True)
abstract_eval_rules[optimization_barrier_p] = lambda *avals: list(avals)
dispatch.impl_rules[optimization_barrier_p] = lambda *args: list(args)


def _barrier_jvp(primals, tangents):
    # Two barriers: one over primals and tangents together would make linearize see primal
    # outputs depending on tangents.
    return optimization_barrier_p.bind(*primals), optimization_barrier_p.bind(*tangents)


ad.jvp_rules[optimization_barrier_p] = _barrier_jvp
ad.transpose_rules[optimization_barrier_p] = lambda cts, *args: [
    ct if ad.is_undefined_primal(x) else None for ct, x in zip(cts, args)]
batching.vmap_rules[optimization_barrier_p] = lambda axis_size, vals, dims: (
    optimization_barrier_p.bind(*vals), list(dims))


def optimization_barrier(operand, /):
    """The operand (a pytree) unchanged; jit keeps work from moving across it."""
    leaves, tree = tree_util.tree_flatten(operand)
    outs = optimization_barrier_p.bind(*[lax._as_array(v) for v in leaves])
    return tree_util.tree_unflatten(tree, outs)
