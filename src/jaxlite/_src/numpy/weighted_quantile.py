"""Quantiles by the inverted CDF, with weights (JAX's only weighted method): the smallest value whose
cumulative weight reaches q times the total. Negative or NaN weights make the result NaN; NaN data
make it NaN too, unless `skip_nan` (nanquantile) drops them."""

from __future__ import annotations

import numpy as np

from jaxlite._src import dtypes
from jaxlite._src.lax import sorting as lsort
from jaxlite._src.numpy import lax_numpy as jnp, reductions
from jaxlite._src.numpy.util import asarray, canonicalize_axes, promote_dtypes_inexact

METHODS = ("linear", "lower", "higher", "midpoint", "nearest", "inverted_cdf")


def check_method(method, weights):
    if method not in METHODS:
        raise ValueError("method can only be 'linear', 'lower', 'higher', 'midpoint', 'nearest' or 'inverted_cdf'")
    if weights is not None:
        if dtypes.kind(asarray(weights).dtype) == "c":
            raise ValueError("Weights cannot be complex types.")
        if method != "inverted_cdf":
            raise NotImplementedError(f"{method} doesn't support weights. Only method 'inverted_cdf' supports "
                                      "weights.")


def inverted_cdf_quantile(a, q, axis, keepdims, weights, skip_nan):
    a = asarray(a)
    if weights is None:
        (a,) = promote_dtypes_inexact(a)
        w = jnp.ones_like(a)
    else:
        a, w = promote_dtypes_inexact(a, asarray(weights))
        if w.shape != a.shape:
            if axis is None:
                raise ValueError("Weights shape must match 'a' shape when axis is None.")
            axes = canonicalize_axes(axis, a.ndim)
            if w.shape != tuple(a.shape[i] for i in axes):
                raise ValueError(f"Weights shape {w.shape} must match reduction axes "
                                 f"{tuple(a.shape[i] for i in axes)}")
            w = jnp.broadcast_to(jnp.reshape(w, tuple(a.shape[i] if i in axes else 1 for i in range(a.ndim))),
                                 a.shape)
    if dtypes.kind(a.dtype) == "c":
        raise ValueError("quantile does not support complex input, as the operation is poorly defined.")
    q = jnp.astype(asarray(q), a.dtype)
    if q.ndim > 1:
        raise ValueError(f"q must be have rank <= 1, got shape {q.shape}")
    axes = canonicalize_axes(axis, a.ndim)
    keep_shape = tuple(1 if i in axes else d for i, d in enumerate(a.shape))
    rest = [i for i in range(a.ndim) if i not in axes]
    flat = [a.shape[i] for i in rest]
    x, w = (jnp.reshape(jnp.transpose(v, rest + list(axes)), tuple(flat) + (-1,)) for v in (a, w))
    n = x.shape[-1]
    isnan = jnp.isnan(x)
    if not skip_nan:  # a NaN anywhere in a slice makes its quantiles NaN
        x = jnp.where(reductions.any(isnan, axis=-1, keepdims=True), np.nan, x)
    x, w = lsort.sort_key_val(x, w, dimension=x.ndim - 1)  # NaNs sort last
    bad = jnp.logical_or(w < 0, jnp.isnan(w))
    nan_data = jnp.isnan(x)
    cw = reductions.cumsum(jnp.where(jnp.logical_or(bad, nan_data), 0, w), axis=-1)
    total = cw[..., -1:] if n else jnp.zeros(x.shape[:-1] + (1,), x.dtype)
    qb = jnp.reshape(q, q.shape + (1,) * x.ndim)
    idx = reductions.sum(jnp.astype(cw < qb * total, np.int32), axis=-1)  # q.shape + batch
    valid = reductions.sum(jnp.logical_not(nan_data), axis=-1) if skip_nan else jnp.full(x.shape[:-1], n)
    idx = jnp.clip(idx, 0, jnp.maximum(valid - 1, 0))
    xs = jnp.broadcast_to(x, q.shape + x.shape)
    res = jnp.take_along_axis(xs, idx[..., None], axis=-1)[..., 0] if n else jnp.full(idx.shape, np.nan, x.dtype)
    force_nan = reductions.any(bad, axis=-1)
    force_nan = jnp.logical_or(force_nan, valid == 0 if skip_nan else reductions.any(nan_data, axis=-1))
    res = jnp.where(force_nan, np.nan, res)
    if keepdims:
        res = jnp.reshape(res, q.shape + keep_shape)
    return res
