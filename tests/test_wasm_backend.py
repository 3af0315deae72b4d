"""What is the wasm device's own (the shared kernel tests are in test_backends.py): SIMD loops
and sums, the assembler on SIMD modules, the allocator. Runs on wasmtime here and on the
browser's engine inside Pyodide."""

import gc

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from backend_util import last_plan, on, same

if "wasm" not in [d.platform for d in jax.devices()]:
    pytest.skip("no WebAssembly engine here", allow_module_level=True)

WASM = jax.devices("wasm")[0]


def test_allocator_reuses_memory_and_counts_buffers():
    gc.collect()
    base, rt = WASM.live_buffers(), WASM.runtime
    x = jax.device_put(np.ones(1000, np.float32), WASM)
    top = rt.top
    del x
    gc.collect()
    y = jax.device_put(np.ones(1000, np.float32), WASM)
    assert rt.top == top  # the freed block was reused
    assert WASM.live_buffers() == base + 1
    del y
    gc.collect()
    assert WASM.live_buffers() == base


def test_out_of_memory_is_a_memory_error():
    with pytest.raises(MemoryError, match="cannot allocate 8589934592 bytes"):
        WASM.runtime.alloc(1 << 33)  # beyond wasm32's 4 GiB
    with jax.default_device(WASM):
        with pytest.raises(MemoryError, match="cannot allocate"):
            jnp.zeros((1 << 31,), jnp.float32)  # 8 GiB, on the device only (no host copy)


@pytest.mark.parametrize("n", range(0, 11))
def test_simd_kernels_with_every_tail_length(n, rng):
    from jaxlite._src.backends.wasm.render import vectorizable
    x, y = rng.standard_normal((2, n)).astype(np.float32)
    k = rng.integers(-50, 50, n).astype(np.int32)
    f = jax.jit(lambda x, y, k: (jnp.sqrt(x * x + y * y), jnp.where(x > y, x, -y), (x * 3).astype(jnp.int32) + k * 2,
                                 jnp.maximum(k, 3) ^ k, k.astype(jnp.float32) / 4))
    same(WASM, f, x, y, k)
    plan = last_plan(WASM, f)
    kernels = [key for key in WASM._kernels if not isinstance(key, tuple)]
    assert any(vectorizable(kern) for kern in kernels)
    assert len([s for s in plan.steps if s.kind == "kernel"]) == 5


def test_simd_module_assembles_like_wat2wasm():
    wasmtime = pytest.importorskip("wasmtime")
    from jaxlite._src.backends.wasm.assembler import assemble
    from jaxlite._src.backends.wasm.render import render
    from jaxlite._src.kernel import ir
    f4 = np.dtype("f4")
    load = lambda k: ir.Load(f4, k, ir.Index(ir.I32))  # noqa: E731
    kernel = ir.Kernel("k", (f4, f4), (ir.Select(f4, ir.binary("lt", load(0), load(1)),
                                                 ir.Unary(f4, "sqrt", load(0)), ir.binary("max", load(1), ir.Const(f4, 2.5))),))
    wat = render(kernel)
    assert "v128.bitselect" in wat
    from test_wasm_assembler import strip_custom
    assert assemble(wat) == strip_custom(wasmtime.wat2wasm(wat))


@pytest.mark.parametrize("n", [8, 9, 63, 64, 65, 127, 200, 1000, 4099])
def test_vectorized_sums_are_accurate_for_every_length(n, rng):
    x = (rng.standard_normal((3, n)) * 10).astype(np.float32)
    exact = x.astype(np.float64).sum(1)
    got = np.asarray(jax.jit(lambda v: jnp.sum(v, axis=1))(*on(WASM, x)))
    np.testing.assert_allclose(got, exact, rtol=2e-6, atol=2e-5)
    got_all = float(jax.jit(jnp.sum)(*on(WASM, x)))
    assert abs(got_all - exact.sum()) <= 2e-6 * np.abs(x).sum()
    mean = np.asarray(jax.jit(lambda v: jnp.mean(v * 2 + 1, axis=1))(*on(WASM, x)))  # fused producer
    np.testing.assert_allclose(mean, (x.astype(np.float64) * 2 + 1).mean(1), rtol=2e-6, atol=2e-5)


