"""Reductions that ignore NaNs: nanprod, nanvar, nanstd, nanarg*, nancum*, nanquantile and friends.
(nansum, nanmean, nanmax and nanmin live in reductions.py.)"""

from __future__ import annotations

import numpy as np

from jaxlite._src import dtypes
from jaxlite._src.lax import lax, sorting as lsort
from jaxlite._src.numpy import lax_numpy as jnp, reductions, weighted_quantile as wq
from jaxlite._src.numpy.util import asarray, canonicalize_axes, check_arraylike

__all__ = ["nanargmax", "nanargmin", "nancumprod", "nancumsum", "nanmedian", "nanpercentile", "nanprod",
           "nanquantile", "nanstd", "nanvar"]


def _filled(a, value):
    return jnp.where(jnp.isnan(a), jnp.full_like(a, value), a) if a.dtype.kind in "fc" else a


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """Product over `axis` treating NaN as one."""
    check_arraylike("nanprod", a)
    return reductions.prod(_filled(asarray(a), 1), axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                           initial=initial, where=where)


def nancumsum(a, axis=None, dtype=None, out=None):
    """Cumulative sum along `axis` treating NaN as zero."""
    check_arraylike("nancumsum", a)
    return reductions.cumsum(_filled(asarray(a), 0), axis=axis, dtype=dtype)


def nancumprod(a, axis=None, dtype=None, out=None):
    """Cumulative product along `axis` treating NaN as one."""
    check_arraylike("nancumprod", a)
    return reductions.cumprod(_filled(asarray(a), 1), axis=axis, dtype=dtype)


def _nanarg(name, arg, fill):
    def f(a, axis=None, out=None, keepdims=None):
        check_arraylike(name, a)
        a = asarray(a)
        if a.dtype.kind not in "fc":
            return arg(a, axis=axis, keepdims=bool(keepdims))
        nan = jnp.isnan(a)
        res = arg(jnp.where(nan, jnp.full_like(a, fill), a), axis=axis, keepdims=bool(keepdims))
        # A slice of NaNs only has no answer: JAX returns -1 there.
        return jnp.where(reductions.all(nan, axis=axis, keepdims=bool(keepdims)), -1, res)
    f.__name__ = name
    return f


nanargmax = _nanarg("nanargmax", reductions.argmax, -np.inf)
nanargmin = _nanarg("nanargmin", reductions.argmin, np.inf)


# Docstrings of the names the factories above make (one closure per name, so each gets its line).
_DOCS = {
    "nanargmax": "Index of the largest non-NaN element along `axis` (-1 where a slice is all NaN, as JAX).",
    "nanargmin": "Index of the smallest non-NaN element along `axis` (-1 where a slice is all NaN, as JAX).",
}
for _name, _doc in _DOCS.items():
    globals()[_name].__doc__ = _doc
del _name, _doc


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, mean=None):
    """Variance over `axis` of the non-NaN elements, dividing by (count - ddof)."""
    check_arraylike("nanvar", a)
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.nanvar is not supported.")
    a = asarray(a)
    out_dt = dtypes.check_user_dtype(dtype) if dtype is not None else (
        a.dtype if a.dtype.kind in "fc" else dtypes.default_float())
    compute = dtypes.promote_types(out_dt, a.dtype) if a.dtype.kind in "fc" else out_dt
    a = jnp.astype(a, compute)
    nan = jnp.isnan(a)
    centre = reductions.nanmean(a, axis=axis, keepdims=True) if mean is None else asarray(mean)
    centered = jnp.where(nan, jnp.zeros_like(a), a - centre)
    sq = jnp.real(centered * jnp.conj(centered)) if compute.kind == "c" else centered * centered
    count = reductions.sum(jnp.logical_not(nan), axis=axis, keepdims=keepdims, where=where,
                           dtype=dtypes.default_int()) - ddof
    total = reductions.sum(sq, axis=axis, keepdims=keepdims, where=where)
    empty = count <= 0
    res = jnp.where(empty, np.nan, total) / jnp.astype(jnp.where(empty, 1, count), total.dtype)
    return jnp.astype(res, out_dt if out_dt.kind != "c" else np.dtype(f"f{out_dt.itemsize // 2}"))


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, mean=None):
    """Standard deviation over `axis` of the non-NaN elements, dividing by (count - ddof)."""
    return lax.sqrt(nanvar(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims, where=where,
                           mean=mean))


_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
                weights=None):
    """The q-th quantiles (q in [0, 1]) over `axis` of the non-NaN elements, interpolated by `method`;
    `weights=` (of a's shape, or of the reduced axes' shape) with method="inverted_cdf" only, as in JAX."""
    check_arraylike("nanquantile", a, q)
    if overwrite_input or out is not None:
        raise ValueError("jax.numpy.nanquantile does not support overwrite_input=True or out != None")
    wq.check_method(method, weights)
    if method == "inverted_cdf":
        return wq.inverted_cdf_quantile(a, q, axis, keepdims, weights, skip_nan=True)
    a = asarray(a)
    if a.dtype.kind not in "f":
        a = jnp.astype(a, dtypes.default_float())
    q = jnp.astype(asarray(q), a.dtype)
    if q.ndim > 1:
        raise ValueError(f"q must be have rank <= 1, got shape {q.shape}")
    axes = canonicalize_axes(axis, a.ndim)
    keep_shape = tuple(1 if i in axes else d for i, d in enumerate(a.shape))
    rest = [i for i in range(a.ndim) if i not in axes]
    x = jnp.transpose(a, rest + list(axes))
    x = jnp.reshape(x, x.shape[:len(rest)] + (-1,))
    n = x.shape[-1]
    s = lsort.sort(x, x.ndim - 1)  # NaNs sort last
    valid = reductions.sum(jnp.logical_not(jnp.isnan(x)), axis=-1, keepdims=True)  # (..., 1)
    qb = jnp.reshape(q, q.shape + (1,) * x.ndim)
    pos = qb * jnp.astype(valid - 1, a.dtype)  # q.shape + (..., 1)
    lo = jnp.floor(pos)
    hi = jnp.ceil(pos)
    s = jnp.broadcast_to(s, q.shape + s.shape)
    top = jnp.maximum(valid - 1, 0)
    lo_i = jnp.clip(jnp.astype(lo, np.int32), 0, top)
    hi_i = jnp.clip(jnp.astype(hi, np.int32), 0, top)
    take = lambda i: jnp.take_along_axis(s, jnp.broadcast_to(i, s.shape[:-1] + (1,)), axis=-1)[..., 0] \
        if n else jnp.full(s.shape[:-1], np.nan, a.dtype)
    vlo, vhi = take(lo_i), take(hi_i)
    frac = (pos - lo)[..., 0]
    if method == "linear":
        res = vlo + (vhi - vlo) * frac
    elif method == "lower":
        res = vlo
    elif method == "higher":
        res = vhi
    elif method == "midpoint":
        res = jnp.where(frac > 0, (vlo + vhi) * 0.5, vlo)
    else:
        res = jnp.where(jnp.round(pos)[..., 0] > lo[..., 0], vhi, vlo)
    res = jnp.where(valid[..., 0] == 0, np.nan, res)
    if keepdims:
        res = jnp.reshape(res, q.shape + keep_shape)
    return res


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
                  weights=None):
    """The q-th percentiles (q in [0, 100]) over `axis` of the non-NaN elements, interpolated by `method`
    (weights: as nanquantile's)."""
    check_arraylike("nanpercentile", a, q)
    q = jnp.true_divide(q, 100.0)
    return nanquantile(a, q, axis=axis, out=out, overwrite_input=overwrite_input, method=method, keepdims=keepdims,
                       weights=weights)


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """Median over `axis` of the non-NaN elements."""
    return nanquantile(a, 0.5, axis=axis, out=out, overwrite_input=overwrite_input, keepdims=keepdims,
                       method="midpoint")
