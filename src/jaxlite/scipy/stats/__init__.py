"""jax.scipy.stats: probability distributions."""

from jaxlite.scipy.stats import (bernoulli, beta, binom, cauchy, chi2, dirichlet, expon, gamma, geom, laplace, logistic, multivariate_normal, norm, poisson, t, uniform)  # noqa: F401
