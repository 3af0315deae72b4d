"""jax.dlpack: the dtypes that can cross a DLPack exchange."""

from __future__ import annotations

import numpy as np

from jaxlite._src import dtypes

# bfloat16 only where ml_dtypes is installed (it may be absent in Pyodide).
_SUPPORTED = frozenset([np.dtype(t) for t in (
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
    np.float16, np.float32, np.float64, np.complex64, np.complex128)]
    + [dtypes.EXTENDED[n] for n in ("bfloat16",) if n in dtypes.EXTENDED])


def is_supported_dtype(dtype) -> bool:
    """Whether arrays of this dtype can be exchanged through DLPack."""
    if dtype is None:
        raise TypeError(f"Expected a string or dtype-like object; got {dtype=}")
    return np.dtype(dtype) in _SUPPORTED
