"""jax.scipy.stats.uniform."""

from jaxlite._src.scipy.stats.continuous import uniform as _dist

logpdf = _dist.logpdf
pdf = _dist.pdf
cdf = _dist.cdf
ppf = _dist.ppf
