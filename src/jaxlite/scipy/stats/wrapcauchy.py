"""jax.scipy.stats.wrapcauchy."""

from jaxlite._src.scipy.stats.more import wrapcauchy as _dist

logpdf = _dist.logpdf
pdf = _dist.pdf
