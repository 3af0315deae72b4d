"""Set operations: unique (and its array-API variants), isin, intersect1d, union1d, setdiff1d,
setxor1d.

Every result whose length depends on the data takes a static `size=`: the values are computed
in a fixed-size buffer and compacted with `nonzero(size=...)`, so the function traces. Without
`size=` the input must be concrete (JAX's ConcretizationTypeError otherwise); the same code then
runs with `size` set to the number of distinct values it finds.
"""

from __future__ import annotations

import math
import operator
from typing import NamedTuple

from jaxlite._src import core, dtypes
from jaxlite._src.lax import sorting as lsort, structural
from jaxlite._src.numpy import lax_numpy as jnp, reductions
from jaxlite._src.numpy.sorting import argsort, nonzero
from jaxlite._src.numpy.util import asarray, canonicalize_axis, check_arraylike, promote_dtypes

__all__ = ["unique", "unique_all", "unique_counts", "unique_inverse", "unique_values", "isin",
           "intersect1d", "union1d", "setdiff1d", "setxor1d"]

_SIZE_HINT = ("To make jnp.unique() compatible with JIT and other transforms, you can specify a concrete "
              "value for the size argument, which will determine the output size.")


def _static_size(size, name):
    if size is None:
        return None
    return operator.index(core.concrete_or_error(size, f"The error arose for the size argument of jnp.{name}()."))


def _sorted_rows(aux, equal_nan):
    """Sort the slices aux[i] lexicographically. Returns (sorted aux, first-of-run mask, perm)."""
    n, rest = aux.shape[0], aux.shape[1:]
    m = math.prod(rest)
    iota = structural.iota(dtypes.default_int(), n)
    if m == 0 or n == 0:
        # No elements to compare: at most one (empty) slice stands for them all, as in JAX.
        k = min(n, 1) if m == 0 else 0
        return aux[:k], jnp.zeros((k,), bool), iota[:k]
    cols = jnp.reshape(aux, (n, m))
    *_, perm = lsort.sort([cols[:, j] for j in range(m)] + [iota], 0, True, num_keys=m)
    aux = aux[perm]
    a, b = aux[1:], aux[:-1]
    neq = jnp.not_equal(a, b)
    if equal_nan and aux.dtype.kind in "fc":
        neq = jnp.logical_and(neq, jnp.logical_not(jnp.logical_and(jnp.isnan(a), jnp.isnan(b))))
    differs = reductions.any(neq, axis=tuple(range(1, aux.ndim)))
    mask = jnp.concatenate([jnp.ones((1,), bool), differs])
    return aux, mask, perm


def _unique(arr, axis, return_index=False, return_inverse=False, return_counts=False, equal_nan=True,
            size=None, fill_value=None, return_true_size=False):
    if arr.shape[axis] == 0 and size and fill_value is None:
        raise ValueError("jnp.unique: for zero-sized input with nonzero size argument, fill_value must be specified")
    aux, mask, perm = _sorted_rows(jnp.moveaxis(arr, axis, 0), equal_nan)
    count = reductions.sum(mask, dtype=dtypes.int32)
    if size is None:
        size = int(core.concrete_or_error(count, "The error arose in jnp.unique(). " + _SIZE_HINT))
    nonempty = aux.size > 0
    ind = nonzero(mask, size=size)[0] if mask.shape[0] else jnp.zeros((size,), dtypes.int32)
    result = aux[ind] if nonempty else aux
    if fill_value is not None:
        fill = jnp.astype(asarray(fill_value), result.dtype)
        if result.shape[0] and nonempty:
            valid = jnp.reshape(jnp.arange(size) < count, (size,) + (1,) * (result.ndim - 1))
            result = jnp.where(valid, result, fill)
        else:
            result = jnp.full((size,) + result.shape[1:], fill, result.dtype)
    out = [jnp.moveaxis(result, 0, axis)]
    if return_index:
        out.append(perm[ind] if nonempty else perm)
    if return_inverse:
        if nonempty:
            slots = reductions.cumsum(mask) - 1
            out.append(jnp.zeros(mask.shape, dtypes.default_int()).at[perm].set(slots))
        else:
            out.append(jnp.zeros((arr.shape[axis],), dtypes.default_int()))
    if return_counts:
        if nonempty:
            # Run starts, then the end of the last run; padding entries give zero-length runs.
            starts = nonzero(mask, size=size + 1)[0]
            starts = jnp.concatenate([starts[:1], jnp.where(starts[1:] != 0, starts[1:], mask.shape[0])])
            out.append(starts[1:] - starts[:-1])
        elif arr.shape[axis]:
            out.append(jnp.full((1,), arr.shape[axis], dtypes.default_int()))
        else:
            out.append(jnp.zeros((0,), dtypes.default_int()))
    if return_true_size:
        out.append(count)
    return out[0] if len(out) == 1 else tuple(out)


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *, equal_nan=True,
           size=None, fill_value=None, sorted=True):
    """Sorted unique elements of `ar`, optionally with first indices, inverse and counts; under jit, `size=`
    fixes the length.
    """
    check_arraylike("unique", ar)
    arr = asarray(ar)
    if size is None:
        core.concrete_or_error(arr, "The error arose for the first argument of jnp.unique(). " + _SIZE_HINT)
    size = _static_size(size, "unique")
    shape = arr.shape
    if axis is None:
        arr, ax = jnp.ravel(arr), 0
    else:
        ax = canonicalize_axis(axis, arr.ndim)
    out = _unique(arr, ax, return_index, return_inverse, return_counts, equal_nan, size, fill_value)
    if return_inverse and axis is None:
        out = list(out)
        k = 2 if return_index else 1
        out[k] = jnp.reshape(out[k], shape)
        out = tuple(out)
    return out


class UniqueAllResult(NamedTuple):
    values: object
    indices: object
    inverse_indices: object
    counts: object


class UniqueCountsResult(NamedTuple):
    values: object
    counts: object


class UniqueInverseResult(NamedTuple):
    values: object
    inverse_indices: object


def unique_all(x, /, *, size=None, fill_value=None):
    """Unique values with their first indices, inverse indices and counts (array-API form of `unique`)."""
    return UniqueAllResult(*unique(x, True, True, True, equal_nan=False, size=size, fill_value=fill_value))


def unique_counts(x, /, *, size=None, fill_value=None):
    """Unique values and how often each occurs (array-API form of `unique`)."""
    return UniqueCountsResult(*unique(x, return_counts=True, equal_nan=False, size=size, fill_value=fill_value))


def unique_inverse(x, /, *, size=None, fill_value=None):
    """Unique values and the indices that rebuild the input from them (array-API form of `unique`)."""
    return UniqueInverseResult(*unique(x, return_inverse=True, equal_nan=False, size=size, fill_value=fill_value))


def unique_values(x, /, *, size=None, fill_value=None):
    """Unique values of `x`, sorted (array-API form of `unique`)."""
    return unique(x, equal_nan=False, size=size, fill_value=fill_value)


# ---- membership -----------------------------------------------------------------------------------


def _member(a, b, b_valid=None):
    """For each element of 1-d a: is it among the (valid) elements of 1-d b."""
    if a.shape[0] == 0 or b.shape[0] == 0:
        return jnp.zeros(a.shape, bool)
    eq = jnp.equal(a[:, None], b[None, :])
    if b_valid is not None:
        eq = jnp.logical_and(eq, b_valid[None, :])
    return reductions.any(eq, axis=-1)


def isin(element, test_elements, assume_unique=False, invert=False, *, method="auto"):
    """Elementwise test whether each element of `element` occurs in `test_elements` (`invert` negates)."""
    check_arraylike("isin", element, test_elements)
    if method not in ("auto", "compare_all", "binary_search", "sort"):
        raise ValueError(f"method={method!r} is not implemented; options are 'compare_all', 'binary_search', "
                         "'sort', and 'auto'")
    # Every method gives the same answer; comparing all pairs is what 'auto' picks in JAX too.
    a, b = promote_dtypes(element, test_elements)
    found = jnp.reshape(_member(jnp.ravel(a), jnp.ravel(b)), a.shape)
    return jnp.logical_not(found) if invert else found


def _unique_padded(arr):
    """Sorted distinct values of 1-d arr in a buffer of arr's length, how many, and first indices."""
    vals, idx, count = _unique(arr, 0, return_index=True, size=arr.shape[0], fill_value=0, return_true_size=True)
    return vals, jnp.arange(arr.shape[0]) < count, idx


def _compact(vals, keep, size, fill_value):
    """The kept entries of sorted vals, in order, padded to size (with the smallest result by default)."""
    pos = nonzero(keep, size=size, fill_value=vals.shape[0])[0] if keep.shape[0] else jnp.zeros((size,), dtypes.int32)
    count = reductions.sum(keep, dtype=dtypes.int32)
    valid = jnp.arange(size) < count
    out = vals.at[pos].get(mode="fill", fill_value=0) if vals.shape[0] else jnp.zeros((size,), vals.dtype)
    if fill_value is None:
        fill = jnp.where(count > 0, out[0], jnp.zeros((), vals.dtype)) if size else jnp.zeros((), vals.dtype)
    else:
        fill = jnp.astype(asarray(fill_value), vals.dtype)
    return jnp.where(valid, out, fill), pos, valid


def intersect1d(ar1, ar2, assume_unique=False, return_indices=False, *, size=None, fill_value=None):
    """Sorted unique values found in both inputs, optionally with their indices in each."""
    check_arraylike("intersect1d", ar1, ar2)
    a, b = (jnp.ravel(x) for x in promote_dtypes(ar1, ar2))
    size = _static_size(size, "intersect1d")
    n1, n2 = a.shape[0], b.shape[0]
    if size is None:
        if not assume_unique:
            core.concrete_or_error(a, "The error arose in jnp.intersect1d(). " + _SIZE_HINT)
            core.concrete_or_error(b, "The error arose in jnp.intersect1d(). " + _SIZE_HINT)
    if assume_unique:
        order = argsort(a)
        u1, valid1, ind1 = a[order], jnp.ones((n1,), bool), order
        u2, valid2, ind2 = b, jnp.ones((n2,), bool), jnp.arange(n2, dtype=dtypes.default_int())
    else:
        (u1, valid1, ind1), (u2, valid2, ind2) = _unique_padded(a), _unique_padded(b)
    keep = jnp.logical_and(valid1, _member(u1, u2, valid2))
    if size is None:
        size = u1[keep].shape[0]  # a traced mask raises JAX's NonConcreteBooleanIndexError here
    vals, pos, valid = _compact(u1, keep, size, fill_value)
    if not return_indices:
        return vals
    i1 = jnp.where(valid, ind1.at[pos].get(mode="fill", fill_value=n1) if n1 else n1, n1)
    if n1 and n2:
        match = reductions.argmax(jnp.logical_and(jnp.equal(vals[:, None], u2[None, :]), valid2[None, :]), axis=-1)
        i2 = jnp.where(valid, ind2[match], n2)
    else:
        i2 = jnp.full((size,), n2, dtypes.default_int())
    return vals, jnp.astype(i1, dtypes.default_int()), jnp.astype(i2, dtypes.default_int())


def union1d(ar1, ar2, *, size=None, fill_value=None):
    """Sorted unique values found in either 1-D input; under jit, `size=` fixes the length."""
    check_arraylike("union1d", ar1, ar2)
    if size is None:
        for x in (ar1, ar2):
            core.concrete_or_error(x, "The error arose in jnp.union1d(). " + _SIZE_HINT)
    return unique(jnp.concatenate([ar1, ar2], axis=None), size=size, fill_value=fill_value)


def setdiff1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """Sorted unique values of `ar1` that are not in `ar2`; under jit, `size=` fixes the length."""
    check_arraylike("setdiff1d", ar1, ar2)
    a, b = jnp.ravel(asarray(ar1)), jnp.ravel(asarray(ar2))
    size = _static_size(size, "setdiff1d")
    if size is None:
        core.concrete_or_error(a, "The error arose in jnp.setdiff1d(). " + _SIZE_HINT)
    fill = jnp.full((), 0 if fill_value is None else fill_value, a.dtype)
    if a.shape[0] == 0:
        return jnp.full((size or 0,), fill, a.dtype)
    if assume_unique:
        vals, valid = a, jnp.ones(a.shape, bool)
    else:
        vals, valid, _ = _unique_padded(a)
    keep = jnp.logical_and(valid, jnp.logical_not(_member(*promote_dtypes(vals, b))))
    if size is None:
        return vals[keep]  # a traced mask raises JAX's NonConcreteBooleanIndexError here
    return _compact(vals, keep, size, fill)[0]


def setxor1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """Sorted unique values found in exactly one of the two inputs; under jit, `size=` fixes the length."""
    check_arraylike("setxor1d", ar1, ar2)
    a, b = (jnp.ravel(x) for x in promote_dtypes(ar1, ar2))
    size = _static_size(size, "setxor1d")
    if size is None:
        for x in (a, b):
            core.concrete_or_error(x, "The error arose in jnp.setxor1d(). " + _SIZE_HINT)
    if assume_unique:
        u1, v1, u2, v2 = a, jnp.ones(a.shape, bool), b, jnp.ones(b.shape, bool)
    else:
        (u1, v1, _), (u2, v2, _) = _unique_padded(a), _unique_padded(b)
    keep = jnp.concatenate([jnp.logical_and(v1, jnp.logical_not(_member(u1, u2, v2))),
                            jnp.logical_and(v2, jnp.logical_not(_member(u2, u1, v1)))])
    cand = jnp.concatenate([u1, u2])
    if cand.shape[0]:
        # Kept values first, in ascending order.
        _, cand, keep = lsort.sort([jnp.logical_not(keep), cand, keep], 0, True, num_keys=2)
    if size is None:
        size = cand[keep].shape[0]
    return _compact(cand, keep, size, fill_value)[0]
