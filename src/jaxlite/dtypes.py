"""jax.dtypes."""

from jaxlite._src.config_states import float0  # noqa: F401
from jaxlite._src.dtypes import (TypePromotionError, bfloat16, canonicalize_dtype, extended, finfo,  # noqa: F401
                                 iinfo, is_weakly_typed, isdtype, issubdtype, itemsize_bits, prng_key,
                                 promote_types, result_type, scalar_type_of)
