"""web/jaxlite.mjs and web/jaxlite-loader.js: one API on the main thread and in a Web Worker.

The tests serve a bare page of their own at the site's origin (so module imports and the worker
script are same-origin), with or without the cross-origin isolation headers.
"""

import re
from pathlib import Path

import pytest

# read, not imported: the page serves the wheel's version, whatever the source tree is doing now
HOST_VERSION = re.search(r'__version__ = "(.*)"',
                         (Path(__file__).resolve().parent.parent / "src/jaxlite/version.py").read_text()).group(1)

ISOLATION = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp"}
BLANK = "<!doctype html><meta charset=utf-8><link rel=icon href='data:,'><title>loader test</title><body></body>"

# A small jit program; its result is plain data so both modes can hand it back as JS values.
PROGRAM = """
import jaxlite as jax, jaxlite.numpy as jnp
@jax.jit
def f(x, w):
    return jnp.tanh(x @ w).sum(axis=0) * 2.0
x = jnp.arange(12.0).reshape(4, 3) / 10
w = jnp.ones((3, 2)) * jnp.array([0.5, -1.0])
y = f(x, w)
[jax.default_backend(), str(y.dtype), [float(v) for v in y], float(jax.grad(lambda w: f(x, w).sum())(w)[1, 0])]
"""


PICTURES = """
from jaxlite.display import imshow, progress, show
import jaxlite.numpy as jnp
print("before")
show(imshow(jnp.eye(4), cmap="gray"))
for i in progress(range(3), desc="steps"):
    pass
"""


def open_blank(browser, site_url, isolated=True):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    headers = {"Content-Type": "text/html", **(ISOLATION if isolated else {})}
    page.route(site_url + "/loader-test", lambda route: route.fulfill(status=200, headers=headers, body=BLANK))
    page.goto(site_url + "/loader-test")
    return page, errors


def test_worker_and_main_thread_give_the_same_results(chromium, site_url):
    """The ES module, booted twice: on the main thread on wasm, and in a worker with device "auto"
    (WebGPU on SwiftShader here). The same jit program gives the same values; the worker streams
    stdout, passes plain data through globals, raises Python's errors and stops on interrupt()."""
    page, errors = open_blank(chromium, site_url)
    assert page.evaluate("crossOriginIsolated") is True
    out = page.evaluate("""async ([program, pictures]) => {
      const { loadJaxlite } = await import("/web/jaxlite.mjs");
      const stages = [];
      const [main, worker] = await Promise.all([
        loadJaxlite({ indexURL: "/pyodide/", device: "wasm" }),
        loadJaxlite({ indexURL: "/pyodide/", device: "auto", worker: true, onProgress: (p) => stages.push(p) }),
      ]);
      const m = main.runPython(program);
      const mainResult = m.toJs(); m.destroy();
      const workerResult = await worker.runPython(program);
      // jaxlite.display's pictures and progress bars reach the page in both modes, in order with stdout
      const drawn = {};
      for (const [name, jl] of [["main", main], ["worker", worker]]) {
        const events = (drawn[name] = []);
        jl.setStdout((t) => events.push(["text", t]));
        await jl.setDisplay((b) => events.push(["display", Object.keys(b).sort(), b["text/plain"]]));
        await jl.setProgressBar((p) => events.push(["bar", p.n, p.total, p.desc]));
        await jl.runPythonAsync(pictures);
        await jl.setDisplay(null);
        await jl.setProgressBar(null);
        await jl.runPythonAsync("from jaxlite.display import plot, show\\nshow(plot([1, 2]))");
      }
      // stdout streams back from the worker, in order, with its newlines
      let text = "";
      worker.setStdout((t) => { text += t; });
      await worker.runPython("for i in range(3): print('line', i)");
      // globals: plain data both ways; other values as their repr
      await worker.globals.set("data", { a: [1, 2, 3], b: "x" });
      const doubled = await worker.runPython("[v * 2 for v in data['a']] + [data['b']]");
      await worker.runPython("with jax.default_device(jax.devices('wasm')[0]): arr = jnp.arange(3.0)");
      const arrRepr = await worker.globals.get("arr");
      let error = null;
      try { await worker.runPython("import jaxlite.numpy as jnp\\njnp.ones(3) @ jnp.ones(4)"); }
      catch (e) { error = { name: e.name, type: e.type, message: e.message }; }
      const after = await worker.runPython("1 + 1");
      // interrupt() stops a busy loop; the worker keeps its state
      await worker.runPython("kept = 41");
      const busy = worker.runPython("while True: pass");
      await new Promise((r) => setTimeout(r, 300));
      const t0 = performance.now();
      worker.interrupt();
      const stopped = await busy.then(() => null, (e) => e.type);
      const stopMs = performance.now() - t0;
      const kept = await worker.runPython("kept + 1");
      worker.terminate();
      return { mainResult, workerResult, drawn, text, doubled, arrRepr, error, after, stopped, stopMs, kept,
               devices: [main.device, worker.device], shared: worker.sharedInterrupt,
               mainVersion: main.runPython("import jaxlite; jaxlite.__version__"), stages };
    }""", [PROGRAM, PICTURES])
    assert out["devices"] == ["wasm", "webgpu"]
    main, work = out["mainResult"], out["workerResult"]
    assert main[:2] == ["wasm", "float32"] and work[:2] == ["webgpu", "float32"]
    assert main[2] == pytest.approx(work[2], rel=1e-5) and main[3] == pytest.approx(work[3], rel=1e-5)
    # the values themselves, against numpy on the host
    import numpy as np
    x = np.arange(12.0, dtype=np.float32).reshape(4, 3) / 10
    w = np.ones((3, 2), np.float32) * np.array([0.5, -1.0], np.float32)
    assert work[2] == pytest.approx((np.tanh(x @ w).sum(0) * 2).tolist(), rel=1e-5)
    assert out["text"] == "line 0\nline 1\nline 2\n"
    for mode in ["main", "worker"]:
        events = out["drawn"][mode]
        assert events[0] == ["text", "before\n"]
        assert events[1] == ["display", ["image/png", "text/plain"], "<Image 128x128 grey>"], mode
        bars = [e for e in events if e[0] == "bar"]
        assert bars[0] == ["bar", 0, 3, "steps"] and bars[-1] == ["bar", 3, 3, "steps"], bars
        assert events[-1] == ["text", "<Chart with 1 series>\n"], mode  # hooks removed: show() prints
    assert out["doubled"] == [2, 4, 6, "x"]
    assert out["arrRepr"] == "Array([0., 1., 2.], dtype=float32)"
    assert out["error"]["name"] == "PythonError" and out["error"]["type"] == "TypeError"
    assert "Traceback" in out["error"]["message"]
    assert out["after"] == 2
    assert out["stopped"] == "KeyboardInterrupt" and out["stopMs"] < 2000 and out["kept"] == 42
    assert out["mainVersion"] == HOST_VERSION
    assert out["shared"] is True
    # progress: every stage in order, bytes growing to the total
    stages = [s["stage"] for s in out["stages"]]
    assert [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s] == ["pyodide", "numpy", "jaxlite", "webgpu"]
    loaded = [s["loaded"] for s in out["stages"]]
    assert loaded == sorted(loaded) and loaded[-1] == out["stages"][-1]["total"] > 5e6
    assert not errors, errors
    page.close()


def test_classic_script_without_isolation_restarts_the_worker(chromium, site_url):
    """The classic script (no pyodide.js before it) on a page without SharedArrayBuffer: interrupt()
    falls back to terminating the worker and starting a new one."""
    page, errors = open_blank(chromium, site_url, isolated=False)
    assert page.evaluate("crossOriginIsolated") is False
    page.add_script_tag(url="/web/jaxlite-loader.js")
    out = page.evaluate("""async () => {
      const jl = await loadJaxlite({ indexURL: "/pyodide/", worker: true });
      await jl.runPython("kept = 1");
      const busy = jl.runPython("while True: pass");
      await new Promise((r) => setTimeout(r, 200));
      jl.interrupt();
      const err = await busy.then(() => null, (e) => e.type);
      const fresh = await jl.runPython("'kept' in globals()");
      jl.terminate();
      return { err, fresh, shared: jl.sharedInterrupt };
    }""")
    assert out == {"err": "KeyboardInterrupt", "fresh": False, "shared": False}
    assert not errors, errors
    page.close()


# What each example of the README's "Use it in your page" section shows once it has run.
README_EXAMPLES = [
    {"#out": ["jaxlite on webgpu\n", "webgpu 4096.0\n", "grad: 1.0000 0.5403 -0.4161\n"]},
    {"#out": [f"{HOST_VERSION} [0. 1. 4. 9.]\n", "0,2,4\n", "top-level await works\n", "jaxlite\n"]},
    {"#out": ["done\n"], "#out svg": 1, "#out img": 1, "#bar": 1.0},
]


def readme_examples():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Use it in your page", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```html\n(.*?)```", section, re.S)


def test_readme_examples_run_as_written(chromium, site_url):
    """Every HTML example of the README's loader section, as a page of its own on the site."""
    examples = readme_examples()
    assert len(examples) == len(README_EXAMPLES)
    for html, expect in zip(examples, README_EXAMPLES):
        page = chromium.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        body = BLANK.replace("<body></body>", f"<body>{html}</body>")
        headers = {"Content-Type": "text/html", **ISOLATION}
        page.route(site_url + "/readme-example", lambda route: route.fulfill(status=200, headers=headers, body=body))
        page.goto(site_url + "/readme-example")
        last = expect["#out"][-1]
        try:
            page.wait_for_function("(t) => document.querySelector('#out').textContent.endsWith(t)", arg=last,
                                   timeout=120_000)
        finally:
            text = page.text_content("#out")
            print(f"example {examples.index(html) + 1}:", repr(text), errors)
        pos = 0
        for piece in expect["#out"]:  # in this order
            assert piece in text[pos:], (piece, text)
            pos = text.index(piece, pos) + len(piece)
        for selector, want in expect.items():
            if selector == "#bar":
                assert page.evaluate("document.querySelector('#bar').value") == want
            elif selector != "#out":
                assert page.locator(selector).count() == want, selector
        assert not errors, errors
        page.close()
