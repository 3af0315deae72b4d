"""The concrete `jaxlite.Array`: an abstract value plus a buffer on a device.

Device memory is owned by the buffer object: when Python drops the last Array referring to it,
the buffer is freed (no `.ref`/`dispose` as in jax-js). Tracers are registered as virtual
subclasses of `Array`, as in JAX, so `isinstance(x, jax.Array)` holds under transformations.
"""

from __future__ import annotations

import abc

import numpy as np

from jaxlite._src import core


class _Done:
    """An awaitable that is already complete (host-side devices have nothing to wait for)."""

    def __await__(self):
        return iter(())


_DONE = _Done()

# Reads of Array values on the host so far: dispatch's eager recording checks that an operation it
# replays never looked at values (its control flow then depends on avals alone).
host_reads = [0]

# How an unpickled Array is rebuilt from its host value: dispatch (which places values on devices,
# and builds on this module) registers its make_array here.
_make_array = None


class Array(abc.ABC):
    """The public array type (`jaxlite.Array`)."""
    __slots__ = ()


Array.register(core.Tracer)


class ArrayImpl(Array):
    __slots__ = ("aval", "_buf", "_device", "_committed", "__weakref__")
    __array_priority__ = 100

    def __init__(self, aval: core.ShapedArray, buf, device, committed: bool = False):
        self.aval = aval
        self._buf = buf
        self._device = device
        self._committed = committed

    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    ndim = property(lambda self: self.aval.ndim)
    size = property(lambda self: self.aval.size)
    weak_type = property(lambda self: self.aval.weak_type)
    nbytes = property(lambda self: self.aval.size * self.aval.dtype.itemsize)
    # Placed on a device by name (device_put(x, d), jit(device=d)): later operations stay there.
    committed = property(lambda self: self._committed)

    def _value(self) -> np.ndarray:
        """The data as a numpy array (reads back from the device)."""
        host_reads[0] += 1
        return self._device.get(self._buf, self.aval)

    def devices(self) -> set:
        return {self._device}

    @property
    def device(self):
        return self._device

    def block_until_ready(self):
        sync = getattr(self._device, "synchronize", None)
        if sync is not None:  # asynchronous devices (webgpu): wait for the queue
            sync()
        return self

    def copy_to_host_async(self):
        """Start copying the value to the host. Awaiting the result (optional, as in JAX where it
        returns None) waits for the copy; afterwards reading the value never blocks."""
        get_async = getattr(self._device, "get_async", None)
        if get_async is None:
            return _DONE
        import asyncio
        return asyncio.ensure_future(get_async(self._buf, self.aval))

    def __array__(self, dtype=None, copy=None):
        v = self._value()
        if dtype is not None:
            v = v.astype(dtype)
        return np.array(v, copy=True) if copy else v

    def _scalar(self):
        """A 0-d array's value as a Python scalar, read straight from device memory where the
        device can (no numpy array on the way); None where it cannot."""
        read = getattr(self._device, "read_scalar", None)
        if read is None or self.aval.shape:
            return None
        host_reads[0] += 1
        return read(self._buf, self.aval.dtype)

    def item(self, *args):
        if not args:
            v = self._scalar()
            if v is not None:
                return v
        return self._value().item(*args)

    def tolist(self):
        return self._value().tolist()

    def __bool__(self):
        return bool(self._value())

    def __int__(self):
        v = self._scalar()
        return int(self._value() if v is None else v)

    def __float__(self):
        v = self._scalar()
        return float(self._value() if v is None else v)

    def __complex__(self):
        return complex(self._value())

    def __index__(self):
        if self.dtype.kind not in "iub":
            raise TypeError(f"only integer arrays can be used as an index, got {self.dtype}")
        return int(self._value())

    def __hash__(self):
        raise TypeError("unhashable type: 'jaxlite.Array'")

    def __repr__(self):
        prefix = "Array("
        v = self._value()
        if v.size == 0:
            body = f"[], shape={v.shape}"
        else:
            body = np.array2string(v, separator=", ", prefix=prefix)
        weak = ", weak_type=True" if self.weak_type else ""
        return f"{prefix}{body}, dtype={self.dtype.name}{weak})"

    def __str__(self):
        return str(self._value())

    def __format__(self, spec):
        if self.ndim == 0:
            return format(self._value().item(), spec)
        return format(str(self), spec)

    def __reduce__(self):
        return (_make_array, (self._value(), self.dtype))

    def __dlpack__(self, *args, **kwargs):
        return self._value().__dlpack__(*args, **kwargs)
