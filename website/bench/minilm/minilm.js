// all-MiniLM-L6-v2 in jaxlite (Pyodide; minilm.py) and in onnxruntime-web, in this one page, on the
// same token ids. Publishes window.minilmResults (read by tools/bench_minilm.py and
// pyodide-tests/test_bench_minilm.py) and a table; any failure as window.minilmError.
//
// Order: jaxlite boots and shows its first embedding (timed from navigation start: that is what a
// visitor waits for); then onnxruntime-web loads and shows its first embedding (timed from its own
// start, so Pyodide's boot is not counted against it); then every system runs every batch.
const ORT_DIR = "/vendor/onnxruntime-web/";
const ONNX_URL = "/models/minilm/model.onnx";
const MODEL_BASE = "/models/minilm/";
const HIDDEN = 384;

const $ = (id) => document.getElementById(id);
const status = (s) => ($("status").textContent = s);
const params = new URLSearchParams(location.search);
const SYSTEMS = (params.get("systems") || "jaxlite-wasm,jaxlite-webgpu,ort-wasm,ort-webgpu").split(",");
const BATCHES = (params.get("batches") || "1,32").split(",").map(Number);
// SwiftShader (a CPU) needs minutes per batch of 32: `gpubatches=1` limits the webgpu systems there.
const GPU_BATCHES = params.has("gpubatches") ? params.get("gpubatches").split(",").map(Number) : BATCHES;
const ALL_BATCHES = [...new Set([...BATCHES, ...GPU_BATCHES])].sort((a, b) => a - b);
const RUNS = { small: +(params.get("runs") || 5), big: +(params.get("runs32") || 3) };
const FIRST_ONLY = params.get("first") === "only";
const GPU_RUNS = params.has("gpuruns") ? +params.get("gpuruns") : null;  // with one warm-up call
const runsFor = (batch, system) => (GPU_RUNS && system.endsWith("webgpu") ? { runs: GPU_RUNS, warmup: 1 }
  : batch === 1 ? { runs: RUNS.small, warmup: 2 } : { runs: RUNS.big, warmup: 1 });

// The thread count jaxlite's wasm device picks (src/jaxlite/_src/backends/wasm/runtime.py,
// _thread_count); checked against the device's own count once jaxlite runs.
function jaxliteThreads() {
  const ok = self.crossOriginIsolated && typeof SharedArrayBuffer !== "undefined" && typeof Worker !== "undefined" &&
    typeof Atomics.waitAsync === "function";
  return ok ? Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 8)) : 1;
}

function cosine(a, b) {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
  return ab / Math.sqrt(aa * bb);
}
const minCosine = (rowsA, rowsB) => Math.min(...rowsA.map((r, i) => cosine(r, rowsB[i])));
function median(xs) {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const rows = (flat, n) => Array.from({ length: n }, (_, i) => Array.from(flat.subarray(i * HIDDEN, (i + 1) * HIDDEN)));

// ---- onnxruntime-web ------------------------------------------------------------------------------

let ort = null;
const sessions = {};

// The ONNX file from the Cache API (a previous visit stored it), else fetched and stored.
async function onnxBytes() {
  const cache = await caches.open("jaxlite-minilm-bench");
  const hit = await cache.match(ONNX_URL);
  if (hit) return { bytes: new Uint8Array(await hit.arrayBuffer()), cached: true };
  const response = await fetch(ONNX_URL);
  if (!response.ok) throw new Error(`${ONNX_URL}: HTTP ${response.status} (run \`make setup\`)`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  await cache.put(ONNX_URL, new Response(bytes));
  return { bytes, cached: false };
}

async function loadOrt(threads) {
  ort = await import(ORT_DIR + "ort.webgpu.min.mjs");
  // ORT fetches its wasm and worker module at run time: from this site, never a CDN.
  ort.env.wasm.wasmPaths = new URL(ORT_DIR, location.href).href;
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = "error";
}

async function ortSession(ep, bytes) {
  if (!sessions[ep]) {
    // logSeverityLevel: ORT prints its warnings (nodes it keeps on the CPU) as console errors
    const options = { executionProviders: [ep], graphOptimizationLevel: "all", logSeverityLevel: 3 };
    sessions[ep] = await ort.InferenceSession.create(bytes, options);
  }
  return sessions[ep];
}

function ortFeeds(ids) {
  const shape = [ids.length, ids[0].length];
  const data = BigInt64Array.from(ids.flat(), (v) => BigInt(v));
  const mask = new BigInt64Array(data.length).fill(1n);  // every position is a real token
  return { input_ids: new ort.Tensor("int64", data, shape), attention_mask: new ort.Tensor("int64", mask, shape) };
}

async function ortRun(session, feeds) {
  const out = await session.run(feeds);
  return out.embeddings.data;  // on the CPU: read back from the GPU for the webgpu provider
}

async function timeOrt(ep, bytes, ids, runs, warmup) {
  const session = await ortSession(ep, bytes);
  const feeds = ortFeeds(ids);
  let t = performance.now();
  let out = await ortRun(session, feeds);
  const first = (performance.now() - t) / 1000;
  for (let i = 1; i < warmup; i++) await ortRun(session, feeds);
  const times = [];
  for (let i = 0; i < runs; i++) {
    t = performance.now();
    out = await ortRun(session, feeds);
    times.push((performance.now() - t) / 1000);
  }
  return { median: median(times), times, first, embeddings: rows(out, ids.length) };
}

// ---- the page ---------------------------------------------------------------------------------------

const fmt = (s) => (s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(1)} ms`);

function render(results) {
  const cols = Object.keys(results.systems);
  const f = results.first;
  let html = "<table><tr><th></th>" + cols.map((c) => `<th>${c}</th>`).join("") + "</tr>";
  for (const b of ALL_BATCHES) {
    const cell = (c, k, g) => (results.systems[c][b] ? g(results.systems[c][b][k]) : "–");
    html += `<tr><td>batch ${b} × 128 tokens</td>` + cols.map((c) => `<td>${cell(c, "median", fmt)}</td>`).join("") + "</tr>";
    html += `<tr><td>batch ${b}: first call</td>` + cols.map((c) => `<td>${cell(c, "first", fmt)}</td>`).join("") + "</tr>";
    html += `<tr><td>batch ${b}: min cosine vs ${results.reference}</td>` +
      cols.map((c) => `<td>${cell(c, "cosine", (x) => x.toFixed(6))}</td>`).join("") + "</tr>";
  }
  html += "</table>";
  if (f.jaxlite) html += `<p>Time to first embedding after page load (weights ${f.jaxlite.cached ? "" : "<b>not</b> "}cached): ` +
    `jaxlite ${fmt(f.jaxlite.seconds)} (Pyodide boot ${fmt(f.jaxlite.boot)}, numpy + jaxlite ${fmt(f.jaxlite.packages)}, ` +
    `checkpoint + tokenizer + first embedding ${fmt(f.jaxlite.model)})`;
  if (f.ort) html += `; onnxruntime-web wasm ${fmt(f.ort.seconds)} from its own start ` +
    `(weights ${f.ort.cached ? "" : "<b>not</b> "}cached; ` +
    `session ${fmt(f.ort.session)}); first embeddings agree to cosine ${f.cosine.toFixed(6)}`;
  $("table").innerHTML = html + "</p>";
}

async function main() {
  const threads = jaxliteThreads();
  const results = { meta: { userAgent: navigator.userAgent, crossOriginIsolated: self.crossOriginIsolated, threads },
                    first: {}, systems: {}, reference: null };
  status("jaxlite: loading Pyodide");
  const pyodide = await loadPyodide({ indexURL: "/pyodide/" });
  const tBoot = performance.now();
  await pyodide.loadPackage(["numpy", "jaxlite"]);
  const tPackages = performance.now();
  for (const [file, url] of [["semantic_search.py", "/examples/semantic_search.py"], ["minilm.py", "./minilm.py"]]) {
    pyodide.FS.writeFile(`/home/pyodide/${file}`, await (await fetch(url)).text());
  }
  pyodide.runPython("import sys; sys.path.insert(0, '/home/pyodide')");
  status("jaxlite: first embedding");
  const first = JSON.parse(await pyodide.runPythonAsync(
    `import json, minilm; json.dumps(await minilm.first_embedding(${JSON.stringify(MODEL_BASE)}))`));
  const tFirst = performance.now();
  results.first.jaxlite = { seconds: tFirst / 1000, boot: tBoot / 1000, packages: (tPackages - tBoot) / 1000,
                            model: (tFirst - tPackages) / 1000, cached: first.cached, device: first.device };
  Object.assign(results.meta, JSON.parse(pyodide.runPython(
    "import json, jaxlite; json.dumps({'jaxliteVersion': jaxlite.__version__, " +
    "'jaxliteThreads': jaxlite.devices('wasm')[0].runtime.threads})")));
  if (results.meta.jaxliteThreads !== threads) {
    throw new Error(`jaxlite's wasm device runs ${results.meta.jaxliteThreads} threads, the page expected ${threads}`);
  }
  render(results);

  let bytes = null;
  if (SYSTEMS.some((s) => s.startsWith("ort-"))) {
    status("onnxruntime-web: first embedding");
    const t0 = performance.now();
    await loadOrt(threads);
    const model = await onnxBytes();
    bytes = model.bytes;
    const tSession = performance.now();
    const session = await ortSession("wasm", bytes);
    const tRun = performance.now();
    const out = await ortRun(session, ortFeeds([first.ids]));
    const t1 = performance.now();
    results.first.ort = { seconds: (t1 - t0) / 1000, session: (tRun - tSession) / 1000, cached: model.cached };
    results.first.cosine = cosine(out, first.embedding);
    results.meta.ortVersion = ort.env.versions.web;
    render(results);
  }
  if (navigator.gpu) {
    const adapter = await navigator.gpu.requestAdapter();
    const info = adapter && adapter.info;
    results.meta.adapter = info ? `${info.vendor} ${info.architecture} ${info.description || ""}`.trim() : null;
  }
  if (!FIRST_ONLY) {
    if (SYSTEMS.includes("jaxlite-webgpu")) await pyodide.runPythonAsync("import jaxlite; await jaxlite.init()");
    const ids = {};
    for (const b of ALL_BATCHES) {
      ids[b] = JSON.parse(pyodide.runPython(`import json, minilm; json.dumps(minilm.batch_ids(${b}).tolist())`));
    }
    const reference = {};
    for (const system of SYSTEMS) {
      results.systems[system] = {};
      for (const b of system.endsWith("webgpu") ? GPU_BATCHES : BATCHES) {
        status(`${system}, batch ${b}`);
        await new Promise((r) => setTimeout(r, 0));
        const { runs, warmup } = runsFor(b, system);
        let r;
        if (system.startsWith("jaxlite-")) {
          const device = system.slice("jaxlite-".length);
          const call = `minilm.run("${device}", ${b}, ${runs}, ${warmup})`;
          r = JSON.parse(await pyodide.runPythonAsync(`import json, minilm; json.dumps(${call})`));
        } else if (system.startsWith("ort-")) {
          r = await timeOrt(system.slice("ort-".length), bytes, ids[b], runs, warmup);
        } else {
          throw new Error(`unknown system ${system}`);
        }
        results.reference = results.reference || system;
        reference[b] = reference[b] || r.embeddings;
        r.cosine = minCosine(r.embeddings, reference[b]);
        delete r.embeddings;
        results.systems[system][b] = r;
        render(results);
      }
    }
  }
  status("done");
  window.minilmResults = results;
}

main().catch((e) => {
  status("failed");
  $("error").textContent = String((e && e.stack) || e);
  window.minilmError = String((e && e.stack) || e);
});
