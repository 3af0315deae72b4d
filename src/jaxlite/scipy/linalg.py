"""jax.scipy.linalg (factorisations run as host kernels; counted host fallbacks on wasm/webgpu)."""

from jaxlite._src.scipy.linalg import (block_diag, cho_factor, cho_solve, cholesky, det, eigh, eigh_tridiagonal,  # noqa: F401
                                       expm, expm_frechet, funm, hessenberg, inv, lu, lu_factor, lu_solve, polar, qr,
                                       qr_multiply, rsf2csf, schur, solve, solve_sylvester, solve_triangular, sqrtm,
                                       svd)
from jaxlite._src.scipy.special_matrices import (circulant, companion, convolution_matrix, dft, fiedler,  # noqa: F401
                                                 fiedler_companion, hadamard, hankel, helmert, hilbert, invhilbert,
                                                 invpascal, leslie, pascal, toeplitz)
