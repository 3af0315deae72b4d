"""Backend discovery: which devices exist here and in which order.

`dispatch` keeps the list of devices, but the kernel devices build on it (they run plans through
dispatch, kernel/ and lax/), so it cannot import them; this package finds them and registers them
with dispatch. The runtime assembler (api.py) calls `discover()` once, after every primitive
module is loaded. The `cpu` reference device needs no discovery: dispatch always has it.
"""

from __future__ import annotations

import sys

from jaxlite._src import dispatch


def discover() -> None:
    """The wasm device exists wherever a WebAssembly engine does: the browser's in Pyodide,
    wasmtime in CPython (a test dependency). In the browser it comes first and is the default."""
    from jaxlite._src.backends.wasm.device import WasmDevice
    from jaxlite._src.backends.wasm import linalg  # noqa: F401  (registers the factorisation routines)
    from jaxlite._src.backends.wasm import fft  # noqa: F401  (registers the FFT routine)
    from jaxlite._src.backends.wasm import eig  # noqa: F401  (registers qr, eigh and svd)
    from jaxlite._src.backends.wasm.runtime import default_runtime
    runtime = default_runtime()
    if runtime is not None:
        dispatch.register_device(WasmDevice(runtime), position=0 if sys.platform == "emscripten" else None)
    dispatch.register_starter(_start_webgpu)


async def _start_webgpu() -> None:
    """WebGPU adapters and devices are requested asynchronously (by `await jaxlite.init()`); the
    device is listed after wasm (the default in the browser), before cpu."""
    if "webgpu" in dispatch._devices or sys.platform != "emscripten":
        return
    from jaxlite._src.backends.webgpu.device import create_device
    dev = await create_device()
    if dev is not None:
        order = list(dispatch._devices)
        dispatch.register_device(dev, position=order.index("wasm") + 1 if "wasm" in order else 0)
