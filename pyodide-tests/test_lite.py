"""JupyterLite at /lite/ in headless Chromium: the example notebook runs top to bottom in the Pyodide
kernel (from the site's own dist, offline), with the right outputs, a chart, a picture, a progress
bar that reached 100% through display updates, and the webgpu device (SwiftShader here)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-results"
NOTEBOOK = "jaxlite-intro.ipynb"
BOOT_MS = 240_000
# JupyterLite's own noise (see TOOLCHAIN.md).
HARMLESS = ("last_modified", "Language pack 'en' not installed")


def harmless(error):
    # besides, the browser asks for a favicon the site does not have
    return any(h in error for h in HARMLESS) or (
        error.startswith("Failed to load resource") and error.endswith("/favicon.ico)"))


@pytest.fixture(scope="module")
def lab(chromium, site_url):
    if not (ROOT / "website/lite/files" / NOTEBOOK).exists():
        pytest.fail("website/lite is not built: run `make lite`")
    context = chromium.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.errors, page.requests, page.missing = [], [], []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.errors.append(f"{m.text} ({m.location['url']})") if m.type == "error" else None)
    # Nothing may leave the machine: every request (the kernel's worker's too) goes to the site itself.
    context.on("request", lambda r: page.requests.append(r.url))
    context.on("response", lambda r: page.missing.append(r.url) if r.status >= 400 else None)
    page.goto(f"{site_url}/lite/lab/index.html?path={NOTEBOOK}")
    yield page
    context.close()


def kernel_ready(page):
    # A cell sent before the kernel answered kernel_info is dropped, even when the toolbar says Idle.
    page.wait_for_function("window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel",
                           timeout=BOOT_MS)
    page.evaluate("""() => {
      const ctx = jupyterapp.shell.currentWidget.sessionContext;
      window.kernelInfo = null;
      (async () => {
        await ctx.ready;
        window.kernelInfo = (await ctx.session.kernel.info).implementation;
      })().catch((e) => { window.kernelInfo = 'error: ' + e; });
    }""")
    page.wait_for_function("window.kernelInfo", timeout=BOOT_MS, polling=250)
    return page.evaluate("window.kernelInfo")


def cell_outputs(page):
    return page.evaluate("""() => {
      const cells = jupyterapp.shell.currentWidget.content.model.cells;
      const out = [];
      for (let i = 0; i < cells.length; i++) {
        const c = cells.get(i);
        if (c.type === 'code') out.push({count: c.executionCount, outputs: c.outputs.toJSON()});
      }
      return out;
    }""")


def assert_numbers(text, expected, rtol=1e-5):
    found = [float(v) for v in re.findall(r"-?\d+\.\d*(?:e[-+]?\d+)?", text)]
    assert found == pytest.approx(expected, rel=rtol, abs=1e-6), text


def text_of(output):
    if output["output_type"] == "stream":
        return "".join(output["text"]) if isinstance(output["text"], list) else output["text"]
    plain = output.get("data", {}).get("text/plain", "")
    return "".join(plain) if isinstance(plain, list) else plain


def test_intro_notebook_runs_all_cells(lab, site_url):
    page = lab
    assert kernel_ready(page) == "pyodide"
    # not awaited: the command's promise settles only when every cell has run
    page.evaluate("() => { jupyterapp.commands.execute('notebook:run-all-cells'); }")
    page.wait_for_function("""() => {
      const w = jupyterapp.shell.currentWidget, cells = w.content.model.cells;
      for (let i = 0; i < cells.length; i++) {
        const c = cells.get(i);
        if (c.type === 'code' && c.executionCount === null) return false;
      }
      return w.sessionContext.session.kernel.status === 'idle';
    }""", timeout=90_000, polling=250)
    cells = cell_outputs(page)
    SHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 3400})    # the whole notebook in one picture
    page.evaluate("jupyterapp.shell.currentWidget.content.scrollToItem(0, 'start')")
    page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / "lite.png"), full_page=True)

    errors = [o for c in cells for o in c["outputs"]
              if o["output_type"] == "error" or o.get("name") == "stderr"]
    assert not errors, errors
    assert [c["count"] for c in cells] == list(range(1, len(cells) + 1))
    texts = ["".join(text_of(o) for o in c["outputs"]) for c in cells]
    setup, selu, grad, vmap, train, image, gpu = texts
    assert re.fullmatch(r"jaxlite \S+ on \[WasmDevice\(id=0\), CpuDevice\(id=0\)\]\n", setup), setup
    assert_numbers(selu, [-1.5161895, -1.1084234, 0.0, 1.05, 2.1])
    assert grad.startswith("12.0\nArray([") and grad.endswith("], dtype=float32)"), grad
    assert_numbers(grad, [12.0, 0.0, 0.72686195, 0.6397])   # d/dx x**3 at 2; 2 tanh(x) / cosh(x)**2
    assert vmap == "[ 3. 12. 21. 30.]\n"
    assert "w = 3.00, b = -1.04\n" in train, train
    assert "<Chart 'training loss' with 1 series>" in train
    assert image.startswith("<Image 128x128 RGB>")
    assert gpu.startswith("webgpu: WebGPUDevice(id=0"), gpu       # the browser's adapter (SwiftShader here)
    assert_numbers(gpu.split(")", 1)[1], [0.7615942] * 3)        # tanh(ones(256, 256) / 16 @ its transpose)

    # the progress bar is one display, updated in place until it reached 100%
    bars = [o for o in cells[4]["outputs"] if "<progress" in "".join(o.get("data", {}).get("text/html", ""))]
    assert len(bars) == 1, cells[4]["outputs"]
    bar = "".join(bars[0]["data"]["text/html"])
    assert 'value="1.0000"' in bar and "100%" in bar and "200/200" in bar, bar
    assert page.evaluate("document.querySelector('.jp-OutputArea-output progress').value") == 1
    # the chart is SVG in the page, the image a PNG
    assert page.locator(".jp-OutputArea-output svg polyline").count() == 1
    assert "image/png" in cells[5]["outputs"][0]["data"]
    assert page.locator(".jp-OutputArea-output img[src^='data:image/png']").count() == 1

    assert all(url.startswith((site_url, "data:", "blob:")) for url in page.requests), \
        [u for u in page.requests if not u.startswith(site_url)]
    assert not page.missing, page.missing
    assert not [e for e in page.errors if not harmless(e)], page.errors
