"""jax.debug: print and call back from inside jit, vmap and grad."""

from jaxlite._src.debugging import (DebugEffect, OrderedDebugEffect, breakpoint, callback,  # noqa: F401,A004
                                    inspect_array_sharding, log, print,
                                    visualize_array_sharding, visualize_sharding)

_FEATURE_NOTES = {
    name: ("partial", "the class exists for isinstance checks and custom primitives' bookkeeping; jaxlite's jaxprs "
                      "carry no effect objects (effectful primitives are listed in _src/effects.py, which keeps "
                      "dead-code elimination from dropping them)")
    for name in ("DebugEffect", "OrderedDebugEffect")}
