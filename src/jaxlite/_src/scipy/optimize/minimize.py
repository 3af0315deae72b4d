"""jax.scipy.optimize.minimize and its result type."""

from __future__ import annotations

from typing import Any, NamedTuple

import jaxlite.numpy as jnp
from jaxlite._src.scipy.optimize.bfgs import minimize_bfgs, minimize_lbfgs


class OptimizeResults(NamedTuple):
    """Result of minimize: x, success, status (0 converged, 1 max iterations, 3 zoom failed,
    4 saddle point, 5 max line search iterations, -1 undefined), fun, jac, hess_inv, nfev,
    njev, nit (as JAX's)."""
    x: Any
    success: Any
    status: Any
    fun: Any
    jac: Any
    hess_inv: Any
    nfev: Any
    njev: Any
    nit: Any


def minimize(fun, x0, args=(), *, method: str, tol: float | None = None, options=None) -> OptimizeResults:
    """Minimize the scalar function fun(x, *args) of a 1-D array from `x0` with `method` 'BFGS' (or JAX's
    experimental L-BFGS); `options` go to the method (maxiter, gtol, ...)."""
    if options is None:
        options = {}
    if not isinstance(args, tuple):
        raise TypeError(f"args argument to jax.scipy.optimize.minimize must be a tuple, got {args}")
    fun_with_args = lambda x: fun(x, *args)
    if method.lower() == "bfgs":
        r = minimize_bfgs(fun_with_args, x0, **options)
        hess_inv = r.H_k
    elif method.lower() == "l-bfgs-experimental-do-not-rely-on-this":
        r = minimize_lbfgs(fun_with_args, x0, **options)
        hess_inv = None
    else:
        raise ValueError(f"Method {method} not recognized")
    return OptimizeResults(x=r.x_k, success=r.converged & jnp.logical_not(r.failed), status=r.status, fun=r.f_k,
                           jac=r.g_k, hess_inv=hess_inv, nfev=r.nfev, njev=r.ngev, nit=r.k)
