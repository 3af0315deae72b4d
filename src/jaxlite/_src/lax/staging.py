"""stage, dce_sink and shape_as_value: JAX's helpers for staging values into the active trace."""

from __future__ import annotations

import numpy as np

from jaxlite._src import core, dispatch, tree_util
from jaxlite._src.features import partial
from jaxlite._src.lax import composite, lax


def stage(x, /):
    """x as a value of the innermost active trace (an Array outside any trace). As in JAX, staging
    a traced value adds no equation: the primitive runs only on concrete values."""
    x = lax._as_array(x)
    top = core.find_top_trace((x,))
    if isinstance(x, core.Tracer) or top.main.level:
        return core.full_raise(top, x)
    return stage_p.bind(x)


stage_p = composite.def_composite("stage", lambda x: x, linear_args=(0,),
                                  vmap=lambda n, vals, dims: ([stage_p.bind(vals[0])], dims))


@partial("dead-code elimination may still drop the values it marks: jaxlite's DCE knows no effects")
def dce_sink(val, *, prevent_mlir_dce: bool = False):
    for leaf in tree_util.tree_leaves(val):
        dce_sink_p.bind(lax._as_array(leaf), prevent_mlir_dce=bool(prevent_mlir_dce))


dce_sink_p = composite.def_composite("dce_sink", lambda x, prevent_mlir_dce: [], multiple_results=True,
                                     linear_args=(0,), vmap=lambda n, vals, dims, **params: ([], []))


def shape_as_value(shape):
    """The dimensions of a shape as an int32 vector (jaxlite shapes are concrete: no Poly values)."""
    return dispatch.make_array(np.array([int(d) for d in shape], dtype=np.int32))
