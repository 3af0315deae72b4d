"""jax.scipy.optimize."""

from jaxlite._src.scipy.optimize.minimize import OptimizeResults, minimize  # noqa: F401
