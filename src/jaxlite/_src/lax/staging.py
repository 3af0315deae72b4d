"""stage, dce_sink and shape_as_value: JAX's helpers for staging values into the active trace."""

from __future__ import annotations

import numpy as np

from jaxlite._src import core, dispatch
from jaxlite._src.features import partial
from jaxlite._src.lax import lax


def stage(x, /):
    """x as a value of the innermost active trace (an Array outside any trace)."""
    x = lax._as_array(x)
    return core.full_raise(core.find_top_trace((x,)), x)


@partial("a no-op: jaxlite has no side-effecting primitives whose inputs dead-code elimination must keep")
def dce_sink(val, *, prevent_mlir_dce: bool = False):
    return None


def shape_as_value(shape):
    """The dimensions of a shape as an int32 vector (jaxlite shapes are concrete: no Poly values)."""
    return dispatch.make_array(np.array([int(d) for d in shape], dtype=np.int32))
