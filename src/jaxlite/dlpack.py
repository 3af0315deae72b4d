"""jax.dlpack: arrays from other libraries through the DLPack protocol (host memory only)."""

from jaxlite._src.dlpack import is_supported_dtype  # noqa: F401
from jaxlite._src.numpy.array_creation import from_dlpack  # noqa: F401

__jaxlite_status__ = ("partial", "from_dlpack takes host (CPU) producers only and always copies")

__all__ = ["from_dlpack", "is_supported_dtype"]
