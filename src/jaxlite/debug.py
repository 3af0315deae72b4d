"""jax.debug: print and call back from inside jit, vmap and grad."""

from jaxlite._src.debugging import (breakpoint, callback, inspect_array_sharding, log, print,  # noqa: F401,A004
                                    visualize_array_sharding, visualize_sharding)
