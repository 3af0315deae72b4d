"""jax.ops: segment reductions."""

from jaxlite._src.ops import segment_max, segment_min, segment_prod, segment_sum  # noqa: F401

__all__ = ["segment_max", "segment_min", "segment_prod", "segment_sum"]
