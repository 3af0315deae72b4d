"""Eager operations on the webgpu device with Python scalars and 0-d constants (issue 18): the value
travels in the launch's uniform (ir.Param), so `a + s` compiles one pipeline per dtype and shape
class and makes one buffer per operation, the output; values, dtypes and weak types as on cpu.
The device exists only inside Pyodide with WebGPU (tools/pyodide_suite.py webgpu)."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from backend_util import CPU, KERNEL_DEVICES

GPUS = [d for d in KERNEL_DEVICES if d.platform == "webgpu"]
if not GPUS:
    pytest.skip("no webgpu device here", allow_module_level=True)
GPU = GPUS[0]


def _pipelines():
    return sum(len(k.pipelines) for k in GPU._kernels.values() if hasattr(k, "pipelines"))


def test_python_scalars_are_uniform_words(rng):
    host = rng.standard_normal(33).astype(np.float32)
    with jax.default_device(GPU):
        a = jnp.asarray(host)
        a + 0.25  # the kernel with the scalar as a parameter, and its pipeline
        compiles, pipelines, made, live = GPU.compiles, _pipelines(), GPU.buffers_made, GPU.live_buffers()
        outs = []
        for k in range(40):
            s = float(k) * 0.37 - 7.0
            out = a + s
            assert (out.dtype, out.weak_type, out.device) == (np.float32, False, GPU)
            outs.append((out, host + np.float32(s)))
        assert GPU.buffers_made - made == 40  # the outputs, no upload per scalar
        for out, want in outs:
            np.testing.assert_array_equal(np.asarray(out), want)
        assert (GPU.compiles, _pipelines()) == (compiles, pipelines)
        del outs, out
        assert GPU.live_buffers() == live
        # new values make no GPU objects: the words go into the uniform ring, and the bind groups
        # (which name storage buffers only) repeat as pooled outputs come back
        groups = lambda: int(GPU.runtime.js.counts().split()[1])  # noqa: E731
        for k in range(8):
            np.asarray(a - k * 0.5)
        before = groups()
        for k in range(40):
            out = a - k * 0.25
        np.testing.assert_array_equal(np.asarray(out), host - np.float32(39 * 0.25))
        assert groups() - before <= 4
        s = jnp.asarray(2.5)  # a weakly typed 0-d array: a parameter too
        assert s.weak_type
        made = GPU.buffers_made
        np.testing.assert_array_equal(np.asarray(a * s), host * np.float32(2.5))
        np.testing.assert_array_equal(np.asarray(jnp.where(a > 0.5, a, 1.5)), np.where(host > 0.5, host, np.float32(1.5)))
        assert GPU.buffers_made - made == 3  # the product, the comparison, the select


CASES = [
    ("int32", lambda x: x + 1, "int32", False), ("int32", lambda x: x + 1.5, "float32", True),
    ("bool", lambda x: x + 1, "int32", True), ("bool", lambda x: x & True, "bool", False),
    ("bool", lambda x: (x < True) | (x >= ~x), "bool", False),
    ("uint8", lambda x: x - 3, "uint8", False), ("uint32", lambda x: x + jnp.uint32(3000000000), "uint32", False),
    ("int8", lambda x: 100 + x, "int8", False), ("int16", lambda x: x % -7, "int16", False),
    ("float16", lambda x: x * 3.1 + 0.1, "float16", False), ("float32", lambda x: 2.0 ** x, "float32", False),
    ("float32", lambda x: x // 0.0, "float32", False), ("float32", lambda x: jnp.maximum(x, jnp.nan), "float32", False),
    ("float32", lambda x: jnp.minimum(x, -0.0) * jnp.inf, "float32", False),
    ("scalar", lambda x: jnp.sin(x) * 2 - 1, "float32", True),
    ("int32", lambda x: (x > 3) & (2 <= x) & (x != 5), "bool", False), ("int32", lambda x: 7 / x, "float32", False),
    ("int32", lambda x: x + (-(1 << 31)), "int32", False), ("float32", lambda x: jnp.clip(x, -1, 2.5), "float32", False),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{k}" for k, c in enumerate(CASES)])
def test_scalar_operands_match_cpu(case, rng):
    dtype, fn, want_dtype, weak = case
    if dtype == "scalar":
        x_host = 1.25
    elif dtype == "bool":
        x_host = rng.integers(0, 2, 11).astype(bool)
    elif dtype.startswith("float"):
        x_host = rng.standard_normal(11).astype(dtype)
        x_host[:3] = [np.nan, np.inf, -0.0]
    else:
        info = np.iinfo(dtype)
        x_host = rng.integers(max(info.min, -50), min(info.max, 50), 11).astype(dtype)
        x_host[0], x_host[1] = info.min, info.max
    with jax.default_device(CPU):
        want = fn(jnp.asarray(x_host))
    with jax.default_device(GPU):
        got = fn(jnp.asarray(x_host))
    assert got.device == GPU
    assert (got.dtype, got.weak_type, got.shape) == (np.dtype(want_dtype), weak, want.shape)
    assert (want.dtype, want.weak_type) == (got.dtype, got.weak_type)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=2e-6 if dtype != "float16" else 1e-3)


def test_constants_reach_gpu_memory_when_bound(rng):
    """A constant bound as a buffer (jit, concatenate with more inputs than the adapter binds, a
    reshape) is uploaded once and holds its value; reading a 0-d one touches no GPU memory."""
    host = rng.standard_normal(5).astype(np.float32)
    with jax.default_device(GPU):
        c = jnp.broadcast_to(jnp.float32(3.5), (2, 3))
        assert c.device == GPU
        np.testing.assert_array_equal(np.asarray(jax.jit(lambda v: v * 2)(c)), np.full((2, 3), 7.0, np.float32))
        np.testing.assert_array_equal(np.asarray(c.T + jnp.ones((3, 2))), np.full((3, 2), 4.5, np.float32))
        a = jnp.asarray(host)
        parts = [a if k % 2 else jnp.full(2, k * 0.5, jnp.float32) for k in range(GPU.runtime.max_storage_buffers + 3)]
        want = np.concatenate([host if k % 2 else np.full(2, k * 0.5, np.float32) for k in range(len(parts))])
        np.testing.assert_array_equal(np.asarray(jnp.concatenate(parts)), want)
        made = GPU.buffers_made
        s = jax.device_put(np.int8(-3), GPU)
        assert int(s) == -3 and GPU.buffers_made == made
        assert float(jnp.float32(0.1) + 0) == float(np.float32(0.1))
        np.testing.assert_array_equal(np.asarray(jnp.broadcast_to(s, (3,)) + jnp.int8(1)), np.full(3, -2, np.int8))


def test_kept_results_reuse_pooled_buffers(rng):
    """Buffers freed before the last submit serve later outputs of their size class, also while
    other results stay alive: a steady loop creates no GPU buffers."""
    rt = GPU.runtime
    with jax.default_device(GPU):
        a = jnp.asarray(rng.standard_normal(1000).astype(np.float32))
        for _ in range(3):
            kept = [a * k for k in range(20)]
            np.asarray(kept[-1])
        created = rt.created
        for _ in range(3):
            kept = [a * k for k in range(20)]
            np.asarray(kept[-1])
        assert rt.created == created
        np.testing.assert_array_equal(np.asarray(kept[7]), np.asarray(a) * np.float32(7))


def test_scalar_parameters_are_numpys_bits():
    """The fast conversion of Python scalars to uniform words gives numpy's float32/int32 bits,
    rounding, signed zeros, NaN, subnormals and overflow to inf included."""
    for dtype, values in ((np.float32, [1.0, 0.1, -2.5, -0.0, 1e-45, 1e-46, float("nan"), float("inf"), -1e39,
                                        3.4028235677973366e38, 16777217, 2 ** 31 - 1]),
                          (np.int32, [0, 1, -1, -(2 ** 31), 2 ** 31 - 1])):
        fast = GPU.param_converter(dtype)
        for v in values:
            with np.errstate(over="ignore"):
                assert fast(v) == GPU.scalar_arg(np.asarray(v, dtype)), (dtype, v)
