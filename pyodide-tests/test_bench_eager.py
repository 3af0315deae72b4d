"""The eager small-array table of the benchmark page (/bench/?only=eager, issue 18) in headless
Chromium: jaxlite and jax-js time every op of workloads.py's EAGER_OPS, and the page reports the
`import jaxlite` time that tools/bench.py puts in the table."""

import ast
from pathlib import Path

import pytest
from conftest import watched_page

ROOT = Path(__file__).resolve().parent.parent
SYSTEMS = ["jaxlite-wasm", "jax-js-wasm"]


def eager_ops():
    tree = ast.parse((ROOT / "website" / "bench" / "workloads.py").read_text())
    node = next(n for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "EAGER_OPS")
    return ast.literal_eval(node.value)


@pytest.fixture
def page(chromium):
    context = chromium.new_context()
    page = watched_page(context)
    yield page
    context.close()


@pytest.mark.slow  # a benchmark page: `make test-all` (keeps `make test` near 30 minutes)
def test_eager_table_has_every_op(page, site_url):
    page.goto(f"{site_url}/bench/?only=eager&systems={','.join(SYSTEMS)}")
    page.wait_for_function("window.benchResults || window.benchError", timeout=85_000)
    assert not page.evaluate("window.benchError"), page.evaluate("window.benchError")
    results = page.evaluate("window.benchResults")
    assert results["systems"] == {}  # only=eager: the main workloads did not run
    assert list(results["eager"]) == SYSTEMS
    for system in SYSTEMS:
        times = results["eager"][system]
        assert list(times) == eager_ops()
        assert all(0 < sec < 0.1 and reps >= 64 for sec, reps in times.values()), (system, times)
    assert 0 < results["meta"]["importJaxliteMs"] < results["meta"]["jaxliteImportMs"]
    assert not page.errors, page.errors
