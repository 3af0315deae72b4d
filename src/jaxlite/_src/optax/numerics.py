"""Small numerical guards shared by the transformations."""

from __future__ import annotations

import jaxlite.numpy as jnp


def abs_sq(x):
    """|x|**2 elementwise (real for complex x)."""
    if not hasattr(x, "dtype") or not hasattr(x, "shape"):
        raise ValueError(f"`abs_sq` accepts only NDarrays, got: {x}.")
    return jnp.real(jnp.conj(x) * x)


def safe_increment(count):
    """count + 1, saturating at the dtype's largest value instead of wrapping around."""
    dtype = jnp.asarray(count).dtype
    if jnp.issubdtype(dtype, jnp.integer):
        top = jnp.iinfo(dtype).max
    elif jnp.issubdtype(dtype, jnp.floating):
        top = jnp.finfo(dtype).max
    else:
        raise ValueError(f'Cannot safely increment count with dtype {dtype}, valid dtypes are subdtypes of '
                         '"jnp.integer" or "jnp.floating".')
    top = jnp.array(top, dtype)
    return jnp.where(count < top, count + jnp.array(1, dtype), top)


safe_int32_increment = safe_increment


def safe_norm(x, min_norm, ord=None, axis=None, keepdims=False):
    """max(norm(x), min_norm) whose gradient stays finite where the norm is below min_norm."""
    norm = jnp.linalg.norm(x, ord=ord, axis=axis, keepdims=True)
    x = jnp.where(norm <= min_norm, jnp.ones_like(x), x)
    norm = jnp.squeeze(norm, axis=axis) if not keepdims else norm
    masked = jnp.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)
    return jnp.where(norm <= min_norm, min_norm, masked)


def safe_root_mean_squares(x, min_rms):
    """max(rms(x), min_rms) with a finite gradient below min_rms."""
    rms = jnp.sqrt(jnp.mean(abs_sq(x)))
    x = jnp.where(rms <= min_rms, jnp.ones_like(x), x)
    return jnp.where(rms <= min_rms, min_rms, jnp.sqrt(jnp.mean(abs_sq(x))))
