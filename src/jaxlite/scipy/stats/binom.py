"""jax.scipy.stats.binom."""

from jaxlite._src.scipy.stats.discrete import binom as _dist

logpmf = _dist.logpmf
pmf = _dist.pmf
