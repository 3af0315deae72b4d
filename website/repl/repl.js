// The REPL page: CodeMirror editor (editor.bundle.js, built by `make setup`), jaxlite in a Web
// Worker (web/jaxlite.mjs), the runner in repl.py. window.repl is there for the console and tests.
import { createEditor } from "./editor.bundle.js";
import { loadJaxlite } from "/web/jaxlite.mjs";

const $ = (id) => document.getElementById(id);
const EXAMPLES = { jit: "jit", grad: "grad", vmap: "vmap", training: "a training loop", random: "random sampling",
                   pictures: "pictures: loss plot + progress", histogram: "pictures: sampler histogram",
                   image: "pictures: imshow" };
const STORE_CODE = "jaxlite-repl-code", STORE_DEVICE = "jaxlite-repl-device";
const setState = (s) => (document.body.dataset.state = s);

// ---- code in the URL hash (#code=<base64url of UTF-8>) and in localStorage --------------------------
function encode(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
function decode(s) {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}
function codeFromHash() {
  const m = /(?:^#|&)code=([^&]*)/.exec(location.hash);
  if (!m) return null;
  try {
    return decode(m[1]);
  } catch (e) {
    return null;
  }
}
const safeStorage = {
  get: (k) => { try { return localStorage.getItem(k); } catch (e) { return null; } },
  set: (k, v) => { try { localStorage.setItem(k, v); } catch (e) { /* private mode */ } },
};
const fetchText = async (url) => {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return r.text();
};

// ---- output pane -------------------------------------------------------------------------------------
const output = $("output");
function append(text, cls) {
  const last = output.lastElementChild;
  if (last && last.className === cls) last.textContent += text;
  else {
    const span = document.createElement("span");
    span.className = cls;
    span.textContent = text;
    output.append(span);
  }
  output.scrollTop = output.scrollHeight;
}

// Pictures from jaxlite.display.show (and a cell's last value when it is an Image or a Chart).
function appendPicture(bundle) {
  const figure = document.createElement("div");
  figure.className = "figure";
  if (bundle["image/svg+xml"]) {
    // our own SVG (jaxlite.display escapes its text); parsed as XML, so nothing in it runs
    const svg = new DOMParser().parseFromString(bundle["image/svg+xml"], "image/svg+xml").documentElement;
    if (svg.nodeName !== "svg") return append(bundle["text/plain"] + "\n", "stdout");
    figure.append(document.importNode(svg, true));
  } else if (bundle["image/png"]) {
    const img = new Image();
    img.src = "data:image/png;base64," + bundle["image/png"];
    img.alt = bundle["text/plain"] || "image";
    figure.append(img);
  } else return append((bundle["text/plain"] || "") + "\n", "stdout");
  output.append(figure);
  output.scrollTop = output.scrollHeight;
}

// Progress bars from jaxlite.display.progress. Updates (at most ~10 a second from Python) are drawn
// once per animation frame. A bar is updated in place, wherever later output pushed it, until it
// counts from a smaller n again (a new loop with the same description), which starts a new bar.
const bars = new Map();  // "desc|total" -> {el, n}
let barUpdates = [];
function seconds(s) {
  const m = Math.floor(s / 60), r = Math.floor(s % 60);
  return `${String(m).padStart(2, "0")}:${String(r).padStart(2, "0")}`;
}
function barText({ n, total, elapsed }) {
  const rate = elapsed > 0 ? n / elapsed : 0;
  const speed = rate >= 1 || rate === 0 ? `${rate.toFixed(2)} it/s` : `${(1 / rate).toFixed(2)} s/it`;
  if (total == null) return `${n} it [${seconds(elapsed)}, ${speed}]`;
  const eta = rate > 0 ? seconds(Math.max(total - n, 0) / rate) : "?";
  return `${n}/${total} [${seconds(elapsed)}<${eta}, ${speed}]`;
}
function drawBar(p) {
  const key = `${p.desc ?? ""}|${p.total ?? ""}`;
  let bar = bars.get(key);
  if (!bar || p.n < bar.n) {
    const el = document.createElement("div");
    el.className = "bar";
    el.innerHTML = '<span class="desc"></span><span class="track"><span class="fill"></span></span>' +
                   '<span class="pct"></span><span class="count"></span>';
    output.append(el);
    bar = { el, n: 0 };
    bars.set(key, bar);
  }
  const frac = p.total ? Math.min(p.n / p.total, 1) : p.total === 0 ? 1 : null;
  bar.n = p.n;
  bar.el.querySelector(".desc").textContent = p.desc ? p.desc + ":" : "";
  bar.el.querySelector(".fill").style.width = frac == null ? "100%" : `${(frac * 100).toFixed(1)}%`;
  bar.el.classList.toggle("unknown", frac == null);
  bar.el.classList.toggle("done", p.total != null && p.n >= p.total);
  bar.el.querySelector(".pct").textContent = frac == null ? "" : `${Math.floor(frac * 100)}%`;
  bar.el.querySelector(".count").textContent = barText(p);
  bar.el.dataset.n = p.n;
  bar.el.dataset.fraction = frac == null ? "" : String(frac);
}
function queueBar(p) {
  if (!barUpdates.length) requestAnimationFrame(() => {
    const latest = new Map();  // only the last update of each bar in this frame matters...
    for (const u of barUpdates) {
      const key = `${u.desc ?? ""}|${u.total ?? ""}`;
      const prev = latest.get(key);
      if (prev && u.n < prev.n) drawBar(prev);  // ...unless a bar restarted within the frame
      latest.set(key, u);
    }
    barUpdates = [];
    for (const u of latest.values()) drawBar(u);
    output.scrollTop = output.scrollHeight;
  });
  barUpdates.push(p);
}

// ---- editor ------------------------------------------------------------------------------------------
let saveTimer = null;
const editor = createEditor($("editor"), {
  doc: codeFromHash() ?? safeStorage.get(STORE_CODE) ?? "",
  onRun: () => run(),
  onChange: (code) => {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => safeStorage.set(STORE_CODE, code), 300);
  },
});
editor.focus();
if (!editor.getCode()) fetchText("examples/jit.py").then((t) => { if (!editor.getCode()) editor.setCode(t); });

const examples = $("examples");
for (const [name, label] of Object.entries(EXAMPLES)) examples.add(new Option(label, name));
examples.onchange = async () => {
  if (!examples.value) return;
  editor.setCode(await fetchText(`examples/${examples.value}.py`));
  examples.value = "";
  editor.focus();
};

// ---- jaxlite in a worker ------------------------------------------------------------------------------
let jl = null, running = false, firstBoot;
// run() may come (Ctrl+Enter) before the first start(): it waits for that boot
let booting = new Promise((resolve) => (firstBoot = resolve));
const deviceSelect = $("device");

async function webgpuAvailability() {
  if (!navigator.gpu) return "this browser has no WebGPU (navigator.gpu is missing)";
  try {
    return (await navigator.gpu.requestAdapter()) ? null : "navigator.gpu.requestAdapter() gave no adapter";
  } catch (e) {
    return "requestAdapter failed: " + e;
  }
}

function start(device) {
  if (jl) jl.terminate();
  jl = null;
  setState("loading");
  $("run").disabled = true;
  $("device-info").textContent = "";
  const progress = $("progress");
  progress.hidden = false;
  $("state").textContent = `loading (${device})…`;
  booting = (async () => {
    const handle = await loadJaxlite({
      indexURL: "/pyodide/", device, worker: true,
      onProgress: ({ stage, loaded, total }) => {
        progress.value = total ? loaded / total : 0;
        $("state").textContent = `loading ${stage}…`;
      },
    });
    handle.setStdout((t) => append(t, "stdout"));
    handle.setStderr((t) => append(t, "stderr"));
    await handle.setDisplay(appendPicture);
    await handle.setProgressBar(queueBar);
    await handle.globals.set("_jaxlite_repl_source", await fetchText("repl.py"));
    await handle.runPython(`
import sys, types
_m = types.ModuleType("jaxlite_repl")
_m.__file__ = "jaxlite_repl.py"
exec(compile(globals().pop("_jaxlite_repl_source"), _m.__file__, "exec"), _m.__dict__)
sys.modules["jaxlite_repl"] = _m
del _m, sys, types`);
    const info = await handle.runPython("import sys, jaxlite\nf'jaxlite {jaxlite.__version__}, Python {sys.version.split()[0]}'");
    jl = handle;
    progress.hidden = true;
    $("state").textContent = "ready";
    $("device-info").textContent = `${handle.device} · ${info}`;
    $("run").disabled = false;
    setState("ready");
    return handle;
  })();
  firstBoot(booting);
  booting.catch((e) => {
    progress.hidden = true;
    append(`Could not start jaxlite on ${device}:\n${e.message}\n`, "stderr");
    $("state").textContent = "failed";
    setState("error");
  });
  return booting;
}

async function run() {
  if (running) return;
  const code = editor.getCode();
  history.replaceState(null, "", "#code=" + encode(code));
  safeStorage.set(STORE_CODE, code);
  running = true;
  const handle = jl || (await booting.catch(() => null));
  if (!handle) {
    running = false;
    return;
  }
  setState("running");
  $("run").disabled = true;
  $("stop").disabled = false;
  $("state").textContent = "running…";
  append(`▶ run ${new Date().toLocaleTimeString()}\n`, "run");
  bars.clear();
  let result = null;
  try {
    result = await handle.runPython(`await __import__("jaxlite_repl").run(${JSON.stringify(code)})`);
  } catch (e) {  // the worker was interrupted the hard way, or died
    append(`${e.message}\n`, "stderr");
  }
  running = false;
  $("stop").disabled = true;
  $("run").disabled = false;
  $("state").textContent = result ? `${result.ok ? "done" : "failed"} in ${(result.ms / 1e3).toFixed(2)} s` : "ready";
  setState("ready");
  document.body.dataset.runs = String(Number(document.body.dataset.runs || 0) + 1);
}

$("run").onclick = () => { run(); editor.focus(); };
$("stop").onclick = () => { if (jl) jl.interrupt(); editor.focus(); };
$("share").onclick = async () => {
  history.replaceState(null, "", "#code=" + encode(editor.getCode()));
  try {
    await navigator.clipboard.writeText(location.href);
    $("state").textContent = "link copied";
  } catch (e) {
    $("state").textContent = "link in the address bar";
  }
};
deviceSelect.onchange = () => {
  safeStorage.set(STORE_DEVICE, deviceSelect.value);
  output.replaceChildren();
  start(deviceSelect.value);
  editor.focus();
};

(async () => {
  const noGpu = await webgpuAvailability();
  const gpuOption = deviceSelect.querySelector("option[value=webgpu]");
  if (noGpu) {
    gpuOption.disabled = true;
    gpuOption.textContent = "webgpu (unavailable)";
    deviceSelect.title = "WebGPU: " + noGpu;
  }
  const wanted = safeStorage.get(STORE_DEVICE);
  deviceSelect.value = wanted === "webgpu" && !noGpu ? "webgpu" : "wasm";
  start(deviceSelect.value);
})();

window.repl = {
  run, editor, start,
  get jl() { return jl; },
  get ready() { return booting; },
};
