"""The site's page loads Pyodide with a plain <script>, installs the jaxlite wheel and shows it."""

from jaxlite import __version__ as HOST_VERSION


def test_index_page_boots_jaxlite(chromium, site_url):
    page = chromium.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(site_url + "/")
    page.wait_for_function("document.body.dataset.ready", timeout=60_000)
    assert page.evaluate("document.body.dataset.ready") == "1", page.inner_text("#output")
    assert page.inner_text("#status") == "Ready"
    assert page.inner_text("#version") == HOST_VERSION
    assert page.inner_text("#numpy-version") == "2.0.2"
    assert "adapter" in page.inner_text("#webgpu")
    assert not errors
    # The server must make the page cross-origin isolated (SharedArrayBuffer for wasm threads).
    assert page.evaluate("crossOriginIsolated") is True
    page.close()


THREADS_CHECK = """
import numpy as np
import jaxlite as jax, jaxlite.numpy as jnp
wasm = jax.devices("wasm")[0]
rt = wasm.runtime
rng = np.random.default_rng(0)
a = rng.standard_normal((301, 257)).astype(np.float32)
b = rng.standard_normal((257, 299)).astype(np.float32)
x = rng.standard_normal(1 << 20).astype(np.float32)
m = rng.standard_normal((2048, 300)).astype(np.float32)
with jax.default_device(wasm):
    c = np.asarray(jnp.asarray(a) @ jnp.asarray(b))
    h = np.asarray(jax.jit(lambda u: jnp.sqrt(u * u + 1.0) * jnp.exp(-u))(jnp.asarray(x)))
    s = np.asarray(jax.jit(lambda v: jnp.exp(v - v.max(1, keepdims=True)).sum(1))(jnp.asarray(m)))
ref = np.sqrt(x.astype(np.float64) ** 2 + 1) * np.exp(-x.astype(np.float64))
err = [float(np.abs(c - a.astype(np.float64) @ b).max()), float((np.abs(h - ref) / ref).max()),
       float(np.abs(s - np.exp(m - m.max(1, keepdims=True)).sum(1)).max())]
[rt.threads, rt.shared, rt.parallel_runs, err]
"""


def test_wasm_kernels_use_worker_threads_on_an_isolated_page(chromium, site_url):
    """The site is cross-origin isolated: the wasm memory is shared and big kernels (matmul rows,
    long elementwise and row-reduction kernels) run in slices on Web Workers, with the same results."""
    page = chromium.new_page()
    page.goto(site_url + "/")
    page.wait_for_function("document.body.dataset.ready", timeout=60_000)
    cores = page.evaluate("navigator.hardwareConcurrency")
    threads, shared, runs, err = page.evaluate(f"pyodide.runPythonAsync({THREADS_CHECK!r}).then(r => r.toJs())")
    page.close()
    if cores < 2:
        assert threads == 1
        return
    assert threads == min(cores, 8) and shared
    assert runs >= 3  # the matmul and both jit kernels were split
    assert err[0] < 1e-3 and err[1] < 1e-6 and err[2] < 1e-3, err
