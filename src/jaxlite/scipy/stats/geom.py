"""jax.scipy.stats.geom."""

from jaxlite._src.scipy.stats.discrete import geom as _dist

logpmf = _dist.logpmf
pmf = _dist.pmf
