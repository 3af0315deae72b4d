"""What is the webgpu device's own (shared kernel tests: test_backends.py): storage widening,
launch shapes of reductions, packed inputs, float64 placement, buffer accounting. Runs inside
Pyodide after `jaxlite.init()` (pyodide-tests/test_core_suite.py); there is no WebGPU in CPython."""

import contextlib
import gc

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from backend_util import last_plan, on, same

if "webgpu" not in [d.platform for d in jax.devices()]:
    pytest.skip("no WebGPU here (it runs inside Pyodide, after jaxlite.init())", allow_module_level=True)

GPU = jax.devices("webgpu")[0]


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32,
                                   np.float32, np.float16])
def test_every_dtype_round_trips_through_32_bit_words(dtype, rng):
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    if info is not None:
        x = rng.integers(info.min, int(info.max) + 1, 37, dtype=np.int64).astype(dtype)
    else:
        x = (rng.standard_normal(37) * 100).astype(dtype)
    y = jax.device_put(x, GPU)
    assert y.dtype == x.dtype
    np.testing.assert_array_equal(np.asarray(y), x)
    same(GPU, lambda v: v[::-1] if dtype == np.bool_ else v[::-1] + v[0], x)  # float16 runs on the host


@contextlib.contextmanager
def launching_for(cpu_adapter: bool, subgroups: bool = False):
    """Launch shapes chosen as for a GPU or for a software adapter, whatever this adapter is."""
    rt = GPU.runtime
    saved = rt.cpu_adapter, GPU.use_subgroups
    rt.cpu_adapter, GPU.use_subgroups = cpu_adapter, subgroups
    try:
        yield
    finally:
        rt.cpu_adapter, GPU.use_subgroups = saved


@pytest.mark.parametrize("cpu_adapter", [False, True])
def test_reduction_launch_shapes(cpu_adapter, rng):
    """For a GPU: one invocation per output for many outputs, a workgroup per output for long
    contiguous axes, chunks plus a second pass for few outputs of a very long axis. For a software
    adapter: one invocation per output, or per chunk of a long axis when outputs are few."""
    cases = {((4096, 64), 1): "map", ((64, 4096), 1): "wg", ((300, 4096), 0): "map", ((3, 1 << 18), 1): "wg"}
    if cpu_adapter:
        cases = {((4096, 64), 1): "map", ((64, 4096), 1): "chunks", ((300, 4096), 0): "map",
                 ((3, 1 << 18), 1): "chunks"}
    with launching_for(cpu_adapter):
        for (shape, axis), strategy in cases.items():
            x = rng.standard_normal(shape).astype(np.float32)
            jf = jax.jit(lambda v: jnp.sum(v * 2, axis))
            np.testing.assert_allclose(np.asarray(jf(*on(GPU, x))), (x.astype(np.float64) * 2).sum(axis),
                                       rtol=2e-5, atol=2e-3)
            (step,) = last_plan(GPU, jf).steps
            n = int(np.prod(shape)) // shape[axis]
            assert step.fn.strategy(n)[0] == strategy, (shape, axis)
        assert GPU.compile(step.fn.kernel).strategy(3)[1] > 1  # split into chunks


def test_kernels_with_more_inputs_than_bindings_pack_them(rng):
    k = GPU.runtime.max_storage_buffers + 2
    xs = [rng.standard_normal(7).astype(np.float32) for _ in range(k)]
    jf = jax.jit(lambda *vs: sum(v * (j + 1) for j, v in enumerate(vs)))
    same(GPU, jf, *xs, rtol=1e-5, atol=1e-5)
    (step,) = last_plan(GPU, jf).steps
    assert step.fn.packed
    same(GPU, lambda *vs: jnp.concatenate(vs), *xs)


def test_float64_stays_off_the_gpu():
    jax.config.update("jax_enable_x64", True)
    try:
        with jax.default_device(GPU):
            x = jnp.arange(4.0)  # uncommitted: placed on a device that holds float64
            assert x.dtype == np.float64 and x.device.platform != "webgpu"
            y = jnp.arange(4, dtype=jnp.float32) + x
            assert y.dtype == np.float64 and np.asarray(y).tolist() == [0.0, 2.0, 4.0, 6.0]
        with pytest.raises(TypeError, match="webgpu device cannot hold float64"):
            jax.device_put(np.arange(3.0), GPU)
    finally:
        jax.config.update("jax_enable_x64", False)


def test_buffers_are_counted_freed_and_reused(rng):
    x = jax.device_put(rng.standard_normal((64, 64)).astype(np.float32), GPU)
    step = jax.jit(lambda v: jnp.tanh(v @ v * 0.01) + 1)
    for _ in range(3):
        x = step(x)
    np.asarray(x)  # submits, so freed buffers become reusable
    gc.collect()
    live, created = GPU.live_buffers(), GPU.runtime.created
    for _ in range(200):
        x = step(x)
    np.asarray(x)
    gc.collect()
    assert GPU.live_buffers() == live
    assert GPU.runtime.created == created  # steady state: every buffer came from the pool
    del x
    gc.collect()
    assert GPU.live_buffers() == live - 1


def test_readback_is_cached_and_awaitable():
    from pyodide.ffi import run_sync  # waits for an awaitable here, as `await` does in async code
    x = jax.device_put(np.arange(5, dtype=np.float32), GPU) * 3
    assert x._buf.host is None
    run_sync(x.copy_to_host_async())
    assert x._buf.host is not None
    assert np.asarray(x).tolist() == [0, 3, 6, 9, 12]
    tree = {"a": x + 1, "b": [x * 0, 7]}
    got = run_sync(jax.device_get_async(tree))
    assert got["a"].tolist() == [1, 4, 7, 10, 13] and got["b"][0].tolist() == [0] * 5 and got["b"][1] == 7
    assert x.block_until_ready() is x


def test_shader_errors_carry_the_wgsl():
    from jaxlite._src.backends.webgpu.runtime import WebGPUError
    with pytest.raises(WebGPUError, match="(?s)WGSL compilation failed.*not_a_type"):
        GPU.runtime.pipeline("@compute @workgroup_size(1) fn main() { let x: not_a_type = 1; }", 0, 0, "bad")


def test_oversized_allocation_is_a_memory_error():
    from jaxlite._src.core import JaxRuntimeError
    with pytest.raises(MemoryError, match="RESOURCE_EXHAUSTED.*largest storage buffer") as info:
        GPU.runtime.alloc(GPU.runtime.max_buffer + 1)
    assert isinstance(info.value, JaxRuntimeError)  # what JAX raises when a device runs out


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 1001])
def test_elementwise_kernels_move_four_lanes_at_a_time(n, rng):
    x, y = rng.standard_normal((2, n)).astype(np.float32)
    k = rng.integers(-100, 100, n).astype(np.int8)
    f = jax.jit(lambda x, y, k: (jnp.sqrt(x * x + y * y), x > y, (k * 3).astype(jnp.int8), x * y[0] + jnp.arange(n)))
    same(GPU, f, x, y, k, rtol=1e-6)
    strategies = [s.fn.strategy(n)[0] for s in last_plan(GPU, f).steps]
    assert strategies == ["map4"] * 4, strategies  # y is read at i and at 0: per-lane loads, still map4


def test_float16_computes_on_the_gpu_rounding_every_operation(rng):
    x = (rng.standard_normal((4, 300)) * 50).astype(np.float16)
    x.flat[:6] = [np.nan, np.inf, -0.0, 6.1e-5, 3e-7, 65504]
    y = (rng.standard_normal((4, 300)) * 3).astype(np.float16)
    before = sum(GPU.host_fallbacks.values())
    with np.errstate(all="ignore"):
        same(GPU, lambda a, b: (a * b + 1, a / b, jnp.maximum(a, b), a.astype(jnp.float32) * 3, (a * 7).astype(jnp.int16)),
             x, y, rtol=0, atol=0)
        same(GPU, lambda a: (jnp.exp(a / 100), jnp.sqrt(jnp.abs(a))), x, rtol=1e-3, atol=1e-7)
        same(GPU, lambda a: (a.sum(1), a.max(0)), np.nan_to_num(x, posinf=0), rtol=2e-3, atol=1e-2)
    assert sum(GPU.host_fallbacks.values()) == before


def test_broadcasting_kernels_keep_vec4_for_contiguous_inputs(rng):
    m = rng.standard_normal((64, 257)).astype(np.float32)

    def softmax(v):
        e = jnp.exp(v - v.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)
    f = jax.jit(softmax)
    same(GPU, f, m, rtol=2e-6, atol=1e-7)
    kinds = [s.fn.strategy(s.n)[0] for s in last_plan(GPU, f).steps]
    assert kinds.count("map4") == 2, kinds  # exp(v - max[row]) and e / sum[row]


def test_matmul_autotune_times_the_tiles_and_caches_the_winner(rng):
    from jaxlite._src.backends.webgpu import routines
    a = rng.standard_normal((200, 300)).astype(np.float32)
    b = rng.standard_normal((300, 280)).astype(np.float32)
    jax.config.update("jaxlite_webgpu_autotune", True)
    try:
        same(GPU, lambda x, y: x @ y, a, b, rtol=1e-4, atol=1e-4)
        cfg = GPU._tuned[(1, 200, 280, 300)]
        assert cfg in routines.CANDIDATES
        assert ("matmul_f32", 1, 200, 280, 300, cfg) in GPU._kernels  # the winner is what runs
    finally:
        jax.config.update("jaxlite_webgpu_autotune", False)


@pytest.mark.parametrize("launch", ["gpu-subgroups", "gpu", "cpu-adapter"])
def test_reductions_in_every_launch_shape(launch, rng):
    """Every kind of reduction in workgroups combined through subgroup operations (where the adapter
    has them) or through workgroup memory, and in per-chunk loops (software adapters); NaN
    propagates through max and min."""
    subgroups = launch == "gpu-subgroups"
    if subgroups and "subgroups" not in GPU.runtime.features:
        pytest.skip("this adapter has no subgroups")
    with launching_for(launch == "cpu-adapter", subgroups):
        f = rng.standard_normal((5, 3000)).astype(np.float32)
        f[1, 1234] = np.nan
        i = rng.integers(-1000, 1000, (5, 3000)).astype(np.int32)
        u = rng.integers(0, 1 << 20, (5, 3000)).astype(np.uint32)
        b = rng.random((5, 3000)) < 0.999
        cases = [(lambda v: v.sum(1), f), (lambda v: v.max(1), f), (lambda v: v.min(1), f),
                 (lambda v: (1 + v * 1e-3).prod(1), f), (lambda v: v.sum(1), i), (lambda v: v.max(1), i),
                 (lambda v: v.min(1), u), (lambda v: v.sum(1), u), (lambda v: v.all(1), b),
                 (lambda v: v.any(1), ~b), (lambda v: jnp.argmax(v, 1), f),
                 (lambda v: v.astype(jnp.float16).sum(1), f), (lambda v: v.max(1), f.astype(np.float16)),
                 (lambda v: v.reshape(-1).sum(), np.nan_to_num(f)), (lambda v: v.reshape(-1).max(), i)]
        for fn, x in cases:
            same(GPU, jax.jit(fn), x, rtol=2e-3, atol=1e-3)
        jf = jax.jit(lambda v: v.sum(1))
        jf(*on(GPU, f))
        (step,) = last_plan(GPU, jf).steps
        assert step.fn.strategy(5)[0] == ("chunks" if launch == "cpu-adapter" else "wg")
        assert any(k[2] == subgroups for k in step.fn.pipelines)
