"""jax.interpreters.batching: vmap rules for primitives."""

from jaxlite._src.batching import not_mapped  # noqa: F401
from jaxlite._src.extend import defvectorized, primitive_batchers  # noqa: F401
