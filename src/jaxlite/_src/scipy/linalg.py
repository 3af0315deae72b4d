"""jax.scipy.linalg: scipy's conventions over lax.linalg's primitives, expm by JAX's Padé scheme."""

from __future__ import annotations

import numpy as np

from jaxlite._src import ad, dtypes
from jaxlite._src.custom_derivatives import custom_jvp
from jaxlite._src.features import partial
from jaxlite._src.lax import linalg as lax_linalg
from jaxlite._src.lax.control_flow import cond, scan, switch
from jaxlite._src.numpy import lax_numpy as jnp, linalg as np_linalg, reductions
from jaxlite._src.numpy.functional import vectorize
from jaxlite._src.numpy.util import asarray, check_arraylike, promote_dtypes, promote_dtypes_inexact
from jaxlite._src.scipy.special_matrices import (circulant, companion, convolution_matrix, dft, fiedler,  # noqa: F401
                                                 fiedler_companion, hadamard, hankel, helmert, hilbert, invhilbert,
                                                 invpascal, leslie, pascal, toeplitz)

__all__ = ["block_diag", "cho_factor", "cho_solve", "cholesky", "det", "eigh", "eigh_tridiagonal", "expm",
           "expm_frechet", "funm", "hessenberg", "inv", "lu", "lu_factor", "lu_solve", "polar", "qr", "qr_multiply",
           "rsf2csf", "schur", "solve", "solve_sylvester", "solve_triangular", "sqrtm", "svd", "circulant", "companion",
           "convolution_matrix", "dft", "fiedler", "fiedler_companion", "hadamard", "hankel", "helmert", "hilbert",
           "invhilbert", "invpascal", "leslie", "pascal", "toeplitz"]


def _inexact(name, *args):
    check_arraylike(f"jax.scipy.linalg.{name}", *args)
    return promote_dtypes_inexact(*(asarray(a) for a in args))


def _H(x):
    return jnp.conj(jnp.matrix_transpose(x))


def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """Cholesky factor of a Hermitian positive-definite matrix from one triangle: upper by default, lower with
    `lower=True`.
    """
    (a,) = _inexact("cholesky", a)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"Argument to cholesky must have shape [..., n, n], got {a.shape}.")
    # scipy reads one triangle only: no symmetrisation.
    L = lax_linalg.cholesky(a if lower else _H(a), symmetrize_input=False)
    return L if lower else _H(L)


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """Cholesky factorization as (c, lower), the form `cho_solve` takes."""
    return cholesky(a, lower=lower), lower


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """Solve a @ x = b given the Cholesky factorization (c, lower) of a, by two triangular solves."""
    c, lower = c_and_lower
    c, b = _inexact("cho_solve", c, b)
    vector = b.ndim == c.ndim - 1
    if vector:
        b = b[..., None]
    b = lax_linalg.triangular_solve(c, b, left_side=True, lower=lower, transpose_a=not lower, conjugate_a=not lower)
    b = lax_linalg.triangular_solve(c, b, left_side=True, lower=lower, transpose_a=lower, conjugate_a=lower)
    return b[..., 0] if vector else b


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, debug=None,
                     check_finite=True):
    """Solve a @ x = b (or its transpose/conjugate by `trans`) for a triangular `a`, batched."""
    if trans in (0, "N"):
        transpose_a, conjugate_a = False, False
    elif trans in (1, "T"):
        transpose_a, conjugate_a = True, False
    elif trans in (2, "C"):
        transpose_a, conjugate_a = True, True
    else:
        raise ValueError(f"Invalid 'trans' value {trans}")
    a, b = _inexact("solve_triangular", a, b)
    vector = a.ndim == b.ndim + 1
    if vector:
        b = b[..., None]
    out = lax_linalg.triangular_solve(a, b, left_side=True, lower=lower, transpose_a=transpose_a,
                                      conjugate_a=conjugate_a, unit_diagonal=unit_diagonal)
    return out[..., 0] if vector else out


def lu_factor(a, overwrite_a=False, check_finite=True):
    """LU factorization with partial pivoting as (lu, piv), the form `lu_solve` takes (piv as LAPACK's row
    swaps).
    """
    (a,) = _inexact("lu_factor", a)
    lu_, pivots, _ = lax_linalg.lu(a)
    return lu_, pivots


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """Solve a @ x = b (or its transpose by `trans`) given the LU factorization (lu, piv) of a."""
    lu_, pivots = lu_and_piv
    lu_, b = _inexact("lu_solve", lu_, b)
    if trans not in (0, 1, 2):
        raise ValueError(f"'trans' value must be 0, 1, or 2, got {trans}")
    m = lu_.shape[-1]
    perm = lax_linalg.lu_pivots_to_permutation(asarray(pivots), m)
    vector = b.ndim == 1 or b.ndim == lu_.ndim - 1
    x = np_linalg._lu_solve(lu_, perm, b[..., None] if vector else b, trans)
    return x[..., 0] if vector else x


def lu(a, permute_l=False, overwrite_a=False, check_finite=True):
    """LU decomposition with partial pivoting a = p @ l @ u (or (p @ l, u) with `permute_l=True`)."""
    (a,) = _inexact("lu", a)
    lu_, _, permutation = lax_linalg.lu(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    p = jnp.real(jnp.array(permutation[..., None] == jnp.arange(m, dtype=permutation.dtype), dtype=a.dtype))
    p = jnp.swapaxes(p, -1, -2)
    l = jnp.tril(lu_[..., :, :k], -1) + jnp.eye(m, k, dtype=a.dtype)
    u = jnp.triu(lu_[..., :k, :])
    return (jnp.matmul(p, l), u) if permute_l else (p, l, u)


def qr(a, overwrite_a=False, lwork=None, mode="full", pivoting=False, check_finite=True):
    """QR decomposition a = q @ r; `mode` 'full', 'economic' or 'r' (JAX has no 'raw' here: a ValueError),
    optionally with column `pivoting`.
    """
    (a,) = _inexact("qr", a)
    if mode in ("full", "r"):
        full_matrices = True
    elif mode == "economic":
        full_matrices = False
    else:
        raise ValueError(f"Unsupported QR decomposition mode '{mode}'")
    out = lax_linalg.qr(a, pivoting=pivoting, full_matrices=full_matrices)
    if mode == "r":
        return (out[1],) + tuple(out[2:])
    return tuple(out)


def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True, lapack_driver="gesdd"):
    """Singular value decomposition a = u @ diag(s) @ vh (or only s with `compute_uv=False`)."""
    (a,) = _inexact("svd", a)
    return lax_linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)


@partial("the generalized problem (b=...), eigvals= and type= are not supported (as in JAX)")
def eigh(a, b=None, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False, turbo=True,
         eigvals=None, type=1, check_finite=True):  # noqa: A002
    """Eigenvalues (ascending) and eigenvectors of a Hermitian matrix, from its lower or upper triangle.

    As in JAX, the generalized problem (b=...), eigvals= and type != 1 are not supported.
    """
    if b is not None:
        raise NotImplementedError("Only the b=None case of eigh is implemented")
    if type != 1:
        raise NotImplementedError("Only the type=1 case of eigh is implemented.")
    if eigvals is not None:
        raise NotImplementedError("Only the eigvals=None case of eigh is implemented.")
    (a,) = _inexact("eigh", a)
    v, w = lax_linalg.eigh(a, lower=lower)
    return w if eigvals_only else (w, v)


def det(a, overwrite_a=False, check_finite=True):
    """Determinant of a square matrix, batched (as jnp.linalg.det)."""
    return np_linalg.det(a)


def inv(a, overwrite_a=False, check_finite=True):
    """Inverse of a square matrix, batched (as jnp.linalg.inv)."""
    return np_linalg.inv(a)


def _pos_solve(a, b, lower):
    @custom_jvp
    def f(a, b):
        return cho_solve(cho_factor(a, lower=lower), b)

    @f.defjvp
    def f_jvp(primals, tangents):
        (a, b), (da, db) = primals, tangents
        factors = cho_factor(a, lower=lower)
        x = cho_solve(factors, b)
        return x, cho_solve(factors, db - jnp.matmul(da, x))
    return f(a, b)


def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, debug=False, check_finite=True, assume_a="gen"):
    """Solve a @ x = b; `assume_a='pos'` solves by Cholesky, the other kinds ('gen', 'sym', 'her') by LU."""
    valid = {"gen", "sym", "her", "pos"}
    if assume_a not in valid:
        raise ValueError(f"Expected assume_a to be one of {valid}; got {assume_a!r}")
    if assume_a != "pos":
        return np_linalg.solve(a, b)
    a, b = _inexact("solve", a, b)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"The arguments to solve must have shapes a=[..., m, m] and b=[..., m, k] or b=[..., m]; "
                         f"got a={a.shape} and b={b.shape}")
    vector = a.ndim == b.ndim + 1
    x = _pos_solve(a, b[..., None] if vector else b, lower)
    return x[..., 0] if vector else x


def block_diag(*arrs):
    """Block-diagonal matrix with the given arrays (scalars, 1-D rows or 2-D) along the diagonal."""
    if len(arrs) == 0:
        arrs = (jnp.zeros((1, 0)),)
    arrs = promote_dtypes(*(asarray(a) for a in arrs))
    bad = [i for i, a in enumerate(arrs) if a.ndim > 2]
    if bad:
        raise ValueError(f"Arguments to jax.scipy.linalg.block_diag must have at most 2 dimensions, got "
                         f"{arrs[bad[0]]} at argument {bad[0]}.")
    mats = [jnp.atleast_2d(a) for a in arrs]
    acc = mats[0]
    for a in mats[1:]:
        c = a.shape[1]
        a = jnp.pad(a, ((0, 0), (acc.shape[-1], 0)))
        acc = jnp.pad(acc, ((0, 0), (0, c)))
        acc = jnp.concatenate([acc, a], axis=0)
    return acc


# ---- expm: scaling and squaring with Padé approximants (Higham 2005), JAX's orders and bounds -----

_PADE = {3: (120., 60., 12., 1.),
         5: (30240., 15120., 3360., 420., 30., 1.),
         7: (17297280., 8648640., 1995840., 277200., 25200., 1512., 56., 1.),
         9: (17643225600., 8821612800., 2075673600., 302702400., 30270240., 2162160., 110880., 3960., 90., 1.),
         13: (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800., 129060195264000.,
              10559470521600., 670442572800., 33522128640., 1323241920., 40840800., 960960., 16380., 182., 1.)}


def _sum(terms):
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


def _pade(order):
    b = _PADE[order]

    def uv(A):
        ident = jnp.eye(*A.shape, dtype=A.dtype)
        A2 = A @ A
        if order == 13:
            A4 = A2 @ A2
            A6 = A4 @ A2
            U = A @ (A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * ident)
            V = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * ident
            return U, V
        powers = [ident, A2]
        for _ in range((order + 1) // 2 - 2):
            powers.append(A2 @ A2 if len(powers) == 2 else powers[-1] @ A2)
        # Highest power first, as JAX adds them.
        U = A @ _sum([b[2 * i + 1] * p for i, p in enumerate(powers)][::-1])
        V = _sum([b[2 * i] * p for i, p in enumerate(powers)][::-1])
        return U, V
    return uv


def _expm_one(A, upper_triangular, max_squarings):
    A_L1 = np_linalg.norm(A, 1)
    if A.dtype in (np.float64, np.complex128):
        maxnorm, conds, orders = 5.371920351148152, [1.495585217958292e-002, 2.539398330063230e-001,
                                                     9.504178996162932e-001, 2.097847961257068e+000], (3, 5, 7, 9, 13)
    else:
        maxnorm, conds, orders = 3.925724783138660, [4.258730016922831e-001, 1.880152677804762e+000], (3, 5, 7)
    n_squarings = jnp.maximum(0, jnp.floor(jnp.log2(A_L1 / maxnorm)))
    A = A / (2 ** n_squarings).astype(A.dtype)
    idx = jnp.count_nonzero(jnp.array(conds, dtype=A_L1.dtype) <= A_L1)  # digitize's bin
    U, V = switch(idx, [_pade(o) for o in orders], A)
    P, Q = U + V, -U + V

    def compute(args):
        P, Q = args
        R = solve_triangular(Q, P) if upper_triangular else np_linalg.solve(Q, P)

        def step(c, i):
            return cond(i < n_squarings, lambda x: x @ x, lambda x: x, c), None
        return scan(step, R, jnp.arange(max_squarings, dtype=n_squarings.dtype))[0]
    return cond(n_squarings > max_squarings, lambda args: jnp.full_like(args[0], np.nan), compute, (P, Q))


def expm(A, *, upper_triangular=False, max_squarings=16):
    """Matrix exponential by scaling and squaring with a Pade approximant, batched over leading axes."""
    (A,) = _inexact("expm", A)
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"Expected A to be a (batched) square matrix, got {A.shape=}.")
    if A.ndim > 2:
        return vectorize(lambda m: _expm_one(m, upper_triangular, max_squarings), signature="(n,n)->(n,n)")(A)
    return _expm_one(A, upper_triangular, max_squarings)



def expm_frechet(A, E, *, method=None, compute_expm=True):
    """Frechet derivative of expm at A in direction E (with expm(A) first when `compute_expm`), as the JVP
    of expm."""
    A, E = asarray(A), asarray(E)
    if A.ndim < 2 or A.shape[-2] != A.shape[-1]:
        raise ValueError(f"expected A to be a (batched) square matrix, got A.shape={A.shape}")
    if E.ndim < 2 or E.shape[-2] != E.shape[-1]:
        raise ValueError(f"expected E to be a (batched) square matrix, got E.shape={E.shape}")
    if A.shape != E.shape:
        raise ValueError(f"expected A and E to be the same shape, got A.shape={A.shape} E.shape={E.shape}")
    expm_A, frechet = ad.jvp(lambda a: expm(a, upper_triangular=False, max_squarings=16), (A,), (E,))
    return (expm_A, frechet) if compute_expm else frechet


# ---- polar, qr_multiply ----------------------------------------------------------------------------


def _polar_2d(a, side, method):
    m, n = a.shape
    if method == "qdwh":
        if not ((m >= n and side == "right") or (m < n and side == "left")):
            raise NotImplementedError("method='qdwh' only supports mxn matrices where m < n where side='right' and "
                                      f"m >= n side='left', got {a.shape} with {side=}")
    elif method != "svd":
        raise ValueError(f"Unknown polar decomposition method {method}.")
    u, s, vh = lax_linalg.svd(a, full_matrices=False)
    s = s.astype(u.dtype)
    if side == "right":
        return u @ vh, (_H(vh) * s[None, :]) @ vh
    return u @ vh, (u * s[None, :]) @ _H(u)


@partial("method='qdwh' is computed through the SVD (the same factors to rounding); eps and max_iterations are "
         "ignored")
def polar(a, side="right", *, method="qdwh", eps=None, max_iterations=None):
    """Polar decomposition a = u @ p (side='right') or p @ u (side='left'), p positive semidefinite, batched.

    Differs from JAX: method='qdwh' runs through the SVD (same factors to rounding; eps, max_iterations are
    ignored).
    """
    a = asarray(a)
    if a.ndim < 2:
        raise ValueError("The input `a` must be at least a 2-D array.")
    if side not in ("right", "left"):
        raise ValueError("The argument `side` must be either 'right' or 'left'.")
    if not dtypes.issubdtype(a.dtype, np.inexact):  # JAX does not promote here
        if method == "qdwh":
            raise ValueError(f"data type {a.dtype.type} not inexact")
        raise TypeError(f"svd does not accept dtype {a.dtype}: it requires a floating-point or complex operand")
    sig = "(m,n)->(m,n),(n,n)" if side == "right" else "(m,n)->(m,n),(m,m)"
    return vectorize(lambda x: _polar_2d(x, side, method), signature=sig)(a)


def qr_multiply(a, c, mode="right", pivoting=False, conjugate=False, overwrite_a=False, overwrite_c=False):
    """(c @ Q, R) for mode='right' or (Q @ c, R) for mode='left' with the economic QR of `a` (Q conjugated
    with `conjugate`), plus the column permutation with `pivoting`; batched.

    Differs from JAX: Q is formed explicitly from the Householder QR instead of applied by LAPACK ormqr (same
    values to rounding).
    """
    a, c = promote_dtypes_inexact(asarray(a), asarray(c))
    if mode not in ("right", "left"):
        raise ValueError(f"mode must be 'right' or 'left', got {mode!r}")
    onedim = c.ndim == 1
    if onedim:
        c = c[:, None] if mode == "left" else c[None, :]
    m, n = a.shape[-2:]
    k = min(m, n)
    if mode == "left" and c.shape[-2] != k:
        raise ValueError(f"Array shapes are not compatible for Q @ c operation: a has shape {tuple(a.shape)} so Q "
                         f"has {k} columns, but c has {c.shape[-2]} rows (expected {k}).")
    if mode == "right" and c.shape[-1] != m:
        raise ValueError(f"Array shapes are not compatible for c @ Q operation: a has shape {tuple(a.shape)} so Q "
                         f"has {m} rows, but c has {c.shape[-1]} columns (expected {m}).")
    q, r, *p = lax_linalg.qr(a, pivoting=pivoting, full_matrices=False)
    if conjugate:
        q = jnp.conj(q)
    out = jnp.matmul(c, q) if mode == "right" else jnp.matmul(q, c)
    if onedim:
        out = out.ravel()
    return (out, r, p[0]) if pivoting else (out, r)


# ---- eigh_tridiagonal ------------------------------------------------------------------------------


@partial("eigenvalues and vectors come from eigh of the dense tridiagonal matrix (O(n^3)) rather than JAX's "
         "bisection and inverse iteration: eigenvector signs may differ; tol and key are ignored")
def eigh_tridiagonal(d, e, *, eigvals_only=False, select="a", select_range=None, tol=None, key=None):
    """Eigenvalues (ascending), and eigenvectors unless `eigvals_only`, of the symmetric/Hermitian tridiagonal
    matrix with diagonal `d` and off-diagonal `e`; select='i' keeps indices select_range[0]..select_range[1].

    Differs from JAX: computed by eigh of the dense matrix (eigenvector signs may differ from JAX's inverse
    iteration; tol and key are ignored).
    """
    alpha, beta = asarray(d), asarray(e)
    supported = (np.float32, np.float64, np.complex64, np.complex128)
    if alpha.dtype != beta.dtype:
        raise TypeError(f"diagonal and off-diagonal values must have same dtype, got {alpha.dtype} and {beta.dtype}")
    if alpha.dtype not in supported:
        raise TypeError("Only float32 and float64 inputs are supported as inputs to "
                        f"jax.scipy.linalg.eigh_tridiagonal, got {alpha.dtype} and {beta.dtype}")
    n = alpha.shape[0]
    if n <= 1:
        return jnp.real(alpha) if eigvals_only else (jnp.real(alpha), jnp.eye(n, dtype=alpha.dtype))
    if select == "a":
        lo, hi = 0, n - 1
    elif select == "i":
        if select_range is None:
            raise ValueError("for select='i', select_range must be specified.")
        if select_range[0] > select_range[1]:
            raise ValueError("Got empty index range in select_range.")
        lo, hi = int(select_range[0]), int(select_range[1])
    elif select == "v":
        raise NotImplementedError("eigh_tridiagonal(..., select='v') is not implemented yet.")
    else:
        raise ValueError("'select must have a value in {'a', 'i', 'v'}.")
    t = jnp.diag(alpha) + jnp.diag(beta, -1) + jnp.diag(jnp.conj(beta), 1)
    v, w = lax_linalg.eigh(t, lower=True, symmetrize_input=False)
    if eigvals_only:
        return w[lo:hi + 1]
    return w[lo:hi + 1], v[:, lo:hi + 1]


# ---- Hessenberg and Schur forms and what JAX builds on them -----------------------------------------


def _hessenberg_2d(a):
    """Householder reduction with LAPACK gehrd's reflectors (beta = -sign(Re alpha) |x|), H_k = I - tau v v^H."""
    n = a.shape[-1]
    q = jnp.eye(n, dtype=a.dtype)
    for k in range(n - 1):  # the last, one-element step makes a complex subdiagonal entry real
        x = a[k + 1:, k]
        alpha, rest = x[0], x[1:]
        xnorm = jnp.sqrt(reductions.sum(jnp.real(rest * jnp.conj(rest))))
        trivial = (xnorm == 0) & (jnp.imag(alpha) == 0)
        beta = -jnp.where(jnp.real(alpha) >= 0, 1.0, -1.0).astype(xnorm.dtype) * jnp.sqrt(
            jnp.real(alpha * jnp.conj(alpha)) + xnorm ** 2)
        beta = beta.astype(a.dtype)
        denom = jnp.where(trivial, jnp.ones_like(alpha), alpha - beta)
        tau = jnp.where(trivial, jnp.zeros_like(alpha), (beta - alpha) / jnp.where(trivial, 1, beta))
        v = jnp.concatenate([jnp.ones((1,), a.dtype), rest / denom])
        vh = jnp.conj(v)
        blk = a[k + 1:, :]
        a = a.at[k + 1:, :].set(blk - jnp.conj(tau) * v[:, None] * (vh @ blk)[None, :])
        cols = a[:, k + 1:]
        a = a.at[:, k + 1:].set(cols - tau * (cols @ v)[:, None] * vh[None, :])
        qc = q[:, k + 1:]
        q = q.at[:, k + 1:].set(qc - tau * (qc @ v)[:, None] * vh[None, :])
    return jnp.triu(a, -1), q


def hessenberg(a, *, calc_q=False, overwrite_a=False, check_finite=True):
    """Hessenberg form h = q^H a q (with q when `calc_q`), batched, by Householder reflections as LAPACK's."""
    a = asarray(a)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"Argument to Hessenberg reduction must have shape [..., n, n], got shape {a.shape}")
    if not dtypes.issubdtype(a.dtype, np.inexact):
        raise TypeError(f"hessenberg does not accept dtype {a.dtype}: it requires a floating-point or complex "
                        "operand")
    if a.shape[-1] == 0:
        return (jnp.zeros_like(a), jnp.zeros_like(a)) if calc_q else jnp.zeros_like(a)
    h, q = vectorize(_hessenberg_2d, signature="(n,n)->(n,n),(n,n)")(a)
    return (h, q) if calc_q else h


@partial("runs on the host (numpy Hessenberg + shifted QR) as JAX runs it on CPU only; T and Z are not unique "
         "and may differ from LAPACK's (eigenvalue order, 2x2 block form, signs); not differentiable, as in JAX")
def schur(a, output="real"):
    """Schur decomposition a = z @ t @ z^H, batched: t quasi-upper-triangular ('real') or upper-triangular
    ('complex').

    Differs from JAX: a numpy Hessenberg + shifted-QR host kernel (a counted host fallback on wasm/webgpu);
    t and z may differ from LAPACK's by eigenvalue order, the form of 2x2 blocks and signs.
    """
    if output not in ("real", "complex"):
        raise ValueError(f"Expected 'output' to be either 'real' or 'complex', got {output=}.")
    return lax_linalg.schur(asarray(a), output=output)


def _rsf2csf_2d(T, Z):
    n = T.shape[0]
    dt = jnp.result_type(T.dtype, np.complex64)
    T, Z = T.astype(dt), Z.astype(dt)
    eps = jnp.finfo(dt).eps
    for m in range(n - 1, 0, -1):
        p, q, r, s = T[m - 1, m - 1], T[m - 1, m], T[m, m - 1], T[m, m]
        mu = (p - s) / 2 + jnp.sqrt(((p - s) / 2) ** 2 + q * r)  # LAPACK's first eigenvalue minus s
        nrm = jnp.sqrt(jnp.abs(mu) ** 2 + jnp.abs(r) ** 2).astype(dt)
        split = jnp.abs(r) > eps * (jnp.abs(p) + jnp.abs(s))
        nrm = jnp.where(split, nrm, 1)
        c, sn = mu / nrm, r / nrm
        G = jnp.stack([jnp.stack([jnp.conj(c), sn]), jnp.stack([-sn, c])])
        T2 = T.at[m - 1:m + 1, m - 1:].set(G @ T[m - 1:m + 1, m - 1:])
        T2 = T2.at[:m + 1, m - 1:m + 1].set(T2[:m + 1, m - 1:m + 1] @ _H(G))
        Z2 = Z.at[:, m - 1:m + 1].set(Z[:, m - 1:m + 1] @ _H(G))
        T, Z = jnp.where(split, T2, T), jnp.where(split, Z2, Z)
        T = T.at[m, m - 1].set(0)
    return T, Z


def rsf2csf(T, Z, check_finite=True):
    """Complex Schur form (T, Z) from a real Schur form, by a Givens rotation per 2x2 block; batched."""
    T, Z = asarray(T), asarray(Z)
    if T.ndim < 2 or T.shape[-1] != T.shape[-2]:
        raise ValueError(f"Input 'T' must be square, got {T.shape=}")
    if Z.ndim < 2 or Z.shape[-1] != Z.shape[-2] or Z.shape[-1] != T.shape[-1]:
        raise ValueError(f"Input 'Z' must be square with the same size as 'T', got {T.shape=} {Z.shape=}")
    T, Z = promote_dtypes_inexact(T, Z)
    return vectorize(_rsf2csf_2d, signature="(n,n),(n,n)->(n,n),(n,n)")(T, Z)


def _sqrtm_triu(T):
    n = T.shape[0]
    d = jnp.sqrt(jnp.diagonal(T))
    U = jnp.diag(d)
    for j in range(n):
        for i in range(j - 1, -1, -1):
            s = U[i, i + 1:j] @ U[i + 1:j, j] if j - i > 1 else jnp.zeros((), T.dtype)
            U = U.at[i, j].set(jnp.where(T[i, j] == s, 0, (T[i, j] - s) / (d[i] + d[j])))
    return U


def sqrtm(A, blocksize=1):
    """Principal matrix square root by the complex Schur method (Bjorck & Hammarling), complex result.

    Differs from JAX: the Schur decomposition is a numpy host kernel (a counted host fallback on
    wasm/webgpu); values agree to rounding.
    """
    if blocksize > 1:
        raise NotImplementedError("Blocked version is not implemented yet.")
    (A,) = _inexact("sqrtm", A)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"diag input must be 1d or 2d, got {A.shape}" if A.ndim > 2 else
                         f"sqrtm expects a square matrix, got {A.shape}")
    T, Z = schur(A, output="complex")
    return Z @ _sqrtm_triu(T) @ _H(Z)


def funm(A, func, disp=True):
    """f(A) for a scalar function `func` by Parlett's recurrence on the complex Schur form (complex result);
    with disp=False also an error estimate.

    Differs from JAX: the Schur decomposition is a numpy host kernel (a counted host fallback on
    wasm/webgpu); values agree to rounding.
    """
    A = asarray(A)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError("expected square array_like input")
    T, Z = rsf2csf(*schur(A))
    n = T.shape[0]
    F = jnp.diag(func(jnp.diagonal(T))).astype(T.dtype)
    minden = jnp.abs(T[0, 0])
    for p in range(1, n):
        for i in range(n - p):
            j = i + p
            s = T[i, j] * (F[j, j] - F[i, i]) + T[i, i + 1:j] @ F[i + 1:j, j] - F[i, i + 1:j] @ T[i + 1:j, j]
            den = T[j, j] - T[i, i]
            F = F.at[i, j].set(jnp.where(den != 0, s / jnp.where(den != 0, den, 1), s))
            minden = jnp.minimum(minden, jnp.abs(den))
    F = Z @ F @ _H(Z)
    if disp:
        return F
    tol = float(jnp.finfo(F.dtype).eps)
    minden = jnp.where(minden == 0.0, tol, minden)
    err = jnp.where(reductions.any(jnp.isinf(F)), np.inf,
                    jnp.minimum(1, jnp.maximum(tol, (tol / minden) * np_linalg.norm(jnp.triu(T, 1), 1))))
    return F, err


# ---- solve_sylvester: A X + X B = C -----------------------------------------------------------------


def _sylvester_triangular(R, S, F):
    """Y with R Y + Y S = F for upper-triangular R and lower-triangular S, element by element from the
    bottom-right corner (a scan over the m*n positions)."""
    m, n = F.shape
    rows, cols = jnp.arange(m), jnp.arange(n)

    def step(Y, idx):
        i, j = idx // n, idx % n
        row_term = reductions.sum(jnp.where(rows > i, R[i, :] * Y[:, j], 0))
        col_term = reductions.sum(jnp.where(cols > j, Y[i, :] * S[:, j], 0))
        return Y.at[i, j].set((F[i, j] - row_term - col_term) / (R[i, i] + S[j, j])), None
    return scan(step, jnp.zeros_like(F), jnp.arange(m * n - 1, -1, -1))[0]


def _sylvester_2d(A, B, C, method, tol):
    m, n = C.shape
    if method == "schur":
        R, U = schur(A, output="complex")
        S, V = schur(_H(B), output="complex")
        Y = _sylvester_triangular(R, _H(S), _H(U) @ C.astype(R.dtype) @ V)
        X = U @ Y @ _H(V)
        eig_a, eig_b = jnp.diagonal(R), jnp.conj(jnp.diagonal(S))
    elif method == "eigen":
        eig_a, UA = np_linalg.eig(A)
        eig_b, UB = np_linalg.eig(B)
        F = np_linalg.solve(UA, C.astype(eig_a.dtype) @ UB)
        X = UA @ (F / (eig_a[:, None] + eig_b[None, :])) @ np_linalg.inv(UB)
    else:
        raise ValueError(f'Unrecognized method {method}. The two valid methods are either "schur" or "eigen".')
    if not dtypes.issubdtype(C.dtype, np.complexfloating):
        X = jnp.real(X)
    singular = reductions.any(jnp.abs(eig_a[:, None] + eig_b[None, :]) < tol)
    return jnp.where(singular, jnp.full_like(X, np.nan), X)


def solve_sylvester(A, B, C, *, method="schur", tol=1e-8):
    """X with A @ X + X @ B = C, batched; NaN where A and -B share an eigenvalue (within `tol`).

    Differs from JAX: the Schur/eig decompositions are numpy host kernels (counted host fallbacks on
    wasm/webgpu); values agree to rounding.
    """
    A, B, C = promote_dtypes_inexact(asarray(A), asarray(B), asarray(C))
    m, n = C.shape[-2:]
    if A.shape[-2:] != (m, m) or B.shape[-2:] != (n, n):
        raise ValueError(f"Incompatible shapes for Sylvester equation:\nA: {A.shape}\nB: {B.shape}\nC: {C.shape}")
    return vectorize(lambda a, b, c: _sylvester_2d(a, b, c, method, tol),
                     signature="(m,m),(n,n),(m,n)->(m,n)")(A, B, C)
