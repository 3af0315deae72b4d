"""jax.scipy.stats.laplace."""

from jaxlite._src.scipy.stats.continuous import laplace as _dist

logpdf = _dist.logpdf
pdf = _dist.pdf
cdf = _dist.cdf
