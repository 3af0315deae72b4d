"""jax.api_util: the names JAX 0.10 still keeps in this deprecated module."""

from jaxlite._src.features import not_applicable as _na
from jaxlite._src.legacy import safe_map, shaped_abstractify  # noqa: F401

_NO_WRAPPED_FUN = ("it transforms JAX's internal linear_util.WrappedFun, which jaxlite's tracing core does not "
                   "have (jaxlite traces plain Python callables)")
argnums_partial = _na("jax.api_util.argnums_partial", _NO_WRAPPED_FUN)
flatten_fun = _na("jax.api_util.flatten_fun", _NO_WRAPPED_FUN)
flatten_fun_nokwargs = _na("jax.api_util.flatten_fun_nokwargs", _NO_WRAPPED_FUN)
debug_info = _na("jax.api_util.debug_info", "it builds JAX's internal DebugInfo record for a WrappedFun; "
                 + _NO_WRAPPED_FUN)
flatten_axes = _na("jax.api_util.flatten_axes", "an internal helper of JAX's pmap/vmap axis specs; jaxlite's "
                   "vmap matches in_axes to arguments on its own")
_NO_DONATION = "buffer donation: jaxlite frees buffers by reference count and never donates them"
donation_vector = _na("jax.api_util.donation_vector", _NO_DONATION)
rebase_donate_argnums = _na("jax.api_util.rebase_donate_argnums", _NO_DONATION)

__jaxlite_status__ = ("partial", "safe_map and shaped_abstractify work; the other names transform JAX-internal "
                      "objects jaxlite does not have")

__all__ = ["safe_map", "shaped_abstractify"]
