// Web Workers for Pyodide in Node, so that the wasm device's worker pool (src/jaxlite/_src/backends/
// wasm/threads.js) runs there too: Node has SharedArrayBuffer, Atomics.waitAsync and worker_threads,
// but no `Worker` global, no `crossOriginIsolated` and (before Node 21) no `navigator`. For measuring
// thread scaling on machines without a browser (the lent GPU host); tests run the pool in Chromium.
//   node --import=./tools/node_web_workers.mjs tools/pyodide_node.mjs script.py
// JAXLITE_NODE_THREADS caps navigator.hardwareConcurrency (the pool's size is min(it, 8)).
import { availableParallelism } from "node:os";
import { Worker as NodeWorker } from "node:worker_threads";

const sources = new Map();  // blob URL -> the script's text (a worker here starts from source)
let made = 0;

// threads.js makes its worker from a Blob URL; Node's worker_threads take source text instead.
class SourceBlob extends Blob {
  constructor(parts, options) {
    super(parts, options);
    this.source = parts.join("");
  }
}
globalThis.Blob = SourceBlob;
const createObjectURL = URL.createObjectURL;
URL.createObjectURL = (blob) => {
  if (!(blob instanceof SourceBlob)) return createObjectURL(blob);
  const url = `blob:node-web-workers/${made++}`;
  sources.set(url, blob.source);
  return url;
};
URL.revokeObjectURL = (url) => sources.delete(url);

const PRELUDE = `
const { parentPort } = require("node:worker_threads");
globalThis.onmessage = null;  // (threads.js assigns it in strict mode: it must exist)
globalThis.postMessage = (data) => parentPort.postMessage(data);
parentPort.on("message", (data) => globalThis.onmessage && globalThis.onmessage({ data }));
`;

globalThis.Worker = class {
  constructor(url) {
    const source = sources.get(String(url));
    if (source === undefined) throw new Error(`node_web_workers: only Blob URLs made here, not ${url}`);
    this.worker = new NodeWorker(PRELUDE + source, { eval: true });
    this.worker.unref();  // (the process may exit while the pool's workers wait)
    this.worker.on("message", (data) => this.onmessage && this.onmessage({ data }));
    this.worker.on("error", (e) => console.error("worker error:", e));
  }
  postMessage(data) { this.worker.postMessage(data); }
  terminate() { this.worker.terminate(); }
};
globalThis.crossOriginIsolated = true;
const cores = Number(process.env.JAXLITE_NODE_THREADS ?? availableParallelism());
// (Pyodide reads navigator.userAgent once navigator exists)
if (globalThis.navigator === undefined) globalThis.navigator = { userAgent: `Node.js ${process.version}` };
Object.defineProperty(globalThis.navigator, "hardwareConcurrency", { value: cores, configurable: true });
