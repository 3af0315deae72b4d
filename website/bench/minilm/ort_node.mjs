// The onnxruntime-web half of the MiniLM page in Node, for a GPU machine without a browser (Dawn as
// navigator.gpu through web/node-webgpu.mjs, as tools/bench_gpu.py runs jax-js):
//
//   python website/bench/minilm/minilm.py --ids ids.json     # token ids + jaxlite's embeddings (CPython)
//   node --import=./web/node-webgpu.mjs website/bench/minilm/ort_node.mjs ids.json [wasm,webgpu] [runs]
//
// Prints one JSON line: per provider and batch the median seconds, the first call, and the smallest
// cosine against jaxlite's embeddings of the same ids. The jaxlite half runs in Node with
// tools/pyodide_node.mjs (minilm.run("webgpu", 32, runs, 1) after `await jaxlite.init()`).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// The JSEP build (onnxruntime-web's default bundle, the one browsers get for "webgpu"): the package's
// "webgpu" export is its newer native-WebGPU build, which segfaults inside Dawn's Node binding.
const ort = await import(new URL("../../../node_modules/onnxruntime-web/dist/ort.bundle.min.mjs", import.meta.url));
// Dawn's Node binding rejects writeBuffer from a SharedArrayBuffer (onnxruntime's threaded wasm
// memory is one): hand it a copy, as a browser copies anyway.
const writeBuffer = GPUQueue.prototype.writeBuffer;
GPUQueue.prototype.writeBuffer = function (buffer, offset, data, dataOffset = 0, size) {
  const shared = (x) => typeof SharedArrayBuffer !== "undefined" && x instanceof SharedArrayBuffer;
  if (!shared(data) && !(ArrayBuffer.isView(data) && shared(data.buffer))) {
    return writeBuffer.call(this, buffer, offset, data, dataOffset, size);
  }
  const view = ArrayBuffer.isView(data);
  const bytes = view ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
  const unit = view ? (data.BYTES_PER_ELEMENT ?? 1) : 1;
  const start = dataOffset * unit, length = size === undefined ? bytes.length - start : size * unit;
  return writeBuffer.call(this, buffer, offset, bytes.slice(start, start + length));
};

const HIDDEN = 384;
const [idsPath, eps = "wasm,webgpu", runsArg = "5"] = process.argv.slice(2);
const inputs = JSON.parse(readFileSync(idsPath, "utf8"));
const model = readFileSync(fileURLToPath(new URL("../../models/minilm/model.onnx", import.meta.url)));
ort.env.wasm.numThreads = 1;  // Node has no cross-origin isolation to speak of: one thread, as jaxlite in Node
ort.env.logLevel = "error";

const cosine = (a, b) => {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
  return ab / Math.sqrt(aa * bb);
};
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

const out = {};
for (const ep of eps.split(",")) {
  const session = await ort.InferenceSession.create(model, { executionProviders: [ep], logSeverityLevel: 3 });
  out[ep] = {};
  for (const b of ["1", "32"]) {
    const ids = inputs[b].ids;
    const shape = [ids.length, ids[0].length];
    const data = BigInt64Array.from(ids.flat(), (v) => BigInt(v));
    const feeds = { input_ids: new ort.Tensor("int64", data, shape),
                    attention_mask: new ort.Tensor("int64", new BigInt64Array(data.length).fill(1n), shape) };
    let t = performance.now();
    let emb = (await session.run(feeds)).embeddings.data;
    const first = (performance.now() - t) / 1000;
    const times = [];
    for (let i = 0; i < +runsArg; i++) {
      t = performance.now();
      emb = (await session.run(feeds)).embeddings.data;
      times.push((performance.now() - t) / 1000);
    }
    const cos = Math.min(...inputs[b].embeddings.map((row, i) => cosine(row, emb.subarray(i * HIDDEN, (i + 1) * HIDDEN))));
    out[ep][b] = { median: median(times), first, cosine: cos };
  }
}
console.log(JSON.stringify(out));
