"""grad / jvp / vjp / linearize / jacobians / vmap / jit / custom derivatives against JAX."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import lax

from conftest import assert_close, needs_jax, numerical_grad, real_jax, real_jnp


def f_mod(np_mod, x, y):
    return np_mod.sum(np_mod.tanh(x * y) ** 2 + np_mod.sin(x) / (1.0 + y * y)) + np_mod.max(x)


@pytest.fixture
def xy(rng):
    return rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((3, 4)).astype(np.float32)


@needs_jax
def test_grad_value_and_grad_argnums_has_aux(xy):
    x, y = xy
    g = jax.grad(lambda a, b: f_mod(jnp, a, b), argnums=(0, 1))(x, y)
    assert_close(g, real_jax.grad(lambda a, b: f_mod(real_jnp, a, b), argnums=(0, 1))(x, y))
    (v, aux), g1 = jax.value_and_grad(lambda a: (f_mod(jnp, a, y), {"n": a.sum()}), has_aux=True)(x)
    (rv, raux), rg1 = real_jax.value_and_grad(lambda a: (f_mod(real_jnp, a, y), {"n": a.sum()}), has_aux=True)(x)
    assert_close((v, aux, g1), (rv, raux, rg1))


def test_grad_against_finite_differences(xy):
    x, y = xy
    g = jax.grad(lambda a: f_mod(jnp, a, y))(x)
    np.testing.assert_allclose(np.asarray(g), numerical_grad(lambda a: f_mod(np, a.astype(np.float64), y), x),
                               rtol=2e-2, atol=2e-2)


@needs_jax
def test_jvp_vjp_linearize(xy):
    x, y = xy
    f = lambda a: jnp.sin(a) * a[::-1]  # noqa: E731
    rf = lambda a: real_jnp.sin(a) * a[::-1]  # noqa: E731
    assert_close(jax.jvp(f, (x,), (y,)), real_jax.jvp(rf, (x,), (y,)))
    out, f_vjp = jax.vjp(f, x)
    rout, rf_vjp = real_jax.vjp(rf, x)
    assert_close((out, f_vjp(y)), (rout, rf_vjp(y)))
    out, f_lin = jax.linearize(f, x)
    assert_close(f_lin(y), real_jax.linearize(rf, x)[1](y))


@needs_jax
def test_jacobians_and_hessian(xy):
    x, _ = xy
    v = x[0]
    f = lambda a: jnp.tanh(a) * jnp.sum(a ** 2)  # noqa: E731
    rf = lambda a: real_jnp.tanh(a) * real_jnp.sum(a ** 2)  # noqa: E731
    assert_close(jax.jacfwd(f)(v), real_jax.jacfwd(rf)(v), rtol=1e-4, atol=1e-5)
    assert_close(jax.jacrev(f)(v), real_jax.jacrev(rf)(v), rtol=1e-4, atol=1e-5)
    s = lambda a: jnp.sum(jnp.sin(a) ** 3) + a[0] * a[1]  # noqa: E731
    rs = lambda a: real_jnp.sum(real_jnp.sin(a) ** 3) + a[0] * a[1]  # noqa: E731
    assert_close(jax.hessian(s)(v), real_jax.hessian(rs)(v), rtol=1e-4, atol=1e-5)
    # pytree in, pytree out
    g = jax.jacrev(lambda d: {"o": d["a"] * d["b"]})({"a": v, "b": v + 1})
    rg = real_jax.jacrev(lambda d: {"o": d["a"] * d["b"]})({"a": v, "b": v + 1})
    assert_close(g, rg)


@needs_jax
def test_vmap_axes_pytrees_and_nesting(rng):
    x = rng.standard_normal((5, 3)).astype(np.float32)
    w = rng.standard_normal((3, 2)).astype(np.float32)
    f = lambda d, w: jnp.tanh(d["x"] @ w) + d["b"]  # noqa: E731
    rf = lambda d, w: real_jnp.tanh(d["x"] @ w) + d["b"]  # noqa: E731
    b = np.float32(0.5)
    out = jax.vmap(f, in_axes=({"x": 0, "b": None}, None), out_axes=1)({"x": x, "b": b}, w)
    rout = real_jax.vmap(rf, in_axes=({"x": 0, "b": None}, None), out_axes=1)({"x": x, "b": b}, w)
    assert_close(out, rout)
    nested = jax.vmap(jax.vmap(lambda a, c: a * c, in_axes=(0, None)), in_axes=(None, 0))(x[0], x[:, 0])
    assert_close(nested, real_jax.vmap(real_jax.vmap(lambda a, c: a * c, in_axes=(0, None)), in_axes=(None, 0))(x[0], x[:, 0]))
    assert_close(jax.vmap(lambda a: a.sum(), in_axes=1)(x), x.sum(0))


def test_vmap_errors():
    with pytest.raises(ValueError, match="inconsistent sizes"):
        jax.vmap(lambda a, b: a + b)(jnp.ones(3), jnp.ones(4))
    with pytest.raises(ValueError, match="at least one non-None"):
        jax.vmap(lambda a: a, in_axes=None)(jnp.ones(3))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(1, 3), st.integers(0, 1), st.sampled_from(["tanh", "cumsum", "dot", "index"]))
def test_vmap_equals_loop(n, m, axis, op):
    rng = np.random.default_rng(n * 10 + m)
    x = rng.standard_normal((n, m) if axis == 0 else (m, n)).astype(np.float32)
    w = rng.standard_normal((m, 2)).astype(np.float32)
    fns = {"tanh": lambda v: jnp.tanh(v) * v.sum(), "cumsum": lambda v: jnp.cumsum(v[::-1]),
           "dot": lambda v: v @ w, "index": lambda v: v[jnp.array([0, -1])] * 2}
    f = fns[op]
    batched = jax.vmap(f, in_axes=axis)(x)
    rows = [f(jnp.asarray(np.take(x, i, axis))) for i in range(n)]
    np.testing.assert_allclose(np.asarray(batched), np.stack([np.asarray(r) for r in rows]), rtol=1e-5, atol=1e-6)


def test_jit_caches_per_signature_and_statics():
    calls = []

    def f(x, n):
        calls.append(1)
        return x * n

    jf = jax.jit(f, static_argnums=1)
    assert jf(jnp.ones(3), 2).tolist() == [2, 2, 2]
    jf(jnp.ones(3) * 5, 2)
    assert len(calls) == 1
    jf(jnp.ones(4), 2)
    jf(jnp.ones(3), 3)
    assert len(calls) == 3 and jf._cache_size() == 3
    jg = jax.jit(lambda x, *, scale: x * scale, static_argnames="scale")
    assert jg(jnp.ones(2), scale=4).tolist() == [4, 4]
    with pytest.raises(ValueError, match="Non-hashable static arguments"):
        jf(jnp.ones(3), [1])


def test_jit_pytrees_and_python_outputs():
    @jax.jit
    def f(d):
        return {"s": d["a"] + d["b"], "t": (d["a"] * 2, 3.0)}

    out = f({"a": jnp.ones(2), "b": jnp.arange(2.0)})
    assert out["s"].tolist() == [1, 2] and out["t"][0].tolist() == [2, 2] and float(out["t"][1]) == 3.0


def test_make_jaxpr_and_eval_shape():
    jaxpr = jax.make_jaxpr(lambda x: jnp.sin(x) * 2)(jnp.ones(3))
    text = str(jaxpr)
    assert text.startswith("{ lambda ; a:f32[3]. let") and "sin a" in text and "mul" in text
    out = jax.eval_shape(lambda x: (x @ x.T, x.sum()), jax.ShapeDtypeStruct((4, 2), jnp.float32))
    assert out[0].shape == (4, 4) and out[1].shape == () and out[1].dtype == np.float32


def test_linear_transpose_and_stop_gradient():
    t = jax.linear_transpose(lambda x: jnp.stack([x, 2 * x]).sum(0) * 3, jnp.ones(2))
    assert t(jnp.array([1.0, 2.0]))[0].tolist() == [9.0, 18.0]
    assert float(jax.grad(lambda x: x * lax.stop_gradient(x))(3.0)) == 3.0


def test_custom_jvp_and_vjp_under_jit_vmap_grad():
    @jax.custom_jvp
    def f(x):
        return jnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return f(x), 100.0 * t  # deliberately not cos(x): proves the rule is used

    assert float(jax.grad(f)(0.3)) == 100.0
    assert float(jax.jit(jax.grad(f))(0.3)) == 100.0
    assert float(jax.grad(jax.jit(f))(0.3)) == 100.0
    assert jax.vmap(jax.grad(f))(jnp.ones(3)).tolist() == [100.0] * 3

    @jax.custom_vjp
    def g(x, y):
        return x * y

    g.defvjp(lambda x, y: (x * y, (x, y)), lambda res, ct: (ct * 7.0, ct * res[0]))
    gx, gy = jax.grad(g, argnums=(0, 1))(2.0, 5.0)
    assert (float(gx), float(gy)) == (7.0, 2.0)
    assert jax.jit(jax.vmap(jax.grad(g)))(jnp.ones(2), jnp.ones(2)).tolist() == [7.0, 7.0]
    with pytest.raises(TypeError, match="forward-mode"):
        jax.jvp(lambda x: g(x, 1.0), (1.0,), (1.0,))


def test_checkpoint_matches_plain_grad(xy):
    x, y = xy
    f = lambda a: jnp.sum(jnp.sin(jnp.cos(a) * y))  # noqa: E731
    assert_close(jax.grad(jax.checkpoint(f))(x), jax.grad(f)(x))
    assert_close(jax.jit(jax.grad(jax.checkpoint(f)))(x), jax.grad(f)(x))


def test_concretization_errors():
    with pytest.raises(jax.errors.TracerBoolConversionError):
        jax.jit(lambda x: 1 if x > 0 else 2)(1.0)
    with pytest.raises(jax.errors.ConcretizationTypeError):
        jax.jit(lambda x: int(x))(1.0)
    with pytest.raises(jax.errors.TracerArrayConversionError):
        jax.jit(lambda x: np.asarray(x))(1.0)
    with pytest.raises(jax.errors.TracerIntegerConversionError):
        jax.jit(lambda x: [1, 2][x])(1)


def test_leaked_tracer_is_reported():
    leaked = []

    @jax.jit
    def f(x):
        leaked.append(x)
        return x

    f(1.0)
    with pytest.raises(jax.errors.UnexpectedTracerError):
        jax.jit(lambda y: y + leaked[0])(1.0)


def test_grad_input_and_output_checks():
    with pytest.raises(TypeError, match="grad requires real- or complex-valued inputs"):
        jax.grad(lambda x: x * 1.0)(1)
    with pytest.raises(TypeError, match="grad requires scalar output"):
        jax.grad(lambda x: x * 2)(jnp.ones(3))


def test_jvp_argument_checks():
    with pytest.raises(TypeError, match="tuples or lists"):
        jax.jvp(jnp.sin, 1.0, 1.0)
    with pytest.raises(ValueError, match="different primal and tangent shapes"):
        jax.jvp(jnp.sin, (jnp.ones(2),), (jnp.ones(3),))
