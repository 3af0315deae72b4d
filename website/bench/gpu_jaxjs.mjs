// GPU benchmark workloads for jax-js 0.1.25 on its webgpu device, the same method as
// gpu_workloads.py: warm up, then RUNS times run a chain of K ops, each consuming the previous
// result, and read the last back; time per op = elapsed / K; median. (jax-js is lazy: a result
// that is disposed or never read is never computed, so independent launches measure nothing.)
// Constants are passed as `.ref` (jax-js moves ownership); each step consumes its state.
// Run in Node with Dawn as navigator.gpu:  node --import=./web/node-webgpu.mjs website/bench/gpu_jaxjs.mjs [names]
import * as jax from "@jax-js/jax";
import { readFileSync } from "node:fs";
import { inflateRawSync } from "node:zlib";
import { makeDemos } from "./demos/jaxjs-demos.js";

const { numpy: np, nn, init, jit, defaultDevice } = jax;

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
  fft1M: { k: 50, build: fftChain(size(1 << 20), 8) },
  fft16M: { k: 10, build: fftChain(size(1 << 24), 9) },
  rfft16M: { k: 10, build: () => [jit((x) => np.fft.irfft(np.fft.rfft(x))),
    np.array(rand(size(1 << 24), 10), { shape: [size(1 << 24)] }), []] },
  cholesky1024: { k: 10, flops: 1024 ** 3 / 3, build: choleskyChain(size(1024), 11) },
  cholesky4096: { k: 3, flops: 4096 ** 3 / 3, build: choleskyChain(size(4096), 12) },
  solve4096: { k: 3, flops: (2 * 4096 ** 3) / 3, build: solveChain(size(4096), 13) },
};

// The previous factor enters (negligibly) so that every step must run, as in gpu_workloads.py.
function choleskyChain(n, seed) {
  const step = jit((l, m) => np.linalg.cholesky(m.add(l.mul(1e-12))));
  return () => {
    const a = np.array(rand(n * n, seed), { shape: [n, n] });
    const spd = np.matmul(a.ref, a.transpose()).mul(1 / n).add(np.eye(n));
    return [step, np.zeros([n, n]), [spd]];
  };
}

// jnp.linalg.solve with one right-hand side (jax-js: lu, then two triangularSolves); the previous
// solution enters the right-hand side, as in gpu_workloads.py.
function solveChain(n, seed) {
  // (not jitted: jax-js 0.1.25's jit rejects it, "routine primitive triangular_solve input is not imm")
  const step = (x, a, b) => np.linalg.solve(a, b.add(x.mul(1e-12)));
  return () => {
    const a = np.array(rand(n * n, seed).map((v) => v / Math.sqrt(n)), { shape: [n, n] }).add(np.eye(n).mul(2));
    return [step, np.zeros([n]), [a, np.array(rand(n, seed + 1), { shape: [n] })]];
  };
}

// jax-js holds complex values as { real, imag } pairs: the chain's state is their [2, n] stack.
function fftChain(n, seed) {
  const step = jit((s) => {
    const [real, imag] = np.split(s, 2, 0);
    const z = np.fft.ifft(np.fft.fft({ real, imag }));
    return np.concatenate([z.real, z.imag], 0);
  });
  return () => [step, np.array(rand(2 * n, seed), { shape: [2, n] }), []];
}

// ---- the demos (issue 16), as the benchmark page runs them (demos/jaxjs-demos.js): digits training
// steps/s (k = steps per timed run, median_s = seconds per step) and Mandelbrot frame time (k = 1).
const DIGITS_NPZ = new URL("../demos/digits/digits.npz", import.meta.url);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

// The arrays of an .npz of uint8 arrays (tools/digits_data.py writes it with savez_compressed).
function readNpz(path) {
  const buf = readFileSync(path), out = {};
  for (let at = 0; buf.readUInt32LE(at) === 0x04034b50;) {
    const method = buf.readUInt16LE(at + 8), nameLen = buf.readUInt16LE(at + 26), extraLen = buf.readUInt16LE(at + 28);
    let size = buf.readUInt32LE(at + 18);
    // numpy writes zip64 entries: the sizes are then in the extra field 0x0001 (uncompressed, compressed)
    for (let e = at + 30 + nameLen; size === 0xffffffff && e < at + 30 + nameLen + extraLen; e += 4 + buf.readUInt16LE(e + 2)) {
      if (buf.readUInt16LE(e) === 1) size = Number(buf.readBigUInt64LE(e + 12));
    }
    const name = buf.toString("latin1", at + 30, at + 30 + nameLen).replace(/\.npy$/, "");
    const start = at + 30 + nameLen + extraLen;
    const raw = buf.subarray(start, start + size);
    const npy = method === 8 ? inflateRawSync(raw) : raw;
    const headerLen = npy.readUInt16LE(8);
    if (!/'descr': '\|u1'/.test(npy.toString("latin1", 10, 10 + headerLen))) throw new Error(`${name}: not uint8`);
    out[name] = new Uint8Array(npy.subarray(10 + headerLen));
    at = start + size;
  }
  return out;
}

// examples/mandelbrot.py's palette, in float64 like numpy's.
function palette(maxIter) {
  const bytes = new Uint8Array((maxIter + 1) * 4);
  for (let i = 0; i <= maxIter; i++) {
    const t = Math.sqrt(i / maxIter);
    [0.55, 0.65, 0.75].forEach((o, c) => (bytes[i * 4 + c] = Math.round(255 * (0.5 + 0.5 * Math.cos(2 * Math.PI * (t + o))))));
    bytes[i * 4 + 3] = 255;
  }
  bytes.fill(0, maxIter * 4, maxIter * 4 + 3);
  return bytes;
}

// Escape counts in float32 (Math.fround after every op), op for op as examples/mandelbrot.py: the reference.
function referenceCounts(centerX, centerY, scale, n, maxIter) {
  const f = Math.fround, out = new Int32Array(n * n);
  for (let r = 0; r < n; r++) {
    const cy = f(f(centerY) - f(f(r - f(n / 2 - 0.5)) * f(scale)));
    for (let c = 0; c < n; c++) {
      const cx = f(f(centerX) + f(f(c - f(n / 2 - 0.5)) * f(scale)));
      let x = 0, y = 0, k = 0;
      for (let i = 0; i < maxIter; i++) {
        const x2 = f(x * x), y2 = f(y * y);
        if (!(f(x2 + y2) <= 4)) continue;
        [x, y] = [f(f(x2 - y2) + cx), f(f(f(2 * x) * y) + cy)];
        k++;
      }
      out[r * n + c] = k;
    }
  }
  return out;
}

const DEMOS = {
  async digits_train() {
    const demos = makeDemos(jax), raw = readNpz(DIGITS_NPZ);
    const scaled = (a) => Float32Array.from(a, (v) => v / 16);
    const data = demos.digitsData({ x_train: scaled(raw.x_train), y_train: Int32Array.from(raw.y_train),
                                    x_test: scaled(raw.x_test), y_test: Int32Array.from(raw.y_test) });
    const steps = size(110), curve = [];
    let t0 = performance.now();
    const accuracy = await demos.train(data, { steps, every: Math.max(1, Math.floor(steps / 10)), onLoss: (s, l) => curve.push(l) });
    const first = (performance.now() - t0) / 1000;
    if (!(curve.at(-1) < 0.8 * curve[0])) throw new Error(`jax-js digits: the loss did not fall: ${curve}`);
    const perStep = [];
    for (let r = 0; r < RUNS; r++) {
      t0 = performance.now();
      await demos.train(data, { steps, seed: r + 1 });
      perStep.push((performance.now() - t0) / 1000 / steps);
    }
    data.dispose();
    return { k: steps, median_s: median(perStep), steps_per_s: 1 / median(perStep), min_s: Math.min(...perStep),
             max_s: Math.max(...perStep), first_call_s: first, loss: curve.at(-1), accuracy };
  },
  async mandelbrot1024() {
    const demos = makeDemos(jax), n = size(1024), maxIter = 256;
    const pal = demos.paletteArray(palette(maxIter));
    const view = { centerX: -0.6, centerY: 0, scale: 3.2 / n, width: n, height: n, maxIter, palette: pal };
    let t0 = performance.now();
    const { counts } = await demos.frame({ ...view, withCounts: true });
    const first = (performance.now() - t0) / 1000;
    const times = [];
    for (let r = 0; r < RUNS; r++) {
      t0 = performance.now();
      await demos.frame(view);
      times.push((performance.now() - t0) / 1000);
    }
    pal.dispose();
    const ref = referenceCounts(-0.6, 0, 3.2 / n, n, maxIter);
    let differ = 0;
    for (let i = 0; i < ref.length; i++) differ += ref[i] !== counts[i];
    if (differ > 5e-3 * n * n) throw new Error(`jax-js Mandelbrot: ${differ} pixels differ from the float32 reference`);
    return { k: 1, median_s: median(times), min_s: Math.min(...times), max_s: Math.max(...times), first_call_s: first,
             differ, pixels: n * n };
  },
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
  if (DEMOS[name]) {
    const r = (results.workloads[name] = await DEMOS[name]());
    console.error(`jax-js ${name}: ${(r.median_s * 1e3).toFixed(3)} ms (k=${r.k})`);
    continue;
  }
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
