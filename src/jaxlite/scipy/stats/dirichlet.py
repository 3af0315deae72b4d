"""jax.scipy.stats.dirichlet."""

from jaxlite._src.scipy.stats.multivariate import dirichlet as _dist

logpdf = _dist.logpdf
pdf = _dist.pdf
