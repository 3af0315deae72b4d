"""The reference device `cpu`: every first-order primitive evaluated with numpy.

It is the oracle the compiled backends are tested against, so it favours obvious correctness:
each kernel is a numpy expression, and dispatch casts results to the dtype abstract evaluation
promised, so numpy's own promotion never leaks into results.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np

from jaxlite._src.core import ResourceExhaustedError

# IEEE results (inf, nan, wrapped integers) are the answer, as in XLA: numpy's warnings about them,
# raised inside jaxlite's kernels, are noise to a JAX user. (A context manager per kernel call
# would cost microseconds on every eager op.)
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"jaxlite\._src\.")

# primitive -> fn(*numpy arrays, **params) -> numpy array (or list for multiple results).
# Registered next to each primitive's definition in jaxlite/_src/lax/.
kernels: dict = {}


class CpuBuffer:
    __slots__ = ("data", "device")

    def __init__(self, data: np.ndarray, device: CpuDevice):
        self.data = data
        self.device = device
        device._live += 1

    def __del__(self):
        self.device._live -= 1

    @property
    def nbytes(self) -> int:
        return self.data.nbytes


class CpuDevice:
    platform = "cpu"
    device_kind = "cpu"

    def __init__(self, id: int = 0):
        self.id = id
        self._live = 0

    def __repr__(self):
        return f"CpuDevice(id={self.id})"

    def put(self, value: np.ndarray) -> CpuBuffer:
        return CpuBuffer(_allocate(lambda: np.array(value, copy=True), np.asarray(value).nbytes), self)

    def get(self, buf: CpuBuffer, aval) -> np.ndarray:
        return buf.data

    def run_primitive(self, prim, bufs, in_avals, params, out_avals):
        kernel = kernels.get(prim)
        if kernel is None:
            raise NotImplementedError(f"primitive {prim} has no cpu kernel")
        nbytes = sum(a.size * a.dtype.itemsize for a in out_avals)
        if nbytes > sys.maxsize:  # past the address space (2 GiB in 32-bit Pyodide): numpy fails oddly
            raise ResourceExhaustedError(nbytes)
        try:
            outs = kernel(*(b.data for b in bufs), **params)
        except MemoryError:
            raise ResourceExhaustedError(nbytes) from None
        if not prim.multiple_results:
            outs = [outs]
        return [CpuBuffer(_as_dtype(o, a), self) for o, a in zip(outs, out_avals, strict=True)]

    def executor(self, prim, in_avals, params, out_avals):
        return lambda bufs: self.run_primitive(prim, bufs, in_avals, params, out_avals)

    def live_buffers(self) -> int:
        return self._live


def _allocate(make, nbytes: int) -> np.ndarray:
    try:
        return make()
    except MemoryError:
        raise ResourceExhaustedError(nbytes) from None


def _as_dtype(x, aval) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype != aval.dtype:
        with np.errstate(all="ignore"):
            x = _allocate(lambda: x.astype(aval.dtype), aval.size * aval.dtype.itemsize)
    if x.shape != aval.shape:
        raise AssertionError(f"cpu kernel produced shape {x.shape}, abstract eval said {aval.shape}")
    if 0 in x.strides and x.size > 1:
        # A broadcast view costs nothing here, but an array on a device owns its memory: JAX fails
        # when it creates one that does not fit, not at some later use.
        x = _allocate(lambda: np.array(x), x.nbytes)
    return x
