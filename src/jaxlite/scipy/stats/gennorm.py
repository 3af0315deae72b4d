"""jax.scipy.stats.gennorm."""

from jaxlite._src.scipy.stats.more import gennorm as _dist

cdf = _dist.cdf
logpdf = _dist.logpdf
pdf = _dist.pdf
