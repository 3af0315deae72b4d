"""jaxlite: JAX for Python in the browser.

    import jaxlite as jax
    import jaxlite.numpy as jnp
"""

from jaxlite.version import __version__
from jaxlite._src import api as _api  # noqa: F401  (registers primitives, Array methods)

from jaxlite._src.ad import grad, jvp, linear_transpose, linearize, value_and_grad, vjp
from jaxlite._src.api import Device, checkpoint, clear_caches, fwd_and_bwd, hessian, jacfwd, jacobian, jacrev, remat
from jaxlite._src.api_util import (block_until_ready, copy_to_host_async, device_get, device_get_async,
                                   effects_barrier, ensure_compile_time_eval, live_arrays,
                                   make_array_from_callback, named_call, named_scope, print_environment_info,
                                   process_count, process_index, typeof)
from jaxlite._src.callback import pure_callback
from jaxlite._src.config_states import (debug_infs, debug_nans, default_matmul_precision, enable_x64, float0,
                                        numpy_dtype_promotion, numpy_rank_promotion)
from jaxlite._src.ad_checkpoint import checkpoint_policies
from jaxlite._src.refs import Ref, empty_ref, free_ref, freeze, new_ref
from jaxlite._src.ref_ops import dslice as ds
from jaxlite._src.array import Array
from jaxlite._src.batching import vmap
from jaxlite._src.config import config, disable_jit
from jaxlite._src.core import ShapeDtypeStruct
from jaxlite._src.custom_derivatives import closure_convert, custom_gradient, custom_jvp, custom_vjp
from jaxlite._src.config_options import (  # noqa: F401  (JAX's config context managers)
    allow_f16_reductions, array_garbage_collection_guard, auto_pcast, check_tracer_leaks, checking_leaks,
    debug_key_reuse, default_prng_impl, enable_checks, enable_custom_prng, explain_cache_misses,
    jax2tf_associative_scan_reductions, legacy_prng_key, log_compiles, make_user_context, no_execution, no_tracing,
    remove_size_one_mesh_axis_from_type, softmax_custom_jvp, thread_guard, threefry_partitionable,
    transfer_guard_device_to_device, transfer_guard_device_to_host, transfer_guard_host_to_device)
from jaxlite._src.dispatch import (default_backend, default_device, device_put, devices, init,
                                   live_buffers)
from jaxlite._src.jit import eval_shape, jit, make_jaxpr
from jaxlite._src import tree_util as _tree_util
from jaxlite import dtypes, errors, lax, numpy, tree_util  # noqa: F401
from jaxlite._src.features import not_applicable as _na
from jaxlite import sharding as _sharding

tree = _tree_util.tree

# Submodules JAX users reach as attributes (`jax.random.split`) load on first use.
_LAZY_SUBMODULES = frozenset({"random", "nn", "scipy", "debug", "test_util", "ad_checkpoint", "example_libraries",
                              "extend", "experimental", "sharding", "stages", "typing", "interpreters", "image",
                              "custom_batching", "custom_derivatives", "distributed", "ops", "export", "ffi",
                              "dlpack", "profiler", "monitoring", "memory", "lib", "ref", "core", "api_util",
                              "ad", "display", "optax", "models", "loaders"})


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        import importlib
        try:
            return importlib.import_module(f"jaxlite.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"jaxlite.{name}":
                raise
    raise AttributeError(f"module 'jaxlite' has no attribute {name!r}")


def local_devices(backend=None):
    return devices(backend)


def device_count(backend=None) -> int:
    return len(devices(backend))


def local_device_count(backend=None) -> int:
    return len(devices(backend))


# Names about many devices, many processes or foreign runtimes: a page is one process with one device
# of each kind, and has no XLA runtime to hand buffers or executables to.
_ONE_DEVICE = "a page runs one process with one device per backend; there is nothing to distribute over"
pmap = _na("jax.pmap", "it maps over several devices; " + _ONE_DEVICE + " (vmap computes the same values)")
shard_map = _na("jax.shard_map", "it splits work across a device mesh; " + _ONE_DEVICE)
smap = _na("jax.smap", "it splits work across a device mesh; " + _ONE_DEVICE)
make_mesh = _na("jax.make_mesh", "a mesh arranges several devices; " + _ONE_DEVICE)
set_mesh = _na("jax.set_mesh", "a mesh arranges several devices; " + _ONE_DEVICE)
reshard = _na("jax.reshard", "arrays are never sharded in jaxlite; " + _ONE_DEVICE)
make_array_from_single_device_arrays = _na(
    "jax.make_array_from_single_device_arrays", "it assembles shards held by several devices; " + _ONE_DEVICE)
make_array_from_process_local_data = _na(
    "jax.make_array_from_process_local_data", "it assembles data from several processes; " + _ONE_DEVICE)
host_count = _na("jax.host_count", "removed from JAX (use process_count, which is 1 here)")
host_id = _na("jax.host_id", "removed from JAX (use process_index, which is 0 here)")
host_ids = _na("jax.host_ids", "removed from JAX (use process_index)")
process_indices = _na("jax.process_indices", "it lists the processes of a multi-host job; " + _ONE_DEVICE)
transfer_guard = _na("jax.transfer_guard", "host and device share one address space in a page (wasm memory, "
                     "or WebGPU reads through the same process); jaxlite does not police transfers")

P = _sharding.PartitionSpec
NamedSharding = _sharding.NamedSharding
Shard = _na("jax.Shard", "arrays are never split into shards in jaxlite; " + _ONE_DEVICE)


_FEATURE_NOTES = {
    "float0": ("partial", "the dtype exists; integer inputs get zero tangents of their own dtype, not float0"),
    "typeof": ("partial", "returns jaxlite's ShapedArray, whose repr is ShapedArray(f32[2]) rather than float32[2]"),
}

__all__ = [
    "Array", "ShapeDtypeStruct", "__version__", "block_until_ready", "checkpoint", "config", "custom_jvp",
    "custom_vjp", "default_backend", "default_device", "device_count", "device_get", "device_get_async",
    "device_put", "devices", "init",
    "disable_jit", "ensure_compile_time_eval", "eval_shape", "grad", "hessian", "jacfwd", "jacobian",
    "jacrev", "jit", "jvp", "lax", "linear_transpose", "linearize", "live_buffers", "local_device_count",
    "local_devices", "make_jaxpr", "named_call", "numpy", "remat", "tree", "tree_util",
    "value_and_grad", "vjp", "vmap", "Ref", "checkpoint_policies", "clear_caches", "debug_infs", "debug_nans",
    "default_matmul_precision", "effects_barrier", "empty_ref", "enable_x64", "float0", "free_ref", "freeze",
    "live_arrays", "make_array_from_callback", "named_scope", "new_ref", "numpy_dtype_promotion",
    "numpy_rank_promotion", "print_environment_info", "process_count", "process_index", "pure_callback", "typeof",
    "Device", "closure_convert", "copy_to_host_async", "custom_gradient", "fwd_and_bwd", "make_user_context",
    "ds",
]
