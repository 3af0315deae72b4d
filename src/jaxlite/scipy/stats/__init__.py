"""jax.scipy.stats: probability distributions."""

from jaxlite.scipy.stats import (bernoulli, beta, betabinom, binom, cauchy, chi2, dirichlet, expon, gamma,  # noqa: F401
                                 gennorm, geom, gumbel_l, gumbel_r, laplace, logistic, multivariate_normal, nbinom,
                                 norm, pareto, poisson, t, uniform, vonmises, wrapcauchy)
from jaxlite.scipy.stats import multinomial, truncnorm  # noqa: F401,E402
from jaxlite._src.scipy.stats.extra import mode, rankdata, sem  # noqa: F401,E402
from jaxlite._src.scipy.stats.kde import gaussian_kde  # noqa: F401,E402
