"""jaxlite.numpy reductions: sum, prod, max, min, mean, var, std, all, any, arg*, cumulative."""

from __future__ import annotations

import builtins

import numpy as np

from jaxlite._src import core, dtypes
from jaxlite._src.lax import lax, reductions as lred, structural
from jaxlite._src.numpy.util import asarray, canonicalize_axes, canonicalize_axis, check_arraylike


def _reduction(name, lax_reduce, *, bool_op=None, upcast_small_int=False, identity=None):
    def f(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None, promote_integers=True):
        check_arraylike(name, a)
        a = asarray(a)
        if out is not None:
            raise NotImplementedError(f"The 'out' argument to jnp.{name} is not supported.")
        dt = a.dtype
        if dtype is not None:
            dt = dtypes.check_user_dtype(dtype)
        elif upcast_small_int and dt.kind in "bui" and promote_integers:
            dt = dtypes.default_int() if dt.kind in "bi" else (
                dtypes.canonicalize_dtype(np.uint64) if dt.itemsize < 4 or dtypes.x64_enabled() else dt)
            if dt.kind == "u" and dt.itemsize < 4:
                dt = np.dtype(np.uint32)
        x = a
        if bool_op is not None and dt == np.bool_:
            reduce = bool_op
        else:
            reduce = lax_reduce
            if x.dtype != dt:
                x = lax.convert_element_type(x, dt)
        axes = canonicalize_axes(axis, x.ndim)
        if initial is not None and asarray(initial).ndim:
            raise ValueError(f"initial value must be a scalar. Got array of shape {asarray(initial).shape}")
        if where is not None:
            if identity is None and initial is None:
                raise ValueError(f"reduction operation {name} does not have an identity, so to use a where "
                                 "mask one has to specify 'initial'")
            mask = _check_where(name, where)
            # Masked-out entries become the identity, or `initial` for max/min (it is folded in anyway).
            fill = identity(x.dtype) if identity is not None else initial
            from jaxlite._src.numpy.lax_numpy import broadcast_to, where as jwhere
            x = jwhere(broadcast_to(mask, x.shape), x, lax.full(x.shape, fill, x.dtype))
        if name in ("max", "min") and initial is None and where is None:
            for ax in axes:
                if x.shape[ax] == 0:
                    raise ValueError(f"zero-size array to reduction operation {name} which has no identity")
        out_ = reduce(x, axes)
        if initial is not None:
            init = lax.full((), initial, out_.dtype)
            combine = {"sum": lax.add, "prod": lax.mul, "max": lax.max, "min": lax.min}[name]
            out_ = combine(out_, lax.full(out_.shape, initial, out_.dtype)) if out_.shape else combine(out_, init)
        if keepdims:
            out_ = structural.expand_dims(out_, axes)
        return out_
    f.__name__ = name
    return f


sum = _reduction("sum", lred.reduce_sum, bool_op=None, upcast_small_int=True, identity=lambda dt: 0)
prod = _reduction("prod", lred.reduce_prod, upcast_small_int=True, identity=lambda dt: 1)
max = amax = _reduction("max", lred.reduce_max, bool_op=lred.reduce_or, identity=None)
min = amin = _reduction("min", lred.reduce_min, bool_op=lred.reduce_and, identity=None)


def _check_where(name, where):
    mask = asarray(where)
    if mask.dtype != np.bool_:
        raise ValueError(f"jnp.{name}: where must be None or a boolean array; got where.dtype={mask.dtype!r}.")
    return mask


def _bool_reduction(name, red):
    def f(a, axis=None, out=None, keepdims=False, *, where=None):
        a = asarray(a)
        if a.dtype != np.bool_:
            a = lax.ne(a, lax.full(a.shape, 0, a.dtype))
        if where is not None:
            from jaxlite._src.numpy.lax_numpy import broadcast_to, where as jwhere
            mask = _check_where(name, where)
            a = jwhere(broadcast_to(mask, a.shape), a, lax.full(a.shape, name == "all", np.bool_))
        axes = canonicalize_axes(axis, a.ndim)
        out_ = red(a, axes)
        return structural.expand_dims(out_, axes) if keepdims else out_
    f.__name__ = name
    return f


all = _bool_reduction("all", lred.reduce_and)
any = _bool_reduction("any", lred.reduce_or)


def _count(a, axes, where):
    if where is None:
        return int(np.prod([a.shape[i] for i in axes], dtype=np.int64))
    from jaxlite._src.numpy.lax_numpy import broadcast_to
    return sum(broadcast_to(asarray(where), a.shape), axis=axes, dtype=dtypes.default_float())


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """Arithmetic mean of `a` over `axis`; integers average in the default float; `where` masks elements out."""
    check_arraylike("mean", a)
    a = asarray(a)
    axes = canonicalize_axes(axis, a.ndim)
    if dtype is None:
        dtype = a.dtype if a.dtype.kind in "fc" else dtypes.default_float()
    dtype = dtypes.check_user_dtype(dtype)
    n = _count(a, axes, where)
    total = sum(a, axis=axes, dtype=dtype, keepdims=keepdims, where=where)
    if isinstance(n, int):
        return lax.div(total, float(n) if n else float("nan")) if dtype.kind in "fc" else lax.div(total, n)
    return lax.div(total, lax.convert_element_type(n, dtype) if not keepdims else
                   structural.expand_dims(lax.convert_element_type(n, dtype), axes))


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, correction=None):
    """Variance of `a` over `axis`, dividing by N - ddof (`correction` is the array-API name for ddof).

    Differs from JAX: no precomputed `mean=` argument.
    """
    if correction is not None:
        ddof = correction
    a = asarray(a)
    axes = canonicalize_axes(axis, a.ndim)
    dt = a.dtype if a.dtype.kind in "fc" else dtypes.default_float()
    if dtype is not None:
        dt = dtypes.check_user_dtype(dtype)
    a = lax.convert_element_type(a, dt)
    m = mean(a, axes, keepdims=True, where=where)
    centered = lax.sub(a, structural.broadcast_in_dim(m, a.shape, tuple(range(a.ndim))))
    if dt.kind == "c":
        sq = lax.real(lax.mul(centered, lax.conj(centered)))
    else:
        sq = lax.mul(centered, centered)
    n = _count(a, axes, where)
    total = sum(sq, axis=axes, keepdims=keepdims, where=where)
    if isinstance(n, int):
        denom = n - ddof
        return lax.div(total, float(denom) if denom > 0 else float("nan"))
    denom = lax.convert_element_type(lax.sub(n, float(ddof)), total.dtype)
    if keepdims:
        denom = structural.expand_dims(denom, axes)
    return lax.div(total, denom)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, correction=None):
    """Standard deviation of `a` over `axis`, the square root of `var` with the same ddof/correction.

    Differs from JAX: no precomputed `mean=` argument.
    """
    return lax.sqrt(var(a, axis, dtype, out, ddof, keepdims, where=where, correction=correction))


def average(a, axis=None, weights=None, returned=False, keepdims=False):
    """Weighted average of `a` over `axis`; with `returned=True` also the sum of the weights."""
    a = asarray(a)
    if weights is None:
        avg = mean(a, axis, keepdims=keepdims)
        w = lax.full(avg.shape, float(a.size // builtins.max(avg.size, 1)), avg.dtype)
    else:
        from jaxlite._src.numpy.lax_numpy import broadcast_to, multiply
        w = asarray(weights)
        if w.shape != a.shape:
            if axis is None or w.ndim != 1:
                raise ValueError("Axis must be specified when shapes of a and weights differ.")
            ax = canonicalize_axis(axis, a.ndim)
            w = structural.broadcast_in_dim(w, a.shape, (ax,))
        w = broadcast_to(w, a.shape)
        num = sum(multiply(a, w), axis=axis, keepdims=keepdims)
        w = sum(w, axis=axis, keepdims=keepdims)
        from jaxlite._src.numpy.lax_numpy import divide
        avg = divide(num, w)
    return (avg, w) if returned else avg


def ptp(a, axis=None, out=None, keepdims=False):
    """Peak to peak range max(a) - min(a) over `axis`."""
    return lax.sub(max(a, axis, keepdims=keepdims), min(a, axis, keepdims=keepdims))


def _arg(name, lax_fn):
    def f(a, axis=None, out=None, keepdims=False):
        a = asarray(a)
        if axis is None:
            from jaxlite._src.numpy.lax_numpy import ravel
            res = lax_fn(ravel(a), 0, dtypes.default_int())
            return structural.reshape(res, (1,) * a.ndim) if keepdims else res
        ax = canonicalize_axis(axis, a.ndim)
        if a.shape[ax] == 0:
            raise ValueError(f"attempt to get {name} of an empty sequence")
        res = lax_fn(a, ax, dtypes.default_int())
        return structural.expand_dims(res, (ax,)) if keepdims else res
    f.__name__ = name
    return f


argmax = _arg("argmax", lred.argmax)
argmin = _arg("argmin", lred.argmin)


def _accumulation_dtype(a, dtype, promote_integers: bool):
    """JAX's: bools accumulate in the default int; with promote_integers (cumulative_sum) so do
    narrower ints, and narrower unsigned ints in the default unsigned int."""
    if dtype is not None:
        return dtypes.check_user_dtype(dtype)
    dt = a.dtype
    if dt == np.bool_:
        return dtypes.default_int()
    if promote_integers and dt.kind in "iu" and dt.itemsize < dtypes.default_int().itemsize:
        return dtypes.default_int() if dt.kind == "i" else np.dtype(f"uint{8 * dtypes.default_int().itemsize}")
    return dt


def _cumulative(name, lax_fn):
    def f(a, axis=None, dtype=None, out=None):
        a = asarray(a)
        if axis is None:
            from jaxlite._src.numpy.lax_numpy import ravel
            a, axis = ravel(a), 0
        axis = canonicalize_axis(axis, a.ndim)
        dt = _accumulation_dtype(a, dtype, False)
        if a.dtype != dt:
            a = lax.convert_element_type(a, dt)
        return lax_fn(a, axis)
    f.__name__ = name
    return f


cumsum = _cumulative("cumsum", lred.cumsum)
cumprod = _cumulative("cumprod", lred.cumprod)


def _array_api_cumulative(name, what, lax_fn, initial, promote_integers):
    def f(x, /, *, axis=None, dtype=None, include_initial=False):
        check_arraylike(name, x)
        x = asarray(x)
        if x.ndim == 0:
            raise ValueError(f"The input must be non-scalar to take a cumulative {what}, however a scalar "
                             "value or scalar array was given.")
        if axis is None:
            if x.ndim > 1:
                raise ValueError(f"The input array has rank {x.ndim}, however axis was not set to an explicit "
                                 "value. The axis argument is only optional for one-dimensional arrays.")
            axis = 0
        axis = canonicalize_axis(axis, x.ndim)
        dt = _accumulation_dtype(x, dtype, promote_integers)
        out = lax_fn(x if x.dtype == dt else lax.convert_element_type(x, dt), axis)
        if include_initial:
            shape = list(x.shape)
            shape[axis] = 1
            out = structural.concatenate([lax.full(tuple(shape), initial, dt), out], axis)
        return out
    f.__name__ = name
    f.__doc__ = (f"Cumulative {what} of `x` along `axis` (required unless `x` is 1-D), with the initial "
                 f"value {initial} first where `include_initial` (the Array API's function).")
    return f


cumulative_sum = _array_api_cumulative("cumulative_sum", "sum", lred.cumsum, 0, True)
cumulative_prod = _array_api_cumulative("cumulative_prod", "product", lred.cumprod, 1, False)


# Docstrings of the names the factories above make (one closure per name, so each gets its line).
_DOCS = {
    "sum": ("Sum of the elements of `a` over `axis` (all axes if None); small ints and bools accumulate in the "
            "default int."),
    "prod": ("Product of the elements of `a` over `axis` (all axes if None); small ints and bools accumulate in "
             "the default int."),
    "max": "Largest element of `a` over `axis` (also `amax`); NaN propagates; `initial` and `where` as in numpy.",
    "min": "Smallest element of `a` over `axis` (also `amin`); NaN propagates; `initial` and `where` as in numpy.",
    "all": "True if every element of `a` over `axis` is truthy (all axes if None).",
    "any": "True if some element of `a` over `axis` is truthy (all axes if None).",
    "argmax": ("Index of the largest element of `a` along `axis` (of the flattened array if None); first one on "
               "ties, NaN counts as largest."),
    "argmin": ("Index of the smallest element of `a` along `axis` (of the flattened array if None); first one on "
               "ties, NaN counts as smallest."),
    "cumsum": "Cumulative sum of `a` along `axis` (of the flattened array if None), keeping the length.",
    "cumprod": "Cumulative product of `a` along `axis` (of the flattened array if None), keeping the length.",
}
for _name, _doc in _DOCS.items():
    globals()[_name].__doc__ = _doc
del _name, _doc


def cummax(a, axis=0):
    return lred.cummax(asarray(a), canonicalize_axis(axis, asarray(a).ndim))


def nansum(a, axis=None, dtype=None, keepdims=False):
    """Sum over `axis` treating NaN as zero.

    Differs from JAX: no `out`, `initial` or `where` arguments.
    """
    from jaxlite._src.numpy.lax_numpy import isnan, where, zeros_like
    a = asarray(a)
    return sum(where(isnan(a), zeros_like(a), a), axis=axis, dtype=dtype, keepdims=keepdims)


def nanmean(a, axis=None, dtype=None, keepdims=False):
    """Mean over `axis` of the non-NaN elements (NaN where all are NaN).

    Differs from JAX: no `out`, `where` arguments.
    """
    from jaxlite._src.numpy.lax_numpy import isnan, logical_not
    a = asarray(a)
    return mean(a, axis=axis, dtype=dtype, keepdims=keepdims, where=logical_not(isnan(a)))


def nanmax(a, axis=None, keepdims=False):
    """Largest non-NaN element over `axis` (NaN where all are NaN).

    Differs from JAX: no `out`, `initial` or `where` arguments.
    """
    from jaxlite._src.numpy.lax_numpy import isnan, where, full_like
    a = asarray(a)
    return max(where(isnan(a), full_like(a, -np.inf), a), axis=axis, keepdims=keepdims)


def nanmin(a, axis=None, keepdims=False):
    """Smallest non-NaN element over `axis` (NaN where all are NaN).

    Differs from JAX: no `out`, `initial` or `where` arguments.
    """
    from jaxlite._src.numpy.lax_numpy import isnan, where, full_like
    a = asarray(a)
    return min(where(isnan(a), full_like(a, np.inf), a), axis=axis, keepdims=keepdims)
