"""Integer edge semantics follow JAX on every device (issue 12, item 6): division and remainder by
zero, INT_MIN // -1, shifts by counts past the width or negative, saturating float -> int casts,
wrap-around arithmetic. Eager and jit, cpu and the kernel devices."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import jaxlite as jax
import jaxlite.numpy as jnp
from conftest import needs_jax, real_jax, real_jnp

DEVICES = [d for d in jax.devices() if d.platform in ("cpu", "wasm", "webgpu")]
KERNEL_DEVICES = [d for d in DEVICES if d.platform != "cpu"]
INT_DTYPES = ["int8", "int16", "int32", "uint8", "uint16", "uint32"]

# op name -> fn(jnp, lax, a, b); a and b share an integer dtype
BINARY = {
    "floor_divide": lambda jnp, lax, a, b: a // b,
    "remainder": lambda jnp, lax, a, b: a % b,
    "fmod": lambda jnp, lax, a, b: jnp.fmod(a, b),
    "lax.div": lambda jnp, lax, a, b: lax.div(a, b),
    "lax.rem": lambda jnp, lax, a, b: lax.rem(a, b),
    "shift_left": lambda jnp, lax, a, b: lax.shift_left(a, b),
    "shift_right_arithmetic": lambda jnp, lax, a, b: lax.shift_right_arithmetic(a, b),
    "shift_right_logical": lambda jnp, lax, a, b: lax.shift_right_logical(a, b),
    "add_mul_sub": lambda jnp, lax, a, b: (a + b) * b - a,
    "neg_abs": lambda jnp, lax, a, b: -a + jnp.abs(b),
}
FLOAT_CASTS = ["int8", "int16", "int32", "uint8", "uint16", "uint32", "bool"]


def _edges(dtype):
    info = np.iinfo(dtype)
    return [0, 1, 2, 7, info.max, info.max - 1, info.min, info.min + 1] + ([-1, -2, -7] if info.min else [])


@st.composite
def _operands(draw, dtype):
    info = np.iinfo(dtype)
    width = np.dtype(dtype).itemsize * 8
    values = st.one_of(st.sampled_from(_edges(dtype)), st.integers(int(info.min), int(info.max)))
    counts = st.sampled_from([c for c in (0, 1, width - 1, width, width + 1, 2 * width, -1, -width) if
                              info.min <= c <= info.max])  # shift counts past the width, negative
    a = draw(st.lists(values, min_size=8, max_size=8))
    b = draw(st.lists(st.one_of(values, counts), min_size=8, max_size=8))
    return np.array(a, dtype), np.array(b, dtype)


@functools.lru_cache(maxsize=None)
def _jitted(name):
    return jax.jit(lambda a, b: BINARY[name](jnp, jax.lax, a, b))


def _run(dev, name, a, b, jit):
    with jax.default_device(dev):
        x, y = jnp.asarray(a), jnp.asarray(b)
        out = _jitted(name)(x, y) if jit else BINARY[name](jnp, jax.lax, x, y)
        return np.asarray(out)


@needs_jax
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_integer_ops_match_jax(data):
    dtype = data.draw(st.sampled_from(INT_DTYPES))
    name = data.draw(st.sampled_from(sorted(BINARY)))
    a, b = data.draw(_operands(dtype))
    # JAX under jit would fold constants (XLA's folding of x / 0 can crash the process): eager only
    want = np.asarray(BINARY[name](real_jnp, real_jax.lax, real_jnp.asarray(a), real_jnp.asarray(b)))
    for dev in DEVICES:
        for jit in (False, True):
            got = _run(dev, name, a, b, jit)
            assert got.dtype == want.dtype, (dev, jit, name, got.dtype, want.dtype)
            np.testing.assert_array_equal(got, want, err_msg=f"{name} {dtype} {a} {b} on {dev} jit={jit}")


@pytest.mark.skipif(not KERNEL_DEVICES, reason="no kernel device here")
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_integer_ops_agree_across_devices(data):
    """Without the oracle (Pyodide): every device and jit agree with eager cpu."""
    dtype = data.draw(st.sampled_from(INT_DTYPES))
    name = data.draw(st.sampled_from(sorted(BINARY)))
    a, b = data.draw(_operands(dtype))
    want = _run(jax.devices("cpu")[0], name, a, b, False)
    for dev in DEVICES:
        np.testing.assert_array_equal(_run(dev, name, a, b, True), want, err_msg=f"{name} {dtype} on {dev}")
        np.testing.assert_array_equal(_run(dev, name, a, b, False), want, err_msg=f"{name} {dtype} on {dev}")


CAST_INPUT = np.array([np.nan, np.inf, -np.inf, 3e9, -3e9, 2.9, -2.9, 1e10, -0.5, 255.5, -1.0, 70000.0], np.float32)


@needs_jax
@pytest.mark.parametrize("dev", DEVICES, ids=lambda d: d.platform)
def test_float_to_int_casts_saturate_like_jax(dev):
    for name in FLOAT_CASTS:
        want = np.asarray(real_jnp.asarray(CAST_INPUT).astype(name))
        with jax.default_device(dev):
            x = jnp.asarray(CAST_INPUT)
            for got in (x.astype(name), jax.jit(lambda v: v.astype(name))(x)):
                assert np.asarray(got).dtype == want.dtype
                np.testing.assert_array_equal(np.asarray(got), want, err_msg=f"{name} on {dev}")


# Recorded from JAX 0.10.2 (CPU): the issue's examples, checked where the oracle is absent too.
@pytest.mark.parametrize("dev", DEVICES, ids=lambda d: d.platform)
def test_issue_examples_recorded(dev):
    i32 = np.int32
    with jax.default_device(dev):
        a, z = jnp.array([7, -7, 0], i32), jnp.zeros(3, i32)
        mn, m1 = jnp.array([-2**31, -2**31, 5], i32), jnp.array([-1, 1, -1], i32)
        for f in (lambda a, z, mn, m1: (a // z, a % z, mn // m1, mn % m1, jnp.fmod(a, z)),
                  jax.jit(lambda a, z, mn, m1: (a // z, a % z, mn // m1, mn % m1, jnp.fmod(a, z)))):
            q, r, q2, r2, fm = f(a, z, mn, m1)
            assert q.tolist() == [-2, -2, -1] and r.tolist() == [0, 0, 0] and fm.tolist() == [0, 0, 0]
            assert q2.tolist() == [-2**31, -2**31, -5] and r2.tolist() == [0, 0, 0]
        assert (jnp.array([7, 0], np.uint8) // jnp.zeros(2, np.uint8)).tolist() == [255, 255]
        assert (jnp.array([7, 0], np.uint8) % jnp.zeros(2, np.uint8)).tolist() == [0, 0]
        s = jnp.array([0, 1, 31, 32, 33, -1, 100], i32)
        assert jax.lax.shift_left(jnp.ones(7, i32), s).tolist() == [1, 2, -2**31, 0, 0, 0, 0]
        assert jax.lax.shift_right_arithmetic(jnp.full(7, -8, i32), s).tolist() == [-8, -4, -1, -1, -1, -1, -1]
        assert jax.lax.shift_right_logical(jnp.full(7, -8, i32), s).tolist() == [-8, 2**31 - 4, 1, 0, 0, 0, 0]
        assert jax.lax.shift_right_arithmetic(jnp.full(3, 200, np.uint8), jnp.array([1, 7, 9], np.uint8)).tolist() \
            == [228, 255, 255]
        f = jnp.asarray(CAST_INPUT[:8])
        assert f.astype(jnp.int32).tolist() == [0, 2**31 - 1, -2**31, 2**31 - 1, -2**31, 2, -2, 2**31 - 1]
        assert f.astype(jnp.uint8).tolist() == [0, 255, 0, 255, 0, 2, 0, 255]
        assert (jnp.array([2, 1, -1, 0], i32) ** jnp.array([-1, -1, -1, 0], i32)).tolist() == [0, 1, -1, 1]
        assert (jnp.array([2**32 - 1], np.uint32) + jnp.array([2], np.uint32)).tolist() == [1]
