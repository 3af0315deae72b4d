// The worker side of loadJaxlite({worker: true}) (see jaxlite-loader.js for the message protocol):
// Pyodide and jaxlite live here, so a long computation never blocks the page.
"use strict";
importScripts("jaxlite-loader.js");

let pyodide = null, interruptBuffer = null, builtins = null;
let queue = Promise.resolve();  // one message at a time: output belongs to the run that made it

// stdout/stderr go back in batches (a message per print would flood the page in a tight loop);
// a batch leaves after 25 ms or 16 KB, and before every result.
const streams = { stdout: "", stderr: "" };
let lastFlush = 0;
function flush() {
  for (const name of ["stdout", "stderr"]) {
    if (streams[name]) postMessage({ type: name, text: streams[name] });
    streams[name] = "";
  }
  lastFlush = Date.now();
}
function writer(name) {
  return loadJaxlite.textSink((text) => {
    streams[name] += text;
    if (Date.now() - lastFlush > 25 || streams[name].length > 16384) flush();
  });
}

// jaxlite.display's pictures and progress bars (see "hooks"): a picture or a bar must land after
// the text printed before it, so the text goes first.
function emit(kind, json) {
  flush();
  postMessage({ type: kind, json });
}

function errorInfo(e) {
  return { name: (e && e.constructor && e.constructor.name) || "Error", type: e && e.type,
           message: String((e && e.message) || e) };
}

// Plain data crosses as itself; any other Python value as its repr.
function plain(value) {
  if (!(value && typeof value === "object" && typeof value.toJs === "function")) return value;
  try {
    return value.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
  } catch (e) {
    return builtins.repr(value);
  } finally {
    value.destroy();
  }
}

function reply(id, value) {
  flush();
  try {
    postMessage({ type: "result", id, value });
  } catch (e) {  // DataCloneError: something JS-side that cannot be copied
    postMessage({ type: "result", id, value: String(value) });
  }
}

async function handle(d) {
  if (d.type === "init") {
    try {
      importScripts(d.options.indexURL + "pyodide.js");
      const info = await loadJaxlite.boot({ ...d.options, loadPyodide: self.loadPyodide }, {
        progress: (p) => postMessage({ type: "progress", ...p }),
        log: (text) => postMessage({ type: "log", text }),
      });
      pyodide = info.pyodide;
      builtins = pyodide.pyimport("builtins");
      pyodide.setStdout(writer("stdout"));
      pyodide.setStderr(writer("stderr"));
      if (d.interruptBuffer) {
        interruptBuffer = d.interruptBuffer;
        pyodide.setInterruptBuffer(interruptBuffer);
      }
      postMessage({ type: "ready", device: info.device, reason: info.reason });
    } catch (e) {
      postMessage({ type: "fatal", error: errorInfo(e) });
    }
    return;
  }
  try {
    let value;
    if (d.type === "run") value = plain(await pyodide.runPythonAsync(d.code));
    else if (d.type === "get") value = plain(pyodide.globals.get(d.name));
    else if (d.type === "hooks") loadJaxlite.installHooks(pyodide, emit, { display: d.display, bar: d.bar });
    else if (d.type === "set") {
      const py = pyodide.toPy(d.value);
      pyodide.globals.set(d.name, py);
      if (py && typeof py.destroy === "function") py.destroy();
    } else throw new Error("jaxlite worker: unknown message " + d.type);
    reply(d.id, value);
  } catch (e) {
    flush();
    postMessage({ type: "error", id: d.id, error: errorInfo(e) });
  } finally {
    // an interrupt that came after the run ended must not stop the next one
    if (interruptBuffer) Atomics.store(interruptBuffer, 0, 0);
  }
}

self.onmessage = (ev) => {
  queue = queue.then(() => handle(ev.data));
};
