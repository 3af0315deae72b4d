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
