"""The API reference (/docs/) and the GFLOP/s benchmark pages (/bench/matmul/, /bench/conv2d/) in
headless Chromium: they load without console errors, the reference has a page per public module
and its search finds jaxlite.numpy.einsum, the benchmark pages fill their charts (?quick=1: small
sizes, short runs). Screenshots go to test-results/."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import watched_page

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-results"
DOCS = ROOT / "website" / "docs"
BOOT_MS = 120_000


@pytest.fixture(scope="module")
def docs_built():
    """The reference as `make setup` builds it; built here when it is missing."""
    if not (DOCS / "search-index.json").exists():
        subprocess.run([sys.executable, str(ROOT / "tools" / "build_docs.py"), "--out", str(DOCS)], check=True)
    return json.loads((DOCS / "search-index.json").read_text())


def feature_modules():
    """tools/features.py's module list, read without importing jaxlite into the test process."""
    tree = ast.parse((ROOT / "tools" / "features.py").read_text())
    node = next(n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "MODULES")
    return ast.literal_eval(node.value)


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1200, "height": 860})
    page = watched_page(context)
    yield page
    context.close()


def test_docs_index_links_a_page_per_module(page, site_url, docs_built):
    page.goto(site_url + "/docs/")
    links = page.eval_on_selector_all("table.modules a", "as => as.map((a) => a.getAttribute('href'))")
    modules = {m for m, *_ in docs_built}
    expected = {ours for _, ours, _ in feature_modules()} | {"jaxlite.display", "jaxlite.scipy.stats.norm"}
    assert expected <= modules, expected - modules
    assert sorted(links) == sorted(f"{m}.html" for m in modules)
    assert sorted(links) == sorted(p.name for p in DOCS.glob("*.html") if p.name != "index.html")
    for href in ("jaxlite.numpy.html", "jaxlite.display.html", "jaxlite.lax.html"):
        assert page.request.get(f"{site_url}/docs/{href}").ok
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "docs-index.png"))
    assert not page.errors, page.errors


def test_docs_search_finds_einsum_and_opens_its_entry(page, site_url, docs_built):
    page.goto(site_url + "/docs/")
    page.wait_for_function("document.body.dataset.search === 'ready'")
    page.fill("#search", "einsum")
    page.wait_for_selector("#results li a[href]")
    hrefs = page.eval_on_selector_all("#results a[href]", "as => as.map((a) => a.getAttribute('href'))")
    assert hrefs[0] == "jaxlite.numpy.html#einsum", hrefs
    page.screenshot(path=str(SHOTS / "docs-search.png"))
    page.click("#results a[href='jaxlite.numpy.html#einsum']")
    page.wait_for_url("**/jaxlite.numpy.html#einsum")
    page.wait_for_function("document.getElementById('einsum').open")
    entry = page.locator("#einsum")
    assert entry.is_visible()
    text = entry.inner_text()
    assert "einsum(subscripts, *operands" in text and "supported" in text
    assert "jaxlite.numpy.einsum" in text  # the expanded body shows the qualified name
    page.screenshot(path=str(SHOTS / "docs-einsum.png"))
    # a partial name shows its reason; the status filter hides what is unchecked
    partial = page.locator(".entry[data-status='partial']").first
    assert partial.locator("summary .reason").inner_text().strip()
    page.locator("#filters input[value='supported']").uncheck()
    assert not entry.is_visible() and partial.is_visible()
    assert not page.errors, page.errors


@pytest.mark.parametrize("name", ["matmul", "conv2d"])
def test_bench_page_fills_its_chart(page, site_url, name):
    page.goto(f"{site_url}/bench/{name}/?quick=1")
    page.wait_for_function("['done', 'error'].includes(document.body.dataset.state)", timeout=BOOT_MS)
    assert page.evaluate("document.body.dataset.state") == "done", page.inner_text("#error")
    results = page.evaluate("window.benchResults")
    print(f"{name}: boot {results['bootMs'] / 1e3:.1f} s, quick run {results['runMs'] / 1e3:.1f} s")
    systems = results["systems"]
    assert systems[:2] == ["numpy", "jaxlite-wasm"] and "jaxlite-webgpu" in systems  # SwiftShader here
    assert len(results["results"]) == len(systems) * len(results["points"])
    assert all(r["gflops"] > 0 and r["seconds"] > 0 for r in results["results"])
    dots = page.locator("#chart circle.dot").count()
    assert dots == len(results["results"])
    assert page.locator("#chart polyline").count() == len(systems)
    assert page.locator("#table tbody tr").count() == len(results["points"])
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"bench-{name}.png"), full_page=True)
    assert not page.errors, page.errors
