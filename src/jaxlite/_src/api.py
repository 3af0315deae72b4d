"""Assembles the runtime and holds the API built on the transformations.

Importing this module imports every primitive module (registering its rules), attaches the Array
methods, lets the stages module extend `jit`, and discovers the backends: public modules import
it first. It sits at the top of the import graph, so it may use everything below it.
"""

from __future__ import annotations

import abc
import functools
from typing import Callable

import numpy as np

from jaxlite._src.lax import bitcast, convolution, dot, lax, reductions, slicing, sorting, special, structural  # noqa: F401
from jaxlite._src.lax import control_flow  # noqa: F401
from jaxlite._src import ad, array_methods, backends, core, custom_derivatives, dispatch, tree_util  # noqa: F401
from jaxlite._src import jit as jit_module
from jaxlite._src.ad import _argnums_tuple, _check_input_dtype_grad
from jaxlite._src.api_util import flatten_fun
from jaxlite._src.backends.cpu import CpuDevice
from jaxlite._src.backends.kernel_device import KernelDevice
from jaxlite._src.batching import vmap
from jaxlite._src.jit import jit
from jaxlite._src.numpy import lax_numpy as jnp
from jaxlite._src.remat import checkpoint, remat  # noqa: F401

array_methods._install()


def _traced(*args):
    """`jit(f).trace(...)`: stages.py loads on the first ahead-of-time call (few programs make one)."""
    from jaxlite._src.stages import Traced
    return Traced(*args)


jit_module.register_stages(_traced)
backends.discover()


def _dyn_fun(fun, args, kwargs, nums):
    def f_dyn(*dyn):
        full = list(args)
        for i, a in zip(nums, dyn):
            full[i] = a
        return fun(*full, **kwargs)
    return f_dyn


def _basis(leaves):
    """One standard-basis batch per leaf: leaf i gets an (N, *shape) array, N = total size."""
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



def clear_caches() -> None:
    """Forget every traced jaxpr and compiled kernel plan (they are rebuilt on the next call)."""
    jit_module.clear_all_caches()
    dispatch._eager_cache.clear()
    for cache in dispatch.replay_caches:  # recorded eager operations hold executors
        cache.clear()
    for device in dispatch.devices():
        for name in ("_plans", "_prim_cache"):
            cache = getattr(device, name, None)
            if cache is not None:
                cache.clear()



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
        return jit(fwd), jit(bwd)
    return fwd, bwd


class Device(abc.ABC):
    """What jax.Device is for isinstance: every jaxlite device (cpu, wasm, webgpu)."""


Device.register(CpuDevice)
Device.register(KernelDevice)
