"""Operators and methods shared by concrete Arrays and Tracers, defined once via jaxlite.numpy."""

from __future__ import annotations

import math

import numpy as np

from jaxlite._src import core
from jaxlite._src.array import ArrayImpl
from jaxlite._src.dispatch import _programs, eager_cached, eager_ok, replay_caches

_LAZY_BYTES = 1 << 16  # as backends/kernel_device.LAZY_BYTES: bigger constants take jnp's path


def _no_item_assignment(self, idx, value):
    raise TypeError("JAX arrays are immutable and do not support in-place item assignment. Instead of "
                    "x[idx] = y, use x = x.at[idx].set(y) or another .at[] method: "
                    "https://docs.jax.dev/en/latest/_autosummary/jax.numpy.ndarray.at.html")


def _install():
    from jaxlite._src.lax import lax
    from jaxlite._src.numpy import indexing
    from jaxlite._src.numpy import lax_numpy as jnp
    from jaxlite._src.numpy import reductions as red

    def swap(f):
        return lambda self, other: f(other, self)

    def checked(f, fast=None, swapped=False, inexact=False, name=""):
        # Operators return NotImplemented for types jnp cannot take, so Python tries the other side.
        # `fast`: the lax operation that a Python scalar operand may take directly (_with_scalar).
        with_const = (lambda x, c: fast(c, x)) if swapped else fast

        def op(self, other):
            if type(self) is ArrayImpl and eager_ok():
                # A replay of what this operator did for the same operand types (dispatch.eager_cached).
                t = type(other)
                if t is ArrayImpl:
                    key = (name, id(self.aval), id(other.aval))
                    prog = _programs.get(key)
                    if prog and prog.pair and self._device is prog.device is other._device \
                            and not (self._committed or other._committed):
                        return ArrayImpl(prog.aval, prog.call(self._buf, other._buf), prog.device)
                    return eager_cached(key, f, (self, other))
                if fast is not None and (t is float or t is int):
                    # The scalar goes to the kernel as a launch parameter (one kernel for all values).
                    key = (name, id(self.aval), t)
                    hit = _scalar_runs.get(key)
                    if hit is not None and hit[0] is self._device and not self._committed and \
                            type(self._buf) is not hit[0].const_type:
                        last = hit[5]  # (a loop's literal is one object: checked and converted once)
                        if last[0] is other:
                            return ArrayImpl(hit[2], hit[1](self._buf, last[1]), hit[0])
                        if t is float or -_INT32 <= other < _INT32:
                            last = hit[5] = (other, hit[3](other))  # (one store: threads see a pair)
                            return ArrayImpl(hit[2], hit[1](self._buf, last[1]), hit[0])
                    c = _with_scalar(None, self, other, swapped, inexact)
                    if c is not None:
                        out = eager_cached(key, with_const, (self, c), keyed=1)
                        _learn_scalar(key, _programs.get(key))
                        return out
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
        methods[f"__{name}__"] = checked(f, fast, inexact=inexact, name=name)
        methods[f"__r{name}__"] = checked(swap(f), fast, swapped=True, inexact=inexact, name="r" + name)
    for name, f in {"eq": jnp.equal, "ne": jnp.not_equal, "lt": jnp.less, "le": jnp.less_equal,
                    "gt": jnp.greater, "ge": jnp.greater_equal}.items():
        methods[f"__{name}__"] = checked(f, fast_ops[name], name=name)
    methods.update({
        "__neg__": jnp.negative, "__pos__": jnp.positive, "__abs__": jnp.abs, "__invert__": jnp.invert,
        "__getitem__": indexing.getitem, "__setitem__": _no_item_assignment, "__round__": lambda self, nd=None: jnp.round(self, nd or 0),
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
    for name in _REPLAYED:
        methods[name] = _replayed(name, methods[name])
    for cls in (ArrayImpl, core.Tracer):
        for name, m in methods.items():
            setattr(cls, name, m)


# Methods whose primitives follow from the array's type and the (hashable) arguments alone:
# eagerly, a call is a replay of the primitives the first call with that signature applied.
_REPLAYED = ("reshape", "astype", "transpose", "squeeze", "flatten", "ravel", "swapaxes", "sum", "prod", "max",
             "min", "mean", "var", "std", "all", "any", "argmax", "argmin", "cumsum", "cumprod")


def _replayed(name, method):
    def m(self, *args, **kwargs):
        if type(self) is ArrayImpl and not self._committed and eager_ok():
            key = (method, id(self.aval), args, tuple(kwargs.items()) if kwargs else None)
            try:
                prog = _programs.get(key)
            except TypeError:  # unhashable arguments (lists): the ordinary call
                return method(self, *args, **kwargs)
            if prog and prog.unary and prog.device is self._device:
                return ArrayImpl(prog.aval, prog.call(self._buf), prog.device)
            return eager_cached(key, lambda x: method(x, *args, **kwargs), (self,))
        return method(self, *args, **kwargs)
    m.__name__ = name
    return m


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
    if lax_fn is None:
        return c
    return lax_fn(c, self) if swapped else lax_fn(self, c)


# (operator, id of the array's interned aval, scalar type) -> (device, run(bufs, params), output
# aval, the scalar's conversion to a launch parameter, the program): `array op scalar` as one
# launch with the scalar passed (a constant array operand takes the replay, which folds it).
_scalar_runs: dict = {}
_NOTHING = object()
replay_caches.append(_scalar_runs)


def _learn_scalar(key, prog) -> None:
    """Keep the launch of a recorded `array op scalar` whose one step takes the scalar as a
    launch parameter (the device's executor says whether it does, for this size)."""
    if not prog or prog.run is None or key in _scalar_runs:
        return
    with_params = getattr(prog.run, "with_params", None)
    launch = with_params and with_params(tuple(k == 1 for k in prog.ins))  # operand 1: the scalar
    if launch is not None:
        if len(_scalar_runs) > 4096:
            _scalar_runs.clear()
        # (prog holds the key's aval alive: its id is not reused while the entry exists)
        one = getattr(launch, "one_param", None) or (lambda b, p: launch([b], (p,))[0])
        # [device, launch, aval, parameter conversion, prog, (the last scalar, its parameter)]
        _scalar_runs[key] = [prog.device, one, prog.aval, prog.device.param_converter(prog.avals[1].dtype), prog,
                             (_NOTHING, None)]


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
