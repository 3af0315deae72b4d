"""jax.scipy.linalg's special matrices (circulant ... pascal): jnp constructions with JAX's dtypes.

JAX builds the binomial-based ones (pascal, invpascal, invhilbert) in floating point through lgamma
(no exact integers), so these do too.
"""

from __future__ import annotations

import math
import operator

import numpy as np

import jaxlite.numpy as jnp
from jaxlite._src import dtypes
from jaxlite._src.lax import lax
from jaxlite._src.numpy.functional import vectorize
from jaxlite._src.numpy.util import check_arraylike, promote_args_inexact, promote_dtypes
from jaxlite._src.scipy.special import comb

__all__ = ["circulant", "companion", "convolution_matrix", "dft", "fiedler", "fiedler_companion", "hadamard",
           "hankel", "helmert", "hilbert", "invhilbert", "invpascal", "leslie", "pascal", "toeplitz"]


def toeplitz(c, r=None):
    """Toeplitz matrix with first column `c` and first row `r` (r = conj(c) if None), batched."""
    if r is None:
        check_arraylike("toeplitz", c)
        r = jnp.conj(jnp.asarray(c))
    else:
        check_arraylike("toeplitz", c, r)
    c, r = jnp.atleast_1d(jnp.asarray(c)), jnp.atleast_1d(jnp.asarray(r))
    c, r = promote_dtypes(c, r)
    m, n = c.shape[-1], r.shape[-1]
    batch = jnp.broadcast_shapes(c.shape[:-1], r.shape[:-1])
    if m == 0 or n == 0:
        return jnp.empty(batch + (m, n), c.dtype)
    elems = jnp.concatenate((jnp.broadcast_to(jnp.flip(c, -1), batch + (m,)),
                             jnp.broadcast_to(r[..., 1:], batch + (n - 1,))), axis=-1)
    idx = (m - 1) - np.arange(m)[:, None] + np.arange(n)[None, :]
    return elems[..., idx]


def hankel(c, r=None):
    """Hankel matrix H[i, j] = v[i + j] with v = concatenate([c, r[1:]]); r defaults to zeros, batched."""
    if r is None:
        check_arraylike("hankel", c)
        c = jnp.asarray(c)
        r = jnp.zeros_like(c)
    else:
        check_arraylike("hankel", c, r)
        c, r = jnp.asarray(c), jnp.asarray(r)
    if c.ndim == 0:
        raise ValueError("hankel: c must be at least 1-dimensional, got a scalar.")
    if r.ndim == 0:
        raise ValueError("hankel: r must be at least 1-dimensional, got a scalar.")
    dtype = jnp.result_type(c, r)
    m, n = c.shape[-1], r.shape[-1]
    batch = jnp.broadcast_shapes(c.shape[:-1], r.shape[:-1])
    if m == 0 or n == 0:
        return jnp.empty(batch + (m, n), dtype)
    v = jnp.concatenate((jnp.broadcast_to(c, batch + (m,)).astype(dtype),
                         jnp.broadcast_to(r[..., 1:], batch + (n - 1,)).astype(dtype)), axis=-1)
    return v[..., np.arange(m)[:, None] + np.arange(n)[None, :]]


def circulant(c):
    """Circulant matrix A[i, j] = c[(i - j) % n] with first column `c`, batched."""
    check_arraylike("circulant", c)
    c = jnp.atleast_1d(jnp.asarray(c))
    n = c.shape[-1]
    if n == 0:
        return jnp.empty(c.shape + (0,), c.dtype)
    return c[..., (np.arange(n)[:, None] - np.arange(n)[None, :]) % n]


def leslie(f, s):
    """Leslie matrix: fecundities `f` in the first row, survivals `s` on the first subdiagonal, batched."""
    check_arraylike("leslie", f, s)
    f, s = jnp.atleast_1d(jnp.asarray(f)), jnp.atleast_1d(jnp.asarray(s))
    if f.shape[-1] < 2:
        raise ValueError(f"The length of f along the last axis must be at least 2; got shape {f.shape}.")
    if s.shape[-1] != f.shape[-1] - 1:
        raise ValueError("Incorrect lengths for f and s. The length of s along the last axis must be one less than "
                         f"the length of f; got f shape {f.shape} and s shape {s.shape}.")

    def one(f, s):
        f, s = promote_dtypes(f, s)
        return jnp.diag(s, k=-1).at[0].set(f)
    return vectorize(one, signature="(n),(m)->(n,n)")(f, s)


def companion(a):
    """Companion matrix of the polynomial coefficients `a`: first row -a[1:] / a[0], ones below, batched."""
    (a,) = promote_args_inexact("companion", a)
    a = jnp.atleast_1d(a)
    if a.shape[-1] < 2:
        raise ValueError(f"The length of `a` along the last axis must be at least 2; got shape {a.shape}.")

    def one(a):
        first = -a[1:] / a[0]
        m = a.shape[0] - 1
        return jnp.eye(m, m, k=-1, dtype=first.dtype).at[0].set(first)
    return vectorize(one, signature="(n)->(m,m)")(a)


def fiedler(a):
    """Symmetric Fiedler matrix F[i, j] = |a[i] - a[j]|, batched."""
    check_arraylike("fiedler", a)
    a = jnp.atleast_1d(jnp.asarray(a))
    return jnp.abs(a[..., None] - a[..., None, :])


def fiedler_companion(a):
    """Fiedler companion matrix (pentadiagonal, eigenvalues the roots of the polynomial `a`), batched."""
    (a,) = promote_args_inexact("fiedler_companion", a)
    a = jnp.atleast_1d(a)
    if a.shape[-1] == 0:
        raise ValueError("fiedler_companion requires the last axis of 'a' to have nonzero length, but got an "
                         f"array of shape {a.shape}.")

    def one(a):
        n = a.shape[0] - 1
        if n == 0:
            return jnp.empty((0, 0), a.dtype)
        a = a / a[0]
        if n == 1:
            return -a[1:].reshape(1, 1)
        i, j = np.arange(n)[:, None], np.arange(n)[None, :]
        even, odd = i % 2 == 0, i % 2 == 1
        conds = [(i == 0) & (j == 0), (i == 1) & (j == 0), (j == i + 1) & even, (j == i + 2) & even,
                 (j == i - 1) & even & (i >= 2), (j == i - 2) & odd & (i >= 3)]
        one_ = jnp.array(1, a.dtype)
        choices = [-a[1], one_, -a[np.minimum(i + 2, n)], one_, -a[np.minimum(i + 1, n)], one_]
        return jnp.select([jnp.asarray(c) for c in conds], choices, default=jnp.array(0, a.dtype))
    return vectorize(one, signature="(n)->(m,m)")(a)


def convolution_matrix(a, n, mode="full"):
    """Toeplitz matrix A with `n` columns such that A @ v == jnp.convolve(a, v, mode), batched over a."""
    n = operator.index(n)
    if n <= 0:
        raise ValueError(f"n must be a positive integer; got {n}.")
    check_arraylike("convolution_matrix", a)
    a = jnp.asarray(a)
    if a.ndim == 0:
        raise ValueError("convolution_matrix: a must be at least 1-dimensional, got a scalar.")
    m = a.shape[-1]
    if m < 1:
        raise ValueError(f"len(a) must be at least 1; got shape {a.shape}.")
    if mode not in ("full", "valid", "same"):
        raise ValueError(f"mode must be one of 'full', 'valid', 'same'; got {mode!r}.")
    pads = [(0, 0)] * (a.ndim - 1) + [(0, n - 1)]
    az, raz = jnp.pad(a, pads), jnp.pad(jnp.flip(a, axis=-1), pads)
    length = m + n - 1
    if mode == "same":
        trim = min(n, m) - 1
        tb, te = trim // 2, trim - trim // 2
    elif mode == "valid":
        tb = te = min(n, m) - 1
    else:
        tb = te = 0
    return toeplitz(az[..., tb:length - te], raz[..., length - n - tb:length - tb])


def hilbert(n):
    """Hilbert matrix H[i, j] = 1 / (i + j + 1) of order n (default float dtype)."""
    a = jnp.arange(n, dtype=dtypes.default_float())[:, None]
    return 1 / (a + a.T + 1)


def invhilbert(n):
    """Inverse of the Hilbert matrix of order n, from its closed form in binomials (floating point)."""
    a = jnp.arange(n, dtype=dtypes.default_float())
    i, j = a[:, None], a[None, :]
    s = i + j
    return (-1.0) ** s * (s + 1.0) * comb(n + i, n - j - 1) * comb(n + j, n - i - 1) * comb(s, i) ** 2


def _binom(n, k):
    return lax.exp(lax.lgamma(n + 1.0) - lax.lgamma(n - k + 1.0) - lax.lgamma(k + 1.0))


def _kind(kind):
    kind = "symmetric" if kind is None else kind
    valid = ["symmetric", "lower", "upper"]
    if kind not in valid:
        raise ValueError(f"Expected kind to be one of: {valid}; got {kind}")
    return kind


def pascal(n, kind=None):
    """Pascal matrix of order n ('symmetric', 'lower' or 'upper'), binomials in float32 as JAX's."""
    kind = _kind(kind)
    a = jnp.arange(n, dtype=np.float32)
    lower = _binom(a[:, None], a[None, :])
    if kind == "lower":
        return lower
    if kind == "upper" or n == 0:  # n == 0: the wasm matmul routine rejects empty operands
        return lower.T
    return jnp.dot(lower, lower.T)


def invpascal(n, kind=None):
    """Inverse of the Pascal matrix of order n ('symmetric', 'lower' or 'upper')."""
    kind = _kind(kind)
    a = jnp.arange(n, dtype=dtypes.default_float())
    i, j = a[:, None], a[None, :]
    lower = (-1.0) ** (i - j) * _binom(i, j)
    if kind == "lower":
        return lower
    if kind == "upper" or n == 0:
        return lower.T
    return jnp.dot(lower.T, lower)


def helmert(n, full=False):
    """Helmert matrix of order n: (n - 1, n) rows orthonormal to the ones vector, or (n, n) with `full`."""
    if n < 1:
        raise ValueError(f"n must be a positive integer; got {n}.")
    i, j = jnp.arange(n - 1)[:, None], jnp.arange(n)[None, :]
    k = (i + 1).astype(dtypes.default_float())
    denom = jnp.sqrt(k * (k + 1))
    H = jnp.where(j <= i, 1.0 / denom, jnp.where(j == i + 1, -k / denom, jnp.zeros_like(denom)))
    if full:
        H = jnp.concatenate([jnp.full((1, n), 1.0 / jnp.sqrt(n), dtype=H.dtype), H], axis=0)
    return H


def hadamard(n, dtype=int):
    """Sylvester's Hadamard matrix of order n (a power of two)."""
    if n < 1 or not math.log2(n).is_integer():
        raise ValueError(f"n must be a positive power of 2; got {n}.")
    H = jnp.ones((1, 1), dtype=dtype)
    for _ in range(int(math.log2(n))):
        H = jnp.block([[H, H], [H, -H]])
    return H


def dft(n, scale=None, *, dtype=None):
    """Discrete Fourier transform matrix of order n; `scale` None, 'sqrtn' or 'n'; complex dtype."""
    if scale is not None and scale not in ("sqrtn", "n"):
        raise ValueError(f"scale must be None, 'sqrtn', or 'n'; got {scale!r}.")
    if dtype is None:
        dtype = dtypes.default_complex()
    else:
        dtype = dtypes.canonicalize_dtype(dtype)
        if not dtypes.issubdtype(dtype, np.complexfloating):
            raise ValueError(f"dtype must be a complex floating-point type; got {dtype}.")
    a = jnp.arange(n, dtype=dtype)
    omegas = jnp.exp(-2j * np.pi * a[:, None] * a[None, :] / n)
    if scale == "sqrtn":
        omegas = omegas / jnp.sqrt(n)
    elif scale == "n":
        omegas = omegas / n
    return omegas
