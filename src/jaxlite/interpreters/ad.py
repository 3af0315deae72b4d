"""jax.interpreters.ad: jvp and transpose rules for primitives."""

from jaxlite._src.ad import (JVPTrace, JVPTracer, UndefPrimal as UndefinedPrimal, instantiate_zeros,  # noqa: F401
                             is_undefined_primal, zeros_like_aval)
from jaxlite._src.extend import defjvp, deflinear, get_primitive_transpose, primitive_jvps, primitive_transposes  # noqa: F401,E501
