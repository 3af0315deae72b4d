"""jax.scipy: special functions, probability distributions, optimisation and signal processing."""

from jaxlite.scipy import optimize, signal, special, stats  # noqa: F401
