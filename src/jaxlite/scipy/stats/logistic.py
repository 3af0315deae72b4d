"""jax.scipy.stats.logistic."""

from jaxlite._src.scipy.stats.continuous import logistic as _dist

logpdf = _dist.logpdf
pdf = _dist.pdf
cdf = _dist.cdf
sf = _dist.sf
ppf = _dist.ppf
isf = _dist.isf
