"""jax.scipy.stats.vonmises."""

from jaxlite._src.scipy.stats.more import vonmises as _dist

logpdf = _dist.logpdf
pdf = _dist.pdf
