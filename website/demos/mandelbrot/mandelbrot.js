// The Mandelbrot/Julia demo: examples/mandelbrot.py renders RGBA frames in a worker; this page
// keeps the view (centre, pixel size), previews pans and zooms by moving the last frame, and asks
// for a new frame whenever the view changed. window.demo is there for the console and the tests.
import { $, setState, fail, runDemo } from "../demo.js";

const GLUE = `
import time
import numpy as np
import mandelbrot

def frame(center_x, center_y, scale, c_x, c_y, julia, width, height, max_iter):
    t0 = time.perf_counter()
    image = mandelbrot.render(center_x, center_y, scale, c_x, c_y, width=width, height=height,
                              max_iter=max_iter, julia=julia)
    rgba = np.asarray(image).tobytes()
    return {"rgba": rgba, "ms": (time.perf_counter() - t0) * 1e3}
`;
const canvas = $("view"), ctx = canvas.getContext("2d");
const W = canvas.width, H = canvas.height;
const HOME = { mandelbrot: { x: -0.6, y: 0, scale: 3.2 / W }, julia: { x: 0, y: 0, scale: 3.2 / W } };
const MIN_SCALE = 2e-7;  // float32 points stop being distinct a little below this

let jl = null, generation = 0, frames = 0;
const views = { mandelbrot: { ...HOME.mandelbrot }, julia: { ...HOME.julia } };
const mode = () => ($("julia").checked ? "julia" : "mandelbrot");
const view = () => views[mode()];
const juliaC = () => $("c").value.split(",").map(Number);
let shown = null;  // {canvas, view} of the frame on screen, for previews of pan and zoom

const demo = {
  get jl() { return jl; }, get frames() { return frames; }, get params() { return lastParams; }, lastMs: null,
  render: () => requestFrame(),
  // no frame pending and the canvas shows exactly the current view
  get settled() {
    const v = view();
    return !busy && !!shown && shown.mode === mode() && shown.view.x === v.x && shown.view.y === v.y && shown.view.scale === v.scale;
  },
};
window.demo = demo;
let lastParams = null;

// ---- frames: at most one in flight; the latest view wins --------------------------------------
let busy = false, dirty = false;
async function requestFrame() {
  if (!jl) return;
  if (busy) { dirty = true; return; }
  busy = true;
  const mine = generation;
  try {
    do {
      dirty = false;
      const v = { ...view() }, [cx, cy] = juliaC(), julia = mode() === "julia", iters = Number($("iters").value);
      const params = { center_x: v.x, center_y: v.y, scale: v.scale, c_x: cx, c_y: cy, julia, width: W, height: H, max_iter: iters };
      const r = await jl.runPython(`frame(${v.x}, ${v.y}, ${v.scale}, ${cx}, ${cy}, ${julia ? "True" : "False"}, ${W}, ${H}, ${iters})`);
      if (mine !== generation) return;
      const off = shown?.canvas || Object.assign(document.createElement("canvas"), { width: W, height: H });
      off.getContext("2d").putImageData(new ImageData(new Uint8ClampedArray(r.rgba.buffer, r.rgba.byteOffset, W * H * 4), W, H), 0, 0);
      shown = { canvas: off, view: v, mode: mode() };
      lastParams = params;
      demo.lastMs = r.ms;
      paint();
      frames++;
      $("ms").textContent = `${r.ms.toFixed(0)} ms`;
      document.body.dataset.frames = String(frames);
      if (document.body.dataset.state !== "ready") { setState("ready"); $("state").textContent = "ready"; }
    } while (dirty);
  } catch (e) {
    fail(e);
  } finally {
    busy = false;
  }
}

// The frame on screen moved and scaled to the current view, until the new frame arrives.
function paint() {
  const v = view();
  $("where").textContent = `${v.x.toFixed(6)} ${v.y < 0 ? "−" : "+"} ${Math.abs(v.y).toFixed(6)}i`;
  $("zoom").textContent = `${(HOME[mode()].scale / v.scale).toPrecision(3)}x`;
  if (!shown || shown.mode !== mode()) return;
  const o = shown.view, k = o.scale / v.scale;
  const dx = (o.x - v.x) / v.scale + W / 2 - (W / 2) * k;
  const dy = (v.y - o.y) / v.scale + H / 2 - (H / 2) * k;
  ctx.fillStyle = "#111";
  ctx.fillRect(0, 0, W, H);
  ctx.imageSmoothingEnabled = k < 1;
  ctx.drawImage(shown.canvas, dx, dy, W * k, H * k);
}

function changed() {
  paint();
  requestFrame();
}

// ---- mouse: drag pans, the wheel zooms about the pointer, Shift+click picks a Julia c ----------
const toCanvas = (ev) => {
  const r = canvas.getBoundingClientRect();
  return [((ev.clientX - r.left) * W) / r.width, ((ev.clientY - r.top) * H) / r.height];
};
const toPlane = ([px, py]) => {
  const v = view();
  return [v.x + (px - W / 2) * v.scale, v.y - (py - H / 2) * v.scale];
};
let drag = null;
canvas.addEventListener("pointerdown", (ev) => {
  if (ev.shiftKey && mode() === "mandelbrot") {
    const [x, y] = toPlane(toCanvas(ev));
    const option = new Option(`${x.toFixed(4)} ${y < 0 ? "−" : "+"} ${Math.abs(y).toFixed(4)}i`, `${x},${y}`);
    $("c").add(option, 0);
    $("c").value = option.value;
    $("julia").checked = true;
    Object.assign(views.julia, HOME.julia);
    changed();
    return;
  }
  drag = { start: toCanvas(ev), view: { ...view() } };
  canvas.setPointerCapture(ev.pointerId);
  canvas.classList.add("dragging");
});
canvas.addEventListener("pointermove", (ev) => {
  if (!drag) return;
  const [px, py] = toCanvas(ev), v = view();
  v.x = drag.view.x - (px - drag.start[0]) * v.scale;
  v.y = drag.view.y + (py - drag.start[1]) * v.scale;
  changed();
});
const endDrag = () => { drag = null; canvas.classList.remove("dragging"); };
canvas.addEventListener("pointerup", endDrag);
canvas.addEventListener("pointercancel", endDrag);
canvas.addEventListener("wheel", (ev) => {
  ev.preventDefault();
  const p = toCanvas(ev), [x, y] = toPlane(p), v = view();
  const scale = Math.min(HOME[mode()].scale * 4, Math.max(MIN_SCALE, v.scale * Math.exp(ev.deltaY * 0.0015)));
  // keep the point under the pointer where it is
  v.x = x - (p[0] - W / 2) * scale;
  v.y = y + (p[1] - H / 2) * scale;
  v.scale = scale;
  changed();
}, { passive: false });

$("julia").onchange = changed;
$("c").onchange = () => { if (mode() === "julia") changed(); };
$("iters").onchange = changed;
$("reset").onclick = () => { Object.assign(view(), HOME[mode()]); changed(); };

// ---- boot and device switch --------------------------------------------------------------------
runDemo({
  name: "mandelbrot",
  glue: GLUE,
  reset() {
    generation++;
    jl = null;
    busy = false;
  },
  run(handle) {
    jl = handle;
    $("progress").hidden = true;
    $("state").textContent = "compiling…";
    return requestFrame();
  },
});
paint();
