"""jaxlite.numpy index helpers: r_/c_, mgrid/ogrid, ix_, indices, and the triangle/diagonal
index functions. Slices given to the grid objects must be concrete (they fix the shape)."""

from __future__ import annotations

import builtins

import numpy as np

from jaxlite._src import core, dtypes
from jaxlite._src.lax import lax, structural
from jaxlite._src.numpy import lax_numpy as jnp
from jaxlite._src.numpy.util import asarray, check_arraylike, promote_dtypes

s_ = np.s_
index_exp = np.index_exp


def _grid_1d(s: slice, op_name: str):
    def static(v, what):
        return core.concrete_or_error(v, f"slice {what} of jnp.{op_name}")
    start = static(s.start, "start") or 0
    stop = static(s.stop, "stop")
    step = static(s.step, "step") or 1
    if np.iscomplexobj(step):
        return jnp.linspace(start, stop, int(builtins.abs(step)))
    return jnp.arange(start, stop, step)


class _Grid:
    """mgrid and ogrid: index with slices to get a dense (mgrid, stacked) or open (ogrid, a list of
    broadcastable arrays) mesh grid; a complex step such as 5j means 5 points with the end included."""

    def __init__(self, sparse: bool, op_name: str):
        self.sparse, self.op_name = sparse, op_name

    def __getitem__(self, key):
        if isinstance(key, slice):
            return _grid_1d(key, self.op_name)
        axes = promote_dtypes(*(_grid_1d(k, self.op_name) for k in key))
        grids = jnp.meshgrid(*axes, indexing="ij", sparse=self.sparse)
        return grids if self.sparse else jnp.stack(grids, 0)


mgrid = _Grid(False, "mgrid")
ogrid = _Grid(True, "ogrid")


class _AxisConcat:
    """r_ and c_: concatenate slices (as aranges), scalars and arrays along an axis; a leading
    string directive 'axis,ndmin,trans1d' or 'r'/'c' (row/column matrix) overrides the defaults."""

    def __init__(self, axis, ndmin, trans1d, op_name):
        self.axis, self.ndmin, self.trans1d, self.op_name = axis, ndmin, trans1d, op_name

    def __getitem__(self, key):
        key = key if isinstance(key, tuple) else (key,)
        axis, ndmin, trans1d, matrix = self.axis, self.ndmin, self.trans1d, -1
        if key and isinstance(key[0], str):
            directive, key = key[0], key[1:]
            if directive in ("r", "c"):
                matrix = 0 if directive == "r" else 1
            else:
                parts = directive.split(",")
                defaults = [axis, ndmin, trans1d, matrix]
                parts = parts[:3] + [matrix] if len(parts) >= 4 else parts + defaults[len(parts):]
                try:
                    axis, ndmin, trans1d, matrix = (int(p) for p in parts)
                except ValueError as err:
                    raise ValueError(f"could not understand directive {directive!r}") from err
        out = []
        for item in key:
            if isinstance(item, slice):
                arr, item_ndim = _grid_1d(item, self.op_name), 0
            elif isinstance(item, str):
                raise ValueError("string directive must be placed at the beginning")
            else:
                arr = jnp.array(item, copy=False)
                item_ndim = arr.ndim
            arr = jnp.array(arr, copy=False, ndmin=ndmin)
            if trans1d != -1 and ndmin - item_ndim > 0:
                # Where the original axes go among the new ones: numpy's left rotation by trans1d.
                shifts = ndmin - builtins.abs(ndmin + trans1d + 1) % ndmin
                order = tuple(range(ndmin))
                arr = jnp.transpose(arr, order[shifts:] + order[:shifts])
            out.append(arr)
        res = jnp.concatenate(tuple(out), axis=axis)
        if matrix != -1 and res.ndim == 1:
            res = jnp.expand_dims(res, matrix)
        return res

    def __len__(self):
        return 0


r_ = _AxisConcat(0, 1, -1, "r_")
c_ = _AxisConcat(-1, 2, 0, "c_")


def ix_(*args):
    """Open mesh from 1-D sequences: arrays shaped to broadcast against each other for outer indexing."""
    check_arraylike("ix", *args)
    n = len(args)
    out = []
    for i, a in enumerate(args):
        a = asarray(a)
        if a.ndim != 1:
            raise ValueError(f"Arguments to jax.numpy.ix_ must be 1-dimensional, got shape {a.shape}")
        if a.dtype == np.bool_:
            raise NotImplementedError("Boolean arguments to jax.numpy.ix_ are not implemented")
        shape = [1] * n
        shape[i] = a.shape[0]
        if a.size == 0:
            out.append(lax.full(tuple(shape), 0, dtypes.default_int()))
        else:
            out.append(structural.broadcast_in_dim(a, tuple(shape), (i,)))
    return tuple(out)


def indices(dimensions, dtype=None, sparse=False):
    """Array of index grids for an array of shape `dimensions` (a tuple of open grids if `sparse`)."""
    dt = dtypes.check_user_dtype(dtype) if dtype is not None else dtypes.default_int()
    dims = tuple(int(core.concrete_or_error(d, "dimensions argument of jnp.indices")) for d in dimensions)
    nd = len(dims)
    out = []
    for i, d in enumerate(dims):
        shape = tuple(d if j == i else 1 for j in range(nd))
        idx = structural.broadcast_in_dim(structural.iota(dt, d), shape, (i,))
        out.append(idx if sparse else structural.broadcast_in_dim(idx, dims, tuple(range(nd))))
    if sparse:
        return tuple(out)
    return jnp.stack(out, 0) if out else lax.full((0,), 0, dt)


def diag_indices(n, ndim=2):
    """Index arrays addressing the main diagonal of an n x ... x n array with `ndim` axes."""
    n = int(core.concrete_or_error(n, "n argument of jnp.diag_indices"))
    ndim = int(core.concrete_or_error(ndim, "ndim argument of jnp.diag_indices"))
    if n < 0:
        raise ValueError(f"n argument to diag_indices must be nonnegative, got {n}")
    if ndim < 0:
        raise ValueError(f"ndim argument to diag_indices must be nonnegative, got {ndim}")
    return (structural.iota(dtypes.default_int(), n),) * ndim


def diag_indices_from(arr):
    """Index arrays addressing the main diagonal of the square array `arr`."""
    check_arraylike("diag_indices_from", arr)
    shape = jnp.shape(arr)
    if len(shape) < 2:
        raise ValueError("input array must be at least 2-d")
    if len(set(shape)) != 1:
        raise ValueError("All dimensions of input must be of equal length")
    return diag_indices(shape[0], len(shape))


def _nonzero_static(mask):
    i, j = np.nonzero(mask)
    return asarray(i.astype(dtypes.default_int())), asarray(j.astype(dtypes.default_int()))


def _static_int(v, what):
    return int(core.concrete_or_error(v, f"{what} must be static"))


def tril_indices(n, k=0, m=None):
    """Row and column indices of the lower triangle (at and below diagonal k) of an n x m array."""
    n, k = _static_int(n, "n argument of jnp.tril_indices"), _static_int(k, "k argument of jnp.tril_indices")
    m = n if m is None else _static_int(m, "m argument of jnp.tril_indices")
    return _nonzero_static(np.tri(n, m, k, dtype=bool))


def triu_indices(n, k=0, m=None):
    """Row and column indices of the upper triangle (at and above diagonal k) of an n x m array."""
    n, k = _static_int(n, "n argument of jnp.triu_indices"), _static_int(k, "k argument of jnp.triu_indices")
    m = n if m is None else _static_int(m, "m argument of jnp.triu_indices")
    return _nonzero_static(~np.tri(n, m, k - 1, dtype=bool))


def tril_indices_from(arr, k=0):
    """Row and column indices of the lower triangle of the 2-D array `arr`."""
    shape = jnp.shape(arr)
    if len(shape) != 2:
        raise ValueError("Only 2-D inputs are accepted")
    return tril_indices(shape[0], k, shape[1])


def triu_indices_from(arr, k=0):
    """Row and column indices of the upper triangle of the 2-D array `arr`."""
    shape = jnp.shape(arr)
    if len(shape) != 2:
        raise ValueError("Only 2-D inputs are accepted")
    return triu_indices(shape[0], k, shape[1])


def mask_indices(n, mask_func, k=0, *, size=None):
    """Indices where `mask_func(ones((n, n)), k)` is nonzero (e.g. mask_func=triu)."""
    from jaxlite._src.numpy.sorting import nonzero
    return nonzero(mask_func(jnp.ones((n, n)), k), size=size)
