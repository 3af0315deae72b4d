"""Window functions for signal processing: bartlett, blackman, hamming, hanning, kaiser."""

from __future__ import annotations

import operator

import numpy as np

from jaxlite._src import core, dtypes
from jaxlite._src.lax import lax, structural
from jaxlite._src.numpy import lax_numpy as jnp
from jaxlite._src.numpy.special_math import i0

__all__ = ["bartlett", "blackman", "hamming", "hanning", "kaiser"]


def _window(name, shape_fn):
    def f(M):
        M = operator.index(core.concrete_or_error(M, f"M argument of jnp.{name}"))
        dt = dtypes.default_float()
        if M <= 1:
            return lax.full((max(M, 0),), 1, dt)
        return shape_fn(structural.iota(dt, M), M)
    f.__name__ = name
    return f


def _cosine_sum(a0, a1, a2=0.0):
    def shape(n, M):
        t = n * (2 * np.pi / (M - 1))
        out = a0 - a1 * jnp.cos(t)
        return out + a2 * jnp.cos(2 * t) if a2 else out
    return shape


bartlett = _window("bartlett", lambda n, M: 1 - jnp.abs(2 * n + 1 - M) / (M - 1))
blackman = _window("blackman", _cosine_sum(0.42, 0.5, 0.08))
hamming = _window("hamming", _cosine_sum(0.54, 0.46))
hanning = _window("hanning", _cosine_sum(0.5, 0.5))


# Docstrings of the names the factories above make (one closure per name, so each gets its line).
_DOCS = {
    "bartlett": "Bartlett (triangular) window of M points.",
    "blackman": "Blackman window of M points.",
    "hamming": "Hamming window of M points.",
    "hanning": "Hann window of M points.",
}
for _name, _doc in _DOCS.items():
    globals()[_name].__doc__ = _doc
del _name, _doc


def kaiser(M, beta):
    """Kaiser window of M points with shape parameter `beta`."""
    M = operator.index(core.concrete_or_error(M, "M argument of jnp.kaiser"))
    dt = dtypes.default_float()
    if M <= 1:
        return lax.full((max(M, 0),), 1, dt)
    n = structural.iota(dt, M)
    alpha = 0.5 * (M - 1)
    return i0(beta * jnp.sqrt(1 - ((n - alpha) / alpha) ** 2)) / i0(beta)
