"""jax.scipy.stats.nbinom."""

from jaxlite._src.scipy.stats.more import nbinom as _dist

logpmf = _dist.logpmf
pmf = _dist.pmf
