"""jax.scipy.stats.beta."""

from jaxlite._src.scipy.stats.continuous import beta as _dist

logpdf = _dist.logpdf
pdf = _dist.pdf
cdf = _dist.cdf
logcdf = _dist.logcdf
sf = _dist.sf
logsf = _dist.logsf
