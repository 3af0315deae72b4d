"""Out-of-bounds indexing follows JAX exactly (issue 12, items 1 and 11): reads clamp, `.at[]`
updates are dropped, and the gather/scatter modes ("clip", "fill"/"drop", "promise_in_bounds")
behave as on XLA; eager and jit agree on every device."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from conftest import assert_close, needs_jax, real_jax, real_jnp

DEVICES = [d for d in jax.devices() if d.platform in ("cpu", "wasm", "webgpu")]


def _lax_gather(jnp, jax, idx, window, mode):
    dn = jax.lax.GatherDimensionNumbers(offset_dims=(1,) if window > 1 else (), collapsed_slice_dims=()
                                        if window > 1 else (0,), start_index_map=(0,))
    return jax.lax.gather(jnp.arange(5.0), jnp.array(idx)[:, None], dn, (window,), mode=mode)


def _lax_scatter_add(jnp, jax, idx, mode):
    dn = jax.lax.ScatterDimensionNumbers(update_window_dims=(1,), inserted_window_dims=(),
                                         scatter_dims_to_operand_dims=(0,))
    return jax.lax.scatter_add(jnp.zeros(5), jnp.array(idx)[:, None], jnp.ones((len(idx), 3)), dn, mode=mode)


# name -> fn(jnp, jax): each is run by jaxlite (eager and under jit where it takes arrays) and by JAX.
CASES = {
    # item 1: updates out of bounds are dropped, eager and jit, static and traced indices
    "set_oob_jit": lambda jnp, jax: jax.jit(lambda x, i: x.at[i].set(9.0))(jnp.zeros(3), 7),
    "set_oob_eager": lambda jnp, jax: jnp.zeros(3).at[7].set(9.0),
    "set_neg_wraps_once": lambda jnp, jax: jnp.zeros(3).at[-4].set(9.0),
    "set_neg_jit": lambda jnp, jax: jax.jit(lambda x, i: x.at[i].set(9.0))(jnp.zeros(3), -4),
    "set_neg_in_range_jit": lambda jnp, jax: jax.jit(lambda x, i: x.at[i].set(9.0))(jnp.zeros(3), -1),
    "set_row_oob": lambda jnp, jax: jnp.zeros((3, 2)).at[4].set(1.0),
    "set_row_slice_jit": lambda jnp, jax: jax.jit(lambda x, i: x.at[i, 1:].set(5.0))(jnp.zeros((3, 3)), -4),
    "add_array_oob": lambda jnp, jax: jnp.zeros(3).at[jnp.array([0, 3, -4, -1])].add(1.0),
    "mul_min_oob": lambda jnp, jax: (jnp.ones(3).at[jnp.array([0, 3])].multiply(2.0),
                                     jnp.ones(3).at[jnp.array([0, 3])].min(-2.0)),
    "set_mode_clip": lambda jnp, jax: (jnp.zeros(3).at[7].set(9.0, mode="clip"),
                                       jnp.zeros((3, 2)).at[5, -7].set(1.0, mode="clip")),
    "set_mode_drop_fill": lambda jnp, jax: (jnp.zeros(3).at[7].set(9.0, mode="drop"),
                                            jnp.zeros(3).at[7].set(9.0, mode="fill")),
    "set_promise_in_bounds": lambda jnp, jax: (
        jnp.zeros(3).at[jnp.array([7, 1])].set(9.0, mode="promise_in_bounds"),
        jax.jit(lambda x, i: x.at[i].add(9.0, mode="promise_in_bounds"))(jnp.zeros(3), 5)),
    "vmap_set": lambda jnp, jax: jax.vmap(lambda x, i: x.at[i].set(9.0))(jnp.zeros((3, 3)), jnp.array([5, -1, -4])),
    "vmap_add": lambda jnp, jax: jax.vmap(lambda x, i: x.at[i].add(9.0))(jnp.zeros((3, 3)), jnp.array([5, -1, -4])),
    "bool_set": lambda jnp, jax: jnp.zeros(3, bool).at[jnp.array([0, 9])].set(True),
    # item 11: reads clamp; a negative index wraps once, then clamps
    "get_clamps": lambda jnp, jax: (jnp.arange(10.0)[11], jnp.arange(10.0)[-11], jnp.arange(10.0)[-15]),
    "get_clamps_jit": lambda jnp, jax: (jax.jit(lambda x, i: x[i])(jnp.arange(10.0), 11),
                                        jax.jit(lambda x, i: x[i])(jnp.arange(10.0), -15)),
    "get_array_clamps": lambda jnp, jax: jnp.arange(10.0)[jnp.array([11, -11, -3, 3])],
    "get_2d": lambda jnp, jax: (jnp.arange(9.0).reshape(3, 3)[1, 5],
                                jax.jit(lambda x, i: x[i, 1:])(jnp.arange(9.0).reshape(3, 3), 7)),
    "get_uint_index": lambda jnp, jax: jnp.arange(3.0)[jnp.array([5], dtype=jnp.uint32)],
    "vmap_get": lambda jnp, jax: jax.vmap(lambda x, i: x[i])(jnp.arange(6.0).reshape(2, 3), jnp.array([5, -5])),
    "bool_scalar_index": lambda jnp, jax: (jnp.arange(3.0)[True], jnp.arange(3.0)[False]),
    # .at[].get modes
    "get_fill": lambda jnp, jax: (jnp.arange(3.0).at[5].get(mode="fill", fill_value=-1),
                                  jnp.arange(3.0).at[5].get(mode="fill"),
                                  jnp.arange(3).at[5].get(mode="fill"),
                                  jnp.arange(3, dtype=jnp.uint8).at[5].get(mode="fill"),
                                  jnp.zeros(3, bool).at[5].get(mode="fill"),
                                  jnp.arange(3).at[5].get(mode="fill", fill_value=-1.5)),
    "get_fill_negative": lambda jnp, jax: (jnp.arange(3.0).at[-1].get(mode="fill", fill_value=-1),
                                           jnp.arange(3.0).at[-4].get(mode="fill", fill_value=-1),
                                           jnp.arange(3.0).at[jnp.array([-1, -3, -4, 5])].get(mode="fill",
                                                                                              fill_value=7.0)),
    "get_fill_windows": lambda jnp, jax: (jnp.arange(9.0).reshape(3, 3).at[1, 5].get(mode="fill", fill_value=-1.0),
                                          jnp.arange(9.0).reshape(3, 3).at[5].get(mode="fill", fill_value=-1.0),
                                          jnp.arange(9.0).reshape(3, 3).at[5, :2].get(mode="fill", fill_value=-1.0)),
    "get_fill_jit": lambda jnp, jax: jax.jit(lambda x, i: x.at[i].get(mode="fill", fill_value=-1.0))(jnp.arange(3.0), 5),
    "get_fill_vmap": lambda jnp, jax: jax.vmap(lambda x, i: x.at[i].get(mode="fill", fill_value=-1.0))(
        jnp.zeros((3, 3)), jnp.array([5, -1, -4])),
    "get_drop_is_fill": lambda jnp, jax: jnp.arange(3.0).at[jnp.array([5, -1, -4])].get(mode="drop"),
    "get_clip": lambda jnp, jax: (jnp.arange(3.0).at[-1].get(mode="clip"), jnp.arange(3.0).at[-5].get(mode="clip"),
                                  jnp.arange(3.0).at[jnp.array([5, -1, -4])].get(mode="clip")),
    "get_promise": lambda jnp, jax: (jnp.arange(3.0).at[5].get(mode="promise_in_bounds"),
                                     jnp.arange(3.0).at[jnp.array([2, -1])].get(mode="promise_in_bounds")),
    # lax.gather / scatter defaults and windows
    "lax_gather_modes": lambda jnp, jax: (_lax_gather(jnp, jax, [7], 1, None), _lax_gather(jnp, jax, [7, -1], 1, "fill"),
                                          _lax_gather(jnp, jax, [3], 3, "fill"), _lax_gather(jnp, jax, [3], 3, "clip"),
                                          _lax_gather(jnp, jax, [3, -2], 3, "promise_in_bounds")),
    "lax_scatter_modes": lambda jnp, jax: (_lax_scatter_add(jnp, jax, [3], None), _lax_scatter_add(jnp, jax, [3], "clip"),
                                           _lax_scatter_add(jnp, jax, [3, 9, 1], "promise_in_bounds"),
                                           _lax_scatter_add(jnp, jax, [-1, 2], "drop")),
    # gradients: the transpose keeps the mode (a clamped read's cotangent is dropped, as in JAX)
    "grad_get_default": lambda jnp, jax: (jax.grad(lambda x: x[jnp.array([5, 1])].sum())(jnp.ones(3)),
                                          jax.grad(lambda x: x[5] * 2)(jnp.ones(3))),
    "grad_get_modes": lambda jnp, jax: (
        jax.grad(lambda x: x.at[jnp.array([5, 1])].get(mode="clip").sum())(jnp.ones(3)),
        jax.grad(lambda x: x.at[jnp.array([5, 1])].get(mode="fill", fill_value=0.0).sum())(jnp.ones(3))),
    "grad_set_add_oob": lambda jnp, jax: (
        jax.grad(lambda v: jnp.zeros(3).at[jnp.array([5, 1])].set(v).sum())(jnp.ones(2)),
        jax.grad(lambda v: jnp.zeros(3).at[jnp.array([5, 1])].add(v * v).sum())(jnp.full(2, 3.0)),
        jax.grad(lambda x, i: x.at[i].set(0.0).sum())(jnp.ones(3), 7)),
}

# Errors: (exception type, words of JAX's message)
ERRORS = {
    "empty_axis": (lambda jnp, jax: jnp.zeros(0)[0], IndexError, "out of bounds for axis 0 with size 0"),
    "empty_axis_jit": (lambda jnp, jax: jax.jit(lambda x, i: x[i])(jnp.zeros(0), 0), IndexError, "size 0"),
    "empty_axis_set": (lambda jnp, jax: jnp.zeros(0).at[0].set(1.0), IndexError, "size 0"),
    "empty_axis_fill": (lambda jnp, jax: jnp.zeros(0).at[0].get(mode="fill", fill_value=3.0), IndexError, "size 0"),
    "bad_get_mode": (lambda jnp, jax: jnp.arange(3.0).at[1].get(mode="wrap"), ValueError, 'Unknown gather mode "wrap"'),
    "bad_set_mode": (lambda jnp, jax: jnp.zeros(3).at[1].set(1.0, mode="bogus"), ValueError, "Unknown gather mode"),
    "fill_value_not_scalar": (lambda jnp, jax: jnp.arange(3.0).at[5].get(mode="fill", fill_value=jnp.array([1.0, 2.0])),
                              ValueError, "fill_value argument to indexed get() must be a scalar"),
}


@functools.lru_cache(maxsize=None)
def _jax_result(name):
    return CASES[name](real_jnp, real_jax)


@needs_jax
@pytest.mark.parametrize("dev", DEVICES, ids=lambda d: d.platform)
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_jax(name, dev):
    want = _jax_result(name)
    with jax.default_device(dev):
        got = CASES[name](jnp, jax)
    assert_close(got, want, rtol=0, atol=0)


@needs_jax
@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_jax(name):
    fn, exc, words = ERRORS[name]
    with pytest.raises(exc) as want:
        fn(real_jnp, real_jax)
    assert words in str(want.value)
    for dev in DEVICES:
        with jax.default_device(dev), pytest.raises(exc, match=None) as got:
            fn(jnp, jax)
        assert words in str(got.value), (dev, str(got.value))


# Recorded from JAX 0.10.2 (CPU), so that these also run where the oracle is absent (Pyodide).
@pytest.mark.parametrize("dev", DEVICES, ids=lambda d: d.platform)
def test_issue_examples_recorded(dev):
    with jax.default_device(dev):
        set_oob = jax.jit(lambda x, i: x.at[i].set(9.0))
        assert set_oob(jnp.zeros(3), 7).tolist() == [0.0, 0.0, 0.0]
        assert set_oob(jnp.zeros(3), -1).tolist() == [0.0, 0.0, 9.0]
        assert jnp.zeros(3).at[7].set(9.0).tolist() == [0.0, 0.0, 0.0]
        assert jnp.arange(10.0)[11].tolist() == 9.0
        assert jax.jit(lambda x, i: x[i])(jnp.arange(10.0), 11).tolist() == 9.0
        assert jnp.arange(10.0)[-11].tolist() == 0.0
        got = jnp.arange(5.0).at[5].get(mode="fill", fill_value=-1)
        assert got.tolist() == -1.0 and got.dtype == np.float32
        assert np.isnan(jnp.arange(5.0).at[jnp.array([1, 5])].get(mode="fill")).tolist() == [False, True]
        assert jnp.arange(3).at[5].get(mode="fill").tolist() == np.iinfo(np.int32).min
        assert jnp.zeros(3).at[jnp.array([0, 3, -4, -1])].add(1.0).tolist() == [1.0, 0.0, 1.0]
        assert jnp.zeros(3).at[7].set(9.0, mode="clip").tolist() == [0.0, 0.0, 9.0]
        assert jax.grad(lambda x: x[jnp.array([5, 1])].sum())(jnp.ones(3)).tolist() == [0.0, 1.0, 0.0]


@pytest.mark.parametrize("dev", DEVICES, ids=lambda d: d.platform)
def test_eager_and_jit_agree(dev, rng):
    """Random in- and out-of-range indices: eager, jit and a NumPy model of JAX's rules agree."""
    x = rng.standard_normal((4, 5)).astype(np.float32)
    idx = rng.integers(-9, 9, 12).astype(np.int32)
    wrapped = np.where(idx < 0, idx + 4, idx)
    inside = (wrapped >= 0) & (wrapped < 4)
    want_get = x[np.clip(wrapped, 0, 3)]
    want_add = x.copy()
    np.add.at(want_add, wrapped[inside], np.ones((inside.sum(), 5), np.float32))
    with jax.default_device(dev):
        xs = jnp.asarray(x)
        for f in (lambda a, i: a[i], jax.jit(lambda a, i: a[i])):
            np.testing.assert_array_equal(np.asarray(f(xs, jnp.asarray(idx))), want_get)
        for f in (lambda a, i: a.at[i].add(1.0), jax.jit(lambda a, i: a.at[i].add(1.0))):
            np.testing.assert_allclose(np.asarray(f(xs, jnp.asarray(idx))), want_add, rtol=1e-6)
        for k in (-9, -5, -4, 0, 3, 4, 8):
            row = x[min(max(k + 4 if k < 0 else k, 0), 3)]
            np.testing.assert_array_equal(np.asarray(xs[k]), row)
            np.testing.assert_array_equal(np.asarray(jax.jit(lambda a, i: a[i])(xs, k)), row)
            kept = -4 <= k < 4
            want = x.copy()
            if kept:
                want[k] = 0.0
            np.testing.assert_array_equal(np.asarray(xs.at[k].set(0.0)), want)
            np.testing.assert_array_equal(np.asarray(jax.jit(lambda a, i: a.at[i].set(0.0))(xs, k)), want)
