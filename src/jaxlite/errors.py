"""jax.errors."""

from jaxlite._src.core import (ConcretizationTypeError, InconclusiveDimensionOperation, JAXIndexError,  # noqa: F401
                               JaxprTypeError, JaxRuntimeError, JAXTypeError, KeyReuseError,
                               TracerArrayConversionError,
                               TracerBoolConversionError, TracerIntegerConversionError, UnexpectedTracerError)
from jaxlite._src.numpy.indexing import NonConcreteBooleanIndexError  # noqa: F401
