"""Jacobians, hessians and small API helpers built on the core transformations."""

from __future__ import annotations

import abc
import contextlib
import functools
from typing import Callable

import numpy as np

from jaxlite._src import ad, core, tree_util
from jaxlite._src.ad import _argnums_tuple, _check_input_dtype_grad, flatten_fun
from jaxlite._src.batching import vmap
from jaxlite._src.remat import checkpoint, remat  # noqa: F401


def _dyn_fun(fun, args, kwargs, nums):
    def f_dyn(*dyn):
        full = list(args)
        for i, a in zip(nums, dyn):
            full[i] = a
        return fun(*full, **kwargs)
    return f_dyn


def _basis(leaves):
    """One standard-basis batch per leaf: leaf i gets an (N, *shape) array, N = total size."""
    from jaxlite._src.numpy import lax_numpy as jnp
    sizes = [int(np.prod(core.get_aval(x).shape, dtype=np.int64)) for x in leaves]
    n = sum(sizes)
    out, start = [], 0
    for x, s in zip(leaves, sizes):
        aval = core.get_aval(x)
        eye = jnp.eye(n, s, k=-start, dtype=aval.dtype)
        out.append(jnp.reshape(eye, (n,) + aval.shape))
        start += s
    return out, sizes


def _split_jac(jac, out_shape, in_leaves, sizes, in_tree, single):
    """jac: (N, *out_shape) with N over inputs -> pytree over inputs of out_shape + in_shape."""
    from jaxlite._src.numpy import lax_numpy as jnp
    nd = len(out_shape)
    jac = jnp.moveaxis(jac, 0, -1) if nd else jac
    parts, start = [], 0
    for x, s in zip(in_leaves, sizes):
        piece = jac[..., start:start + s] if nd else jac[start:start + s]
        parts.append(jnp.reshape(piece, tuple(out_shape) + core.get_aval(x).shape))
        start += s
    tree = tree_util.tree_unflatten(in_tree, parts)
    return tree[0] if single else tree


def _flat_dynamic(fun, argnums, args, kwargs, has_aux, holomorphic, allow_int, name):
    """The differentiated arguments flattened, with fun as a flat function of them."""
    nums = _argnums_tuple(argnums, len(args))
    dyn_flat, in_tree = tree_util.tree_flatten(tuple(args[i] for i in nums))
    for x in dyn_flat:
        _check_input_dtype_grad(x, holomorphic, allow_int, name)
    f_flat, out_tree, split_aux = flatten_fun(_dyn_fun(fun, args, kwargs, nums), in_tree, has_aux)
    return dyn_flat, in_tree, f_flat, out_tree, split_aux


def jacfwd(fun: Callable, argnums=0, has_aux: bool = False, holomorphic: bool = False) -> Callable:
    core.check_callable(fun)

    @functools.wraps(fun, updated=())
    def jacfun(*args, **kwargs):
        dyn_flat, in_tree, f_flat, out_tree, split_aux = _flat_dynamic(
            fun, argnums, args, kwargs, has_aux, holomorphic, False, "jacfwd")
        basis, sizes = _basis(dyn_flat)
        aux = split_aux(f_flat(*dyn_flat))[1] if has_aux else None

        def push(*tangents):
            return split_aux(ad.jvp_flat(f_flat, dyn_flat, list(tangents))[1])[0]

        jac_flat = vmap(push)(*basis)
        single = isinstance(argnums, int)
        outs = [_split_jac(j, core.get_aval(j).shape[1:], dyn_flat, sizes, in_tree, single) for j in jac_flat]
        jac = tree_util.tree_unflatten(out_tree(), outs)
        return (jac, aux) if has_aux else jac

    return jacfun


def jacrev(fun: Callable, argnums=0, has_aux: bool = False, holomorphic: bool = False,
           allow_int: bool = False) -> Callable:
    core.check_callable(fun)

    @functools.wraps(fun, updated=())
    def jacfun(*args, **kwargs):
        dyn_flat, in_tree, f_flat, out_tree, split_aux = _flat_dynamic(
            fun, argnums, args, kwargs, has_aux, holomorphic, allow_int, "jacrev")
        y_all, f_vjp = ad.vjp_flat(f_flat, dyn_flat)
        y, aux = split_aux(y_all)
        aux_zeros = [ad.zeros_like(a) for a in y_all[len(y):]]
        basis, sizes = _basis(y)
        jac_in = vmap(lambda *cts: f_vjp(*cts, *aux_zeros))(*basis)  # per input leaf: (M, *in_shape)
        from jaxlite._src.numpy import lax_numpy as jnp
        single = isinstance(argnums, int)
        outs, start = [], 0
        for yi, s in zip(y, sizes):
            yshape = core.get_aval(yi).shape
            parts = [jnp.reshape(j[start:start + s], yshape + core.get_aval(x).shape) for j, x in zip(jac_in, dyn_flat)]
            tree = tree_util.tree_unflatten(in_tree, parts)
            outs.append(tree[0] if single else tree)
            start += s
        jac = tree_util.tree_unflatten(out_tree(), outs)
        return (jac, aux) if has_aux else jac

    return jacfun


jacobian = jacrev


def hessian(fun: Callable, argnums=0, has_aux: bool = False, holomorphic: bool = False) -> Callable:
    return jacfwd(jacrev(fun, argnums, has_aux, holomorphic), argnums, has_aux, holomorphic)


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
    import asyncio
    leaves, treedef = tree_util.tree_flatten(x)
    for v in leaves:
        if isinstance(v, core.Tracer):
            raise core.ConcretizationTypeError(v, "device_get_async was called on a traced value.")
    values = await asyncio.gather(*(_host_value(v) for v in leaves))
    return tree_util.tree_unflatten(treedef, list(values))


async def _host_value(v):
    from jaxlite._src.array import ArrayImpl
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


def clear_caches() -> None:
    """Forget every traced jaxpr and compiled kernel plan (they are rebuilt on the next call)."""
    from jaxlite._src import dispatch, jit
    jit.clear_all_caches()
    dispatch._eager_cache.clear()
    for device in dispatch.devices():
        for name in ("_plans", "_prim_cache"):
            cache = getattr(device, name, None)
            if cache is not None:
                cache.clear()


def live_arrays(platform: str | None = None) -> list:
    """Every concrete Array alive now (optionally only those on one platform)."""
    import gc
    from jaxlite._src.array import ArrayImpl
    return [o for o in gc.get_objects() if type(o) is ArrayImpl and (platform is None or o._device.platform == platform)]


@contextlib.contextmanager
def named_scope(name: str):
    """Names a region for profiles and compiler metadata; jaxlite keeps no such metadata."""
    if not isinstance(name, str):
        raise TypeError("named_scope name argument must be a string.")
    yield


def make_array_from_callback(shape, sharding, data_callback: Callable, dtype=None):
    """An Array of `shape` from `data_callback(index)`; with one device the index covers it all."""
    from jaxlite._src import dispatch
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
    import platform
    import sys
    from jaxlite._src import dispatch
    from jaxlite.version import __version__
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


def fwd_and_bwd(fun: Callable, argnums, has_aux: bool = False, jitted: bool = True):
    """(fwd, bwd): fwd(*args) is jax.vjp of fun in the argnums arguments, whose pullback (a pytree
    of residuals) bwd(residuals, cotangent) applies; both jitted by default, so bwd compiles once."""
    core.check_callable(fun)

    def fwd(*args):
        nums = _argnums_tuple(argnums, len(args))
        return ad.vjp(_dyn_fun(fun, args, {}, nums), *(args[i] for i in nums), has_aux=has_aux)

    def bwd(f_vjp, cotangent):
        g = f_vjp(cotangent)
        return g[0] if isinstance(argnums, int) else g

    if jitted:
        from jaxlite._src.jit import jit
        return jit(fwd), jit(bwd)
    return fwd, bwd


def copy_to_host_async(x):
    """Start the host copy of every array leaf of x (as each leaf's copy_to_host_async); returns x.
    The device copies do not finish here: read them with `await jaxlite.device_get_async(x)`
    where the device needs awaiting (webgpu)."""
    for leaf in tree_util.tree_leaves(x):
        start = getattr(leaf, "copy_to_host_async", None)
        if start is not None:
            start()
    return x


class Device(abc.ABC):
    """What jax.Device is for isinstance: every jaxlite device (cpu, wasm, webgpu)."""


def _register_devices() -> None:
    from jaxlite._src.backends.cpu import CpuDevice
    from jaxlite._src.backends.kernel_device import KernelDevice
    Device.register(CpuDevice)
    Device.register(KernelDevice)


_register_devices()
