"""erf_inv for the normal samplers, as lax ops (so it fuses into the sampler's kernel).

`lax.erf_inv` is being added in lax/special.py; until it exists this private helper stands in.
float32 is XLA's ErfInv32 (Giles' single-precision polynomial in w = -log1p(-x*x)); float64 starts
from the same polynomial and takes two Newton steps on erf(y) = x, which reaches float64 accuracy
away from +-1 (XLA uses Giles' double-precision polynomial there).
"""

from __future__ import annotations

import numpy as np

from jaxlite._src.lax import lax
from jaxlite._src.lax import special as _lax_special

_LAX_ERF_INV = getattr(_lax_special, "erf_inv", None)

_LT5 = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
        -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GE5 = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
        -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _erf_inv_giles(x):
    w = lax.neg(lax.log1p(lax.neg(lax.mul(x, x))))
    lt = lax.lt(w, 5.0)
    w = lax.select_n(lt, lax.sub(lax.sqrt(w), 3.0), lax.sub(w, 2.5))
    coeff = lambda i: lax.select_n(lt, lax.full(lt.shape, _GE5[i], x.dtype), lax.full(lt.shape, _LT5[i], x.dtype))
    p = coeff(0)
    for i in range(1, len(_LT5)):
        p = lax.add(coeff(i), lax.mul(p, w))
    return lax.mul(p, x)


def _edges(x, y):
    """erf_inv(+-1) = +-inf; the polynomial is indeterminate there."""
    at_one = lax.eq(lax.abs(x), 1.0)
    return lax.select_n(at_one, y, lax.mul(x, float(np.finfo(x.dtype).max)))


def erf_inv(x):
    if _LAX_ERF_INV is not None:
        return _LAX_ERF_INV(x)
    y = _erf_inv_giles(x)
    if x.dtype == np.float64:
        two_over_sqrt_pi = 2.0 / np.sqrt(np.pi)
        for _ in range(2):
            slope = lax.mul(lax.exp(lax.neg(lax.mul(y, y))), two_over_sqrt_pi)
            y = lax.sub(y, lax.div(lax.sub(lax.erf(y), x), slope))
    return _edges(x, y)
