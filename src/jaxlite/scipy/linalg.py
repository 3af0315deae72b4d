"""jax.scipy.linalg (factorisations run as host kernels; counted host fallbacks on wasm/webgpu)."""

from jaxlite._src.scipy.linalg import (block_diag, cho_factor, cho_solve, cholesky, det, eigh, expm, inv, lu,  # noqa: F401
                                       lu_factor, lu_solve, qr, solve, solve_triangular, svd, toeplitz)
