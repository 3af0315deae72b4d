"""Discrete distributions of jax.scipy.stats (JAX's formulas and out-of-support values)."""

from __future__ import annotations

import numpy as np

from jaxlite._src.core import get_aval
from jaxlite._src.lax import lax
from jaxlite._src.lax import special as lsp
from jaxlite._src.numpy import lax_numpy as jnp
from jaxlite._src.numpy.util import promote_args_inexact
from jaxlite._src.scipy import special as sp
from jaxlite._src.scipy.stats import describe


def _c(x, v):
    return lax.full(get_aval(x).shape, v, get_aval(x).dtype)


class bernoulli:
    @staticmethod
    def logpmf(k, p, loc=0):
        k, p, loc = promote_args_inexact("bernoulli.logpmf", k, p, loc)
        x = k - loc
        out = sp.xlogy(x, p) + sp.xlog1py(1.0 - x, -p)
        return jnp.where(jnp.logical_or(lax.lt(x, _c(x, 0.0)), lax.gt(x, _c(x, 1.0))), -np.inf, out)

    @staticmethod
    def pmf(k, p, loc=0):
        return lax.exp(bernoulli.logpmf(k, p, loc))

    @staticmethod
    def cdf(k, p):
        k, p = promote_args_inexact("bernoulli.cdf", k, p)
        out = jnp.where(lax.ge(k, _c(k, 1.0)), _c(k, 1.0), 1.0 - p)
        out = jnp.where(lax.lt(k, _c(k, 0.0)), _c(k, 0.0), out)
        bad = jnp.isnan(k) | jnp.isnan(p) | (p < 0) | (p > 1)
        return jnp.where(bad, np.nan, out)

    @staticmethod
    def ppf(q, p):
        q, p = promote_args_inexact("bernoulli.ppf", q, p)
        bad = jnp.isnan(q) | jnp.isnan(p) | (p < 0) | (p > 1) | (q < 0) | (q > 1)
        return jnp.where(bad, np.nan, jnp.where(lax.le(q, 1.0 - p), _c(q, 0.0), _c(q, 1.0)))


class poisson:
    @staticmethod
    def logpmf(k, mu, loc=0):
        k, mu, loc = promote_args_inexact("poisson.logpmf", k, mu, loc)
        x = k - loc
        out = sp.xlogy(x, mu) - lsp._lgamma(x + 1.0) - mu
        return jnp.where(jnp.logical_or(lax.lt(x, _c(x, 0.0)), lax.ne(jnp.round(k), k)), -np.inf, out)

    @staticmethod
    def pmf(k, mu, loc=0):
        return lax.exp(poisson.logpmf(k, mu, loc))

    @staticmethod
    def cdf(k, mu, loc=0):
        k, mu, loc = promote_args_inexact("poisson.logpmf", k, mu, loc)
        x = k - loc
        return jnp.where(lax.lt(x, _c(x, 0.0)), _c(x, 0.0), sp.gammaincc(jnp.floor(1.0 + x), mu))


class geom:
    @staticmethod
    def logpmf(k, p, loc=0):
        k, p, loc = promote_args_inexact("geom.logpmf", k, p, loc)
        x = k - loc
        out = sp.xlog1py(x - 1.0, -p) + lax.log(p)
        return jnp.where(lax.le(x, _c(x, 0.0)), -np.inf, out)

    @staticmethod
    def pmf(k, p, loc=0):
        return lax.exp(geom.logpmf(k, p, loc))


class binom:
    @staticmethod
    def logpmf(k, n, p, loc=0):
        k, n, p, loc = promote_args_inexact("binom.logpmf", k, n, p, loc)
        y = k - loc
        comb_term = lsp._lgamma(n + 1.0) - lsp._lgamma(y + 1.0) - lsp._lgamma(n - y + 1.0)
        out = comb_term + sp.xlogy(y, p) + sp.xlog1py(n - y, -p)
        return jnp.where((lax.lt(y, _c(y, 0.0)) | lax.gt(y, n)) | jnp.isnan(n), -np.inf, out)

    @staticmethod
    def pmf(k, n, p, loc=0):
        return lax.exp(binom.logpmf(k, n, p, loc))


for _cls, _dist in ((bernoulli, "the Bernoulli distribution"), (poisson, "the Poisson distribution"),
                    (geom, "the geometric distribution"), (binom, "the binomial distribution")):
    describe(_cls, _dist)
del _cls, _dist
