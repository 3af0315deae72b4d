"""jax.scipy.stats.gaussian_kde: a Gaussian kernel density estimate that is a pytree, so it passes
through jit, vmap and grad like JAX's (its arrays are the leaves; d and n come from their shapes)."""

from __future__ import annotations

import dataclasses
import math
from functools import partial
from typing import Any

import numpy as np

import jaxlite.numpy as jnp
from jaxlite._src import dtypes
from jaxlite._src.batching import vmap
from jaxlite._src.jit import jit
from jaxlite._src.numpy.util import check_arraylike, promote_dtypes_inexact
from jaxlite._src.scipy import linalg
from jaxlite._src.scipy.special import ndtr
from jaxlite._src.tree_util import register_pytree_node_class

_LEAVES = ("neff", "dataset", "weights", "covariance", "inv_cov")


def _reject_complex(x, what: str) -> None:
    if dtypes.issubdtype(jnp.result_type(x), np.complexfloating):
        raise NotImplementedError(f"gaussian_kde does not support complex {what}")


@register_pytree_node_class
@dataclasses.dataclass(frozen=True, init=False)
class gaussian_kde:
    """Gaussian kernel density estimator, as scipy.stats.gaussian_kde (JAX's subset).

    dataset: (n,) or (d, n) real data; bw_method: "scott" (default), "silverman", a scalar bandwidth
    factor, or a callable taking the estimator; weights: optional (n,) data weights."""
    neff: Any
    dataset: Any
    weights: Any
    covariance: Any
    inv_cov: Any

    def __init__(self, dataset, bw_method=None, weights=None):
        check_arraylike("gaussian_kde", dataset)
        dataset = jnp.atleast_2d(dataset)
        _reject_complex(dataset, "data")
        if not dataset.size > 1:
            raise ValueError("`dataset` input should have multiple elements.")
        d, n = dataset.shape
        if weights is None:
            (dataset,) = promote_dtypes_inexact(dataset)
            weights = jnp.full(n, 1.0 / n, dtype=dataset.dtype)
        else:
            check_arraylike("gaussian_kde", weights)
            dataset, weights = promote_dtypes_inexact(dataset, weights)
            weights = jnp.atleast_1d(weights)
            weights = weights / jnp.sum(weights)
            if weights.ndim != 1:
                raise ValueError("`weights` input should be one-dimensional.")
            if len(weights) != n:
                raise ValueError("`weights` input should be of length n")
        self._set("dataset", dataset)
        self._set("weights", weights)
        neff = self._set("neff", 1 / jnp.sum(weights ** 2))

        if bw_method is None or (isinstance(bw_method, str) and bw_method == "scott"):
            factor = jnp.power(neff, -1.0 / (d + 4))
        elif isinstance(bw_method, str) and bw_method == "silverman":
            factor = jnp.power(neff * (d + 2) / 4.0, -1.0 / (d + 4))
        elif jnp.isscalar(bw_method) and not isinstance(bw_method, str):
            factor = bw_method
        elif callable(bw_method):
            factor = bw_method(self)
        else:
            raise ValueError("`bw_method` should be 'scott', 'silverman', a scalar, or a callable.")

        data_cov = jnp.atleast_2d(jnp.cov(dataset, rowvar=1, bias=False, aweights=weights))
        self._set("covariance", data_cov * factor ** 2)
        self._set("inv_cov", jnp.linalg.inv(data_cov) / factor ** 2)

    def _set(self, name, value):
        object.__setattr__(self, name, value)  # frozen: only the constructor and unflatten write
        return value

    def tree_flatten(self):
        return tuple(getattr(self, k) for k in _LEAVES), None

    @classmethod
    def tree_unflatten(cls, aux_data, children):
        kde = cls.__new__(cls)
        for name, value in zip(_LEAVES, children):
            kde._set(name, value)
        return kde

    @property
    def d(self):
        return self.dataset.shape[0]

    @property
    def n(self):
        return self.dataset.shape[1]

    def evaluate(self, points):
        """The estimated density at points ((d, m), or (m,) when d == 1)."""
        check_arraylike("evaluate", points)
        points = self._reshape_points(points)
        return _kernel_sum(False, self.dataset.T, self.weights[:, None], points.T, self.inv_cov)[:, 0]

    __call__ = pdf = evaluate

    def logpdf(self, x):
        """log of the estimated density, summed in log space (no underflow far from the data)."""
        check_arraylike("logpdf", x)
        x = self._reshape_points(x)
        return _kernel_sum(True, self.dataset.T, self.weights[:, None], x.T, self.inv_cov)[:, 0]

    def integrate_gaussian(self, mean, cov):
        """The integral of the density times a Gaussian N(mean, cov)."""
        mean = jnp.atleast_1d(jnp.squeeze(mean))
        cov = jnp.atleast_2d(cov)
        if mean.shape != (self.d,):
            raise ValueError(f"mean does not have dimension {self.d}")
        if cov.shape != (self.d, self.d):
            raise ValueError(f"covariance does not have dimension {self.d}")
        chol = linalg.cho_factor(self.covariance + cov)
        norm = 1.0 / (math.sqrt(2 * math.pi) ** self.d * jnp.prod(jnp.diag(chol[0])))
        return _convolve(chol, norm, self.dataset, self.weights, mean)

    def integrate_box_1d(self, low, high):
        """The probability mass between the scalars low and high (1-D estimates only)."""
        if self.d != 1:
            raise ValueError("integrate_box_1d() only handles 1D pdfs")
        if np.ndim(low) != 0 or np.ndim(high) != 0:
            raise ValueError("the limits of integration in integrate_box_1d must be scalars")
        return _box_1d(self, low, high)

    def integrate_kde(self, other):
        """The integral of the product of two estimates of the same dimension."""
        if other.d != self.d:
            raise ValueError("KDEs are not the same dimensionality")
        chol = linalg.cho_factor(self.covariance + other.covariance)
        norm = 1.0 / (math.sqrt(2 * math.pi) ** self.d * jnp.prod(jnp.diag(chol[0])))
        small, large = (self, other) if self.n < other.n else (other, self)
        per_point = vmap(partial(_convolve, chol, norm, large.dataset, large.weights), in_axes=1)(small.dataset)
        return jnp.sum(per_point * small.weights)

    def resample(self, key, shape=()):
        """Draws of shape (d,) + shape from the estimate: a data point chosen by weight plus kernel noise."""
        return _resample(self, key, tuple(shape))

    def integrate_box(self, low_bounds, high_bounds, maxpts=None):
        """Not in JAX's interface: only integrate_box_1d is."""
        raise NotImplementedError("only 1D box integrations are supported; use `integrate_box_1d`")

    def set_bandwidth(self, bw_method=None):
        """Not in JAX's interface: the estimator is immutable."""
        raise NotImplementedError("dynamically changing the bandwidth method is not supported")

    def _reshape_points(self, points):
        _reject_complex(points, "coordinates")
        points = jnp.atleast_2d(points)
        d, m = points.shape
        if d != self.d:
            if d == 1 and m == self.d:
                return jnp.reshape(points, (self.d, 1))
            raise ValueError(f"points have dimension {d}, dataset has dimension {self.d}")
        return points


@jit
def _box_1d(kde, low, high):
    sigma = jnp.squeeze(jnp.sqrt(kde.covariance))
    low = jnp.squeeze((low - kde.dataset) / sigma)
    high = jnp.squeeze((high - kde.dataset) / sigma)
    return jnp.sum(kde.weights * (ndtr(high) - ndtr(low)))


@partial(jit, static_argnums=2)
def _resample(kde, key, shape):
    from jaxlite._src.random.keys import split
    from jaxlite._src.random.samplers import choice, multivariate_normal
    index_key, noise_key = split(key)
    index = choice(index_key, kde.n, shape=shape, p=kde.weights)
    noise = multivariate_normal(noise_key, jnp.zeros(kde.d, kde.covariance.dtype), kde.covariance,
                                shape=shape, dtype=kde.dataset.dtype).T
    return kde.dataset[:, index] + noise


def _convolve(chol, norm, target, weights, mean):
    diff = target - mean[:, None]
    alpha = linalg.cho_solve(chol, diff)
    return norm * jnp.sum(jnp.exp(-0.5 * jnp.sum(diff * alpha, axis=0)) * weights)


@partial(jit, static_argnums=0)
def _kernel_sum(in_log, points, values, xi, precision):
    """sum_j values[j] N(xi; points[j], precision^-1), whitened by the Cholesky factor of precision."""
    points, values, xi, precision = promote_dtypes_inexact(points, values, xi, precision)
    d = points.shape[1]
    if xi.shape[1] != d:
        raise ValueError("points and xi must have same trailing dim")
    if precision.shape != (d, d):
        raise ValueError("precision matrix must match data dims")
    whitening = linalg.cholesky(precision, lower=True)
    points = jnp.dot(points, whitening)
    xi = jnp.dot(xi, whitening)
    log_norm = jnp.sum(jnp.log(jnp.diag(whitening))) - 0.5 * d * math.log(2 * math.pi)
    # (m, n) squared distances between every query and every data point, then a weighted sum.
    sq = jnp.sum(jnp.square(xi[:, None, :] - points[None, :, :]), axis=-1)
    arg = log_norm - 0.5 * sq
    if in_log:
        from jaxlite._src.scipy.special import logsumexp
        return logsumexp(arg[:, :, None] + jnp.log(values)[None, :, :], axis=1)
    return jnp.sum(jnp.exp(arg)[:, :, None] * values[None, :, :], axis=1)
