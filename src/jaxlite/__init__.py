"""jaxlite: JAX for Python in the browser.

    import jaxlite as jax
    import jaxlite.numpy as jnp
"""

from jaxlite.version import __version__
from jaxlite._src import api as _api  # noqa: F401  (registers primitives, Array methods)

from jaxlite._src.ad import grad, jvp, linear_transpose, linearize, value_and_grad, vjp
from jaxlite._src.api_util import (block_until_ready, checkpoint, device_get, device_get_async,
                                   ensure_compile_time_eval, hessian, jacfwd, jacobian, jacrev, named_call, remat)
from jaxlite._src.array import Array
from jaxlite._src.batching import vmap
from jaxlite._src.config import config, disable_jit
from jaxlite._src.core import ShapeDtypeStruct
from jaxlite._src.custom_derivatives import custom_jvp, custom_vjp
from jaxlite._src.dispatch import (default_backend, default_device, device_put, devices, init,
                                   live_buffers)
from jaxlite._src.jit import eval_shape, jit, make_jaxpr
from jaxlite._src import tree_util as _tree_util
from jaxlite import dtypes, errors, lax, numpy, tree_util  # noqa: F401

tree = _tree_util.tree

# Submodules JAX users reach as attributes (`jax.random.split`) load on first use.
_LAZY_SUBMODULES = frozenset({"random", "nn", "scipy", "debug", "test_util", "ad_checkpoint", "example_libraries",
                              "extend", "experimental", "sharding", "stages", "typing"})


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


__all__ = [
    "Array", "ShapeDtypeStruct", "__version__", "block_until_ready", "checkpoint", "config", "custom_jvp",
    "custom_vjp", "default_backend", "default_device", "device_count", "device_get", "device_get_async",
    "device_put", "devices", "init",
    "disable_jit", "ensure_compile_time_eval", "eval_shape", "grad", "hessian", "jacfwd", "jacobian",
    "jacrev", "jit", "jvp", "lax", "linear_transpose", "linearize", "live_buffers", "local_device_count",
    "local_devices", "make_jaxpr", "named_call", "numpy", "remat", "tree", "tree_util",
    "value_and_grad", "vjp", "vmap",
]
