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
        out_avals = core.abstract_eval(prim, avals, params)
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
    return [ArrayImpl(av, b, device, committed) for av, b in zip(out_avals, outs)]


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
    aval = core.ShapedArray(arr.shape, dt, weak)
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
