"""Run jaxlite inside real Pyodide: in Node (with Dawn WebGPU) and in headless Chromium.

pytest-pyodide drives both runtimes. Two things it cannot do alone here: Playwright must launch
Debian's Chromium (it cannot download its own), and Node needs `navigator.gpu` preloaded.
A missing browser, Node or dist is an error, never a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from pytest_pyodide.config import get_global_config

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

CHROMIUM = os.environ.get("JAXLITE_CHROMIUM", "/usr/lib/chromium/chromium")
CHROME_FLAGS = [
    "--headless=new", "--no-sandbox", "--enable-unsafe-webgpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--js-flags=--expose-gc",
]
NODE_PRELOAD = ROOT / "web" / "node-webgpu.mjs"
# Globals that web/node-webgpu.mjs installs; pytest-pyodide runs Pyodide in a vm context that only
# sees the globals it is told about.
NODE_WEBGPU_GLOBALS = ["navigator", "GPUBufferUsage", "GPUMapMode", "GPUShaderStage", "GPUTextureUsage"]


def pytest_configure(config):
    cfg = get_global_config()
    cfg.set_flags("chrome", CHROME_FLAGS)
    # JSPI (synchronous GPU readback through pyodide.ffi.run_sync) is behind a flag in Node 20.
    cfg.set_flags("node", [f"--import={NODE_PRELOAD}", "--experimental-wasm-stack-switching"])
    cfg.add_node_extra_globals(NODE_WEBGPU_GLOBALS)
    os.environ.setdefault("VK_ICD_FILENAMES", "/usr/lib/chromium/vk_swiftshader_icd.json")

    dist = Path(config.option.dist_dir)
    lock = dist / "pyodide-lock.json"
    if not lock.exists() or "jaxlite" not in json.loads(lock.read_text())["packages"]:
        raise pytest.UsageError(f"{dist} holds no Pyodide dist with jaxlite: run `make setup`")
    if not shutil.which("node"):
        raise pytest.UsageError("node is not installed: run `make setup`")
    if not Path(CHROMIUM).exists():
        raise pytest.UsageError(f"no Chromium at {CHROMIUM}: run `make setup`")


def pytest_collection_modifyitems(config, items):
    """`make test-pyodide` runs the Node and the Chromium runtimes in two processes side by side
    (one per core). The page tests use no Pyodide runtime (they drive the site with Playwright):
    with JAXLITE_PAGE_TESTS=0 (the Node process) they are left to the other process."""
    if os.environ.get("JAXLITE_PAGE_TESTS", "1") != "0":
        return
    keep = [i for i in items if "selenium" in getattr(i, "fixturenames", ())]
    dropped = [i for i in items if "selenium" not in getattr(i, "fixturenames", ())]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(scope="module")
def playwright_browsers(request):
    """Like pytest-pyodide's fixture, but launches Debian's Chromium and ignores Node."""
    from pytest_pyodide.hook import pytest_wrapper

    if "chrome" not in pytest_wrapper.pyodide_runtimes:
        yield {}
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=get_global_config().get_flags("chrome"))
        try:
            yield {"chrome": browser}
        finally:
            browser.close()


@pytest.fixture(scope="session")
def site_url():
    """The project's own site (tools/serve.py) on a free localhost port."""
    from serve import serve_in_thread

    server, url = serve_in_thread()
    yield url
    server.shutdown()


def watched_page(context):
    """A new page of `context` whose uncaught errors and console errors collect in `page.errors`
    (tests assert it stays empty: a page that logs an error has failed even if it looks right)."""
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    return page


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _node_result_timeout(request):
    """pytest-pyodide's Node runner waits for a result with pexpect's default timeout (60 s),
    whatever the test's driver_timeout says: give that wait the test's timeout too."""
    if "selenium" in request.fixturenames:
        selenium = request.getfixturevalue("selenium")
        spawn = getattr(selenium, "p", None)
        if spawn is not None:
            spawn.timeout = max(spawn.timeout or 0, selenium.script_timeout)
    yield
