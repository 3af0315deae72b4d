"""jax.scipy: special functions and probability distributions."""

from jaxlite.scipy import special, stats  # noqa: F401
