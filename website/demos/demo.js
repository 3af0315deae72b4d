// What the demo pages share: jaxlite in a worker with an example from /examples/ loaded as a module,
// the "view source" pane, and the status line.
import { loadJaxlite } from "/web/jaxlite.mjs";

export const $ = (id) => document.getElementById(id);
export const setState = (s) => (document.body.dataset.state = s);

export async function fetchText(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return r.text();
}

// Imports `source` in jaxlite's worker `jl` as the module `name`, with /examples/<name>.py as its
// file name (tracebacks show the example's lines).
export async function defineModule(jl, name, source, file = `/examples/${name}.py`) {
  await jl.globals.set("_example_source", source);
  await jl.runPython(`
import sys, types, linecache
_m = types.ModuleType(${JSON.stringify(name)})
_m.__file__ = ${JSON.stringify(file)}
_src = globals().pop("_example_source")
linecache.cache[_m.__file__] = (len(_src), None, _src.splitlines(True), _m.__file__)
exec(compile(_src, _m.__file__, "exec"), _m.__dict__)
sys.modules[_m.__name__] = _m
del _m, _src`);
}

// Starts jaxlite on `device` in a Web Worker and imports /examples/<name>.py there as the module
// <name> (the very file that runs in CPython), then runs `glue`, the page's few lines of Python.
export async function bootExample({ name, source, device, glue, onProgress }) {
  const jl = await loadJaxlite({ indexURL: "/pyodide/", device, worker: true, onProgress });
  await defineModule(jl, name, source);
  if (glue) await jl.runPython(glue);
  return jl;
}

// WebGPU availability (null if usable, else why not), to grey out the device choice.
export async function webgpuProblem() {
  if (!navigator.gpu) return "this browser has no WebGPU (navigator.gpu is missing)";
  try {
    return (await navigator.gpu.requestAdapter()) ? null : "navigator.gpu.requestAdapter() gave no adapter";
  } catch (e) {
    return "requestAdapter failed: " + e;
  }
}

export async function setupDeviceSelect(select) {
  const problem = await webgpuProblem();
  const option = select.querySelector("option[value=webgpu]");
  if (problem) {
    option.disabled = true;
    option.textContent = "webgpu (unavailable)";
    select.title = "WebGPU: " + problem;
  }
  const wanted = new URLSearchParams(location.search).get("device");
  select.value = wanted === "webgpu" && !problem ? "webgpu" : "wasm";
}

// A small Python highlighter for the source pane: enough colour to read, no dependency.
const PY = /(#[^\n]*)|("""[\s\S]*?"""|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')|\b(def|class|return|for|in|if|else|elif|import|from|as|with|lambda|yield|not|and|or|is|None|True|False|global|try|except|raise|while|pass)\b|\b(\d+(?:\.\d*)?(?:e-?\d+)?)\b/g;
const escapeHtml = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function showSource(pre, text) {
  let html = "", last = 0;
  for (const m of text.matchAll(PY)) {
    html += escapeHtml(text.slice(last, m.index));
    const cls = m[1] ? "com" : m[2] ? "str" : m[3] ? "kw" : "num";
    html += `<span class="${cls}">${escapeHtml(m[0])}</span>`;
    last = m.index + m[0].length;
  }
  html += escapeHtml(text.slice(last));
  pre.innerHTML = html.replace(/(<span class="kw">def<\/span> )(\w+)/g, '$1<span class="def">$2</span>');
}

export function progressReporter(bar, label) {
  return ({ stage, loaded, total }) => {
    bar.hidden = false;
    bar.value = total ? loaded / total : 0;
    label.textContent = `loading ${stage}…`;
  };
}

export function fail(e) {
  $("error").textContent = String((e && e.message) || e);
  $("state").textContent = "failed";
  $("progress").hidden = true;
  setState("error");
}

// The boot and device switch of a demo page (#device, #state, #progress, #backend, #source):
// shows /examples/<name>.py, boots it with `glue` on the chosen device (a new worker per switch),
// then hands the worker to `run`. `reset` runs first on every switch: the page forgets the old
// worker and its results there.
export function runDemo({ name, glue, reset, run }) {
  let jl = null, generation = 0;
  const source = fetchText(`/examples/${name}.py`);
  source.then((text) => showSource($("source"), text)).catch(fail);
  async function start(device) {
    const mine = ++generation;
    if (jl) jl.terminate();
    jl = null;
    reset();
    setState("loading");
    $("backend").textContent = "–";
    $("state").textContent = `loading (${device})…`;
    try {
      const handle = await bootExample({ name, source: await source, device, glue,
                                         onProgress: progressReporter($("progress"), $("state")) });
      if (mine !== generation) return handle.terminate();
      jl = handle;
      $("backend").textContent = handle.device;
      await run(handle);
    } catch (e) {
      if (mine === generation) fail(e);
    }
  }
  const select = $("device");
  select.onchange = () => start(select.value);
  setupDeviceSelect(select).then(() => start(select.value));
}
