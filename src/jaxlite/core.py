"""jax.core: the names JAX 0.10 still keeps in this deprecated module."""

from typing import Any, Union

from jaxlite._src.api_util import ensure_compile_time_eval  # noqa: F401
from jaxlite._src.core import Literal, ShapedArray, Trace, Tracer, Var  # noqa: F401
from jaxlite._src.legacy import eval_context, eval_jaxpr, max_dim, min_dim  # noqa: F401

# ShapedArray is jaxlite's only abstract value (ConcreteArray derives from it).
AbstractValue = ShapedArray
Atom = Union[Var, Literal]
ParamDict = dict[str, Any]
Value = Any

_FEATURE_NOTES = {
    "AbstractValue": ("partial", "the same class as ShapedArray, jaxlite's only abstract value"),
}

__jaxlite_status__ = ("partial", "only the names JAX 0.10 keeps in its deprecated jax.core, mapped onto "
                      "jaxlite's core; jaxprs hold constants as leading input binders")

__all__ = ["AbstractValue", "Atom", "ParamDict", "ShapedArray", "Trace", "Tracer", "Value",
           "ensure_compile_time_eval", "eval_context", "eval_jaxpr", "max_dim", "min_dim"]
