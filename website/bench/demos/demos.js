// The demo benchmarks: every system trains the digits MLP and renders Mandelbrot frames in this
// page, one after the other. jaxlite and numpy run in a jaxlite worker per device (numpy shares the
// wasm one), on the demos' own Python (demo_bench.py imports the examples); jax-js runs
// jaxjs-demos.js here. Publishes window.benchResults (read by run_bench.py and the page test) and a
// table; a failure is published as window.benchError.
// URL parameters: systems (comma-separated), quick=1 (small sizes, for the page test), and
// steps, runs, size, iters, frames to override the sizes.
import { loadJaxlite } from "/web/jaxlite.mjs";
import { defineModule, fetchText } from "/demos/demo.js";
import * as jax from "/vendor/jax-js/index.js";
import { makeDemos } from "./jaxjs-demos.js";

const $ = (id) => document.getElementById(id);
const status = (s) => ($("status").textContent = s);
const params = new URLSearchParams(location.search);
const QUICK = params.get("quick") === "1";
const num = (name, full, quick) => Number(params.get(name) ?? (QUICK ? quick : full));
const CONFIG = {
  quick: QUICK,
  steps: num("steps", 110, 22),   // training steps of the warm-up run (the loss curve), and at most of a timed run
  runs: num("runs", 5, 3),        // timed training runs
  size: num("size", 1024, 256),   // Mandelbrot frame: size x size pixels
  iters: num("iters", 256, 64),   // escape-time iterations
  frames: num("frames", 3, 2),    // timed frames
};
const SYSTEMS = (params.get("systems") || "jaxlite-wasm,jaxlite-webgpu,numpy,jax-js-wasm,jax-js-webgpu").split(",");
const RUN_S = 3;  // a timed training run lasts about this long (as demo_bench.RUN_S)
const PER_EPOCH = 11;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ---- jaxlite and numpy: a worker per device ------------------------------------------------------
let worker = null;
const versions = { jaxlite: null, numpy: null };
async function workerFor(device) {
  if (worker && worker.wanted === device) return worker;
  if (worker) worker.terminate();
  worker = null;
  status(`starting jaxlite (${device})`);
  const jl = await loadJaxlite({ indexURL: "/pyodide/", device, worker: true });
  if (jl.device !== device) throw new Error(`jaxlite: asked for ${device}, got ${jl.device}`);
  for (const name of ["digits", "digits_numpy", "mandelbrot"]) await defineModule(jl, name, await fetchText(`/examples/${name}.py`));
  await defineModule(jl, "demo_bench", await fetchText("./demo_bench.py"), "/bench/demos/demo_bench.py");
  await jl.runPython(`
import js
import demo_bench
_response = await js.fetch(${JSON.stringify(new URL("/demos/digits/digits.npz", location.href).href)})
DIGITS = (await _response.arrayBuffer()).to_bytes()`);
  [versions.jaxlite, versions.numpy] = await jl.runPython("import jaxlite, numpy; [jaxlite.__version__, numpy.__version__]");
  jl.wanted = device;
  worker = jl;
  return jl;
}

async function runPython(system) {
  const jl = await workerFor(system === "numpy" ? "wasm" : system.slice("jaxlite-".length));
  const kind = system === "numpy" ? "numpy" : "jaxlite";
  status(`${system}: digits training`);
  const digits = await jl.runPython(`demo_bench.train_bench(${JSON.stringify(kind)}, DIGITS, steps=${CONFIG.steps}, runs=${CONFIG.runs})`);
  status(`${system}: Mandelbrot frames`);
  const m = await jl.runPython(`demo_bench.frame_bench(${JSON.stringify(kind)}, ${CONFIG.size}, ${CONFIG.iters}, ${CONFIG.frames})`);
  m.counts = new Int32Array(m.counts.buffer, m.counts.byteOffset, m.counts.byteLength / 4);
  return { digits, mandelbrot: m };
}

// ---- jax-js in this page -------------------------------------------------------------------------
async function jaxjsInputs() {
  const jl = worker || (await workerFor("wasm"));
  const d = await jl.runPython(`{k: v.tobytes() for k, v in demo_bench.digits_arrays(DIGITS).items()}`);
  const view = (b, T) => new T(b.buffer, b.byteOffset, b.byteLength / T.BYTES_PER_ELEMENT);
  return {
    digits: { x_train: view(d.x_train, Float32Array), y_train: view(d.y_train, Int32Array),
              x_test: view(d.x_test, Float32Array), y_test: view(d.y_test, Int32Array) },
    palette: await jl.runPython(`demo_bench.palette_bytes(${CONFIG.iters})`),
  };
}

async function runJaxJs(device, inputs) {
  const available = await jax.init(device);
  if (!available.includes(device)) throw new Error(`jax-js: device ${device} is not available here`);
  jax.defaultDevice(device);
  const demos = makeDemos(jax);
  const system = `jax-js-${device}`;
  status(`${system}: digits training`);
  const data = demos.digitsData(inputs.digits);
  const curve = [];
  let t0 = performance.now();
  const accuracy = await demos.train(data, { steps: CONFIG.steps, every: Math.max(1, Math.floor(CONFIG.steps / 10)),
                                             onLoss: (step, loss) => curve.push([step, loss]) });
  const warmS = (performance.now() - t0) / 1000;
  const rate = CONFIG.steps / warmS;
  const runSteps = Math.min(CONFIG.steps, Math.max(PER_EPOCH, Math.round((rate * RUN_S) / PER_EPOCH) * PER_EPOCH));
  const rates = [];
  for (let r = 0; r < CONFIG.runs; r++) {
    t0 = performance.now();
    await demos.train(data, { steps: runSteps, seed: r + 1 });
    rates.push(runSteps / ((performance.now() - t0) / 1000));
  }
  data.dispose();
  const digits = { steps_per_s: median(rates), runs_steps_per_s: rates, steps_per_run: runSteps, warmup_s: warmS,
                   loss_curve: curve, accuracy };

  status(`${system}: Mandelbrot frames`);
  const palette = demos.paletteArray(inputs.palette);
  const view = { centerX: -0.6, centerY: 0, scale: 3.2 / CONFIG.size, width: CONFIG.size, height: CONFIG.size,
                 maxIter: CONFIG.iters, palette };
  t0 = performance.now();
  const { counts } = await demos.frame({ ...view, withCounts: true });
  const first = (performance.now() - t0) / 1000;
  const times = [];
  for (let r = 0; r < CONFIG.frames; r++) {
    t0 = performance.now();
    await demos.frame(view);
    times.push((performance.now() - t0) / 1000);
  }
  palette.dispose();
  return { digits, mandelbrot: { frame_s: median(times), runs_s: times, first_s: first, counts } };
}

// ---- checks and table ----------------------------------------------------------------------------
// Every system's frame against the reference (numpy's float32 loop, else the first system): how
// many pixels' escape counts differ, and how many points never escape.
function check(results) {
  const names = Object.keys(results.systems);
  const ref = results.systems.numpy ? "numpy" : names[0];
  const refCounts = results.systems[ref].mandelbrot.counts;
  for (const name of names) {
    const r = results.systems[name];
    const c = r.mandelbrot.counts;
    let differ = 0, inside = 0;
    for (let i = 0; i < c.length; i++) {
      differ += c[i] !== refCounts[i];
      inside += c[i] === CONFIG.iters;
    }
    r.mandelbrot.pixels = c.length;
    r.mandelbrot.inside = inside;
    r.mandelbrot.differ = differ;
    r.mandelbrot.reference = ref;
    const curve = r.digits.loss_curve;
    r.digits.first_loss = curve[0][1];
    r.digits.last_loss = curve.at(-1)[1];
    delete r.mandelbrot.counts;  // 4 bytes a pixel: the summary above is what the harness needs
  }
}

function render(results) {
  const names = Object.keys(results.systems);
  const row = (label, cell) => `<tr><td>${label}</td>` + names.map((n) => `<td>${cell(results.systems[n])}</td>`).join("") + "</tr>";
  const done = (f) => (r) => (r.mandelbrot.differ === undefined ? "…" : f(r));
  $("table").innerHTML = "<table><tr><th></th>" + names.map((n) => `<th>${n}</th>`).join("") + "</tr>" +
    row("digits: training steps/s", (r) => r.digits.steps_per_s.toFixed(1)) +
    row(`digits: loss at step ${CONFIG.steps} (from step ${Math.max(1, Math.floor(CONFIG.steps / 10))})`,
        (r) => `${r.digits.loss_curve.at(-1)[1].toFixed(3)} (${r.digits.loss_curve[0][1].toFixed(3)})`) +
    row("digits: test accuracy after the warm-up run", (r) => `${(r.digits.accuracy * 100).toFixed(1)}%`) +
    row(`Mandelbrot ${CONFIG.size}x${CONFIG.size}, ${CONFIG.iters} iterations: ms per frame`, (r) => (r.mandelbrot.frame_s * 1e3).toFixed(0)) +
    row("Mandelbrot: first frame (compiles), ms", (r) => (r.mandelbrot.first_s * 1e3).toFixed(0)) +
    row("Mandelbrot: pixels whose count differs from the reference", done((r) => `${r.mandelbrot.differ} of ${r.mandelbrot.pixels}`)) +
    row("Mandelbrot: points inside the set", done((r) => String(r.mandelbrot.inside))) +
    "</table>";
}

async function main() {
  const results = { meta: { ...CONFIG, userAgent: navigator.userAgent, crossOriginIsolated, adapter: null }, systems: {} };
  if (navigator.gpu) {
    const adapter = await navigator.gpu.requestAdapter();
    results.meta.adapter = adapter ? `${adapter.info.vendor} ${adapter.info.architecture} ${adapter.info.description}`.trim() : null;
  }
  let inputs = null;
  for (const system of SYSTEMS) {
    if (system === "numpy" || system.startsWith("jaxlite-")) {
      results.systems[system] = await runPython(system);
    } else if (system.startsWith("jax-js-")) {
      inputs = inputs || (await jaxjsInputs());
      results.systems[system] = await runJaxJs(system.slice("jax-js-".length), inputs);
    } else {
      throw new Error(`unknown system ${system}`);
    }
    render(results);
  }
  if (worker) worker.terminate();
  check(results);
  render(results);
  Object.assign(results.meta, { jaxliteVersion: versions.jaxlite, numpyVersion: versions.numpy });
  status("done");
  window.benchResults = results;
}

main().catch((e) => {
  status("failed");
  $("error").textContent = String((e && e.stack) || e);
  window.benchError = String((e && e.stack) || e);
});
