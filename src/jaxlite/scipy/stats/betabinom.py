"""jax.scipy.stats.betabinom."""

from jaxlite._src.scipy.stats.more import betabinom as _dist

logpmf = _dist.logpmf
pmf = _dist.pmf
