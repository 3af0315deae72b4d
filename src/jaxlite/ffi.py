"""jax.ffi: calls into compiled C/C++ through XLA's foreign function interface."""

from jaxlite._src.features import not_applicable as _na

_REASON = ("XLA's foreign function interface calls native code registered with an XLA runtime; a page has no "
           "XLA runtime nor native code to load (use jax.pure_callback to call Python)")
build_ffi_lowering_function = _na("jax.ffi.build_ffi_lowering_function", _REASON)
ffi_call = _na("jax.ffi.ffi_call", _REASON)
ffi_lowering = _na("jax.ffi.ffi_lowering", _REASON)
include_dir = _na("jax.ffi.include_dir", _REASON)
pycapsule = _na("jax.ffi.pycapsule", _REASON)
register_ffi_target = _na("jax.ffi.register_ffi_target", _REASON)
register_ffi_target_as_batch_partitionable = _na("jax.ffi.register_ffi_target_as_batch_partitionable", _REASON)
register_ffi_type = _na("jax.ffi.register_ffi_type", _REASON)
register_ffi_type_id = _na("jax.ffi.register_ffi_type_id", _REASON)

__jaxlite_status__ = ("n/a", _REASON)
