"""The CPython core suite (tests/) run inside Pyodide, in Node and in headless Chromium.

Tests that compare against the `jax` oracle skip there (jax does not exist in Pyodide) and run
in the CPython layer; everything else, hypothesis property tests included, runs in Pyodide.
"""

from pathlib import Path

import pytest
from pytest_pyodide import run_in_pyodide

TESTS = Path(__file__).resolve().parent.parent / "tests"


@run_in_pyodide(packages=["jaxlite", "pytest", "hypothesis"])
def _run_suite(selenium, files):
    import contextlib
    import io
    import os

    import pytest

    root = "/tmp/jaxlite-tests"
    os.makedirs(root, exist_ok=True)
    for name, source in files.items():
        with open(f"{root}/{name}", "w") as f:
            f.write(source)
    os.chdir(root)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = pytest.main([root, "-q", "-rs", "-p", "no:cacheprovider", "-x"])
    return [int(code), out.getvalue()]


@pytest.mark.driver_timeout(900)
def test_core_suite_in_pyodide(selenium):
    files = {p.name: p.read_text() for p in TESTS.glob("*.py")}
    code, output = _run_suite(selenium, files)
    summary = output.strip().splitlines()[-1]
    assert code == 0, output[-6000:]
    assert " passed" in summary and "failed" not in summary, summary
    print(f"[{selenium.browser}] {summary}")
