"""jax.scipy.special.sph_harm_y: spherical harmonics from a table of normalized associated Legendre
functions, built with the standard three-term recurrences (vectorised over the order m, one step per
degree), then read at (|m|, n, i) with JAX's clipping."""

from __future__ import annotations

import math

import numpy as np

import jaxlite.numpy as jnp
from jaxlite._src.core import concrete_or_error
from jaxlite._src.lax.extras import complex as _complex
from jaxlite._src.numpy.util import promote_args_inexact


def _legendre_table(n_max: int, x):
    """p[m, l, :] = N_l^m P_l^m(x), with the Condon-Shortley phase, zero where m > l.

    Normalised so that Y_l^m = p[m, l] exp(i m phi) is orthonormal on the sphere. The coefficients
    are static numpy arrays: only x is traced, and each degree costs a few fused elementwise ops."""
    size = n_max + 1
    m = np.arange(size, dtype=np.float64)[:, None]
    s = jnp.sqrt(jnp.maximum(1 - x * x, 0))[None, :]
    # Diagonal P_m^m = (-1)^m sqrt((2m+1)!! / (4 pi (2m)!!)) s^m, by a product over m.
    diag = [jnp.full_like(x, 1 / math.sqrt(4 * math.pi))[None, :]]
    for k in range(1, size):
        diag.append(diag[-1] * (-math.sqrt((2 * k + 1) / (2 * k))) * s)
    diag = jnp.concatenate(diag, axis=0)  # (size, len(x))
    x = x[None, :]
    rows = [jnp.where(m == 0, diag, 0)]
    if size > 1:
        rows.append(jnp.where(m == 1, diag, jnp.where(m == 0, math.sqrt(3) * x * rows[0], 0)))
    for l in range(2, size):
        with np.errstate(divide="ignore", invalid="ignore"):
            a = np.where(m < l - 1, np.sqrt((4 * l * l - 1) / (l * l - m * m)), 0.0)
            b = np.where(m < l - 1, np.sqrt(((l - 1) ** 2 - m * m) / (4 * (l - 1) ** 2 - 1)), 0.0)
        general = a * (x * rows[l - 1] - b * rows[l - 2])
        first_off_diagonal = np.sqrt(2 * m + 3) * x * diag  # P_{m+1}^m from P_m^m
        rows.append(jnp.where(m == l, diag, jnp.where(m == l - 1, first_off_diagonal,
                                                       jnp.where(m < l - 1, general, 0))))
    return jnp.stack(rows, axis=1)  # (m, l, len(x))


def sph_harm_y(n, m, theta, phi, diff_n: int | None = None, n_max: int | None = None):
    """Spherical harmonics Y_n^m(theta, phi) (theta the colatitude, phi the longitude), as JAX's:
    n and m are 1-D integer arrays, the result is a 1-D complex array of len(n); n_max (the largest
    degree) must be static under transformations, and degrees past it are clipped to it."""
    if diff_n is not None:
        raise NotImplementedError("The 'diff_n' argument to jax.scipy.special.sph_harm_y is not supported.")
    if jnp.isscalar(theta):
        theta = jnp.array([theta])
    if n_max is None:
        n_max = np.max(concrete_or_error(
            n, "The `n_max` argument of `jnp.scipy.special.sph_harm` must be statically specified to "
               "use `sph_harm` within JAX transformations."))
    n_max = int(concrete_or_error(
        n_max, "The `n_max` argument of `jnp.scipy.special.sph_harm` must be statically specified to "
               "use `sph_harm` within JAX transformations."))
    n, m = jnp.asarray(n), jnp.asarray(m)
    if n.ndim != 1:
        raise TypeError(f"sph_harm_y: n must be a 1-D array, got shape {n.shape}")
    theta, phi = promote_args_inexact("sph_harm_y", theta, phi)
    table = _legendre_table(n_max, jnp.cos(theta))
    order = jnp.abs(m)
    value = table.at[order, n, jnp.arange(n.shape[0])].get(mode="clip")
    angle = order * phi
    harmonic = _complex(value * jnp.cos(angle), value * jnp.sin(angle))
    sign = jnp.where(order % 2 == 1, -1.0, 1.0).astype(value.dtype)
    return jnp.where(m < 0, sign * jnp.conjugate(harmonic), harmonic)
