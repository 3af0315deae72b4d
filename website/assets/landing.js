// The landing page's live example: jaxlite boots in a Web Worker (the page keeps scrolling and
// drawing while Pyodide loads and the example runs), then the example's text and chart are shown.
// window.jl is the loader's handle, for the browser console and the page tests.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const code = $("example-code").textContent;

  // the REPL reads #code=<base64url of UTF-8> (website/repl/repl.js)
  function encode(text) {
    let bin = "";
    for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  $("open-in-repl").href = "/repl/#code=" + encode(code);

  const output = $("output"), figure = $("figure");
  const write = (text, cls) => {
    const span = document.createElement("span");
    span.className = cls;
    span.textContent = text;
    output.append(span);
  };
  function show(bundle) {
    const svg = bundle["image/svg+xml"];
    if (svg) {
      const node = new DOMParser().parseFromString(svg, "image/svg+xml").documentElement;
      if (node.nodeName === "svg") figure.append(document.importNode(node, true));
    } else if (bundle["image/png"]) {
      const img = new Image();
      img.src = "data:image/png;base64," + bundle["image/png"];
      img.alt = bundle["text/plain"];
      figure.append(img);
    } else write(bundle["text/plain"] + "\n", "stdout");
  }

  function fail(e) {
    $("status").textContent = "failed";
    $("status").className = "error";
    write(String((e && e.message) || e) + "\n", "stderr");
    document.body.dataset.ready = "error";
  }

  async function runExample(jl) {
    $("rerun").disabled = true;
    output.replaceChildren();
    figure.replaceChildren();
    const t0 = performance.now();
    try {
      // the value of the last expression (a Chart) is drawn, as a notebook cell's would be
      await jl.globals.set("_example", code);
      await jl.runPython(`
from pyodide.code import eval_code_async
from jaxlite.display import show
_value = await eval_code_async(globals().pop("_example"), globals(), filename="<example>")
if _value is not None:
    show(_value)
del _value`);
      $("live-where").textContent = `· ${jl.device} in a Web Worker, ${((performance.now() - t0) / 1e3).toFixed(2)} s`;
    } catch (e) {
      write(e.message + "\n", "stderr");
    }
    $("rerun").disabled = false;
  }

  async function webgpuInfo() {
    if (!navigator.gpu) return "not available in this browser";
    const adapter = await navigator.gpu.requestAdapter().catch(() => null);
    if (!adapter) return "no adapter";
    return `adapter ${adapter.info?.vendor || ""} ${adapter.info?.architecture || ""}`.trim();
  }

  async function main() {
    webgpuInfo().then((text) => ($("webgpu").textContent = text));
    const bar = $("boot-progress");
    const stages = { pyodide: "Loading Pyodide…", numpy: "Installing numpy…", jaxlite: "Installing jaxlite…",
                     webgpu: "Starting…" };
    const jl = await loadJaxlite({
      indexURL: "/pyodide/", device: "wasm", worker: true,
      onProgress: ({ stage, loaded, total }) => {
        bar.value = total ? loaded / total : 0;
        $("status").textContent = stages[stage];
      },
    });
    window.jl = jl;
    jl.setStdout((text) => write(text, "stdout"));
    jl.setStderr((text) => write(text, "stderr"));
    await jl.setDisplay(show);
    const [version, numpy, python] = await jl.runPython(
      "import sys, numpy, jaxlite\n[jaxlite.__version__, numpy.__version__, sys.version.split()[0]]");
    $("version").textContent = version;
    $("numpy-version").textContent = numpy;
    $("python-version").textContent = python;
    $("status").textContent = "Ready";
    $("boot").classList.add("done");
    await runExample(jl);
    $("rerun").onclick = () => runExample(jl);
    document.body.dataset.ready = "1";
  }

  main().catch(fail);
})();
