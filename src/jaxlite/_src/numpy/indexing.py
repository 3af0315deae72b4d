"""NumPy indexing (`x[idx]`) and functional updates (`x.at[idx].set(v)`), NumPy's rules exactly:
basic indices (ints, slices, None, Ellipsis) become slices/reshapes, advanced indices (integer
arrays, concrete boolean masks) one gather, with the broadcast index dims placed where NumPy puts
them. Out-of-bounds indices follow JAX: a negative index wraps once (i + n), then reads clamp
(or fill, with mode="fill") and updates are dropped (or clamp, with mode="clip").
"""

from __future__ import annotations

import math

import numpy as np

from jaxlite._src import core, dispatch, dtypes
from jaxlite._src.array import ArrayImpl
from jaxlite._src.core import get_aval
from jaxlite._src.lax import lax, structural
from jaxlite._src.lax.slicing import GatherDimensionNumbers, ScatterDimensionNumbers, gather
from jaxlite._src.lax import slicing
from jaxlite._src.numpy.util import asarray, broadcast_shapes, broadcast_to, is_array


class NonConcreteBooleanIndexError(IndexError):
    def __init__(self, tracer):
        super().__init__(
            f"Array boolean indices must be concrete; got {tracer}\n"
            "A boolean mask selects a data-dependent number of elements, so it cannot be traced. "
            "Use jnp.where(mask, x, other) (or pass size= to jnp.nonzero) instead.")


def _is_int_scalar(i) -> bool:
    if isinstance(i, (bool, np.bool_)):
        return False
    if isinstance(i, (int, np.integer)):
        return True
    return is_array(i) and get_aval(i).ndim == 0 and get_aval(i).dtype.kind in "iu"


def _is_advanced(i) -> bool:
    if isinstance(i, (list, np.ndarray)):
        return True
    return is_array(i) and (get_aval(i).ndim > 0 or get_aval(i).dtype == np.bool_)


def _expand(x, idx):
    """Normalise idx to a tuple with Ellipsis expanded, None materialised as new size-1 axes and
    boolean masks turned into integer arrays. Returns (x reshaped, entries)."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    entries = []
    for i in idx:
        if isinstance(i, list):
            i = np.asarray(i) if not any(is_array(e) for e in i) else asarray(i)
            if isinstance(i, np.ndarray) and i.dtype == object:
                raise TypeError("Using a non-tuple sequence for multidimensional indexing is not allowed")
            if isinstance(i, np.ndarray) and i.size == 0:
                i = i.astype(np.int32)
        if isinstance(i, (float, np.floating)) or (is_array(i) and get_aval(i).dtype.kind in "fc") or \
                (isinstance(i, np.ndarray) and i.dtype.kind in "fc"):
            raise TypeError(f"Indexer must have integer or boolean type, got indexer with type "
                             f"{getattr(i, 'dtype', type(i).__name__)}")
        if isinstance(i, str):
            raise TypeError(f"JAX does not support string indexing; got idx={idx!r}")
        entries.append(i)
    consumed = sum(_ndim_consumed(i) for i in entries if i is not None and i is not Ellipsis)
    nd = get_aval(x).ndim
    ellipses = [k for k, i in enumerate(entries) if i is Ellipsis]
    if len(ellipses) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > nd:
        raise IndexError(f"Too many indices: {nd}-dimensional array indexed with {consumed} regular indices.")
    if ellipses:
        k = ellipses[0]
        entries[k:k + 1] = [slice(None)] * (nd - consumed)
    else:
        entries += [slice(None)] * (nd - consumed)
    # Materialise None as size-1 axes, boolean masks as integer arrays.
    out, dim, new_shape = [], 0, []
    shape = get_aval(x).shape
    for i in entries:
        if i is None or (_is_bool_mask(i) and np.ndim(_concrete_mask(i)) == 0):
            # A scalar boolean adds an axis, of length 1 (True) or 0 (False), as in NumPy.
            new_shape.append(1)
            out.append(slice(None) if i is None or bool(_concrete_mask(i)) else slice(0, 0))
            continue
        if _is_bool_mask(i):
            mask = _concrete_mask(i)
            if mask.shape != shape[dim:dim + mask.ndim]:
                raise IndexError(f"boolean index did not match shape of indexed array in index {dim}: got "
                                 f"{mask.shape}, expected {shape[dim:dim + mask.ndim]}")
            for nz in np.nonzero(mask):
                out.append(nz.astype(np.int32))
                new_shape.append(shape[dim])
                dim += 1
            continue
        out.append(i)
        new_shape.append(shape[dim])
        dim += 1
    if tuple(new_shape) != shape:
        x = structural.reshape(x, tuple(new_shape))
    return x, out


def _ndim_consumed(i) -> int:
    if _is_bool_mask(i) and (np.ndim(i) if not is_array(i) else get_aval(i).ndim) == 0:
        return 0
    if _is_bool_mask(i):
        return np.ndim(i) if not is_array(i) else get_aval(i).ndim
    return 1


def _is_bool_mask(i) -> bool:
    if isinstance(i, (bool, np.bool_)):
        return True
    if isinstance(i, np.ndarray):
        return i.dtype == np.bool_
    return is_array(i) and get_aval(i).dtype == np.bool_


def _concrete_mask(i) -> np.ndarray:
    if isinstance(i, core.Tracer):
        raise NonConcreteBooleanIndexError(i)
    return np.asarray(i, dtype=bool)


def _check_nonempty(n, axis):
    if n == 0:  # there is nothing to clamp to (XLA rejects it), so JAX raises
        raise IndexError(f"index is out of bounds for axis {axis} with size 0")


def _normalize_int(i, n, axis):
    """A negative index counts from the end, once (JAX's rule): -1 is n - 1, -n - 1 stays out of
    bounds. Static ints stay Python ints, possibly out of range."""
    if isinstance(i, (int, np.integer)):
        i = int(i)
        return i + n if i < 0 else i
    i = asarray(i)
    if i.dtype.kind == "u":
        return i
    return lax.select_n(lax.lt(i, 0), i, lax.add(i, n))


def _basic_slices(x, entries, keep_ints: bool):
    """Apply slice entries (and int entries unless keep_ints) with static slicing ops."""
    shape = get_aval(x).shape
    starts, limits, strides, flips, squeeze, rest = [], [], [], [], [], []
    for axis, (i, n) in enumerate(zip(entries, shape)):
        if isinstance(i, slice):
            start, stop, step = (core.concrete_or_error(v, "slice bounds must be static") for v in (i.start, i.stop, i.step))
            start, stop, step = slice(start, stop, step).indices(n)
            if step < 0:
                flips.append(axis)
                # Equivalent increasing slice on the reversed axis.
                count = len(range(start, stop, step))
                start = n - 1 - start
                stop = start + (count - 1) * (-step) + 1 if count else start
                step = -step
            else:
                count = len(range(start, stop, step))
                stop = start + (count - 1) * step + 1 if count else start
            starts.append(start), limits.append(stop), strides.append(step)
            rest.append(None)
        elif _is_int_scalar(i) and not keep_ints and not isinstance(i, core.Tracer) and not is_array(i):
            _check_nonempty(n, axis)
            k = min(max(_normalize_int(i, n, axis), 0), n - 1)  # reads clamp, as XLA's gather does
            starts.append(k), limits.append(k + 1), strides.append(1)
            squeeze.append(axis)
            rest.append("sq")
        else:
            starts.append(0), limits.append(n), strides.append(1)
            rest.append(i)
    if flips:
        x = structural.rev(x, tuple(flips))
    x = structural.slice(x, starts, limits, strides)
    remaining = [r for r in rest if not (isinstance(r, str) and r == "sq")]
    if squeeze:
        x = structural.squeeze(x, tuple(squeeze))
    return x, remaining


def rewriting_take(x, idx, mode=None, fill_value=None):
    """x[idx]; mode None reads out-of-bounds indices clamped (JAX's "promise_in_bounds" on XLA)."""
    x = asarray(x)
    mode = None if mode is None else slicing.GatherScatterMode.from_any(mode)
    if fill_value is not None and np.ndim(fill_value) != 0:
        raise ValueError("fill_value argument to indexed get() must be a scalar")
    x, entries = _expand(x, idx)
    advanced = [k for k, i in enumerate(entries) if _is_advanced(i)]
    if mode == slicing.GatherScatterMode.FILL_OR_DROP:
        # Only a gather can fill: every integer index becomes an index array.
        shape = get_aval(x).shape
        for k, i in enumerate(entries):
            if _is_int_scalar(i):
                _check_nonempty(shape[k], k)
                entries[k] = asarray(i) if is_array(i) else asarray(_int32_index(i, shape[k]))
                advanced.append(k)
    if not advanced:
        # Static ints and slices; traced scalar ints become dynamic slices.
        x, remaining = _basic_slices(x, entries, keep_ints=False)
        dyn = [(k, i) for k, i in enumerate(remaining) if i is not None]
        if not dyn:
            return x
        shape = get_aval(x).shape
        starts = [0] * len(shape)
        sizes = list(shape)
        for k, i in dyn:
            _check_nonempty(shape[k], k)
            starts[k] = _normalize_int(i, shape[k], k)  # dynamic_slice clamps
            sizes[k] = 1
        out = structural.dynamic_slice(x, starts, sizes)
        return structural.squeeze(out, tuple(k for k, _ in dyn))
    # Integer scalars next to arrays are advanced indices too (NumPy's rule).
    entries = [asarray(_int32_index(i, get_aval(x).shape[k])) if isinstance(i, (int, np.integer))
               and not isinstance(i, bool) else i for k, i in enumerate(entries)]
    x, remaining = _basic_slices(x, entries, keep_ints=True)
    adv_axes = [k for k, i in enumerate(remaining) if i is not None]
    shape = get_aval(x).shape
    idx_arrays = []
    for k in adv_axes:
        a = asarray(remaining[k])
        if a.dtype.kind not in "iu":
            raise TypeError(f"Indexer must have integer or boolean type, got indexer with type {a.dtype.name}")
        idx_arrays.append(_normalize_int(a, shape[k], k))
    bshape = broadcast_shapes(*(get_aval(a).shape for a in idx_arrays))
    idx_arrays = [lax.convert_element_type(broadcast_to(a, bshape), dtypes.int32) for a in idx_arrays]
    indices = structural.concatenate([structural.expand_dims(a, (len(bshape),)) for a in idx_arrays], len(bshape))
    contiguous = adv_axes == list(range(adv_axes[0], adv_axes[0] + len(adv_axes)))
    nb = len(bshape)
    rest_axes = [k for k in range(len(shape)) if k not in adv_axes]
    if contiguous:
        first = adv_axes[0]
        offset_dims = tuple(p if k < first else p + nb for p, k in enumerate(rest_axes))
    else:
        offset_dims = tuple(nb + p for p in range(len(rest_axes)))
    dn = GatherDimensionNumbers(offset_dims=offset_dims, collapsed_slice_dims=tuple(adv_axes),
                                start_index_map=tuple(adv_axes))
    slice_sizes = tuple(1 if k in adv_axes else d for k, d in enumerate(shape))
    return gather(x, indices, dn, slice_sizes, mode=mode, fill_value=fill_value)


def _int32_index(i, n):
    """A static int as an int32 index; one far out of range keeps its side (and stays out)."""
    i = int(i)
    return np.int32(min(max(i, -n - 1), n))


def getitem(x, idx):
    if type(x) is ArrayImpl and x.shape and not x._committed and dispatch.eager_ok():
        t = type(idx)
        if t is int or t is slice:
            out = _take_leading(x, idx, t is int)
            if out is not None:
                return out
    return rewriting_take(x, idx)


# ---- eager x[i] and x[start:stop] ------------------------------------------------------------------
# On a C-ordered array both select one contiguous run of the flat data: x[i] is the run at
# i * inner of inner elements, x[a:b] the run at a * inner of (b - a) * inner. Eagerly on a kernel
# device that is one copy kernel with its start passed at launch, compiled once per (array type,
# run length) however many indices are read, and no jnp machinery per call. Elsewhere (the cpu
# device) the operation is replayed per static index (dispatch.eager_cached).

# (device, id of x's interned aval) for x[int], (..., start, stop, step) for x[slice] -> (device,
# launch(buffer, start parameter) -> buffer, output aval, start parameter conversion, rows,
# elements per row, a slice's start as a parameter, x's aval (kept: its id stays unique)), or None
# where the device has no such kernel.
_runs: dict = {}
dispatch.replay_caches.append(_runs)


def _take_leading(x, idx, is_int: bool):
    key = (x._device, id(x.aval)) if is_int else (x._device, id(x.aval), idx.start, idx.stop, idx.step)
    hit = _runs.get(key, False)
    if hit is False:
        aval = x.aval
        if dispatch.interned(aval) is not aval:  # keys hold interned avals (their ids stay unique)
            dispatch.intern(x)
            return None
        n = aval.shape[0]
        if not aval.size:
            return None  # nothing to read: the ordinary path (and its IndexError for x[i])
        if is_int:
            start, length = 0, 1
        else:
            start, stop, step = idx.indices(n)
            if step != 1 or stop <= start:
                return None
            length = stop - start
        hit = _runs[key] = _leading_run(x, is_int, start, length)
    if hit is None or hit[0] is not x._device or type(x._buf) is hit[0].const_type:
        return _eager_cached_take(x, idx, is_int)
    dev, launch, out_aval, convert, n, inner, start, _ = hit
    if is_int:
        if not -n <= idx < n:
            return None  # the ordinary path clamps, as JAX does
        return ArrayImpl(out_aval, launch(x._buf, convert(idx % n * inner)), dev)
    return ArrayImpl(out_aval, launch(x._buf, start), dev)


def _leading_run(x, is_int: bool, start: int, length: int):
    """The device's launch of one contiguous copy of length rows from a launch-time start, or
    None."""
    dev, aval = x._device, x.aval
    with_params = getattr(dev, "const_type", None) and getattr(dev, "executor", None)
    if not with_params or aval.size >= 1 << 31:
        return None
    inner = math.prod(aval.shape[1:])
    size = length * inner
    flat = core.ShapedArray((aval.size,), aval.dtype, aval.weak_type)
    idx = core.ShapedArray((), np.dtype(np.int32))
    params = dict(slice_sizes=(size,))
    (window,) = core.abstract_eval(structural.dynamic_slice_p, (flat, idx), params)
    run = dev.executor(structural.dynamic_slice_p, (flat, idx), params, [window])
    launch = getattr(run, "with_params", lambda mask: None)((False, True))
    if launch is None:
        return None
    shape = aval.shape[1:] if is_int else (length, *aval.shape[1:])
    out = dispatch.interned(core.ShapedArray(shape, aval.dtype, aval.weak_type))
    if len(_runs) > 4096:
        _runs.clear()
    # launch(buffer, start parameter) -> buffer: the launcher's list-free form where it has one
    one = getattr(launch, "one_param", None) or (lambda b, p: launch([b], (p,))[0])
    convert = dev.param_converter(np.int32)
    return dev, one, out, convert, aval.shape[0], inner, convert(start * inner), aval


def _eager_cached_take(x, idx, is_int: bool):
    key = ("getitem", id(x.aval), idx if is_int else (idx.start, idx.stop, idx.step))
    return dispatch.eager_cached(key, lambda v: rewriting_take(v, idx), (x,))


def unstack(x, axis=0):
    x = asarray(x)
    n = get_aval(x).shape[axis]
    return [structural.index_in_dim(x, i, axis, keepdims=False) for i in range(n)]


# ---- x.at[idx] --------------------------------------------------------------------------------------


def _static_basic(idx) -> bool:
    """idx selects a box of x: ints (static or traced scalars), unit-step slices and Ellipsis."""
    idx = idx if isinstance(idx, tuple) else (idx,)
    for i in idx:
        if i is Ellipsis:
            continue
        if isinstance(i, slice):
            if i.step not in (None, 1) or isinstance(i.start, core.Tracer) or isinstance(i.stop, core.Tracer):
                return False
            continue
        if _is_int_scalar(i) and not _is_bool_mask(i):
            continue
        return False
    return True


def _scatter_update(x, idx, values, op: str, mode=None, unique_indices=False, indices_are_sorted=False):
    x = asarray(x)
    values = asarray(values)
    mode = slicing.GatherScatterMode.from_any(mode)
    clip = mode == slicing.GatherScatterMode.CLIP
    if values.dtype != x.dtype:
        values = lax.convert_element_type(values, x.dtype)
    if _static_basic(idx) and op == "set":
        return _box_update(x, idx, values, clip)
    # General case: read the flat positions idx selects (an iota indexed the same way), then
    # scatter into the flattened array. Out-of-bounds positions read as -1 and are dropped.
    size = get_aval(x).size
    pos = structural.reshape(structural.iota(dtypes.int32, size), get_aval(x).shape)
    flat_idx = rewriting_take(pos, idx, mode="clip") if clip else rewriting_take(pos, idx, mode="fill", fill_value=-1)
    upd = broadcast_to(values, get_aval(flat_idx).shape)
    flat_x = structural.reshape(x, (size,))
    nb = get_aval(flat_idx).ndim
    dn = ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,))
    fn = {"set": slicing.scatter, "add": slicing.scatter_add, "mul": slicing.scatter_mul,
          "min": slicing.scatter_min, "max": slicing.scatter_max}[op]
    out = fn(flat_x, structural.expand_dims(flat_idx, (nb,)), upd, dn, mode=mode,
             unique_indices=unique_indices, indices_are_sorted=indices_are_sorted)
    return structural.reshape(out, get_aval(x).shape)


def _box_update(x, idx, values, clip: bool):
    """x.at[ints and unit slices].set(values) as one dynamic_update_slice. An int index out of
    range drops the update (or clamps, with mode="clip"); a traced one writes the box back
    unchanged, so the cost stays the size of the box."""
    xx, entries = _expand(x, idx)
    shape = get_aval(xx).shape
    starts, sizes, squeezed, ok = [], [], [], True
    for k, (i, n) in enumerate(zip(entries, shape)):
        if isinstance(i, slice):
            s, e, _ = i.indices(n)
            starts.append(s)
            sizes.append(max(e - s, 0))
            continue
        _check_nonempty(n, k)
        i = _normalize_int(i, n, k)
        if isinstance(i, int):
            ok = ok and (clip or 0 <= i < n)
            i = min(max(i, 0), n - 1)
        elif not clip:
            inside = lax.bitwise_and(lax.ge(i, 0), lax.lt(i, n))
            ok = inside if ok is True else lax.bitwise_and(ok, inside)
        starts.append(i)
        sizes.append(1)
        squeezed.append(k)
    box = tuple(sz for k, sz in enumerate(sizes) if k not in squeezed)
    vals = broadcast_to(values, box)
    if ok is False:
        return x
    vals = structural.reshape(vals, tuple(sizes))
    if ok is not True:
        vals = lax.select_n(broadcast_to(ok, tuple(sizes)), structural.dynamic_slice(xx, starts, sizes), vals)
    out = structural.dynamic_update_slice(xx, vals, starts)
    return structural.reshape(out, get_aval(x).shape)


class _IndexUpdateRef:
    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array, self.index = array, index

    def __repr__(self):
        return f"_IndexUpdateRef({self.array!r}, {self.index!r})"

    def get(self, *, indices_are_sorted=False, unique_indices=False, mode=None, fill_value=None):
        return rewriting_take(self.array, self.index, mode=mode, fill_value=fill_value)

    def set(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return _scatter_update(self.array, self.index, values, "set", mode, unique_indices, indices_are_sorted)

    def add(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return _scatter_update(self.array, self.index, values, "add", mode, unique_indices, indices_are_sorted)

    def subtract(self, values, **kw):
        return self.add(lax.neg(asarray(values)), **kw)

    def multiply(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return _scatter_update(self.array, self.index, values, "mul", mode, unique_indices, indices_are_sorted)

    mul = multiply

    def divide(self, values, **kw):
        from jaxlite._src.numpy.lax_numpy import divide as jdiv
        x = asarray(self.array)
        return self.set(jdiv(self.get(), values).astype(x.dtype) if x.dtype.kind in "fc" else jdiv(self.get(), values), **kw)

    def power(self, values, **kw):
        from jaxlite._src.numpy.lax_numpy import power
        return self.set(power(self.get(), values), **kw)

    def min(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return _scatter_update(self.array, self.index, values, "min", mode, unique_indices, indices_are_sorted)

    def max(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return _scatter_update(self.array, self.index, values, "max", mode, unique_indices, indices_are_sorted)

    def apply(self, func, **kw):
        return self.set(func(self.get()), **kw)


class AtIndexer:
    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, index):
        return _IndexUpdateRef(self.array, index)
