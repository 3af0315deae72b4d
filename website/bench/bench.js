// Runs every system's workloads in this page and publishes window.benchResults (read by
// tools/bench.py through Playwright) and a table. Any failure is published as window.benchError.
import { runJaxJs, runJaxJsEager } from "./jaxjs-workloads.js";

const $ = (id) => document.getElementById(id);
const status = (s) => ($("status").textContent = s);
const params = new URLSearchParams(location.search);
const SYSTEMS = (params.get("systems") || "numpy,jaxlite-cpu,jaxlite-wasm,jaxlite-webgpu,jax-js-wasm,jax-js-webgpu").split(",");
// Which tables: "main" (the workloads), "eager" (small-array eager ops, issue 18), or both (default).
const ONLY = params.get("only");
const EAGER_SYSTEMS = new Set(["numpy", "jaxlite-wasm", "jaxlite-webgpu", "jax-js-wasm", "jax-js-webgpu"]);

function pyInputs(pyodide) {
  const d = pyodide.runPython("import workloads; workloads.inputs()");
  const out = {};
  for (const key of d.keys()) {
    const buf = d.get(key).getBuffer();
    out[key] = { array: buf.data.slice(), shape: Array.from(buf.shape), dtype: buf.data instanceof Int32Array ? "int32" : "float32" };
    buf.release();
  }
  d.destroy();
  return out;
}

function render(results) {
  const systems = Object.keys(results.systems);
  if (!systems.length) return;
  const names = Object.keys(results.systems[systems[0]]);
  let html = "<table><tr><th>workload</th>" + systems.map((s) => `<th>${s}</th>`).join("") + "</tr>";
  for (const n of names) {
    html += `<tr><td>${n}</td>` + systems.map((s) => {
      const r = results.systems[s][n];
      return `<td>${r ? (r[0] * 1000).toFixed(r[0] < 1e-3 ? 4 : 2) + " ms" : "–"}</td>`;
    }).join("") + "</tr>";
  }
  $("table").innerHTML = html + "</table>";
}

async function main() {
  const t0 = performance.now();
  status("loading Pyodide");
  const pyodide = await loadPyodide({ indexURL: "/pyodide/" });
  window.pyodide = pyodide;  // for the browser console
  const tBoot = performance.now();
  await pyodide.loadPackage(["numpy"]);
  const tNumpy = performance.now();
  await pyodide.loadPackage(["jaxlite"]);
  pyodide.runPython("import numpy");  // jaxlite imports numpy: its own import is timed apart
  const tWheel = performance.now();
  pyodide.runPython("import jaxlite");
  const tImport = performance.now();
  pyodide.runPython("import jaxlite.numpy");
  // Start the WebGPU device now, so that its start-up (the browser's GPU process) is not timed.
  await pyodide.runPythonAsync("await jaxlite.init()");
  const tJaxlite = performance.now();
  const src = await (await fetch("./workloads.py")).text();
  pyodide.FS.writeFile("/home/pyodide/workloads.py", src);
  pyodide.runPython("import sys; sys.path.insert(0, '/home/pyodide')");
  const results = {
    meta: {
      userAgent: navigator.userAgent, crossOriginIsolated,
      pyodideBootMs: tBoot - t0, numpyLoadMs: tNumpy - tBoot, jaxliteImportMs: tJaxlite - tNumpy,
      jaxliteWheelMs: tWheel - tNumpy, importJaxliteMs: tImport - tWheel,
      jaxliteVersion: pyodide.runPython("jaxlite.__version__"), numpyVersion: pyodide.runPython("import numpy; numpy.__version__"),
      adapter: null,
    },
    systems: {},
    eager: {},
  };
  if (navigator.gpu) {
    const adapter = await navigator.gpu.requestAdapter();
    results.meta.adapter = adapter ? `${adapter.info.vendor} ${adapter.info.architecture}`.trim() : null;
  }
  const data = pyInputs(pyodide);
  for (const system of ONLY === "eager" ? [] : SYSTEMS) {
    status(`running ${system}`);
    await new Promise((r) => setTimeout(r, 0));
    if (system === "numpy" || system.startsWith("jaxlite-")) {
      // runPythonAsync: GPU reads of the webgpu device block through JSPI
      const json = await pyodide.runPythonAsync(`import json, workloads; json.dumps(workloads.run(${JSON.stringify(system)}))`);
      results.systems[system] = JSON.parse(json);
    } else if (system.startsWith("jax-js-")) {
      results.systems[system] = await runJaxJs(system.slice("jax-js-".length), data);
    } else {
      throw new Error(`unknown system ${system}`);
    }
    render(results);
  }
  for (const system of ONLY === "main" ? [] : SYSTEMS.filter((s) => EAGER_SYSTEMS.has(s))) {
    status(`running ${system}: eager ops`);
    await new Promise((r) => setTimeout(r, 0));
    if (system.startsWith("jax-js-")) {
      results.eager[system] = await runJaxJsEager(system.slice("jax-js-".length), data);
    } else {
      const json = await pyodide.runPythonAsync(`import json, workloads; json.dumps(workloads.run_eager(${JSON.stringify(system)}))`);
      results.eager[system] = JSON.parse(json);
    }
  }
  status("done");
  window.benchResults = results;
}

main().catch((e) => {
  status("failed");
  $("error").textContent = String((e && e.stack) || e);
  window.benchError = String((e && e.stack) || e);
});
