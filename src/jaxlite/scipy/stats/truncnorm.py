"""jax.scipy.stats.truncnorm."""

from jaxlite._src.scipy.stats.extra import truncnorm as _dist

logpdf = _dist.logpdf
pdf = _dist.pdf
cdf = _dist.cdf
logcdf = _dist.logcdf
sf = _dist.sf
logsf = _dist.logsf
