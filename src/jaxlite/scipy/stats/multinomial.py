"""jax.scipy.stats.multinomial."""

from jaxlite._src.scipy.stats.extra import multinomial as _dist

logpmf = _dist.logpmf
pmf = _dist.pmf
