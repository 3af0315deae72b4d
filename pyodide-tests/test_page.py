"""The landing page (/): boots jaxlite in a Web Worker with the classic script loader, runs its live
example there and shows the output and the chart, links every part of the site, and is cross-origin
isolated so the wasm kernels run on worker threads."""

import re
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
# read, not imported: the page serves the wheel's version, whatever the source tree is doing now
HOST_VERSION = re.search(r'__version__ = "(.*)"', (ROOT / "src/jaxlite/version.py").read_text()).group(1)
SHOTS = ROOT / "test-results"
BOOT_MS = 120_000

# Pages the landing page links that other parts of the site build (JupyterLite, the demos, the
# benchmark pages, the API reference): a link to one of these may be missing from a checkout that
# has not built it yet. Every other link must answer.
BUILT_ELSEWHERE = {"/lite/lab/index.html", "/demos/digits/", "/demos/mandelbrot/", "/bench/matmul/",
                   "/bench/conv2d/", "/docs/"}


@pytest.fixture(scope="module")
def landing(chromium, site_url):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.goto(site_url + "/")
    page.wait_for_function("document.body.dataset.ready", timeout=BOOT_MS)
    yield page
    context.close()


def numbers(line):
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", line)]


def test_landing_page_runs_its_live_example(landing):
    page = landing
    assert page.evaluate("document.body.dataset.ready") == "1", page.inner_text("#output")
    assert page.inner_text("#status") == "Ready"
    assert page.inner_text("#version") == HOST_VERSION
    assert page.inner_text("#numpy-version") == "2.0.2"
    assert page.inner_text("#python-version").startswith("3.12.")
    assert "adapter" in page.inner_text("#webgpu")
    # The server must make the page cross-origin isolated (SharedArrayBuffer for wasm threads).
    assert page.evaluate("crossOriginIsolated") is True
    assert page.evaluate("jl.mode") == "worker"

    # The example's printed lines: tanh' and tanh'' at 0 and 1 (from the closed forms; JAX itself
    # gives the same to float32 rounding).
    backend, first, second = page.inner_text("#output").strip().splitlines()
    assert backend == "wasm float32"
    t = 0.7615941559557649  # tanh(1)
    assert numbers(first) == pytest.approx([1.0, 1 - t * t], abs=1e-6)
    assert numbers(second) == pytest.approx([0.0, -2 * t * (1 - t * t)], abs=1e-6)
    # the chart: three labelled curves
    svg = page.locator("#figure svg")
    assert svg.locator("polyline").count() == 3
    assert all(label in svg.inner_html() for label in ["tanh", "tanh'", "tanh''"])
    assert "wasm in a Web Worker" in page.inner_text("#live-where")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "landing.png"))
    page.screenshot(path=str(SHOTS / "landing-full.png"), full_page=True)
    assert not page.errors, page.errors


def test_live_example_matches_jax(landing):
    """The code shown on the page, run by real JAX, prints the same numbers."""
    import contextlib
    import io

    code = landing.inner_text("#example-code")
    source = (code.replace("import jaxlite as jax", "import jax").replace("jaxlite.numpy", "jax.numpy")
              .replace("from jaxlite.display import plot", "plot = lambda *a, **k: None"))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<example>", "exec"), {})
    ours = landing.inner_text("#output").strip().splitlines()
    theirs = out.getvalue().strip().splitlines()
    assert ours[0].split()[1] == theirs[0].split()[1]  # the dtype (the backend names differ)
    for a, b in zip(ours[1:], theirs[1:], strict=True):
        assert numbers(a) == pytest.approx(numbers(b), abs=1e-6)


def test_open_in_repl_and_run_again(landing, site_url):
    page = landing
    # "Run again" runs the example once more in the same worker
    page.click("#rerun")
    page.wait_for_function("!document.getElementById('rerun').disabled", timeout=30_000)
    assert page.inner_text("#output").startswith("wasm float32\n")
    assert page.locator("#figure svg").count() == 1
    # the REPL link carries the code in its hash
    href = page.get_attribute("#open-in-repl", "href")
    assert href.startswith("/repl/#code=")
    repl = page.context.new_page()
    repl.goto(urljoin(site_url, href))
    repl.wait_for_selector(".cm-content")
    assert repl.evaluate("repl.editor.getCode()") == page.inner_text("#example-code")
    repl.close()
    assert not page.errors, page.errors


def test_every_link_leads_somewhere(landing, site_url):
    links = landing.evaluate("[...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href'))")
    assert {"/repl/", "/lite/lab/index.html?path=jaxlite-intro.ipynb", "/demos/digits/", "/demos/mandelbrot/",
            "/bench/", "/bench/matmul/", "/bench/conv2d/", "/docs/", "/repo/FEATURES.md",
            "/repo/BENCHMARKS.md"} <= set(links)
    missing = []
    for href in sorted(set(links)):
        parts = urlsplit(urljoin(site_url + "/", href))
        assert parts.netloc == urlsplit(site_url).netloc, f"{href}: the page links outside the site"
        if not parts.path or parts.path == "/" and parts.fragment:
            assert landing.locator(f"[id='{parts.fragment}']").count() == 1, href  # an anchor on the page
            continue
        try:
            with urllib.request.urlopen(f"{site_url}{parts.path}") as r:
                # a folder without its index.html answers with a listing: not built either
                if b"Directory listing for" in r.read(400):
                    missing.append((parts.path, "listing"))
        except urllib.error.HTTPError as e:
            missing.append((parts.path, e.code))
    unexpected = [(path, code) for path, code in missing if path not in BUILT_ELSEWHERE]
    assert not unexpected, f"links to nothing: {unexpected}"


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


def test_wasm_kernels_use_worker_threads_on_an_isolated_page(landing):
    """The site is cross-origin isolated: inside the page's jaxlite worker the wasm memory is shared
    and big kernels (matmul rows, long elementwise and row-reduction kernels) run in slices on
    nested Web Workers, with the same results."""
    page = landing
    cores = page.evaluate("navigator.hardwareConcurrency")
    threads, shared, runs, err = page.evaluate("(code) => jl.runPython(code)", THREADS_CHECK)
    if cores < 2:
        assert threads == 1
        return
    assert threads == min(cores, 8) and shared
    assert runs >= 3  # the matmul and both jit kernels were split
    assert err[0] < 1e-3 and err[1] < 1e-6 and err[2] < 1e-3, err
    assert not page.errors, page.errors
