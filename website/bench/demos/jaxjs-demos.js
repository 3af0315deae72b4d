// The two demos written in jax-js 0.1.25, for the demo benchmarks: the digits MLP (64-128-10, ReLU,
// softmax cross-entropy, batch 128, Adam with lr 3e-3, shuffled every epoch; jit(valueAndGrad)) and
// the Mandelbrot escape-time loop (float32, z -> z*z + c while |z| <= 2, op for op as
// examples/mandelbrot.py writes it). jax-js has no fori_loop/while_loop, so a frame calls a jit of
// UNROLL unrolled steps max_iter / UNROLL times, as jaxlite's fori_loop body does.
// The jax-js module is a parameter: the page passes /vendor/jax-js/index.js, Node (gpu_jaxjs.mjs)
// passes the npm package. jax-js moves ownership of every Array passed to a function: an Array used
// again later is passed as `.ref`.

export const UNROLL = 8;
const SYNC_STEPS = 32;
const SIZES = [64, 128, 10];
const BATCH = 128;
const LR = 3e-3, B1 = 0.9, B2 = 0.999, EPS = 1e-8;

// A seeded generator (LCG): the shuffles and the initial weights, deterministic per seed.
function rng(seed) {
  let s = (seed * 2654435761 + 12345) >>> 0;
  const uniform = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const permutation = (n) => {
    const p = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(uniform() * (i + 1));
      [p[i], p[j]] = [p[j], p[i]];
    }
    return p;
  };
  return { normal, permutation };
}

export function makeDemos(jax, { unroll = UNROLL } = {}) {
  const { numpy: np, nn, tree, jit, valueAndGrad, blockUntilReady } = jax;

  // ---- digits ------------------------------------------------------------------------------------
  function loss(p, x, y) {
    const h = nn.relu(np.matmul(x, p.w1).add(p.b1));
    const logits = np.matmul(h, p.w2).add(p.b2);
    return np.mean(np.sum(nn.logSoftmax(logits, -1).mul(nn.oneHot(y, 10)), -1)).neg();
  }

  // One Adam step on the rows `idx` of the training set; bias corrections folded into the step size.
  const trainStep = jit((p, m, v, t, xAll, yAll, idx) => {
    const x = np.take(xAll, idx.ref, 0), y = np.take(yAll, idx, 0);
    const [l, g] = valueAndGrad(loss)(tree.ref(p), x, y);
    const t1 = t.add(1);
    const scale = np.sqrt(np.power(B2, t1.ref).neg().add(1)).mul(LR).div(np.power(B1, t1.ref).neg().add(1));
    const m1 = tree.map((mi, gi) => mi.mul(B1).add(gi.mul(1 - B1)), m, tree.ref(g));
    const v1 = tree.map((vi, gi) => vi.mul(B2).add(gi.ref.mul(gi).mul(1 - B2)), v, g);
    const p1 = tree.map((pi, mi, vi) => pi.sub(scale.ref.mul(mi).div(np.sqrt(vi).add(EPS))), p, tree.ref(m1), tree.ref(v1));
    scale.dispose();
    return [p1, m1, v1, t1, l];
  });

  const accuracy = jit((p, x, y) => np.mean(np.argmax(
    np.matmul(nn.relu(np.matmul(x, p.w1).add(p.b1)), p.w2).add(p.b2), -1).equal(y).astype(np.float32)));

  /** The training set as device arrays: `d` holds x_train [n, 64] (float32 in [0, 1]), y_train, x_test, y_test (int32). */
  function digitsData(d) {
    const arr = (a, shape, dtype) => np.array(a, { shape, dtype });
    return {
      n: d.y_train.length,
      xTrain: arr(d.x_train, [d.y_train.length, 64], np.float32), yTrain: arr(d.y_train, [d.y_train.length], np.int32),
      xTest: arr(d.x_test, [d.y_test.length, 64], np.float32), yTest: arr(d.y_test, [d.y_test.length], np.int32),
      dispose() { for (const k of ["xTrain", "yTrain", "xTest", "yTest"]) this[k].dispose(); },
    };
  }

  /** Trains `steps` steps like digits.train; calls onLoss(step, loss) every `every` steps (reading the
   * loss back there) and returns the test accuracy at the end. */
  async function train(data, { steps, seed = 0, every = steps, onLoss = () => {} }) {
    const r = rng(seed);
    const p = {};
    for (const [i, [nIn, nOut]] of [[SIZES[0], SIZES[1]], [SIZES[1], SIZES[2]]].entries()) {
      const w = Float32Array.from({ length: nIn * nOut }, () => r.normal() * Math.sqrt(2 / nIn));
      p[`w${i + 1}`] = np.array(w, { shape: [nIn, nOut] });
      p[`b${i + 1}`] = np.zeros([nOut]);
    }
    let params = p, m = tree.map((a) => np.zerosLike(a.ref), p), v = tree.map((a) => np.zerosLike(a.ref), p);
    let t = np.zeros([]);
    const perEpoch = Math.floor(data.n / BATCH);
    let order = null;
    for (let step = 1; step <= steps; step++) {
      if ((step - 1) % perEpoch === 0) order = r.permutation(data.n);
      const start = ((step - 1) % perEpoch) * BATCH;
      const idx = np.array(order.subarray(start, start + BATCH), { shape: [BATCH], dtype: np.int32 });
      let l;
      [params, m, v, t, l] = trainStep(params, m, v, t, data.xTrain.ref, data.yTrain.ref, idx);
      if (step % every === 0 || step === steps) onLoss(step, (await l.data())[0]);
      else l.dispose();
    }
    const acc = (await accuracy(params, data.xTest.ref, data.yTest.ref).data())[0];
    tree.dispose([m, v, t]);
    return acc;
  }

  // ---- Mandelbrot --------------------------------------------------------------------------------
  function step(x, y, n, cx, cy) {
    const x2 = x.ref.mul(x.ref), y2 = y.ref.mul(y.ref);
    const inside = x2.ref.add(y2.ref).lessEqual(4);
    const nx = np.where(inside.ref, x2.sub(y2).add(cx), x.ref);
    const ny = np.where(inside.ref, x.mul(2).mul(y.ref).add(cy), y);
    return [nx, ny, n.add(inside.astype(np.int32))];
  }

  const steps = jit((x, y, n, cx, cy) => {
    for (let i = 0; i < unroll; i++) {
      const last = i === unroll - 1;
      [x, y, n] = step(x, y, n, last ? cx : cx.ref, last ? cy : cy.ref);
    }
    return [x, y, n];
  });

  /** Escape counts [height, width] (int32) of the view at (centerX, centerY), `scale` per pixel,
   * as mandelbrot.counts computes them, and the frame: palette[counts] ([height, width] of RGBA
   * packed in uint32, the bytes of an ImageData). The frame is read back, the counts only when
   * asked for; returns {rgba, counts}. */
  async function frame({ centerX, centerY, scale, width, height, maxIter, palette, withCounts = false }) {
    if (maxIter % unroll) throw new Error(`maxIter must be a multiple of ${unroll}`);
    const xs = np.arange(width).astype(np.float32).sub(width / 2 - 0.5).mul(scale).add(centerX);
    const ys = np.arange(height).astype(np.float32).sub(height / 2 - 0.5).mul(scale).neg().add(centerY);
    const cx = np.broadcastTo(xs, [height, width]), cy = np.broadcastTo(ys.reshape([height, 1]), [height, width]);
    let x = np.zeros([height, width]), y = np.zeros([height, width]), n = np.zeros([height, width], { dtype: np.int32 });
    for (let i = 0; i < maxIter / unroll; i++) {
      [x, y, n] = steps(x, y, n, cx.ref, cy.ref);
      // jax-js queues work lazily until a result is read; at 1024x1024 a whole frame's queue
      // outgrows wasm's 4 GiB, so it is flushed every SYNC_STEPS steps, as jax-js advises
      if (((i + 1) * unroll) % SYNC_STEPS === 0) await blockUntilReady([x, y, n]);
    }
    x.dispose(); y.dispose(); cx.dispose(); cy.dispose();
    const rgba = np.take(palette.ref, withCounts ? n.ref : n, 0);
    return { rgba: await rgba.data(), counts: withCounts ? await n.data() : null };
  }

  /** The palette of examples/mandelbrot.py ((maxIter + 1) x 4 bytes) as a device array of uint32. */
  const paletteArray = (bytes) =>
    np.array(new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)),
             { shape: [bytes.byteLength / 4], dtype: np.uint32 });

  return { digitsData, train, frame, paletteArray };
}
