"""Inexact line search under the strong Wolfe conditions (Nocedal & Wright, algorithms 3.5 and
3.6), step for step as jax.scipy.optimize's, so BFGS takes the same steps and counts the same
function evaluations. Both loops are lax.while_loops: everything runs under jit."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

import jaxlite.numpy as jnp
from jaxlite._src.ad import value_and_grad
from jaxlite._src.lax import control_flow
from jaxlite._src.numpy.util import promote_dtypes_inexact


def _dot(a, b):
    return jnp.dot(a, b)  # full float32 products on every device (JAX asks for HIGHEST)


def _select(pred, new: dict, old: NamedTuple) -> dict:
    return {k: jnp.where(pred, v, getattr(old, k)) for k, v in new.items()}


def _cubicmin(a, fa, fpa, b, fb, c, fc):
    """Minimiser of the cubic through (a, fa) with slope fpa at a, (b, fb) and (c, fc)."""
    db, dc = b - a, c - a
    denom = (db * dc) ** 2 * (db - dc)
    rb, rc = fb - fa - fpa * db, fc - fa - fpa * dc
    A = (dc * dc * rb - db * db * rc) / denom
    B = (-dc ** 3 * rb + db ** 3 * rc) / denom
    return a + (-B + jnp.sqrt(B * B - 3.0 * A * fpa)) / (3.0 * A)


def _quadmin(a, fa, fpa, b, fb):
    db = b - a
    B = (fb - fa - fpa * db) / (db * db)
    return a - fpa / (2.0 * B)


class _ZoomState(NamedTuple):
    done: object
    failed: object
    j: object
    a_lo: object
    phi_lo: object
    dphi_lo: object
    a_hi: object
    phi_hi: object
    dphi_hi: object
    a_rec: object
    phi_rec: object
    a_star: object
    phi_star: object
    dphi_star: object
    g_star: object
    nfev: object
    ngev: object


def _zoom(restricted, wolfe_one, wolfe_two, a_lo, phi_lo, dphi_lo, a_hi, phi_hi, dphi_hi, g_0, skip):
    dt = jnp.result_type(phi_lo)
    false, zero = jnp.array(False), jnp.array(0, jnp.int32)
    state = _ZoomState(false, false, zero, a_lo, phi_lo, dphi_lo, a_hi, phi_hi, dphi_hi,
                       (a_lo + a_hi) / 2.0, (phi_lo + phi_hi) / 2.0, jnp.array(1.0, dt), phi_lo, dphi_lo,
                       g_0, zero, zero)
    # below this bracket width float32 cannot locate a better step
    threshold = 1e-5 if np.finfo(dt).bits < 64 else 1e-10

    def body(s: _ZoomState):
        dalpha = s.a_hi - s.a_lo
        lo, hi = jnp.minimum(s.a_hi, s.a_lo), jnp.maximum(s.a_hi, s.a_lo)
        s = s._replace(failed=s.failed | (dalpha <= threshold))
        a_cubic = _cubicmin(s.a_lo, s.phi_lo, s.dphi_lo, s.a_hi, s.phi_hi, s.a_rec, s.phi_rec)
        use_cubic = (s.j > 0) & (a_cubic > lo + 0.2 * dalpha) & (a_cubic < hi - 0.2 * dalpha)
        a_quad = _quadmin(s.a_lo, s.phi_lo, s.dphi_lo, s.a_hi, s.phi_hi)
        use_quad = ~use_cubic & (a_quad > lo + 0.1 * dalpha) & (a_quad < hi - 0.1 * dalpha)
        a_j = jnp.where(use_cubic, a_cubic, s.a_rec)
        a_j = jnp.where(use_quad, a_quad, a_j)
        a_j = jnp.where(~use_cubic & ~use_quad, (s.a_lo + s.a_hi) / 2.0, a_j)
        phi_j, dphi_j, g_j = restricted(a_j)
        s = s._replace(nfev=s.nfev + 1, ngev=s.ngev + 1)

        hi_to_j = wolfe_one(a_j, phi_j) | (phi_j >= s.phi_lo)
        star_to_j = wolfe_two(dphi_j) & ~hi_to_j
        hi_to_lo = (dphi_j * (s.a_hi - s.a_lo) >= 0.0) & ~hi_to_j & ~star_to_j
        lo_to_j = ~hi_to_j & ~star_to_j
        s = s._replace(**_select(hi_to_j, dict(a_hi=a_j, phi_hi=phi_j, dphi_hi=dphi_j, a_rec=s.a_hi,
                                               phi_rec=s.phi_hi), s))
        s = s._replace(done=star_to_j | s.done,
                       **_select(star_to_j, dict(a_star=a_j, phi_star=phi_j, dphi_star=dphi_j, g_star=g_j), s))
        s = s._replace(**_select(hi_to_lo, dict(a_hi=s.a_lo, phi_hi=s.phi_lo, dphi_hi=s.dphi_lo, a_rec=s.a_hi,
                                                phi_rec=s.phi_hi), s))
        s = s._replace(**_select(lo_to_j & ~hi_to_lo, dict(a_rec=s.a_lo, phi_rec=s.phi_lo), s))
        s = s._replace(**_select(lo_to_j, dict(a_lo=a_j, phi_lo=phi_j, dphi_lo=dphi_j), s))
        j = s.j + 1
        return s._replace(j=j, failed=s.failed | (j >= 30))

    return control_flow.while_loop(lambda s: ~s.done & ~skip & ~s.failed, body, state)


class _LineSearchState(NamedTuple):
    done: object
    failed: object
    i: object
    a_i1: object
    phi_i1: object
    dphi_i1: object
    nfev: object
    ngev: object
    a_star: object
    phi_star: object
    dphi_star: object
    g_star: object


class _LineSearchResults(NamedTuple):
    failed: object
    nit: object
    nfev: object
    ngev: object
    k: object
    a_k: object
    f_k: object
    g_k: object
    status: object


def line_search(f, xk, pk, old_fval=None, old_old_fval=None, gfk=None, c1=1e-4, c2=0.9, maxiter=20):
    """Step along the descent direction pk from xk satisfying the strong Wolfe conditions."""
    xk, pk = promote_dtypes_inexact(xk, pk)
    dt = jnp.result_type(pk)

    def restricted(t):
        phi, g = value_and_grad(f)(xk + jnp.asarray(t, dt) * pk)
        return phi, jnp.real(_dot(g, pk)), g

    fresh = old_fval is None or gfk is None
    if fresh:
        phi_0, dphi_0, gfk = restricted(0.0)
    else:
        phi_0, dphi_0 = jnp.asarray(old_fval), jnp.real(_dot(gfk, pk))
    fdt = jnp.result_type(phi_0)
    if old_old_fval is not None:
        candidate = 1.01 * 2 * (phi_0 - old_old_fval) / dphi_0
        start = jnp.where(candidate > 1, 1.0, candidate).astype(fdt)
    else:
        start = jnp.array(1.0, fdt)

    def wolfe_one(a, phi):  # sufficient decrease
        return phi > phi_0 + c1 * a * dphi_0

    def wolfe_two(dphi):  # curvature
        return jnp.abs(dphi) <= -c2 * dphi_0

    count = jnp.array(1 if fresh else 0, jnp.int32)
    state = _LineSearchState(jnp.array(False), jnp.array(False), jnp.array(1, jnp.int32), jnp.array(0.0, fdt),
                             phi_0, dphi_0, count, count, jnp.array(0.0, fdt), phi_0, dphi_0, gfk)

    def body(s: _LineSearchState):
        a_i = jnp.where(s.i == 1, start, s.a_i1 * 2.0)
        phi_i, dphi_i, g_i = restricted(a_i)
        s = s._replace(nfev=s.nfev + 1, ngev=s.ngev + 1)
        to_zoom1 = wolfe_one(a_i, phi_i) | ((phi_i >= s.phi_i1) & (s.i > 1))
        to_i = wolfe_two(dphi_i) & ~to_zoom1
        to_zoom2 = (dphi_i >= 0.0) & ~to_zoom1 & ~to_i
        # both zooms are traced every step; the one not taken exits before its first iteration
        zoom1 = _zoom(restricted, wolfe_one, wolfe_two, s.a_i1, s.phi_i1, s.dphi_i1, a_i, phi_i, dphi_i, gfk,
                      ~to_zoom1)
        zoom2 = _zoom(restricted, wolfe_one, wolfe_two, a_i, phi_i, dphi_i, s.a_i1, s.phi_i1, s.dphi_i1, gfk,
                      ~to_zoom2)
        s = s._replace(nfev=s.nfev + zoom1.nfev + zoom2.nfev, ngev=s.ngev + zoom1.ngev + zoom2.ngev)
        star = ("a_star", "phi_star", "dphi_star", "g_star")
        s = s._replace(done=to_zoom1 | s.done, failed=(to_zoom1 & zoom1.failed) | s.failed,
                       **_select(to_zoom1, {k: getattr(zoom1, k) for k in star}, s))
        s = s._replace(done=to_i | s.done,
                       **_select(to_i, dict(a_star=a_i, phi_star=phi_i, dphi_star=dphi_i, g_star=g_i), s))
        s = s._replace(done=to_zoom2 | s.done, failed=(to_zoom2 & zoom2.failed) | s.failed,
                       **_select(to_zoom2, {k: getattr(zoom2, k) for k in star}, s))
        return s._replace(i=s.i + 1, a_i1=a_i, phi_i1=phi_i, dphi_i1=dphi_i)

    s = control_flow.while_loop(lambda s: ~s.done & (s.i <= maxiter) & ~s.failed, body, state)
    status = jnp.where(s.failed, 1, jnp.where(s.i > maxiter, 3, 0))
    a_k = s.a_star
    if np.finfo(jnp.result_type(a_k)).bits != 64:  # float32 keeps a minimal step
        a_k = jnp.where(jnp.abs(a_k) < 1e-8, jnp.sign(a_k) * 1e-8, a_k)
    return _LineSearchResults(failed=s.failed | ~s.done, nit=s.i - 1, nfev=s.nfev, ngev=s.ngev, k=s.i, a_k=a_k,
                              f_k=s.phi_star, g_k=s.g_star, status=status)
