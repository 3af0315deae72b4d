"""Operators and methods shared by concrete Arrays and Tracers, defined once via jaxlite.numpy."""

from __future__ import annotations

from jaxlite._src import core
from jaxlite._src.array import ArrayImpl


def _install():
    from jaxlite._src.numpy import indexing
    from jaxlite._src.numpy import lax_numpy as jnp
    from jaxlite._src.numpy import reductions as red

    def swap(f):
        return lambda self, other: f(other, self)

    def checked(f):
        # Operators return NotImplemented for types jnp cannot take, so Python tries the other side.
        def op(self, other):
            if not _accepts(other):
                return NotImplemented
            return f(self, other)
        return op

    binops = {
        "add": jnp.add, "sub": jnp.subtract, "mul": jnp.multiply, "truediv": jnp.true_divide,
        "floordiv": jnp.floor_divide, "mod": jnp.remainder, "pow": jnp.power, "matmul": jnp.matmul,
        "and": jnp.bitwise_and, "or": jnp.bitwise_or, "xor": jnp.bitwise_xor,
        "lshift": jnp.left_shift, "rshift": jnp.right_shift, "divmod": jnp.divmod,
    }
    methods = {}
    for name, f in binops.items():
        methods[f"__{name}__"] = checked(f)
        methods[f"__r{name}__"] = checked(swap(f))
    for name, f in {"eq": jnp.equal, "ne": jnp.not_equal, "lt": jnp.less, "le": jnp.less_equal,
                    "gt": jnp.greater, "ge": jnp.greater_equal}.items():
        methods[f"__{name}__"] = checked(f)
    methods.update({
        "__neg__": jnp.negative, "__pos__": jnp.positive, "__abs__": jnp.abs, "__invert__": jnp.invert,
        "__getitem__": indexing.getitem, "__round__": lambda self, nd=None: jnp.round(self, nd or 0),
        "astype": lambda self, dtype, copy=False: jnp.astype(self, dtype),
        "reshape": lambda self, *shape, order="C": jnp.reshape(
            self, shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape, order=order),
        "transpose": lambda self, *axes: jnp.transpose(
            self, None if not axes else (axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else axes)),
        "T": property(lambda self: jnp.transpose(self)),
        "mT": property(lambda self: jnp.swapaxes(self, -1, -2)),
        "real": property(jnp.real), "imag": property(jnp.imag), "conj": jnp.conj, "conjugate": jnp.conj,
        "flatten": lambda self, order="C": jnp.ravel(self, order), "ravel": lambda self, order="C": jnp.ravel(self, order),
        "squeeze": lambda self, axis=None: jnp.squeeze(self, axis),
        "swapaxes": jnp.swapaxes, "clip": lambda self, min=None, max=None: jnp.clip(self, min, max),
        "dot": jnp.dot, "at": property(lambda self: indexing.AtIndexer(self)),
        "sum": red.sum, "prod": red.prod, "max": red.max, "min": red.min, "mean": red.mean,
        "var": red.var, "std": red.std, "all": red.all, "any": red.any, "argmax": red.argmax,
        "argmin": red.argmin, "cumsum": red.cumsum, "cumprod": red.cumprod,
        "round": lambda self, decimals=0: jnp.round(self, decimals),
        "copy": lambda self: jnp.array(self, copy=True), "view": lambda self, dtype=None: self,
        "__jax_array__": lambda self: self,
        "__len__": _len, "__iter__": _iter,
    })
    for cls in (ArrayImpl, core.Tracer):
        for name, m in methods.items():
            setattr(cls, name, m)


def _accepts(x) -> bool:
    import numpy as np
    return isinstance(x, (core.Tracer, ArrayImpl, int, float, complex, bool, np.ndarray, np.generic)) \
        or hasattr(x, "__jax_array__")


def _len(self):
    if not self.shape:
        raise TypeError("len() of unsized object")
    return self.shape[0]


def _iter(self):
    if not self.shape:
        raise TypeError("iteration over a 0-d array")
    from jaxlite._src.numpy import indexing
    return iter(indexing.unstack(self))
