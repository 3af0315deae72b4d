"""The tracing core: abstract values, primitives, traces and tracers, jaxprs.

Follows JAX's autodidax: every operation is `primitive.bind(*args, **params)`; the innermost
active transformation (the trace with the highest level among the arguments' traces) handles it,
and each transformation keeps one rule table keyed by primitive in its own module.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import operator
import sys
import threading
import types
from typing import Any, Callable, NamedTuple

import numpy as np

from jaxlite._src import dtypes

# ---- abstract values ------------------------------------------------------------------------------


class ShapedArray:
    __slots__ = ("shape", "dtype", "weak_type")
    array_abstraction_level = 1

    def __init__(self, shape, dtype, weak_type: bool = False):
        self.shape = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.weak_type = bool(weak_type)

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: math.prod(self.shape))  # math.prod: np.prod costs microseconds (Pyodide)

    def update(self, shape=None, dtype=None, weak_type=None) -> ShapedArray:
        return ShapedArray(self.shape if shape is None else shape, self.dtype if dtype is None else dtype,
                           self.weak_type if weak_type is None else weak_type)

    def strip_weak_type(self) -> ShapedArray:
        return self.update(weak_type=False) if self.weak_type else self

    def str_short(self) -> str:
        return f"{dtypes.short_name(self.dtype)}[{','.join(map(str, self.shape))}]"

    def __repr__(self):
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapedArray({self.str_short()}{weak})"

    def __eq__(self, other):
        return (type(self) is type(other) and self.shape == other.shape and self.dtype == other.dtype
                and self.weak_type == other.weak_type)

    def __hash__(self):
        return hash((self.shape, self.dtype, self.weak_type))


class ConcreteArray(ShapedArray):
    """An aval that also knows its value (Python control flow on it is allowed)."""
    __slots__ = ("val",)
    array_abstraction_level = 0

    def __init__(self, val, weak_type: bool = False):
        super().__init__(np.shape(val), np.asarray(val).dtype, weak_type)
        self.val = val


def raise_to_shaped(aval) -> ShapedArray:
    if hasattr(aval, "make_value"):  # an aval of its own kind with no data (lax's AbstractToken)
        return aval
    return ShapedArray(aval.shape, aval.dtype, aval.weak_type)


class ShapeDtypeStruct:
    """A shape and dtype with no data: what `eval_shape` returns and `jit(...).lower` accepts."""
    __slots__ = ("shape", "dtype", "weak_type")

    def __init__(self, shape, dtype, weak_type: bool = False):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.weak_type = weak_type

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(math.prod(self.shape)))

    def __repr__(self):
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name})"

    def __eq__(self, other):
        return isinstance(other, ShapeDtypeStruct) and (self.shape, self.dtype) == (other.shape, other.dtype)

    def __hash__(self):
        return hash((self.shape, self.dtype))


# ---- errors (names and messages as in JAX) --------------------------------------------------------


class JAXTypeError(TypeError):
    pass


class ConcretizationTypeError(JAXTypeError):
    def __init__(self, tracer, context: str = ""):
        super().__init__(
            f"Abstract tracer value encountered where concrete value is expected: {tracer}\n{context}\n"
            "The problem arose with a value that depends on a traced argument. If it is a static "
            "value, mark it with static_argnums/static_argnames in jit; otherwise use lax.cond, "
            "lax.while_loop or jnp.where instead of Python control flow.")


class TracerBoolConversionError(ConcretizationTypeError):
    def __init__(self, tracer):
        TypeError.__init__(
            self, f"Attempted boolean conversion of traced array with shape {tracer.aval.str_short()}.\n"
            "The error occurred while tracing; Python `if`, `while`, `and`/`or` and `bool()` need a "
            "concrete value. Use lax.cond or jnp.where for value-dependent branches.")


class TracerIntegerConversionError(ConcretizationTypeError):
    def __init__(self, tracer):
        TypeError.__init__(
            self, f"The __index__() method was called on traced array with shape {tracer.aval.str_short()}.\n"
            "A traced value cannot be used as a Python integer (an index, a shape or a range bound).")


class TracerArrayConversionError(JAXTypeError):
    def __init__(self, tracer):
        super().__init__(
            f"The numpy.ndarray conversion method __array__() was called on traced array with shape "
            f"{tracer.aval.str_short()}. Use jaxlite.numpy instead of numpy inside transformed functions.")


class UnexpectedTracerError(Exception):
    pass


# ---- primitives -----------------------------------------------------------------------------------


class JaxRuntimeError(RuntimeError):
    """JAX's error for failures while running a computation (jax.errors.JaxRuntimeError)."""


class JAXIndexError(IndexError):
    """JAX's IndexError (jax.errors.JAXIndexError)."""


class JaxprTypeError(TypeError):
    """A jaxpr whose equations do not type-check (jax.errors.JaxprTypeError)."""


class KeyReuseError(JAXTypeError):
    """A PRNG key consumed twice under jax_debug_key_reuse (jax.errors.KeyReuseError; jaxlite does
    not track key reuse, so nothing raises it here)."""


class InconclusiveDimensionOperation(Exception):
    """A comparison of symbolic dimensions without a definite answer (jax.errors; jaxlite's shapes
    are always concrete, so nothing raises it here)."""


class ResourceExhaustedError(JaxRuntimeError, MemoryError):
    """A device out of memory: JAX raises JaxRuntimeError ("RESOURCE_EXHAUSTED"); a MemoryError too,
    so Python's own handlers for running out of memory catch it."""

    def __init__(self, nbytes: int, detail: str = ""):
        super().__init__(f"RESOURCE_EXHAUSTED: Out of memory allocating {nbytes} bytes." + (f" {detail}" if detail else ""))


class Primitive:
    multiple_results = False

    def __init__(self, name: str, multiple_results: bool = False):
        self.name = name
        self.multiple_results = multiple_results

    def bind(self, *args, **params):
        outs = bind(self, *args, **params)
        return outs if self.multiple_results else outs[0]

    def __repr__(self):
        return self.name


# Rules owned by the core: shapes and dtypes of outputs (list of ShapedArray) from input avals.
abstract_eval_rules: dict[Primitive, Callable[..., list[ShapedArray]]] = {}


# Primitives that the kernel layer runs by inlining an equivalent jaxpr of other primitives
# (top_k as a sort, zeta as its series): rule(in_avals, **params) -> ClosedJaxpr. The primitive
# still appears in jaxprs and has its own transformation rules; only execution is decomposed.
decomposition_rules: dict[Primitive, Callable[..., Any]] = {}


def abstract_eval(prim: Primitive, avals, params) -> list[ShapedArray]:
    rule = abstract_eval_rules.get(prim)
    if rule is None:
        raise NotImplementedError(f"no abstract evaluation rule for primitive {prim}")
    return rule(*avals, **params)


# ---- traces and the interpreter stack -------------------------------------------------------------


class MainTrace(NamedTuple):
    level: int
    trace_type: type
    global_data: Any


class _TraceState(threading.local):
    """The interpreter stack and the jaxpr being built (by jit/make_jaxpr), per thread, as in JAX:
    a thread that traces must not see another thread's transformations. Read them as
    `core.trace_stack` and `core.dynamic_trace` (module properties, below)."""

    def __init__(self):
        self.trace_stack: list[MainTrace] = [MainTrace(0, EvalTrace, None)]
        self.dynamic_trace: MainTrace | None = None


# How many transformations and eager recordings are running in all threads. Where none is, an
# eager operation skips the per-thread checks of the trace state (dispatch.eager_ok): those cost
# microseconds in Pyodide, where an eager op costs a few.
busy = [0]
_busy_lock = threading.Lock()


@contextlib.contextmanager
def busy_scope():
    with _busy_lock:
        busy[0] += 1
    try:
        yield
    finally:
        with _busy_lock:
            busy[0] -= 1


@contextlib.contextmanager
def new_main(trace_type: type, global_data=None):
    stack = _state.trace_stack
    main = MainTrace(len(stack), trace_type, global_data)
    stack.append(main)
    try:
        with busy_scope():
            yield main
    finally:
        stack.pop()


@contextlib.contextmanager
def new_dynamic(main: MainTrace):
    prev, _state.dynamic_trace = _state.dynamic_trace, main
    try:
        with busy_scope():
            yield
    finally:
        _state.dynamic_trace = prev


class Trace:
    def __init__(self, main: MainTrace):
        self.main = main

    def pure(self, val):
        raise NotImplementedError

    def lift(self, val):
        raise NotImplementedError

    def process_primitive(self, primitive, tracers, params):
        raise NotImplementedError

    def process_custom_jvp(self, prim, fun, jvp, tracers, params):
        raise NotImplementedError

    def process_custom_vjp(self, prim, fun, fwd, bwd, tracers, params):
        raise NotImplementedError


class EvalTrace(Trace):
    """The bottom of the stack: runs primitives on a device."""

    def pure(self, x):
        return x

    lift = pure

    def process_primitive(self, primitive, args, params):
        return _eval_primitive(primitive, args, params)

    def process_custom_jvp(self, prim, fun, jvp, tracers, params):
        return fun(*tracers)

    def process_custom_vjp(self, prim, fun, fwd, bwd, tracers, params):
        return fun(*tracers)


_state = _TraceState()


class _CoreModule(types.ModuleType):
    trace_stack = property(lambda self: _state.trace_stack)
    dynamic_trace = property(lambda self: _state.dynamic_trace,
                             lambda self, main: setattr(_state, "dynamic_trace", main))


sys.modules[__name__].__class__ = _CoreModule


def _leaked(tracer) -> UnexpectedTracerError:
    return UnexpectedTracerError(
        f"Encountered an unexpected tracer. A function transformed by JAX had a side effect, allowing "
        f"for a reference to an intermediate value with type {tracer.aval.str_short()} wrapped in a "
        f"{type(tracer).__name__} to escape the scope of the transformation. JAX transformations "
        "require that functions explicitly return their outputs, and disallow saving intermediate "
        "values to global state (a list, a closure, an attribute).")


def find_top_trace(xs) -> Trace:
    stack, dynamic = _state.trace_stack, _state.dynamic_trace
    top_main = stack[0]
    for x in xs:
        if isinstance(x, Tracer):
            main = x._trace.main
            # A tracer whose transformation has finished (or runs in another thread) leaked out.
            if (main.level >= len(stack) or stack[main.level] is not main) and main is not dynamic:
                raise _leaked(x)
            if main.level > top_main.level:
                top_main = main
    if dynamic and dynamic.level > top_main.level:
        top_main = dynamic
    return top_main.trace_type(top_main)


def full_raise(trace: Trace, val):
    if not isinstance(val, Tracer):
        return trace.pure(val)
    level = trace.main.level
    if val._trace.main is trace.main:
        return val
    if val._trace.main.level < level:
        return trace.lift(val)
    if val._trace.main.level > level:
        raise UnexpectedTracerError(
            f"Encountered an unexpected tracer: {val}. A function transformed by JAX had a side "
            "effect: it stored a traced value somewhere (a global, a closure, an attribute) that "
            "outlived the transformation. Return it as an output instead.")
    raise UnexpectedTracerError(f"Different traces at the same level: {val._trace}, {trace}.")


def full_lower(val):
    return val.full_lower() if isinstance(val, Tracer) else val


def bind(prim: Primitive, *args, **params) -> list:
    if _state.dynamic_trace is None and len(_state.trace_stack) == 1 and not any(isinstance(a, Tracer) for a in args):
        # Nothing is being traced: run on a device directly (the eager fast path).
        return _eval_primitive(prim, args, params)
    top_trace = find_top_trace(args)
    tracers = [full_raise(top_trace, arg) for arg in args]
    outs = top_trace.process_primitive(prim, tracers, params)
    return [full_lower(out) for out in outs]


def _no_device(prim, args, params):
    raise RuntimeError(f"cannot run {prim}: no device is registered (import jaxlite first)")


# How the bottom of the stack runs a primitive on concrete values: dispatch (the layer above,
# which owns devices) registers it, as JAX's dispatch registers each primitive's impl with
# `def_impl`; the core never imports dispatch.
_eval_primitive: Callable = _no_device


def register_eval_primitive(fn: Callable) -> None:
    """fn(prim, args, params) -> list of outputs: eager execution (set once by dispatch)."""
    global _eval_primitive
    _eval_primitive = fn


def bind_custom_jvp(prim: Primitive, fun: Callable, jvp: Callable, args) -> list:
    """bind for custom_jvp calls: the top trace gets the function and its rule, not an equation
    (each trace's `process_custom_jvp` decides what to do with them)."""
    top = find_top_trace(args)
    tracers = [full_raise(top, a) for a in args]
    return [full_lower(o) for o in top.process_custom_jvp(prim, fun, jvp, tracers, {})]


def bind_custom_vjp(prim: Primitive, fun: Callable, fwd: Callable, bwd: Callable, args) -> list:
    top = find_top_trace(args)
    tracers = [full_raise(top, a) for a in args]
    return [full_lower(o) for o in top.process_custom_vjp(prim, fun, fwd, bwd, tracers, {})]


def check_alive(tracer: Tracer) -> None:
    main, stack = tracer._trace.main, _state.trace_stack
    if (main.level >= len(stack) or stack[main.level] is not main) and _state.dynamic_trace is not main:
        raise _leaked(tracer)


# ---- tracers and the Array interface -------------------------------------------------------------
# Operators and methods live in array_methods.py and are attached to both Tracer and the concrete
# Array, so one implementation serves traced and concrete values (as jax.Array covers both).


class Tracer:
    __array_priority__ = 1000
    __slots__ = ("_trace", "__weakref__")

    @property
    def aval(self):
        raise NotImplementedError

    def full_lower(self):
        return self

    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    ndim = property(lambda self: self.aval.ndim)
    size = property(lambda self: self.aval.size)
    weak_type = property(lambda self: self.aval.weak_type)

    def __repr__(self):
        return f"Traced<{self.aval!r}>with<{type(self._trace).__name__}>"

    def __bool__(self):
        raise TracerBoolConversionError(self)

    def __index__(self):
        raise TracerIntegerConversionError(self)

    def __int__(self):
        raise ConcretizationTypeError(self, "int() was called on a traced value.")

    def __float__(self):
        raise ConcretizationTypeError(self, "float() was called on a traced value.")

    def __complex__(self):
        raise ConcretizationTypeError(self, "complex() was called on a traced value.")

    def item(self):
        raise ConcretizationTypeError(self, "item() was called on a traced value.")

    def tolist(self):
        raise ConcretizationTypeError(self, "tolist() was called on a traced value.")

    def __array__(self, dtype=None, copy=None):
        raise TracerArrayConversionError(self)

    def __hash__(self):
        raise TypeError(f"unhashable type: {type(self).__name__} (JAX arrays are not hashable)")


def get_aval(x) -> ShapedArray:
    if isinstance(x, Tracer):
        return x.aval
    aval = getattr(x, "aval", None)
    if aval is not None:
        return aval
    if isinstance(x, (str, bytes, np.dtype, type)) or x is None:
        # dtypes.dtype_and_weak reads these as dtype names; as values they are not JAX types.
        raise TypeError(f"Value {x!r} of type {type(x)} is not a valid JAX type")
    dt, weak = dtypes.dtype_and_weak(x)
    if type(x) is int:
        check_python_int(x, dt, "Python int {} too large to convert to {}")
    return ShapedArray(np.shape(x), dt, weak)


def valid_jaxtype(x) -> bool:
    """Whether x can be a value of a traced function (argument or result)."""
    if isinstance(x, Tracer) or getattr(x, "aval", None) is not None or hasattr(x, "__jax_array__"):
        return True
    if type(x) in (bool, int, float, complex):
        return True
    return isinstance(x, (np.ndarray, np.generic)) and np.dtype(x.dtype) in dtypes.SUPPORTED


def canonicalize_shape(shape, op: str | None = None) -> tuple:
    """shape as a tuple of Python ints, with JAX's TypeErrors: every entry a concrete integer, and
    (when `op` is named) none negative."""
    if isinstance(shape, (int, np.integer)) or (getattr(shape, "ndim", None) == 0
                                                 and np.dtype(get_aval(shape).dtype).kind in "iu"):
        shape = (shape,)
    try:
        entries = tuple(shape)
    except TypeError:
        entries = (shape,)
    out = []
    for d in entries:
        d = concrete_or_error(d, "The shape argument must be static (a tuple of concrete integers)")
        try:
            out.append(operator.index(d))
        except TypeError:
            raise TypeError(f"Shapes must be 1D sequences of concrete values of integer type, "
                            f"got {entries}.") from None
    if op is not None and any(d < 0 for d in out):
        raise TypeError(f"{op} shape must have every element be nonnegative, got {tuple(out)}.")
    return tuple(out)


def check_callable(fun) -> None:
    """Transformations check their function when they are applied, as JAX does, not when called."""
    if not callable(fun):
        raise TypeError(f"Expected a callable value, got {fun!r}")


def check_python_int(x: int, dtype, message: str = "Python integer {} out of bounds for {}") -> None:
    """JAX's OverflowError for a Python int that the integer dtype it becomes cannot hold (numpy
    would wrap it silently)."""
    dt = np.dtype(dtype)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        if not info.min <= x <= info.max:
            raise OverflowError(message.format(x, dt.name))


def concrete_aval(x):
    return x.aval


def concrete_or_error(x, context: str = ""):
    """x as a concrete (non-traced) value, or JAX's ConcretizationTypeError."""
    if isinstance(x, Tracer):
        raise ConcretizationTypeError(x, context)
    return x


# ---- jaxprs ---------------------------------------------------------------------------------------


class Var:
    __slots__ = ("aval", "count")
    _counter = itertools.count()

    def __init__(self, aval: ShapedArray):
        self.aval = aval
        self.count = next(Var._counter)


class Literal:
    __slots__ = ("val", "aval")

    def __init__(self, val, aval: ShapedArray | None = None):
        self.val = val
        self.aval = aval if aval is not None else raise_to_shaped(get_aval(val))


Atom = Var | Literal


class JaxprEqn(NamedTuple):
    primitive: Primitive
    inputs: list
    params: dict
    out_binders: list

    invars = property(lambda self: self.inputs)  # JAX's names
    outvars = property(lambda self: self.out_binders)


class Jaxpr:
    __slots__ = ("in_binders", "eqns", "outs", "nconsts", "__weakref__")

    def __init__(self, in_binders, eqns, outs):
        self.in_binders, self.eqns, self.outs = list(in_binders), list(eqns), list(outs)
        self.nconsts = 0  # leading binders that a ClosedJaxpr fills with its constants

    in_avals = property(lambda self: [v.aval for v in self.in_binders])
    out_avals = property(lambda self: [v.aval for v in self.outs])
    # JAX's names for the binders, for code that walks jaxprs as JAX's tutorials do.
    constvars = property(lambda self: self.in_binders[:self.nconsts])
    invars = property(lambda self: self.in_binders[self.nconsts:])
    outvars = property(lambda self: self.outs)

    def __repr__(self):
        return pp_jaxpr(self)


class ClosedJaxpr:
    """A jaxpr with its closed-over constants (the values of its leading `consts` binders)."""
    __slots__ = ("jaxpr", "consts", "__weakref__")

    def __init__(self, jaxpr: Jaxpr, consts):
        self.jaxpr, self.consts = jaxpr, list(consts)
        jaxpr.nconsts = len(self.consts)

    in_avals = property(lambda self: self.jaxpr.in_avals[len(self.consts):])
    out_avals = property(lambda self: self.jaxpr.out_avals)
    eqns = property(lambda self: self.jaxpr.eqns)
    literals = property(lambda self: self.consts)  # JAX's name for the constants

    def __repr__(self):
        return pp_jaxpr(self.jaxpr, n_consts=len(self.consts))


def eval_jaxpr(jaxpr: Jaxpr, args) -> list:
    env: dict[Var, Any] = {}

    def read(x):
        return x.val if isinstance(x, Literal) else env[x]

    for v, val in zip(jaxpr.in_binders, args, strict=True):
        env[v] = val
    for eqn in jaxpr.eqns:
        # The primitive's own bind: a collective first lifts its operands into its named vmap.
        outs = eqn.primitive.bind(*map(read, eqn.inputs), **eqn.params)
        outs = outs if eqn.primitive.multiple_results else [outs]
        for v, val in zip(eqn.out_binders, outs):
            env[v] = val
    return [read(x) for x in jaxpr.outs]


def jaxpr_as_fun(jaxpr: Jaxpr) -> Callable:
    return lambda *args: eval_jaxpr(jaxpr, args)


# ---- pretty printing, in JAX's format -------------------------------------------------------------


def _var_names():
    for n in itertools.count():
        letters, name = "abcdefghijklmnopqrstuvwxyz", ""
        n2 = n
        while True:
            name = letters[n2 % 26] + name
            n2 = n2 // 26 - 1
            if n2 < 0:
                break
        yield name


def _pp_param(v, names, indent) -> str:
    if isinstance(v, ClosedJaxpr):
        return pp_jaxpr(v.jaxpr, indent + 4, len(v.consts))
    if isinstance(v, Jaxpr):
        return pp_jaxpr(v, indent + 4)
    if isinstance(v, np.dtype):
        return v.name
    if isinstance(v, (tuple, list)) and v and all(isinstance(e, (Jaxpr, ClosedJaxpr)) for e in v):
        return "(\n" + ",\n".join(" " * (indent + 4) + _pp_param(e, names, indent) for e in v) + "\n" + " " * indent + ")"
    return repr(v) if not callable(v) or isinstance(v, Primitive) else getattr(v, "__name__", repr(v))


def pp_jaxpr(jaxpr: Jaxpr, indent: int = 0, n_consts: int = 0) -> str:
    gen = _var_names()
    names: dict[Var, str] = {}

    def name(x):
        if isinstance(x, Literal):
            val = np.asarray(x.val)
            if val.ndim == 0:
                return f"{val.item()!r}:{x.aval.str_short()}"
            return f"[{x.aval.str_short()} constant]"
        if x not in names:
            names[x] = next(gen)
        return names[x]

    def binder(v):
        return f"{name(v)}:{v.aval.str_short()}"

    consts = " ".join(binder(v) for v in jaxpr.in_binders[:n_consts])
    args = " ".join(binder(v) for v in jaxpr.in_binders[n_consts:])
    pad = " " * (indent + 4)
    lines = []
    for eqn in jaxpr.eqns:
        lhs = " ".join(binder(v) for v in eqn.out_binders)
        params = ""
        if eqn.params:
            params = "[" + " ".join(f"{k}={_pp_param(v, names, indent + 4)}" for k, v in eqn.params.items()) + "]"
        rhs = " ".join(name(x) for x in eqn.inputs)
        lines.append(f"{pad}{lhs} = {eqn.primitive.name}{params} {rhs}".rstrip())
    outs = ", ".join(name(x) for x in jaxpr.outs)
    body = "\n".join(lines)
    sp = " " * indent
    return f"{{ lambda {consts}; {args}. let\n{body}\n{sp}  in ({outs}{',' if len(jaxpr.outs) == 1 else ''}) }}"


# ---- utilities ------------------------------------------------------------------------------------


def split_list(lst, n):
    return list(lst[:n]), list(lst[n:])


def partition_list(bs, lst):
    ins, outs = [], []
    for b, x in zip(bs, lst, strict=True):
        (outs if b else ins).append(x)
    return ins, outs


def merge_lists(which, falses, trues):
    falses, trues = iter(falses), iter(trues)
    out = [next(trues) if b else next(falses) for b in which]
    return out
