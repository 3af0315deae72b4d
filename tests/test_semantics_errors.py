"""Bad input raises as JAX does (issue 12): Python ints that do not fit their dtype
(OverflowError, item 2) and tracers leaked out of vmap/grad/jit (UnexpectedTracerError at first
use, item 5). Each case compared with JAX's exception type and message words."""

from __future__ import annotations

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from conftest import needs_jax, real_jax, real_jnp

DEVICES = [d for d in jax.devices() if d.platform in ("cpu", "wasm", "webgpu")]

# name -> (fn(jnp, jax), exception, words in both messages)
OVERFLOW = {
    "array_scalar": (lambda jnp, jax: jnp.array(2**40), "1099511627776"),
    "array_int32_edge": (lambda jnp, jax: jnp.array(2**31), "2147483648"),
    "array_negative": (lambda jnp, jax: jnp.array(-2**31 - 1), "-2147483649"),
    "array_list": (lambda jnp, jax: jnp.array([1, 2**33 + 5]), "8589934597"),
    "array_nested": (lambda jnp, jax: jnp.array([[1], [2**40]]), "1099511627776"),
    "asarray": (lambda jnp, jax: jnp.asarray(2**40), "1099511627776"),
    "explicit_int8": (lambda jnp, jax: jnp.array(300, dtype=jnp.int8), "300"),
    "explicit_uint8": (lambda jnp, jax: jnp.array(-1, dtype=jnp.uint8), "-1"),
    "explicit_list": (lambda jnp, jax: jnp.array([300], dtype=jnp.int8), "300"),
    "explicit_uint32": (lambda jnp, jax: jnp.array(2**32, dtype=jnp.uint32), "4294967296"),
    "scalar_type": (lambda jnp, jax: jnp.int8(300), "300"),
    "binary_op": (lambda jnp, jax: jnp.array([1, 2], jnp.int32) + 2**40, "1099511627776"),
    "binary_op_float": (lambda jnp, jax: jnp.array([1.0]) + 2**40, "1099511627776"),
    "jit_closure": (lambda jnp, jax: jax.jit(lambda v: v + 2**40)(jnp.ones(2, jnp.int32)), "1099511627776"),
    "jit_argument": (lambda jnp, jax: jax.jit(lambda v: v)(2**40), "1099511627776"),
    "comparison": (lambda jnp, jax: jnp.array([1], jnp.int32) == 2**40, "1099511627776"),
    "device_put": (lambda jnp, jax: jax.device_put(2**40), "1099511627776"),
    "at_set": (lambda jnp, jax: jnp.array([1, 2]).at[0].set(2**40), "1099511627776"),
}

# Values that fit (or are not Python ints) convert as in JAX, wrapping only where JAX wraps.
FITS = {
    "int32_min": lambda jnp, jax: jnp.array(-2**31),
    "uint32_max": lambda jnp, jax: jnp.array(2**32 - 1, dtype=jnp.uint32),
    "float_target": lambda jnp, jax: jnp.array(2**40, dtype=jnp.float32),
    "weak_then_narrow": lambda jnp, jax: jnp.array([1], jnp.int8) + 300,
    "unsigned_weak": lambda jnp, jax: jnp.array([1], jnp.uint8) - 256,
    "mul_min": lambda jnp, jax: jnp.array([1, 2], jnp.int32) * -2**31,
}


@needs_jax
@pytest.mark.parametrize("name", sorted(OVERFLOW))
def test_overflow_matches_jax(name):
    fn, words = OVERFLOW[name]
    with pytest.raises(OverflowError) as want:
        fn(real_jnp, real_jax)
    assert words in str(want.value)
    for dev in DEVICES:
        with jax.default_device(dev), pytest.raises(OverflowError) as got:
            fn(jnp, jax)
        assert words in str(got.value), (dev, str(got.value))


@needs_jax
@pytest.mark.parametrize("name", sorted(FITS))
def test_ints_that_fit_match_jax(name):
    want = FITS[name](real_jnp, real_jax)
    for dev in DEVICES:
        with jax.default_device(dev):
            got = FITS[name](jnp, jax)
        assert got.dtype == want.dtype and got.weak_type == want.weak_type
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


# Recorded (JAX 0.10.2): the examples, also where the oracle is absent.
def test_overflow_recorded():
    for fn in (lambda: jnp.array(2**40), lambda: jnp.array([1, 2**33 + 5]),
               lambda: jnp.ones(2, jnp.int32) + 2**40, lambda: jnp.array(300, dtype=jnp.int8)):
        with pytest.raises(OverflowError):
            fn()
    assert jnp.array(-2**31).tolist() == -2**31


TRANSFORMS = {"jit": lambda f: jax.jit(f), "vmap": lambda f: jax.vmap(f), "grad": lambda f: jax.grad(f)}
USES = {
    "add": lambda t: t + 1.0,
    "sin": lambda t: jnp.sin(t),
    "in_jit": lambda t: jax.jit(lambda y: y + t)(jnp.ones(3)),
    "in_grad": lambda t: jax.grad(lambda y: jnp.sum(y * t))(jnp.ones(3)),
    "in_vmap": lambda t: jax.vmap(lambda y: y * t)(jnp.ones((2, 3))),
}


@pytest.mark.parametrize("use", sorted(USES))
@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
def test_leaked_tracer_raises_at_first_use(transform, use):
    leaked = []

    def f(x):
        leaked.append(x)
        return jnp.sum(x * 2.0)

    TRANSFORMS[transform](f)(jnp.ones(3))
    with pytest.raises(jax.errors.UnexpectedTracerError, match="escape the scope of the transformation"):
        USES[use](leaked[0])


@needs_jax
def test_leaked_tracer_error_type_matches_jax():
    leaked = []
    real_jax.vmap(lambda x: leaked.append(x) or x)(real_jnp.ones(3))
    with pytest.raises(real_jax.errors.UnexpectedTracerError, match="escape the scope of the transformation"):
        leaked[0] + 1


# jax_debug_nans / jax_debug_infs: FloatingPointError naming the primitive, eager and under jit.
DEBUG_CASES = {
    "eager_log": ("jax_debug_nans", lambda jnp, jax, x: jnp.log(x), "invalid value (nan) encountered in log"),
    "eager_div": ("jax_debug_nans", lambda jnp, jax, x: (x - x) / (x - x), "invalid value (nan) encountered in div"),
    "jit_log": ("jax_debug_nans", lambda jnp, jax, x: jax.jit(lambda v: jnp.sin(v) + jnp.log(v))(x),
                "invalid value (nan) encountered in log"),
    "jit_inf": ("jax_debug_infs", lambda jnp, jax, x: jax.jit(lambda v: jnp.exp(v * 1000.0) * 2.0)(x),
                "invalid value (inf) encountered in exp"),
    "eager_inf": ("jax_debug_infs", lambda jnp, jax, x: 1.0 / (x + 1.0), "invalid value (inf) encountered in div"),
}
FINE = {  # the flags leave these alone
    "jax_debug_nans": lambda jnp, jax, x: (1.0 / (x + 1.0), jax.grad(lambda v: jnp.sqrt(v))(0.0),
                                           jnp.array([1, 2]) // 0),
}


def _with_flag(cfg, flag, fn):
    cfg.update(flag, True)
    try:
        return fn()
    finally:
        cfg.update(flag, False)


def _debug_input(jnp):
    return jnp.array([-1.0, 1.0])


@pytest.mark.parametrize("dev", DEVICES, ids=lambda d: d.platform)
@pytest.mark.parametrize("name", sorted(DEBUG_CASES))
def test_debug_nans_infs_name_the_primitive(name, dev):
    flag, fn, words = DEBUG_CASES[name]
    with jax.default_device(dev):
        x = _debug_input(jnp)
        with pytest.raises(FloatingPointError) as got:
            _with_flag(jax.config, flag, lambda: fn(jnp, jax, x))
        assert words in str(got.value)
        assert np.isnan(np.asarray(fn(jnp, jax, x))).any() or np.isinf(np.asarray(fn(jnp, jax, x))).any()
        for flag, fine in FINE.items():
            _with_flag(jax.config, flag, lambda: fine(jnp, jax, x))


# JAX itself skips the eager jax_debug_infs check of `div` once that executable was compiled earlier
# in the process (seen in the full suite, never in this file alone), so the oracle check leaves
# eager_inf out; jaxlite's own test above still checks it.
@needs_jax
@pytest.mark.parametrize("name", sorted(set(DEBUG_CASES) - {"eager_inf"}))
def test_debug_nans_infs_match_jax(name):
    flag, fn, words = DEBUG_CASES[name]
    real_jax.clear_caches()  # JAX's checks depend on which executables earlier tests compiled
    x = _debug_input(real_jnp)
    with pytest.raises(FloatingPointError) as want:
        _with_flag(real_jax.config, flag, lambda: fn(real_jnp, real_jax, x))
    assert words in str(want.value)
    _with_flag(real_jax.config, "jax_debug_nans", lambda: FINE["jax_debug_nans"](real_jnp, real_jax, x))


def test_unknown_config_option_raises():
    with pytest.raises(AttributeError, match="Unrecognized config option: jax_no_such_option"):
        jax.config.update("jax_no_such_option", True)


@needs_jax
@pytest.mark.parametrize("traced", [False, True])
def test_item_assignment_raises_jaxs_type_error(traced):
    def assign(x):
        x[0] = 1
        return x

    errors = []
    for lib, np_ in ((jax, jnp), (real_jax, real_jnp)):
        f = lib.jit(assign) if traced else assign
        with pytest.raises(TypeError) as e:
            f(np_.ones(3))
        errors.append(str(e.value))
    assert errors[0] == errors[1]
