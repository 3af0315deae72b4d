"""Elementwise functions built from lax primitives: i0, gcd, lcm, spacing."""

from __future__ import annotations

import math

import numpy as np

from jaxlite._src.lax import lax
from jaxlite._src.lax.control_flow import while_loop
from jaxlite._src.numpy import lax_numpy as jnp, reductions
from jaxlite._src.numpy.util import check_arraylike, promote_args, promote_args_inexact

__all__ = ["i0", "gcd", "lcm", "spacing"]

# I0(x) = sum_k (x^2/4)^k / (k!)^2 converges fast below _SERIES_MAX; above it the asymptotic
# e^x / sqrt(2 pi x) * sum_k a_k / x^k with a_k = ((2k-1)!!)^2 / (k! 8^k) is float32-accurate.
_SERIES_MAX = 15.0
_SERIES_TERMS = 30
_ASYMPTOTIC = [math.prod(range(1, 2 * k, 2)) ** 2 / (math.factorial(k) * 8 ** k) for k in range(9)]


def i0(x):
    """The modified Bessel function of the first kind, order zero."""
    check_arraylike("i0", x)
    (x,) = promote_args_inexact("i0", x)
    if x.dtype.kind != "f":
        raise ValueError(f"Unsupported input type to jax.numpy.i0: {x.dtype}")
    ax = jnp.abs(x)
    big = ax > _SERIES_MAX
    # Each branch sees a harmless argument where it is not used, so gradients stay finite.
    xs = jnp.where(big, 0.0, ax)
    y = xs * xs * 0.25
    term = y
    total = 1 + y
    for k in range(2, _SERIES_TERMS):
        term = term * y / float(k * k)
        total = total + term
    xa = jnp.where(big, ax, 2 * _SERIES_MAX)
    inv = 1 / xa
    poly = _ASYMPTOTIC[-1] * inv + _ASYMPTOTIC[-2]
    for a in _ASYMPTOTIC[-3::-1]:
        poly = poly * inv + a
    half = jnp.exp(xa * 0.5) / jnp.sqrt(jnp.sqrt(2 * np.pi * xa))  # e^(x/2) squared: no early overflow
    return jnp.where(big, half * half * poly, total)


def _check_int(name, *args):
    for a in args:
        if a.dtype.kind not in "iu":
            raise ValueError(f"Arguments to jax.numpy.{name} must be integers.")


def gcd(x1, x2, /):
    """Elementwise greatest common divisor of two integer arrays (non-negative)."""
    a, b = promote_args("gcd", x1, x2)
    _check_int("gcd", a, b)

    def body(c):
        a, b = c
        nz = b != 0
        a, b = jnp.where(nz, b, a), jnp.where(nz, lax.rem(a, jnp.where(nz, b, 1)), 0)
        return jnp.maximum(a, b), jnp.minimum(a, b)

    a, b = jnp.abs(a), jnp.abs(b)
    g, _ = while_loop(lambda c: reductions.any(c[1] != 0), body, (jnp.maximum(a, b), jnp.minimum(a, b)))
    return g


def lcm(x1, x2, /):
    """Elementwise least common multiple of two integer arrays (non-negative)."""
    a, b = promote_args("lcm", x1, x2)
    _check_int("lcm", a, b)
    d = gcd(a, b)
    # d divides b exactly, so truncating division is floor division here.
    return jnp.where(d == 0, 0, jnp.abs(a * lax.div(b, jnp.where(d == 0, 1, d))))


def spacing(x, /):
    """Elementwise distance from x to the next representable float away from zero (the ulp of x)."""
    (x,) = promote_args_inexact("spacing", x)
    if x.dtype.kind == "c":
        raise ValueError("jnp.spacing is not defined for complex inputs.")
    inf = jnp.full_like(x, np.inf)
    if x.dtype == np.float16:
        return lax.nextafter(x, inf) - x
    # Away from zero; -0.0 counts as negative (1 / -0.0 is -inf).
    negative = (x < 0) | ((x == 0) & (1 / x < 0))
    out = lax.nextafter(x, jnp.where(negative, -inf, inf)) - x
    tiny = np.finfo(x.dtype).smallest_subnormal
    return jnp.where(out == 0, jnp.where(negative, -tiny, tiny), out)
