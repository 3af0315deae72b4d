"""Configuration as context managers (`with jax.enable_x64(True): ...`), as JAX's config states,
and the dtype `float0`."""

from __future__ import annotations

import contextlib

import numpy as np

from jaxlite._src.config import config
from jaxlite._src.features import partial

# The dtype JAX gives tangents of integer inputs.
float0 = np.dtype([("float0", np.void, 0)])


def enable_x64(new_val: bool = True):
    """64-bit types (float64, int64) for everything created inside the block."""
    return config._override("jax_enable_x64", bool(new_val))


def debug_nans(new_val: bool = True):
    """FloatingPointError at the first primitive that makes a NaN inside the block."""
    return config._override("jax_debug_nans", bool(new_val))


def debug_infs(new_val: bool = True):
    """FloatingPointError at the first primitive that makes an infinity inside the block."""
    return config._override("jax_debug_infs", bool(new_val))


_local_states: dict = {"jax_numpy_dtype_promotion": "standard",
                       "jax_default_matmul_precision": None, "jax_numpy_rank_promotion": "allow"}


@contextlib.contextmanager
def _state(name, value):
    old = _local_states[name]
    _local_states[name] = value
    try:
        yield
    finally:
        _local_states[name] = old


@partial("'standard' only: promotion always follows JAX's standard lattice; 'strict' is accepted but not enforced")
def numpy_dtype_promotion(new_val: str = "standard"):
    if new_val not in ("standard", "strict"):
        raise ValueError(f"{new_val!r} is not a valid NumpyDtypePromotion")
    return _state("jax_numpy_dtype_promotion", new_val)


@partial("'allow' only: 'warn' and 'raise' are accepted but ranks are always promoted")
def numpy_rank_promotion(new_val: str = "allow"):
    if new_val not in ("allow", "warn", "raise"):
        raise ValueError(f"{new_val!r} is not a valid NumpyRankPromotion")
    return _state("jax_numpy_rank_promotion", new_val)


_PRECISIONS = ("default", "high", "highest", "bfloat16", "tensorfloat32", "float32", "F32_F32_F32", "F64_F64_F64",
               "BF16_BF16_F32", "TF32_TF32_F32", "F16_F16_F32")


@partial("every float32 matmul runs in full float32 precision (as JAX on CPU); the setting is accepted only")
def default_matmul_precision(new_val: str | None = None):
    if new_val is not None and new_val not in _PRECISIONS:
        raise ValueError(f"new enum value must be None or in {list(_PRECISIONS)}, got {new_val} of type {type(new_val)}.")
    return _state("jax_default_matmul_precision", new_val)
