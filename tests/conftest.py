"""Shared test helpers. Runs in CPython and inside Pyodide (where the `jax` oracle is absent,
so tests that need it are skipped there and run here)."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import jaxlite as jax
from jaxlite import tree_util

try:
    import jax as real_jax  # the numerical oracle (CPU JAX), CPython only
    import jax.numpy as real_jnp
except ImportError:  # inside Pyodide
    real_jax = real_jnp = None
else:
    # Most of the suite's time is XLA compiling the oracle's small programs; the cpu and wasm passes
    # (and reruns) compile the same ones, so they share a persistent compilation cache.
    import os
    real_jax.config.update("jax_compilation_cache_dir", os.environ.get(
        "JAXLITE_JAX_CACHE", os.path.join(os.path.dirname(__file__), os.pardir, ".cache", "jax")))
    real_jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    real_jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)

needs_jax = pytest.mark.skipif(real_jax is None, reason="the jax oracle is not installed here (Pyodide)")

F32_TOL = dict(rtol=2e-5, atol=2e-5)


def assert_close(actual, expected, rtol=2e-5, atol=2e-5, check_dtype=True):
    a_leaves, a_tree = tree_util.tree_flatten(actual)
    e_leaves = tree_util.tree_leaves(expected) if real_jax is None else real_jax.tree_util.tree_leaves(expected)
    assert len(a_leaves) == len(e_leaves), (a_tree, len(e_leaves))
    for a, e in zip(a_leaves, e_leaves):
        a, e = np.asarray(a), np.asarray(e)
        assert a.shape == e.shape, f"shape {a.shape} != {e.shape}"
        if check_dtype:
            assert a.dtype == e.dtype, f"dtype {a.dtype} != {e.dtype}"
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)


def numerical_grad(f, x, eps=1e-3):
    """Central finite differences in float64 of a scalar function of one array."""
    x = np.asarray(x, np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = (float(f(xp.astype(np.float32))) - float(f(xm.astype(np.float32)))) / (2 * eps)
    return g


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _no_x64_leak():
    yield
    jax.config.update("jax_enable_x64", False)


@contextlib.contextmanager
def x64_on_device(device, x64: bool = True):
    """jax_enable_x64 set to x64 for jaxlite and the oracle inside the block (off again after),
    and no host fallback counted on `device` meanwhile: a fixture's body for the tests of one
    device's float64/complex kernels."""
    jax.config.update("jax_enable_x64", x64)
    if real_jax is not None:
        real_jax.config.update("jax_enable_x64", x64)
    device.host_fallbacks.clear()
    try:
        yield
        assert not device.host_fallbacks, dict(device.host_fallbacks)
    finally:
        jax.config.update("jax_enable_x64", False)
        if real_jax is not None:
            real_jax.config.update("jax_enable_x64", False)


def results_on(device, fn, *args):
    """fn(*args) with the args put on `device`: its results as numpy, after asserting that they
    live on the device and that nothing ran on the host (device.host_fallbacks unchanged)."""
    before = dict(device.host_fallbacks)
    out = fn(*[jax.device_put(a, device) for a in args])
    leaves = jax.tree_util.tree_leaves(out)
    host = [np.asarray(x) for x in leaves]
    assert all(x.device == device for x in leaves)
    assert dict(device.host_fallbacks) == before, f"host fallbacks: {dict(device.host_fallbacks)} vs {before}"
    return host[0] if len(host) == 1 and not isinstance(out, (tuple, list)) else host
