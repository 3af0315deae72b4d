// GPU benchmark workloads for jax-js 0.1.25 on its webgpu device, the same method as
// gpu_workloads.py: warm up, then RUNS times run a chain of K ops, each consuming the previous
// result, and read the last back; time per op = elapsed / K; median. (jax-js is lazy: a result
// that is disposed or never read is never computed, so independent launches measure nothing.)
// Constants are passed as `.ref` (jax-js moves ownership); each step consumes its state.
// Run in Node with Dawn as navigator.gpu:  node --import=./web/node-webgpu.mjs website/bench/gpu_jaxjs.mjs [names]
import { numpy as np, nn, init, jit, defaultDevice } from "@jax-js/jax";

const RUNS = 5;
const SMOKE = Boolean(process.env.JAXLITE_BENCH_SMOKE); // tiny sizes: checks the script, measures nothing
const size = (n) => (SMOKE ? Math.max(n >> 6, 16) : n);

function rand(n, seed) {
  // normal-ish random floats (sum of uniforms), deterministic
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let j = 0; j < 4; j++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; acc += s / 4294967296; }
    out[i] = (acc - 2) * 1.7;
  }
  return out;
}

function matmulChain(n, seed) {
  const f = jit((c, w) => np.matmul(c, w));
  const b = rand(n * n, seed + 1).map((v) => v / Math.sqrt(n)); // keeps c @ b at unit scale
  return () => [f, np.array(rand(n * n, seed), { shape: [n, n] }), [np.array(b, { shape: [n, n] })]];
}

// name -> { k, flops, build: () => [step, state, consts] }: state_{k+1} = step(state_k, ...consts)
const WORKLOADS = {
  matmul4096: { k: 20, flops: 2 * 4096 ** 3, build: matmulChain(size(4096), 1) },
  hypot16M: { k: 100, build: () => [jit((x, y) => np.sqrt(x.ref.mul(x).add(y.ref.mul(y)))),
    np.array(rand(size(1 << 24), 3), { shape: [size(1 << 24)] }), [np.array(rand(size(1 << 24), 4), { shape: [size(1 << 24)] })]] },
  hypot16M_k1000: { k: 1000, build: () => [jit((x, y) => np.sqrt(x.ref.mul(x).add(y.ref.mul(y)))),
    np.array(rand(size(1 << 24), 3), { shape: [size(1 << 24)] }), [np.array(rand(size(1 << 24), 4), { shape: [size(1 << 24)] })]] },
  sum16M: { k: 100, build: () => [jit((s, x) => np.sum(x.add(s.mul(1e-12)))),
    np.array(new Float32Array([0]), { shape: [] }), [np.array(rand(size(1 << 24), 5), { shape: [size(1 << 24)] })]] },
  softmax4096x4096: { k: 50, build: () => [jit((x) => nn.softmax(x, -1)),
    np.array(rand(size(4096) ** 2, 6), { shape: [size(4096), size(4096)] }), []] },
  matmul1024: { k: 100, flops: 2 * 1024 ** 3, build: matmulChain(size(1024), 7) },
};

async function timeChain(step, state, consts, k) {
  let s = state.ref;
  const t0 = performance.now();
  for (let i = 0; i < k; i++) s = step(s, ...consts.map((c) => c.ref));
  await s.data();
  return (performance.now() - t0) / 1000 / k;
}

const names = process.argv[2] ? process.argv[2].split(",") : Object.keys(WORKLOADS);
const devices = await init("webgpu");
if (!devices.includes("webgpu")) throw new Error("jax-js: no webgpu device");
defaultDevice("webgpu");
const results = { workloads: {} };
for (const name of names) {
  const { k, flops, build } = WORKLOADS[name];
  const [step, state, consts] = build();
  const t0 = performance.now();
  await timeChain(step, state, consts, 1);
  const first = (performance.now() - t0) / 1000;
  await timeChain(step, state, consts, Math.max(2, k >> 2));
  const times = [];
  for (let r = 0; r < RUNS; r++) times.push(await timeChain(step, state, consts, k));
  times.sort((a, b) => a - b);
  results.workloads[name] = { k, median_s: times[RUNS >> 1], min_s: times[0], max_s: times[RUNS - 1],
                              first_call_s: first, flops: flops ?? null };
  console.error(`jax-js ${name}: ${(times[RUNS >> 1] * 1e3).toFixed(3)} ms/op (K=${k})`);
  state.dispose();
  for (const c of consts) c.dispose();
}
console.log("BENCH_JSON " + JSON.stringify(results));
process.exit(0);
