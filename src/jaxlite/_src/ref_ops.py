"""jax.ref's functional accessors of mutable refs, and jax.ds (dynamic slices for indexing)."""

from __future__ import annotations

from jaxlite import numpy as jnp
from jaxlite._src import core
from jaxlite._src.features import partial


def _index(idx):
    return ... if idx is None else idx


def get(ref, idx=None):
    """ref[idx] (the whole value when idx is None)."""
    return ref[_index(idx)]


def set(ref, idx, value) -> None:  # noqa: A001  (JAX's name)
    """ref[idx] = value."""
    ref[_index(idx)] = value


def swap(ref, idx, value):
    """Write value at ref[idx] and return what was there."""
    old = ref[_index(idx)]
    ref[_index(idx)] = value
    return old


def addupdate(ref, idx, x) -> None:
    """ref[idx] += x."""
    idx = _index(idx)
    ref[idx] = ref[idx] + x


@partial("a static start gives a Python slice, a traced one an integer index array (a gather or scatter); "
         "JAX instead moves a window that runs past the end back inside when reading, and drops it whole "
         "when writing: here it is cut short (static start) or each index is clamped or dropped (traced)")
def dslice(start, size=None, stride=None):
    """start:start+size:stride as an index whose start may be traced: x[jax.ds(i, 2)]."""
    if start is None:
        return slice(None)
    if stride is None:
        stride = 1
    if not isinstance(stride, int):
        raise ValueError("Non-static stride in `dslice`")
    if size is None:
        start, size = 0, start
    size = int(core.concrete_or_error(size, "The size of jax.ds must be static."))
    if isinstance(start, core.Tracer):
        return start + jnp.arange(size, dtype=start.aval.dtype) * stride
    start = int(start)
    return slice(start, start + size * stride, stride)
