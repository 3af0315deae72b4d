"""Backend discovery: which devices exist here and in which order.

`dispatch` keeps the list of devices, but the kernel devices build on it (they run plans through
dispatch, kernel/ and lax/), so it cannot import them; this package finds them and registers them
with dispatch. The runtime assembler (api.py) calls `discover()` once, after every primitive
module is loaded. The `cpu` reference device needs no discovery: dispatch always has it.
"""

from __future__ import annotations

import importlib
import sys

from jaxlite._src import dispatch


def discover() -> None:
    """The wasm device exists wherever a WebAssembly engine does: the browser's in Pyodide,
    wasmtime in CPython (a test dependency). In the browser it comes first and is the default."""
    from jaxlite._src.backends.wasm.device import WasmDevice
    from jaxlite._src.backends.wasm.runtime import default_runtime
    # The routine modules register into prim_routines when a program first asks for a routine:
    # most programs never do, and importing them is a good part of `import jaxlite` in Pyodide.
    WasmDevice.prim_routines = _LazyRoutines(WasmDevice.prim_routines, (
        "jaxlite._src.backends.wasm.linalg",  # the factorisation routines
        "jaxlite._src.backends.wasm.linalg_complex",  # and their complex64/complex128 forms
        "jaxlite._src.backends.wasm.eig",  # qr, eigh and svd
        "jaxlite._src.backends.wasm.eig_complex",  # their complex64/complex128 forms
        "jaxlite._src.backends.wasm.fft"))  # the FFT
    runtime = default_runtime()
    if runtime is not None:
        dispatch.register_device(WasmDevice(runtime), position=0 if sys.platform == "emscripten" else None)
    dispatch.register_starter(_start_webgpu)


class _LazyRoutines(dict):
    """A device's prim_routines table (KernelDevice) that imports the modules filling it on the
    first look-up; they register with `update`/item assignment as into any dict."""

    def __init__(self, entries, modules):
        super().__init__(entries)
        self._modules = modules

    def _load(self):
        modules, self._modules = self._modules, ()
        for name in modules:
            importlib.import_module(name)


def _loading_first(method):
    def read(self, *args):
        if self._modules:
            self._load()
        return method(self, *args)
    read.__name__ = method.__name__
    return read


for _name in ("get", "__getitem__", "__contains__", "__iter__", "__len__", "keys", "items", "values"):
    setattr(_LazyRoutines, _name, _loading_first(getattr(dict, _name)))


async def _start_webgpu() -> None:
    """WebGPU adapters and devices are requested asynchronously (by `await jaxlite.init()`); the
    device is listed after wasm (the default in the browser), before cpu."""
    if "webgpu" in dispatch._devices or sys.platform != "emscripten":
        return
    from jaxlite._src.backends.webgpu.device import create_device
    # (register the routines: FFT, the factorisations, and QR/eigh/SVD run by the wasm device)
    from jaxlite._src.backends.webgpu import fft, linalg, via_wasm  # noqa: F401
    dev = await create_device()
    if dev is not None:
        order = list(dispatch._devices)
        dispatch.register_device(dev, position=order.index("wasm") + 1 if "wasm" in order else 0)
