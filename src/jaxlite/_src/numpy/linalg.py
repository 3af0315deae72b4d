"""jax.numpy.linalg: factorisations from lax.linalg's primitives, the rest composed from jnp, with
JAX's custom derivatives for det, slogdet, solve and pinv."""

from __future__ import annotations

import math
import operator
from typing import NamedTuple

import numpy as np

from jaxlite._src import core, dtypes
from jaxlite._src.custom_derivatives import custom_jvp
from jaxlite._src.features import partial
from jaxlite._src.lax import linalg as lax_linalg
from jaxlite._src.numpy import lax_numpy as jnp, reductions, sorting
from jaxlite._src.numpy.functional import vectorize
from jaxlite._src.numpy.util import asarray, canonicalize_axis, check_arraylike, promote_dtypes_inexact

__all__ = ["cholesky", "cond", "cross", "det", "diagonal", "eig", "eigh", "eigvals", "eigvalsh", "inv", "lstsq",
           "matmul", "matrix_norm", "matrix_power", "matrix_rank", "matrix_transpose", "multi_dot", "norm", "outer",
           "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "tensordot", "tensorinv", "tensorsolve", "trace",
           "vecdot", "vector_norm", "EighResult", "EigResult", "QRResult", "SlogdetResult", "SVDResult"]


class EighResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class EigResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class QRResult(NamedTuple):
    Q: object
    R: object


class SlogdetResult(NamedTuple):
    sign: object
    logabsdet: object


class SVDResult(NamedTuple):
    U: object
    S: object
    Vh: object


def _H(x):
    return jnp.conj(jnp.matrix_transpose(x))


def _symmetrize(x):
    return (x + _H(x)) / 2


def _square(name, a):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"Argument to {name} must have shape [..., n, n], got {a.shape}.")


def _inexact(name, *args):
    check_arraylike(f"jnp.linalg.{name}", *args)
    return promote_dtypes_inexact(*(asarray(a) for a in args))


# ---- factorisations ------------------------------------------------------------------------------


def cholesky(a, *, upper=False, symmetrize_input=True):
    """Cholesky factor of a Hermitian positive-definite matrix (lower, or upper with `upper=True`), batched;
    NaN where the matrix is not positive definite, as JAX."""
    (a,) = _inexact("cholesky", a)
    _square("cholesky", a)
    L = lax_linalg.cholesky(a, symmetrize_input=symmetrize_input)
    return _H(L) if upper else L


def qr(a, mode="reduced"):
    """QR decomposition a = q @ r, batched; `mode` 'reduced', 'complete', 'r' or 'raw' (LAPACK's
    Householder form (h, tau), h transposed as numpy's).

    Differs from JAX: on wasm/webgpu the factorization runs on the host (numpy/LAPACK), counted in
    host_fallbacks.
    """
    (a,) = _inexact("qr", a)
    if a.ndim < 2:
        raise ValueError("Argument to QR decomposition must have ndims >= 2")
    if mode not in ("reduced", "complete", "r"):
        if mode == "raw":
            return _qr_raw(a)
        raise ValueError(f"Unsupported QR decomposition mode '{mode}'")
    q, r = lax_linalg.qr(a, pivoting=False, full_matrices=(mode == "complete"))
    return r if mode == "r" else QRResult(q, r)


def svd(a, full_matrices=True, compute_uv=True, hermitian=False, subset_by_index=None):
    """Singular value decomposition a = u @ diag(s) @ vh, batched (or only the singular values with
    `compute_uv=False`).

    Differs from JAX: on wasm/webgpu the decomposition runs on the host (numpy/LAPACK), counted in the
    device's host_fallbacks.
    """
    (a,) = _inexact("svd", a)
    if hermitian:
        v, w = lax_linalg.eigh(a, subset_by_index=subset_by_index)
        s = jnp.abs(w)
        if not compute_uv:
            return jnp.flip(sorting.sort(s, axis=-1), axis=-1)
        order = jnp.flip(sorting.argsort(s, axis=-1), axis=-1)
        s = jnp.take_along_axis(s, order, axis=-1)
        sign = jnp.take_along_axis(jnp.sign(w), order, axis=-1)
        u = jnp.take_along_axis(v, jnp.broadcast_to(order[..., None, :], v.shape), axis=-1)
        vh = _H(u * sign[..., None, :].astype(u.dtype))
        return SVDResult(u, s, vh)
    if a.ndim < 2:
        raise ValueError(f"svd requires an array of at least two dimensions, got {a.shape}")
    if compute_uv:
        u, s, vh = lax_linalg.svd(a, full_matrices=full_matrices, compute_uv=True, subset_by_index=subset_by_index)
        return SVDResult(u, s, vh)
    return lax_linalg.svd(a, full_matrices=full_matrices, compute_uv=False, subset_by_index=subset_by_index)


def svdvals(x, /):
    """Singular values of a (batched) matrix, in descending order.

    Differs from JAX: on wasm/webgpu the decomposition runs on the host (numpy/LAPACK), counted in the
    device's host_fallbacks.
    """
    return svd(x, compute_uv=False, hermitian=False)


def eigh(a, UPLO=None, symmetrize_input=True):
    """Eigenvalues (ascending) and eigenvectors of a Hermitian matrix, from the lower or upper triangle
    (`UPLO`).

    Differs from JAX: on wasm/webgpu the decomposition runs on the host (numpy/LAPACK), counted in the
    device's host_fallbacks.
    """
    (a,) = _inexact("eigh", a)
    _square("eigh", a)
    if UPLO is None or UPLO == "L":
        lower = True
    elif UPLO == "U":
        lower = False
    else:
        raise ValueError(f"UPLO must be one of None, 'L', or 'U', got {UPLO}")
    v, w = lax_linalg.eigh(a, lower=lower, symmetrize_input=symmetrize_input)
    return EighResult(w, v)


def eigvalsh(a, UPLO="L", *, symmetrize_input=True):
    """Eigenvalues (ascending) of a Hermitian matrix.

    Differs from JAX: on wasm/webgpu the decomposition runs on the host (numpy/LAPACK), counted in the
    device's host_fallbacks.
    """
    return eigh(a, UPLO, symmetrize_input=symmetrize_input).eigenvalues


@partial("runs on the host as JAX's CPU-only eig does; eigenvector signs follow numpy's LAPACK geev; "
         "derivatives of eigenvectors are not implemented (as in JAX)")
def eig(a):
    """Eigenvalues and right eigenvectors of a general square matrix (complex results).

    Differs from JAX: it runs on the host on every device (as JAX's CPU-only eig); eigenvector signs follow
    numpy's LAPACK geev; eigenvector derivatives are not implemented (as in JAX).
    """
    (a,) = _inexact("eig", a)
    _square("eig", a)
    w, v = lax_linalg.eig(a, compute_left_eigenvectors=False, compute_right_eigenvectors=True)
    return EigResult(w, v)


def eigvals(a):
    """Eigenvalues of a general square matrix (complex results).

    Differs from JAX: it runs on the host on every device (as JAX's CPU-only eig).
    """
    (a,) = _inexact("eigvals", a)
    _square("eigvals", a)
    return lax_linalg.eig(a, compute_left_eigenvectors=False, compute_right_eigenvectors=False)[0]


# ---- solves, inverses, determinants --------------------------------------------------------------


def _lu_solve(lu_, permutation, b, trans=0):
    """Solve a x = b (trans=0), a^T x = b (1) or a^H x = b (2) from a's LU; b is (..., m, k)."""
    if trans == 0:
        x = jnp.take_along_axis(b, permutation[..., :, None] + jnp.zeros(b.shape, permutation.dtype), axis=-2)
        x = lax_linalg.triangular_solve(lu_, x, left_side=True, lower=True, unit_diagonal=True)
        return lax_linalg.triangular_solve(lu_, x, left_side=True, lower=False)
    conj = trans == 2
    x = lax_linalg.triangular_solve(lu_, b, left_side=True, lower=False, transpose_a=True, conjugate_a=conj)
    x = lax_linalg.triangular_solve(lu_, x, left_side=True, lower=True, transpose_a=True, conjugate_a=conj,
                                    unit_diagonal=True)
    inv_perm = sorting.argsort(permutation, axis=-1)
    return jnp.take_along_axis(x, inv_perm[..., :, None] + jnp.zeros(x.shape, inv_perm.dtype), axis=-2)


@custom_jvp
def _solve_matrix(a, b):
    lu_, _, perm = lax_linalg.lu(a)
    return _lu_solve(lu_, perm, b)


@_solve_matrix.defjvp
def _solve_matrix_jvp(primals, tangents):
    # d(a^-1 b) = a^-1 (db - da x): one factorisation serves the value and the tangent.
    a, b = primals
    da, db = tangents
    lu_, _, perm = lax_linalg.lu(a)
    x = _lu_solve(lu_, perm, b)
    return x, _lu_solve(lu_, perm, db - jnp.matmul(da, x))


def _solve(a, b):
    if b.ndim == a.ndim - 1:
        return _solve_matrix(a, b[..., None])[..., 0]
    return _solve_matrix(a, b)


def solve(a, b):
    """Solution x of the linear system a @ x = b (LU with partial pivoting), batched.

    Differs from JAX: on wasm/webgpu the LU factorization runs on the host (numpy/LAPACK), counted in the
    device's host_fallbacks.
    """
    a, b = _inexact("solve", a, b)
    _square("solve", a)
    if b.ndim == 1:
        signature = "(m,m),(m)->(m)"
    elif a.ndim == b.ndim + 1:
        raise ValueError(f"Invalid shapes for solve: {a.shape}, {b.shape}. Prior to JAX v0.5.0, this would have been "
                         "treated as a batched 1-dimensional solve. To recover this behavior, use "
                         "solve(a, b[..., None]).squeeze(-1).")
    else:
        signature = "(m,m),(m,n)->(m,n)"
    return vectorize(_solve, signature=signature)(a, b)


def inv(a):
    """Inverse of a square matrix, batched.

    Differs from JAX: on wasm/webgpu the LU factorization runs on the host (numpy/LAPACK), counted in the
    device's host_fallbacks.
    """
    (a,) = _inexact("inv", a)
    _square("inv", a)
    return solve(a, jnp.broadcast_to(jnp.eye(a.shape[-1], dtype=a.dtype), a.shape))


def _slogdet_lu(a):
    dtype = a.dtype
    lu_, pivot, _ = lax_linalg.lu(a)
    diag = jnp.diagonal(lu_, axis1=-2, axis2=-1)
    is_zero = reductions.any(diag == 0, axis=-1)
    parity = jnp.count_nonzero(pivot != jnp.arange(a.shape[-1], dtype=pivot.dtype), axis=-1)
    if dtypes.issubdtype(dtype, np.complexfloating):
        sign = reductions.prod(diag / jnp.abs(diag).astype(dtype), axis=-1)
    else:
        sign = jnp.array(1, dtype=dtype)
        parity = parity + jnp.count_nonzero(diag < 0, axis=-1)
    sign = jnp.where(is_zero, jnp.array(0, dtype=dtype), sign * jnp.array(-2 * (parity % 2) + 1, dtype=dtype))
    logdet = jnp.where(is_zero, jnp.array(-np.inf, dtype=dtype),
                       reductions.sum(jnp.log(jnp.abs(diag)).astype(dtype), axis=-1))
    return sign, jnp.real(logdet)


def _with_slogdet_jvp(value):
    """slogdet computed by `value` (the LU or the QR route), with JAX's derivative:
    d log|det x| = tr(x^-1 dx); the sign's tangent is zero for real x."""
    f = custom_jvp(value)

    @f.defjvp
    def jvp(primals, tangents):
        return _slogdet_jvp(value, primals, tangents)
    return f


def _slogdet_jvp(value, primals, tangents):
    (x,), (g,) = primals, tangents
    sign, ans = value(x)
    ans_dot = jnp.trace(solve(x, g), axis1=-1, axis2=-2)
    if dtypes.issubdtype(x.dtype, np.complexfloating):
        sign_dot = (ans_dot - jnp.real(ans_dot).astype(ans_dot.dtype)) * sign
        ans_dot = jnp.real(ans_dot)
    else:
        sign_dot = jnp.zeros_like(sign)
    return (sign, ans), (sign_dot, ans_dot)


_slogdet = _with_slogdet_jvp(_slogdet_lu)


def slogdet(a, *, method=None):
    """Sign and natural log of the absolute determinant, batched, stable where det would overflow;
    `method` 'lu' (default) or 'qr' (real inputs only, as JAX's)."""
    (a,) = _inexact("slogdet", a)
    _square("slogdet", a)
    if method not in (None, "lu"):
        if method == "qr":
            return SlogdetResult(*_slogdet_qr(a))
        raise ValueError(f"Unknown slogdet method '{method}'. Supported methods are 'lu' (`None`), and 'qr'.")
    return SlogdetResult(*_slogdet(a))


def _cofactor_solve(a, b):
    """(det(a), det(a) a^-1 b) that stays finite for singular a of rank n-1 (JAX's det derivative)."""
    lu_, pivots, permutation = lax_linalg.lu(a)
    n = a.shape[-1]
    diag = jnp.diagonal(lu_, axis1=-2, axis2=-1)
    parity = jnp.count_nonzero(pivots != jnp.arange(n, dtype=pivots.dtype), axis=-1)
    sign = jnp.asarray(-2 * (parity % 2) + 1, dtype=a.dtype)
    # partial_det[..., -1] is det(a); partial_det[..., -2] is det(u) / u_nn.
    partial_det = reductions.cumprod(diag, axis=-1) * sign[..., None]
    lu_ = lu_.at[..., -1, -1].set(1.0 / partial_det[..., -2])
    # Matrices that are not of full rank after the change are filtered out.
    d = lax_linalg.triangular_solve(lu_, jnp.ones(b.shape[:-1], b.dtype), left_side=True, lower=False)
    d = reductions.any(jnp.isnan(d) | jnp.isinf(d), axis=-1)[..., None, None]
    x = jnp.where(d, jnp.zeros_like(b), b)
    x = jnp.take_along_axis(x, permutation[..., :, None] + jnp.zeros(x.shape, permutation.dtype), axis=-2)
    x = lax_linalg.triangular_solve(lu_, x, left_side=True, lower=True, unit_diagonal=True)
    x = jnp.concatenate((x[..., :-1, :] * partial_det[..., -1, None, None], x[..., -1:, :]), axis=-2)
    x = lax_linalg.triangular_solve(lu_, x, left_side=True, lower=False)
    x = jnp.where(d, jnp.zeros_like(x), x)
    return partial_det[..., -1], x


def _det_2x2(a):
    return a[..., 0, 0] * a[..., 1, 1] - a[..., 0, 1] * a[..., 1, 0]


def _det_3x3(a):
    return (a[..., 0, 0] * a[..., 1, 1] * a[..., 2, 2] + a[..., 0, 1] * a[..., 1, 2] * a[..., 2, 0]
            + a[..., 0, 2] * a[..., 1, 0] * a[..., 2, 1] - a[..., 0, 2] * a[..., 1, 1] * a[..., 2, 0]
            - a[..., 0, 0] * a[..., 1, 2] * a[..., 2, 1] - a[..., 0, 1] * a[..., 1, 0] * a[..., 2, 2])


@custom_jvp
def _det(a):
    n = a.shape[-1]
    if n == 2:
        return _det_2x2(a)
    if n == 3:
        return _det_3x3(a)
    sign, logdet = _slogdet(a)
    return sign * jnp.exp(logdet).astype(sign.dtype)


@_det.defjvp
def _det_jvp(primals, tangents):
    (x,), (g,) = primals, tangents
    y, z = _cofactor_solve(x, g)
    return y, jnp.trace(z, axis1=-1, axis2=-2)


def det(a):
    """Determinant of a square matrix, batched (closed form for 2x2 and 3x3, LU otherwise).

    Differs from JAX: on wasm/webgpu the LU factorization of larger matrices runs on the host
    (numpy/LAPACK), counted in the device's host_fallbacks.
    """
    (a,) = _inexact("det", a)
    _square("det", a)
    return _det(a)


def lstsq(a, b, rcond=None, *, numpy_resid=False):
    """Least-squares solution of a @ x = b: (x, residuals, rank, singular values), through the SVD.

    Differs from JAX: on wasm/webgpu the SVD runs on the host (numpy/LAPACK), counted in the device's
    host_fallbacks.
    """
    a, b = _inexact("lstsq", a, b)
    if a.shape[0] != b.shape[0]:
        raise ValueError("Leading dimensions of input arrays must match")
    b_orig_ndim = b.ndim
    if b_orig_ndim == 1:
        b = b[:, None]
    if a.ndim != 2:
        raise TypeError(f"{a.ndim}-dimensional array given. Array must be two-dimensional")
    if b.ndim != 2:
        raise TypeError(f"{b.ndim}-dimensional array given. Array must be one or two-dimensional")
    m, n = a.shape
    dtype = a.dtype
    if a.size == 0:
        s = jnp.empty(0, dtype=a.dtype)
        rank = jnp.array(0, dtype=dtypes.canonicalize_dtype(np.int64))
        x = jnp.empty((n, *b.shape[1:]), dtype=a.dtype)
    else:
        eps = np.finfo(dtypes.canonicalize_dtype(jnp.real(jnp.zeros((), dtype)).dtype)).eps
        rcond = eps * max(n, m) if rcond is None else jnp.where(rcond < 0, eps, rcond)
        u, s, vt = svd(a, full_matrices=False)
        mask = s >= jnp.asarray(rcond, dtype=s.dtype) * s[0]
        rank = reductions.sum(mask)
        safe_s = jnp.where(mask, s, 1).astype(a.dtype)
        s_inv = jnp.where(mask, 1 / safe_s, 0)[:, None]
        uTb = jnp.matmul(_H(u), b)
        x = jnp.matmul(_H(vt), s_inv * uTb)
    if numpy_resid and (rank < n or m <= n):
        resid = jnp.asarray([])
    else:
        resid = norm(b - jnp.matmul(a, x), axis=0) ** 2
    if b_orig_ndim == 1:
        x = x.ravel()
    return x, resid, rank, s


def _pinv_value(a, rtol, hermitian):
    arr = jnp.conj(a)
    m, n = arr.shape[-2:]
    if rtol is None:
        rtol = 10.0 * max(m, n) * jnp.array(np.finfo(jnp.real(arr).dtype).eps)
    rtol = asarray(rtol)
    u, s, vh = svd(arr, full_matrices=False, hermitian=hermitian)
    rtol = jnp.expand_dims(rtol[..., None], tuple(range(s.ndim - rtol.ndim - 1)))
    cutoff = rtol * s[..., 0:1]
    s = jnp.where(s > cutoff, s, np.inf).astype(u.dtype)
    res = jnp.matmul(jnp.matrix_transpose(vh), jnp.matrix_transpose(u) / s[..., None])
    return res.astype(arr.dtype)


def _pinv_impl(a, rtol, hermitian):
    @custom_jvp
    def f(a):
        return _pinv_value(a, rtol, hermitian)

    @f.defjvp
    def f_jvp(primals, tangents):
        # Golub and Pereyra, "The differentiation of pseudo-inverses and nonlinear least squares
        # problems whose variables separate".
        (a,), (a_dot,) = primals, tangents
        p = _pinv_value(a, rtol, hermitian)
        if hermitian:
            a, a_dot = _symmetrize(a), _symmetrize(a_dot)
        m, n = a.shape[-2:]
        mm = jnp.matmul
        if m >= n:
            s = mm(mm(p, _H(p)), _H(a_dot))
            t = mm(mm(_H(a_dot), _H(p)), p)
            p_dot = -mm(mm(p, a_dot), p) + s - mm(mm(s, a), p) + t - mm(mm(p, a), t)
        else:
            s = mm(p, mm(_H(p), _H(a_dot)))
            t = mm(_H(a_dot), mm(_H(p), p))
            p_dot = -mm(p, mm(a_dot, p)) + s - mm(s, mm(a, p)) + t - mm(p, mm(a, t))
        return p, p_dot
    return f(a)


def pinv(a, rtol=None, hermitian=False, *, rcond=None):
    """Moore-Penrose pseudo-inverse through the SVD, cutting singular values below `rtol` times the largest.

    Differs from JAX: on wasm/webgpu the SVD runs on the host (numpy/LAPACK), counted in the device's
    host_fallbacks.
    """
    if rcond is not None:
        if rtol is not None:
            raise ValueError("pinv: only one of rtol and rcond may be specified.")
        rtol = rcond
    (a,) = _inexact("pinv", a)
    m, n = a.shape[-2:]
    if m == 0 or n == 0:
        return jnp.empty(a.shape[:-2] + (n, m), a.dtype)
    return _pinv_impl(a, rtol, bool(hermitian))


def matrix_rank(M, rtol=None, *, hermitian=False, tol=None):
    """Number of singular values above the tolerance (`rtol` times the largest, or `tol`).

    Differs from JAX: on wasm/webgpu the SVD runs on the host (numpy/LAPACK), counted in the device's
    host_fallbacks.
    """
    if tol is not None:
        if rtol is not None:
            raise ValueError("matrix_rank: only one of tol or rtol may be specified.")
        rtol = tol
    (M,) = _inexact("matrix_rank", M)
    if M.ndim < 2:
        return reductions.any(M != 0).astype(np.int32)
    S = svd(M, full_matrices=False, compute_uv=False, hermitian=hermitian)
    if rtol is None:
        rtol = reductions.max(S, axis=-1) * np.array(max(M.shape[-2:])).astype(S.dtype) * np.finfo(S.dtype).eps
    rtol = asarray(rtol)
    rtol = jnp.expand_dims(rtol, rtol.ndim)
    return reductions.sum(S > rtol, axis=-1)


def matrix_power(a, n):
    """The integer power a**n of a square matrix by repeated squaring (the inverse first for n < 0)."""
    check_arraylike("jnp.linalg.matrix_power", a)
    arr = asarray(a)
    if arr.ndim < 2:
        raise TypeError(f"{arr.ndim}-dimensional array given. Array must be at least two-dimensional")
    if arr.shape[-2] != arr.shape[-1]:
        raise TypeError("Last 2 dimensions of the array must be square")
    try:
        n = operator.index(n)
    except TypeError as err:
        raise TypeError(f"exponent must be an integer, got {n}") from err
    if n == 0:
        return jnp.broadcast_to(jnp.eye(arr.shape[-2], dtype=arr.dtype), arr.shape)
    if n < 0:
        arr, n = inv(arr), -n
    if n == 1:
        return arr
    if n == 2:
        return arr @ arr
    if n == 3:
        return (arr @ arr) @ arr
    z = result = None
    while n > 0:
        z = arr if z is None else (z @ z)
        n, bit = divmod(n, 2)
        if bit:
            result = z if result is None else (result @ z)
    return result


def multi_dot(arrays, *, precision=None):
    """Product of a chain of matrices, in the multiplication order that costs fewest flops."""
    check_arraylike("jnp.linalg.multi_dot", *arrays)
    arrs = [asarray(a) for a in arrays]
    if len(arrs) < 2:
        raise ValueError(f"multi_dot requires at least two arrays, got {len(arrs)}")
    if not (arrs[0].ndim in (1, 2) and arrs[-1].ndim in (1, 2) and all(a.ndim == 2 for a in arrs[1:-1])):
        raise ValueError("multi_dot: input arrays must have one or two dimensions, and all but the first and last "
                         "must have two dimensions.")
    first_1d, last_1d = arrs[0].ndim == 1, arrs[-1].ndim == 1
    mats = [arrs[0][None, :] if first_1d else arrs[0]] + arrs[1:-1] + [arrs[-1][:, None] if last_1d else arrs[-1]]
    # The cheapest parenthesisation (matrix-chain order), as einsum's optimal path finds it.
    dims = [m.shape[0] for m in mats] + [mats[-1].shape[1]]
    k = len(mats)
    cost = [[0] * k for _ in range(k)]
    split = [[0] * k for _ in range(k)]
    for length in range(1, k):
        for i in range(k - length):
            j = i + length
            cost[i][j] = math.inf
            for s in range(i, j):
                c = cost[i][s] + cost[s + 1][j] + dims[i] * dims[s + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, s

    def product(i, j):
        if i == j:
            return mats[i]
        return jnp.matmul(product(i, split[i][j]), product(split[i][j] + 1, j), precision=precision)
    out = product(0, k - 1)
    if first_1d:
        out = out[0]
    if last_1d:
        out = out[..., 0]
    return out


def cond(x, p=None):
    """Condition number of a matrix in the norm `p` (2-norm by default, from the singular values)."""
    check_arraylike("jnp.linalg.cond", x)
    (x,) = promote_dtypes_inexact(asarray(x))
    if x.ndim < 2:
        raise ValueError(f"jnp.linalg.cond: input array must be at least 2D; got {x.shape=}")
    if x.shape[-1] == 0 or x.shape[-2] == 0:
        raise ValueError(f"jnp.linalg.cond: input array must not be empty; got {x.shape=}")
    if p is None or p == 2:
        s = svdvals(x)
        return s[..., 0] / s[..., -1]
    if p == -2:
        s = svdvals(x)
        r = s[..., -1] / s[..., 0]
    else:
        if x.shape[-2] != x.shape[-1]:
            raise ValueError(f"jnp.linalg.cond: for {p=}, array must be square; got {x.shape=}")
        r = norm(x, ord=p, axis=(-2, -1)) * norm(inv(x), ord=p, axis=(-2, -1))
    # NaNs from a singular matrix become inf, as numpy's do.
    return jnp.where(jnp.isnan(r) & ~reductions.any(jnp.isnan(x), axis=(-2, -1)), np.inf, r)


def tensorinv(a, ind=2):
    """Inverse of a tensor with respect to the tensordot over its first `ind` axes."""
    (arr,) = _inexact("tensorinv", a)
    ind = operator.index(ind)
    if ind <= 0:
        raise ValueError(f"ind must be a positive integer; got {ind=}")
    contracting, batch = arr.shape[:ind], arr.shape[ind:]
    flatshape = (math.prod(contracting), math.prod(batch))
    if flatshape[0] != flatshape[1]:
        raise ValueError("tensorinv is only possible when the product of the first `ind` dimensions equals that of "
                         f"the remaining dimensions. got {arr.shape=} with {ind=}.")
    return inv(arr.reshape(flatshape)).reshape(*batch, *contracting)


def tensorsolve(a, b, axes=None):
    """Solution x of tensordot(a, x, x.ndim) = b, reshaped to matrices and solved."""
    a_arr, b_arr = _inexact("tensorsolve", a, b)
    if axes is not None:
        a_arr = jnp.moveaxis(a_arr, axes, len(axes) * (a_arr.ndim - 1,))
    out_shape = a_arr.shape[b_arr.ndim:]
    if a_arr.shape[:b_arr.ndim] != b_arr.shape:
        raise ValueError("b must match the leading dimensions of a.shape[:b.ndim]. "
                         f"Got {a_arr.shape=}, {b_arr.shape=}")
    a_arr = a_arr.reshape(b_arr.size, math.prod(out_shape))
    return solve(a_arr, b_arr.ravel()).reshape(out_shape)


# ---- norms -----------------------------------------------------------------------------------------


def _sqrt_sum_sq(x, axis, keepdims):
    return jnp.sqrt(reductions.sum(jnp.real(x * jnp.conj(x)), axis=axis, keepdims=keepdims))


def _vector_norm(x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return _sqrt_sum_sq(x, axis, keepdims)
    if isinstance(ord, str):
        raise ValueError(f"Invalid order '{ord}' for vector norm.")
    if ord == np.inf:
        return reductions.max(jnp.abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return reductions.min(jnp.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        return reductions.sum(x != 0, dtype=np.finfo(jnp.abs(x).dtype).dtype, axis=axis, keepdims=keepdims)
    if ord == 1:
        return reductions.sum(jnp.abs(x), axis=axis, keepdims=keepdims)
    abs_x = jnp.abs(x)
    out = reductions.sum(abs_x ** jnp.array(ord, abs_x.dtype), axis=axis, keepdims=keepdims)
    return jnp.power(out, jnp.array(1.0 / ord, abs_x.dtype))


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm of `x`: `ord` picks which (2-norm / Frobenius by default), over `axis`."""
    check_arraylike("jnp.linalg.norm", x)
    (x,) = promote_dtypes_inexact(asarray(x))
    ndim = x.ndim
    if axis is None:
        if ord is None:
            return _sqrt_sum_sq(x.ravel(), None, False).reshape((1,) * ndim if keepdims else ())
        axis = tuple(range(ndim))
    elif isinstance(axis, tuple):
        axis = tuple(canonicalize_axis(a, ndim) for a in axis)
    else:
        axis = (canonicalize_axis(operator.index(axis), ndim),)
    if len(axis) == 1:
        return _vector_norm(x, 2 if ord is None else ord, axis, keepdims)
    if len(axis) != 2:
        raise ValueError(f"Improper number of axes for norm: {axis=}. Pass one axis to compute a vector-norm, or "
                         "two axes to compute a matrix-norm.")
    row_axis, col_axis = axis
    if ord is None or ord in ("f", "fro"):
        return _sqrt_sum_sq(x, axis, keepdims)
    if ord in (1, -1):
        if not keepdims and col_axis > row_axis:
            col_axis -= 1
        red = reductions.max if ord == 1 else reductions.min
        return red(reductions.sum(jnp.abs(x), axis=row_axis, keepdims=keepdims), axis=col_axis, keepdims=keepdims)
    if ord in (np.inf, -np.inf):
        if not keepdims and row_axis > col_axis:
            row_axis -= 1
        red = reductions.max if ord == np.inf else reductions.min
        return red(reductions.sum(jnp.abs(x), axis=col_axis, keepdims=keepdims), axis=row_axis, keepdims=keepdims)
    if ord in ("nuc", 2, -2):
        s = svd(jnp.moveaxis(x, axis, (-2, -1)), compute_uv=False)
        y = reductions.max(s, axis=-1) if ord == 2 else reductions.min(s, axis=-1) if ord == -2 else \
            reductions.sum(s, axis=-1)
        return jnp.expand_dims(y, axis) if keepdims else y
    raise ValueError(f"Invalid order '{ord}' for matrix norm.")


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """Matrix norm over the last two axes (`ord` 'fro', 'nuc', 1, 2, inf and their negatives)."""
    check_arraylike("jnp.linalg.matrix_norm", x)
    return norm(x, ord=ord, keepdims=keepdims, axis=(-2, -1))


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """Vector p-norm of `x` over `axis` (all elements if None), `ord` 2 by default."""
    check_arraylike("jnp.linalg.vector_norm", x)
    (x,) = promote_dtypes_inexact(asarray(x))
    if axis is None:
        result = norm(x.ravel(), ord=ord)
        return jnp.expand_dims(result, tuple(range(x.ndim))) if keepdims else result
    return norm(x, ord=ord, axis=axis, keepdims=keepdims)


# ---- array-API aliases -----------------------------------------------------------------------------


def matmul(x1, x2, /, *, precision=None, preferred_element_type=None):
    """Matrix product with broadcasting over batch axes (the array-API form of jnp.matmul)."""
    check_arraylike("jnp.linalg.matmul", x1, x2)
    x1, x2 = asarray(x1), asarray(x2)
    if x1.ndim < 1 or x2.ndim < 1:
        raise ValueError(f"matmul requires arrays of at least one dimension, got {x1.shape} and {x2.shape}")
    return jnp.matmul(x1, x2, precision=precision, preferred_element_type=preferred_element_type)


def matrix_transpose(x, /):
    """Swap the last two axes of `x`."""
    x = asarray(x)
    if x.ndim < 2:
        raise ValueError(f"matrix_transpose requires at least 2 dimensions; got {x.ndim=}")
    return jnp.matrix_transpose(x)


def tensordot(x1, x2, /, *, axes=2, precision=None, preferred_element_type=None):
    """Tensor dot product over `axes` (the array-API form of jnp.tensordot)."""
    return jnp.tensordot(x1, x2, axes=axes, precision=precision, preferred_element_type=preferred_element_type)


def vecdot(x1, x2, /, *, axis=-1, precision=None, preferred_element_type=None):
    """Dot product of vectors along `axis`, conjugating x1, broadcasting over the other axes."""
    check_arraylike("jnp.linalg.vecdot", x1, x2)
    x1, x2 = asarray(x1), asarray(x2)
    if x1.shape[axis] != x2.shape[axis]:
        raise ValueError(f"x1 and x2 must have the same size along {axis=}; got {x1.shape=} and {x2.shape=}")
    return jnp.vecdot(x1, x2, axis=axis, precision=precision, preferred_element_type=preferred_element_type)


def outer(x1, x2, /):
    """Outer product of two 1-D arrays."""
    check_arraylike("jnp.linalg.outer", x1, x2)
    x1, x2 = asarray(x1), asarray(x2)
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError(f"Input arrays must be one-dimensional, but they are {x1.ndim=} {x2.ndim=}")
    return x1[:, None] * x2[None, :]


def cross(x1, x2, /, *, axis=-1):
    """Cross product of 3-element vectors along `axis`."""
    check_arraylike("jnp.linalg.cross", x1, x2)
    x1, x2 = asarray(x1), asarray(x2)
    if x1.shape[axis] != 3 or x2.shape[axis] != 3:
        raise ValueError(f"Both input arrays must be (arrays of) 3-dimensional vectors, but they have "
                         f"{x1.shape[axis]=} and {x2.shape[axis]=}")
    return jnp.cross(x1, x2, axis=axis)


def trace(x, /, *, offset=0, dtype=None):
    """Sum of the diagonal with offset `offset` over the last two axes."""
    x = asarray(x)
    if x.ndim < 2:
        raise ValueError(f"jnp.linalg.trace requires ndim >= 2; got {x.ndim=}")
    return jnp.trace(x, offset=offset, axis1=-2, axis2=-1, dtype=dtype)


def diagonal(x, /, *, offset=0):
    """The diagonal with offset `offset` over the last two axes."""
    x = asarray(x)
    if x.ndim < 2:
        raise ValueError(f"jnp.linalg.diagonal requires ndim >= 2; got {x.ndim=}")
    return jnp.diagonal(x, offset=offset, axis1=-2, axis2=-1)


del core


# ---- qr(mode='raw') and slogdet(method='qr') over LAPACK's geqrf ----------------------------------


def _qr_raw(a):
    h, taus = lax_linalg.geqrf(a)
    return QRResult(jnp.matrix_transpose(h), taus)


def _slogdet_qr_value(a):
    if dtypes.issubdtype(a.dtype, np.complexfloating):
        raise NotImplementedError("slogdet method='qr' not implemented for complex inputs")
    n = a.shape[-1]
    h, taus = lax_linalg.geqrf(a)
    diag = jnp.diagonal(h, axis1=-2, axis2=-1)
    logdet = reductions.sum(jnp.log(jnp.abs(diag)), axis=-1)
    # Each Householder reflection actually applied (tau != 0) has determinant -1.
    flips = reductions.prod(jnp.where(taus[..., :max(n - 1, 0)] != 0, -1, 1), axis=-1).astype(a.dtype)
    return reductions.prod(jnp.sign(diag), axis=-1) * flips, logdet


_slogdet_qr = _with_slogdet_jvp(_slogdet_qr_value)  # (real inputs only: slogdet checks)
