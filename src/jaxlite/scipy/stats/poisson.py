"""jax.scipy.stats.poisson."""

from jaxlite._src.scipy.stats.discrete import poisson as _dist

logpmf = _dist.logpmf
pmf = _dist.pmf
cdf = _dist.cdf

from jaxlite._src.scipy.stats.extra import poisson_entropy as entropy  # noqa: E402
