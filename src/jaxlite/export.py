"""jax.export: serialized StableHLO modules, which jaxlite does not produce."""

from jaxlite._src.features import not_applicable as _na

_REASON = ("it serializes a function as a StableHLO module for XLA; jaxlite compiles to WebAssembly and WGSL "
           "kernels and has no StableHLO (jax.jit(f).lower(...).as_text() shows the kernel text)")
DisabledSafetyCheck = _na("jax.export.DisabledSafetyCheck", _REASON)
Exported = _na("jax.export.Exported", _REASON)
SymbolicScope = _na("jax.export.SymbolicScope", "symbolic shapes: " + _REASON)
default_export_platform = _na("jax.export.default_export_platform", _REASON)
deserialize = _na("jax.export.deserialize", _REASON)
export = _na("jax.export.export", _REASON)
is_symbolic_dim = _na("jax.export.is_symbolic_dim", "symbolic shapes: " + _REASON)
maximum_supported_calling_convention_version = _na(
    "jax.export.maximum_supported_calling_convention_version", _REASON)
minimum_supported_calling_convention_version = _na(
    "jax.export.minimum_supported_calling_convention_version", _REASON)
register_namedtuple_serialization = _na("jax.export.register_namedtuple_serialization", _REASON)
register_pytree_node_serialization = _na("jax.export.register_pytree_node_serialization", _REASON)
symbolic_args_specs = _na("jax.export.symbolic_args_specs", "symbolic shapes: " + _REASON)
symbolic_shape = _na("jax.export.symbolic_shape", "symbolic shapes: " + _REASON)

__jaxlite_status__ = ("n/a", _REASON)
