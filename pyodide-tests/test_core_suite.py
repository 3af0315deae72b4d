"""The CPython core suite (tests/) run inside Pyodide, in Node and in headless Chromium, once
with the cpu reference device as the default and once with the wasm device (the browser's
WebAssembly engine, through Pyodide's js FFI).

Tests that compare against the `jax` oracle skip there (jax does not exist in Pyodide) and run
in the CPython layer; everything else, hypothesis property tests included, runs in Pyodide.
"""

from pathlib import Path

import pytest
from pytest_pyodide import run_in_pyodide

TESTS = Path(__file__).resolve().parent.parent / "tests"


@run_in_pyodide(packages=["jaxlite", "pytest", "hypothesis"])
def _run_suite(selenium, files, device):
    import contextlib
    import io
    import os

    import pytest

    import jaxlite

    # The default device for every test; the wasm device runs on the browser's own engine here.
    jaxlite.config.update("jax_default_device", device)

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
@pytest.mark.parametrize("device", ["cpu", "wasm"])
def test_core_suite_in_pyodide(selenium, device):
    files = {p.name: p.read_text() for p in TESTS.glob("*.py")}
    code, output = _run_suite(selenium, files, device)
    summary = output.strip().splitlines()[-1]
    assert code == 0, output[-6000:]
    assert " passed" in summary and "failed" not in summary, summary
    skips = sorted({line.split(": ", 1)[-1] for line in output.splitlines() if line.startswith("SKIPPED")})
    print(f"[{selenium.browser}, {device}] {summary}; skip reasons: {skips}")
