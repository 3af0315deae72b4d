"""jax.extend: defining new primitives (jax.extend.core)."""

from jaxlite.extend import core  # noqa: F401
