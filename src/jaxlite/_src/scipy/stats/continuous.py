"""Continuous distributions of jax.scipy.stats, with JAX's formulas, out-of-support values and
dtype promotion (arguments promote together to an inexact dtype)."""

from __future__ import annotations

import math

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


def _clamp(lo, x, hi):
    return lax.min(lax.max(x, _c(x, lo)), _c(x, hi))


class norm:
    @staticmethod
    def logpdf(x, loc=0, scale=1):
        x, loc, scale = promote_args_inexact("norm.logpdf", x, loc, scale)
        z = (x - loc) / scale
        return -0.5 * z * z - (lax.log(scale) + 0.5 * math.log(2 * math.pi))

    @staticmethod
    def pdf(x, loc=0, scale=1):
        return lax.exp(norm.logpdf(x, loc, scale))

    @staticmethod
    def cdf(x, loc=0, scale=1):
        x, loc, scale = promote_args_inexact("norm.cdf", x, loc, scale)
        return sp.ndtr((x - loc) / scale)

    @staticmethod
    def logcdf(x, loc=0, scale=1):
        x, loc, scale = promote_args_inexact("norm.logcdf", x, loc, scale)
        return sp.log_ndtr((x - loc) / scale)

    @staticmethod
    def sf(x, loc=0, scale=1):
        x, loc, scale = promote_args_inexact("norm.sf", x, loc, scale)
        return sp.ndtr((loc - x) / scale)

    @staticmethod
    def logsf(x, loc=0, scale=1):
        x, loc, scale = promote_args_inexact("norm.logsf", x, loc, scale)
        return sp.log_ndtr((loc - x) / scale)

    @staticmethod
    def ppf(q, loc=0, scale=1):
        q, loc, scale = promote_args_inexact("norm.ppf", q, loc, scale)
        return sp.ndtri(q) * scale + loc

    @staticmethod
    def isf(q, loc=0, scale=1):
        q, loc, scale = promote_args_inexact("norm.isf", q, loc, scale)
        return norm.ppf(1.0 - q, loc, scale)


class uniform:
    @staticmethod
    def logpdf(x, loc=0, scale=1):
        x, loc, scale = promote_args_inexact("uniform.logpdf", x, loc, scale)
        out = lax.neg(lax.log(scale))
        return jnp.where(jnp.logical_or(lax.gt(x, loc + scale), lax.lt(x, loc)), -np.inf, out)

    @staticmethod
    def pdf(x, loc=0, scale=1):
        return lax.exp(uniform.logpdf(x, loc, scale))

    @staticmethod
    def cdf(x, loc=0, scale=1):
        x, loc, scale = promote_args_inexact("uniform.cdf", x, loc, scale)
        inside = jnp.logical_and(lax.ge(x, loc), lax.le(x, loc + scale))
        out = jnp.where(inside, (x - loc) / scale, _c(x, 0.0))
        out = jnp.where(lax.gt(x, loc + scale), _c(x, 1.0), out)
        return jnp.where(lax.lt(x, loc), _c(x, 0.0), out)

    @staticmethod
    def ppf(q, loc=0, scale=1):
        q, loc, scale = promote_args_inexact("uniform.ppf", q, loc, scale)
        return jnp.where(jnp.isnan(q) | (q < 0) | (q > 1), np.nan, loc + scale * q)


class expon:
    @staticmethod
    def logpdf(x, loc=0, scale=1):
        x, loc, scale = promote_args_inexact("expon.logpdf", x, loc, scale)
        return jnp.where(lax.lt(x, loc), -np.inf, -((x - loc) / scale + lax.log(scale)))

    @staticmethod
    def pdf(x, loc=0, scale=1):
        return lax.exp(expon.logpdf(x, loc, scale))

    @staticmethod
    def cdf(x, loc=0, scale=1):
        x, loc, scale = promote_args_inexact("expon.cdf", x, loc, scale)
        neg = (loc - x) / scale
        return jnp.where(lax.lt(x, loc), jnp.zeros_like(neg), -lax.expm1(neg))

    @staticmethod
    def logsf(x, loc=0, scale=1):
        x, loc, scale = promote_args_inexact("expon.sf", x, loc, scale)
        neg = (loc - x) / scale
        return jnp.where(lax.lt(x, loc), jnp.zeros_like(neg), neg)

    @staticmethod
    def sf(x, loc=0, scale=1):
        return lax.exp(expon.logsf(x, loc, scale))

    @staticmethod
    def logcdf(x, loc=0, scale=1):
        return lax.log1p(-expon.sf(x, loc, scale))

    @staticmethod
    def ppf(q, loc=0, scale=1):
        q, loc, scale = promote_args_inexact("expon.ppf", q, loc, scale)
        return jnp.where(jnp.isnan(q) | (q < 0) | (q > 1), np.nan, loc - scale * lax.log1p(-q))


class laplace:
    @staticmethod
    def logpdf(x, loc=0, scale=1):
        x, loc, scale = promote_args_inexact("laplace.logpdf", x, loc, scale)
        return -(lax.abs(x - loc) / scale + lax.log(2.0 * scale))

    @staticmethod
    def pdf(x, loc=0, scale=1):
        return lax.exp(laplace.logpdf(x, loc, scale))

    @staticmethod
    def cdf(x, loc=0, scale=1):
        x, loc, scale = promote_args_inexact("laplace.cdf", x, loc, scale)
        d = (x - loc) / scale
        return jnp.where(lax.le(d, _c(d, 0.0)), 0.5 * lax.exp(d), 1.0 - 0.5 * lax.exp(-d))


class cauchy:
    @staticmethod
    def logpdf(x, loc=0, scale=1):
        x, loc, scale = promote_args_inexact("cauchy.logpdf", x, loc, scale)
        z = (x - loc) / scale
        return -(lax.log(math.pi * scale) + lax.log1p(z * z))

    @staticmethod
    def pdf(x, loc=0, scale=1):
        return lax.exp(cauchy.logpdf(x, loc, scale))

    @staticmethod
    def cdf(x, loc=0, scale=1):
        x, loc, scale = promote_args_inexact("cauchy.cdf", x, loc, scale)
        return 0.5 + lax.atan((x - loc) / scale) / math.pi

    @staticmethod
    def logcdf(x, loc=0, scale=1):
        return lax.log(cauchy.cdf(x, loc, scale))

    @staticmethod
    def sf(x, loc=0, scale=1):
        x, loc, scale = promote_args_inexact("cauchy.sf", x, loc, scale)
        return cauchy.cdf(-x, -loc, scale)

    @staticmethod
    def logsf(x, loc=0, scale=1):
        x, loc, scale = promote_args_inexact("cauchy.logsf", x, loc, scale)
        return cauchy.logcdf(-x, -loc, scale)

    @staticmethod
    def ppf(q, loc=0, scale=1):
        q, loc, scale = promote_args_inexact("cauchy.ppf", q, loc, scale)
        return lax.tan(math.pi * q - math.pi / 2) * scale + loc

    @staticmethod
    def isf(q, loc=0, scale=1):
        q, loc, scale = promote_args_inexact("cauchy.isf", q, loc, scale)
        return lax.tan(math.pi / 2 - math.pi * q) * scale + loc


class logistic:
    @staticmethod
    def logpdf(x, loc=0, scale=1):
        x, loc, scale = promote_args_inexact("logistic.logpdf", x, loc, scale)
        h = (x - loc) / scale / 2.0
        return -2.0 * jnp.logaddexp(h, -h) - lax.log(scale)

    @staticmethod
    def pdf(x, loc=0, scale=1):
        return lax.exp(logistic.logpdf(x, loc, scale))

    @staticmethod
    def cdf(x, loc=0, scale=1):
        x, loc, scale = promote_args_inexact("logistic.cdf", x, loc, scale)
        return sp.expit((x - loc) / scale)

    @staticmethod
    def sf(x, loc=0, scale=1):
        x, loc, scale = promote_args_inexact("logistic.sf", x, loc, scale)
        return sp.expit(-((x - loc) / scale))

    @staticmethod
    def ppf(q, loc=0, scale=1):
        q, loc, scale = promote_args_inexact("logistic.ppf", q, loc, scale)
        return sp.logit(q) * scale + loc

    @staticmethod
    def isf(q, loc=0, scale=1):
        q, loc, scale = promote_args_inexact("logistic.isf", q, loc, scale)
        return -sp.logit(q) * scale + loc


class gamma:
    @staticmethod
    def logpdf(x, a, loc=0, scale=1):
        x, a, loc, scale = promote_args_inexact("gamma.logpdf", x, a, loc, scale)
        ok = lax.ge(x, loc)
        y = jnp.where(ok, (x - loc) / scale, _c(x, 1.0))
        out = sp.xlogy(a - 1.0, y) - y - (lsp._lgamma(a) + lax.log(scale))
        return jnp.where(ok, out, -np.inf)

    @staticmethod
    def pdf(x, a, loc=0, scale=1):
        return lax.exp(gamma.logpdf(x, a, loc, scale))

    @staticmethod
    def cdf(x, a, loc=0, scale=1):
        x, a, loc, scale = promote_args_inexact("gamma.cdf", x, a, loc, scale)
        return sp.gammainc(a, _clamp(0.0, (x - loc) / scale, np.inf))

    @staticmethod
    def logcdf(x, a, loc=0, scale=1):
        return lax.log(gamma.cdf(x, a, loc, scale))

    @staticmethod
    def sf(x, a, loc=0, scale=1):
        x, a, loc, scale = promote_args_inexact("gamma.sf", x, a, loc, scale)
        y = (x - loc) / scale
        return jnp.where(lax.lt(y, _c(y, 0.0)), _c(y, 1.0), sp.gammaincc(a, y))

    @staticmethod
    def logsf(x, a, loc=0, scale=1):
        return lax.log(gamma.sf(x, a, loc, scale))


class chi2:
    @staticmethod
    def logpdf(x, df, loc=0, scale=1):
        x, df, loc, scale = promote_args_inexact("chi2.logpdf", x, df, loc, scale)
        y = (x - loc) / scale
        half = df / 2.0
        kernel = (half - 1.0) * lax.log(y) - y / 2.0
        const = -(lsp._lgamma(half) + math.log(2.0) * df / 2.0)
        return jnp.where(lax.lt(x, loc), -np.inf, const - lax.log(scale) + kernel)

    @staticmethod
    def pdf(x, df, loc=0, scale=1):
        return lax.exp(chi2.logpdf(x, df, loc, scale))

    @staticmethod
    def cdf(x, df, loc=0, scale=1):
        x, df, loc, scale = promote_args_inexact("chi2.cdf", x, df, loc, scale)
        return sp.gammainc(df / 2.0, _clamp(0.0, (x - loc) / (scale * 2.0), np.inf))

    @staticmethod
    def logcdf(x, df, loc=0, scale=1):
        return lax.log(chi2.cdf(x, df, loc, scale))

    @staticmethod
    def sf(x, df, loc=0, scale=1):
        x, df, loc, scale = promote_args_inexact("chi2.sf", x, df, loc, scale)
        return sp.gammaincc(df / 2.0, _clamp(0.0, (x - loc) / (scale * 2.0), np.inf))

    @staticmethod
    def logsf(x, df, loc=0, scale=1):
        return lax.log(chi2.sf(x, df, loc, scale))


class beta:
    @staticmethod
    def logpdf(x, a, b, loc=0, scale=1):
        x, a, b, loc, scale = promote_args_inexact("beta.logpdf", x, a, b, loc, scale)
        y = (x - loc) / scale
        out = -sp.betaln(a, b) + sp.xlogy(a - 1.0, y) + sp.xlog1py(b - 1.0, -y) - lax.log(scale)
        out = jnp.where(jnp.logical_or(lax.gt(x, loc + scale), lax.lt(x, loc)), -np.inf, out)
        bad = jnp.logical_or(jnp.logical_or(lax.le(a, _c(a, 0.0)), lax.le(b, _c(b, 0.0))), lax.le(scale, _c(scale, 0.0)))
        return jnp.where(bad, np.nan, out)

    @staticmethod
    def pdf(x, a, b, loc=0, scale=1):
        return lax.exp(beta.logpdf(x, a, b, loc, scale))

    @staticmethod
    def cdf(x, a, b, loc=0, scale=1):
        x, a, b, loc, scale = promote_args_inexact("beta.cdf", x, a, b, loc, scale)
        return sp.betainc(a, b, _clamp(0.0, (x - loc) / scale, 1.0))

    @staticmethod
    def logcdf(x, a, b, loc=0, scale=1):
        return lax.log(beta.cdf(x, a, b, loc, scale))

    @staticmethod
    def sf(x, a, b, loc=0, scale=1):
        x, a, b, loc, scale = promote_args_inexact("beta.sf", x, a, b, loc, scale)
        return sp.betainc(b, a, 1.0 - _clamp(0.0, (x - loc) / scale, 1.0))

    @staticmethod
    def logsf(x, a, b, loc=0, scale=1):
        return lax.log(beta.sf(x, a, b, loc, scale))


class t:
    @staticmethod
    def logpdf(x, df, loc=0, scale=1):
        x, df, loc, scale = promote_args_inexact("t.logpdf", x, df, loc, scale)
        z = (x - loc) / scale
        half = df / 2.0
        half1 = half + 0.5
        norm_term = lsp._lgamma(half) + lax.log(scale * scale * math.pi * df) / 2.0 - lsp._lgamma(half1)
        return -(norm_term + half1 * lax.log1p(z * z / df))

    @staticmethod
    def pdf(x, df, loc=0, scale=1):
        return lax.exp(t.logpdf(x, df, loc, scale))


for _cls, _dist in ((norm, "the normal distribution"), (uniform, "the uniform distribution on [loc, loc + scale]"),
                    (expon, "the exponential distribution"), (laplace, "the Laplace distribution"),
                    (cauchy, "the Cauchy distribution"), (logistic, "the logistic distribution"),
                    (gamma, "the gamma distribution"), (chi2, "the chi-square distribution"),
                    (beta, "the beta distribution"), (t, "Student's t distribution")):
    describe(_cls, _dist)
del _cls, _dist
