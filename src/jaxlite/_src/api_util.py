"""Helpers of the API below the transformations: flattening a pytree function (the one
`flatten_fun` that ad, batching and jit share), abstract values of arguments, and the small
top-level names that need only arrays and devices (block_until_ready, device_get, typeof, ...).
The API built on the transformations (jacobians, hessian, Device) is in api.py."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import platform
import sys
from typing import Any, Callable

import numpy as np

from jaxlite._src import core, dispatch, dtypes, tree_util
from jaxlite._src.array import ArrayImpl
from jaxlite.version import __version__


def flatten_fun(fun: Callable, in_tree, has_aux: bool = False):
    """Wrap a pytree function as flat-in/flat-out. With has_aux the aux leaves are returned after
    the outputs (so transformations treat them as plain primal outputs); split_aux separates them.
    Returns (flat_fun, out_tree, split_aux); out_tree() is known after a call."""
    store: dict[str, Any] = {}

    def flat_fun(*args_flat):
        args = tree_util.tree_unflatten(in_tree, args_flat)
        out = fun(*args)
        aux_flat = []
        if has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise ValueError("has_aux=True requires the function to return a pair (output, aux)")
            out, aux = out
            aux_flat, store["aux_tree"] = tree_util.tree_flatten(aux)
        out_flat, store["out_tree"] = tree_util.tree_flatten(out)
        store["n_out"] = len(out_flat)
        return [*out_flat, *aux_flat]

    def split_aux(outs):
        """(outputs, aux pytree or None) from the flat results of flat_fun."""
        n = store["n_out"]
        aux = tree_util.tree_unflatten(store["aux_tree"], outs[n:]) if has_aux else None
        return list(outs[:n]), aux

    return flat_fun, lambda: store["out_tree"], split_aux


def shape_dtype_avals(leaves) -> list[core.ShapedArray]:
    """The abstract value of each argument leaf (arrays, scalars or ShapeDtypeStructs)."""
    out = []
    for x in leaves:
        if isinstance(x, core.ShapeDtypeStruct):
            out.append(core.ShapedArray(x.shape, dtypes.canonicalize_dtype(x.dtype), x.weak_type))
        else:
            out.append(core.raise_to_shaped(core.get_aval(x)))
    return out


def block_until_ready(x):
    return tree_util.tree_map(lambda v: v.block_until_ready() if hasattr(v, "block_until_ready") else v, x)


def device_get(x):
    def get(v):
        if isinstance(v, core.Tracer):
            raise core.ConcretizationTypeError(v, "device_get was called on a traced value.")
        return np.asarray(v) if hasattr(v, "_value") else v
    return tree_util.tree_map(get, x)


async def device_get_async(x):
    """`device_get` that awaits GPU readbacks instead of blocking: works where synchronous reads
    cannot (a page without JSPI). Starts every copy before waiting for any."""
    leaves, treedef = tree_util.tree_flatten(x)
    for v in leaves:
        if isinstance(v, core.Tracer):
            raise core.ConcretizationTypeError(v, "device_get_async was called on a traced value.")
    values = await asyncio.gather(*(_host_value(v) for v in leaves))
    return tree_util.tree_unflatten(treedef, list(values))


async def _host_value(v):
    if isinstance(v, ArrayImpl):
        await v.copy_to_host_async()
        return np.asarray(v)
    return v


def named_call(fun: Callable, *, name: str | None = None) -> Callable:
    return fun


@contextlib.contextmanager
def ensure_compile_time_eval():
    """Evaluate operations on concrete values eagerly even while tracing under jit."""
    prev = core.dynamic_trace
    core.dynamic_trace = None
    try:
        yield
    finally:
        core.dynamic_trace = prev


# ---- small top-level names (jax.typeof, jax.clear_caches, ...) ------------------------------------


def typeof(x) -> core.ShapedArray:
    """The abstract value (shape, dtype, weak type) of an array, traced or not."""
    return core.raise_to_shaped(core.get_aval(x))


def live_arrays(platform: str | None = None) -> list:
    """Every concrete Array alive now (optionally only those on one platform)."""
    return [o for o in gc.get_objects() if type(o) is ArrayImpl and (platform is None or o._device.platform == platform)]


@contextlib.contextmanager
def named_scope(name: str):
    """Names a region for profiles and compiler metadata; jaxlite keeps no such metadata."""
    if not isinstance(name, str):
        raise TypeError("named_scope name argument must be a string.")
    yield


def make_array_from_callback(shape, sharding, data_callback: Callable, dtype=None):
    """An Array of `shape` from `data_callback(index)`; with one device the index covers it all."""
    index = tuple(slice(None) for _ in shape)
    value = np.asarray(data_callback(index), dtype=dtype)
    if value.shape != tuple(shape):
        raise ValueError(f"Expected shard shape {tuple(shape)} doesn't match the data shape {value.shape}")
    return dispatch.make_array(value, dtype=dtype or value.dtype)


def effects_barrier() -> None:
    """Wait until every pending callback has run: they run in program order here, so at once."""


def process_count(backend=None) -> int:
    return 1


def process_index(backend=None) -> int:
    return 0


def print_environment_info(return_string: bool = False):
    info = "\n".join([
        f"jaxlite:    {__version__}",
        f"numpy:      {np.__version__}",
        f"python:     {sys.version}",
        f"devices:    {', '.join(map(str, dispatch.devices()))} (default backend: {dispatch.default_backend()})",
        "process_count: 1",
        f"platform: {platform.uname()}",
        ""])
    if return_string:
        return info
    print(info)
    return None


def copy_to_host_async(x):
    """Start the host copy of every array leaf of x (as each leaf's copy_to_host_async); returns x.
    The device copies do not finish here: read them with `await jaxlite.device_get_async(x)`
    where the device needs awaiting (webgpu)."""
    for leaf in tree_util.tree_leaves(x):
        start = getattr(leaf, "copy_to_host_async", None)
        if start is not None:
            start()
    return x
