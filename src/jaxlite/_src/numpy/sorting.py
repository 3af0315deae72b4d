"""jaxlite.numpy sorting and order statistics: sort, argsort, median, quantile, searchsorted."""

from __future__ import annotations

import numpy as np

from jaxlite._src import core, dtypes
from jaxlite._src.core import get_aval
from jaxlite._src.lax import lax, sorting, structural
from jaxlite._src.numpy.util import asarray, canonicalize_axis


def sort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
    """Sorted copy of `a` along `axis` (flattened if None); NaN sorts last; `descending` and `stable` as in
    JAX.
    """
    a = asarray(a)
    if axis is None:
        a, axis = structural.reshape(a, (get_aval(a).size,)), 0
    axis = canonicalize_axis(axis, get_aval(a).ndim)
    out = sorting.sort(a, axis, is_stable=stable)
    return structural.rev(out, (axis,)) if descending else out


def argsort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
    """Indices that sort `a` along `axis` (flattened if None); `stable` keeps equal elements in order.

    Differs from JAX: no `dtype` argument for the indices.
    """
    a = asarray(a)
    if axis is None:
        a, axis = structural.reshape(a, (get_aval(a).size,)), 0
    axis = canonicalize_axis(axis, get_aval(a).ndim)
    iota = structural.broadcasted_iota(dtypes.default_int(), get_aval(a).shape, axis)
    if descending:
        # Stable descending: sort the reversed array ascending, then reverse back.
        _, idx = sorting.sort_key_val(structural.rev(a, (axis,)), structural.rev(iota, (axis,)), axis, stable)
        return structural.rev(idx, (axis,))
    return sorting.sort_key_val(a, iota, axis, stable)[1]


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *, weights=None):
    """The q-th quantiles (q in [0, 1]) of `a` over `axis`, interpolated by `method` ('linear', 'lower',
    'higher', 'midpoint', 'nearest', 'inverted_cdf'); `weights=` with 'inverted_cdf' only, as in JAX."""
    from jaxlite._src.numpy import lax_numpy as jnp, weighted_quantile as wq
    if overwrite_input or out is not None:
        raise ValueError("jax.numpy.quantile does not support overwrite_input=True or out != None")
    wq.check_method(method, weights)
    if method == "inverted_cdf":
        return wq.inverted_cdf_quantile(a, q, axis, keepdims, weights, skip_nan=False)
    a = asarray(a)
    a = a if a.dtype.kind in "fc" else lax.convert_element_type(a, dtypes.default_float())
    if axis is None:
        a, axis = jnp.ravel(a), 0
    axis = canonicalize_axis(axis, a.ndim)
    n = a.shape[axis]
    s = sort(a, axis)
    q = asarray(q, a.dtype)
    pos = lax.mul(q, float(n - 1))
    if method == "linear":
        lo = jnp.floor(pos)
    elif method in ("lower", "nearest", "midpoint", "higher"):
        lo = jnp.floor(pos)
    else:
        raise ValueError(f"quantile method {method!r} is not supported")
    hi = jnp.minimum(lo + 1, n - 1)
    frac = pos - lo
    lo_i, hi_i = lo.astype(np.int32), hi.astype(np.int32)
    moved = jnp.moveaxis(s, axis, 0)
    vlo = jnp.take(moved, lo_i, axis=0, mode="clip")
    vhi = jnp.take(moved, hi_i, axis=0, mode="clip")
    qnd = q.ndim
    f = jnp.reshape(frac, frac.shape + (1,) * (moved.ndim - 1))
    if method == "linear":
        out = vlo + (vhi - vlo) * f
    elif method == "lower":
        out = vlo
    elif method == "higher":
        out = jnp.where(f > 0, vhi, vlo)
    elif method == "midpoint":
        out = jnp.where(f > 0, (vlo + vhi) / 2, vlo)
    else:  # nearest, rounding half to even as numpy
        out = jnp.where(jnp.round(pos) > lo, vhi, vlo)
    if keepdims:
        out = jnp.expand_dims(out, qnd + axis)
    return out


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *, weights=None):
    """The q-th percentiles (q in [0, 100]) of `a` over `axis`, interpolated by `method` (weights: as quantile's)."""
    return quantile(a, lax.div(asarray(q, np.float32), 100.0), axis, out, overwrite_input, method, keepdims,
                    weights=weights)


def median(a, axis=None, keepdims=False):
    """Median of `a` over `axis` (the mean of the two middle values for an even count)."""
    return quantile(a, 0.5, axis, keepdims=keepdims)


def searchsorted(a, v, side="left", sorter=None, method=None):
    """Indices at which to insert `v` into the sorted 1-D array `a` to keep it sorted (`side` 'left' or
    'right').
    """
    from jaxlite._src.numpy import lax_numpy as jnp
    a, v = asarray(a), asarray(v)
    if a.ndim != 1:
        raise ValueError("a should be 1-dimensional")
    if sorter is not None:
        a = jnp.take(a, sorter)
    cmp = jnp.less if side == "left" else jnp.less_equal
    from jaxlite._src.numpy import reductions
    return reductions.sum(cmp(a, jnp.expand_dims(v, -1)), axis=-1, dtype=dtypes.int32)


def nonzero(a, *, size=None, fill_value=None):
    """Indices of nonzero elements. Without size the result shape depends on the data, so the
    input must be concrete; with size it works under jit (padding with fill_value, default 0)."""
    from jaxlite._src.numpy import lax_numpy as jnp, reductions
    from jaxlite._src.numpy.scatter_util import scatter_points
    a = asarray(a)
    if a.ndim == 0:
        raise ValueError("Calling nonzero on 0d arrays is not allowed. Use jnp.atleast_1d(scalar).nonzero() instead.")
    if size is None:
        concrete = core.concrete_or_error(a, "The size argument of jnp.nonzero must be statically specified "
                                             "to use jnp.nonzero within JAX transformations.")
        return tuple(asarray(i.astype(np.int32)) for i in np.nonzero(np.asarray(concrete)))
    size = int(core.concrete_or_error(size, "The size argument of jnp.nonzero must be static"))
    flat = jnp.ravel(a) != 0
    n = flat.shape[0]
    positions = reductions.cumsum(flat, dtype=np.int32) - 1  # target slot of each nonzero element
    slots = jnp.where(flat, positions, size)  # zeros go to an out-of-range slot (dropped)
    idx = scatter_points(lax.full((size,), -1, np.int32), [slots], structural.iota(np.int32, n))
    coords = jnp.unravel_index(jnp.maximum(idx, 0), a.shape) if a.ndim > 1 else (jnp.maximum(idx, 0),)
    fills = fill_value if isinstance(fill_value, (tuple, list)) else (fill_value,) * len(coords)
    if len(fills) != len(coords):
        raise ValueError(f"fill_value must be a scalar or a tuple of length {a.ndim}; got {fill_value}")
    out = []
    for c, f in zip(coords, fills):
        f = 0 if f is None else f
        if np.ndim(f) if not hasattr(f, "shape") else jnp.ndim(f):
            raise ValueError(f"fill_value must be a scalar or a tuple of length {a.ndim}; got {fill_value}")
        out.append(jnp.where(idx >= 0, c, jnp.astype(f, np.int32)))
    return tuple(out)


def flatnonzero(a, *, size=None, fill_value=None):
    """Indices of the nonzero elements of the flattened `a`; under jit, `size=` fixes the length."""
    from jaxlite._src.numpy import lax_numpy as jnp
    return nonzero(jnp.ravel(a), size=size, fill_value=fill_value)[0]


def argwhere(a, *, size=None, fill_value=None):
    """Coordinates of the nonzero elements of `a`, one row per element; under jit, `size=` fixes the row count."""
    from jaxlite._src.numpy import lax_numpy as jnp
    a = asarray(a)
    return jnp.stack(nonzero(jnp.atleast_1d(a), size=size, fill_value=fill_value), axis=-1)
