"""jaxlite.numpy construction from functions and host data: geomspace, fromfunction, frombuffer,
fromstring, from_dlpack, copy; array_equiv and iterable. Host data becomes an Array once, before
any tracing, as in JAX."""

from __future__ import annotations


import numpy as np

from jaxlite._src import core, dtypes
from jaxlite._src.features import partial
from jaxlite._src.lax import lax
from jaxlite._src.numpy import lax_numpy as jnp
from jaxlite._src.numpy.util import asarray, broadcast_shapes, check_arraylike, promote_dtypes_inexact

iterable = np.iterable


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """`num` samples from start to stop spaced evenly on a log scale (a geometric progression)."""
    check_arraylike("geomspace", start, stop)
    dt = dtypes.check_user_dtype(dtype) if dtype is not None else None
    start, stop = promote_dtypes_inexact(start, stop)
    start, stop = asarray(start), asarray(stop)
    compute = start.dtype if dt is None or dt.kind not in "fc" else dtypes.promote_types(start.dtype, dt)
    start, stop = start.astype(compute), stop.astype(compute)
    # NumPy's convention: both endpoints negative gives the mirrored sequence of their magnitudes.
    both_negative = jnp.logical_and(jnp.real(start) < 0, jnp.real(stop) < 0)
    sign = jnp.where(both_negative, -1, 1).astype(compute)
    lo, hi = jnp.log10(start * sign), jnp.log10(stop * sign)
    out = jnp.power(10.0, jnp.linspace(lo, hi, num, endpoint=endpoint, dtype=compute, axis=0)).astype(compute)
    out = out * sign
    out = jnp.moveaxis(out, 0, axis)
    return lax.convert_element_type(out, dt if dt is not None else compute)


def copy(a, order=None):
    """A copy of `a` (a new array with the same values)."""
    check_arraylike("copy", a)
    return jnp.array(a, copy=True, order=order)


def array_equiv(a1, a2):
    """True if a1 and a2 broadcast to one shape and are equal elementwise."""
    check_arraylike("array_equiv", a1, a2)
    a1, a2 = asarray(a1), asarray(a2)
    try:
        broadcast_shapes(a1.shape, a2.shape)
    except ValueError as e:
        raise TypeError(str(e)) from None  # JAX 0.10 raises here rather than returning False
    from jaxlite._src.numpy import reductions
    return reductions.all(jnp.equal(a1, a2))


def fromfunction(function, shape, *, dtype=float, **kwargs):
    """Array whose element at each index (i, j, ...) is `function(i, j, ...)`, computed with vmap over index
    grids. As in JAX, keyword arguments go through every vmap, so each is mapped over its leading axes
    (an array of `shape`, indexed [i, j, ...]); a scalar keyword argument raises vmap's ValueError.
    """
    from jaxlite._src.batching import vmap
    shape = tuple(int(core.concrete_or_error(d, "shape argument of jnp.fromfunction()")) for d in shape)
    fn = function
    # One vmap per axis, innermost last, so the function sees scalars like an elementwise rule.
    for i in range(len(shape)):
        in_axes = tuple(0 if i == j else None for j in range(len(shape)))
        fn = vmap(fn, in_axes=in_axes[::-1])
    return fn(*(jnp.arange(s, dtype=dtype) for s in shape), **kwargs)


def frombuffer(buffer, dtype=float, count=-1, offset=0):
    """1-D array read from a bytes-like `buffer` as `dtype`, skipping `offset` bytes and reading `count` items
    (-1: all).
    """
    return asarray(np.frombuffer(buffer, dtype=_host_dtype(dtype), count=count, offset=offset))


def fromstring(string, dtype=float, count=-1, *, sep):
    """1-D array parsed from text `string` whose numbers are separated by `sep`."""
    return asarray(np.fromstring(string, dtype=_host_dtype(dtype), count=count, sep=sep))


def _host_dtype(dtype):
    return dtypes.default_float() if dtype is float else (dtypes.default_int() if dtype is int else dtype)


def fromfile(*args, **kwargs):
    """Not implemented, as in JAX: reading a file is a side effect; use jnp.asarray(np.fromfile(...))."""
    raise NotImplementedError(
        "jnp.fromfile() is not implemented because it may be non-pure and thus unsafe for use with JIT "
        "and other JAX transformations. Consider using jnp.asarray(np.fromfile(...)) instead, although "
        "care should be taken if np.fromfile is used within jax transformations because of its potential "
        "side-effect of consuming the file object; for more information see `Common Gotchas in JAX`_.")


def fromiter(*args, **kwargs):
    """Not implemented, as in JAX: consuming an iterator is a side effect; use jnp.asarray(np.fromiter(...))."""
    raise NotImplementedError(
        "jnp.fromiter() is not implemented because it may be non-pure and thus unsafe for use with JIT "
        "and other JAX transformations. Consider using jnp.asarray(np.fromiter(...)) instead, although "
        "care should be taken if np.fromiter is used within jax transformations because of its potential "
        "side-effect of consuming the iterable object; for more information see `Common Gotchas in JAX`_.")


@partial("goes through numpy.from_dlpack: host (CPU) producers only, always a copy; device= is ignored")
def from_dlpack(x, /, *, device=None, copy=None):
    """Array from an object that implements the DLPack protocol.

    Differs from JAX: goes through numpy.from_dlpack, so host (CPU) producers only, always a copy; `device=`
    is ignored.
    """
    if hasattr(x, "aval"):
        return jnp.array(x, copy=bool(copy))
    return asarray(np.from_dlpack(x))
