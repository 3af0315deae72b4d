"""Polynomials as coefficient vectors (highest power first), 1-d convolution, vander."""

from __future__ import annotations

import operator

import numpy as np

from jaxlite._src import core
from jaxlite._src.features import partial
from jaxlite._src.lax.control_flow import scan
from jaxlite._src.lax.convolution import conv_general_dilated
from jaxlite._src.numpy import lax_numpy as jnp, reductions
from jaxlite._src.numpy.util import asarray, check_arraylike, promote_dtypes, promote_dtypes_inexact

__all__ = ["vander", "convolve", "correlate", "poly", "polyadd", "polysub", "polymul", "polydiv", "polyder",
           "polyint", "polyval", "polyfit", "roots"]


def vander(x, N=None, increasing=False):
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
    check_arraylike("convolve", a, v)
    return _conv(a, v, mode, "convolve", preferred_element_type)


def correlate(a, v, mode="valid", *, precision=None, preferred_element_type=None):
    check_arraylike("correlate", a, v)
    return _conv(a, v, mode, "correlate", preferred_element_type)


@partial("a square matrix argument needs eigenvalues (jnp.linalg.eigvals), not available yet")
def poly(seq_of_zeros):
    check_arraylike("poly", seq_of_zeros)
    (z,) = promote_dtypes_inexact(seq_of_zeros)
    z = jnp.atleast_1d(z)
    if z.ndim == 2 and z.shape[0] == z.shape[1] and z.shape[0] != 0:
        raise NotImplementedError("jnp.poly of a square matrix needs eigenvalues, which jaxlite lacks")
    if z.ndim != 1:
        raise ValueError("input must be 1d or non-empty square 2d array.")
    if z.shape[0] == 0:
        return jnp.ones((), z.dtype)
    # Multiply out (x - z_k) one factor at a time: c_new[i] = c[i] - z_k * c[i - 1].
    c = jnp.ones((1,), z.dtype)
    for k in range(z.shape[0]):
        c = jnp.concatenate([c, jnp.zeros((1,), z.dtype)]) - jnp.concatenate([jnp.zeros((1,), z.dtype), c * z[k]])
    return c


def polyadd(a1, a2):
    check_arraylike("polyadd", a1, a2)
    a1, a2 = promote_dtypes(a1, a2)
    if a2.shape[0] > a1.shape[0]:
        a1, a2 = a2, a1
    return a1.at[a1.shape[0] - a2.shape[0]:].add(a2)


def polysub(a1, a2):
    check_arraylike("polysub", a1, a2)
    a1, a2 = promote_dtypes(a1, a2)
    return polyadd(a1, jnp.negative(a2))


def polymul(a1, a2, *, trim_leading_zeros=False):
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
    check_arraylike("polyval", p, x)
    p, x = promote_dtypes(p, x)
    shape = jnp.broadcast_shapes(p.shape[1:], x.shape)
    y = jnp.zeros(shape, x.dtype)
    y, _ = scan(lambda acc, c: (acc * x + c, None), y, p)
    return y


@partial("full=True needs singular values (jnp.linalg.lstsq/svd), not available yet; the fit uses a QR "
         "factorisation instead of JAX's SVD, so rank-deficient fits (rcond cut-off) differ")
def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
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
    if full:
        raise NotImplementedError("jnp.polyfit(full=True) needs singular values, which jaxlite lacks")
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
    lhs, rhs = promote_dtypes_inexact(lhs, rhs)
    scale = jnp.sqrt(reductions.sum(lhs * lhs, axis=0))
    lhs = lhs / scale[None, :]
    q, r = _householder_qr(lhs)
    rhs2 = rhs if rhs.ndim == 2 else rhs[:, None]
    c = _solve_upper(r, jnp.matmul(q.T, rhs2))
    c = (c / scale[:, None]) if rhs.ndim == 2 else c[:, 0] / scale
    if not cov:
        return c
    rinv = _solve_upper(r, jnp.eye(order, dtype=r.dtype))
    vbase = jnp.matmul(rinv, rinv.T) / jnp.outer(scale, scale)
    if cov == "unscaled":
        fac = jnp.ones((), vbase.dtype)
    else:
        if x.shape[0] <= order:
            raise ValueError("the number of data points must exceed order to scale the covariance matrix")
        resid = rhs2 - jnp.matmul(lhs, _solve_upper(r, jnp.matmul(q.T, rhs2)))
        fac = reductions.sum(resid * resid, axis=0) / (x.shape[0] - order)
    if y.ndim == 1:
        return c, vbase * jnp.reshape(fac, ())
    return c, vbase[:, :, None] * jnp.atleast_1d(fac)[None, None, :]


def _householder_qr(a):
    """Reduced QR of a tall (m, n) matrix by n Householder reflections (n is small and static)."""
    m, n = a.shape
    q = jnp.eye(m, dtype=a.dtype)
    r = a
    for j in range(min(n, m)):
        col = jnp.where(jnp.arange(m) >= j, r[:, j], 0)
        norm = jnp.sqrt(reductions.sum(col * col))
        alpha = jnp.where(r[j, j] >= 0, -norm, norm)
        v = col - alpha * (jnp.arange(m) == j)
        vv = reductions.sum(v * v)
        v = v / jnp.sqrt(jnp.where(vv == 0, 1, vv))
        r = r - 2 * jnp.outer(v, jnp.matmul(v, r))
        q = q - 2 * jnp.outer(jnp.matmul(q, v), v)
    return q[:, :n], r[:n, :]


def _solve_upper(r, b):
    """Back substitution: r (n, n) upper triangular, b (n, k)."""
    n = r.shape[0]
    rows = [None] * n
    for i in range(n - 1, -1, -1):
        acc = b[i]
        for j in range(i + 1, n):
            acc = acc - r[i, j] * rows[j]
        rows[i] = acc / r[i, i]
    return jnp.stack(rows)


@partial("needs eigenvalues of the companion matrix (jnp.linalg.eigvals), not available yet; "
         "roots are found by the Aberth-Ehrlich iteration instead, so their order differs from JAX's")
def roots(p, *, strip_zeros=True):
    check_arraylike("roots", p)
    (p,) = promote_dtypes_inexact(p)
    p = jnp.atleast_1d(p)
    if p.ndim != 1:
        raise ValueError("Input must be a rank-1 array.")
    cdt = np.dtype(np.complex128) if p.dtype in (np.float64, np.complex128) else np.dtype(np.complex64)
    if p.shape[0] < 2:
        return jnp.zeros((0,), cdt)
    lead = jnp.where(reductions.all(p == 0), p.shape[0], reductions.argmin(p == 0))
    if strip_zeros:
        lead = int(core.concrete_or_error(lead, "The error occurred in the jnp.roots() function. To use this within "
                                                "a JIT-compiled context, pass strip_zeros=False, but be aware that "
                                                "leading zeros will result in some returned roots being set to NaN."))
        return _aberth(p[lead:], cdt)
    raise NotImplementedError("jnp.roots(strip_zeros=False) is not supported by jaxlite yet")


def _aberth(p, cdt, iters=200):
    """All roots of a polynomial with nonzero leading coefficient by the Aberth-Ehrlich method."""
    n = p.shape[0] - 1
    if n < 1:
        return jnp.zeros((0,), cdt)
    c = jnp.astype(p / p[0], cdt)
    dc = jnp.astype(polyder(p / p[0]), cdt)
    # Start on a circle of the Cauchy bound's radius, rotated off the real axis.
    radius = 1 + reductions.max(jnp.abs(c[1:]))
    angles = 2 * np.pi * np.arange(n) / n + 0.4
    z = jnp.astype(radius, cdt) * asarray(np.exp(1j * angles).astype(cdt))

    def horner(coeffs, z):
        return scan(lambda acc, k: (acc * z + k, None), jnp.zeros_like(z), coeffs)[0]

    def step(z, _):
        f, df = horner(c, z), horner(dc, z)
        eye = jnp.eye(n, dtype=bool)
        inv = jnp.where(eye, 0, 1 / jnp.where(eye, 1, z[:, None] - z[None, :]))
        # Aberth's correction f / (f' - f * sum 1/(z_i - z_j)), written without dividing by f.
        denom = df - f * reductions.sum(inv, axis=1)
        ok = jnp.isfinite(jnp.abs(denom)) & (denom != 0)
        delta = jnp.where(ok, f / jnp.where(ok, denom, 1), 0)
        return z - delta, None

    z, _ = scan(step, z, None, length=iters)
    return z
