"""jax.scipy.stats.multivariate_normal."""

from jaxlite._src.scipy.stats.multivariate import multivariate_normal as _dist

logpdf = _dist.logpdf
pdf = _dist.pdf
