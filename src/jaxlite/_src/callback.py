"""Host callbacks: `pure_callback`, `io_callback` and the debug callback behind jax.debug.

Each is a primitive whose implementation calls Python with concrete jaxlite Arrays. Being in
`dispatch.impl_rules`, a callback runs by binding wherever it sits: eagerly, inside the cpu
evaluation of a jit, and as a host step of a wasm/webgpu fusion plan (kernel/fusion.py), where its
inputs are stored first and its results copied back onto the device.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from jaxlite._src import ad, batching, core, dispatch, dtypes, effects, tree_util
from jaxlite._src.core import Primitive, ShapedArray


class FlatCallback:
    """The user's callback as a function of the flat array leaves of its arguments; leaves that
    are no arrays (strings, ...) stay static, at their positions. Hashable by identity."""

    def __init__(self, callback_func: Callable, in_tree, static_args=None):
        self.callback_func, self.in_tree, self.static_args = callback_func, in_tree, static_args or {}

    def __call__(self, *flat_args):
        dyn = iter(flat_args)
        n = len(flat_args) + len(self.static_args)
        leaves = [self.static_args[i] if i in self.static_args else next(dyn) for i in range(n)]
        args, kwargs = tree_util.tree_unflatten(self.in_tree, leaves)
        return self.callback_func(*args, **kwargs)

    def __repr__(self):
        return f"FlatCallback(callback_func={self.callback_func!r}, in_tree={self.in_tree})"


def _as_arrays(args) -> list:
    from jaxlite._src.array import ArrayImpl
    return [a if isinstance(a, ArrayImpl) else dispatch.make_array(a) for a in args]


def _is_array_like(x) -> bool:
    if isinstance(x, core.Tracer):
        return True
    try:
        dtypes.dtype_and_weak(x)
        return True
    except (TypeError, ValueError):
        return False


def _flatten_call(callback, args, kwargs, allow_static: bool = False):
    leaves, in_tree = tree_util.tree_flatten((args, kwargs))
    static = {i: x for i, x in enumerate(leaves) if not _is_array_like(x)}
    if static and not allow_static:
        x = next(iter(static.values()))
        raise TypeError(f"Argument '{x}' of type {type(x)} is not a valid JAX type")
    return FlatCallback(callback, in_tree, static), [x for i, x in enumerate(leaves) if i not in static]


def _result_avals(result_shape_dtypes):
    leaves, tree = tree_util.tree_flatten(result_shape_dtypes)
    avals = tuple(ShapedArray(x.shape, dtypes.canonicalize_dtype(x.dtype)) for x in leaves)
    return avals, tree


def _check_results(outs, result_avals, what: str) -> list:
    """The callback's return values as numpy arrays of the declared avals (JAX's runtime checks)."""
    leaves = tree_util.tree_leaves(outs)
    if len(leaves) != len(result_avals):
        raise RuntimeError(f"{what} returned {len(leaves)} values where {len(result_avals)} were declared "
                           "by result_shape_dtypes.")
    checked = []
    for i, (x, aval) in enumerate(zip(leaves, result_avals)):
        x = np.asarray(x)
        if x.shape != aval.shape:
            raise RuntimeError(f"Incorrect output shape for return value #{i}: Expected: {aval.shape}, "
                               f"Actual: {x.shape}")
        if dtypes.canonicalize_dtype(x.dtype) != aval.dtype:
            raise RuntimeError(f"Incorrect output dtype for return value #{i}: Expected: {aval.dtype}, "
                               f"Actual: {x.dtype}")
        checked.append(x.astype(aval.dtype, copy=False))
    return checked


def _impl(*args, callback, result_avals, what, **_):
    outs = callback(*_as_arrays(args))
    return [dispatch.make_array(x, dtype=a.dtype) for x, a in zip(_check_results(outs, result_avals, what),
                                                                  result_avals)]


def _sequential(prim, axis_size, vals, dims, params):
    """Run the callback once per batch element and stack the results (vmap_method='sequential')."""
    from jaxlite._src.lax import structural
    from jaxlite._src.numpy import lax_numpy as jnp
    per_elem = []
    for i in range(axis_size):
        xs = [x if d is batching.not_mapped else structural.index_in_dim(x, i, d, keepdims=False)
              for x, d in zip(vals, dims)]
        per_elem.append(prim.bind(*xs, **params))
    n = len(params.get("result_avals", ()))
    if not n:
        return [], []
    return [jnp.stack([outs[k] for outs in per_elem]) for k in range(n)], [0] * n


def _batched_avals(axis_size, avals):
    return tuple(a.update(shape=(axis_size, *a.shape)) for a in avals)


# ---- pure_callback --------------------------------------------------------------------------------

pure_callback_p = Primitive("pure_callback", multiple_results=True)
core.abstract_eval_rules[pure_callback_p] = lambda *avals, result_avals, **_: list(result_avals)
dispatch.impl_rules[pure_callback_p] = lambda *args, **params: _impl(*args, what="pure_callback", **params)

_VMAP_METHODS = ("sequential", "sequential_unrolled", "expand_dims", "broadcast_all", "legacy_vectorized")


def _pure_callback_vmap(axis_size, vals, dims, *, callback, result_avals, vmap_method):
    params = dict(callback=callback, result_avals=result_avals, vmap_method=vmap_method)
    if vmap_method in ("sequential", "sequential_unrolled"):
        return _sequential(pure_callback_p, axis_size, vals, dims, params)
    if vmap_method not in _VMAP_METHODS:
        raise NotImplementedError(
            "vmap is only supported for the pure_callback primitive when vmap_method is one of "
            "'sequential', 'sequential_unrolled', 'expand_dims', 'broadcast_all', or 'legacy_vectorized'. "
            f"Got vmap_method={vmap_method!r}.")
    from jaxlite._src.lax import lax
    moved = []
    for x, d in zip(vals, dims):
        if d is not batching.not_mapped:
            moved.append(batching.moveaxis(x, d, 0))
        elif vmap_method == "broadcast_all":
            moved.append(batching.move_batch_axis(axis_size, d, 0, x))
        elif vmap_method == "expand_dims":
            shape = core.get_aval(x).shape
            moved.append(lax.broadcast_in_dim(x, (1, *shape), tuple(range(1, len(shape) + 1))))
        else:  # legacy_vectorized: unbatched arguments as they are
            moved.append(x)
    outs = pure_callback_p.bind(*moved, callback=callback, result_avals=_batched_avals(axis_size, result_avals),
                                vmap_method=vmap_method)
    return outs, [0] * len(outs)


def _no_jvp(message):
    def rule(primals, tangents, **params):
        raise ValueError(message)
    return rule


batching.vmap_rules[pure_callback_p] = _pure_callback_vmap
ad.jvp_rules[pure_callback_p] = _no_jvp(
    "Pure callbacks do not support JVP. Please use `jax.custom_jvp` to use callbacks while taking gradients.")


def pure_callback(callback: Callable, result_shape_dtypes, *args, sharding=None, vmap_method: str | None = None,
                  **kwargs):
    """Call a pure Python function from traced code; its results have the given shapes and dtypes.
    The callback receives jaxlite Arrays and may return numpy arrays or scalars."""
    if vmap_method is not None and vmap_method not in _VMAP_METHODS:
        raise ValueError(f"vmap_method must be one of the allowed values or None. Got {vmap_method!r}.")
    flat_cb, leaves = _flatten_call(callback, args, kwargs)
    result_avals, out_tree = _result_avals(result_shape_dtypes)
    outs = pure_callback_p.bind(*leaves, callback=flat_cb, result_avals=result_avals, vmap_method=vmap_method)
    return tree_util.tree_unflatten(out_tree, outs)


# ---- io_callback ----------------------------------------------------------------------------------

io_callback_p = Primitive("io_callback", multiple_results=True)
core.abstract_eval_rules[io_callback_p] = lambda *avals, result_avals, **_: list(result_avals)
dispatch.impl_rules[io_callback_p] = lambda *args, **params: _impl(*args, what="io_callback", **params)
effects.effectful.add(io_callback_p)


def _io_callback_vmap(axis_size, vals, dims, *, callback, result_avals, ordered):
    if ordered:
        raise ValueError("Cannot `vmap` ordered IO callback.")
    return _sequential(io_callback_p, axis_size, vals, dims,
                       dict(callback=callback, result_avals=result_avals, ordered=ordered))


batching.vmap_rules[io_callback_p] = _io_callback_vmap
ad.jvp_rules[io_callback_p] = _no_jvp("IO callbacks do not support JVP.")


def io_callback(callback: Callable, result_shape_dtypes, *args, sharding=None, ordered: bool = False, **kwargs):
    """Call a Python function with side effects from traced code; never removed as dead code.
    Calls run in program order here, so `ordered=True` only forbids vmap, as in JAX."""
    flat_cb, leaves = _flatten_call(callback, args, kwargs)
    result_avals, out_tree = _result_avals(result_shape_dtypes)
    outs = io_callback_p.bind(*leaves, callback=flat_cb, result_avals=result_avals, ordered=ordered)
    return tree_util.tree_unflatten(out_tree, outs)


# ---- debug callback (jax.debug.callback, jax.debug.print) -----------------------------------------

debug_callback_p = Primitive("debug_callback", multiple_results=True)
core.abstract_eval_rules[debug_callback_p] = lambda *avals, **_: []
effects.effectful.add(debug_callback_p)


def _debug_impl(*args, callback, ordered):
    callback(*_as_arrays(args))
    return []


def _debug_jvp(primals, tangents, *, callback, ordered):
    # Only the primal values are shown; the callback has no outputs to differentiate.
    debug_callback_p.bind(*primals, callback=callback, ordered=ordered)
    return [], []


def _debug_vmap(axis_size, vals, dims, *, callback, ordered):
    return _sequential(debug_callback_p, axis_size, vals, dims, dict(callback=callback, ordered=ordered))


dispatch.impl_rules[debug_callback_p] = _debug_impl
ad.jvp_rules[debug_callback_p] = _debug_jvp
batching.vmap_rules[debug_callback_p] = _debug_vmap


def debug_callback(callback: Callable, *args, ordered: bool = False, partitioned: bool = False, **kwargs):
    """Call `callback(*args, **kwargs)` with concrete Arrays, also under jit, vmap (once per element)
    and grad (with the primal values)."""
    if not callable(callback):
        raise TypeError(f"first argument to jax.debug.callback must be callable, but got an object of type "
                        f"{type(callback)}")
    flat_cb, leaves = _flatten_call(callback, args, kwargs, allow_static=True)
    debug_callback_p.bind(*leaves, callback=flat_cb, ordered=ordered)
