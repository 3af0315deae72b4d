"""jax.errors."""

from jaxlite._src.core import (ConcretizationTypeError, JaxRuntimeError, JAXTypeError,  # noqa: F401
                               TracerArrayConversionError,
                               TracerBoolConversionError, TracerIntegerConversionError, UnexpectedTracerError)
from jaxlite._src.numpy.indexing import NonConcreteBooleanIndexError  # noqa: F401
