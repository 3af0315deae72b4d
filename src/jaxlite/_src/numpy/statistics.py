"""Counting and statistics: bincount, digitize, histograms, cov, corrcoef."""

from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from jaxlite._src import core, dtypes
from jaxlite._src.lax import lax
from jaxlite._src.numpy import lax_numpy as jnp, reductions
from jaxlite._src.numpy.calculus import diff
from jaxlite._src.numpy.sorting import searchsorted
from jaxlite._src.numpy.util import asarray, check_arraylike, promote_dtypes_inexact

__all__ = ["bincount", "digitize", "histogram_bin_edges", "histogram", "histogram2d", "histogramdd", "cov",
           "corrcoef"]


def bincount(x, weights=None, minlength=0, *, length=None):
    """Count (or sum `weights` of) occurrences of each non-negative integer in `x`; under jit, `length=` fixes
    the output size.
    """
    check_arraylike("bincount", x)
    x = asarray(x)
    if x.dtype == np.bool_:
        x = lax.convert_element_type(x, np.int32)
    if x.dtype.kind not in "iu":
        raise TypeError(f"x argument to bincount must have an integer type; got {x.dtype}")
    if x.ndim != 1:
        raise ValueError("only 1-dimensional input supported.")
    minlength = operator.index(core.concrete_or_error(
        minlength, "The error occurred because of argument 'minlength' of jnp.bincount."))
    if length is None:
        xc = np.asarray(core.concrete_or_error(x, "The error occurred because of argument 'x' of jnp.bincount. "
                                                  "To avoid this error, pass a static `length` argument."))
        length = max(minlength, int(max(0, xc.max())) + 1 if xc.size else 0)
    else:
        length = operator.index(core.concrete_or_error(
            length, "The error occurred because of argument 'length' of jnp.bincount."))
    if weights is None:
        weights = jnp.ones(x.shape, dtypes.default_int())
    else:
        check_arraylike("bincount", weights)
        weights = asarray(weights)
        if weights.shape != x.shape:
            raise ValueError(f"shape of weights must match shape of x. Got {weights.shape} and {x.shape}")
    return jnp.zeros((length,), weights.dtype).at[jnp.maximum(x, 0)].add(weights, mode="drop")


def digitize(x, bins, right=False, *, method=None):
    """Index of the bin in `bins` each element of `x` falls into (`right` picks which edge is closed)."""
    check_arraylike("digitize", x, bins)
    x, bins = asarray(x), asarray(bins)
    right = bool(core.concrete_or_error(right, "right argument of jnp.digitize()"))
    if bins.ndim != 1:
        raise ValueError(f"digitize: bins must be a 1-dimensional array; got bins={bins}")
    if bins.shape[0] == 0:
        return jnp.zeros(x.shape, np.int32)
    side = "left" if right else "right"
    ascending = searchsorted(bins, x, side=side)
    descending = bins.shape[0] - searchsorted(jnp.flip(bins), x, side=side)
    return jnp.where(bins[-1] >= bins[0], ascending, descending)


def histogram_bin_edges(a, bins=10, range=None, weights=None):
    """The bin edges that `histogram` would use for these arguments."""
    if isinstance(bins, str):
        raise NotImplementedError("string values for `bins` not implemented.")
    check_arraylike("histogram_bin_edges", a, bins)
    a = asarray(a)
    dt = a.dtype if a.dtype.kind in "fc" else dtypes.default_float()
    if np.ndim(bins) == 1 or (hasattr(bins, "ndim") and bins.ndim == 1):
        return asarray(bins, dt)
    nbins = operator.index(core.concrete_or_error(bins, "bins argument of histogram_bin_edges"))
    lo_hi = jnp.stack([reductions.min(a), reductions.max(a)]) if range is None else asarray(range)
    lo_hi = jnp.astype(lo_hi, dt)
    if lo_hi.shape != (2,):
        raise ValueError(f"`range` must be either None or a sequence of scalars, got {range}")
    # An empty range widens to one unit around its value, as NumPy does.
    flat = lo_hi[1] == lo_hi[0]
    lo = jnp.where(flat, lo_hi[0] - 0.5, lo_hi[0])
    hi = jnp.where(flat, lo_hi[1] + 0.5, lo_hi[1])
    return jnp.linspace(lo, hi, nbins + 1, dtype=dt)


def histogram(a, bins=10, range=None, weights=None, density=None):
    """Histogram of `a`: counts (or densities) and the bin edges, for `bins` equal bins over `range` or given
    edges.
    """
    if weights is None:
        check_arraylike("histogram", a, bins)
        (a,) = promote_dtypes_inexact(a)
        weights = jnp.ones_like(a)
    else:
        check_arraylike("histogram", a, bins, weights)
        if jnp.shape(a) != jnp.shape(weights):
            raise ValueError("weights should have the same shape as a.")
        a, weights = promote_dtypes_inexact(a, weights)
    edges = histogram_bin_edges(a, bins, range, weights)
    nedges = edges.shape[0]
    idx = searchsorted(edges, a, side="right")
    idx = jnp.where(a == edges[-1], nedges - 1, idx)  # the last bin is closed on the right
    counts = jnp.zeros((nedges,), weights.dtype).at[idx].add(weights, mode="drop")[1:]
    if density:
        counts = counts / diff(edges) / reductions.sum(counts)
    return counts, edges


def histogramdd(sample, bins=10, range=None, weights=None, density=None):
    """D-dimensional histogram of the rows of `sample`: counts and the edges along each axis."""
    if weights is None:
        check_arraylike("histogramdd", sample)
        (sample,) = promote_dtypes_inexact(sample)
    else:
        check_arraylike("histogramdd", sample, weights)
        if jnp.shape(weights) != jnp.shape(sample)[:1]:
            raise ValueError("should have one weight for each sample.")
        sample, weights = promote_dtypes_inexact(sample, weights)
    n, d = sample.shape
    if range is not None and (len(range) != d or any(r is not None and np.shape(r)[0] != 2 for r in range)):
        raise ValueError(f"For sample.shape={(n, d)}, range must be a sequence of {d} pairs or Nones; "
                         f"got range={range}")
    try:
        per_dim = list(bins)
    except TypeError:
        per_dim = d * [bins]
    else:
        if len(per_dim) != d:
            raise ValueError("should be a bin for each dimension.")
    idx, edges = [], []
    for i in builtins.range(d):
        col = sample[:, i]
        e = histogram_bin_edges(col, per_dim[i], None if range is None else range[i], weights)
        k = searchsorted(e, col, side="right")
        idx.append(jnp.where(col == e[-1], k - 1, k))
        edges.append(e)
    # Bin 0 and bin len(e) catch the samples outside the edges; they are dropped at the end.
    nbins = tuple(e.shape[0] + 1 for e in edges)
    flat = idx[0]
    for k, nb in zip(idx[1:], nbins[1:]):
        flat = flat * nb + jnp.clip(k, 0, nb - 1)
    hist = bincount(flat, weights, length=math.prod(nbins))
    hist = jnp.reshape(hist, nbins)[tuple(slice(1, -1) for _ in builtins.range(d))]
    if density:
        hist = jnp.astype(hist, sample.dtype)
        hist = hist / reductions.sum(hist)
        for i, e in enumerate(edges):
            shape = [1] * d
            shape[i] = e.shape[0] - 1
            hist = hist / jnp.reshape(diff(e), shape)
    return hist, edges



def histogram2d(x, y, bins=10, range=None, weights=None, density=None):
    """2-D histogram of the points (x, y): counts and the edges along each axis."""
    check_arraylike("histogram2d", x, y)
    try:
        nb = len(bins)
    except TypeError:
        nb = 1
    if nb not in (1, 2):
        bins = [asarray(bins), asarray(bins)]
    hist, edges = histogramdd(jnp.stack([asarray(x), asarray(y)], axis=1), bins, range, weights, density)
    return hist, edges[0], edges[1]


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, dtype=None):
    """Covariance matrix of the variables in `m` (rows, or columns if `rowvar=False`), with optional weights."""
    if y is not None:
        check_arraylike("cov", m, y)
        m, y = promote_dtypes_inexact(m, y)
        if y.ndim > 2:
            raise ValueError("y has more than 2 dimensions")
    else:
        check_arraylike("cov", m)
        (m,) = promote_dtypes_inexact(m)
    if m.ndim > 2:
        raise ValueError("m has more than 2 dimensions")
    if dtype is not None and not dtypes.issubdtype(dtype, np.inexact):
        raise ValueError(f"cov: dtype must be a subclass of float or complex; got dtype={dtype}")
    X = jnp.atleast_2d(m)
    if not rowvar and m.ndim != 1:
        X = X.T
    if X.shape[0] == 0:
        return jnp.zeros((0, 0), dtypes.default_float())
    if y is not None:
        Y = jnp.atleast_2d(y)
        if not rowvar and Y.shape[0] != 1:
            Y = Y.T
        X = jnp.concatenate([X, Y], axis=0)
    if X.shape[1] == 0:
        return jnp.full(() if X.shape[0] == 1 else (X.shape[0], X.shape[0]), np.nan, X.dtype)
    if ddof is None:
        ddof = 0 if bias else 1
    w = None
    if fweights is not None:
        check_arraylike("cov", fweights)
        fweights = asarray(fweights)
        if fweights.ndim > 1:
            raise RuntimeError("cannot handle multidimensional fweights")
        if fweights.shape[0] != X.shape[1]:
            raise RuntimeError("incompatible numbers of samples and fweights")
        if fweights.dtype.kind not in "iu":
            raise TypeError("fweights must be integer.")
        w = jnp.abs(fweights)
    if aweights is not None:
        check_arraylike("cov", aweights)
        aweights = asarray(aweights)
        if aweights.ndim > 1:
            raise RuntimeError("cannot handle multidimensional aweights")
        if aweights.shape[0] != X.shape[1]:
            raise RuntimeError("incompatible numbers of samples and aweights")
        aweights = jnp.abs(aweights)
        w = aweights if w is None else w * aweights
    if dtype is not None:
        X = jnp.astype(X, dtype)
        w = None if w is None else jnp.astype(w, dtype)
    avg, wsum = reductions.average(X, axis=1, weights=w, returned=True)
    wsum = wsum[0]
    if w is None:
        fact = X.shape[1] - ddof
    elif ddof == 0:
        fact = wsum
    elif aweights is None:
        fact = wsum - ddof
    else:
        fact = wsum - ddof * reductions.sum(w * aweights) / wsum
    X = X - avg[:, None]
    Xw = X if w is None else X * w[None, :]
    return jnp.squeeze(jnp.true_divide(jnp.dot(X, jnp.conj(Xw).T), fact))


def corrcoef(x, y=None, rowvar=True, dtype=None):
    """Pearson correlation coefficients of the variables in `x` (rows, or columns if `rowvar=False`)."""
    check_arraylike("corrcoef", x)
    if dtype is not None and not dtypes.issubdtype(dtype, np.inexact):
        raise ValueError(f"corrcoef: dtype must be a subclass of float or complex; got dtype={dtype}")
    c = cov(x, y, rowvar, dtype=dtype)
    if c.ndim == 0:
        return jnp.divide(c, c)
    sd = jnp.astype(jnp.sqrt(jnp.real(jnp.diagonal(c))), c.dtype)
    c = c / sd[:, None] / sd[None, :]
    if c.dtype.kind == "c":
        return jnp.clip(jnp.real(c), -1, 1) + 1j * jnp.clip(jnp.imag(c), -1, 1)
    return jnp.clip(c, -1, 1)
