"""The demo benchmarks' Python side: training steps/s of examples/digits.py (jaxlite) and of
examples/digits_numpy.py (numpy), and Mandelbrot frame times of examples/mandelbrot.py (jaxlite)
and of the same float32 loop in numpy. The demo modules are imported, not copied, so this measures
the demo code. Used by the benchmark page (website/bench/demos/, in a jaxlite worker) and by
tools/bench_gpu.py (website/bench/gpu_workloads.py, in Node on a GPU).

Method: a warm-up run (compiles, lets the engine tier up; for training it also records the loss
curve), then `runs` timed runs; the figure is the median. A training run is `digits.train` (or
`digits_numpy.train`) for a number of steps, sized from the warm-up to last about RUN_S seconds
(a whole number of epochs, at most the warm-up's steps); a frame includes the readback of the RGBA
image.
"""

import statistics
import time

import numpy as np

import digits
import digits_numpy
import mandelbrot

RUN_S = 3.0
PER_EPOCH = 11  # 1438 training images // batch 128: a run of whole epochs shuffles as often as training does


def _median(xs):
    return statistics.median(xs)


# ---- digits ----------------------------------------------------------------------------------------


def digits_arrays(npz_bytes):
    """The dataset as numpy arrays (float32 images in [0, 1], int32 labels), for jax-js."""
    x_train, y_train, x_test, y_test = digits_numpy.load(npz_bytes)
    return {"x_train": x_train, "y_train": y_train.astype(np.int32), "x_test": x_test, "y_test": y_test.astype(np.int32)}


def train_bench(system, npz_bytes, steps=110, runs=5):
    """Steps/s of training the digits MLP: system "jaxlite" (on the default device) or "numpy"."""
    module = digits if system == "jaxlite" else digits_numpy
    data = module.load(npz_bytes)
    every = max(1, steps // 10)
    t0 = time.perf_counter()
    curve = []
    for step, loss, acc, _ in module.train(data, steps=steps, seed=0, every=every):
        curve.append([step, loss])
    warm_s = time.perf_counter() - t0
    rate = steps / warm_s
    run_steps = min(steps, max(PER_EPOCH, round(rate * RUN_S / PER_EPOCH) * PER_EPOCH))
    times = []
    for r in range(runs):
        t0 = time.perf_counter()
        for _, _, run_acc, _ in module.train(data, steps=run_steps, seed=r + 1, every=run_steps):
            pass
        times.append(time.perf_counter() - t0)
    return {"steps_per_s": run_steps / _median(times), "runs_steps_per_s": [run_steps / t for t in times],
            "steps_per_run": run_steps, "warmup_s": warm_s, "loss_curve": curve, "accuracy": acc,
            "last_run_accuracy": run_acc}


# ---- Mandelbrot ------------------------------------------------------------------------------------

VIEW = {"center_x": -0.6, "center_y": 0.0}


def numpy_counts(center_x, center_y, scale, width, height, max_iter):
    """Escape counts of the Mandelbrot set in float32 numpy, op for op as examples/mandelbrot.py
    writes the loop (the numpy-in-Pyodide baseline and the reference for the pixel counts)."""
    f32 = np.float32
    xs = f32(center_x) + (np.arange(width, dtype=f32) - f32(width / 2 - 0.5)) * f32(scale)
    ys = f32(center_y) - (np.arange(height, dtype=f32) - f32(height / 2 - 0.5)) * f32(scale)
    cx, cy = np.broadcast_to(xs, (height, width)), np.broadcast_to(ys[:, None], (height, width))
    x, y = np.zeros_like(cx), np.zeros_like(cy)
    n = np.zeros((height, width), np.int32)
    for _ in range(max_iter):
        x2, y2 = x * x, y * y
        inside = x2 + y2 <= f32(4)
        x, y = np.where(inside, x2 - y2 + cx, x), np.where(inside, f32(2) * x * y + cy, y)
        n += inside
    return n


def palette_bytes(max_iter):
    return mandelbrot.palette(max_iter).tobytes()


def _frame(system, size, max_iter):
    """One RGBA frame of the default view, read back; returns it and its escape counts."""
    scale = 3.2 / size
    if system == "numpy":
        n = numpy_counts(VIEW["center_x"], VIEW["center_y"], scale, size, size, max_iter)
        return mandelbrot.palette(max_iter)[n], n
    rgba = np.asarray(mandelbrot.render(VIEW["center_x"], VIEW["center_y"], scale, width=size, height=size,
                                        max_iter=max_iter))
    return rgba, None


def frame_bench(system, size=1024, max_iter=256, runs=3):
    """Seconds per frame (median) of `system` ("jaxlite" on the default device, or "numpy"), and the
    frame's escape counts as int32 bytes (for comparing systems pixel by pixel)."""
    t0 = time.perf_counter()
    _, n = _frame(system, size, max_iter)
    warm_s = time.perf_counter() - t0
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        _frame(system, size, max_iter)
        times.append(time.perf_counter() - t0)
    if n is None:  # the counts themselves, outside the timed frames
        n = np.asarray(mandelbrot.counts(VIEW["center_x"], VIEW["center_y"], 3.2 / size, 0.0, 0.0, width=size,
                                         height=size, max_iter=max_iter))
    return {"frame_s": _median(times), "runs_s": times, "first_s": warm_s,
            "counts": np.ascontiguousarray(n, np.int32).tobytes()}
