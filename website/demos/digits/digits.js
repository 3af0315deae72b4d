// The digits demo: examples/digits.py trains in a worker; this page draws the chart, drives the
// training a few steps at a time, and turns a drawing into an 8x8 image for the model.
// window.demo is there for the console and the page tests.
import { $, setState, fail, runDemo } from "../demo.js";

const EVERY = 10;  // steps per message to the worker: the chart's resolution
const SEED = 0;
// The page's side of the worker: the dataset from this folder, a training run as a generator of
// the example's `train`, and a prediction for a drawing.
const GLUE = `
import time, js
import digits

_response = await js.fetch(${JSON.stringify(new URL("digits.npz", location.href).href)})
data = digits.load((await _response.arrayBuffer()).to_bytes())
run = params = None

def start(steps, seed, every):
    global run
    run = digits.train(data, steps=steps, seed=seed, every=every)

def advance():
    global params
    t0 = time.perf_counter()
    try:
        step, loss, acc, params = next(run)
    except StopIteration:
        return None
    return {"step": step, "loss": loss, "acc": acc, "ms": (time.perf_counter() - t0) * 1e3}

def classify(image):
    return [float(p) for p in digits.predict_digit(params, image)]
`;

let jl = null, generation = 0, history = [], totalSteps = 300, predictions = 0, lastRate = null;
const demo = { get jl() { return jl; }, get history() { return history; }, get predictions() { return predictions; },
               get rate() { return lastRate; }, image: null, probs: null };
window.demo = demo;

// ---- chart: loss (left axis) and test accuracy (right axis) against the step ----------------------
function drawChart() {
  const canvas = $("chart"), ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, k = W / canvas.clientWidth || 2;
  const pad = { l: 52 * k, r: 52 * k, t: 14 * k, b: 30 * k };
  const pw = W - pad.l - pad.r, ph = H - pad.t - pad.b;
  ctx.clearRect(0, 0, W, H);
  ctx.font = `${11 * k}px system-ui, sans-serif`;
  const maxLoss = Math.max(0.5, ...history.map((h) => h.loss));
  const X = (s) => pad.l + (s / totalSteps) * pw;
  const Yl = (v) => pad.t + ph * (1 - v / maxLoss);
  const Ya = (v) => pad.t + ph * (1 - v);
  ctx.strokeStyle = "#e6e6ec";
  ctx.fillStyle = "#6b6b76";
  ctx.lineWidth = k;
  for (let i = 0; i <= 4; i++) {
    const y = pad.t + (ph * i) / 4;
    ctx.beginPath(); ctx.moveTo(pad.l, y); ctx.lineTo(pad.l + pw, y); ctx.stroke();
    ctx.textAlign = "right"; ctx.fillText((maxLoss * (1 - i / 4)).toFixed(2), pad.l - 6 * k, y + 4 * k);
    ctx.textAlign = "left"; ctx.fillText(`${100 - 25 * i}%`, pad.l + pw + 6 * k, y + 4 * k);
  }
  ctx.textAlign = "center";
  for (let i = 0; i <= 5; i++) ctx.fillText(String(Math.round((totalSteps * i) / 5)), X((totalSteps * i) / 5), H - 10 * k);
  const line = (color, y) => {
    ctx.strokeStyle = color; ctx.lineWidth = 2 * k; ctx.beginPath();
    history.forEach((h, i) => (i ? ctx.lineTo(X(h.step), y(h)) : ctx.moveTo(X(h.step), y(h))));
    ctx.stroke();
  };
  line("#c2410c", (h) => Yl(h.loss));
  line("#3451b2", (h) => Ya(h.acc));
}

// ---- training, a chunk of EVERY steps per message, so the page can redraw in between -------------
async function train() {
  const mine = ++generation;
  history = [];
  totalSteps = Number($("steps").value);
  drawChart();
  setState("training");
  $("train").disabled = true;
  $("progress").hidden = false;
  $("progress").value = 0;
  await jl.runPython(`start(${totalSteps}, ${SEED}, ${EVERY})`);
  let t0 = performance.now(), first = true;
  for (;;) {
    const r = await jl.runPython("advance()");
    if (mine !== generation) return;
    if (!r) break;
    history.push(r);
    // the first chunk compiles the step; the rate is measured from there on
    if (!first) lastRate = ((r.step - history[0].step) / (performance.now() - t0)) * 1e3;
    else t0 = performance.now();
    first = false;
    $("step").textContent = `${r.step} / ${totalSteps}`;
    $("loss").textContent = r.loss.toFixed(4);
    $("acc").textContent = `${(r.acc * 100).toFixed(1)}%`;
    $("rate").textContent = lastRate ? lastRate.toFixed(lastRate < 10 ? 1 : 0) : "…";
    $("progress").value = r.step / totalSteps;
    $("state").textContent = `training (${r.step}/${totalSteps})`;
    drawChart();
    if (strokes) predict();
  }
  $("progress").hidden = true;
  $("state").textContent = `trained: ${(history.at(-1).acc * 100).toFixed(1)}% on held-out digits`;
  $("train").disabled = false;
  setState("done");
}

// ---- drawing pad -> 8x8 image of 0..16 counts ------------------------------------------------------
// The dataset's images are 32x32 bitmaps of digits scaled to the full height, their strokes about a
// quarter of it wide, counted in 4x4 blocks. Here: the ink's bounding box scaled the same way and
// centred on its centre of mass, a cell inked when half covered, strokes thickened by a cell each side.
const pad = $("pad"), padCtx = pad.getContext("2d");
let strokes = 0, drawing = false;

function toImage() {
  const { width: w, height: h } = pad;
  const ink = padCtx.getImageData(0, 0, w, h).data;
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    if (ink[(y * w + x) * 4] > 127) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  }
  if (x1 < 0) return null;
  const s = 32 / Math.max(y1 - y0 + 1, x1 - x0 + 1);
  const cover = new Float32Array(32 * 32);
  let mass = 0, mx = 0;
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) {
    const v = ink[(y * w + x) * 4] / 255;
    mass += v;
    mx += v * (x - x0 + 0.5) * s;
  }
  const ox = Math.min(32 - (x1 - x0 + 1) * s, Math.max(0, 16 - mx / mass));
  const oy = (32 - (y1 - y0 + 1) * s) / 2;
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) {
    const tx = Math.floor(ox + (x - x0 + 0.5) * s), ty = Math.floor(oy + (y - y0 + 0.5) * s);
    if (tx >= 0 && tx < 32 && ty >= 0 && ty < 32) cover[ty * 32 + tx] += (ink[(y * w + x) * 4] / 255) * s * s;
  }
  const image = new Array(64).fill(0);
  for (let ty = 0; ty < 32; ty++) for (let tx = 0; tx < 32; tx++) {
    let on = false;
    for (let dy = -1; dy <= 1 && !on; dy++) for (let dx = -1; dx <= 1 && !on; dx++) {
      const yy = ty + dy, xx = tx + dx;
      on = yy >= 0 && yy < 32 && xx >= 0 && xx < 32 && cover[yy * 32 + xx] >= 0.5;
    }
    if (on) image[(ty >> 2) * 8 + (tx >> 2)] += 1;
  }
  return image;
}

function showSmall(image) {
  const ctx = $("small").getContext("2d"), data = ctx.createImageData(8, 8);
  for (let i = 0; i < 64; i++) {
    const v = Math.round(((image ? image[i] : 0) / 16) * 255);
    data.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(data, 0, 0);
}

function showProbs(probs) {
  const box = $("probs");
  box.replaceChildren();
  if (!probs) return;
  probs.forEach((p, d) => {
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.style.width = `${Math.max(1, p * 120)}px`;
    const cell = (t) => Object.assign(document.createElement("span"), { textContent: t });
    const wrap = document.createElement("div");
    wrap.append(bar);
    box.append(cell(String(d)), wrap, cell(`${Math.round(p * 100)}%`));
  });
}

let predicting = false, again = false;
async function predict() {
  if (predicting) { again = true; return; }
  const image = toImage();
  showSmall(image);
  demo.image = image;
  if (!image || !jl || !history.length) {
    $("prediction").textContent = image && !history.length ? "…" : "";
    showProbs(null);
    return;
  }
  predicting = true;
  try {
    const probs = await jl.runPython(`classify(${JSON.stringify(image)})`);
    const best = probs.indexOf(Math.max(...probs));
    $("prediction").textContent = String(best);
    showProbs(probs);
    demo.probs = probs;
    predictions++;
    document.body.dataset.predictions = String(predictions);
  } finally {
    predicting = false;
  }
  if (again) { again = false; predict(); }
}

function clearPad() {
  padCtx.fillStyle = "black";
  padCtx.fillRect(0, 0, pad.width, pad.height);
  strokes = 0;
  $("prediction").textContent = "";
  showSmall(null);
  showProbs(null);
}

const at = (ev) => {
  const r = pad.getBoundingClientRect();
  return [((ev.clientX - r.left) * pad.width) / r.width, ((ev.clientY - r.top) * pad.height) / r.height];
};
pad.addEventListener("pointerdown", (ev) => {
  drawing = true;
  pad.setPointerCapture(ev.pointerId);
  Object.assign(padCtx, { strokeStyle: "white", lineWidth: 24, lineCap: "round", lineJoin: "round" });
  padCtx.beginPath();
  padCtx.moveTo(...at(ev));
  padCtx.lineTo(...at(ev));
  padCtx.stroke();
});
pad.addEventListener("pointermove", (ev) => {
  if (!drawing) return;
  padCtx.lineTo(...at(ev));
  padCtx.stroke();
});
const endStroke = () => {
  if (!drawing) return;
  drawing = false;
  strokes++;
  predict().catch(fail);
};
pad.addEventListener("pointerup", endStroke);
pad.addEventListener("pointercancel", endStroke);
$("clear").onclick = clearPad;

// ---- boot and device switch --------------------------------------------------------------------
runDemo({
  name: "digits",
  glue: GLUE,
  reset() {
    generation++;
    jl = null;
    history = [];
    lastRate = null;
    drawChart();
    for (const id of ["step", "loss", "acc", "rate"]) $(id).textContent = "–";
    $("train").disabled = true;
  },
  run(handle) {
    jl = handle;
    return train();
  },
});
$("train").onclick = () => train().catch(fail);
$("steps").onchange = () => { if (jl && document.body.dataset.state === "done") train().catch(fail); };

clearPad();
drawChart();
