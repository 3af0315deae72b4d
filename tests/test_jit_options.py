"""jit's options besides the static arguments: donate_argnums/donate_argnames (checked, donation
itself a documented no-op), keep_unused, device/backend (deprecated in JAX 0.10 but still
honoured), inline. Each error case records JAX 0.10.2's exception type and words of its message
and runs on JAX too where the oracle is installed."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from conftest import assert_close, needs_jax, real_jax, real_jnp


def _f(x, y):
    return jnp.sin(x) * y + 1.0


def _prims(closed) -> list[str]:
    return [e.primitive.name for e in closed.jaxpr.eqns]


# name -> (make(jax), JAX's exception type, words found in both messages)
ERRORS = {
    "donate_argnames_unknown": (lambda jax: jax.jit(_f, donate_argnames="z"), ValueError,
                                "invalid argnames {'z'} in donate_argnames"),
    "donate_argnames_static": (lambda jax: jax.jit(_f, donate_argnames="x", static_argnames="x"), ValueError,
                               "static_argnames and donate_argnames cannot intersect"),
    "donate_argnums_static": (lambda jax: jax.jit(_f, donate_argnums=1, static_argnums=1), ValueError,
                              "cannot intersect"),
    "donate_decorator_form": (lambda jax: jax.jit(donate_argnames="z")(_f), ValueError, "donate_argnames"),
    "device_and_backend": (lambda jax: jax.jit(_f, device=jax.devices("cpu")[0], backend="cpu"), ValueError,
                           "can't specify both a device and a backend for jit"),
    "unknown_backend": (lambda jax: jax.jit(_f, backend="tpu")(1.0, 2.0), RuntimeError, "tpu"),
    "abstracted_axes": (lambda jax: jax.jit(_f, abstracted_axes=("n",)), TypeError, "abstracted_axes"),
}


def _raises(jax_mod, case):
    make, exc, words = ERRORS[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(exc) as info:
            make(jax_mod)
    assert words in str(info.value), str(info.value)


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_option_errors_as_jax(case):
    _raises(jax, case)


@needs_jax
@pytest.mark.parametrize("case", sorted(ERRORS))
def test_option_errors_recorded_from_jax(case):
    _raises(real_jax, case)


def test_donation_is_checked_and_values_unchanged():
    x, y = jnp.arange(4.0), jnp.float32(3.0)
    want = _f(x, y)
    for opts in (dict(donate_argnums=0), dict(donate_argnums=(0, 1)), dict(donate_argnames="y"),
                 dict(donate_argnames=("x", "y"), static_argnums=())):
        got = jax.jit(_f, **opts)(x, y=y) if "donate_argnames" in opts else jax.jit(_f, **opts)(x, y)
        assert_close(got, want)
    # documented difference: jaxlite does not delete the donated array
    assert_close(x, np.arange(4.0, dtype=np.float32))


def test_keep_unused_and_donation_under_transformations():
    def g(x, unused):
        return jnp.sum(jnp.sin(x) ** 2)

    x = jnp.linspace(-1.0, 1.0, 5)
    for opts in (dict(keep_unused=True), dict(keep_unused=False), dict(donate_argnums=0)):
        f = jax.jit(g, **opts)
        assert_close(f(x, 7.0), g(x, 7.0))
        assert_close(jax.grad(f)(x, 7.0), 2 * np.sin(np.asarray(x)) * np.cos(np.asarray(x)))
        assert_close(jax.vmap(f, in_axes=(0, None))(jnp.stack([x, 2 * x]), 7.0),
                     np.array([g(x, 7.0), g(2 * x, 7.0)]))


def test_inline_puts_the_equations_into_the_callers_jaxpr():
    inner = jax.jit(lambda a, b: jnp.sin(a) * b, inline=True)
    outer = jax.make_jaxpr(lambda x: inner(x, 2.0) + 1.0)(1.0)
    assert "pjit" not in _prims(outer) and "sin" in _prims(outer)
    plain = jax.make_jaxpr(lambda x: jax.jit(lambda a, b: jnp.sin(a) * b)(x, 2.0) + 1.0)(1.0)
    assert "pjit" in _prims(plain)
    # the same values, derivatives and batches as without inlining, eagerly and under jit
    x = jnp.array([0.5, 1.5], jnp.float32)
    assert_close(inner(x, 2.0), jnp.sin(x) * 2.0)
    assert_close(jax.jit(lambda x: inner(x, 2.0))(x), jnp.sin(x) * 2.0)
    assert_close(jax.grad(lambda x: inner(x, 3.0))(0.5), np.float32(3 * np.cos(0.5)))
    assert_close(jax.vmap(lambda x: inner(x, 2.0))(x), jnp.sin(x) * 2.0)
    assert inner(1.0, 2.0).weak_type == (jnp.sin(1.0) * 2.0).weak_type


@needs_jax
def test_inline_jaxpr_matches_jax():
    def build(jax_mod, np_mod, inline):
        inner = jax_mod.jit(lambda a, b: np_mod.sin(a) * b, inline=inline)
        return [e.primitive.name for e in jax_mod.make_jaxpr(lambda x: inner(x, 2.0) + 1.0)(1.0).jaxpr.eqns]

    for inline in (True, False):
        ours = ["jit" if p == "pjit" else p for p in build(jax, jnp, inline)]
        assert ours == build(real_jax, real_jnp, inline), inline


@pytest.mark.parametrize("platform", sorted({d.platform for d in jax.devices()}))
def test_device_and_backend_pick_the_device(platform):
    dev = jax.devices(platform)[0]
    x = jnp.arange(3.0)
    for opts in (dict(device=dev), dict(backend=platform)):
        with pytest.warns(DeprecationWarning, match="backend and device argument on jit is deprecated"):
            f = jax.jit(_f, **opts)
        out = f(x, 2.0)
        assert out.devices() == {dev} and out.committed
        assert_close(out, _f(x, 2.0))
        assert_close(jax.grad(lambda v: jnp.sum(f(v, 2.0)))(x), 2.0 * np.cos(np.arange(3.0, dtype=np.float32)))


@needs_jax
def test_device_warning_and_commitment_match_jax():
    with pytest.warns(DeprecationWarning, match="backend and device argument on jit is deprecated"):
        f = real_jax.jit(lambda x: x + 1, backend="cpu")
    assert f(real_jnp.ones(2)).committed
