"""jax.lax.linalg: the linear-algebra primitives (device routines on wasm and webgpu, see _src/lax/linalg.py)."""

from jaxlite._src.lax.linalg import (cholesky, cholesky_p, eig, eig_p, eigh, eigh_p, lu, lu_p,  # noqa: F401
                                     lu_pivots_to_permutation, lu_pivots_to_permutation_p, qr, qr_p, svd, svd_p,
                                     triangular_solve, triangular_solve_p, tridiagonal_solve, tridiagonal_solve_p)

_FEATURE_NOTES = {
    "eig": ("partial", "runs on the host as JAX's CPU-only eig does; left eigenvectors come from the eigenvectors "
                       "of a^H, so their signs may differ from LAPACK's; eigenvector derivatives are not implemented "
                       "(as in JAX)"),
}
