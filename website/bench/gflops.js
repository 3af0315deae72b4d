// The GFLOP/s pages (/bench/matmul/, /bench/conv2d/): boot jaxlite with web/jaxlite-loader.js, time
// each point with the harness's method (gflops.py -> workloads.measure), draw an SVG chart as the
// points come in. Modes: a short run starts by itself; "Run" sweeps every size; ?quick=1 is the
// small, fast sweep the page tests use. Publishes window.benchResults and body[data-state].
//
//   runGflopsPage({ call: (system, point) => "python expression", points: {quick, short, full},
//                   label: (point) => "axis label" or [lines], note: (point) => "longer description" })

const $ = (id) => document.getElementById(id);
const COLORS = { numpy: "#6b7280", "jaxlite-wasm": "#2563eb", "jaxlite-webgpu": "#ea580c" };
const NAMES = { numpy: "numpy (Pyodide)", "jaxlite-wasm": "jaxlite wasm", "jaxlite-webgpu": "jaxlite webgpu" };
const SVG = "http://www.w3.org/2000/svg";

function setState(state, text) {
  document.body.dataset.state = state;
  $("status").textContent = text;
}

function el(name, attrs, parent, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

const fmt = (g) => (g >= 100 ? g.toFixed(0) : g >= 10 ? g.toFixed(1) : g >= 1 ? g.toFixed(2) : g.toPrecision(2));
const fmtTime = (s) => (s >= 1 ? s.toFixed(2) + " s" : s >= 1e-3 ? (s * 1e3).toFixed(2) + " ms" : (s * 1e6).toFixed(1) + " µs");

// GFLOP/s on a log scale (the systems differ by two orders of magnitude), one x slot per point.
function drawChart(svg, points, systems, results, label) {
  svg.replaceChildren();
  const W = 760, H = 390, L = 64, R = 16, T = 16, B = 74;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const values = results.map((r) => r.gflops).filter((g) => g > 0);
  let lo = Math.floor(Math.log10(values.length ? Math.min(...values) : 1));
  let hi = Math.ceil(Math.log10(values.length ? Math.max(...values) : 10));
  if (hi === lo) hi = lo + 1;
  const PAD = 56;  // room for the outer x labels
  const x = (i) => L + (points.length === 1 ? (W - L - R) / 2 : PAD + ((W - L - R - 2 * PAD) * i) / (points.length - 1));
  const y = (g) => T + (H - T - B) * (1 - (Math.log10(g) - lo) / (hi - lo));
  const grid = el("g", { class: "grid" }, svg);
  for (let e = lo; e <= hi; e++) {
    for (const m of [1, 2, 5]) {
      const g = m * 10 ** e;
      if (Math.log10(g) > hi + 1e-9) continue;
      el("line", { x1: L, x2: W - R, y1: y(g), y2: y(g), class: m === 1 ? "major" : "minor" }, grid);
      if (m === 1 || hi - lo <= 2) el("text", { x: L - 8, y: y(g) + 4, class: "ytick" }, grid, fmt(g));
    }
  }
  el("text", { x: 14, y: T + (H - T - B) / 2, class: "ylabel",
               transform: `rotate(-90 16 ${T + (H - T - B) / 2})` }, svg, "GFLOP/s (log scale)");
  points.forEach((p, i) => {
    const t = el("text", { x: x(i), y: H - B + 20, class: "xtick" }, svg);
    [].concat(label(p)).forEach((line, k) => el("tspan", { x: x(i), dy: k ? "1.2em" : 0 }, t, line));
  });
  for (const system of systems) {
    const mine = results.filter((r) => r.system === system);
    if (!mine.length) continue;
    const color = COLORS[system];
    const xy = mine.map((r) => [x(r.index), y(r.gflops)]);
    el("polyline", { points: xy.map((p) => p.join(",")).join(" "), fill: "none", stroke: color, "stroke-width": 2.5,
                     "stroke-linejoin": "round" }, svg);
    mine.forEach((r, k) => {
      const dot = el("circle", { cx: xy[k][0], cy: xy[k][1], r: 4.5, fill: color, class: "dot" }, svg);
      el("title", {}, dot, `${NAMES[system]}, ${[].concat(label(points[r.index])).join(" ")}: ${fmt(r.gflops)} GFLOP/s (${fmtTime(r.seconds)})`);
    });
  }
  const legend = el("g", {}, svg);
  let lx = L;
  for (const system of systems) {
    el("rect", { x: lx, y: H - 22, width: 14, height: 14, rx: 3, fill: COLORS[system] }, legend);
    const t = el("text", { x: lx + 20, y: H - 10, class: "legend" }, legend, NAMES[system]);
    lx += 40 + t.getComputedTextLength();
  }
}

function drawTable(table, points, systems, results, note) {
  const cell = (system, i) => {
    const r = results.find((q) => q.system === system && q.index === i);
    return r ? `<td><b>${fmt(r.gflops)}</b><span class="time">${fmtTime(r.seconds)}</span></td>` : "<td>–</td>";
  };
  table.innerHTML = `<thead><tr><th>size</th>${systems.map((s) => `<th>${NAMES[s]}</th>`).join("")}</tr></thead><tbody>` +
    points.map((p, i) => `<tr><th>${note(p)}</th>${systems.map((s) => cell(s, i)).join("")}</tr>`).join("") +
    "</tbody>";
}

export async function runGflopsPage(opts) {
  const params = new URLSearchParams(location.search);
  const quick = params.has("quick");
  const t0 = performance.now();
  setState("loading", "loading Pyodide and jaxlite…");
  const progress = $("progress");
  const jl = await loadJaxlite({
    indexURL: "/pyodide/",
    device: params.get("device") === "wasm" ? "wasm" : "auto",
    onProgress: ({ stage, loaded, total }) => {
      progress.value = total ? loaded / total : 0;
      $("status").textContent = `loading ${stage}…`;
    },
  });
  progress.hidden = true;
  const bootMs = performance.now() - t0;
  if (quick) $("method").insertAdjacentText("beforeend", " Quick mode (?quick=1): 3 runs per point after a short warm-up.");
  const [gflopsSrc, workloadsSrc] = await Promise.all(
    ["../gflops.py", "../workloads.py"].map(async (f) => (await fetch(f)).text()));
  jl.FS.writeFile("/home/pyodide/gflops.py", gflopsSrc);
  jl.FS.writeFile("/home/pyodide/workloads.py", workloadsSrc);
  jl.runPython(`import sys; sys.path.insert(0, '/home/pyodide')\nimport gflops\n${quick ? "gflops.quick()" : ""}`);
  const systems = ["numpy", "jaxlite-wasm"];
  if (jl.device === "webgpu") systems.push("jaxlite-webgpu");
  const adapter = jl.device === "webgpu" && navigator.gpu ? await navigator.gpu.requestAdapter() : null;
  $("env").textContent = `jaxlite ${jl.runPython("import jaxlite; jaxlite.__version__")}, numpy ` +
    `${jl.runPython("import numpy; numpy.__version__")} in Pyodide; WebGPU: ` +
    (adapter ? `${adapter.info.vendor} ${adapter.info.architecture}`.trim() + (adapter.info.architecture === "swiftshader"
      ? " (a CPU implementation: its times say nothing about a GPU)" : "")
      : jl.fallbackReason || "not used");

  let running = false;
  const run = async (points, mode) => {
    if (running) return;
    running = true;
    $("run").disabled = true;
    const results = [], tRun = performance.now();
    const redraw = () => {
      drawChart($("chart"), points, systems, results, opts.label);
      drawTable($("table"), points, systems, results, opts.note);
    };
    redraw();
    try {
      for (let i = 0; i < points.length; i++) {
        for (const system of systems) {
          setState("running", `${mode} run: ${NAMES[system]}, ${opts.note(points[i])}`);
          await new Promise((r) => setTimeout(r, 0));  // let the page draw before Python holds the thread
          // runPythonAsync: reading a WebGPU result back blocks through JSPI
          const json = await jl.runPythonAsync(`import json\njson.dumps(${opts.call(system, points[i])})`);
          results.push({ system, index: i, point: points[i], ...JSON.parse(json) });
          redraw();
        }
      }
      window.benchResults = { mode, systems, points, results, bootMs, runMs: performance.now() - tRun };
      setState("done", `${mode} run done: ${results.length} points.` + (mode === "full" ? "" : " Press Run for the full sweep."));
    } catch (e) {
      $("error").textContent = String((e && e.stack) || e);
      setState("error", "failed");
    } finally {
      running = false;
      $("run").disabled = false;
    }
  };
  $("run").addEventListener("click", () => run(opts.points.full, "full"));
  $("run").disabled = false;
  await run(quick ? opts.points.quick : opts.points.short, quick ? "quick" : "short");
}

export function startPage(opts) {
  runGflopsPage(opts).catch((e) => {
    $("error").textContent = String((e && e.stack) || e);
    setState("error", "failed");
  });
}
