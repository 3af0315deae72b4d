"""Memory under pressure (issue 12, item 8): eager ops with a Python scalar keep the broadcast
scalar virtual (peak for `y = x * 2` at most 2x `x` on wasm), the wasm allocator reuses and
coalesces freed blocks, and an array that cannot exist raises when it is created (JAX's
RESOURCE_EXHAUSTED JaxRuntimeError, also a MemoryError)."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite._src.backends.wasm.runtime import ALIGN, SMALL

WASM = [d for d in jax.devices() if d.platform == "wasm"]
needs_wasm = pytest.mark.skipif(not WASM, reason="no WebAssembly engine here")
N = 1 << 20  # 4 MiB of float32: far above the eager fusion threshold


def _peak_ratio(fn, x):
    """(peak live bytes while fn runs) / x.nbytes, counting x itself."""
    rt = WASM[0].runtime
    gc.collect()
    base = rt.live_bytes
    rt.reset_peak()
    y = fn(x)
    y.block_until_ready()
    return (rt.peak_bytes - base + x.nbytes) / x.nbytes, y


@needs_wasm
@pytest.mark.parametrize("name,fn,want", [
    ("mul_int", lambda x: x * 2, lambda v: v * 2),
    ("radd_float", lambda x: 2.5 + x, lambda v: 2.5 + v),
    ("sub_numpy_scalar", lambda x: x - np.float32(1), lambda v: v - 1),
    ("maximum_0d_array", lambda x: jnp.maximum(x, jnp.float32(3)), lambda v: np.maximum(v, 3)),
    ("row_broadcast", lambda x: x * jnp.arange(1024.0), lambda v: v * np.arange(1024.0, dtype=np.float32)),
])
def test_scalar_broadcast_stays_virtual(name, fn, want):
    with jax.default_device(WASM[0]):
        x = jnp.asarray(np.arange(N, dtype=np.float32).reshape(1024, -1) % 7)
        ratio, y = _peak_ratio(fn, x)
        extra = 1024 * 4 / x.nbytes if name == "row_broadcast" else 0  # the row itself is an input
        assert ratio <= 2 + extra + 2 * ALIGN / x.nbytes, ratio
        np.testing.assert_array_equal(np.asarray(y), want(np.asarray(x)))
        assert y.dtype == np.float32 and not y.weak_type


@needs_wasm
def test_fused_eager_broadcast_matches_op_by_op():
    # The fused path (big) and the op-by-op path (small) give JAX's dtypes and values.
    for n in (8, N):
        with jax.default_device(WASM[0]):
            i = jnp.arange(n, dtype=jnp.int32)
            assert (i + 1.5).dtype == np.float32 and (i * 2).dtype == np.int32
            assert (jnp.ones(n, jnp.int8) + 300).dtype == np.int8
            np.testing.assert_array_equal(np.asarray(i % 0)[:3], [0, 0, 0])  # JAX 0.10.2: x % 0 is 0
            with pytest.raises(OverflowError):
                i + 2**40


@needs_wasm
def test_freed_memory_is_reused_and_coalesced():
    rt = WASM[0].runtime
    with jax.default_device(WASM[0]):
        gc.collect()
        # Warm the kernels so compiled modules do not count as growth.
        a = jnp.ones(N, jnp.float32)
        b = a + 1
        del a, b
        gc.collect()
        mem0, top0 = rt.memory_bytes, rt.top
        for i in range(8):
            # Sizes that never repeat: only coalescing lets the freed blocks serve them.
            a = jnp.ones(N + 4096 * i, jnp.float32)
            b = a + 1
            del a
            c = jnp.ones(2 * N + 1024 * i, jnp.float32)
            del b, c
            gc.collect()
        assert rt.memory_bytes == mem0
        assert rt.top <= top0 + 4 * (2 * N + 8192 * 8)


@needs_wasm
def test_allocator_coalesces_neighbours():
    rt = WASM[0].runtime
    with rt.lock:
        # Larger than every free block left by earlier tests: the three come from the top, in a row.
        # (and above the small sizes, which are kept per size rather than coalesced)
        n = max([*rt.free_blocks.values(), SMALL]) + 1000
        ptrs = [rt.alloc(n) for _ in range(3)]
        size = -(-n // ALIGN) * ALIGN
        assert ptrs[1] == ptrs[0] + size and ptrs[2] == ptrs[1] + size
        guard = rt.alloc(64)  # keeps the three below the top
        for p in (ptrs[0], ptrs[2], ptrs[1]):  # the middle one last: both merges happen
            rt.free(p, n)
        # Merged into one block, or (when the guard took an older free block below) merged and then
        # returned to the top, which only the merge with the block before can bring down to ptrs[0].
        assert rt.free_blocks.get(ptrs[0], 0) >= 3 * size or rt.top == ptrs[0]
        big = rt.alloc(3 * size)  # fits only in the merged block
        assert big == ptrs[0]
        rt.free(big, 3 * size)
        rt.free(guard, 64)


def test_array_that_cannot_exist_raises_at_creation():
    for dev in jax.devices():
        if dev.platform not in ("cpu", "wasm"):
            continue
        with jax.default_device(dev):
            for make in (lambda: jnp.zeros((1 << 18, 1 << 18)), lambda: jnp.full((1 << 40,), 1.0)):
                with pytest.raises(jax.errors.JaxRuntimeError, match="RESOURCE_EXHAUSTED"):
                    make()
            assert float(jnp.zeros(4).sum()) == 0.0


def test_cpu_broadcasts_own_their_memory():
    # A created array owns its memory (JAX fails at creation, not at a later use).
    with jax.default_device(jax.devices("cpu")[0]):
        x = jnp.zeros((64, 64))
        y = jnp.broadcast_to(jnp.arange(3.0), (4, 3))
    for a in (x, y):
        assert 0 not in np.asarray(a).strides


@needs_wasm
def test_small_blocks_are_kept_per_size_and_returned_when_memory_runs_out():
    rt = WASM[0].runtime
    with rt.lock:
        p = rt.alloc(40)
        rt.free(p, 40)
        assert rt.alloc(40) == p  # the kept block of its size, no search
        live = rt.live_bytes
        rt.free(p, 40)
        assert rt.live_bytes == live - ALIGN
        assert rt._release_small()
        assert not any(rt._small)
        # back in the coalescing allocator: inside a free block, or above the lowered top
        assert rt.top <= p or any(s <= p < s + n for s, n in rt.free_blocks.items())
