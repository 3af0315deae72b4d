"""jax.typing: annotations for array arguments."""

from __future__ import annotations

from typing import Any, Union

import numpy as np

from jaxlite._src.array import Array

ArrayLike = Union[Array, np.ndarray, np.bool_, np.number, bool, int, float, complex]
DTypeLike = Union[str, type, np.dtype, Any]
