"""jax.scipy.stats: truncnorm, multinomial, poisson.entropy and the summary functions mode,
rankdata and sem, with JAX's formulas, branch structure and out-of-support values."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

import jaxlite.numpy as jnp
from jaxlite._src.batching import vmap
from jaxlite._src.core import get_aval
from jaxlite._src.lax.sorting import sort_key_val
from jaxlite._src.numpy.util import promote_args_inexact, promote_dtypes_inexact
from jaxlite._src.scipy import special as sp
from jaxlite._src.scipy.stats import describe
from jaxlite._src.scipy.stats.continuous import norm
from jaxlite._src.scipy.stats.discrete import poisson


# ---- truncnorm ---------------------------------------------------------------------------------


def _log_diff(x, y):
    return sp.logsumexp(jnp.array([x, y]), b=jnp.array([jnp.ones_like(x), -jnp.ones_like(y)]), axis=0)


def _log_gauss_mass(a, b):
    """log(ndtr(b) - ndtr(a)), through whichever tail keeps the digits."""
    a, b = jnp.broadcast_arrays(jnp.asarray(a), jnp.asarray(b))
    left, right = b <= 0, a > 0
    a_tail, b_tail = jnp.where(right, -b, a), jnp.where(right, -a, b)
    tail = _log_diff(sp.log_ndtr(b_tail), sp.log_ndtr(a_tail))
    central = jnp.log1p(-sp.ndtr(a) - sp.ndtr(-b))
    return jnp.where(~(left | right), central, tail)


class truncnorm:
    @staticmethod
    def logpdf(x, a, b, loc=0, scale=1):
        x, a, b, loc, scale = promote_args_inexact("truncnorm.logpdf", x, a, b, loc, scale)
        val = norm.logpdf(x, loc, scale) - _log_gauss_mass(a, b)
        z = (x - loc) / scale
        val = jnp.where((z < a) | (z > b), -np.inf, val)
        return jnp.where(a >= b, np.nan, val)

    @staticmethod
    def pdf(x, a, b, loc=0, scale=1):
        return jnp.exp(truncnorm.logpdf(x, a, b, loc, scale))

    @staticmethod
    def logcdf(x, a, b, loc=0, scale=1):
        x, a, b, loc, scale = promote_args_inexact("truncnorm.logcdf", x, a, b, loc, scale)
        x, a, b = jnp.broadcast_arrays(x, a, b)
        x = (x - loc) / scale
        lgm_ab = _log_gauss_mass(a, b)
        logcdf = _log_gauss_mass(a, x) - lgm_ab
        logsf = _log_gauss_mass(x, b) - lgm_ab
        # near 1, log1p(-sf) keeps the digits that cdf itself loses
        logcdf = jnp.select([x >= b, x <= a, logcdf > -0.1, x > a],
                            [0, -np.inf, jnp.log1p(-jnp.exp(logsf)), logcdf])
        return jnp.where(a >= b, np.nan, logcdf)

    @staticmethod
    def cdf(x, a, b, loc=0, scale=1):
        return jnp.exp(truncnorm.logcdf(x, a, b, loc, scale))

    @staticmethod
    def logsf(x, a, b, loc=0, scale=1):
        x, a, b, loc, scale = promote_args_inexact("truncnorm.logsf", x, a, b, loc, scale)
        return truncnorm.logcdf(-x, -b, -a, -loc, scale)

    @staticmethod
    def sf(x, a, b, loc=0, scale=1):
        return jnp.exp(truncnorm.logsf(x, a, b, loc, scale))


# ---- multinomial, poisson.entropy --------------------------------------------------------------


class multinomial:
    @staticmethod
    def logpmf(x, n, p):
        (p,) = promote_args_inexact("multinomial.logpmf", p)
        x, n = jnp.asarray(x), jnp.asarray(n)
        dt = jnp.result_type(x, n)
        if not jnp.issubdtype(dt, jnp.integer):
            raise ValueError(f"x and n must be of integer type; got x.dtype={x.dtype}, n.dtype={n.dtype}")
        pd = get_aval(p).dtype
        x, n = x.astype(pd), n.astype(pd)
        logprobs = sp.gammaln(n + 1) + jnp.sum(sp.xlogy(x, p) - sp.gammaln(x + 1), axis=-1)
        return jnp.where(jnp.sum(x) == n, logprobs, -np.inf)

    @staticmethod
    def pmf(x, n, p):
        return jnp.exp(multinomial.logpmf(x, n, p))


def _poisson_entropy_sum(mu, max_k, upper):
    k = jnp.arange(max_k, dtype=mu.dtype)[:, None]
    probs = poisson.pmf(k, mu, 0)
    probs = jnp.where(k < jnp.ceil(upper)[None, :], probs, 0.0)
    return jnp.sum(sp.entr(probs), axis=0)


def poisson_entropy(mu, loc=0):
    """Entropy of the Poisson distribution with mean `mu` (shifting by `loc` does not change it)."""
    mu, loc = promote_dtypes_inexact(jnp.asarray(mu), jnp.asarray(loc))
    shape = jnp.broadcast_shapes(mu.shape, loc.shape)
    m = jnp.ravel(mu)
    # direct sums over the support for mu < 100, the asymptotic series above
    small = _poisson_entropy_sum(m, 35, m + 20)
    medium = _poisson_entropy_sum(m, 250, m + 10 * jnp.sqrt(m) + 20)
    large = 0.5 * jnp.log(2 * np.pi * np.e * m) - 1.0 / (12 * m)
    out = jnp.where(m == 0, 0.0, jnp.where(m < 10, small, jnp.where(m < 100, medium, large)))
    return jnp.broadcast_to(out.reshape(mu.shape), shape)


# ---- mode, rankdata, sem -----------------------------------------------------------------------


class ModeResult(NamedTuple):
    mode: object
    count: object


def _check_nan_policy(name, nan_policy):
    if nan_policy not in ("propagate", "omit", "raise"):
        raise ValueError(f"Illegal nan_policy value {nan_policy!r}; expected one of {{'propagate', 'omit', 'raise'}}")
    if nan_policy == "omit":
        raise NotImplementedError(f"Logic for `nan_policy` of {nan_policy} is not implemented")
    if nan_policy == "raise":
        raise NotImplementedError(f"In order to best JIT compile `{name}`, we cannot know whether `x` contains nans. "
                                  f"Please check if nans exist in `x` outside of the `{name}` function.")


def _default_float():
    return jnp.zeros(()).dtype


def mode(a, axis=0, nan_policy="propagate", keepdims=False):
    """Most frequent value along `axis` and its count (the smallest value on ties), as a ModeResult."""
    x = jnp.atleast_1d(jnp.asarray(a))
    _check_nan_policy("mode", nan_policy)
    if axis is not None:
        if not -x.ndim <= axis < x.ndim:
            raise ValueError(f"axis {axis} is out of bounds for array of dimension {x.ndim}")
        axis %= x.ndim
    shape = x.shape
    if axis is None:
        out_shape = (1,) * len(shape) if keepdims else ()
        x, axis = x.ravel(), 0
    else:
        out_shape = tuple(1 if i == axis else s for i, s in enumerate(shape)) if keepdims else \
            tuple(s for i, s in enumerate(shape) if i != axis)
    x = jnp.moveaxis(x, axis, 0)
    x = x.reshape(x.shape[0], math.prod(x.shape[1:]))

    def one(col):
        if col.size == 0:
            return jnp.array(np.nan, _default_float()), jnp.array(0, _default_float())
        vals, counts = jnp.unique(col, return_counts=True, size=col.size)
        return vals[jnp.argmax(counts)], counts.max()
    vals, counts = vmap(one, in_axes=1)(x)
    return ModeResult(vals.reshape(out_shape), counts.reshape(out_shape))


def _rank_1d(a, method):
    out_dtype = _default_float()
    arr, sorter = sort_key_val(a, jnp.arange(a.size))
    inv = jnp.empty_like(sorter).at[sorter].set(jnp.arange(sorter.size, dtype=sorter.dtype))
    if method == "ordinal":
        ranks = (inv + 1).astype(out_dtype)
    else:
        obs = jnp.concatenate([jnp.array([True]), arr[1:] != arr[:-1]])
        dense = obs.cumsum()[inv]
        if method == "dense":
            ranks = dense.astype(out_dtype)
        else:
            # count[j]: where the j-th run of equal values starts; run ends follow
            count = jnp.nonzero(obs, size=arr.size + 1, fill_value=obs.size)[0].astype(out_dtype)
            ranks = {"max": lambda: count[dense], "min": lambda: count[dense - 1] + 1,
                     "average": lambda: 0.5 * (count[dense] + count[dense - 1] + 1)}[method]()
    return jnp.where(jnp.any(jnp.isnan(a)), jnp.full_like(ranks, np.nan), ranks)


def rankdata(a, method="average", *, axis=None, nan_policy="propagate"):
    """Ranks 1..n of the data (flattened, or along `axis`), ties resolved by `method` ('average', 'min', 'max',
    'dense' or 'ordinal')."""
    a = jnp.asarray(a)
    _check_nan_policy("rankdata", nan_policy)
    if method not in ("average", "min", "max", "dense", "ordinal"):
        raise ValueError(f"unknown method '{method}'")
    if axis is not None:
        return jnp.apply_along_axis(rankdata, axis, a, method)
    return _rank_1d(jnp.ravel(a), method)


def sem(a, axis=0, ddof=1, nan_policy="propagate", *, keepdims=False):
    """Standard error of the mean along `axis`: std(a, ddof) / sqrt(n)."""
    (b,) = promote_args_inexact("sem", a)
    if nan_policy == "propagate":
        size = b.size if axis is None else b.shape[axis]
        return b.std(axis, ddof=ddof, keepdims=keepdims) / jnp.sqrt(size).astype(b.dtype)
    if nan_policy == "omit":
        count = (~jnp.isnan(b)).sum(axis, keepdims=keepdims)
        return jnp.nanstd(b, axis, ddof=ddof, keepdims=keepdims) / jnp.sqrt(count).astype(b.dtype)
    raise ValueError(f"{nan_policy} is not supported")


describe(truncnorm, "the normal distribution truncated to [a, b] (bounds in standard units)")
describe(multinomial, "the multinomial distribution (counts x of n draws with probabilities p)")
