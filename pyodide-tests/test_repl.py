"""The REPL at /repl/ in headless Chromium: typed code runs in the worker, output and tracebacks show,
Stop interrupts, the page keeps drawing frames during a long run, code survives in the URL hash and
localStorage, and the device selector starts WebGPU (SwiftShader here).

One page serves the tests in order (booting Pyodide is the slow part)."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-results"
BOOT_MS = 120_000


@pytest.fixture(scope="module")
def repl(chromium, site_url):
    if not (ROOT / "website/repl/editor.bundle.js").exists():
        pytest.fail("website/repl/editor.bundle.js is missing: run `make setup` (it bundles the editor)")
    context = chromium.new_context(viewport={"width": 1200, "height": 720})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.goto(site_url + "/repl/")
    yield page
    context.close()


def wait_ready(page):
    page.wait_for_function("['ready', 'error'].includes(document.body.dataset.state)", timeout=BOOT_MS)
    assert page.evaluate("document.body.dataset.state") == "ready", page.inner_text("#output")


def run_and_wait(page, code=None, keys=None):
    if code is not None:
        page.evaluate("(c) => repl.editor.setCode(c)", code)
    runs = int(page.evaluate("document.body.dataset.runs || 0"))
    if keys:
        page.keyboard.press(keys)
    else:
        page.click("#run")
    page.wait_for_function(f"Number(document.body.dataset.runs || 0) > {runs}", timeout=60_000)
    return page.inner_text("#output")


def last_run(page):
    """Output of the latest run only."""
    return page.evaluate("""() => {
      const spans = [...document.querySelectorAll('#output > span')];
      let i = spans.length - 1;
      while (i >= 0 && spans[i].className !== 'run') i--;
      return spans.slice(i + 1).map((s) => s.textContent).join('');
    }""")


def test_typed_program_runs_with_ctrl_enter(repl):
    page = repl
    # the editor has focus as soon as the page shows, before Pyodide is ready
    page.wait_for_selector(".cm-content")
    assert page.evaluate("document.activeElement.classList.contains('cm-content')")
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    for line in ["import jaxlite as jax, jaxlite.numpy as jnp",
                 "print(jax.grad(lambda x: jnp.sum(x ** 2))(jnp.arange(3.0)))",
                 "x = jnp.array([1.0, 2.0])",
                 "jax.jit(lambda v: v * 2)(x)"]:
        page.keyboard.type(line)
        page.keyboard.press("Escape")  # close an autocompletion popup, so Enter makes a new line
        page.keyboard.press("Enter")
    wait_ready(page)
    assert page.evaluate("crossOriginIsolated") is True
    run_and_wait(page, keys="Control+Enter")
    out = last_run(page)
    assert out == "[0. 2. 4.]\nArray([2., 4.], dtype=float32)\n", out
    assert page.inner_text("#device-info").startswith("wasm")
    SHOTS.mkdir(exist_ok=True)
    run_and_wait(page, (ROOT / "website/repl/examples/training.py").read_text())
    assert "step 100" in last_run(page) and "'w': Array([[3.0" in last_run(page)
    page.screenshot(path=str(SHOTS / "repl.png"))
    assert not page.errors, page.errors


def test_traceback_is_readable_and_the_next_run_works(repl):
    page = repl
    run_and_wait(page, "import jaxlite.numpy as jnp\n\ndef f(x):\n    return x @ jnp.ones(4)\n\ny = f(jnp.ones(3))\n")
    out = last_run(page)
    stderr = page.evaluate("[...document.querySelectorAll('#output .stderr')].at(-1).textContent")
    assert stderr in out
    lines = stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[1] == '  File "<repl>", line 6, in <module>'  # the user's frame first
    assert '  File "<repl>", line 4, in f' in lines
    assert any(l.strip().startswith("[") and "jaxlite internal frame" in l for l in lines)
    assert lines[-1].startswith("TypeError: ")
    assert "_pyodide" not in stderr and "webloop" not in stderr and "site-packages" not in stderr
    assert len(lines) < 12
    page.screenshot(path=str(SHOTS / "repl-traceback.png"))
    # a syntax error points at the code
    run_and_wait(page, "def g(:\n    pass")
    assert "SyntaxError" in last_run(page) and '"<repl>", line 1' in last_run(page)
    assert last_run(page).count("Traceback") == 0
    assert run_and_wait(page, "1 + 1") and last_run(page) == "2\n"
    assert not page.errors, page.errors


def test_stop_interrupts_an_infinite_loop(repl):
    page = repl
    page.evaluate("repl.editor.setCode('i = 0\\nwhile True:\\n    i += 1\\n')")
    runs = int(page.evaluate("document.body.dataset.runs"))
    page.click("#run")
    page.wait_for_function("document.body.dataset.state === 'running'")
    page.wait_for_timeout(500)
    assert page.is_enabled("#stop")
    page.click("#stop")
    page.wait_for_function(f"Number(document.body.dataset.runs) > {runs}", timeout=10_000)
    assert "KeyboardInterrupt" in last_run(page)
    # the worker keeps its state: the loop ran and the variable is there
    run_and_wait(page, "i > 1000")
    assert last_run(page) == "True\n"
    assert not page.errors, page.errors


def test_page_keeps_drawing_frames_during_a_long_run(repl):
    page = repl
    page.evaluate("""() => {
      window.frames_ = [];
      const tick = (t) => { window.frames_.push(t); if (window.frames_.length < 100000) requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
    }""")
    code = ("import time, jaxlite.numpy as jnp\nt = time.time()\nn = 0\n"
            "while time.time() - t < 3:\n    n += int(jnp.sum(jnp.ones(1000)))\nn >= 1000")
    t0 = page.evaluate("performance.now()")
    run_and_wait(page, code)
    t1 = page.evaluate("performance.now()")
    assert last_run(page) == "True\n"
    frames = page.evaluate(f"window.frames_.filter((t) => t > {t0} && t < {t1})")
    seconds = (t1 - t0) / 1e3
    assert seconds >= 3
    gaps = [b - a for a, b in zip(frames, frames[1:])]
    # a frozen page draws nothing for 3 s; this one keeps ticking (headless Chromium draws ~60/s)
    assert len(frames) >= 10 * seconds, (len(frames), seconds)
    assert max(gaps) < 1000, max(gaps)
    assert not page.errors, page.errors


PICTURES = """
import jaxlite.numpy as jnp
from jaxlite.display import imshow, plot, progress, show
print("before")
show(imshow(jnp.outer(jnp.arange(8.0), jnp.ones(4))))
print("between")
total = 0
for i in progress(range(40), desc="steps"):
    total += int(jnp.sum(jnp.ones(200)))
print("after", total)
plot(jnp.arange(5.0), jnp.arange(5.0) ** 2, title="squares")
"""


def test_pictures_and_a_progress_bar_show_in_the_output(repl):
    """jaxlite.display in the REPL: show(imshow(...)) as an <img>, a last value that is a Chart as an
    inline <svg>, each where it was made among the printed text; a progress loop draws a bar that
    moves while the code runs and ends at 100%."""
    page = repl
    # watch the bar while the code runs: its fraction must be seen between 0 and 1 before the end
    page.evaluate("""() => {
      window.barSeen_ = [];
      new MutationObserver(() => {
        const bar = [...document.querySelectorAll('#output .bar')].at(-1);
        if (bar) window.barSeen_.push(Number(bar.dataset.fraction));
      }).observe(document.getElementById('output'), { subtree: true, childList: true, attributes: true });
    }""")
    code = PICTURES.replace("total += int", "time.sleep(0.02); total += int").replace("import jaxlite", "import time, jaxlite")
    run_and_wait(page, code)
    assert last_run(page) == "before\nbetween\nafter 8000\n"
    kinds = page.evaluate("""() => {
      const nodes = [...document.querySelectorAll('#output > *')];
      const start = nodes.findLastIndex((n) => n.className === 'run');
      return nodes.slice(start + 1).map((n) => n.classList[0] + (n.className === 'figure' ? ':' + n.firstChild.nodeName : ''));
    }""")
    assert kinds == ["stdout", "figure:IMG", "stdout", "bar", "stdout", "figure:svg"], kinds
    img = page.evaluate("""() => new Promise((resolve) => {
      const img = [...document.querySelectorAll('#output .figure img')].at(-1);
      const done = () => resolve([img.naturalWidth, img.naturalHeight, img.src.slice(0, 22)]);
      img.complete ? done() : (img.onload = done);
    })""")
    assert img == [96, 192, "data:image/png;base64,"]  # 8x4 enlarged 24 times
    svg = page.locator("#output .figure svg").last
    assert svg.locator("polyline").count() == 1 and "squares" in svg.inner_html()
    bar = page.locator("#output .bar").last
    assert bar.get_attribute("data-fraction") == "1" and bar.get_attribute("data-n") == "40"
    assert "100%" in bar.inner_text() and "steps:" in bar.inner_text() and "40/40" in bar.inner_text()
    seen = page.evaluate("window.barSeen_")
    assert any(0 < f < 1 for f in seen), seen  # it moved while the loop ran, not only at the end
    page.screenshot(path=str(SHOTS / "repl-pictures.png"))
    # the example snippets with pictures run and draw
    for name, figures, text in [("pictures", 2, "loss 1.5573 -> 0.00"), ("histogram", 1, "normal: mean"),
                                ("image", 2, "")]:
        before = page.locator("#output .figure").count()
        run_and_wait(page, (ROOT / f"website/repl/examples/{name}.py").read_text())
        assert text in last_run(page) and "Traceback" not in last_run(page), last_run(page)
        assert page.locator("#output .figure").count() == before + figures, name
        page.screenshot(path=str(SHOTS / f"repl-example-{name}.png"))
    assert not page.errors, page.errors


def test_code_is_kept_in_the_hash_and_in_local_storage(repl, site_url):
    page = repl
    run_and_wait(page, "'shared ✓'")
    url = page.url
    assert "#code=" in url
    other = page.context.new_page()
    other.goto(url)
    other.wait_for_selector(".cm-content")
    assert other.evaluate("repl.editor.getCode()") == "'shared ✓'"
    other.goto("about:blank")
    other.goto(site_url + "/repl/")  # no hash: the last code, from localStorage
    other.wait_for_selector(".cm-content")
    assert other.evaluate("repl.editor.getCode()") == "'shared ✓'"
    other.close()


def test_webgpu_selector(repl):
    page = repl
    option = page.locator("#device option[value=webgpu]")
    assert not option.is_disabled()  # SwiftShader gives an adapter
    page.select_option("#device", "webgpu")
    wait_ready(page)
    assert page.inner_text("#device-info").startswith("webgpu")
    run_and_wait(page, "import jaxlite as jax, jaxlite.numpy as jnp\n"
                       "print(jax.default_backend())\njax.jit(lambda v: jnp.cumsum(v * v))(jnp.arange(4.0))")
    assert last_run(page) == "webgpu\nArray([ 0.,  1.,  5., 14.], dtype=float32)\n"
    assert not page.errors, page.errors
