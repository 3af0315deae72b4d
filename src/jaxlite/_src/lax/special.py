"""Special functions as primitives: digamma and trigamma (lgamma's first and second derivatives).

cpu kernels use recurrence up to x >= 6 then the asymptotic series, in float64; negative
arguments use the reflection formula. Accurate to float32 rounding away from the poles.
"""

from __future__ import annotations

import numpy as np

from jaxlite._src import ad
from jaxlite._src.lax.lax import _as_array, _make, mul


def _digamma_np(x):
    x = np.asarray(x, np.float64)
    out = np.empty_like(x)
    neg = x < 0.5
    xr = np.where(neg, 1.0 - x, x)
    acc = np.zeros_like(xr)
    while np.any(xr < 6):
        small = xr < 6
        acc = np.where(small, acc - 1.0 / np.where(small, xr, 1.0), acc)
        xr = np.where(small, xr + 1.0, xr)
    inv2 = 1.0 / (xr * xr)
    series = np.log(xr) - 0.5 / xr - inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 / 132))))
    out = acc + series
    with np.errstate(all="ignore"):
        reflected = out - np.pi / np.tan(np.pi * x)
        out = np.where(neg, reflected, out)
        out = np.where((x <= 0) & (x == np.floor(x)), np.nan, out)
    return out


def _trigamma_np(x):
    x = np.asarray(x, np.float64)
    neg = x < 0.5
    xr = np.where(neg, 1.0 - x, x)
    acc = np.zeros_like(xr)
    while np.any(xr < 6):
        small = xr < 6
        acc = np.where(small, acc + 1.0 / np.where(small, xr, 1.0) ** 2, acc)
        xr = np.where(small, xr + 1.0, xr)
    inv = 1.0 / xr
    inv2 = inv * inv
    series = inv + 0.5 * inv2 + inv * inv2 * (1 / 6 - inv2 * (1 / 30 - inv2 * (1 / 42 - inv2 / 30)))
    out = acc + series
    with np.errstate(all="ignore"):
        # psi1(x) + psi1(1 - x) = pi^2 / sin^2(pi x)
        reflected = (np.pi / np.sin(np.pi * x)) ** 2 - out
    return np.where(neg, reflected, out)


digamma_p = _make("digamma", 1, "f", lambda x: _digamma_np(x).astype(x.dtype))
trigamma_p = _make("trigamma", 1, "f", lambda x: _trigamma_np(x).astype(x.dtype))


def digamma(x):
    return digamma_p.bind(_as_array(x))


def trigamma(x):
    return trigamma_p.bind(_as_array(x))


def _digamma_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return [digamma_p.bind(x)], [mul(t, trigamma_p.bind(x))]


ad.jvp_rules[digamma_p] = _digamma_jvp
