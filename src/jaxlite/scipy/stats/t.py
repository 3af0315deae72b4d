"""jax.scipy.stats.t."""

from jaxlite._src.scipy.stats.continuous import t as _dist

logpdf = _dist.logpdf
pdf = _dist.pdf
