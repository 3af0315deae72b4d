"""jax.extend.core: primitives and jaxpr types, enough to define a new primitive as JAX's
"JAX primitives" tutorial does (Primitive.def_impl / def_abstract_eval, then rules in
jax.interpreters.ad and jax.interpreters.batching)."""

from jaxlite._src.core import (ClosedJaxpr, Jaxpr, JaxprEqn, Literal, ShapedArray, Var,  # noqa: F401
                               concrete_or_error, find_top_trace, get_aval, jaxpr_as_fun)
from jaxlite._src.extend import Primitive  # noqa: F401
