"""Helpers for testing kernel-compiling devices (wasm, webgpu) against the cpu reference."""

import numpy as np

import jaxlite as jax

CPU = jax.devices("cpu")[0]
KERNEL_DEVICES = [d for d in jax.devices() if d.platform in ("wasm", "webgpu")]


def on(dev, *xs):
    return [jax.device_put(np.asarray(x), dev) for x in xs]


def same(dev, fn, *args, rtol=1e-6, atol=1e-6):
    """fn on dev equals fn on cpu (dtype, shape, values), and the result stays on dev."""
    want = fn(*on(CPU, *args))
    got = fn(*on(dev, *args))
    for g, w in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
        assert g.device == dev, f"result left the {dev.platform} device"
        assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, w.dtype, g.shape, w.shape)
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=rtol, atol=atol)
    return got


def sample(dtype, rng, shape=(3, 5)):
    """Random values of a dtype with its edge cases (min/max, NaN, infinities, -0.0)."""
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return rng.integers(0, 2, shape).astype(bool)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        lo, hi = max(info.min, -100), min(info.max, 100)
        x = rng.integers(lo, hi, shape).astype(dt)
        x.flat[0] = info.min if dt.kind == "i" else 0
        x.flat[1] = info.max
        return x
    x = (rng.standard_normal(shape) * 3).astype(dt)
    x.flat[:4] = [np.nan, np.inf, -np.inf, -0.0]
    return x


def last_plan(dev, jf):
    """The fused plan the device compiled for a jitted function's (single) trace."""
    closed = jf._cache[next(iter(jf._cache))][0]
    return dev._plans[closed]


def dtypes_for(dev, dtypes):
    """The dtypes of a list that the device can hold (webgpu has no 64-bit types)."""
    return [d for d in dtypes if getattr(dev, "holds", lambda _: True)(np.dtype(d))]
