"""Operators and methods shared by concrete Arrays and Tracers, defined once via jaxlite.numpy."""

from __future__ import annotations

import math

import numpy as np

from jaxlite._src import core
from jaxlite._src.array import ArrayImpl

_LAZY_BYTES = 1 << 16  # as backends/kernel_device.LAZY_BYTES: bigger constants take jnp's path


def _install():
    from jaxlite._src.lax import lax
    from jaxlite._src.numpy import indexing
    from jaxlite._src.numpy import lax_numpy as jnp
    from jaxlite._src.numpy import reductions as red

    def swap(f):
        return lambda self, other: f(other, self)

    def checked(f, fast=None, swapped=False, inexact=False):
        # Operators return NotImplemented for types jnp cannot take, so Python tries the other side.
        # `fast`: the lax operation that a Python scalar operand may take directly (_with_scalar).
        def op(self, other):
            if fast is not None:
                out = _with_scalar(fast, self, other, swapped, inexact)
                if out is not None:
                    return out
            if not _accepts(other):
                return NotImplemented
            return f(self, other)
        return op

    fast_ops = {"add": lax.add, "sub": lax.sub, "mul": lax.mul, "truediv": lax.div, "eq": lax.eq, "ne": lax.ne,
                "lt": lax.lt, "le": lax.le, "gt": lax.gt, "ge": lax.ge}

    binops = {
        "add": jnp.add, "sub": jnp.subtract, "mul": jnp.multiply, "truediv": jnp.true_divide,
        "floordiv": jnp.floor_divide, "mod": jnp.remainder, "pow": jnp.power, "matmul": jnp.matmul,
        "and": jnp.bitwise_and, "or": jnp.bitwise_or, "xor": jnp.bitwise_xor,
        "lshift": jnp.left_shift, "rshift": jnp.right_shift, "divmod": jnp.divmod,
    }
    methods = {}
    for name, f in binops.items():
        fast, inexact = fast_ops.get(name), name == "truediv"
        methods[f"__{name}__"] = checked(f, fast, inexact=inexact)
        methods[f"__r{name}__"] = checked(swap(f), fast, swapped=True, inexact=inexact)
    for name, f in {"eq": jnp.equal, "ne": jnp.not_equal, "lt": jnp.less, "le": jnp.less_equal,
                    "gt": jnp.greater, "ge": jnp.greater_equal}.items():
        methods[f"__{name}__"] = checked(f, fast_ops[name])
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


# Array dtypes for which a Python scalar operand keeps the array's dtype and weak type exactly as
# jnp's promotion gives them (narrow and 16-bit float types convert through another type there).
_FAST_DTYPES = frozenset(np.dtype(t) for t in ("float32", "float64", "int32"))
_INT32 = 1 << 31


def _with_scalar(lax_fn, self, other, swapped: bool, inexact: bool):
    """`array op python_scalar` on a kernel device with nothing being traced: the scalar becomes a
    constant of the array's shape (a LazyConst: a kernel parameter, no upload) and the lax
    operation runs directly, skipping jnp's promotion and broadcasting, which would arrive at the
    same dtypes. None where that shortcut does not apply (then the jnp function runs)."""
    t = type(other)
    if (t is not float and t is not int) or type(self) is not ArrayImpl:
        return None
    dev = self._device
    const = getattr(dev, "const_type", None)
    if const is None:
        return None
    st = core._state
    if st.dynamic_trace is not None or len(st.trace_stack) != 1:
        return None
    aval = self.aval
    dt = aval.dtype
    if dt not in _FAST_DTYPES:
        return None
    if dt.kind == "i" and (t is float or inexact):
        return None
    if t is int and not -_INT32 <= other < _INT32:
        return None  # jnp's path raises or converts as JAX does
    key = (aval.shape, dt)
    weak = _weak_avals.get(key)
    if weak is None:  # avals built once per shape: ShapedArray's size is a numpy reduction
        n = math.prod(aval.shape)
        if n * dt.itemsize > _LAZY_BYTES:
            return None
        if len(_weak_avals) > 1024:
            _weak_avals.clear()
        weak = _weak_avals[key] = (core.ShapedArray(aval.shape, dt, True), n)
    c = ArrayImpl(weak[0], const(dev, np.asarray(other, dt), weak[1]), dev)
    return lax_fn(c, self) if swapped else lax_fn(self, c)


_weak_avals: dict = {}  # (shape, dtype) -> (weakly typed aval, size) of small shapes


def _accepts(x) -> bool:
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
