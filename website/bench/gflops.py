"""GFLOP/s sweeps for the /bench/matmul/ and /bench/conv2d/ pages: one point = one workload of one
size on one system ('numpy', 'jaxlite-wasm', 'jaxlite-webgpu'), timed by workloads.measure (the
harness's method: median of timed runs after a warm-up, every run reads its result back).
"""

from __future__ import annotations

import numpy as np

import workloads

_jitted = {}


def quick():
    """Fewer, shorter runs: the page's ?quick=1 mode (tests); numbers are noisier."""
    workloads.RUNS, workloads.WARMUP_S, workloads.MIN_RUN_S = 3, 0.02, 0.005


def _data(*shapes):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


def _jaxlite(name, fn, args, device):
    import jaxlite as jax
    if name not in _jitted:
        _jitted[name] = jax.jit(fn)
    f = _jitted[name]
    on_device = [jax.device_put(a, device) for a in args]
    return (lambda: f(*on_device)), workloads._readback_jaxlite


def _point(system, flops, numpy_fn, jax_fn, args):
    if system == "numpy":
        fn, readback = (lambda: numpy_fn(*args)), workloads._readback_numpy
    elif system.startswith("jaxlite-"):
        fn, readback = _jaxlite(jax_fn.__name__, jax_fn, args, system.split("-", 1)[1])
    else:
        raise ValueError(f"unknown system {system!r}")
    seconds, reps = workloads.measure(fn, readback)
    return {"seconds": seconds, "reps": reps, "gflops": flops / seconds / 1e9}


def _matmul(a, b):
    import jaxlite.numpy as jnp
    return jnp.matmul(a, b)


def matmul(system: str, n: int) -> dict:
    """float32 (n, n) @ (n, n): 2 n^3 flops."""
    a, b = _data((n, n), (n, n))
    return _point(system, 2.0 * n ** 3, np.matmul, _matmul, (a, b))


def _conv(x, w):
    import jaxlite as jax
    return jax.lax.conv_general_dilated(x, w, (1, 1), "SAME")


def conv2d(system: str, x_shape, w_shape) -> dict:
    """NCHW input, OIHW 3x3 kernel, stride 1, SAME padding: 2 N O H W C kh kw flops."""
    (n, c, h, w_), (o, c2, kh, kw) = x_shape, w_shape
    assert c == c2 and (kh, kw) == (3, 3), "workloads._np_conv is the 3x3 SAME convolution"
    x, w = _data(tuple(x_shape), tuple(w_shape))
    w *= 0.1
    return _point(system, 2.0 * n * o * h * w_ * c * kh * kw, workloads._np_conv, _conv, (x, w))
