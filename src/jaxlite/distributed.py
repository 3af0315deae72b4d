from jaxlite._src.features import not_applicable

_WHY = "a page is one process; there is no cluster to join"
initialize = not_applicable("jax.distributed.initialize", _WHY)
shutdown = not_applicable("jax.distributed.shutdown", _WHY)


def is_initialized() -> bool:
    return False
