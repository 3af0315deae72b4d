"""jax.dtypes."""

from jaxlite._src.dtypes import (canonicalize_dtype, finfo, iinfo, is_weakly_typed, issubdtype,  # noqa: F401
                                 promote_types, result_type)
