"""Finite differences and integrals: diff, ediff1d, gradient, trapezoid, interp, unwrap."""

from __future__ import annotations

import operator

import numpy as np

from jaxlite._src import core
from jaxlite._src.lax import lax, structural
from jaxlite._src.numpy import lax_numpy as jnp, reductions
from jaxlite._src.numpy.sorting import searchsorted
from jaxlite._src.numpy.util import (asarray, canonicalize_axis, check_arraylike, promote_dtypes,
                                     promote_dtypes_inexact)

__all__ = ["diff", "ediff1d", "gradient", "trapezoid", "interp", "unwrap"]


def _edge(x, like, axis):
    """A scalar prepend/append value broadcast to one slice of `like` along axis."""
    check_arraylike("diff", x)
    x = asarray(x)
    if x.ndim:
        return x
    shape = list(like.shape)
    shape[axis] = 1
    return jnp.broadcast_to(x, tuple(shape))


def diff(a, n=1, axis=-1, prepend=None, append=None):
    """The n-th discrete difference of `a` along `axis`, optionally after adding `prepend`/`append`."""
    check_arraylike("diff", a)
    arr = asarray(a)
    n = operator.index(core.concrete_or_error(n, "'n' argument of jnp.diff"))
    axis = operator.index(core.concrete_or_error(axis, "'axis' argument of jnp.diff"))
    if n == 0:
        return arr
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n}")
    if arr.ndim == 0:
        raise ValueError(f"diff requires input that is at least one dimensional; got {a}")
    axis = canonicalize_axis(axis, arr.ndim)
    parts = ([_edge(prepend, arr, axis)] if prepend is not None else []) + [arr] + \
        ([_edge(append, arr, axis)] if append is not None else [])
    if len(parts) > 1:
        arr = jnp.concatenate(parts, axis)
    op = jnp.not_equal if arr.dtype == np.bool_ else lax.sub
    for _ in range(n):
        m = arr.shape[axis]
        arr = op(structural.slice_in_dim(arr, min(1, m), m, axis=axis),
                 structural.slice_in_dim(arr, 0, max(m - 1, 0), axis=axis))
    return arr


def ediff1d(ary, to_end=None, to_begin=None):
    """Differences between consecutive elements of the flattened array, with optional values at either end."""
    check_arraylike("ediff1d", ary)
    arr = jnp.ravel(ary)
    m = arr.shape[0]
    out = lax.sub(arr[min(1, m):], arr[:max(m - 1, 0)])
    if to_begin is not None:
        check_arraylike("ediff1d", to_begin)
        out = jnp.concatenate([jnp.ravel(jnp.astype(asarray(to_begin), arr.dtype)), out])
    if to_end is not None:
        check_arraylike("ediff1d", to_end)
        out = jnp.concatenate([out, jnp.ravel(jnp.astype(asarray(to_end), arr.dtype))])
    return out


def _gradient_along(a, h, axis):
    def part(lo, hi, x=a):
        n = x.shape[axis]
        return structural.slice_in_dim(x, lo % n if lo < 0 else lo, n + hi if hi <= 0 else hi, axis=axis)
    first = lax.sub(part(1, 2), part(0, 1))
    last = lax.sub(part(-1, 0), part(-2, -1))
    if h.ndim == 0:
        inner = jnp.divide(jnp.multiply(lax.sub(part(2, 0), part(0, -2)), 0.5), h)
        return jnp.concatenate([jnp.divide(first, h), inner, jnp.divide(last, h)], axis)
    if h.ndim != 1:
        raise ValueError("Spacing arrays must be 1D arrays or scalars.")
    if h.shape[0] != a.shape[axis]:
        raise ValueError("Spacing arrays must have the same length as the dimension along which the gradient "
                         "is calculated.")
    shape = [1] * a.ndim
    shape[axis] = h.shape[0]
    h = jnp.reshape(h, shape)
    # Second-order accurate differences on a non-uniform grid (NumPy's formula).
    d1 = jnp.subtract(part(1, -1, h), part(0, -2, h))
    d2 = jnp.subtract(part(2, 0, h), part(1, -1, h))
    ca = jnp.negative(jnp.divide(d2, jnp.multiply(d1, jnp.add(d1, d2))))
    cb = jnp.divide(jnp.subtract(d2, d1), jnp.multiply(d1, d2))
    cc = jnp.divide(d1, jnp.multiply(d2, jnp.add(d1, d2)))
    inner = jnp.add(jnp.add(jnp.multiply(ca, part(0, -2)), jnp.multiply(cb, part(1, -1))),
                    jnp.multiply(cc, part(2, 0)))
    first = jnp.divide(first, jnp.subtract(part(1, 2, h), part(0, 1, h)))
    last = jnp.divide(last, jnp.subtract(part(-1, 0, h), part(-2, -1, h)))
    return jnp.concatenate([first, inner, last], axis)


def gradient(f, *varargs, axis=None, edge_order=None):
    """Gradient of sampled values `f` by central differences inside and one-sided differences at the edges."""
    if edge_order is not None:
        raise NotImplementedError("The 'edge_order' argument to jnp.gradient is not supported.")
    check_arraylike("gradient", f, *varargs)
    a, *spacing = promote_dtypes_inexact(f, *varargs)
    if axis is None:
        axes = tuple(range(a.ndim))
    else:
        axes = tuple(canonicalize_axis(i, a.ndim) for i in (axis if isinstance(axis, (tuple, list)) else (axis,)))
    if not axes:
        return []
    if min(a.shape[i] for i in axes) < 2:
        raise ValueError("Shape of array too small to calculate a numerical gradient, at least 2 elements are "
                         "required.")
    if not spacing:
        spacing = [asarray(1.0)] * len(axes)
    elif len(spacing) == 1:
        spacing = spacing * len(axes)
    elif len(spacing) != len(axes):
        raise TypeError(f"Invalid number of spacing arguments {len(spacing)} for axis={axis}")
    out = [_gradient_along(a, h, ax) for ax, h in zip(axes, spacing)]
    return out[0] if len(axes) == 1 else out


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of `y` along `axis` by the trapezoidal rule, with sample points `x` or spacing `dx`."""
    if x is None:
        check_arraylike("trapezoid", y)
        (y,) = promote_dtypes_inexact(y)
        d = asarray(dx)
        if d.ndim:
            d = jnp.moveaxis(jnp.reshape(d, (1,) * (y.ndim - d.ndim) + d.shape), axis, -1)
    else:
        check_arraylike("trapezoid", y, x)
        y, x = promote_dtypes_inexact(y, x)
        d = diff(x) if x.ndim == 1 else jnp.moveaxis(diff(x, axis=axis), axis, -1)
    y = jnp.moveaxis(y, axis, -1)
    if d.ndim == 0 or d.shape[-1] == 1:
        d = d if d.ndim == 0 else d[..., 0]
        ends = jnp.multiply(0.5, jnp.add(y[..., 0], y[..., -1]))
        return jnp.multiply(d, jnp.subtract(reductions.sum(y, axis=-1), ends))
    return jnp.multiply(0.5, reductions.sum(jnp.multiply(d, jnp.add(y[..., 1:], y[..., :-1])), axis=-1))


def _extrapolate(side, name):
    if isinstance(side, str):
        if side != "extrapolate":
            raise ValueError(f"the only valid string value of `{name}` is 'extrapolate', but got: {side!r}")
        return True
    return False


def interp(x, xp, fp, left=None, right=None, period=None):
    """1-D linear interpolation of the points (xp, fp) at `x`, with `left`/`right` values outside and optional
    `period`.
    """
    check_arraylike("interp", x, xp, fp)
    if jnp.shape(xp) != jnp.shape(fp) or jnp.ndim(xp) != 1:
        raise ValueError("xp and fp must be one-dimensional arrays of equal size")
    x, xp = promote_dtypes_inexact(x, xp)
    (fp,) = promote_dtypes_inexact(fp)
    ext_left, ext_right = _extrapolate(left, "left"), _extrapolate(right, "right")
    if x.dtype.kind == "c":
        raise ValueError("jnp.interp: complex x values not supported.")
    if period is not None:
        if jnp.ndim(period) != 0:
            raise ValueError(f"period must be a scalar; got {period}")
        period = jnp.abs(period)
        x, xp = jnp.remainder(x, period), jnp.remainder(xp, period)
        from jaxlite._src.lax.sorting import sort_key_val
        xp, fp = sort_key_val(xp, fp)
        xp = jnp.concatenate([jnp.subtract(xp[-1:], period), xp, jnp.add(xp[:1], period)])
        fp = jnp.concatenate([fp[-1:], fp, fp[:1]])
    n = xp.shape[0]
    i = jnp.clip(searchsorted(xp, x, side="right"), 1, n - 1)
    x0, x1 = jnp.take(xp, i - 1, mode="clip"), jnp.take(xp, i, mode="clip")
    f0, f1 = jnp.take(fp, i - 1, mode="clip"), jnp.take(fp, i, mode="clip")
    dx = jnp.subtract(x1, x0)
    # A zero-width interval would give 0/0; its value (and gradient) comes from f0 alone.
    flat = jnp.less_equal(jnp.abs(dx), float(np.spacing(np.finfo(xp.dtype).eps)))
    slope = jnp.divide(jnp.subtract(x, x0), jnp.where(flat, jnp.ones_like(dx), dx))
    f = jnp.where(flat, f0, jnp.add(f0, jnp.multiply(slope, jnp.subtract(f1, f0))))
    if period is None:
        if not ext_left:
            f = jnp.where(jnp.less(x, xp[0]), fp[0] if left is None else left, f)
        if not ext_right:
            f = jnp.where(jnp.greater(x, xp[-1]), fp[-1] if right is None else right, f)
    return f


def unwrap(p, discont=None, axis=-1, period=2 * np.pi):
    """Unwrap phase angles along `axis`: jumps larger than `discont` are shifted by multiples of `period`."""
    check_arraylike("unwrap", p)
    p, period = promote_dtypes(p, period)
    if p.dtype.kind == "c":
        raise ValueError("jnp.unwrap does not support complex inputs.")
    axis = canonicalize_axis(axis, p.ndim)
    if p.shape[axis] == 0:
        return p
    if discont is None:
        discont = jnp.divide(period, 2)
    half = jnp.floor_divide(period, 2) if p.dtype.kind in "iu" else jnp.divide(period, 2)
    d = diff(p, axis=axis)
    dmod = jnp.subtract(jnp.remainder(jnp.add(d, half), period), half)
    dmod = jnp.where(jnp.logical_and(jnp.equal(dmod, jnp.negative(half)), jnp.greater(d, 0)), half, dmod)
    correct = jnp.where(jnp.less(jnp.abs(d), discont), 0, jnp.subtract(dmod, d))
    n = p.shape[axis]
    return jnp.concatenate([structural.slice_in_dim(p, 0, 1, axis=axis),
                            jnp.add(structural.slice_in_dim(p, 1, n, axis=axis),
                                    reductions.cumsum(correct, axis=axis))], axis)
