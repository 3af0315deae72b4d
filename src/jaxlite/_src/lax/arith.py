"""Elementwise primitives JAX has beside lax.py's: square, mulhi and clz, each with its rules
(abstract eval, cpu kernel, jvp, vmap); their kernel lowerings are in kernel/lower.py."""

from __future__ import annotations

import numpy as np

from jaxlite._src import ad
from jaxlite._src.backends import cpu
from jaxlite._src.core import Primitive, abstract_eval_rules, get_aval
from jaxlite._src.lax import lax
from jaxlite._src.lax.lax import _INT, _NUM, _nary_abstract, _vmap_elementwise


def _make(name, kinds, kernel):
    p = Primitive(name)
    abstract_eval_rules[p] = _nary_abstract(name, kinds)
    cpu.kernels[p] = kernel
    _vmap_elementwise(p)
    return p


square_p = _make("square", _NUM, np.square)
lax.defjvp(square_p, lambda g, x: lax.mul(g, lax.mul(x, lax.full(get_aval(x).shape, 2, get_aval(x).dtype))))


def _mulhi_kernel(x, y):
    # Python integers hold the full product; >> floors, which is the high half for signed types too.
    bits = 8 * x.dtype.itemsize
    prod = x.astype(object) * y.astype(object)
    hi = np.array([int(v) >> bits for v in np.ravel(prod)], dtype=object).reshape(x.shape)
    return hi.astype(x.dtype)


mulhi_p = _make("mulhi", _INT, _mulhi_kernel)


def _clz_kernel(x):
    bits = 8 * x.dtype.itemsize
    u = x.view(np.dtype(f"u{x.dtype.itemsize}"))
    return np.array([bits - int(v).bit_length() for v in np.ravel(u)], dtype=x.dtype).reshape(x.shape)


clz_p = _make("clz", _INT, _clz_kernel)
ad.nondiff.update({mulhi_p, clz_p})


def square(x):
    return square_p.bind(lax._as_array(x))


def mulhi(x, y, /):
    """The high half of the double-width product x * y (signed or unsigned by the dtype)."""
    return mulhi_p.bind(*lax._scalar_operands(x, y))


def clz(x):
    """Count of leading zero bits of each integer."""
    return clz_p.bind(lax._as_array(x))
