"""The wasm device's worker pool in a cross-origin isolated page: a big kernel right after
`import jaxlite`, in the same synchronous block on the page's main thread, runs (its workers
cannot start until the thread returns to its event loop: their slices run on the calling
thread) instead of hanging the page; later, with the workers started, kernels split across
them and give the same result. The factorisations' drivers share their big gemms with the
workers from inside WebAssembly (backends/wasm/linalg.py, pgemm): bit for bit the one thread's
results, and the workers leave their loops when the driver returns."""

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

FACTORS = """
import itertools
from jaxlite._src.backends.wasm import linalg as W
from jaxlite._src.lax import linalg as L
dev = jaxlite.devices("wasm")[0]
rng = np.random.default_rng(0)
n = 300
a = rng.standard_normal((2, n, n)).astype(np.float32)
s = a @ a.transpose(0, 2, 1) + n * np.eye(n, dtype=np.float32)
t = a[0] + 20 * np.eye(n, dtype=np.float32)
b = rng.standard_normal((n, 70)).astype(np.float32)
ops = [lambda: [L.cholesky_p.bind(jaxlite.device_put(s, dev))], lambda: list(L.lu_p.bind(jaxlite.device_put(a, dev)))]
for left, lower, trans in itertools.product([True, False], repeat=3):
    rhs = b if left else b.T
    ops.append(lambda left=left, lower=lower, trans=trans, rhs=rhs: [L.triangular_solve_p.bind(
        jaxlite.device_put(t, dev), jaxlite.device_put(rhs, dev), left_side=left, lower=lower, transpose_a=trans,
        conjugate_a=False, unit_diagonal=False)])
entries, run_threaded, real = [], W._run_threaded, W._threaded
W._run_threaded = lambda *args: (entries.append(args[2]), run_threaded(*args))
W._threaded = lambda d, k: True  # (order 300: below THREADED_FROM, so that the test stays quick)
threaded = [[np.asarray(x) for x in op()] for op in ops]
W._run_threaded = run_threaded
ctrl = W._ctrl(dev, W.F32)
worker_chunks = int(rt.read(ctrl.ptr + W._CTRL["wchunks"], 4).view(np.int32)[0])
W._threaded = lambda d, k: False
one = [[np.asarray(x) for x in op()] for op in ops]
W._threaded = real
same = all(np.array_equal(x, y) for u, v in zip(threaded, one) for x, y in zip(u, v))
chol_ok = bool(np.allclose(threaded[0][0] @ threaded[0][0].transpose(0, 2, 1), s, rtol=1e-4, atol=1e-2))
json.dumps({"entries": entries, "worker_chunks": worker_chunks, "same": same, "chol_ok": chol_ok, "nan": any(np.isnan(x).any() for u in threaded for x in u)})
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
    factors = json.loads(page.evaluate("(code) => py.runPython(code)", FACTORS))
    assert factors["entries"] == ["chol_batch", "lu_batch"] + ["trsm_batch"] * 8  # each one session on the threads
    assert factors["worker_chunks"] > 0  # the workers took part
    assert factors["same"] and factors["chol_ok"] and not factors["nan"], factors
    assert not page.errors, page.errors
    context.close()
