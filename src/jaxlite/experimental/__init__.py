"""jax.experimental: the names JAX's tutorials import from it."""

from jaxlite._src.callback import io_callback  # noqa: F401
from jaxlite._src.features import not_applicable

shard_map = not_applicable("jax.experimental.shard_map", "a page runs one process with one device per backend; "
                           "there is no mesh to map over")
