"""Bad input raises JAX's checks, not internal errors (issue 12, item 7), and the follow-ups of its
first pass: debug_nans/debug_infs as context managers, numpy-cast Python ints in jnp.full/arange/
integer powers, take's clip mode, weak types of gradients, per-thread vmap axis names.

Each error case records JAX 0.10.2's exception type and words of its message; with the oracle
present the same case is run on JAX too, so the record cannot drift from JAX."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from conftest import needs_jax, real_jax, real_jnp
from jaxlite import lax

DEVICES = [d for d in jax.devices() if d.platform in ("cpu", "wasm", "webgpu")]


def _f(x):
    return x


def _kw(x, *, y=1):
    return x


# name -> (fn(jnp, jax, lax), JAX's exception type, words found in both messages)
ERRORS = {
    # transformations check their function when applied
    "grad_not_callable": (lambda jnp, jax, lax: jax.grad("f"), TypeError, "Expected a callable value"),
    "vmap_not_callable": (lambda jnp, jax, lax: jax.vmap(1), TypeError, "Expected a callable value"),
    "value_and_grad_not_callable": (lambda jnp, jax, lax: jax.value_and_grad(None), TypeError, "callable"),
    "jacrev_not_callable": (lambda jnp, jax, lax: jax.jacrev("f"), TypeError, "callable"),
    # jit's static and donated positions and names are checked against the signature
    "static_argnums_oob": (lambda jnp, jax, lax: jax.jit(_f, static_argnums=3), ValueError, "static_argnums=(3,)"),
    "static_argnums_neg": (lambda jnp, jax, lax: jax.jit(_f, static_argnums=-2), ValueError, "positional arguments"),
    "static_argnums_kwonly": (lambda jnp, jax, lax: jax.jit(_kw, static_argnums=1), ValueError, "positional"),
    "static_argnames_bad": (lambda jnp, jax, lax: jax.jit(_f, static_argnames=("x", "z")), ValueError, "{'z'}"),
    "donate_argnums_oob": (lambda jnp, jax, lax: jax.jit(_f, donate_argnums=3), ValueError, "donate_argnums"),
    "donate_and_static": (lambda jnp, jax, lax: jax.jit(_f, donate_argnums=0, static_argnums=0), ValueError,
                          "cannot intersect"),
    # values that are not JAX types
    "jit_str_argument": (lambda jnp, jax, lax: jax.jit(_f)("abc"), TypeError, "<class 'str'>"),
    "jit_str_result": (lambda jnp, jax, lax: jax.jit(lambda x: "abc")(1.0), TypeError, "not a valid JAX type"),
    "array_mixed_str": (lambda jnp, jax, lax: jnp.array([1, "a"]), TypeError, "not a valid JAX array type"),
    "array_none": (lambda jnp, jax, lax: jnp.array(None), ValueError, "None is not a valid value"),
    "device_put_str": (lambda jnp, jax, lax: jax.device_put("abc"), TypeError, "not a valid JAX type"),
    "lax_add_str": (lambda jnp, jax, lax: lax.add(1.0, "a"), TypeError, "<class 'str'>"),
    # einsum specs
    "einsum_output_label": (lambda jnp, jax, lax: jnp.einsum("ij,jk->il", jnp.ones((2, 2)), jnp.ones((2, 2))),
                            ValueError, "Output character 'l' did not appear in the input"),
    "einsum_operands": (lambda jnp, jax, lax: jnp.einsum("ij,jk", jnp.ones((2, 2))), ValueError,
                        "must be equal to the number of operands"),
    "einsum_sizes": (lambda jnp, jax, lax: jnp.einsum("ij,jk->ik", jnp.ones((2, 3)), jnp.ones((2, 2))),
                     ValueError, "Size of label 'j'"),
    "einsum_rank": (lambda jnp, jax, lax: jnp.einsum("ijk->i", jnp.ones((2, 3))), ValueError,
                    "does not contain the correct number of indices"),
    # convolutions
    "conv_ranks": (lambda jnp, jax, lax: lax.conv(jnp.ones((1, 1, 4, 4)), jnp.ones((1, 1, 3)), (1, 1), "VALID"),
                   TypeError, "ndim to be equal, got 4 and 3"),
    "conv_strides": (lambda jnp, jax, lax: lax.conv(jnp.ones((1, 1, 4, 4)), jnp.ones((1, 1, 3, 3)), (1,), "VALID"),
                     ValueError, "window_strides"),
    "conv_features": (lambda jnp, jax, lax: lax.conv(jnp.ones((1, 2, 4, 4)), jnp.ones((1, 3, 3, 3)), (1, 1),
                                                     "VALID"), ValueError, "2 // 1 != 3"),
    "conv_pads": (lambda jnp, jax, lax: lax.conv(jnp.ones((1, 1, 4, 4)), jnp.ones((1, 1, 3, 3)), (1, 1), [(0, 0)]),
                  TypeError, "Wrong number of explicit pads"),
    "conv_groups": (lambda jnp, jax, lax: lax.conv_general_dilated(jnp.ones((1, 2, 5, 5)), jnp.ones((4, 2, 3, 3)),
                                                                   (1, 1), "VALID", feature_group_count=0),
                    ValueError, "feature_group_count must be a positive integer"),
    "conv_batch_groups": (lambda jnp, jax, lax: lax.conv_general_dilated(
        jnp.ones((1, 2, 5, 5)), jnp.ones((4, 2, 3, 3)), (1, 1), "VALID", batch_group_count=2),
        ValueError, "batch_group_count must divide"),
    # structural lax checks
    "dot_shapes": (lambda jnp, jax, lax: lax.dot(jnp.ones((2, 3)), jnp.ones((4, 5))), ValueError,
                   "dimension_numbers must be specified"),
    "concatenate_empty": (lambda jnp, jax, lax: lax.concatenate([], 0), ValueError, "non-empty"),
    "pad_config_length": (lambda jnp, jax, lax: lax.pad(jnp.ones((2, 3)), 0.0, [(1, 1)]), ValueError,
                          "length of padding_config"),
    "dynamic_slice_float": (lambda jnp, jax, lax: lax.dynamic_slice(jnp.ones((2, 3)), (0.0, 0), (1, 1)),
                            TypeError, "must be integers"),
    "reduce_sum_axes": (lambda jnp, jax, lax: lax.reduce_sum(jnp.ones((2, 3)), (5,)), ValueError,
                        "out-of-bounds"),
    "argmax_axis": (lambda jnp, jax, lax: lax.argmax(jnp.ones((2, 3)), 2, jnp.int32), ValueError, "Invalid axis"),
    "iota_negative": (lambda jnp, jax, lax: lax.iota(jnp.float32, -1), TypeError, "nonnegative"),
    "iota_float": (lambda jnp, jax, lax: lax.iota(jnp.float32, 2.0), TypeError, "integer type"),
    "broadcast_negative": (lambda jnp, jax, lax: lax.broadcast(jnp.ones(2), (-1,)), TypeError, "nonnegative"),
    "reshape_float": (lambda jnp, jax, lax: lax.reshape(jnp.ones(6), (6.0,)), TypeError, "integer type"),
    # array creation
    "zeros_negative": (lambda jnp, jax, lax: jnp.zeros((2, -1)), TypeError, "nonnegative"),
    "ones_float_shape": (lambda jnp, jax, lax: jnp.ones((2.5,)), TypeError, "integer type"),
    "zeros_none_shape": (lambda jnp, jax, lax: jnp.zeros((2, None)), TypeError, "integer type"),
    "eye_negative": (lambda jnp, jax, lax: jnp.eye(2, -1), ValueError, "negative dimensions are not allowed"),
    "tri_negative": (lambda jnp, jax, lax: jnp.tri(-1), TypeError, "nonnegative"),
    "zeros_too_big": (lambda jnp, jax, lax: jnp.zeros((1 << 18, 1 << 18)), RuntimeError, "RESOURCE_EXHAUSTED"),
    # numpy-level
    "transpose_permutation": (lambda jnp, jax, lax: jnp.transpose(jnp.ones((2, 3)), (0, 0)), TypeError,
                              "permutation"),
    "index_float": (lambda jnp, jax, lax: jnp.ones(3)[jnp.array([1.0])], TypeError, "integer or boolean type"),
}


def _expect(name, jnp_, jax_, lax_):
    fn, exc, words = ERRORS[name]
    with pytest.raises(exc) as got:
        fn(jnp_, jax_, lax_)
    return str(got.value), words


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_recorded(name):
    for dev in DEVICES:
        with jax.default_device(dev):
            msg, words = _expect(name, jnp, jax, lax)
        assert words in msg, (dev, msg)


@needs_jax
@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_as_jax(name):
    msg, words = _expect(name, real_jnp, real_jax, real_jax.lax)
    assert words in msg, msg


def test_out_of_memory_is_jax_runtime_error_and_memory_error():
    for dev in DEVICES:
        with jax.default_device(dev), pytest.raises(jax.errors.JaxRuntimeError) as e:
            jnp.ones((1 << 18, 1 << 18))
        assert isinstance(e.value, MemoryError)
        assert float(jnp.ones(3).sum()) == 3.0  # still usable


def test_jit_argument_error_names_the_path():
    with pytest.raises(TypeError, match=r"path y\['a'\]"):
        jax.jit(lambda x, y: x)(1.0, y={"a": "s"})
    # static argument names resolve, and functions without a signature are not checked
    assert jax.jit(lambda x, n: x * n, static_argnames="n")(2.0, n=3) == 6.0
    assert jax.jit(max, static_argnums=1) is not None


# ---- config context managers (first pass follow-up) -----------------------------------------------

@pytest.mark.parametrize("manager,fn,word", [
    ("debug_infs", lambda: jnp.exp(jnp.float32(100.0)), "inf"),
    ("debug_nans", lambda: jnp.log(jnp.float32(-1.0)), "nan"),
])
def test_debug_context_managers_check(manager, fn, word):
    for dev in DEVICES:
        with jax.default_device(dev):
            with getattr(jax, manager)(True), pytest.raises(FloatingPointError, match=word):
                fn()
            assert not getattr(jax.config, "jax_" + manager)
            fn()  # outside the block nothing is checked
            with getattr(jax, manager)(True), pytest.raises(FloatingPointError):
                jax.jit(lambda: fn())()


# ---- Python ints that JAX casts by numpy's rules (wrap, never raise) ------------------------------

# name -> (fn, recorded JAX 0.10.2 value, dtype, weak_type)
WRAPS = {
    "full_wraps": (lambda jnp: jnp.full(3, 2**40), [0, 0, 0], "int32", True),
    "full_int8": (lambda jnp: jnp.full(2, 300, jnp.int8), [44, 44], "int8", False),
    "full_int_min": (lambda jnp: jnp.full((2,), -2**31), [-2**31, -2**31], "int32", True),
    "full_like": (lambda jnp: jnp.full_like(jnp.ones(2, jnp.int32), 2**40), [0, 0], "int32", False),
    "full_float": (lambda jnp: jnp.full(2, 2.5), [2.5, 2.5], "float32", True),
    "arange_wraps": (lambda jnp: jnp.arange(2**40, 2**40 + 3), [0, 1, 2], "int32", False),
    "arange_step_wraps": (lambda jnp: jnp.arange(0, 2**40, 2**39), [0, 0], "int32", False),
    "arange_edge": (lambda jnp: jnp.arange(2**31 - 2, 2**31 + 1), [2**31 - 2, 2**31 - 1, -2**31], "int32", False),
    "int_pow_huge": (lambda jnp: jnp.array([1, 2, 3], jnp.int32) ** 2**40, [1, 0, 1], "int32", False),
    "uint_pow_huge": (lambda jnp: jnp.array([1, 2, 3], jnp.uint8) ** 2**40, [1, 0, 1], "uint8", False),
    "float_pow_huge": (lambda jnp: jnp.array([1.0, 2.0]) ** 2**40, [1.0, np.inf], "float32", False),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", sorted(WRAPS))
def test_python_ints_cast_as_jax(name):
    fn, want, dtype, weak = WRAPS[name]
    for dev in DEVICES:
        with jax.default_device(dev):
            got = fn(jnp)
            assert (got.dtype.name, got.weak_type) == (dtype, weak), dev
            np.testing.assert_array_equal(np.asarray(got), np.asarray(want, dtype))
            jitted = jax.jit(lambda: fn(jnp))()
            np.testing.assert_array_equal(np.asarray(jitted), np.asarray(want, dtype))


@needs_jax
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", sorted(WRAPS))
def test_python_int_records_are_jax(name):
    fn, want, dtype, weak = WRAPS[name]
    got = fn(real_jnp)
    assert (got.dtype.name, got.weak_type) == (dtype, weak)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want, dtype))


def test_fill_outside_int64_raises_as_jax():
    with pytest.raises(OverflowError):
        jnp.full(2, 2**64)


# ---- take's clip mode with negative indices ------------------------------------------------------

def test_take_clip_negative_indices():
    # JAX 0.10.2: take's "clip" clamps the raw index (no wrapping of negatives); take_along_axis
    # and .at[].get wrap negatives first, then clamp.
    x, idx = jnp.array([10.0, 20.0, 30.0]), jnp.array([5, -1, -5])
    for dev in DEVICES:
        with jax.default_device(dev):
            for f in (lambda x, i: jnp.take(x, i, mode="clip"), jax.jit(lambda x, i: jnp.take(x, i, mode="clip"))):
                np.testing.assert_array_equal(np.asarray(f(x, idx)), [30.0, 10.0, 10.0])
            np.testing.assert_array_equal(np.asarray(jnp.take_along_axis(x, idx, 0, mode="clip")), [30.0, 30.0, 10.0])
            np.testing.assert_array_equal(np.asarray(x.at[idx].get(mode="clip")), [30.0, 30.0, 10.0])


# ---- weak types of gradients with respect to Python floats ---------------------------------------

@pytest.mark.parametrize("name,fn,want", [
    ("unused", lambda: jax.grad(lambda x, y: y * 2.0)(1.0, 3.0), True),
    ("unused_both", lambda: jax.grad(lambda x, y: y * 2.0, argnums=(0, 1))(1.0, 3.0), (True, True)),
    ("constant", lambda: jax.grad(lambda x: 2.0)(1.0), True),
    ("used", lambda: jax.grad(lambda x: 2.0 * x)(1.0), True),
    ("jit_of_grad", lambda: jax.jit(jax.grad(lambda x, y: y * 2.0))(1.0, 3.0), True),
    ("grad_of_jit", lambda: jax.grad(jax.jit(lambda x, y: y * 2.0))(1.0, 3.0), True),
    ("stop_gradient", lambda: jax.grad(lambda x: lax.stop_gradient(x))(1.0), True),
    ("strong_input", lambda: jax.grad(lambda x, y: y * 2.0)(jnp.float32(1.0), 3.0), False),
])
def test_grad_weak_types(name, fn, want):
    got = fn()
    weak = tuple(g.weak_type for g in got) if isinstance(got, tuple) else got.weak_type
    assert weak == want
    assert all(g.dtype == np.float32 for g in (got if isinstance(got, tuple) else (got,)))


# ---- vmap axis names are per thread ---------------------------------------------------------------

@pytest.mark.skipif(sys.platform == "emscripten", reason="Pyodide has no threads")
def test_vmap_axis_names_per_thread():
    results, errors = {}, []
    barrier = threading.Barrier(3)

    def run(k):
        try:
            name = f"axis{k}"
            f = jax.vmap(lambda x: jax.jit(lambda y: lax.psum(y, name))(x), axis_name=name)
            barrier.wait()
            results[k] = [float(f(jnp.arange(4.0) * (k + 1))[0]) for _ in range(10)]
        except Exception as e:  # reported below, with its thread
            errors.append((k, e))

    threads = [threading.Thread(target=run, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert results == {k: [6.0 * (k + 1)] * 10 for k in range(3)}
