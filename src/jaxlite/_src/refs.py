"""Mutable array references (jax.new_ref, jax.freeze, ...).

A Ref here is a Python box holding an array value; reads index it and writes replace it with a
functional update (`.at[idx].set`). Inside one trace (jit, grad, vmap) the box holds tracers, so
the writes become ordinary equations of the traced program.
"""

from __future__ import annotations

from jaxlite._src import core
from jaxlite._src.features import partial

_REF_NOTE = ("a Python box over functional updates: works eagerly and for refs created inside the traced "
             "function; a ref passed into jit or closed over and written under jit is not supported")


class Ref:
    """A mutable array: `r[...]` reads, `r[idx] = v` and `r[idx] += v` write."""
    __slots__ = ("_value", "_alive")

    def __init__(self, value):
        self._value, self._alive = value, True

    def _get(self):
        if not self._alive:
            raise ValueError("This Ref has been freed or frozen and can no longer be used.")
        return self._value

    aval = property(lambda self: core.get_aval(self._get()))
    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: self.aval.size)

    def __getitem__(self, idx):
        value = self._get()
        return value if idx is Ellipsis or idx == () else value[idx]

    def __setitem__(self, idx, update):
        from jaxlite._src.numpy import lax_numpy as jnp
        value = self._get()
        if idx is Ellipsis or idx == ():
            self._value = jnp.broadcast_to(jnp.asarray(update, dtype=value.dtype), value.shape)
        else:
            self._value = value.at[idx].set(update)

    def get(self):
        return self[...]

    def set(self, value):
        self[...] = value

    def __repr__(self):
        return "Ref(" + repr(self._get())[len("Array("):]

    def __len__(self):
        return self.shape[0]


@partial(_REF_NOTE)
def new_ref(init_val, *, memory_space=None, kind=None) -> Ref:
    from jaxlite._src.numpy import lax_numpy as jnp
    return Ref(jnp.asarray(init_val))


@partial(_REF_NOTE)
def empty_ref(ty, memory_space=None) -> Ref:
    """A ref of the given type (a ShapeDtypeStruct or typeof(x)), holding zeros until written."""
    from jaxlite._src.numpy import lax_numpy as jnp
    return Ref(jnp.zeros(ty.shape, ty.dtype))


def freeze(ref: Ref):
    """The ref's value as an immutable array; the ref cannot be used afterwards."""
    value = ref._get()
    ref._alive = False
    return value


def free_ref(ref: Ref) -> None:
    ref._get()
    ref._alive = False
