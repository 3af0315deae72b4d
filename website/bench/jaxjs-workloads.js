// The benchmark workloads for jax-js, mirroring workloads.py. jax-js moves ownership of every
// Array passed to a function, so each input is passed as `.ref` and every result is read back
// (which consumes it) exactly once.
import { numpy as np, nn, lax, tree, jit, valueAndGrad, init, defaultDevice, blockUntilReady } from "/vendor/jax-js/index.js";

export const RUNS = 7;
const WARMUP = 2; // calls, and at least WARMUP_MS: engines tier up new code in the background
const WARMUP_MS = 250;
const MIN_RUN_MS = 20;

async function readback(out) {
  for (const leaf of tree.leaves(out)) await leaf.data();
}

export async function measure(fn) {
  const w0 = performance.now();
  for (let i = 0; i < WARMUP || performance.now() - w0 < WARMUP_MS; i++) await readback(fn());
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await readback(fn());
    if (performance.now() - t0 >= MIN_RUN_MS || reps >= 1 << 16) break;
    reps *= 2;
  }
  const times = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await readback(fn());
    times.push((performance.now() - t0) / 1000 / reps);
  }
  times.sort((a, b) => a - b);
  return [times[Math.floor(times.length / 2)], reps];
}

function loss(p, x, y) {
  const h = nn.relu(np.matmul(x, p.w1).add(p.b1));
  const logits = np.matmul(h, p.w2).add(p.b2);
  return np.mean(np.sum(nn.logSoftmax(logits, -1).mul(nn.oneHot(y, 10)), -1)).neg();
}

const step = jit((p, x, y) => {
  const [l, g] = valueAndGrad(loss)(tree.ref(p), x, y);
  const newP = tree.map((w, gw) => w.sub(gw.mul(0.01)), p, g);
  return [newP, l];
});

/** Run every workload on `device` ("wasm" or "webgpu"); `data` maps names to {array, shape, dtype}. */
export async function runJaxJs(device, data) {
  const available = await init(device);
  if (!available.includes(device)) throw new Error(`jax-js: device ${device} is not available here`);
  defaultDevice(device);
  const a = {};
  for (const [k, { array, shape, dtype }] of Object.entries(data)) {
    a[k] = np.array(array, { shape, dtype: dtype === "int32" ? np.int32 : np.float32, device });
  }
  const hypot = (x, y) => np.sqrt(x.ref.mul(x).add(y.ref.mul(y)));
  const hypotJ = jit(hypot);
  const sumJ = jit((x) => np.sum(x));
  const softmaxJ = jit((x) => nn.softmax(x, -1));
  const matmulJ = jit((x, y) => np.matmul(x, y));
  const convJ = jit((x, w) => lax.convGeneralDilated(x, w, [1, 1], "SAME"));
  const addJ = jit((x, y) => x.add(y));
  const params = () => ({ w1: a.w1.ref, b1: a.b1.ref, w2: a.w2.ref, b2: a.b2.ref });
  const workloads = {
    hypot_eager: () => hypot(a.x1m.ref, a.y1m.ref),
    hypot_jit: () => hypotJ(a.x1m.ref, a.y1m.ref),
    sum: () => sumJ(a.x4m.ref),
    softmax: () => softmaxJ(a.soft.ref),
    matmul256: () => matmulJ(a.a256.ref, a.b256.ref),
    matmul512: () => matmulJ(a.a512.ref, a.b512.ref),
    matmul1024: () => matmulJ(a.a1024.ref, a.b1024.ref),
    conv2d: () => convJ(a.conv_x.ref, a.conv_w.ref),
    mlp_step: () => step(params(), a.mlp_x.ref, a.mlp_y.ref),
    tiny_add_eager: () => a.t10a.ref.add(a.t10b.ref),
    tiny_add_jit: () => addJ(a.t10a.ref, a.t10b.ref),
  };
  const results = {};
  for (const [name, fn] of Object.entries(workloads)) results[name] = await measure(fn);
  tree.dispose(a);
  return results;
}

const EAGER_MIN_OPS = 64;

/** Median seconds per op of `op` (workloads.py measure_ops): runs of `reps` ops, none read back;
 * jax-js evaluates lazily, so each run keeps its results and ends by waiting for all of them
 * (blockUntilReady), then disposes them. */
async function measureOps(op) {
  const run = async (reps) => {
    const outs = new Array(reps);
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) outs[i] = op();
    await blockUntilReady(outs);
    const t = (performance.now() - t0) / 1000;
    tree.dispose(outs);
    return t;
  };
  const w0 = performance.now();
  for (let i = 0; i < WARMUP || performance.now() - w0 < WARMUP_MS; i++) await run(EAGER_MIN_OPS);
  let reps = EAGER_MIN_OPS;
  while ((await run(reps)) * 1000 < MIN_RUN_MS && reps < 1 << 16) reps *= 2;
  const times = [];
  for (let r = 0; r < RUNS; r++) times.push((await run(reps)) / reps);
  times.sort((a, b) => a - b);
  return [times[Math.floor(times.length / 2)], reps];
}

/** The eager rows of workloads.py (EAGER_OPS) in jax-js's API on `device`. */
export async function runJaxJsEager(device, data) {
  const available = await init(device);
  if (!available.includes(device)) throw new Error(`jax-js: device ${device} is not available here`);
  defaultDevice(device);
  const [a, b] = ["t10a", "t10b"].map((k) => np.array(data[k].array, { shape: data[k].shape, dtype: np.float32, device }));
  const addJ = jit((x, y) => x.add(y));
  const ops = {
    "a + b": () => a.ref.add(b.ref),
    "a + 1": () => a.ref.add(1),
    "a * 2.0": () => a.ref.mul(2.0),
    "jnp.sin(a)": () => np.sin(a.ref),
    "a.sum()": () => a.ref.sum(),
    "a[3]": () => a.ref.slice(3),
    "a[2:5]": () => a.ref.slice([2, 5]),
    "a.reshape(2, 5)": () => a.ref.reshape([2, 5]),
    "jit(a, b)": () => addJ(a.ref, b.ref),
  };
  const results = {};
  for (const [name, op] of Object.entries(ops)) results[name] = await measureOps(op);
  a.dispose();
  b.dispose();
  return results;
}
