"""multivariate_normal and dirichlet of jax.scipy.stats."""

from __future__ import annotations

import math

import numpy as np

from jaxlite._src.core import get_aval
from jaxlite._src.features import partial
from jaxlite._src.lax import lax
from jaxlite._src.lax import special as lsp
from jaxlite._src.numpy import lax_numpy as jnp
from jaxlite._src.numpy.reductions import all as _all, sum as _sum
from jaxlite._src.numpy.util import promote_dtypes_inexact
from jaxlite._src.scipy import special as sp
from jaxlite._src.scipy.stats import describe


def _cholesky_solve_lower(cov, y):
    """(log|diag L|, L^-1 y) for cov = L L^T, by columns unrolled over the static size n (no
    linalg module yet; fine for the small covariances of density evaluations)."""
    n = get_aval(cov).shape[-1]
    cols = []
    for j in range(n):
        s = cov[..., j:, j]
        for k in range(j):
            s = s - cols[k][..., j:] * cols[k][..., j:j + 1]
        d = lax.sqrt(s[..., :1])
        col = jnp.concatenate([jnp.zeros(get_aval(s).shape[:-1] + (j,), get_aval(s).dtype), s / d], axis=-1)
        cols.append(col)
    sol = []
    for i in range(n):
        acc = y[..., i]
        for k in range(i):
            acc = acc - cols[k][..., i] * sol[k]
        sol.append(acc / cols[i][..., i])
    logdiag = sum(lax.log(cols[i][..., i]) for i in range(n))
    return logdiag, jnp.stack(sol, axis=-1)


class multivariate_normal:
    @staticmethod
    @partial("full covariance is a 2-D matrix only (no batched covariances); Cholesky unrolled over n")
    def logpdf(x, mean, cov, allow_singular=None):
        if allow_singular is not None:
            raise NotImplementedError("allow_singular argument of multivariate_normal.logpdf")
        x, mean, cov = promote_dtypes_inexact(x, mean, cov)
        if not get_aval(mean).shape:
            return -0.5 * jnp.square(x - mean) / cov - 0.5 * (math.log(2 * math.pi) + jnp.log(cov))
        n = get_aval(mean).shape[-1]
        if not get_aval(cov).shape:
            y = x - mean
            return -0.5 * _sum(y * y, axis=-1) / cov - n / 2 * (math.log(2 * math.pi) + jnp.log(cov))
        if get_aval(cov).ndim < 2 or get_aval(cov).shape[-2:] != (n, n):
            raise ValueError("multivariate_normal.logpdf got incompatible shapes")
        if get_aval(cov).ndim > 2:
            raise NotImplementedError("batched covariance matrices in multivariate_normal.logpdf")
        logdiag, y = _cholesky_solve_lower(cov, x - mean)
        return -0.5 * _sum(y * y, axis=-1) - n / 2 * math.log(2 * math.pi) - logdiag

    @staticmethod
    def pdf(x, mean, cov):
        return lax.exp(multivariate_normal.logpdf(x, mean, cov))


class dirichlet:
    @staticmethod
    def logpdf(x, alpha):
        x, alpha = promote_dtypes_inexact(x, alpha)
        if get_aval(alpha).ndim != 1:
            raise ValueError(f"`alpha` must be one-dimensional; got alpha.shape={get_aval(alpha).shape}")
        k = get_aval(alpha).shape[0]
        if get_aval(x).shape[0] not in (k, k - 1):
            raise ValueError("`x` must have either the same number of entries as `alpha` or one entry fewer; "
                             f"got x.shape={get_aval(x).shape}, alpha.shape={get_aval(alpha).shape}")
        if get_aval(x).shape[0] != k:
            x = jnp.concatenate([x, 1.0 - _sum(x, axis=0, keepdims=True)], axis=0)
        norm = _sum(lsp._lgamma(alpha)) - lsp._lgamma(_sum(alpha))
        if get_aval(x).ndim > 1:
            alpha = jnp.reshape(alpha, (k,) + (1,) * (get_aval(x).ndim - 1))
        out = _sum(sp.xlogy(alpha - 1.0, x), axis=0) - norm
        simplex = _all(x > 0, axis=0) & (abs(_sum(x, axis=0) - 1) < 1e-6)
        return jnp.where(simplex, out, -np.inf)

    @staticmethod
    def pdf(x, alpha):
        return lax.exp(dirichlet.logpdf(x, alpha))


describe(multivariate_normal, "the multivariate normal distribution (last axis of x: the variables)")
describe(dirichlet, "the Dirichlet distribution (x on the simplex along its first axis)")
