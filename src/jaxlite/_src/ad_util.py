"""What the transformations need from lax, without importing it, and stop_gradient.

ad, batching and custom_derivatives make zeros, add tangents, cast cotangents, move batch axes
and sum over them; those are lax operations, and lax imports the transformations to register its
rules. So lax registers the few operations here (as JAX's lax registers zeros and add_jaxvals in
ad_util) and the machinery calls them through this module: the import graph stays layered.
"""

from __future__ import annotations

from typing import Callable

from jaxlite._src import core, dispatch, tree_util
from jaxlite._src.backends import cpu
from jaxlite._src.core import Primitive

_ops: dict[str, Callable] = {}
_NAMES = frozenset({"full", "add", "convert_element_type", "transpose", "broadcast_in_dim", "reduce_sum"})


def register_ops(**fns: Callable) -> None:
    """Called by the lax modules that define each operation (lax, structural, reductions)."""
    unknown = set(fns) - _NAMES
    if unknown:
        raise ValueError(f"ad_util.register_ops: unknown operations {sorted(unknown)}")
    _ops.update(fns)


def full(shape, fill_value, dtype):
    return _ops["full"](shape, fill_value, dtype)


def zeros_like_aval(aval):
    return _ops["full"](aval.shape, 0, aval.dtype)


def add_jaxvals(x, y):
    return _ops["add"](x, y)


def convert_element_type(x, dtype, weak_type: bool = False):
    return _ops["convert_element_type"](x, dtype, weak_type=weak_type)


def transpose(x, permutation):
    return _ops["transpose"](x, permutation)


def broadcast_in_dim(x, shape, broadcast_dimensions):
    return _ops["broadcast_in_dim"](x, shape, broadcast_dimensions)


def reduce_sum(x, axes):
    return _ops["reduce_sum"](x, axes)


# ---- stop_gradient: the identity whose derivative is zero ----------------------------------------
# Its jvp (nondiff) is registered in ad.py, its batching rule in batching.py, as for the other
# primitives the machinery itself owns.

stop_gradient_p = Primitive("stop_gradient")
core.abstract_eval_rules[stop_gradient_p] = lambda x: [x]
cpu.kernels[stop_gradient_p] = lambda x: x


def stop_gradient(x):
    def stop(v):
        if not (isinstance(v, core.Tracer) or hasattr(v, "aval")):
            v = dispatch.make_array(v)
        return v if core.get_aval(v).dtype.kind not in "fc" else stop_gradient_p.bind(v)

    return tree_util.tree_map(stop, x)
