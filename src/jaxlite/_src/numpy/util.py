"""NumPy-style argument handling on top of strict lax: promotion, broadcasting, axis checks."""

from __future__ import annotations

import numpy as np

from jaxlite._src import core, dispatch, dtypes
from jaxlite._src.core import get_aval
from jaxlite._src.lax import lax, structural


def is_array(x) -> bool:
    return isinstance(x, core.Tracer) or hasattr(x, "aval")


def asarray(x, dtype=None):
    """x as an Array or tracer, keeping Python scalars weakly typed."""
    if is_array(x):
        if dtype is not None:
            return lax.convert_element_type(x, dtypes.check_user_dtype(dtype))
        return x
    if hasattr(x, "__jax_array__"):
        return asarray(x.__jax_array__(), dtype)
    if isinstance(x, (list, tuple)) and any(is_array(e) or isinstance(e, (list, tuple)) for e in x):
        from jaxlite._src.numpy.lax_numpy import stack
        out = stack([asarray(e) for e in x])
        return out if dtype is None else lax.convert_element_type(out, dtypes.check_user_dtype(dtype))
    if isinstance(x, (bool, int, float, complex, np.ndarray, np.generic, list, tuple)):
        return dispatch.make_array(x, dtype=dtype)
    raise TypeError(f"Value {x!r} with type {type(x)} is not a valid JAX type")


def check_arraylike(name: str, *args) -> None:
    for i, a in enumerate(args):
        if not (is_array(a) or isinstance(a, (bool, int, float, complex, np.ndarray, np.generic))
                or hasattr(a, "__jax_array__")):
            msg = f"{name} requires ndarray or scalar arguments, got {type(a)} at position {i}."
            raise TypeError(msg)


def broadcast_shapes(*shapes) -> tuple:
    """The shape that the given shapes broadcast to, by numpy's rules (raises ValueError if they do not)."""
    nd = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(nd):
        sizes = {s[i - nd + len(s)] for s in shapes if i - nd + len(s) >= 0} - {1}
        if len(sizes) > 1:
            raise ValueError(f"Incompatible shapes for broadcasting: shapes={[tuple(s) for s in shapes]}")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def broadcast_to(x, shape):
    """Broadcast `x` to `shape` by numpy's rules."""
    x = asarray(x)
    shape = tuple(int(core.concrete_or_error(d, "broadcast_to shape")) for d in shape)
    xs = get_aval(x).shape
    if xs == shape:
        return x
    nd = len(shape)
    if len(xs) > nd:
        raise ValueError(f"Cannot broadcast to shape with fewer dimensions: arr_shape={xs} shape={shape}")
    lead = nd - len(xs)
    for i, d in enumerate(xs):
        if d not in (1, shape[lead + i]):
            raise ValueError(f"Incompatible shapes for broadcasting: {xs} and requested shape {shape}")
    # Size-1 dims that stretch are squeezed first so broadcast_in_dim maps them to new axes.
    keep = [i for i, d in enumerate(xs) if d == shape[lead + i]]
    if len(keep) != len(xs):
        x = structural.reshape(x, tuple(xs[i] for i in keep))
    return structural.broadcast_in_dim(x, shape, tuple(lead + i for i in keep))


def promote_dtypes(*args):
    """Convert args to their common JAX result type (weak types honoured)."""
    arrs = [asarray(a) for a in args]
    if len(arrs) < 2:
        return arrs
    dt, weak = dtypes.result_type_with_weak(*(dtypes.dtype_and_weak(a) for a in arrs))
    return [lax.convert_element_type(a, dt, weak) if get_aval(a).dtype != dt else a for a in arrs]


def promote_dtypes_inexact(*args):
    arrs = promote_dtypes(*args)
    out = []
    for a in arrs:
        aval = get_aval(a)
        if dtypes.kind(aval.dtype) not in "fc":
            a = lax.convert_element_type(a, dtypes.default_float(), aval.weak_type)
        out.append(a)
    return out


# jnp names whose lax primitive has another name (JAX's broadcasting errors name the primitive)
_LAX_NAMES = {"multiply": "mul", "subtract": "sub", "divide": "div", "true_divide": "div", "power": "pow",
              "maximum": "max", "minimum": "min", "remainder": "rem", "arctan2": "atan2", "not_equal": "ne",
              "equal": "eq", "less": "lt", "less_equal": "le", "greater": "gt", "greater_equal": "ge",
              "bitwise_and": "and", "bitwise_or": "or", "bitwise_xor": "xor", "logical_and": "and",
              "logical_or": "or", "logical_xor": "xor"}


def promote_args(name: str, *args):
    check_arraylike(name, *args)
    arrs = promote_dtypes(*args)
    shapes = [get_aval(a).shape for a in arrs]
    try:
        shape = broadcast_shapes(*shapes)
    except ValueError:
        # Like JAX: without rank promotion (one rank among the non-scalars) the lax op itself
        # rejects the shapes, with a TypeError; rank promotion fails with broadcast_shapes' ValueError.
        if len({len(s) for s in shapes if s}) < 2:
            raise TypeError(f"{_LAX_NAMES.get(name, name)} got incompatible shapes for broadcasting: "
                            f"{', '.join(str(tuple(s)) for s in shapes)}.") from None
        raise
    return [broadcast_to(a, shape) for a in arrs]


def promote_args_inexact(name: str, *args):
    check_arraylike(name, *args)
    arrs = promote_dtypes_inexact(*args)
    shape = broadcast_shapes(*(get_aval(a).shape for a in arrs))
    return [broadcast_to(a, shape) for a in arrs]


def canonicalize_axis(axis: int, ndim: int) -> int:
    axis = int(core.concrete_or_error(axis, "axis must be static"))
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for array of dimension {ndim}")
    return axis % ndim


def canonicalize_axes(axis, ndim: int) -> tuple:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        return (canonicalize_axis(axis, ndim),)
    axes = tuple(canonicalize_axis(a, ndim) for a in axis)
    if len(set(axes)) != len(axes):
        raise ValueError(f"repeated axis in {axis}")
    return axes
