"""jax.scipy.stats.norm."""

from jaxlite._src.scipy.stats.continuous import norm as _dist

logpdf = _dist.logpdf
pdf = _dist.pdf
cdf = _dist.cdf
logcdf = _dist.logcdf
sf = _dist.sf
logsf = _dist.logsf
ppf = _dist.ppf
isf = _dist.isf
