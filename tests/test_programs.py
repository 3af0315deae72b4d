"""The issue's acceptance programs, unmodified but for the imports, against real JAX."""

import numpy as np
import pytest

from conftest import assert_close, needs_jax, real_jax, real_jnp

import jaxlite
import jaxlite.numpy as ljnp


def _mlp_program(jax, jnp):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 8)).astype(np.float32)
    Y = (X @ rng.standard_normal((8, 1)).astype(np.float32) > 0).astype(np.float32)[:, 0]
    params = {"w1": rng.standard_normal((8, 16)).astype(np.float32) * 0.3, "b1": np.zeros(16, np.float32),
              "w2": rng.standard_normal((16,)).astype(np.float32) * 0.3, "b2": np.float32(0.0)}

    def loss(p, x, y):
        h = jnp.tanh(x @ p["w1"] + p["b1"])
        logits = h @ p["w2"] + p["b2"]
        return jnp.mean(jnp.logaddexp(0.0, logits) - y * logits)

    @jax.jit
    def step(p, x, y):
        l, g = jax.value_and_grad(loss)(p, x, y)
        return jax.tree_util.tree_map(lambda a, b: a - 0.5 * b, p, g), l

    losses = []
    for _ in range(30):
        params, l = step(params, X, Y)
        losses.append(l)
    per_example = jax.vmap(jax.grad(loss), in_axes=(None, 0, 0))(params, X[:5], Y[:5])
    return params, jnp.stack(losses), per_example


def _rnn_program(jax, jnp):
    rng = np.random.default_rng(1)
    W = rng.standard_normal((6, 6)).astype(np.float32) * 0.4
    xs = rng.standard_normal((10, 6)).astype(np.float32)

    def run(W, xs):
        def cell(h, x):
            h = jnp.tanh(W @ h + x)
            return h, jnp.sum(h ** 2)
        h, ys = jax.lax.scan(cell, jnp.zeros(6), xs)
        return jnp.sum(ys) + jnp.sum(h)

    return run(W, xs), jax.grad(run)(W, xs)


def _newton_program(jax, jnp):
    def f(x):
        return jnp.sum(jnp.exp(x) - 2 * x + 0.5 * x ** 2 * jnp.arange(1.0, 4.0))

    x = jnp.array([1.0, -1.0, 2.0])
    for _ in range(6):
        g = jax.grad(f)(x)
        H = jax.hessian(f)(x)
        x = x - g / jnp.diagonal(H)  # H is diagonal for this f (checked below)
        assert np.allclose(np.asarray(H) - np.diag(np.diagonal(np.asarray(H))), 0)
    return x, jax.grad(f)(x)


def _custom_vjp_program(jax, jnp):
    @jax.custom_vjp
    def clip_gradient(x, lo, hi):
        return x

    def fwd(x, lo, hi):
        return x, (lo, hi)

    def bwd(res, g):
        lo, hi = res
        return (jnp.clip(g, lo, hi), None, None)

    clip_gradient.defvjp(fwd, bwd)
    f = lambda x: jnp.sum(clip_gradient(x, -0.5, 0.5) * jnp.array([3.0, -0.1, 0.2]))  # noqa: E731
    return jax.grad(f)(jnp.array([1.0, 2.0, 3.0])), jax.jit(jax.grad(f))(jnp.array([1.0, 2.0, 3.0]))


PROGRAMS = [_mlp_program, _rnn_program, _newton_program, _custom_vjp_program]


@needs_jax
@pytest.mark.parametrize("program", PROGRAMS, ids=[p.__name__ for p in PROGRAMS])
def test_program_matches_jax(program):
    ours = program(jaxlite, ljnp)
    theirs = program(real_jax, real_jnp)
    assert_close(ours, theirs, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.__name__ for p in PROGRAMS])
def test_program_runs_and_is_sane(program):
    out = program(jaxlite, ljnp)
    for leaf in jaxlite.tree_util.tree_leaves(out):
        assert np.all(np.isfinite(np.asarray(leaf)))
    if program is _mlp_program:
        losses = np.asarray(out[1])
        assert losses[-1] < losses[0] * 0.8
    if program is _newton_program:
        assert np.abs(np.asarray(out[1])).max() < 1e-4
