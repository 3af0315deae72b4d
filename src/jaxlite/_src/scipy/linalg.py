"""jax.scipy.linalg: scipy's conventions over lax.linalg's primitives, expm by JAX's Padé scheme."""

from __future__ import annotations

import numpy as np

from jaxlite._src.custom_derivatives import custom_jvp
from jaxlite._src.features import partial
from jaxlite._src.lax import lax, linalg as lax_linalg
from jaxlite._src.lax.control_flow import cond, scan, switch
from jaxlite._src.numpy import lax_numpy as jnp, linalg as np_linalg
from jaxlite._src.numpy.functional import vectorize
from jaxlite._src.numpy.util import asarray, broadcast_shapes, check_arraylike, promote_dtypes, promote_dtypes_inexact

__all__ = ["block_diag", "cho_factor", "cho_solve", "cholesky", "det", "eigh", "expm", "inv", "lu", "lu_factor",
           "lu_solve", "qr", "solve", "solve_triangular", "svd", "toeplitz"]


def _inexact(name, *args):
    check_arraylike(f"jax.scipy.linalg.{name}", *args)
    return promote_dtypes_inexact(*(asarray(a) for a in args))


def _H(x):
    return jnp.conj(jnp.matrix_transpose(x))


def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """Cholesky factor of a Hermitian positive-definite matrix from one triangle: upper by default, lower with
    `lower=True`.

    Differs from JAX: on wasm/webgpu the factorization runs on the host (numpy/LAPACK), counted in the
    device's host_fallbacks.
    """
    (a,) = _inexact("cholesky", a)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"Argument to cholesky must have shape [..., n, n], got {a.shape}.")
    # scipy reads one triangle only: no symmetrisation.
    L = lax_linalg.cholesky(a if lower else _H(a), symmetrize_input=False)
    return L if lower else _H(L)


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """Cholesky factorization as (c, lower), the form `cho_solve` takes.

    Differs from JAX: on wasm/webgpu the factorization runs on the host (numpy/LAPACK), counted in the
    device's host_fallbacks.
    """
    return cholesky(a, lower=lower), lower


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """Solve a @ x = b given the Cholesky factorization (c, lower) of a, by two triangular solves.

    Differs from JAX: on wasm/webgpu the triangular solve runs on the host (numpy/LAPACK), counted in the
    device's host_fallbacks.
    """
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
    """Solve a @ x = b (or its transpose/conjugate by `trans`) for a triangular `a`, batched.

    Differs from JAX: on wasm/webgpu the triangular solve runs on the host (numpy/LAPACK), counted in the
    device's host_fallbacks.
    """
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

    Differs from JAX: on wasm/webgpu the factorization runs on the host (numpy/LAPACK), counted in the
    device's host_fallbacks.
    """
    (a,) = _inexact("lu_factor", a)
    lu_, pivots, _ = lax_linalg.lu(a)
    return lu_, pivots


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """Solve a @ x = b (or its transpose by `trans`) given the LU factorization (lu, piv) of a.

    Differs from JAX: on wasm/webgpu the triangular solve runs on the host (numpy/LAPACK), counted in the
    device's host_fallbacks.
    """
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
    """LU decomposition with partial pivoting a = p @ l @ u (or (p @ l, u) with `permute_l=True`).

    Differs from JAX: on wasm/webgpu the factorization runs on the host (numpy/LAPACK), counted in the
    device's host_fallbacks.
    """
    (a,) = _inexact("lu", a)
    lu_, _, permutation = lax_linalg.lu(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    p = jnp.real(jnp.array(permutation[..., None] == jnp.arange(m, dtype=permutation.dtype), dtype=a.dtype))
    p = jnp.swapaxes(p, -1, -2)
    l = jnp.tril(lu_[..., :, :k], -1) + jnp.eye(m, k, dtype=a.dtype)
    u = jnp.triu(lu_[..., :k, :])
    return (jnp.matmul(p, l), u) if permute_l else (p, l, u)


@partial("mode='raw' is not supported")
def qr(a, overwrite_a=False, lwork=None, mode="full", pivoting=False, check_finite=True):
    """QR decomposition a = q @ r; `mode` 'full', 'economic' or 'r', optionally with column `pivoting`.

    Differs from JAX: mode='raw' is not supported; on wasm/webgpu the factorization runs on the host,
    counted in host_fallbacks.
    """
    (a,) = _inexact("qr", a)
    if mode in ("full", "r"):
        full_matrices = True
    elif mode == "economic":
        full_matrices = False
    elif mode == "raw":
        raise NotImplementedError("jax.scipy.linalg.qr(mode='raw') is not supported by jaxlite")
    else:
        raise ValueError(f"Unsupported QR decomposition mode '{mode}'")
    out = lax_linalg.qr(a, pivoting=pivoting, full_matrices=full_matrices)
    if mode == "r":
        return (out[1],) + tuple(out[2:])
    return tuple(out)


def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True, lapack_driver="gesdd"):
    """Singular value decomposition a = u @ diag(s) @ vh (or only s with `compute_uv=False`).

    Differs from JAX: on wasm/webgpu the decomposition runs on the host (numpy/LAPACK), counted in the
    device's host_fallbacks.
    """
    (a,) = _inexact("svd", a)
    return lax_linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)


@partial("the generalized problem (b=...), eigvals= and type= are not supported (as in JAX)")
def eigh(a, b=None, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False, turbo=True,
         eigvals=None, type=1, check_finite=True):  # noqa: A002
    """Eigenvalues (ascending) and eigenvectors of a Hermitian matrix, from its lower or upper triangle.

    Differs from JAX: as in JAX, the generalized problem (b=...), eigvals= and type != 1 are not supported;
    on wasm/webgpu the decomposition runs on the host, counted in host_fallbacks.
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
    """Solve a @ x = b; `assume_a='pos'` solves by Cholesky, the other kinds ('gen', 'sym', 'her') by LU.

    Differs from JAX: on wasm/webgpu the factorization runs on the host (numpy/LAPACK), counted in the
    device's host_fallbacks.
    """
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


def toeplitz(c, r=None):
    """Toeplitz matrix with first column `c` and first row `r` (r = conj(c) if None), batched."""
    if r is None:
        check_arraylike("toeplitz", c)
        r = jnp.conj(asarray(c))
    else:
        check_arraylike("toeplitz", c, r)
    c, r = jnp.atleast_1d(asarray(c)), jnp.atleast_1d(asarray(r))
    c, r = promote_dtypes(c, r)
    m, n = c.shape[-1], r.shape[-1]
    batch = broadcast_shapes(c.shape[:-1], r.shape[:-1])
    if m == 0 or n == 0:
        return jnp.empty(batch + (m, n), c.dtype)
    elems = jnp.concatenate((jnp.broadcast_to(jnp.flip(c, -1), batch + (m,)),
                             jnp.broadcast_to(r[..., 1:], batch + (n - 1,))), axis=-1)
    idx = (m - 1) - np.arange(m)[:, None] + np.arange(n)[None, :]
    return elems[..., idx]


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


del lax
