// Boots Pyodide and jaxlite, on the page's main thread or in a dedicated Web Worker, behind one
// handle. The same file serves three ways:
//   - a plain <script> (defines globalThis.loadJaxlite), with or without pyodide.js before it;
//   - web/jaxlite.mjs imports it and re-exports loadJaxlite as an ES module;
//   - web/jaxlite-worker.js imports it into the worker (importScripts) and uses its boot().
// In Node, require or import it and pass loadPyodide.
//
//   const jl = await loadJaxlite({ indexURL, device: "wasm" | "webgpu" | "auto", worker: false | true,
//                                  onProgress: ({stage, loaded, total}) => ... })
//
// The handle has runPython, runPythonAsync, globals, setStdout, setStderr, setDisplay,
// setProgressBar, interrupt and terminate in both modes. setDisplay(fn) receives what
// jaxlite.display.show(obj) draws, as a MIME bundle {"image/png": base64, "image/svg+xml": text,
// "text/plain": repr}; setProgressBar(fn) receives every update of a jaxlite.display.progress bar
// as {n, total, desc, elapsed} (total null when unknown; at most ~10 a second per bar). Both
// return a promise; fn null gives show() and progress() back their text output.
// On the main thread the handle also forwards every other property to the Pyodide object
// (so `jl.loadPackage`, `jl.FS`, `jl.runPython(...)` of older callers keep working); in worker mode
// every method returns a promise and `globals` is {get(name), set(name, value)} for plain data
// (numbers, strings, lists, dicts, typed arrays); other Python values come back as their repr.
(function (global) {
  "use strict";

  const STAGES = ["pyodide", "numpy", "jaxlite", "webgpu"];
  // Rough download sizes, used when the server does not say (HEAD without content-length, Node).
  const FALLBACK_BYTES = { pyodide: 10.5e6, numpy: 3.3e6, jaxlite: 0.6e6, webgpu: 0 };
  // This script's own URL, to find jaxlite-worker.js next to it (a classic <script> only; the ES
  // module passes workerURL itself).
  const SCRIPT_URL = typeof document !== "undefined" && document.currentScript ? document.currentScript.src : null;

  const withSlash = (url) => (url.endsWith("/") ? url : url + "/");
  const absolute = (url) => (typeof location !== "undefined" ? new URL(url, location.href).href : url);

  async function stageBytes(indexURL) {
    const bytes = { ...FALLBACK_BYTES };
    if (typeof fetch !== "function" || !/^https?:/.test(indexURL)) return bytes;
    try {
      const lock = await (await fetch(indexURL + "pyodide-lock.json")).json();
      const size = async (file) => {
        const r = await fetch(indexURL + file, { method: "HEAD" });
        const n = Number(r.headers.get("content-length"));
        if (!r.ok || !n) throw new Error("no size");
        return n;
      };
      const [wasm, stdlib, numpy, jaxlite] = await Promise.all([
        size("pyodide.asm.wasm"), size("python_stdlib.zip"),
        size(lock.packages.numpy.file_name), size(lock.packages.jaxlite.file_name),
      ]);
      Object.assign(bytes, { pyodide: wasm + stdlib, numpy, jaxlite });
    } catch (e) {
      // sizes are only for the progress bar: keep the estimates
    }
    return bytes;
  }

  // Pyodide + numpy + jaxlite, then the device. `emit` = {progress({stage, loaded, total}), log(text)}.
  // Returns {pyodide, device, reason}; reason says why "auto" fell back to wasm (null otherwise).
  async function boot(opts, emit) {
    const indexURL = withSlash(opts.indexURL || "/pyodide/");
    const device = opts.device || "wasm";
    if (!["wasm", "webgpu", "auto"].includes(device)) {
      throw new Error(`jaxlite: device must be "wasm", "webgpu" or "auto", not ${JSON.stringify(device)}`);
    }
    let loadPyodide = opts.loadPyodide || global.loadPyodide;
    if (typeof loadPyodide !== "function") {
      try {
        loadPyodide = (await import(indexURL + "pyodide.mjs")).loadPyodide;
      } catch (e) {
        throw new Error(`jaxlite: cannot import ${indexURL}pyodide.mjs (${e}); load pyodide.js with a <script> ` +
                        "before jaxlite-loader.js, or pass loadPyodide");
      }
    }
    const bytes = await stageBytes(indexURL);
    const total = STAGES.reduce((s, k) => s + bytes[k], 0);
    let loaded = 0;
    const stage = async (name, work) => {
      emit.progress({ stage: name, loaded, total });
      const result = await work();
      loaded += bytes[name];
      emit.progress({ stage: name, loaded, total });
      return result;
    };

    const pyodide = await stage("pyodide", () => loadPyodide({ indexURL }));
    // loadPackage logs failures instead of throwing; collect them so a missing wheel is an error.
    const loadPackages = async (names) => {
      const errors = [];
      await pyodide.loadPackage(names, { messageCallback: () => {}, errorCallback: (msg) => errors.push(msg) });
      if (errors.length) throw new Error("jaxlite: package loading failed:\n" + errors.join("\n"));
    };
    await stage("numpy", () => loadPackages(["numpy"]));
    await stage("jaxlite", async () => {
      await loadPackages(["jaxlite", ...(opts.packages || [])]);
      // An interrupted runPythonAsync rejects with KeyboardInterrupt; without a handler the event loop
      // raises it once more from its callback, an uncaught error in the console.
      pyodide.runPython("import asyncio, jaxlite\nasyncio.get_event_loop()._keyboard_interrupt_handler = lambda: None");
    });

    let reason = null;
    await stage("webgpu", async () => {
      if (device === "wasm") return;
      if (!(global.navigator && global.navigator.gpu)) {
        reason = "navigator.gpu is missing: this browser (or context) has no WebGPU";
      } else {
        try {
          const ok = await pyodide.runPythonAsync(
            "import jaxlite\n'webgpu' in {d.platform for d in await jaxlite.init()}");
          if (!ok) reason = "navigator.gpu.requestAdapter() gave no adapter";
        } catch (e) {
          reason = "starting the WebGPU device failed: " + String((e && e.message) || e).trim().split("\n").pop();
        }
      }
      if (reason && device === "webgpu") throw new Error("jaxlite: WebGPU was asked for but " + reason);
      if (reason) emit.log(`jaxlite: using wasm, not WebGPU (${reason})`);
      else pyodide.runPython("import jaxlite\njaxlite.config.update('jax_default_device', 'webgpu')");
    });
    const actual = pyodide.runPython("import jaxlite\njaxlite.default_backend()");
    return { pyodide, device: actual, reason };
  }

  // Points jaxlite.display's hooks at `emit(kind, json)`, a JS function registered as the Python
  // module _jaxlite_page (pictures and bars cross as JSON: plain text is the cheapest way out of a
  // worker). `emit` must be the same function at every call: Python keeps the module it imported.
  function installHooks(pyodide, emit, { display, bar }) {
    pyodide.registerJsModule("_jaxlite_page", { emit });
    const namespace = pyodide.toPy({});
    try {
      pyodide.runPython(`
import json
from _jaxlite_page import emit
from jaxlite.display import set_display_handler, set_progress_handler
set_display_handler((lambda bundle: emit("display", json.dumps(bundle))) if ${display ? "True" : "False"} else None)
set_progress_handler((lambda n, total, desc, elapsed: emit("bar", json.dumps(
    {"n": n, "total": total, "desc": None if desc is None else str(desc), "elapsed": elapsed})))
    if ${bar ? "True" : "False"} else None)
`, { globals: namespace });
    } finally {
      namespace.destroy();
    }
  }

  // A stdout/stderr callback that receives text (chunks with their newlines), as Pyodide options.
  function textSink(fn) {
    const decoder = new TextDecoder();
    return {
      write(buf) {
        fn(decoder.decode(buf, { stream: true }));
        return buf.length;
      },
    };
  }

  function newInterruptBuffer() {
    // A SharedArrayBuffer lets another thread set the flag while Python runs; a plain buffer only
    // works between awaits of runPythonAsync.
    const shared = typeof SharedArrayBuffer === "function" && global.crossOriginIsolated !== false;
    return new Int32Array(shared ? new SharedArrayBuffer(4) : new ArrayBuffer(4));
  }

  function mainThreadHandle(pyodide, info) {
    const interruptBuffer = newInterruptBuffer();
    pyodide.setInterruptBuffer(interruptBuffer);
    let running = 0;
    const hooks = { display: null, bar: null };
    const emit = (kind, json) => hooks[kind] && hooks[kind](JSON.parse(json));
    const setHook = (kind) => async (fn) => {
      hooks[kind] = fn || null;
      installHooks(pyodide, emit, { display: !!hooks.display, bar: !!hooks.bar });
    };
    const sink = (set) => (fn) => set(!fn ? {} : typeof fn === "function" ? textSink(fn) : fn);
    const handle = {
      mode: "main",
      pyodide,
      device: info.device,
      fallbackReason: info.reason,
      runPython(code, options) {
        if (!running) interruptBuffer[0] = 0;
        return pyodide.runPython(code, options);
      },
      async runPythonAsync(code, options) {
        if (!running) interruptBuffer[0] = 0;
        running++;
        try {
          return await pyodide.runPythonAsync(code, options);
        } finally {
          running--;
        }
      },
      get globals() {
        return pyodide.globals;
      },
      setStdout: sink((o) => pyodide.setStdout(o)),
      setStderr: sink((o) => pyodide.setStderr(o)),
      setDisplay: setHook("display"),
      setProgressBar: setHook("bar"),
      // Takes effect only where Python lets the page run (at an await of runPythonAsync): on the main
      // thread nothing else runs while Python computes. Use worker: true to stop busy loops.
      interrupt() {
        if (running) interruptBuffer[0] = 2;
      },
      terminate() {},
    };
    // Older callers used the returned value as the Pyodide object itself.
    return new Proxy(handle, {
      get(target, key, receiver) {
        if (key in target) return Reflect.get(target, key, receiver);
        const value = pyodide[key];
        return typeof value === "function" ? value.bind(pyodide) : value;
      },
      has: (target, key) => key in target || key in pyodide,
    });
  }

  function pythonError(e) {
    const err = new Error(e.message);
    err.name = e.name || "PythonError";
    if (e.type) err.type = e.type;
    return err;
  }

  // Pyodide in a dedicated worker (jaxlite-worker.js). Messages, page -> worker:
  //   {type: "init", options, interruptBuffer}   {type: "run", id, code}
  //   {type: "get", id, name}                      {type: "set", id, name, value}
  //   {type: "hooks", id, display, bar}  (booleans: which of jaxlite.display's hooks to send)
  // worker -> page:
  //   {type: "progress", stage, loaded, total}  {type: "log", text}  {type: "stdout"|"stderr", text}
  //   {type: "display", json}  {type: "bar", json}  (in order with stdout: the worker flushes first)
  //   {type: "ready", device, reason}  {type: "fatal", error}
  //   {type: "result", id, value}  {type: "error", id, error: {name, type, message}}
  // interrupt() sets Pyodide's interrupt buffer, a SharedArrayBuffer the worker also sees (a cross-
  // origin isolated page). Without SharedArrayBuffer it terminates the worker and starts a new one:
  // the running call rejects with a KeyboardInterrupt error and Python's state is lost.
  function workerHandle(opts) {
    const workerURL = opts.workerURL || (SCRIPT_URL && new URL("jaxlite-worker.js", SCRIPT_URL).href);
    if (!workerURL) throw new Error("jaxlite: pass workerURL (the URL of web/jaxlite-worker.js)");
    const canShare = typeof SharedArrayBuffer === "function" && global.crossOriginIsolated === true;
    const initOptions = { indexURL: absolute(withSlash(opts.indexURL || "/pyodide/")), device: opts.device || "wasm",
                          packages: opts.packages || [] };
    const onProgress = opts.onProgress || (() => {});
    let stdout = (t) => console.log(t.replace(/\n$/, ""));
    let stderr = (t) => console.warn(t.replace(/\n$/, ""));
    const hooks = { display: null, bar: null };
    let worker = null, buffer = null, nextId = 1, ready = null;
    const pending = new Map();

    function start() {
      worker = new Worker(workerURL);
      buffer = canShare ? new Int32Array(new SharedArrayBuffer(4)) : null;
      ready = new Promise((resolve, reject) => {
        worker.onmessage = (ev) => {
          const d = ev.data;
          if (d.type === "stdout") stdout(d.text);
          else if (d.type === "stderr") stderr(d.text);
          else if (d.type === "display" || d.type === "bar") hooks[d.type] && hooks[d.type](JSON.parse(d.json));
          else if (d.type === "progress") onProgress({ stage: d.stage, loaded: d.loaded, total: d.total });
          else if (d.type === "log") console.warn(d.text);
          else if (d.type === "ready") {
            Object.assign(handle, { device: d.device, fallbackReason: d.reason });
            resolve(handle);
          } else if (d.type === "fatal") reject(pythonError(d.error));
          else if (d.type === "result" || d.type === "error") {
            const p = pending.get(d.id);
            if (!p) return;
            pending.delete(d.id);
            if (d.type === "result") p.resolve(d.value);
            else p.reject(pythonError(d.error));
          }
        };
        worker.onerror = (ev) => {
          ev.preventDefault();
          const err = new Error("jaxlite worker: " + (ev.message || "failed to start " + workerURL));
          reject(err);
          for (const p of pending.values()) p.reject(err);
          pending.clear();
        };
      });
      worker.postMessage({ type: "init", options: initOptions, interruptBuffer: buffer });
      // a restarted worker (interrupt without SharedArrayBuffer) keeps the page's hooks
      if (hooks.display || hooks.bar) sendHooks().catch(() => {});
      return ready;
    }

    async function call(message) {
      await ready;
      if (message.type === "run" && !pending.size && buffer) Atomics.store(buffer, 0, 0);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ ...message, id });
      });
    }

    const run = (code) => call({ type: "run", code: String(code) });
    const sendHooks = () => call({ type: "hooks", display: !!hooks.display, bar: !!hooks.bar });
    const setHook = (kind) => (fn) => {
      hooks[kind] = fn || null;
      return sendHooks();
    };
    const handle = {
      mode: "worker",
      device: null,
      fallbackReason: null,
      sharedInterrupt: canShare,
      runPython: run,  // in the worker both are asynchronous (and both may await, and use JSPI)
      runPythonAsync: run,
      globals: {
        get: (name) => call({ type: "get", name }),
        set: (name, value) => call({ type: "set", name, value }),
      },
      setStdout(fn) { stdout = fn || (() => {}); },
      setStderr(fn) { stderr = fn || (() => {}); },
      setDisplay: setHook("display"),
      setProgressBar: setHook("bar"),
      interrupt() {
        if (!pending.size) return;
        if (buffer) {
          Atomics.store(buffer, 0, 2);  // SIGINT: Python raises KeyboardInterrupt at its next check
          return;
        }
        worker.terminate();
        const err = new Error("KeyboardInterrupt: the worker was restarted (no SharedArrayBuffer here)");
        err.name = "PythonError";
        err.type = "KeyboardInterrupt";
        for (const p of pending.values()) p.reject(err);
        pending.clear();
        start().catch(() => {});
      },
      terminate() {
        worker.terminate();
        const err = new Error("jaxlite: the worker was terminated");
        for (const p of pending.values()) p.reject(err);
        pending.clear();
      },
    };
    return start();
  }

  async function loadJaxlite(opts = {}) {
    if (opts.worker) return workerHandle(opts);
    const onStatus = opts.onStatus || (() => {});
    const onProgress = opts.onProgress || (() => {});
    const messages = { pyodide: "Loading Pyodide…", numpy: "Installing numpy…", jaxlite: "Installing jaxlite…",
                       webgpu: "Starting WebGPU…" };
    let last = null;
    const info = await boot(opts, {
      progress(p) {
        onProgress(p);
        if (p.stage !== last && (p.stage !== "webgpu" || (opts.device || "wasm") !== "wasm")) onStatus(messages[p.stage]);
        last = p.stage;
      },
      log: (text) => console.warn(text),
    });
    onStatus("Ready");
    return mainThreadHandle(info.pyodide, info);
  }

  loadJaxlite.boot = boot;
  loadJaxlite.textSink = textSink;
  loadJaxlite.installHooks = installHooks;
  global.loadJaxlite = loadJaxlite;
  if (typeof module !== "undefined" && module.exports) module.exports = { loadJaxlite };
})(globalThis);
