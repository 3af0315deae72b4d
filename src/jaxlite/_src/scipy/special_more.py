"""More of jax.scipy.special: spence, bessel_jn, owens_t, with JAX's algorithms (Cephes'
rational approximation; Zhang & Jin's backward recurrence; Owen's T by 13-point Gauss-Legendre
quadrature plus exact cases) and JAX's derivatives, built from lax ops so they fuse into kernels."""

from __future__ import annotations

import math
import operator

import numpy as np

import jaxlite.numpy as jnp
from jaxlite._src.core import get_aval
from jaxlite._src.custom_derivatives import custom_jvp
from jaxlite._src.lax import control_flow, lax
from jaxlite._src.numpy.util import promote_args_inexact, promote_dtypes_inexact

# Cephes spence.c rational approximation of the dilogarithm on [0, 1/2]
_SPENCE_A = (4.65128586073990045278E-5, 7.31589045238094711071E-3, 1.33847639578309018650E-1,
             8.79691311754530315341E-1, 2.71149851196553469920E0, 4.25697156008121755724E0,
             3.29771340985225106936E0, 1.00000000000000000126E0)
_SPENCE_B = (6.90990488912553276999E-4, 2.54043763932544379113E-2, 2.82974860602568089943E-1,
             1.41172597751831069617E0, 3.63800533345137075418E0, 5.03278880143316990390E0,
             3.54771340985225096217E0, 9.99999999999999998740E-1)


def _horner(coeffs, x):
    acc = jnp.zeros_like(x) + coeffs[0]
    for c in coeffs[1:]:
        acc = acc * x + c
    return acc


def spence(x):
    """Elementwise Spence's function (dilogarithm) integral of log(t) / (1 - t) from 1 to x, for x >= 0."""
    (x,) = promote_args_inexact("spence", x)
    big = x > 2.0
    y = jnp.where(big, 1.0 / jnp.where(big, x, 1.0), x)
    above, below = y > 1.5, y < 0.5
    w = jnp.where(above, 1.0 / y - 1.0, jnp.where(below, -y, y - 1.0))
    r = -w * _horner(_SPENCE_A, w) / _horner(_SPENCE_B, w)
    # reflection spence(x) + spence(1 - x) = pi^2/6 - log x log(1 - x) below 1/2, inversion above 3/2
    r = jnp.where(below, math.pi ** 2 / 6.0 - jnp.log(y) * jnp.log1p(-y) - r, r)  # inf -> nan, as JAX
    r = jnp.where(big | above, -0.5 * jnp.log(y) ** 2 - r, r)
    r = jnp.where(x == 0.0, math.pi ** 2 / 6, jnp.where(x == 1.0, 0.0, r))
    return jnp.where(x < 0.0, np.nan, r)


def bessel_jn(z, *, v: int, n_iter: int = 50):
    """Bessel functions of the first kind J_0(z) ... J_v(z) stacked on a leading axis, by backward recurrence
    with `n_iter` steps.
    """
    (z,) = promote_dtypes_inexact(jnp.asarray(z))
    if jnp.issubdtype(get_aval(z).dtype, jnp.complexfloating):
        raise ValueError("complex input not supported.")
    v, n_iter = operator.index(v), operator.index(n_iter)  # static: they fix the output shape
    dt = get_aval(z).dtype

    # Miller's backward recurrence from a tiny seed, normalised by J0 + 2 (J2 + J4 + ...) = 1
    def step(carry, k):
        f0, f1, bs = carry
        f = 2.0 * (k + 1.0) * f1 / z - f0
        bs = jnp.where(jnp.floor(k / 2) * 2 == k, bs + 2.0 * f, bs)  # even k; float rem is a host op on wasm
        return (f1, f, bs), f

    init = (jnp.zeros_like(z), jnp.full_like(z, 1e-16), jnp.zeros_like(z))
    (_, _, bs), vals = control_flow.scan(step, init, jnp.arange(n_iter + 1, dtype=dt), reverse=True)
    return vals[:v + 1] / (bs - vals[0])


_OWENS_NODES, _OWENS_WEIGHTS = np.polynomial.legendre.leggauss(26)
# the 13 positive Gauss-Legendre nodes on [-1, 1] cover [0, 1]; T integrates an even function of t
_OWENS_T2 = _OWENS_NODES[13:] ** 2
_OWENS_W = _OWENS_WEIGHTS[13:] / (2 * math.pi)


def _owens_quadrature(h, a):
    r = (a * a)[..., None] * _OWENS_T2.astype(get_aval(a).dtype)
    integrand = jnp.exp(-0.5 * (h * h)[..., None] * (1.0 + r)) / (1.0 + r)
    return a * jnp.sum(integrand * _OWENS_W.astype(get_aval(a).dtype), axis=-1)


@custom_jvp
def _owens_t(h, a):
    h, abs_a = jnp.abs(h), jnp.abs(a)
    hn = h / math.sqrt(2)
    small = abs_a <= 1.0
    ma = jnp.where(small, abs_a, 1.0 / abs_a)
    mh = jnp.where(small, h, abs_a * h)
    out = _owens_quadrature(mh, ma)
    out = jnp.where(mh == 0.0, jnp.arctan(ma) / (2 * math.pi), out)
    out = jnp.where(ma == 1.0, 0.125 * lax.erfc(-mh / math.sqrt(2)) * lax.erfc(mh / math.sqrt(2)), out)
    # T(h, a) for |a| > 1 from T(ah, 1/a)
    eh, eah = lax.erfc(hn), lax.erfc(abs_a * hn)
    big = jnp.where(abs_a * h <= 0.67, 0.25 - 0.25 * lax.erf(hn) * lax.erf(abs_a * hn) - out,
                    0.25 * (eh + eah - eh * eah) - out)
    out = lax.sign(a) * jnp.where(abs_a > 1.0, big, out)
    return jnp.where(jnp.isnan(a) | jnp.isnan(h), np.nan, out)


@_owens_t.defjvp
def _owens_t_jvp(primals, tangents):
    (h, a), (dh, da) = primals, tangents
    d_h = -jnp.exp(-0.5 * h * h) * lax.erf(a * h / math.sqrt(2)) / (2.0 * math.sqrt(2 * math.pi))
    d_a = jnp.exp(-0.5 * (a * a + 1.0) * h * h) / (2 * math.pi * (a * a + 1.0))
    return _owens_t(h, a), d_h * dh + d_a * da


def owens_t(h, a):
    """Elementwise Owen's T function T(h, a)."""
    h, a = promote_args_inexact("owens_t", h, a)
    return _owens_t(h, a)
