"""jax.scipy: special functions, probability distributions, optimisation and signal processing."""

from jaxlite.scipy import linalg, optimize, signal, special, stats  # noqa: F401
