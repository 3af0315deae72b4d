"""jax.stages: the ahead-of-time stages of a jitted function."""

from jaxlite._src.jit import Jitted as Wrapped  # noqa: F401
from jaxlite._src.stages import ArgInfo, Compiled, Lowered, Traced  # noqa: F401
