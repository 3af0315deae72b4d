"""More jax.scipy.stats distributions (pareto, gumbel_l/r, gennorm, vonmises, wrapcauchy, nbinom,
betabinom) with JAX's formulas and out-of-support values."""

from __future__ import annotations

import math

import numpy as np

import jaxlite.numpy as jnp
from jaxlite._src.lax import special as lsp
from jaxlite._src.numpy.util import promote_args_inexact
from jaxlite._src.scipy import special as sp
from jaxlite._src.scipy.stats import describe


class pareto:
    @staticmethod
    def logpdf(x, b, loc=0, scale=1):
        x, b, loc, scale = promote_args_inexact("pareto.logpdf", x, b, loc, scale)
        z = (x - loc) / scale
        out = jnp.log(b) - jnp.log(scale) - (b + 1.0) * jnp.log(z)
        return jnp.where(z < 1.0, -np.inf, out)

    @staticmethod
    def pdf(x, b, loc=0, scale=1):
        return jnp.exp(pareto.logpdf(x, b, loc, scale))

    @staticmethod
    def logsf(x, b, loc=0, scale=1):
        x, b, loc, scale = promote_args_inexact("pareto.logsf", x, b, loc, scale)
        z = (x - loc) / scale
        return jnp.where(z < 1.0, 0.0, -b * jnp.log(z))

    @staticmethod
    def sf(x, b, loc=0, scale=1):
        return jnp.exp(pareto.logsf(x, b, loc, scale))

    @staticmethod
    def cdf(x, b, loc=0, scale=1):
        return -jnp.expm1(pareto.logsf(x, b, loc, scale))

    @staticmethod
    def logcdf(x, b, loc=0, scale=1):
        return jnp.log1p(-pareto.sf(x, b, loc, scale))

    @staticmethod
    def ppf(q, b, loc=0, scale=1):
        q, b, loc, scale = promote_args_inexact("pareto.ppf", q, b, loc, scale)
        out = scale * jnp.exp(-jnp.log1p(-q) / b) + loc
        return jnp.where((q < 0) | (q > 1) | jnp.isnan(q), np.nan, out)


class gumbel_r:
    @staticmethod
    def logpdf(x, loc=0, scale=1):
        x, loc, scale = promote_args_inexact("gumbel_r.logpdf", x, loc, scale)
        z = (x - loc) / scale
        return -z - jnp.exp(-z) - jnp.log(scale)

    @staticmethod
    def pdf(x, loc=0, scale=1):
        return jnp.exp(gumbel_r.logpdf(x, loc, scale))

    @staticmethod
    def logcdf(x, loc=0, scale=1):
        x, loc, scale = promote_args_inexact("gumbel_r.logcdf", x, loc, scale)
        return -jnp.exp(-(x - loc) / scale)

    @staticmethod
    def cdf(x, loc=0, scale=1):
        return jnp.exp(gumbel_r.logcdf(x, loc, scale))

    @staticmethod
    def sf(x, loc=0, scale=1):
        return -jnp.expm1(gumbel_r.logcdf(x, loc, scale))

    @staticmethod
    def logsf(x, loc=0, scale=1):
        return jnp.log(gumbel_r.sf(x, loc, scale))

    @staticmethod
    def ppf(q, loc=0, scale=1):
        q, loc, scale = promote_args_inexact("gumbel_r.ppf", q, loc, scale)
        return jnp.where((q <= 0) | (q >= 1), np.nan, loc - scale * jnp.log(-jnp.log(q)))


class gumbel_l:
    @staticmethod
    def logpdf(x, loc=0, scale=1):
        x, loc, scale = promote_args_inexact("gumbel_l.logpdf", x, loc, scale)
        z = (x - loc) / scale
        return z - jnp.exp(z) - jnp.log(scale)

    @staticmethod
    def pdf(x, loc=0, scale=1):
        return jnp.exp(gumbel_l.logpdf(x, loc, scale))

    @staticmethod
    def logsf(x, loc=0, scale=1):
        x, loc, scale = promote_args_inexact("gumbel_l.logsf", x, loc, scale)
        return -jnp.exp((x - loc) / scale)

    @staticmethod
    def sf(x, loc=0, scale=1):
        return jnp.exp(gumbel_l.logsf(x, loc, scale))

    @staticmethod
    def cdf(x, loc=0, scale=1):
        return -jnp.expm1(gumbel_l.logsf(x, loc, scale))

    @staticmethod
    def logcdf(x, loc=0, scale=1):
        return jnp.log(gumbel_l.cdf(x, loc, scale))

    @staticmethod
    def ppf(q, loc=0, scale=1):
        q, loc, scale = promote_args_inexact("gumbel_l.ppf", q, loc, scale)
        return jnp.where((q <= 0) | (q >= 1), np.nan, loc + scale * jnp.log(-jnp.log1p(-q)))


class gennorm:
    @staticmethod
    def logpdf(x, beta):
        x, beta = promote_args_inexact("gennorm.logpdf", x, beta)
        return jnp.log(0.5 * beta) - lsp._lgamma(1.0 / beta) - jnp.abs(x) ** beta

    @staticmethod
    def pdf(x, beta):
        return jnp.exp(gennorm.logpdf(x, beta))

    @staticmethod
    def cdf(x, beta):
        x, beta = promote_args_inexact("gennorm.cdf", x, beta)
        return 0.5 * (1.0 + jnp.sign(x) * sp.gammainc(1.0 / beta, jnp.abs(x) ** beta))


class vonmises:
    @staticmethod
    def logpdf(x, kappa):
        x, kappa = promote_args_inexact("vonmises.logpdf", x, kappa)
        out = kappa * (jnp.cos(x) - 1.0) - math.log(2 * math.pi) - jnp.log(sp.i0e(kappa))
        return jnp.where(kappa > 0, out, np.nan)

    @staticmethod
    def pdf(x, kappa):
        return jnp.exp(vonmises.logpdf(x, kappa))


class wrapcauchy:
    @staticmethod
    def logpdf(x, c):
        x, c = promote_args_inexact("wrapcauchy.logpdf", x, c)
        out = jnp.log1p(-c * c) - math.log(2 * math.pi) - jnp.log1p(c * c - 2.0 * c * jnp.cos(x))
        out = jnp.where((x >= 0) & (x <= 2 * math.pi), out, -np.inf)  # nan x included, as JAX
        return jnp.where((c > 0) & (c < 1), out, np.nan)

    @staticmethod
    def pdf(x, c):
        return jnp.exp(wrapcauchy.logpdf(x, c))


class nbinom:
    @staticmethod
    def logpmf(k, n, p, loc=0):
        k, n, p, loc = promote_args_inexact("nbinom.logpmf", k, n, p, loc)
        y = k - loc
        comb = lsp._lgamma(y + n) - lsp._lgamma(n) - lsp._lgamma(y + 1.0)
        out = comb + sp.xlogy(n, p) + sp.xlog1py(y, -p)
        return jnp.where(y < 0, -np.inf, out)

    @staticmethod
    def pmf(k, n, p, loc=0):
        return jnp.exp(nbinom.logpmf(k, n, p, loc))


class betabinom:
    @staticmethod
    def logpmf(k, n, a, b, loc=0):
        k, n, a, b, loc = promote_args_inexact("betabinom.logpmf", k, n, a, b, loc)
        y = jnp.floor(k - loc)
        comb = lsp._lgamma(n + 1.0) - lsp._lgamma(y + 1.0) - lsp._lgamma(n - y + 1.0)
        out = comb + sp.betaln(y + a, n - y + b) - sp.betaln(a, b)
        out = jnp.where((y < 0) | (y > n), -np.inf, out)
        return jnp.where((n < 0) | (a <= 0) | (b <= 0), np.nan, out)

    @staticmethod
    def pmf(k, n, a, b, loc=0):
        return jnp.exp(betabinom.logpmf(k, n, a, b, loc))


for _cls, _dist in ((pareto, "the Pareto distribution"), (gumbel_r, "the right-skewed Gumbel distribution"),
                    (gumbel_l, "the left-skewed Gumbel distribution"), (gennorm, "the generalized normal distribution"),
                    (vonmises, "the von Mises distribution"), (wrapcauchy, "the wrapped Cauchy distribution"),
                    (nbinom, "the negative binomial distribution"), (betabinom, "the beta-binomial distribution")):
    describe(_cls, _dist)
del _cls, _dist
