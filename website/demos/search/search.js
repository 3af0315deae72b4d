// The semantic-search demo: examples/semantic_search.py runs in a worker; the page loads the MiniLM
// checkpoint through jaxlite.loaders.cached_fetch (OPFS-cached), embeds corpus.json a batch per
// message so the progress bar and sentences/s stay live, then answers queries.
// window.demo is there for the console and the page tests.
import { $, setState, fetchText, bootExample, setupDeviceSelect, showSource, progressReporter } from "../demo.js";

const MODEL_URL = new URL("/models/minilm/", location.href).href;
const CORPUS_URL = new URL("corpus.json", location.href).href;
// The page's side of the worker: the corpus from this folder, the checkpoint's download (its progress
// through jaxlite.display.progress bars, which the loader forwards to setProgressBar), the corpus
// embedded a batch per call, and queries.
const GLUE = `
import json, time, js
import numpy as np
import semantic_search as ss
from jaxlite.display import progress

_response = await js.fetch(${JSON.stringify(CORPUS_URL)})
sentences, topics = [], []
for _topic, _items in json.loads(await _response.text()).items():
    sentences += _items
    topics += [_topic] * len(_items)
encoder = embeddings = _run = None
_bars = {}

def _on_progress(name, done, total):
    bar = _bars.get(name) or _bars.setdefault(name, progress(total=total, desc=name))
    bar.update(done - bar.n)
    if total is not None and done >= total:
        bar.close()

async def load_model():
    global encoder
    t0 = time.perf_counter()
    _bars.clear()
    encoder = await ss.load_encoder(${JSON.stringify(MODEL_URL)}, _on_progress)
    # cached_fetch read the bytes back from the browser's storage when no request for them was made
    url = ${JSON.stringify(MODEL_URL + "model.safetensors")}
    fetched = any(e.name == url for e in js.performance.getEntriesByType("resource"))
    return {"seconds": time.perf_counter() - t0, "from_cache": not fetched}

def start_corpus():
    global _run, embeddings
    embeddings = None
    _run = ss.embed_corpus(encoder, sentences)
    return len(sentences)

def advance():
    global embeddings
    t0 = time.perf_counter()
    done, result = next(_run)
    if result is not None:
        embeddings = result
    return {"done": done, "finished": result is not None, "ms": (time.perf_counter() - t0) * 1e3}

def warm_up():
    # a first query compiles the one-sentence bucket and top_k: done before the page says ready
    ss.search(encoder, embeddings, "warm up")

def query(text, k=5):
    t0 = time.perf_counter()
    hits = ss.search(encoder, embeddings, text, k)
    ms = (time.perf_counter() - t0) * 1e3
    return {"ms": ms, "hits": [{"index": i, "sentence": sentences[i], "topic": topics[i], "score": s} for i, s in hits]}

def embed(texts):
    return np.asarray(encoder.embed(ss.token_ids(encoder, texts))).tolist()
`;

let jl = null, generation = 0;
// Times in ms from the page's start (navigation; a device switch: the switch) to the first embedding,
// to the worker being ready and to the weights being loaded; and the first batch (compiling too).
const demo = {
  get jl() { return jl; }, weights: null, firstEmbeddingMs: null, timings: {}, rate: null, corpusSeconds: null,
  corpusSize: null, last: null, queries: 0,
  embed: (texts) => jl.runPython(`embed(${JSON.stringify(texts)})`),  // unit vectors, as lists of numbers
  search: (text) => { $("query").value = text; return runQuery(text); },
};
window.demo = demo;

const fmtMs = (ms) => (ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`);
const fmtBytes = (n) => `${(n / 1e6).toFixed(1)} MB`;

function showHits(result) {
  const list = $("results");
  list.replaceChildren();
  for (const h of result.hits) {
    const li = document.createElement("li");
    const cell = (cls, text) => Object.assign(document.createElement("span"), { className: cls, textContent: text });
    li.append(cell("score", h.score.toFixed(3)), cell("sentence", h.sentence), cell("topic", h.topic));
    list.append(li);
  }
}

// ---- queries: at most one in flight; the latest text wins -------------------------------------
let busy = false, pendingText = null;
async function runQuery(text) {
  if (!text.trim() || !jl || document.body.dataset.state !== "ready") return null;
  if (busy) { pendingText = text; return null; }
  busy = true;
  const mine = generation;
  let result = null;
  try {
    result = await jl.runPython(`query(${JSON.stringify(text)})`);
    if (mine !== generation) return null;
    demo.last = { query: text, ...result };
    demo.queries++;
    document.body.dataset.queries = String(demo.queries);
    $("latency").textContent = fmtMs(result.ms);
    showHits(result);
  } finally {
    busy = false;
  }
  if (pendingText !== null) {
    const next = pendingText;
    pendingText = null;
    runQuery(next).catch(fail);
  }
  return result;
}

// ---- boot: worker, weights, corpus --------------------------------------------------------------
function fail(e) {
  $("error").textContent = String((e && e.message) || e);
  $("state").textContent = "failed";
  $("progress").hidden = true;
  setState("error");
}

async function embedCorpus(mine) {
  setState("embedding");
  const total = await jl.runPython("start_corpus()");
  demo.corpusSize = total;
  $("corpus-size").textContent = String(total);
  $("progress").value = 0;
  $("state").textContent = `embedding the corpus (0/${total}, compiling)…`;
  // sentences/s from the end of the first batch on: the first one also compiles the kernels
  const t0 = performance.now();
  let tFirst = null, firstDone = 0;
  for (;;) {
    const r = await jl.runPython("advance()");
    if (mine !== generation) return false;
    if (demo.firstEmbeddingMs === null) {
      demo.firstEmbeddingMs = performance.now() - startedAt;
      demo.timings.firstBatch = r.ms;
      const t = demo.timings;
      $("first").textContent = fmtMs(demo.firstEmbeddingMs);
      $("first").title = `worker ready at ${fmtMs(t.boot)}, weights loaded at ${fmtMs(t.weights)}, ` +
                         `first batch of 32 (compiling its kernels) ${fmtMs(t.firstBatch)}`;
      [tFirst, firstDone] = [performance.now(), r.done];
      $("rate").textContent = "…";
    } else if (r.done > firstDone) {
      demo.rate = ((r.done - firstDone) / (performance.now() - tFirst)) * 1e3;
      $("rate").textContent = demo.rate.toFixed(demo.rate < 10 ? 1 : 0);
    }
    $("progress").value = r.done / total;
    $("state").textContent = `embedding the corpus (${r.done}/${total})`;
    if (r.finished) {
      demo.corpusSeconds = (performance.now() - t0) / 1e3;
      return true;
    }
  }
}

let source = null, startedAt = 0;
async function start(device) {
  const mine = ++generation;
  startedAt = mine === 1 ? 0 : performance.now();
  if (jl) jl.terminate();
  jl = null;
  Object.assign(demo, { weights: null, firstEmbeddingMs: null, timings: {}, rate: null, corpusSeconds: null,
                        last: null });
  for (const id of ["weights", "first", "rate", "latency", "backend"]) $(id).textContent = "–";
  $("results").replaceChildren();
  $("query").disabled = $("go").disabled = true;
  setState("loading");
  $("state").textContent = `loading (${device})…`;
  try {
    source = source || (await fetchText("/examples/semantic_search.py"));
    const handle = await bootExample({ name: "semantic_search", source, device, glue: GLUE,
                                       onProgress: progressReporter($("progress"), $("state")) });
    if (mine !== generation) return handle.terminate();
    jl = handle;
    demo.timings.boot = performance.now() - startedAt;
    $("backend").textContent = handle.device;
    // the checkpoint's download, file by file, through jaxlite.display.progress
    await jl.setProgressBar(({ n, total, desc }) => {
      if (mine !== generation) return;
      $("progress").hidden = false;
      $("progress").value = total ? n / total : 0;
      $("state").textContent = `${desc}: ${fmtBytes(n)}${total ? ` of ${fmtBytes(total)}` : ""}`;
    });
    setState("downloading");
    const weights = await jl.runPython("await load_model()");
    if (mine !== generation) return;
    demo.weights = weights;
    demo.timings.weights = performance.now() - startedAt;
    $("weights").textContent = weights.from_cache ? `from cache (${fmtMs(weights.seconds * 1e3)})`
                                                  : `downloaded (${fmtMs(weights.seconds * 1e3)})`;
    if (!(await embedCorpus(mine))) return;
    $("state").textContent = "compiling the query…";
    await jl.runPython("warm_up()");
    if (mine !== generation) return;
    $("progress").hidden = true;
    $("state").textContent = `ready: ${demo.corpusSize} sentences embedded`;
    $("query").disabled = $("go").disabled = false;
    setState("ready");
    const q = $("query").value.trim();
    if (q) await runQuery(q);
  } catch (e) {
    if (mine === generation) fail(e);
  }
}

let timer = null;
$("query").addEventListener("input", () => {
  clearTimeout(timer);
  timer = setTimeout(() => runQuery($("query").value).catch(fail), 250);
});
$("query").addEventListener("keydown", (ev) => {
  if (ev.key === "Enter") { clearTimeout(timer); runQuery($("query").value).catch(fail); }
});
$("go").onclick = () => runQuery($("query").value).catch(fail);
$("examples").addEventListener("click", (ev) => {
  if (ev.target.tagName !== "BUTTON") return;
  $("query").value = ev.target.textContent;
  runQuery(ev.target.textContent).catch(fail);
});

const deviceSelect = $("device");
deviceSelect.onchange = () => start(deviceSelect.value);
fetchText("/examples/semantic_search.py").then((t) => { source = t; showSource($("source"), t); }).catch(fail);
setupDeviceSelect(deviceSelect).then(() => start(deviceSelect.value));
