"""jaxlite imports inside Pyodide, in Node and in Chromium, from the freshly built wheel."""

from pytest_pyodide import run_in_pyodide

from jaxlite import __version__ as HOST_VERSION


@run_in_pyodide(packages=["jaxlite"])
def _import_jaxlite(selenium):
    import sys

    import jaxlite
    import numpy as np

    return [jaxlite.__version__, np.__version__, sys.platform, list(sys.version_info[:2])]


def test_import_jaxlite(selenium):
    version, numpy_version, platform, py = _import_jaxlite(selenium)
    assert version == HOST_VERSION
    assert numpy_version == "2.0.2"
    assert platform == "emscripten"
    assert py == [3, 12]


@run_in_pyodide(packages=["jaxlite"])
async def _webgpu_adapter(selenium):
    import js

    if not hasattr(js, "navigator") or not hasattr(js.navigator, "gpu"):
        raise AssertionError("navigator.gpu is missing: the runtime has no WebGPU")
    adapter = await js.navigator.gpu.requestAdapter()
    if adapter is None:
        raise AssertionError("navigator.gpu.requestAdapter() returned null: no WebGPU adapter")
    info = adapter.info
    return [info.vendor, info.architecture]


def test_webgpu_adapter(selenium):
    """Both runtimes must expose a working WebGPU adapter (SwiftShader here)."""
    vendor, architecture = _webgpu_adapter(selenium)
    assert architecture == "swiftshader" or vendor, (vendor, architecture)


@run_in_pyodide(packages=["jaxlite"])
def _default_device(selenium):
    import jaxlite as jax
    import jaxlite.numpy as jnp

    x = jnp.arange(8.0)
    y = jax.jit(lambda v: jnp.sqrt(v * v + 1.0))(x)
    return [[d.platform for d in jax.devices()], jax.default_backend(), y.device.platform, float(y[3])]


def test_wasm_is_the_default_device_in_pyodide(selenium):
    platforms, backend, result_platform, value = _default_device(selenium)
    assert platforms[0] == "wasm" and "cpu" in platforms
    assert backend == "wasm" and result_platform == "wasm"
    assert abs(value - 10 ** 0.5) < 1e-6
