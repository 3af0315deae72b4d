"""jax.scipy.stats.chi2."""

from jaxlite._src.scipy.stats.continuous import chi2 as _dist

logpdf = _dist.logpdf
pdf = _dist.pdf
cdf = _dist.cdf
logcdf = _dist.logcdf
sf = _dist.sf
logsf = _dist.logsf
