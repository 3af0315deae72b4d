"""jax.scipy.stats.bernoulli."""

from jaxlite._src.scipy.stats.discrete import bernoulli as _dist

logpmf = _dist.logpmf
pmf = _dist.pmf
cdf = _dist.cdf
ppf = _dist.ppf
