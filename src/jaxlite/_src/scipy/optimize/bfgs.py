"""BFGS (Nocedal & Wright algorithm 6.1) and the experimental L-BFGS (algorithm 7.5) of
jax.scipy.optimize, as lax.while_loops over the same state, so iteration and evaluation counts
match JAX's."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

import jaxlite.numpy as jnp
from jaxlite._src.ad import value_and_grad
from jaxlite._src.lax import control_flow
from jaxlite._src.scipy.optimize.line_search import line_search


def _norm(x, ord):
    if ord == np.inf:
        return jnp.max(jnp.abs(x))
    if ord == -np.inf:
        return jnp.min(jnp.abs(x))
    if ord == 2 or ord is None:
        return jnp.sqrt(jnp.sum(jnp.real(x * jnp.conj(x))))
    return jnp.sum(jnp.abs(x) ** ord) ** (1.0 / ord)


class _BFGSResults(NamedTuple):
    converged: object
    failed: object
    k: object
    nfev: object
    ngev: object
    nhev: object
    x_k: object
    f_k: object
    g_k: object
    H_k: object
    old_old_fval: object
    status: object
    line_search_status: object


def _i32(v):
    return jnp.array(v, jnp.int32)


def minimize_bfgs(fun, x0, maxiter=None, norm=np.inf, gtol=1e-5, line_search_maxiter=10):
    if maxiter is None:
        maxiter = np.size(x0) * 200
    d = x0.shape[0]
    f_0, g_0 = value_and_grad(fun)(x0)
    state = _BFGSResults(converged=_norm(g_0, norm) < gtol, failed=jnp.array(False), k=_i32(0), nfev=_i32(1),
                         ngev=_i32(1), nhev=_i32(0), x_k=x0, f_k=f_0, g_k=g_0, H_k=jnp.eye(d, dtype=x0.dtype),
                         old_old_fval=f_0 + _norm(g_0, 2) / 2, status=_i32(0), line_search_status=_i32(0))

    def body(s: _BFGSResults):
        p_k = -jnp.dot(s.H_k, s.g_k)
        ls = line_search(fun, s.x_k, p_k, old_fval=s.f_k, old_old_fval=s.old_old_fval, gfk=s.g_k,
                         maxiter=line_search_maxiter)
        s = s._replace(nfev=s.nfev + ls.nfev, ngev=s.ngev + ls.ngev, failed=ls.failed,
                       line_search_status=ls.status)
        s_k = ls.a_k * p_k
        y_k = ls.g_k - s.g_k
        rho_k = 1.0 / jnp.dot(y_k, s_k)
        w = jnp.eye(d, dtype=rho_k.dtype) - rho_k * (s_k[:, None] * y_k[None, :])
        H = jnp.dot(jnp.dot(w, s.H_k), w.T) + rho_k * (s_k[:, None] * s_k[None, :])
        H = jnp.where(jnp.isfinite(rho_k), H, s.H_k)  # skip the update when the curvature vanishes
        return s._replace(converged=_norm(ls.g_k, norm) < gtol, k=s.k + 1, x_k=s.x_k + s_k, f_k=ls.f_k,
                          g_k=ls.g_k, H_k=H, old_old_fval=s.f_k)

    s = control_flow.while_loop(lambda s: ~s.converged & ~s.failed & (s.k < maxiter), body, state)
    status = jnp.where(s.converged, 0, jnp.where(s.k == maxiter, 1,
                                                 jnp.where(s.failed, 2 + s.line_search_status, -1)))
    return s._replace(status=status)


class _LBFGSResults(NamedTuple):
    converged: object
    failed: object
    k: object
    nfev: object
    ngev: object
    x_k: object
    f_k: object
    g_k: object
    s_history: object
    y_history: object
    rho_history: object
    gamma: object
    status: object
    ls_status: object


def minimize_lbfgs(fun, x0, maxiter=None, norm=np.inf, maxcor=10, ftol=2.220446049250313e-09, gtol=1e-05,
                   maxfun=None, maxgrad=None, maxls=20):
    d = len(x0)
    dt = jnp.result_type(x0)
    if maxiter is None and maxfun is None and maxgrad is None:
        maxiter = d * 200
    maxiter, maxfun, maxgrad = (np.inf if v is None else v for v in (maxiter, maxfun, maxgrad))
    f_0, g_0 = value_and_grad(fun)(x0)
    state = _LBFGSResults(converged=jnp.array(False), failed=jnp.array(False), k=_i32(0), nfev=_i32(1),
                          ngev=_i32(1), x_k=x0, f_k=f_0, g_k=g_0, s_history=jnp.zeros((maxcor, d), dt),
                          y_history=jnp.zeros((maxcor, d), dt), rho_history=jnp.zeros((maxcor,), dt),
                          gamma=jnp.array(1.0, dt), status=_i32(0), ls_status=_i32(0))

    def body(s: _LBFGSResults):
        p_k = _two_loop_recursion(s)
        ls = line_search(fun, s.x_k, p_k, old_fval=s.f_k, gfk=s.g_k, maxiter=maxls)
        s_k = ls.a_k.astype(p_k.dtype) * p_k
        y_k = ls.g_k - s.g_k
        rho_inv = jnp.real(jnp.dot(y_k, s_k))
        gamma = rho_inv / jnp.real(jnp.dot(jnp.conj(y_k), y_k))
        status = jnp.where(s.f_k - ls.f_k < ftol, 4, 0)
        status = jnp.where(s.ngev >= maxgrad, 3, status)
        status = jnp.where(s.nfev >= maxfun, 2, status)
        status = jnp.where(s.k >= maxiter, 1, status)
        status = jnp.where(ls.failed, 5, status)
        converged = _norm(ls.g_k, norm) < gtol
        push = lambda h, v: jnp.roll(h, -1, axis=0).at[-1].set(v)
        return s._replace(converged=converged, failed=(status > 0) & ~converged, k=s.k + 1, nfev=s.nfev + ls.nfev,
                          ngev=s.ngev + ls.ngev, x_k=(s.x_k + s_k).astype(dt), f_k=ls.f_k.astype(s.f_k.dtype),
                          g_k=ls.g_k.astype(dt), s_history=push(s.s_history, s_k),
                          y_history=push(s.y_history, y_k), rho_history=push(s.rho_history, (1.0 / rho_inv).astype(dt)),
                          gamma=gamma.astype(dt), status=jnp.where(converged, 0, status).astype(jnp.int32),
                          ls_status=ls.status.astype(jnp.int32))

    return control_flow.while_loop(lambda s: ~s.converged & ~s.failed, body, state)


def _two_loop_recursion(s: _LBFGSResults):
    m = s.rho_history.shape[0]
    size = jnp.where(s.k < m, s.k, m)

    def first(j, carry):
        q, a = carry
        i = m - 1 - j
        a_i = s.rho_history[i] * jnp.real(jnp.dot(jnp.conj(s.s_history[i]), q))
        return q - a_i * jnp.conj(s.y_history[i]), a.at[i].set(a_i)

    q, a = control_flow.fori_loop(0, size, first, (-jnp.conj(s.g_k), jnp.zeros_like(s.rho_history)))

    def second(j, q):
        i = m - size + j
        b_i = s.rho_history[i] * jnp.real(jnp.dot(s.y_history[i], q))
        return q + (a[i] - b_i) * s.s_history[i]

    return control_flow.fori_loop(0, size, second, s.gamma * q)
