"""jaxlite: JAX for Python in the browser."""

from jaxlite.version import __version__

__all__ = ["__version__"]
