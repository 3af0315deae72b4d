"""jax.dtypes."""

from jaxlite._src.dtypes import (TypePromotionError, bfloat16, canonicalize_dtype, finfo, iinfo,  # noqa: F401
                                 is_weakly_typed, isdtype, issubdtype, promote_types, result_type)
