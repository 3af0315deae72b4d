"""The jnp functions that JAX makes `jnp.ufunc` objects: `jnp.add(x, y)` calls the function, and
`jnp.add.reduce/accumulate/at/outer/reduceat` exist as numpy's do. Where JAX gives a method a
dedicated implementation (add.reduce is sum, add.at a scatter-add, maximum.reduce is max) so
does this module; the other methods are the ufunc class's general ones (a loop over the axis)."""

from __future__ import annotations

import numpy as np

from jaxlite._src.numpy import lax_numpy as jnp
from jaxlite._src.numpy import reductions
from jaxlite._src.numpy.functional import ufunc
from jaxlite._src.numpy.util import asarray

__all__ = ["add", "multiply", "subtract", "maximum", "minimum", "bitwise_and", "bitwise_or", "bitwise_xor",
           "logical_and", "logical_or", "logical_xor", "logaddexp", "logaddexp2", "negative"]


def _at(method: str):
    """jnp.<op>.at(a, indices, b, inplace=False): a scatter, as JAX's (bools go through int32)."""
    def at(a, indices, b):
        a = asarray(a)
        if a.dtype == np.bool_:
            b = jnp.astype(jnp.astype(asarray(b), bool), np.int32)
            return jnp.astype(getattr(jnp.astype(a, np.int32).at[indices], method)(b), bool)
        return getattr(a.at[indices], method)(b)
    return at


def _with_initial(reduce, combine):
    """A reduction without `initial` (all, any, logsumexp) given one: the result combined with it."""
    def r(a, axis=0, dtype=None, keepdims=False, initial=None, where=None):
        out = reduce(a, axis=axis, keepdims=keepdims, where=where)
        if initial is not None:
            out = combine(out, initial)
        return out if dtype is None else jnp.astype(out, dtype)
    return r


def _logsumexp(a, axis=0, keepdims=False, where=None):
    from jaxlite._src.nn.functions import logsumexp
    return logsumexp(a, axis=axis, keepdims=keepdims, where=where)


def _binary(func, identity, **methods):
    return ufunc(func, name=func.__name__, nin=2, nout=1, call=func, identity=identity, **methods)


add = _binary(jnp.add, 0, reduce=reductions.sum, accumulate=reductions.cumsum, at=_at("add"))
multiply = _binary(jnp.multiply, 1, reduce=reductions.prod, accumulate=reductions.cumprod, at=_at("multiply"))
subtract = _binary(jnp.subtract, None, at=_at("subtract"))
maximum = _binary(jnp.maximum, None, reduce=reductions.max)
minimum = _binary(jnp.minimum, None, reduce=reductions.min)
bitwise_and = _binary(jnp.bitwise_and, -1)
bitwise_or = _binary(jnp.bitwise_or, 0)
bitwise_xor = _binary(jnp.bitwise_xor, 0)
logical_and = _binary(jnp.logical_and, True,
                      reduce=_with_initial(lambda a, **kw: reductions.all(a, **kw), jnp.logical_and))
logical_or = _binary(jnp.logical_or, False,
                     reduce=_with_initial(lambda a, **kw: reductions.any(a, **kw), jnp.logical_or))
logical_xor = _binary(jnp.logical_xor, False)
logaddexp = _binary(jnp.logaddexp, -np.inf, reduce=_with_initial(_logsumexp, jnp.logaddexp))
logaddexp2 = _binary(jnp.logaddexp2, -np.inf)
negative = ufunc(jnp.negative, name="negative", nin=1, nout=1, call=jnp.negative)
