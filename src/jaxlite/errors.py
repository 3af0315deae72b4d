"""jax.errors."""

from jaxlite._src.core import (ConcretizationTypeError, JAXTypeError, TracerArrayConversionError,  # noqa: F401
                               TracerBoolConversionError, TracerIntegerConversionError, UnexpectedTracerError)
from jaxlite._src.numpy.indexing import NonConcreteBooleanIndexError  # noqa: F401
