"""The webgpu device as a page uses it, in Node (Dawn) and Chromium: `await jaxlite.init()`,
selecting the device, synchronous readback under runPythonAsync (JSPI), the error that says what to
do where a synchronous read is impossible, awaitable readback there, and device loss."""

from pytest_pyodide import run_in_pyodide


@run_in_pyodide(packages=["jaxlite"])
async def _select_and_compute(selenium):
    import numpy as np

    import jaxlite as jax
    import jaxlite.numpy as jnp

    before = [d.platform for d in jax.devices()]
    after = [d.platform for d in await jax.init()]
    gpu = jax.devices("webgpu")[0]
    info = gpu.runtime.info
    x = jax.device_put(np.arange(6, dtype=np.float32).reshape(2, 3), gpu)
    y = jax.jit(lambda v: jnp.tanh(v @ v.T) + v.sum())(x)
    with jax.default_device(gpu):
        z = jnp.ones(3) * 2
    jax.config.update("jax_default_device", "webgpu")
    try:
        w = jnp.arange(4) + 1
    finally:
        jax.config.update("jax_default_device", None)
    return [before, after, info["architecture"] or info["vendor"], y.device.platform, np.asarray(y).tolist(),
            z.device.platform, float(z[1]), w.device.platform, w.tolist(), jax.default_backend()]


def test_init_lists_webgpu_and_selection_works(selenium):
    before, after, arch, y_platform, y, z_platform, z1, w_platform, w, default = _select_and_compute(selenium)
    assert "webgpu" not in before
    assert after[:3] == ["wasm", "webgpu", "cpu"]
    assert arch
    assert y_platform == "webgpu"
    v = [[0, 1, 2], [3, 4, 5]]
    import numpy as np
    want = np.tanh(np.array(v, np.float32) @ np.array(v, np.float32).T) + 15
    np.testing.assert_allclose(y, want, rtol=1e-6)
    assert (z_platform, z1) == ("webgpu", 2.0)
    assert w_platform == "webgpu" and w == [1, 2, 3, 4]
    assert default == "wasm"  # webgpu is opt-in; wasm stays the default device


def test_without_jspi_sync_reads_explain_and_async_reads_work(selenium):
    """pyodide.runPython (no JSPI on that stack): np.asarray says what to do instead; the
    awaitable readback then makes the value available to synchronous code."""
    selenium.load_package("jaxlite")
    result = selenium.run_js("""
        await pyodide.runPythonAsync(`
import jaxlite as jax, numpy as np
await jax.init()
x = jax.device_put(np.arange(4, dtype=np.float32), jax.devices("webgpu")[0]) * 2
`);
        const err = pyodide.runPython(`
try:
    np.asarray(x)
    msg = "no error"
except Exception as e:
    msg = type(e).__name__ + ": " + str(e)
msg
`);
        pyodide.runPython("fut = x.copy_to_host_async()");  // started from synchronous code
        await pyodide.runPythonAsync("await fut");
        const value = pyodide.runPython("np.asarray(x).tolist()");  // cached: no wait needed
        const tree = await pyodide.runPythonAsync(
            "t = await jax.device_get_async({'a': x + 1, 'b': 3}); [t['a'].tolist(), t['b']]");
        return [err, value.toJs(), tree.toJs()];
    """)
    err, value, tree = result
    assert err.startswith("SyncReadError:") and "runPythonAsync" in err and "copy_to_host_async" in err, err
    assert value == [0, 2, 4, 6]
    assert tree == [[1, 3, 5, 7], 3]


@run_in_pyodide(packages=["jaxlite"])
async def _device_loss(selenium):
    import numpy as np

    import jaxlite as jax

    await jax.init()
    gpu = jax.devices("webgpu")[0]
    x = jax.device_put(np.ones(4, np.float32), gpu)
    gpu.runtime.gpu.destroy()
    try:
        await (x * 2).copy_to_host_async()
    except Exception as e:
        return [type(e).__name__, str(e)]
    return ["no error", ""]


def test_device_loss_is_a_python_exception(selenium):
    name, msg = _device_loss(selenium)
    assert name == "WebGPUError" and "lost" in msg, (name, msg)
