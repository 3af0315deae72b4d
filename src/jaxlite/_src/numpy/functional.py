"""Functional tools: select, piecewise, vectorize, apply_along_axis, apply_over_axes, ufunc,
frompyfunc. Everything maps Python functions with vmap, scan and fori_loop, so it traces."""

from __future__ import annotations

import functools
import math
import re

import numpy as np

from jaxlite._src import dtypes
from jaxlite._src.batching import vmap
from jaxlite._src.jit import eval_shape
from jaxlite._src.lax import lax
from jaxlite._src.lax.control_flow import fori_loop, scan, switch
from jaxlite._src.numpy import lax_numpy as jnp, reductions
from jaxlite._src.numpy.util import (asarray, broadcast_shapes, canonicalize_axis, check_arraylike,
                                     promote_dtypes)

__all__ = ["select", "piecewise", "vectorize", "apply_along_axis", "apply_over_axes", "ufunc", "frompyfunc"]


def select(condlist, choicelist, default=0):
    """Pick from `choicelist[i]` where `condlist[i]` is the first true condition, `default` where none is."""
    if len(condlist) != len(choicelist):
        raise ValueError(f"condlist must have length equal to choicelist ({len(condlist)} vs {len(choicelist)})")
    if not condlist:
        raise ValueError("condlist must be non-empty")
    check_arraylike("select", *condlist, *choicelist, default)
    choices = promote_dtypes(default, *choicelist)
    conds = [jnp.astype(asarray(c), bool) for c in condlist]
    shape = broadcast_shapes(*(c.shape for c in conds), *(c.shape for c in choices))
    # Case 0 is the default; the first true condition k picks case k + 1.
    which = reductions.argmax(jnp.stack([jnp.broadcast_to(c, shape) for c in [asarray(False)] + conds]), axis=0)
    return lax.select_n(which, *(jnp.broadcast_to(c, shape) for c in choices))


def piecewise(x, condlist, funclist, *args, **kw):
    """Evaluate `funclist[i]` where `condlist[i]` holds (a trailing extra function is the default)."""
    check_arraylike("piecewise", x)
    x = asarray(x)
    nc, nf = len(condlist), len(funclist)
    if nf == nc + 1:
        funclist = list(funclist[-1:]) + list(funclist[:-1])
    elif nf == nc:
        funclist = [0] + list(funclist)
    else:
        raise ValueError(f"with {nc} condition(s), either {nc} or {nc + 1} functions are expected; got {nf}")
    conds = jnp.astype(asarray(condlist), bool)
    # Branch k + 1 for the last true condition k, branch 0 (the "otherwise" one) when none holds.
    stacked = jnp.concatenate([jnp.zeros_like(conds[:1]), conds], 0)
    index = reductions.argmax(reductions.cumsum(stacked, axis=0), axis=0)

    def branch(f):
        if callable(f):
            return lambda v: jnp.astype(asarray(f(v, *args, **kw)), x.dtype)
        return lambda v: jnp.astype(asarray(f), x.dtype)
    branches = [branch(f) for f in funclist]
    return vectorize(lambda i, v: switch(i, branches, v))(index, x)


# ---- vectorize ------------------------------------------------------------------------------------

_DIMS = r"\((?:\w+(?:,\s*\w+)*)?\)"
_SIGNATURE = re.compile(rf"^\s*{_DIMS}(?:\s*,\s*{_DIMS})*\s*->\s*{_DIMS}(?:\s*,\s*{_DIMS})*\s*$")


def _parse_signature(signature):
    if not _SIGNATURE.match(signature):
        raise ValueError(f"not a valid gufunc signature: {signature}")
    ins, outs = signature.split("->")
    parse = lambda s: [tuple(re.findall(r"\w+", group)) for group in re.findall(_DIMS, s)]
    return parse(ins), parse(outs)


def _bind_dims(sizes, shape, dims, context, is_input=True):
    if len(shape) < len(dims):
        what = "input" if is_input else "output"
        raise ValueError(f"{what} with shape {shape} does not have enough dimensions for its core dimensions "
                         f"{dims} {context}")
    for name, size in zip(dims, shape[len(shape) - len(dims):]):
        if sizes.setdefault(name, size) != size:
            raise ValueError(f"inconsistent size for core dimension {name!r}: {size} vs {sizes[name]} {context}")


def _with_excluded(func, excluded, args, kwargs):
    """func of the non-excluded arguments only, the excluded ones bound as constants."""
    fixed = {i: args[i] for i in excluded if isinstance(i, int) and i < len(args)}
    fixed_kw = {k: v for k, v in kwargs.items() if k in excluded}
    rest = [a for i, a in enumerate(args) if i not in fixed]
    rest_kw = {k: v for k, v in kwargs.items() if k not in excluded}

    def bound(*dyn):
        dyn = list(dyn)
        full = [fixed[i] if i in fixed else dyn.pop(0) for i in range(len(rest) + len(fixed))]
        return func(*full, **fixed_kw, **rest_kw)
    return bound, rest


def vectorize(pyfunc, *, excluded=frozenset(), signature=None):
    """Turn a function on scalars (or on core shapes given by `signature`) into one on arrays, with vmap."""
    if any(not isinstance(e, (str, int)) for e in excluded):
        raise TypeError(f"jax.numpy.vectorize can only exclude integer or string arguments, but excluded={excluded!r}")
    if any(isinstance(e, int) and e < 0 for e in excluded):
        raise ValueError(f"excluded={excluded!r} contains negative numbers")

    @functools.wraps(pyfunc)
    def wrapped(*args, **kwargs):
        context = f"on vectorized function with excluded={excluded!r} and signature={signature!r}"
        func, args = _with_excluded(pyfunc, excluded, args, kwargs)
        if signature is not None:
            in_dims, out_dims = _parse_signature(signature)
            if len(in_dims) != len(args):
                raise TypeError(f"wrong number of positional arguments: expected {len(in_dims)}, got {len(args)} "
                                f"{context}")
        else:
            in_dims, out_dims = [()] * len(args), None
        nones = {i for i, a in enumerate(args) if a is None}
        if nones:
            if any(in_dims[i] for i in nones):
                raise ValueError(f"Cannot pass None at locations {nones} with signature={signature!r}")
            func, args = _with_excluded(func, nones, args, {})
            in_dims = [d for i, d in enumerate(in_dims) if i not in nones]
        args = [asarray(a) for a in args]
        sizes = {}
        for a, dims in zip(args, in_dims):
            _bind_dims(sizes, a.shape, dims, context)
        loop_shapes = [a.shape[:a.ndim - len(d)] for a, d in zip(args, in_dims)]
        batch = broadcast_shapes(*loop_shapes)
        if out_dims is not None:
            func = _checked_outputs(func, sizes, out_dims, context)
        # One vmap per loop dimension, innermost first; arguments of size 1 there are not mapped.
        squeezed = [jnp.squeeze(a, tuple(i for i, s in enumerate(ls) if s == 1)) for a, ls in zip(args, loop_shapes)]
        padded = [(1,) * (len(batch) - len(ls)) + ls for ls in loop_shapes]
        mapped, expand = func, []
        for k in range(len(batch) - 1, -1, -1):
            in_axes = tuple(None if p[k] == 1 else 0 for p in padded)
            if all(ax is None for ax in in_axes):
                expand.append(k)
            else:
                mapped = vmap(mapped, in_axes)
        out = mapped(*squeezed)
        if not expand:
            return out
        if isinstance(out, tuple):
            return tuple(jnp.expand_dims(o, tuple(expand)) for o in out)
        return jnp.expand_dims(out, tuple(expand))
    return wrapped


def _checked_outputs(func, sizes, out_dims, context):
    def checked(*args):
        out = func(*args)
        if len(out_dims) == 1:
            outs = (out,)
        elif not isinstance(out, tuple) or len(out) != len(out_dims):
            got = len(out) if isinstance(out, tuple) else 1
            raise TypeError(f"wrong number of output arguments: expected {len(out_dims)}, got {got} {context}")
        else:
            outs = out
        local = dict(sizes)
        for o, dims in zip(outs, out_dims):
            _bind_dims(local, jnp.shape(o), dims, context, is_input=False)
        return out
    return checked


# ---- axis-wise application ------------------------------------------------------------------------


def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """Apply `func1d` to each 1-D slice of `arr` along `axis` (built with vmap)."""
    check_arraylike("apply_along_axis", arr)
    arr = asarray(arr)
    nd = arr.ndim
    axis = canonicalize_axis(axis, nd)
    f = lambda a: func1d(a, *args, **kwargs)
    for i in range(1, nd - axis):
        f = vmap(f, in_axes=i, out_axes=-1)
    for _ in range(axis):
        f = vmap(f, in_axes=0, out_axes=0)
    return f(arr)


def apply_over_axes(func, a, axes):
    """Apply `func(a, axis)` repeatedly, once for each axis in `axes`, keeping dimensions."""
    check_arraylike("apply_over_axes", a)
    a = asarray(a)
    for axis in [axes] if isinstance(axes, int) else axes:
        b = asarray(func(a, axis=axis))
        if b.ndim == a.ndim:
            a = b
        elif b.ndim == a.ndim - 1:
            a = jnp.expand_dims(b, axis)
        else:
            raise ValueError("function is not returning an array of the correct shape")
    return a


# ---- ufunc ----------------------------------------------------------------------------------------


class ufunc:
    """A universal function from a scalar Python function (JAX's jnp.ufunc): calls broadcast
    through vectorize; reduce, accumulate, reduceat, outer and at follow from the binary case."""

    def __init__(self, func, /, nin, nout, *, name=None, nargs=None, identity=None, call=None, reduce=None,
                 accumulate=None, at=None, reduceat=None):
        self.__doc__ = getattr(func, "__doc__", None)
        self.__name__ = name or getattr(func, "__name__", "ufunc")
        self._func = func
        self.nin, self.nout = int(nin), int(nout)
        self.nargs = int(nargs or self.nin)
        self.identity = identity
        self._overrides = dict(call=call, reduce=reduce, accumulate=accumulate, at=at, reduceat=reduceat)

    def __hash__(self):
        return hash((self._func, self.__name__, self.identity, self.nin, self.nout, self.nargs))

    def __eq__(self, other):
        return isinstance(other, ufunc) and (self._func, self.__name__, self.identity, self.nin, self.nout,
                                             self.nargs) == (other._func, other.__name__, other.identity,
                                                             other.nin, other.nout, other.nargs)

    def __repr__(self):
        return f"<jnp.ufunc '{self.__name__}'>"

    def __call__(self, *args, out=None, where=None):
        call = self._overrides["call"]
        if call is not None and out is None and where is None:  # (jnp.add(x, y): the function's own checks)
            return call(*args)
        check_arraylike(self.__name__, *args)
        if out is not None:
            raise NotImplementedError(f"out argument of {self}")
        if where is not None:
            raise NotImplementedError(f"where argument of {self}")
        call = self._overrides["call"] or vectorize(self._func)
        return call(*args)

    def _binary(self, what):
        if self.nin != 2:
            raise ValueError(f"{what} only supported for binary ufuncs")
        if self.nout != 1:
            raise ValueError(f"{what} only supported for functions returning a single value")

    def _result_dtype(self, *args):
        ones = [jnp.ones((), asarray(a).dtype) for a in args]
        return np.dtype(eval_shape(self._func, *ones).dtype)

    def reduce(self, a, axis=0, dtype=None, out=None, keepdims=False, initial=None, where=None):
        check_arraylike(f"{self.__name__}.reduce", a)
        self._binary("reduce")
        if out is not None:
            raise NotImplementedError(f"out argument of {self.__name__}.reduce()")
        if where is not None:
            check_arraylike(f"{self.__name__}.reduce", where)
            if self.identity is None and initial is None:
                raise ValueError(f"reduction operation {self.__name__!r} does not have an identity, so to use a "
                                 "where mask one has to specify 'initial'.")
            if asarray(where).dtype != np.bool_:
                raise ValueError(f"where argument must have dtype=bool; got dtype={asarray(where).dtype}")
        if self._overrides["reduce"]:
            return self._overrides["reduce"](a, axis=axis, dtype=dtype, keepdims=keepdims, initial=initial,
                                             where=where)
        arr = asarray(a)
        initial = self.identity if initial is None else initial
        dtype = self._result_dtype(arr, arr) if dtype is None else dtypes.check_user_dtype(dtype)
        mask = None if where is None else jnp.broadcast_to(asarray(where), arr.shape)
        if isinstance(axis, tuple):
            raise NotImplementedError("tuple of axes")
        if axis is None:
            final = (1,) * arr.ndim if keepdims else ()
            arr, mask, axis = jnp.ravel(arr), None if mask is None else jnp.ravel(mask), 0
        else:
            axis = canonicalize_axis(axis, arr.ndim)
            final = arr.shape[:axis] + ((1,) if keepdims else ()) + arr.shape[axis + 1:]
        arr = jnp.moveaxis(arr, axis, 0)
        mask = None if mask is None else jnp.moveaxis(mask, axis, 0)
        if arr.shape[0] == 0:
            if initial is None:
                raise ValueError(f"zero-size array to reduction operation {self.__name__} which has no identity")
            return lax.full(final, initial, dtype)

        def body(i, acc):
            new = self(acc, jnp.astype(arr[i], dtype))
            return new if mask is None else jnp.where(mask[i], new, acc)
        start, first = (1, arr[0]) if initial is None else (0, initial)
        acc = jnp.broadcast_to(jnp.astype(asarray(first), dtype), arr.shape[1:])
        return jnp.reshape(fori_loop(start, arr.shape[0], body, acc), final)

    def accumulate(self, a, axis=0, dtype=None, out=None):
        self._binary("accumulate")
        if out is not None:
            raise NotImplementedError(f"out argument of {self.__name__}.accumulate()")
        if self._overrides["accumulate"]:
            return self._overrides["accumulate"](a, axis=axis, dtype=dtype)
        check_arraylike(f"{self.__name__}.accumulate", a)
        arr = asarray(a)
        dtype = self._result_dtype(arr, arr) if dtype is None else dtypes.check_user_dtype(dtype)
        if axis is None or isinstance(axis, tuple):
            raise ValueError("accumulate does not allow multiple axes")
        axis = canonicalize_axis(axis, arr.ndim)
        if arr.size == 0:
            return lax.full(arr.shape, 0, dtype)
        arr = jnp.astype(jnp.moveaxis(arr, axis, 0), dtype)

        def step(acc, x):
            y = self(acc, x)
            return y, y
        _, rest = scan(step, arr[0], arr[1:])
        return jnp.moveaxis(jnp.concatenate([arr[:1], rest], 0), 0, axis)

    def at(self, a, indices, b=None, /, *, inplace=True):
        if inplace:
            raise NotImplementedError("jax.numpy.ufunc.at does not support inplace=True (JAX arrays are "
                                      "immutable); pass inplace=False for the result as a new array.")
        if self._overrides["at"]:
            return self._overrides["at"](a, indices) if b is None else self._overrides["at"](a, indices, b)
        extra = [] if b is None else [b]
        check_arraylike(f"{self.__name__}.at", a, *extra)
        dtype = self._result_dtype(a, *extra)
        a = jnp.astype(asarray(a), dtype)
        extra = [jnp.astype(asarray(e), dtype) for e in extra]
        idx = indices if isinstance(indices, tuple) else (indices,)
        if not idx:
            return a
        shapes = [jnp.shape(i) for i in idx if not isinstance(i, slice)]
        shape = broadcast_shapes(*shapes) if shapes else ()
        if not shape:
            return a.at[idx].set(self(a[idx], *extra))
        count = math.prod(shape)
        if extra:
            e = extra[0]
            extra = [jnp.reshape(jnp.broadcast_to(e, shape + e.shape[len(shape):]), (count,) + e.shape[len(shape):])]
        flat = [i if isinstance(i, slice) else jnp.ravel(jnp.broadcast_to(asarray(i), shape)) for i in idx]

        # One index at a time, so repeated indices accumulate as in NumPy's ufunc.at.
        def step(arr, k):
            where_ = tuple(i if isinstance(i, slice) else i[k] for i in flat)
            return arr.at[where_].set(self(arr[where_], *(e[k] for e in extra))), None
        return scan(step, a, jnp.arange(count))[0]

    def reduceat(self, a, indices, axis=0, dtype=None, out=None):
        self._binary("reduceat")
        if out is not None:
            raise NotImplementedError(f"out argument of {self.__name__}.reduceat()")
        if self._overrides["reduceat"]:
            return self._overrides["reduceat"](a, indices, axis=axis, dtype=dtype)
        check_arraylike(f"{self.__name__}.reduceat", a, indices)
        a, indices = asarray(a), asarray(indices)
        if a.ndim == 0:
            raise ValueError(f"reduceat: a must have 1 or more dimension, got a.shape={a.shape}")
        if indices.ndim != 1:
            raise ValueError(f"reduceat: indices must be one-dimensional, got indices.shape={indices.shape}")
        if axis is None or isinstance(axis, (tuple, list)):
            raise ValueError("reduceat requires a single integer axis.")
        axis = canonicalize_axis(axis, a.ndim)
        out_ = jnp.take(a, indices, axis=axis)
        if dtype is not None:
            out_ = jnp.astype(out_, dtype)
        bounds = jnp.concatenate([indices, jnp.full((1,), a.shape[axis], indices.dtype)])
        shape = [1] * out_.ndim
        shape[axis] = indices.shape[0]
        start, end = jnp.reshape(bounds[:-1], shape), jnp.reshape(bounds[1:], shape)

        # Element i joins every segment [start, end) that contains it, after the segment's first.
        def body(i, acc):
            return jnp.where((i > start) & (i < end), self(acc, jnp.take(a, jnp.reshape(i, (1,)), axis=axis)), acc)
        return fori_loop(0, a.shape[axis], body, out_)

    def outer(self, A, B, /):
        self._binary("outer")
        check_arraylike(f"{self.__name__}.outer", A, B)
        A, B = asarray(A), asarray(B)
        result = vmap(vmap(self, (None, 0)), (0, None))(jnp.ravel(A), jnp.ravel(B))
        return jnp.reshape(result, A.shape + B.shape)


def frompyfunc(func, /, nin, nout, *, identity=None):
    """Wrap a function of `nin` arrays as a jnp.ufunc with `nout` outputs and methods such as
    reduce/accumulate/outer.
    """
    return ufunc(func, nin, nout, identity=identity)
