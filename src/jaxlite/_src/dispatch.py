"""Eager execution: devices, the default device, and running one primitive on concrete arrays."""

from __future__ import annotations

import contextlib
import threading

import numpy as np

from jaxlite._src import array, core, dtypes, tree_util
from jaxlite._src.array import ArrayImpl
from jaxlite._src.backends.cpu import CpuDevice
from jaxlite._src.config import config

# Array-level implementations of higher-order primitives (jit, control flow, custom derivatives):
# they run their inner jaxprs by binding again, which works on every device. A compiled backend
# may take over some of them (see Device.compiles).
impl_rules: dict = {}

_devices: dict[str, list] = {"cpu": [CpuDevice(0)]}


class _DefaultStack(threading.local):
    """`with default_device(d):` holds for the thread that entered it, as in JAX."""

    def __init__(self):
        self.stack: list = []


_default = _DefaultStack()


# Coroutines that start backends needing an asynchronous start (webgpu's adapter request), added
# by backend discovery (backends/__init__.py), which sits above dispatch.
_starters: list = []


def register_starter(start) -> None:
    _starters.append(start)


async def init() -> list:
    """Start every backend available here and return all devices (as `devices()`).

    WebGPU adapters and devices are requested asynchronously, so the `webgpu` device appears only
    after `await jaxlite.init()`; wasm and cpu need no start. Calling it again does nothing more."""
    for start in _starters:
        await start()
    return devices()


def register_device(device, first: bool = False, position: int | None = None) -> None:
    """Add a device; `first` puts it before the others of its platform, `position` puts its
    platform at that place in the order of platforms (the first platform holds the default)."""
    _devices.setdefault(device.platform, []).append(device)
    if first:
        _devices[device.platform] = [device] + [d for d in _devices[device.platform] if d is not device]
    if position is not None:
        order = [p for p in _devices if p != device.platform]
        order.insert(position, device.platform)
        for name in order:
            _devices[name] = _devices.pop(name)


def devices(backend: str | None = None) -> list:
    if backend is not None:
        if backend not in _devices:
            raise RuntimeError(f"Unknown backend {backend!r}; available: {', '.join(_devices)}")
        return list(_devices[backend])
    return [d for ds in _devices.values() for d in ds]


def default_backend() -> str:
    return get_default_device().platform


def get_default_device():
    if _default.stack:
        return _default.stack[-1]
    dev = config.jax_default_device
    if dev is not None:
        return devices(dev)[0] if isinstance(dev, str) else dev
    platform = config.jax_platform_name or next(iter(_devices))
    return devices(platform)[0]


@contextlib.contextmanager
def default_device(device):
    if isinstance(device, str):
        device = devices(device)[0]
    _default.stack.append(device)
    try:
        yield
    finally:
        _default.stack.pop()


def live_buffers(device=None) -> int:
    """How many device buffers are alive (on one device or all): for leak tests."""
    ds = [device] if device is not None else devices()
    return sum(d.live_buffers() for d in ds)


def _device_of(args):
    dev = None
    for a in args:
        if isinstance(a, ArrayImpl) and a._committed:
            if dev is not None and a._device is not dev:
                raise ValueError(
                    f"Received incompatible devices for an operation: {dev} and {a._device}. "
                    "Move the arrays with jax.device_put first.")
            dev = a._device
    if dev is None:
        for a in args:
            if isinstance(a, ArrayImpl):
                return a._device
        dev = get_default_device()
    return dev


def holds(device, dtype) -> bool:
    check = getattr(device, "holds", None)
    return check is None or check(dtype)


def placement(device, avals, committed: bool):
    """The device that runs an operation on these types: `device` when it can hold them all;
    otherwise, for uncommitted values, the first device that can (float64 under jax_enable_x64
    with webgpu as the default lands on wasm); committed values raise the device's TypeError."""
    if all(holds(device, a.dtype) for a in avals):
        return device
    missing = [a.dtype for a in avals if not holds(device, a.dtype)]
    if committed:
        device.holds(missing[0], explain=True)
    for d in devices():
        if all(holds(d, a.dtype) for a in avals):
            return d
    raise TypeError(f"No device can hold {', '.join(sorted({m.name for m in missing}))} arrays")


def to_buffer(x, device, aval):
    if isinstance(x, ArrayImpl):
        if x._device is device:
            return x._buf
        return device.put(x._value())
    return device.put(np.asarray(x, dtype=aval.dtype))


# (prim, device, input avals, params) -> (output avals, executor(bufs) -> bufs): eager dispatch
# re-derives nothing once a signature has been seen.
_eager_cache: dict = {}


_flags = config._values  # read on every eager op: a dict lookup, not an attribute chain


def apply_primitive(prim, args, params):
    outs = _apply(prim, args, params)
    if _flags["jax_debug_nans"] or _flags["jax_debug_infs"]:
        _check_floats(prim, args, params, outs)
    return outs


def _invalid(outs) -> str | None:
    """'nan' or 'inf' when an output holds one that the debug flags look for."""
    for o in outs:
        if isinstance(o, ArrayImpl) and o.dtype.kind in "fc":
            v = np.asarray(o)
            if _flags["jax_debug_nans"] and np.isnan(v).any():
                return "nan"
            if _flags["jax_debug_infs"] and np.isinf(v).any():
                return "inf"
    return None


def _check_floats(prim, args, params, outs) -> None:
    """jax_debug_nans / jax_debug_infs: name the primitive that made the value. A call of a
    jaxpr (jit and the like) ran fused, so it runs again one primitive at a time, as JAX's
    de-optimised re-run does, and the first primitive to make one raises."""
    kind = _invalid(outs)
    if kind is None:
        return
    closed = params.get("jaxpr", params.get("call_jaxpr"))
    if isinstance(closed, core.ClosedJaxpr):
        core.eval_jaxpr(closed.jaxpr, [*closed.consts, *args])  # raises at the primitive
        raise FloatingPointError(
            f"invalid value ({kind}) encountered in the output of {prim.name}; however, running it "
            "one primitive at a time did not produce one (the fused kernels' rounding differs)")
    raise FloatingPointError(f"invalid value ({kind}) encountered in {prim.name}")


def _apply(prim, args, params):
    rule = impl_rules.get(prim)
    if rule is not None:
        if _rec.steps is not None:
            _rec.steps = False  # a call of a jaxpr: not one replayable step
        outs = rule(*args, **params)
        return outs if prim.multiple_results else [outs]
    avals = tuple(a.aval if type(a) is ArrayImpl else core.get_aval(a) for a in args)
    device = _device_of(args)
    try:
        key = (prim, device, avals, tuple(params.items()))
        entry = _eager_cache.get(key)
    except TypeError:  # unhashable params: no caching
        key = entry = None
    committed = any(type(a) is ArrayImpl and a._committed for a in args)
    if entry is None:
        out_avals = [interned(a) for a in core.abstract_eval(prim, avals, params)]
        device = placement(device, (*avals, *out_avals), committed)
        entry = (out_avals, device.executor(prim, avals, params, out_avals), device)
        if key is not None:
            if len(_eager_cache) > 8192:  # programs with endlessly new shapes: start over
                _eager_cache.clear()
            _eager_cache[key] = entry
    out_avals, run, device = entry
    bufs = [a._buf if type(a) is ArrayImpl and a._device is device else to_buffer(a, device, av)
            for a, av in zip(args, avals)]
    outs = run(bufs)
    outs = [ArrayImpl(av, b, device, committed) for av, b in zip(out_avals, outs)]
    steps = _rec.steps
    if steps is not None and steps is not False:
        steps.append((args, outs, run, device))
    return outs


# ---- replayed eager operations ----------------------------------------------------------------------
# An operation of the public API (`a + b`, `a[3]`, `a.reshape(2, 5)`) on concrete Arrays takes
# the same primitives for every call with the same operand types: promotion, broadcasting and
# parameter checks in jnp depend on avals and static arguments only. `eager_cached` runs such an
# operation once while recording the primitives it applies; later calls with that signature run
# the recorded executors directly (no jnp, no bind, no abstract evaluation, no cache key built
# from avals' contents). Its keys hold avals by identity: avals are interned on a miss, and the
# recorded outputs carry interned avals, so results fed back in hit again.


class _Recording(threading.local):
    steps = None  # None, or the steps recorded so far, or False: this call cannot be replayed


_rec = _Recording()
_interned: dict = {}  # (shape, dtype, weak_type) -> the one ShapedArray used in eager_cached keys
_programs: dict = {}  # key -> _Program, or False: recorded and found not replayable


def interned(a):
    """The one ShapedArray equal to a that eager_cached keys use."""
    if type(a) is not core.ShapedArray:
        return a
    k = (a.shape, a.dtype, a.weak_type)
    b = _interned.get(k)
    if b is None:
        if len(_interned) > 4096:
            _interned.clear()
            _programs.clear()  # (keys hold the avals' ids)
        b = _interned[k] = a
    return b


def intern(x: ArrayImpl) -> core.ShapedArray:
    """x's aval replaced by the interned equal one (an Array's aval is immutable data)."""
    b = x.aval = interned(x.aval)
    return b


class _Program:
    """Recorded steps: (executor, input positions, number of outputs) over a list of slots that
    holds the operands' buffers, then the constants the operation made (from static values: a
    divisor, a zero), then each step's outputs; `result` is the position of the result."""
    __slots__ = ("steps", "result", "aval", "device", "avals", "consts", "run", "ins", "pair", "unary", "call")

    def __init__(self, steps, result, aval, device, avals, consts, n_operands):
        self.steps, self.result, self.aval, self.device, self.avals = steps, result, aval, device, avals
        self.consts = consts
        # the common case, one step on the operands whose output is the result: no list of slots
        if len(steps) == 1 and not consts and result == n_operands:
            self.run, self.ins = steps[0][0], steps[0][1]
        else:
            self.run = self.ins = None
        self.pair = self.ins == (0, 1)  # run([first operand, second operand]) is the whole replay
        self.unary = self.ins == (0,)  # run([the operand]) is (not `x != x`, whose step reads it twice)
        # call(*operand buffers) -> the result's buffer, for those two cases
        run = self.run
        if self.pair:
            self.call = getattr(run, "pair", None) or (lambda a, b: run([a, b])[0])
        elif self.unary:
            self.call = getattr(run, "one", None) or (lambda a: run([a])[0])
        else:
            self.call = None

    def replay(self, bufs):
        if self.run is not None:
            return self.run([bufs[i] for i in self.ins])[0]
        bufs.extend(self.consts)
        for run, ins, n in self.steps:
            outs = run([bufs[i] for i in ins])
            bufs.extend(outs)
        return bufs[self.result]


def eager_ok() -> bool:
    """Nothing is traced in this thread and no debug check wants to see each primitive. (The
    replays were recorded with the present x64 mode, which decides jnp's dtypes.)"""
    if _busy[0]:  # a transformation or a recording runs somewhere: is it this thread's?
        st = core._state
        if st.dynamic_trace is not None or len(st.trace_stack) != 1 or _rec.steps is not None:
            return False  # (recording: every step through bind)
    if _flags["jax_debug_nans"] or _flags["jax_debug_infs"]:
        return False
    if _flags["jax_enable_x64"] != _x64[0]:
        _x64[0] = _flags["jax_enable_x64"]
        replay_epoch[0] += 1
        for cache in replay_caches:
            cache.clear()
    return True


_x64 = [False]
_busy = core.busy
replay_epoch = [0]  # counts x64 mode changes: cached calls made in another mode are stale
replay_caches: list = [_programs]  # caches of recorded operations: emptied when the x64 mode changes


def eager_cached(key, fn, operands, keyed: int = -1):
    """fn(*operands) for concrete uncommitted Arrays on one device, with nothing traced (the
    caller checked `eager_ok()` and built `key` from the operation, the ids of the operands'
    interned avals and its static arguments): a replay of the primitives a first call recorded.
    fn must not read operand values on the host (recording would not see it). The key holds the
    avals of the first `keyed` operands (all by default); the others' follow from the key."""
    prog = _programs.get(key)
    if prog is None:
        return _record(key, fn, operands, keyed)
    if prog is not False:
        dev = prog.device
        if all(x._device is dev and not x._committed for x in operands):
            return ArrayImpl(prog.aval, prog.replay([x._buf for x in operands]), dev)
    return fn(*operands)


def replayed_unary(f):
    """f(x) for a jnp function of one array: eagerly on an Array, a replay of what the first call
    with x's type applied (f's primitives depend on x's type alone)."""
    def g(x, /):
        if type(x) is ArrayImpl and not x._committed and eager_ok():
            key = (f, id(x.aval))
            prog = _programs.get(key)
            if prog and prog.unary and prog.device is x._device:
                return ArrayImpl(prog.aval, prog.call(x._buf), prog.device)
            return eager_cached(key, f, (x,))
        return f(x)
    g.__name__, g.__qualname__, g.__doc__, g.__wrapped__ = f.__name__, f.__qualname__, f.__doc__, f
    return g


def _record(key, fn, operands, keyed):
    dev = operands[0]._device
    if any(x._device is not dev or x._committed for x in operands):
        return fn(*operands)  # placement decides: not what this cache is for
    if len({id(x) for x in operands}) != len(operands):
        return fn(*operands)  # x @ x: a program recorded by identity would read one operand for both
    fresh = False
    for x in operands[:keyed] if keyed >= 0 else operands:
        a = x.aval
        fresh |= intern(x) is not a
    if fresh:  # the key holds ids of avals that are not kept: the next call keys the interned ones
        return fn(*operands)
    reads = array.host_reads[0]
    _rec.steps = []
    try:
        with core.busy_scope():
            out = fn(*operands)
    finally:
        steps, _rec.steps = _rec.steps, None
    prog = False
    if steps and type(out) is ArrayImpl and array.host_reads[0] == reads and not out._committed:
        prog = _program(steps, out, operands)
    if len(_programs) > 8192:
        _programs.clear()
    _programs[key] = prog
    return out


def _program(steps, out, operands):
    dev = operands[0]._device
    where = {id(x): k for k, x in enumerate(operands)}
    made = {id(o) for _, outs, _, _ in steps for o in outs}
    consts = []
    for args, _, _, device in steps:  # Arrays made on the way from static values: kept as they are
        for a in args:
            if id(a) not in where and id(a) not in made:
                if type(a) is not ArrayImpl or a._device is not dev or a._committed:
                    return False  # (a Python or numpy value: placed anew on every call)
                where[id(a)] = len(operands) + len(consts)
                consts.append(a)
    prog, avals = [], [x.aval for x in (*operands, *consts)]
    for args, outs, run, device in steps:
        if device is not dev:
            return False
        prog.append((run, tuple(where[id(a)] for a in args), len(outs)))
        for o in outs:
            where[id(o)] = len(avals)
            avals.append(intern(o))
    k = where.get(id(out))
    if k is None:
        return False
    return _Program(tuple(prog), k, avals[k], dev, tuple(avals), tuple(c._buf for c in consts), len(operands))


def device_put(x, device=None):
    """Place a value (or pytree of values) on a device; committed when a device is named."""
    if isinstance(device, str):
        device = devices(device)[0]
    committed = device is not None
    dev = device or get_default_device()

    def put(v):
        if isinstance(v, core.Tracer):
            return v
        if isinstance(v, ArrayImpl):
            target = placement(dev, [v.aval], committed)
            if v._device is target:
                return ArrayImpl(v.aval, v._buf, target, committed or v._committed)
            return ArrayImpl(v.aval, target.put(v._value()), target, committed)
        if isinstance(v, (str, bytes)) or v is None:
            raise TypeError(f"Argument {v!r} of type {type(v)} is not a valid JAX type")
        return make_array(v, device=dev, committed=committed)

    return tree_util.tree_map(put, x)


_PY_SCALARS = frozenset({bool, int, float})


def make_array(value, dtype=None, device=None, committed=False, weak_type=None):
    """A concrete Array from a Python or numpy value, with JAX's dtype rules."""
    if type(value) in _PY_SCALARS and dtype is None:  # `x + 1`: the common case, checked briefly
        return _scalar_array(value, device, committed, weak_type)
    _check_numeric(value)
    dt, weak = dtypes.dtype_and_weak(value) if not isinstance(value, (list, tuple)) else (None, False)
    if isinstance(value, (list, tuple)):
        arr = np.asarray(value)
        dt = _list_dtype(value, arr)
    else:
        arr = np.asarray(value)
    if dtype is not None:
        dt, weak = dtypes.check_user_dtype(dtype), False
    if weak_type is not None:
        weak = weak_type
    dt = dtypes.canonicalize_dtype(dt)
    _check_python_ints(value, dt, explicit=dtype is not None)
    with np.errstate(all="ignore"):
        arr = arr.astype(dt, copy=False)
    aval = interned(core.ShapedArray(arr.shape, dt, weak))
    dev = placement(device or get_default_device(), [aval], committed)
    return ArrayImpl(aval, dev.put(arr), dev, committed)


def _scalar_array(value, device, committed, weak_type):
    dt, weak = dtypes.dtype_and_weak(value)
    dt = dtypes.canonicalize_dtype(dt)
    if type(value) is int:
        core.check_python_int(value, dt, "Python int {} too large to convert to {}")
    with np.errstate(all="ignore"):
        arr = np.asarray(value).astype(dt)
    aval = core.ShapedArray((), dt, weak if weak_type is None else weak_type)
    dev = placement(device or get_default_device(), [aval], committed)
    return ArrayImpl(aval, dev.put(arr), dev, committed)


def _check_numeric(value) -> None:
    """JAX's TypeError for strings and objects, naming the element at fault (numpy would make a
    string or object array of them, which dtype rules then misread as a dtype name)."""
    leaves: list = []
    _nested_leaves(value, leaves)
    for v in leaves:
        if isinstance(v, (np.ndarray, np.generic)) and np.dtype(v.dtype) not in dtypes.SUPPORTED or \
                isinstance(v, (str, bytes)):
            dt = np.asarray(v).dtype
            raise TypeError(f"Value {v!r} with dtype {dt} is not a valid JAX array type. Only arrays of "
                            f"numeric types are supported by JAX.")
        if not (core.valid_jaxtype(v) or isinstance(v, (np.ndarray, np.generic))):
            raise TypeError(f"Value {v!r} with type {type(v)} is not a valid JAX type")


def _check_python_ints(value, dt, explicit: bool) -> None:
    """Python ints must fit the dtype they become (JAX raises OverflowError; numpy would wrap)."""
    if type(value) is int:
        core.check_python_int(value, dt, "Python integer {} out of bounds for {}" if explicit else
                              "Python int {} too large to convert to {}")
    elif isinstance(value, (list, tuple)) and np.dtype(dt).kind in "iu":
        leaves: list = []
        _nested_leaves(value, leaves)
        for v in leaves:
            if type(v) is int:
                core.check_python_int(v, dt)


def _nested_leaves(v, leaves: list) -> None:
    if isinstance(v, (list, tuple)):
        for e in v:
            _nested_leaves(e, leaves)
    else:
        leaves.append(v)


def _list_dtype(value, arr) -> np.dtype:
    """jnp.array([1, 2.5]) follows JAX promotion over the elements, not numpy's float64."""
    leaves: list = []
    _nested_leaves(value, leaves)
    if not leaves:
        return dtypes.default_float()
    dt, _ = dtypes.result_type_with_weak(*(dtypes.dtype_and_weak(v) for v in leaves))
    return dt


core.register_eval_primitive(apply_primitive)
array._make_array = make_array
