"""cond / switch / scan / fori_loop / while_loop / map / associative_scan and their derivatives."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import lax

from conftest import assert_close, needs_jax, numerical_grad, real_jax, real_jnp


def test_cond_switch_values():
    assert float(lax.cond(True, lambda x: x + 1, lambda x: x - 1, 1.0)) == 2.0
    assert float(lax.cond(jnp.array(0), lambda x: x + 1, lambda x: x - 1, 1.0)) == 0.0
    branches = [lambda x: x * 0, lambda x: x * 10, lambda x: x * 100]
    assert [float(lax.switch(i, branches, 2.0)) for i in (-5, 1, 2, 9)] == [0.0, 20.0, 200.0, 200.0]
    assert float(jax.jit(lambda i, x: lax.switch(i, branches, x))(1, 3.0)) == 30.0


def test_cond_type_errors():
    with pytest.raises(TypeError, match="must have identical types"):
        lax.cond(True, lambda x: x, lambda x: jnp.stack([x, x]), 1.0)
    with pytest.raises(TypeError, match="Pred must be a scalar"):
        lax.cond(jnp.ones(2) > 0, lambda x: x, lambda x: x, 1.0)


@pytest.mark.parametrize("x", [0.7, -0.4])
def test_cond_grads_eager_jit_vmap(x):
    f = lambda v: lax.cond(v > 0, lambda a: jnp.sin(a) * a, lambda a: a ** 3, v)  # noqa: E731
    want = float(numerical_grad(lambda v: float(f(jnp.asarray(v))), np.float32(x)))
    assert abs(float(jax.grad(f)(x)) - want) < 1e-2
    assert abs(float(jax.jit(jax.grad(f))(x)) - want) < 1e-2
    xs = jnp.array([0.7, -0.4, 1.5])
    batched = jax.vmap(jax.grad(f))(xs)
    assert_close(batched, jnp.stack([jax.grad(f)(v) for v in [0.7, -0.4, 1.5]]))


def _rnn(np_mod, lax_mod, W, xs, h0):
    def step(h, x):
        h = np_mod.tanh(h @ W + x)
        return h, h.sum()
    h, ys = lax_mod.scan(step, h0, xs)
    return h.sum() + (ys * np_mod.arange(ys.shape[0])).sum()


@needs_jax
def test_scan_rnn_and_grads_match_jax(rng):
    W = (rng.standard_normal((4, 4)) * 0.5).astype(np.float32)
    xs = rng.standard_normal((7, 4)).astype(np.float32)
    h0 = rng.standard_normal(4).astype(np.float32)
    ours = lambda W, xs, h0: _rnn(jnp, lax, W, xs, h0)  # noqa: E731
    theirs = lambda W, xs, h0: _rnn(real_jnp, real_jax.lax, W, xs, h0)  # noqa: E731
    assert_close(ours(W, xs, h0), theirs(W, xs, h0), rtol=1e-5)
    g = jax.grad(ours, argnums=(0, 1, 2))(W, xs, h0)
    rg = real_jax.grad(theirs, argnums=(0, 1, 2))(W, xs, h0)
    assert_close(g, rg, rtol=1e-4, atol=1e-5)
    assert_close(jax.jit(jax.grad(ours, argnums=(0, 1, 2)))(W, xs, h0), rg, rtol=1e-4, atol=1e-5)
    assert_close(jax.jvp(lambda w: ours(w, xs, h0), (W,), (W,)), real_jax.jvp(lambda w: theirs(w, xs, h0), (W,), (W,)),
                 rtol=1e-4, atol=1e-5)
    batched = jax.vmap(ours, in_axes=(None, 0, None))(W, jnp.stack([xs, xs * 2]), h0)
    assert_close(batched, real_jax.vmap(theirs, in_axes=(None, 0, None))(W, np.stack([xs, xs * 2]), h0), rtol=1e-5)


def test_scan_reverse_length_and_pytrees():
    def step(c, x):
        return {"s": c["s"] + x["a"]}, (c["s"], x["a"] * 2)
    c, (ys, zs) = lax.scan(step, {"s": 0.0}, {"a": jnp.arange(4.0)}, reverse=True)
    assert float(c["s"]) == 6.0 and ys.tolist() == [6.0, 5.0, 3.0, 0.0] and zs.tolist() == [0, 2, 4, 6]
    c, ys = lax.scan(lambda c, _: (c + 1, c), 0, None, length=3)
    assert int(c) == 3 and ys.tolist() == [0, 1, 2]
    with pytest.raises(TypeError, match="carry"):
        lax.scan(lambda c, x: (jnp.stack([c, c]), x), 0.0, jnp.ones(3))


def test_fori_loop_static_is_reverse_differentiable():
    f = lambda x: lax.fori_loop(0, 5, lambda i, c: c * x + i, 1.0)  # noqa: E731
    want = numerical_grad(lambda v: float(f(jnp.asarray(v))), np.float32(1.1))
    assert abs(float(jax.grad(f)(1.1)) - float(want)) < 2e-2


def test_while_loop_forward_mode_and_errors():
    def f(x):
        return lax.while_loop(lambda c: c[1] < 5, lambda c: (c[0] * x, c[1] + 1), (1.0, 0))[0]
    assert abs(float(f(2.0)) - 32.0) < 1e-6
    _, t = jax.jvp(f, (2.0,), (1.0,))
    assert abs(float(t) - 5 * 2.0 ** 4) < 1e-4  # d/dx x^5
    with pytest.raises(ValueError, match="Reverse-mode differentiation does not work for lax.while_loop"):
        jax.grad(f)(2.0)
    with pytest.raises(TypeError, match="cond_fun must return a boolean scalar"):
        lax.while_loop(lambda c: c, lambda c: c, 1.0)


def test_while_loop_vmap_with_batched_predicate():
    def collatz_steps(n):
        def body(c):
            n, k = c
            return jnp.where(n % 2 == 0, n // 2, 3 * n + 1), k + 1
        return lax.while_loop(lambda c: c[0] != 1, body, (n, 0))[1]
    ns = jnp.array([1, 2, 3, 6, 7, 27])
    assert jax.vmap(collatz_steps)(ns).tolist() == [0, 1, 7, 8, 16, 111]
    assert jax.jit(jax.vmap(collatz_steps))(ns).tolist() == [0, 1, 7, 8, 16, 111]


def test_map_and_associative_scan(rng):
    xs = rng.standard_normal((5, 3)).astype(np.float32)
    assert_close(lax.map(lambda r: jnp.sum(r ** 2), xs), (xs ** 2).sum(1), rtol=1e-5)
    assert_close(lax.map(lambda r: r * 2, xs, batch_size=2), xs * 2)
    for n in (1, 2, 5, 8):
        v = rng.standard_normal(n).astype(np.float32)
        assert_close(lax.associative_scan(jnp.add, v), np.cumsum(v), rtol=1e-5, atol=1e-5)
        assert_close(lax.associative_scan(jnp.maximum, v, reverse=True), np.maximum.accumulate(v[::-1])[::-1])


@pytest.mark.parametrize("shape,axis", [((3, 5), 1), ((2, 8), 1), ((5, 3), 0), ((1, 1), 1)])
def test_associative_scan_under_jit_any_length(shape, axis):
    # odd lengths concatenate an empty slice: kernels must not read it (it divided by zero on wasm)
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    got = jax.jit(lambda v: lax.associative_scan(lax.add, v, axis=axis))(jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(got), np.cumsum(x, axis=axis), rtol=1e-6)
    got = jax.jit(lambda a, b: jnp.concatenate([a, b[:, :0], a], axis=1))(jnp.asarray(x), jnp.asarray(x))
    np.testing.assert_array_equal(np.asarray(got), np.concatenate([x, x], axis=1))


@needs_jax
@pytest.mark.parametrize("case", ["scan", "fori", "fori_traced", "while", "while_tuple", "strong_int", "scan_f16"])
def test_weakly_typed_initial_carries_are_promoted_as_jax(case):
    """`fori_loop(0, n, body, 0)` with a float body: JAX converts a weak initial carry to the type
    of the body's output (strongly typed) and re-traces; strong carries still raise TypeError."""
    def program(jax, jnp):
        lax = jax.lax
        return {
            "scan": lambda: lax.scan(lambda c, x: (c + x, c), 0, jnp.arange(3.0)),
            "fori": lambda: lax.fori_loop(0, 3, lambda i, c: c + 0.5, 0),
            "fori_traced": lambda: jax.jit(lambda n: lax.fori_loop(0, n, lambda i, c: c * 1.5, 1))(3),
            "while": lambda: lax.while_loop(lambda c: c < 3, lambda c: c + 1.0, 0),
            "while_tuple": lambda: lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * 1.5), (0, 1)),
            "strong_int": lambda: lax.fori_loop(0, 3, lambda i, c: c + 0.5, jnp.int32(0)),
            "scan_f16": lambda: lax.scan(lambda c, x: (c + x, None), jnp.float16(0), jnp.arange(3.0)),
        }[case]

    def run(jax, jnp):
        try:
            out = program(jax, jnp)()
        except TypeError:
            return TypeError
        return [(np.asarray(v), v.dtype, v.weak_type) for v in jax.tree_util.tree_leaves(out)]

    want, got = run(real_jax, real_jnp), run(jax, jnp)
    if want is TypeError:
        assert got is TypeError
        return
    assert [(d, w) for _, d, w in got] == [(d, w) for _, d, w in want]
    for (a, _, _), (b, _, _) in zip(got, want):
        np.testing.assert_allclose(a, b)
