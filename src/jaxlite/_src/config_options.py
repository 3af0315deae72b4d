"""JAX's config options that jaxlite has no machinery for, and their context managers
(`with jax.log_compiles(): ...`).

Programs written for JAX set these (`jax.config.update("jax_remat3", True)`), so each is a known
option here and takes the values JAX's does; a context manager checks its value as JAX's would.
Where an option cannot change what jaxlite does, its context manager is marked partial and says so.
"""

from __future__ import annotations

import contextlib

from jaxlite._src.config import config
from jaxlite._src.features import partial

_TRANSFER = ("allow", "log", "disallow", "log_explicit", "disallow_explicit")
_PRNG_IMPLS = ("threefry2x32", "threefry4x32", "rbg", "unsafe_rbg", "philox2x32", "philox4x32")

# name -> default, for the options that change nothing in one browser process (compilation
# caches, XLA and runtime tuning, multi-host transport, pallas, export formats, logging).
_INERT = {
    "check_vma": False, "eager_constant_folding": False, "jax2tf_associative_scan_reductions": False,
    "jax2tf_default_native_serialization": True, "jax_allow_f16_reductions": True,
    "jax_array_garbage_collection_guard": None, "jax_auto_pcast": True, "jax_backend_target": "",
    "jax_bcoo_cusparse_lowering": False, "jax_captured_constants_report_frames": 0,
    "jax_captured_constants_warn_bytes": 2_000_000_000, "jax_check_proxy_envs": True,
    "jax_check_static_indices": False, "jax_check_tracer_leaks": False,
    "jax_compilation_cache_check_contents": False, "jax_compilation_cache_dir": None,
    "jax_compilation_cache_expect_pgle": False, "jax_compilation_cache_include_metadata_in_key": False,
    "jax_compilation_cache_max_size": -1, "jax_compiler_detailed_logging_min_ops": 10,
    "jax_compiler_enable_remat_pass": True, "jax_cpu_collectives_implementation": "gloo",
    "jax_cpu_enable_async_dispatch": True, "jax_cpu_get_global_topology_timeout_minutes": 5,
    "jax_cpu_get_local_topology_timeout_minutes": 2, "jax_cross_host_transfer_socket_address": "",
    "jax_cross_host_transfer_timeout_seconds": None, "jax_cross_host_transfer_transfer_size": None,
    "jax_cross_host_transport_addresses": "", "jax_cuda_visible_devices": "all", "jax_custom_vjp3": False,
    "jax_debug_key_reuse": False, "jax_debug_leaked_clients_on_clear_backends": False,
    "jax_debug_log_modules": "", "jax_default_prng_impl": "threefry2x32", "jax_disable_bwd_checks": False,
    "jax_disable_most_optimizations": False, "jax_disable_vmap_shmap_error": False,
    "jax_disallow_mesh_context_manager": False, "jax_distributed_debug": False,
    "jax_dump_ir_modes": "stablehlo", "jax_dump_ir_to": "", "jax_embedded_constants_max_bytes": 32,
    "jax_enable_checks": False, "jax_enable_compilation_cache": True, "jax_enable_custom_prng": False,
    "jax_enable_pgle": False, "jax_enable_preemption_service": True, "jax_enable_recoverability": False,
    "jax_error_checking_behavior_divide": "ignore", "jax_error_checking_behavior_nan": "ignore",
    "jax_error_checking_behavior_oob": "ignore", "jax_exec_time_optimization_effort": 0.0,
    "jax_experimental_unsafe_xla_runtime_errors": False, "jax_explain_cache_misses": False,
    "jax_export_calling_convention_version": 10, "jax_export_ignore_forward_compatibility": False,
    "jax_force_dcn_cross_host_transfers": False, "jax_high_dynamic_range_gumbel": False,
    "jax_hlo_source_file_canonicalization_regex": None, "jax_include_debug_info_in_dumps": True,
    "jax_include_full_tracebacks_in_locations": True, "jax_legacy_prng_key": "allow",
    "jax_log_checkpoint_residuals": False, "jax_log_compiles": False, "jax_logging_level": "NOTSET",
    "jax_memory_fitting_effort": 0.0, "jax_memory_fitting_level": "O2", "jax_mock_gpu_topology": "",
    "jax_mosaic_allow_hlo": False, "jax_mutable_array_checks": True, "jax_num_cpu_devices": -1,
    "jax_oneapi_visible_devices": "all", "jax_optimization_level": "UNKNOWN",
    "jax_pallas_enable_debug_checks": False, "jax_pallas_poison_buffers": False,
    "jax_pallas_use_mosaic_gpu": True, "jax_pallas_verbose_errors": False,
    "jax_persistent_cache_enable_xla_caches": "xla_gpu_per_fusion_autotune_cache_dir",
    "jax_persistent_cache_min_compile_time_secs": 1.0, "jax_persistent_cache_min_entry_size_bytes": 0,
    "jax_pgle_aggregation_percentile": 90, "jax_pgle_profiling_runs": 3, "jax_pjrt_client_create_options": None,
    "jax_pprint_use_color": True, "jax_ragged_dot_use_gpu_pallas_triton_lowering": False,
    "jax_ragged_dot_use_ragged_dot_instruction": True, "jax_raise_persistent_cache_errors": False,
    "jax_random_seed_offset": 0, "jax_refs_to_pins": False, "jax_remat3": False,
    "jax_remove_custom_partitioning_ptr_from_cache_key": False, "jax_remove_size_one_mesh_axis_from_type": False,
    "jax_rocm_visible_devices": "all", "jax_scan3": False, "jax_send_traceback_to_runtime": "off",
    "jax_serialization_version": 0, "jax_share_binary_between_hosts": False,
    "jax_share_binary_between_hosts_timeout_ms": 1_200_000, "jax_sort_devices_by_process_index": True,
    "jax_source_url_schema": None, "jax_thread_guard": False, "jax_threefry_gpu_kernel_lowering": False,
    "jax_threefry_partitionable": True, "jax_traceback_filtering": "auto", "jax_traceback_in_locations_limit": 100,
    "jax_tracer_error_num_traceback_frames": 5, "jax_transfer_guard": None,
    "jax_transfer_guard_device_to_device": None, "jax_transfer_guard_device_to_host": None,
    "jax_transfer_guard_host_to_device": None, "jax_use_direct_linearize": True,
    "jax_use_emit_pipeline_primitive": False, "jax_use_magma": "auto", "jax_use_shardy_partitioner": True,
    "jax_use_simplified_jaxpr_constants": False, "jax_xla_backend": "", "jax_xla_profile_version": 0,
    "mock_num_gpu_processes": 0,
}

# Options jaxlite acts on, beyond config.py's own.
_ACTIVE = {
    "jax_no_tracing": False,     # jit raises instead of tracing
    "jax_no_execution": False,   # a jitted function raises instead of running
    # jaxlite's own: traces kept per jitted function (least recently used dropped first)
    "jaxlite_jit_cache_size": 256,
}

for _name, _default in {**_INERT, **_ACTIVE}.items():
    config._values.setdefault(_name, _default)


def _check_bool(name, value):
    if not isinstance(value, bool) and type(value).__name__ != "bool_":
        raise ValueError(f"the {name} option takes a bool, got {value!r} of type {type(value)}.")
    return bool(value)


def _check_enum(name, value, allowed, allow_none=True):
    if (value is None and allow_none) or value in allowed:
        return value
    none = "None or " if allow_none else ""
    raise ValueError(f"new enum value must be {none}in {list(allowed)}, got {value} of type {type(value)}.")


def _bool_state(name: str):
    def state(new_val: bool = True):
        return config._override(name, _check_bool(name, new_val))
    state.__name__ = state.__qualname__ = name.removeprefix("jax_")
    state.__doc__ = f"Context manager for the `{name}` config option."
    return state


def _enum_state(name: str, allowed, allow_none=True):
    def state(new_val):
        return config._override(name, _check_enum(name, new_val, allowed, allow_none))
    state.__name__ = state.__qualname__ = name.removeprefix("jax_")
    state.__doc__ = f"Context manager for the `{name}` config option."
    return state


def _marked(reason, fn):
    return partial(reason)(fn)


_NO_EFFECT = "accepted and kept in jax.config, but it changes nothing in jaxlite: "

softmax_custom_jvp = _bool_state("jax_softmax_custom_jvp")
no_tracing = _bool_state("jax_no_tracing")
no_execution = _marked("only jitted functions refuse to run; eager operations still run",
                       _bool_state("jax_no_execution"))
enable_checks = _marked(_NO_EFFECT + "it has no extra internal invariant checks", _bool_state("jax_enable_checks"))
check_tracer_leaks = _marked(_NO_EFFECT + "leaked tracers are reported when used, not when they leak",
                             _bool_state("jax_check_tracer_leaks"))
log_compiles = _marked(_NO_EFFECT + "it logs nothing when it traces or compiles", _bool_state("jax_log_compiles"))
explain_cache_misses = _marked(_NO_EFFECT + "it does not explain jit cache misses",
                               _bool_state("jax_explain_cache_misses"))
enable_custom_prng = _marked(_NO_EFFECT + "keys are always threefry2x32 uint32 arrays or typed keys",
                             _bool_state("jax_enable_custom_prng"))
debug_key_reuse = _marked(_NO_EFFECT + "reused PRNG keys are not detected", _bool_state("jax_debug_key_reuse"))
jax2tf_associative_scan_reductions = _marked(_NO_EFFECT + "there is no jax2tf",
                                             _bool_state("jax2tf_associative_scan_reductions"))
allow_f16_reductions = _marked(_NO_EFFECT + "float16 reductions always accumulate as jaxlite's kernels do",
                               _bool_state("jax_allow_f16_reductions"))
thread_guard = _marked(_NO_EFFECT + "it does not police which thread uses a device", _bool_state("jax_thread_guard"))
auto_pcast = _marked(_NO_EFFECT + "it is about varying manual axes under shard_map, which jaxlite has not",
                     _bool_state("jax_auto_pcast"))
remove_size_one_mesh_axis_from_type = _marked(_NO_EFFECT + "there are no meshes",
                                              _bool_state("jax_remove_size_one_mesh_axis_from_type"))
legacy_prng_key = _marked(_NO_EFFECT + "raw uint32 keys are always allowed",
                          _enum_state("jax_legacy_prng_key", ("allow", "warn", "error"), allow_none=False))
array_garbage_collection_guard = _marked(_NO_EFFECT + "arrays are freed by refcount without a guard",
                                         _enum_state("jax_array_garbage_collection_guard", ("allow", "log", "fatal")))
transfer_guard_host_to_device = _marked(_NO_EFFECT + "transfers are not policed (one address space in a page)",
                                        _enum_state("jax_transfer_guard_host_to_device", _TRANSFER))
transfer_guard_device_to_device = _marked(_NO_EFFECT + "transfers are not policed (one address space in a page)",
                                          _enum_state("jax_transfer_guard_device_to_device", _TRANSFER))
transfer_guard_device_to_host = _marked(_NO_EFFECT + "transfers are not policed (one address space in a page)",
                                        _enum_state("jax_transfer_guard_device_to_host", _TRANSFER))


@partial("only threefry2x32 exists in jaxlite: other implementations raise NotImplementedError")
def default_prng_impl(new_val: str):
    _check_enum("jax_default_prng_impl", new_val, _PRNG_IMPLS, allow_none=False)
    if new_val != "threefry2x32":
        raise NotImplementedError(f"the {new_val} PRNG is not available in jaxlite (only threefry2x32)")
    return config._override("jax_default_prng_impl", new_val)


@partial("only the partitionable threefry (JAX 0.10's default, True) exists; False raises NotImplementedError")
def threefry_partitionable(new_val: bool = True):
    if not _check_bool("jax_threefry_partitionable", new_val):
        raise NotImplementedError("jaxlite generates random bits only as jax_threefry_partitionable=True does")
    return config._override("jax_threefry_partitionable", True)


@partial(_NO_EFFECT + "leaked tracers are reported when used, not when they leak")
def checking_leaks():
    """As `check_tracer_leaks(True)`."""
    return config._override("jax_check_tracer_leaks", True)



class UserContext:
    """A value that jit's caches key on: changing it makes a jitted function trace again."""

    def __init__(self, default_value=None):
        self._global = default_value
        self._stack: list = []
        _user_contexts.append(self)

    @property
    def value(self):
        return self._stack[-1] if self._stack else self._global

    def get_global(self):
        return self._global

    def set_global(self, value):
        self._global = value

    @contextlib.contextmanager
    def __call__(self, value):
        self._stack.append(value)
        try:
            yield
        finally:
            self._stack.pop()


_user_contexts: list[UserContext] = []


def user_context_values() -> tuple:
    return tuple(c.value for c in _user_contexts)


def make_user_context(default_value=None) -> UserContext:
    """A `jax.jit` cache sensitive context (as jax.make_user_context)."""
    return UserContext(default_value)
