"""Polynomials as coefficient vectors (highest power first), 1-d convolution, vander."""

from __future__ import annotations

import operator

import numpy as np

from jaxlite._src import core
from jaxlite._src.lax.control_flow import scan
from jaxlite._src.lax.sorting import sort_key_val
from jaxlite._src.lax.convolution import conv_general_dilated
from jaxlite._src.numpy import lax_numpy as jnp, reductions
from jaxlite._src.numpy.util import asarray, check_arraylike, promote_dtypes, promote_dtypes_inexact

__all__ = ["vander", "convolve", "correlate", "poly", "polyadd", "polysub", "polymul", "polydiv", "polyder",
           "polyint", "polyval", "polyfit", "roots"]


def vander(x, N=None, increasing=False):
    """Vandermonde matrix of powers of `x`, N columns, decreasing powers unless `increasing=True`."""
    check_arraylike("vander", x)
    x = asarray(x)
    if x.ndim != 1:
        raise ValueError("x must be a one-dimensional array")
    N = x.shape[0] if N is None else operator.index(core.concrete_or_error(N, "'N' argument of jnp.vander()"))
    if N < 0:
        raise ValueError("N must be nonnegative")
    powers = np.arange(N) if increasing else np.arange(N - 1, -1, -1)
    return jnp.power(x[:, None], asarray(powers.astype(x.dtype))[None, :])


def _conv(x, y, mode, op, preferred_element_type):
    if jnp.ndim(x) != 1 or jnp.ndim(y) != 1:
        raise ValueError(f"{op}() only support 1-dimensional inputs.")
    x, y = promote_dtypes_inexact(x, y) if preferred_element_type is None else promote_dtypes(x, y)
    if x.shape[0] == 0 or y.shape[0] == 0:
        raise ValueError(f"{op}: inputs cannot be empty, got shapes {x.shape} and {y.shape}.")
    backwards = False
    if op == "correlate":
        y = jnp.conj(y)
        if x.shape[0] < y.shape[0]:
            x, y, backwards = y, x, True
    else:
        if x.shape[0] < y.shape[0]:
            x, y = y, x
        y = jnp.flip(y)
    k = y.shape[0]
    pads = {"valid": (0, 0), "same": (k // 2, k - k // 2 - 1), "full": (k - 1, k - 1)}
    if mode not in pads:
        raise ValueError("mode must be one of ['full', 'same', 'valid']")
    out = conv_general_dilated(x[None, None, :], y[None, None, :], (1,), [pads[mode]],
                               preferred_element_type=preferred_element_type)[0, 0]
    return jnp.flip(out) if backwards else out


def convolve(a, v, mode="full", *, precision=None, preferred_element_type=None):
    """Discrete linear convolution of two 1-D arrays; `mode` 'full', 'same' or 'valid'."""
    check_arraylike("convolve", a, v)
    return _conv(a, v, mode, "convolve", preferred_element_type)


def correlate(a, v, mode="valid", *, precision=None, preferred_element_type=None):
    """Cross-correlation of two 1-D arrays; `mode` 'valid', 'same' or 'full'."""
    check_arraylike("correlate", a, v)
    return _conv(a, v, mode, "correlate", preferred_element_type)


def poly(seq_of_zeros):
    """Coefficients of the monic polynomial whose roots are `seq_of_zeros` (or the characteristic polynomial of
    a square matrix).
    """
    check_arraylike("poly", seq_of_zeros)
    (z,) = promote_dtypes_inexact(seq_of_zeros)
    z = jnp.atleast_1d(z)
    if z.ndim == 2 and z.shape[0] == z.shape[1] and z.shape[0] != 0:
        # As JAX: a square matrix stands for its eigenvalues, so the result is complex.
        z = _linalg().eigvals(z)
    if z.ndim != 1:
        raise ValueError("input must be 1d or non-empty square 2d array.")
    if z.shape[0] == 0:
        return jnp.ones((), z.dtype)
    c = jnp.ones((1,), z.dtype)
    for k in range(z.shape[0]):
        c = convolve(c, jnp.stack([jnp.ones((), z.dtype), -z[k]]), mode="full")
    return c


def _linalg():
    # Imported late: jaxlite.numpy.linalg builds on lax_numpy, which imports this module.
    from jaxlite._src.numpy import linalg
    return linalg


def polyadd(a1, a2):
    """Sum of two polynomials given by coefficients, highest power first."""
    check_arraylike("polyadd", a1, a2)
    a1, a2 = promote_dtypes(a1, a2)
    if a2.shape[0] > a1.shape[0]:
        a1, a2 = a2, a1
    return a1.at[a1.shape[0] - a2.shape[0]:].add(a2)


def polysub(a1, a2):
    """Difference of two polynomials given by coefficients, highest power first."""
    check_arraylike("polysub", a1, a2)
    a1, a2 = promote_dtypes(a1, a2)
    return polyadd(a1, jnp.negative(a2))


def polymul(a1, a2, *, trim_leading_zeros=False):
    """Product of two polynomials given by coefficients, highest power first."""
    check_arraylike("polymul", a1, a2)
    a1, a2 = promote_dtypes_inexact(a1, a2)
    if trim_leading_zeros and (a1.shape[0] > 1 or a2.shape[0] > 1):
        a1, a2 = _trim_front(a1), _trim_front(a2)
    if a1.shape[0] == 0:
        a1 = jnp.zeros((1,), a2.dtype)
    if a2.shape[0] == 0:
        a2 = jnp.zeros((1,), a1.dtype)
    return convolve(a1, a2, mode="full")


def _trim_front(a, tol=0):
    c = np.asarray(core.concrete_or_error(a, "Error arose in the `filt` argument of trim_zeros()"))
    nz = np.flatnonzero(np.abs(c) > tol)
    return a[nz[0]:] if nz.size else a[:0]


def polydiv(u, v, *, trim_leading_zeros=False):
    """Quotient and remainder of the polynomial division u / v (coefficients, highest power first)."""
    check_arraylike("polydiv", u, v)
    u, v = promote_dtypes_inexact(u, v)
    m, n = u.shape[0] - 1, v.shape[0] - 1
    scale = 1.0 / v[0]
    q = jnp.zeros((max(m - n + 1, 1),), u.dtype)
    for k in range(m - n + 1):
        d = scale * u[k]
        q = q.at[k].set(d)
        u = u.at[k:k + n + 1].add(-d * v)
    if trim_leading_zeros:
        u = _trim_front(u, float(np.sqrt(np.finfo(u.dtype).eps)))
    return q, u


def polyder(p, m=1):
    """The m-th derivative of a polynomial given by coefficients."""
    check_arraylike("polyder", p)
    m = operator.index(core.concrete_or_error(m, "'m' argument of jnp.polyder"))
    (p,) = promote_dtypes_inexact(p)
    if m < 0:
        raise ValueError("Order of derivative must be positive")
    if m == 0:
        return p
    powers = np.arange(p.shape[0] - 1, m - 1, -1)  # powers of the surviving terms
    factor = np.prod([powers - j for j in range(m)], axis=0) if powers.size else powers
    return p[:max(p.shape[0] - m, 0)] * asarray(np.asarray(factor).astype(p.dtype))


def polyint(p, m=1, k=None):
    """The m-th antiderivative of a polynomial, with integration constants `k`."""
    m = operator.index(core.concrete_or_error(m, "'m' argument of jnp.polyint"))
    k = 0 if k is None else k
    check_arraylike("polyint", p, k)
    p, k = promote_dtypes_inexact(p, k)
    if m < 0:
        raise ValueError("Order of integral must be positive (see polyder)")
    k = jnp.atleast_1d(k)
    if k.shape[0] == 1:
        k = jnp.full((m,), k[0])
    if k.shape != (m,):
        raise ValueError("k must be a scalar or a rank-1 array of length 1 or m.")
    if m == 0:
        return p
    # Term of power e gains the divisor (e+1)(e+2)...(e+m); the j-th constant has power m-1-j.
    powers = np.concatenate([np.arange(p.shape[0] - 1, -1, -1), np.arange(-1, -m - 1, -1)])
    divisor = np.prod([np.maximum(powers + j, 1) for j in range(1, m + 1)], axis=0)
    return jnp.concatenate([p, k]) / asarray(divisor.astype(p.dtype))


def polyval(p, x, *, unroll=16):
    """Evaluate the polynomial with coefficients `p` (highest power first) at `x`, by Horner's rule."""
    check_arraylike("polyval", p, x)
    p, x = promote_dtypes(p, x)
    shape = jnp.broadcast_shapes(p.shape[1:], x.shape)
    y = jnp.zeros(shape, x.dtype)
    y, _ = scan(lambda acc, c: (acc * x + c, None), y, p)
    return y


def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """Least-squares polynomial fit of degree `deg` to the points (x, y), optionally weighted and with the
    covariance.
    """
    check_arraylike("polyfit", x, y, *([] if w is None else [w]))
    x, y = asarray(x), asarray(y)
    deg = int(core.concrete_or_error(deg, "deg must be int"))
    order = deg + 1
    if deg < 0:
        raise ValueError("expected deg >= 0")
    if x.ndim != 1:
        raise TypeError("expected 1D vector for x")
    if x.shape[0] == 0:
        raise TypeError("expected non-empty vector for x")
    if y.ndim < 1 or y.ndim > 2:
        raise TypeError("expected 1D or 2D array for y")
    if x.shape[0] != y.shape[0]:
        raise TypeError("expected x and y to have same length")
    if rcond is None:
        rcond = x.shape[0] * float(np.finfo(x.dtype).eps)
    rcond = float(core.concrete_or_error(rcond, "rcond must be float"))
    lhs = vander(x, order)
    rhs = y
    if w is not None:
        (w,) = promote_dtypes_inexact(w)
        if w.ndim != 1:
            raise TypeError("expected a 1-d array for weights")
        if w.shape[0] != y.shape[0]:
            raise TypeError("expected w and y to have the same length")
        lhs = lhs * w[:, None]
        rhs = rhs * (w[:, None] if rhs.ndim == 2 else w)
    # Unit column norms improve the conditioning; the SVD-based lstsq then applies JAX's rcond cut-off.
    scale = jnp.sqrt(reductions.sum(lhs * lhs, axis=0))
    lhs = lhs / scale[None, :]
    linalg = _linalg()
    c, resids, rank, sv = linalg.lstsq(lhs, rhs, rcond)
    c = (c.T / scale[None, :]).T if c.ndim > 1 else c / scale
    if full:
        return c, resids, rank, sv, asarray(rcond)
    if not cov:
        return c
    vbase = linalg.inv(jnp.matmul(lhs.T, lhs)) / jnp.outer(scale, scale)
    if cov == "unscaled":
        fac = jnp.array(1.0)
    else:
        if x.shape[0] <= order:
            raise ValueError("the number of data points must exceed order to scale the covariance matrix")
        fac = resids / (x.shape[0] - order)
    if y.ndim == 1:
        return c, vbase * jnp.atleast_1d(fac)[None]
    return c, vbase[:, :, None] * jnp.atleast_1d(fac)[None, None, :]


def roots(p, *, strip_zeros=True):
    """Roots of the polynomial with coefficients `p`, as eigenvalues of its companion matrix.

    Differs from JAX: the eigenvalues come from `eig`, which runs on the host (numpy's LAPACK), also on
    wasm/webgpu.
    """
    check_arraylike("roots", p)
    (p,) = promote_dtypes_inexact(p)
    p = jnp.atleast_1d(p)
    if p.ndim != 1:
        raise ValueError("Input must be a rank-1 array.")
    if p.shape[0] < 2:
        return jnp.zeros((0,), _complex_dtype(p.dtype))
    lead = jnp.where(reductions.all(p == 0), p.shape[0], reductions.argmin(p == 0))
    if strip_zeros:
        lead = int(core.concrete_or_error(lead, "The error occurred in the jnp.roots() function. To use this within "
                                                "a JIT-compiled context, pass strip_zeros=False, but be aware that "
                                                "leading zeros will result in some returned roots being set to NaN."))
        return _roots_no_zeros(p[lead:])
    return _roots_with_zeros(p, lead)


def _complex_dtype(dtype):
    return np.dtype(np.complex128) if dtype in (np.float64, np.complex128) else np.dtype(np.complex64)


def _roots_no_zeros(p):
    """Eigenvalues of the companion matrix, in the order JAX (LAPACK geev) returns them."""
    if p.shape[0] < 2:
        return jnp.zeros((0,), _complex_dtype(p.dtype))
    a = jnp.diag(jnp.ones((p.shape[0] - 2,), p.dtype), -1)
    a = a.at[0, :].set(-p[1:] / p[0])
    return _linalg().eigvals(a)


def _roots_with_zeros(p, num_leading_zeros):
    # Leading zeros are rolled to the end (each adds a zero root), then those roots become NaN.
    p = jnp.where(p.shape[0] == num_leading_zeros, jnp.ones((), p.dtype), p)
    r = _roots_no_zeros(jnp.roll(p, -num_leading_zeros))
    r = sort_key_val(r == 0, r)[1]
    return jnp.where(jnp.arange(r.shape[0]) < r.shape[0] - num_leading_zeros, r,
                     jnp.array(complex(np.nan, np.nan), r.dtype))
