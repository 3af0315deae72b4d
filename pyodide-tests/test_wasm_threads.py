"""The wasm device's worker pool in a cross-origin isolated page: a big kernel right after
`import jaxlite`, in the same synchronous block on the page's main thread, runs (its workers
cannot start until the thread returns to its event loop: their slices run on the calling
thread) instead of hanging the page; later, with the workers started, kernels split across
them and give the same result."""

import json

import pytest
from conftest import watched_page

ISOLATION = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp"}
BLANK = "<!doctype html><meta charset=utf-8><link rel=icon href='data:,'><title>threads test</title><body></body>"

FIRST = """
import json, numpy as np, jaxlite, jaxlite.numpy as jnp
rt = jaxlite.devices("wasm")[0].runtime
x = jnp.ones((512, 512), jnp.float32)
first = float((x * 2 + 1).sum())
json.dumps({"threads": rt.threads, "runs": rt.parallel_runs, "first": first,
            "started": rt.pool.started() if rt.pool else 0})
"""
LATER = """
y = jnp.arange(512 * 512, dtype=jnp.float32).reshape(512, 512)
later = np.asarray(jnp.sqrt(y) * 2 + 1)
json.dumps({"runs": rt.parallel_runs, "started": rt.pool.started(), "ok": bool(np.allclose(later, np.sqrt(np.arange(512 * 512, dtype=np.float32)).reshape(512, 512) * 2 + 1))})
"""


def test_big_kernel_in_the_import_block_runs_and_later_ones_use_the_workers(chromium, site_url):
    context = chromium.new_context()
    page = watched_page(context)
    page.route(site_url + "/threads-test", lambda r: r.fulfill(status=200, body=BLANK,
                                                                headers={"Content-Type": "text/html", **ISOLATION}))
    page.goto(site_url + "/threads-test")
    assert page.evaluate("crossOriginIsolated")
    page.add_script_tag(url=site_url + "/pyodide/pyodide.js")
    page.set_default_timeout(90_000)
    first = json.loads(page.evaluate("""async (code) => {
        window.py = await loadPyodide({ indexURL: "/pyodide/" });
        await py.loadPackage(["numpy", "jaxlite"]);
        return py.runPython(code);
    }""", FIRST))
    if first["threads"] == 1:
        pytest.skip("one core: the wasm device runs no workers")
    assert first["runs"] >= 1 and first["started"] == 0  # (the workers could not start yet)
    assert first["first"] == 3 * 512 * 512
    later = json.loads(page.evaluate("""async (code) => {
        await new Promise((r) => setTimeout(r, 500));  // the event loop turns: the workers start
        return py.runPython(code);
    }""", LATER))
    assert later["ok"] and later["runs"] > first["runs"] and later["started"] == first["threads"] - 1
    assert not page.errors, page.errors
    context.close()
