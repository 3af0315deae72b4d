"""jaxlite.numpy against numpy: creation, elementwise, broadcasting, shapes, reductions, products."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import jaxlite as jax
import jaxlite.numpy as jnp

from conftest import assert_close


@st.composite
def broadcastable_shapes(draw):
    base = draw(st.lists(st.integers(1, 4), min_size=0, max_size=3))
    def variant():
        nd = draw(st.integers(0, len(base)))
        dims = base[len(base) - nd:]
        return tuple(1 if draw(st.booleans()) else d for d in dims)
    return variant(), variant()


@settings(max_examples=60, deadline=None)
@given(broadcastable_shapes(), st.sampled_from(["add", "multiply", "maximum", "arctan2", "where", "hypot"]))
def test_broadcasting_matches_numpy(shapes, op):
    rng = np.random.default_rng(sum(shapes[0]) + 7 * sum(shapes[1]))
    a = rng.uniform(0.5, 2, shapes[0]).astype(np.float32)
    b = rng.uniform(0.5, 2, shapes[1]).astype(np.float32)
    if op == "where":
        got, want = jnp.where(a > 1, a, b), np.where(a > 1, a, b)
    else:
        got, want = getattr(jnp, op)(a, b), getattr(np, op)(a, b)
    assert got.shape == want.shape
    np.testing.assert_allclose(np.asarray(got), want, rtol=2e-6, atol=1e-6)


def test_incompatible_broadcast_is_error():
    with pytest.raises(ValueError, match="Incompatible shapes for broadcasting"):
        jnp.ones((2, 3)) + jnp.ones((4,))
    # as JAX: with equal ranks no rank promotion happens and the lax op rejects the shapes
    with pytest.raises(TypeError, match=r"mul got incompatible shapes for broadcasting: \(3,\), \(4,\)"):
        jnp.ones(3) * jnp.ones(4)
    with pytest.raises(TypeError, match=r"negative powers, got integer_pow\(int32\[2\], -1\)"):
        jnp.power(jnp.array([2, 3]), -1)


def test_creation():
    assert_close(jnp.arange(5), np.arange(5, dtype=np.int32))
    assert_close(jnp.arange(1, 2, 0.25), np.arange(1, 2, 0.25, dtype=np.float32))
    assert_close(jnp.linspace(0, 1, 5), np.linspace(0, 1, 5, dtype=np.float32))
    assert_close(jnp.linspace(0, 1, 4, endpoint=False), np.linspace(0, 1, 4, endpoint=False, dtype=np.float32))
    assert_close(jnp.eye(3, 4, k=1), np.eye(3, 4, k=1, dtype=np.float32))
    assert_close(jnp.full((2, 2), 7), np.full((2, 2), 7, np.int32))
    assert_close(jnp.zeros_like(jnp.ones(3, jnp.int8)), np.zeros(3, np.int8))
    assert_close(jnp.tril(np.ones((3, 3), np.float32)), np.tril(np.ones((3, 3), np.float32)))
    assert_close(jnp.triu(np.ones((3, 3), np.float32), 1), np.triu(np.ones((3, 3), np.float32), 1))
    for k in (-2, 0, 1):
        assert_close(jnp.diag(jnp.arange(3.0), k), np.diag(np.arange(3.0, dtype=np.float32), k))
    xx, yy = jnp.meshgrid(jnp.arange(3), jnp.arange(2))
    nx, ny = np.meshgrid(np.arange(3), np.arange(2))
    assert_close(xx, nx.astype(np.int32)) and assert_close(yy, ny.astype(np.int32))
    assert jnp.array([1, 2.5]).dtype == np.float32 and jnp.array([1, 2]).dtype == np.int32


def test_elementwise_integer_and_misc(rng):
    a = rng.integers(-20, 20, 10).astype(np.int32)
    b = rng.integers(1, 6, 10).astype(np.int32)
    assert_close(jnp.floor_divide(a, b), a // b)
    assert_close(jnp.remainder(a, b), a % b)
    assert_close(jnp.power(b, 3), b ** 3)
    assert_close(jnp.power(b, jnp.array(2)), b ** 2)
    x = rng.standard_normal(8).astype(np.float32)
    assert_close(jnp.round(x * 10, 1), np.round(x * 10, 1), rtol=1e-5)
    assert_close(jnp.clip(x, -0.5, 0.5), np.clip(x, -0.5, 0.5))
    assert_close(jnp.logaddexp(x, x[::-1]), np.logaddexp(x, x[::-1]), rtol=1e-5)
    assert_close(jnp.sign(x), np.sign(x))
    assert_close(jnp.isclose(x, x + 1e-9), np.isclose(x, x + 1e-9))
    assert_close(jnp.nan_to_num(jnp.array([np.nan, np.inf, 1.0])), np.nan_to_num(np.array([np.nan, np.inf, 1.0], np.float32)))
    assert_close(jnp.copysign(x, -1.0), np.copysign(x, np.float32(-1.0)))


def test_shape_manipulation(rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    assert_close(jnp.reshape(x, (4, -1)), x.reshape(4, -1))
    assert_close(jnp.moveaxis(x, 0, -1), np.moveaxis(x, 0, -1))
    assert_close(jnp.swapaxes(x, 1, 2), np.swapaxes(x, 1, 2))
    assert_close(jnp.expand_dims(x, (0, 3)), np.expand_dims(x, (0, 3)))
    assert_close(jnp.squeeze(x[:1]), np.squeeze(x[:1]))
    assert_close(jnp.concatenate([x, x], axis=-1), np.concatenate([x, x], -1))
    assert_close(jnp.stack([x, x], axis=1), np.stack([x, x], 1))
    assert_close(jnp.split(x, 2, axis=2)[1], np.split(x, 2, axis=2)[1])
    assert_close(jnp.array_split(jnp.arange(7), 3)[2], np.array_split(np.arange(7, dtype=np.int32), 3)[2])
    assert_close(jnp.flip(x, (0, 2)), np.flip(x, (0, 2)))
    assert_close(jnp.roll(x, 2, axis=1), np.roll(x, 2, axis=1))
    assert_close(jnp.roll(x, -3), np.roll(x, -3))
    assert_close(jnp.tile(x[0], (2, 1)), np.tile(x[0], (2, 1)))
    assert_close(jnp.repeat(x[0], 2, axis=0), np.repeat(x[0], 2, axis=0))
    assert_close(jnp.pad(x, ((0, 1), (2, 0), (1, 1))), np.pad(x, ((0, 1), (2, 0), (1, 1))))
    assert_close(jnp.pad(x, 2, mode="reflect"), np.pad(x, 2, mode="reflect"))
    assert_close(jnp.pad(x, 1, mode="edge"), np.pad(x, 1, mode="edge"))
    assert_close(jnp.take(x, jnp.array([2, 0]), axis=1), np.take(x, [2, 0], axis=1))
    idx = np.argsort(x, axis=2).astype(np.int32)
    assert_close(jnp.take_along_axis(x, idx, axis=2), np.take_along_axis(x, idx, axis=2))
    assert_close(jnp.diagonal(x[0], 1), np.diagonal(x[0], 1))
    assert_close(jnp.trace(x[0]), np.trace(x[0]), rtol=1e-5)
    assert jnp.take(jnp.arange(3.0), jnp.array([5])).tolist()[0] != jnp.take(jnp.arange(3.0), jnp.array([5])).tolist()[0]  # NaN fill


def test_reductions(rng):
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    for name in ["sum", "prod", "max", "min", "mean", "var", "std", "argmax", "argmin", "ptp"]:
        for axis in [None, 1, (0, 2)]:
            if name in ("argmax", "argmin") and isinstance(axis, tuple):
                continue
            want = getattr(np, name)(x, axis=axis)
            got = getattr(jnp, name)(x, axis=axis)
            np.testing.assert_allclose(np.asarray(got), want, rtol=2e-5, atol=1e-5, err_msg=f"{name} {axis}")
    assert_close(jnp.sum(x, axis=1, keepdims=True), x.sum(1, keepdims=True), rtol=1e-5)
    assert_close(jnp.var(x, axis=0, ddof=1), x.var(0, ddof=1), rtol=1e-5)
    assert_close(jnp.cumsum(x, axis=2), np.cumsum(x, axis=2), rtol=1e-5, atol=1e-5)
    assert_close(jnp.mean(x, where=x > 0), np.mean(x, where=x > 0), rtol=1e-5)
    assert jnp.sum(jnp.ones(3, jnp.int8)).dtype == np.int32
    assert jnp.any(x > 3).dtype == np.bool_ and bool(jnp.all(x < 10))
    assert_close(jnp.average(x, axis=1, weights=np.arange(4.0, dtype=np.float32)),
                 np.average(x, axis=1, weights=np.arange(4.0, dtype=np.float32)), rtol=1e-5)
    with pytest.raises(ValueError, match="zero-size array"):
        jnp.max(jnp.zeros((0,)))


def test_products(rng):
    a = rng.standard_normal((2, 3, 4)).astype(np.float32)
    b = rng.standard_normal((4, 5)).astype(np.float32)
    v = rng.standard_normal(4).astype(np.float32)
    assert_close(jnp.matmul(a, b), a @ b, rtol=1e-5, atol=1e-5)
    assert_close(a @ v, a @ v, rtol=1e-5, atol=1e-5)
    assert_close(v @ b, v @ b, rtol=1e-5, atol=1e-5)
    assert_close(jnp.dot(a, b), np.dot(a, b), rtol=1e-5, atol=1e-5)
    assert_close(jnp.tensordot(a, b, 1), np.tensordot(a, b, 1), rtol=1e-5, atol=1e-5)
    assert_close(jnp.outer(v, v), np.outer(v, v))
    assert_close(jnp.inner(v, v), np.inner(v, v), rtol=1e-5)
    assert_close(jnp.kron(b[:2, :2], b[:2, :2]), np.kron(b[:2, :2], b[:2, :2]))
    assert_close(jnp.cross(v[:3], b[0, :3]), np.cross(v[:3], b[0, :3]), rtol=1e-5, atol=1e-6)
    for spec, ops in [("bij,jk->bik", (a, b)), ("bij->j", (a,)), ("ii", (b[:4, :4],)), ("i,i", (v, v)),
                      ("...j,jk", (a, b)), ("bij,bij->b", (a, a)), ("ij,jk,kl->il", (a[0], b, b.T))]:
        np.testing.assert_allclose(np.asarray(jnp.einsum(spec, *ops)), np.einsum(spec, *ops), rtol=2e-5, atol=2e-5,
                                   err_msg=spec)


def test_array_methods_and_conversions():
    x = jnp.arange(6.0).reshape(2, 3)
    assert x.T.shape == (3, 2) and x.reshape(3, 2).shape == (3, 2) and x.reshape((6,)).shape == (6,)
    assert x.astype(jnp.int32).dtype == np.int32 and x.sum() == 15.0 and x.mean(axis=0).tolist() == [1.5, 2.5, 3.5]
    assert float(x[1, 2]) == 5.0 and int(x[0, 1]) == 1 and x[1].tolist() == [3.0, 4.0, 5.0]
    assert len(x) == 2 and [r.shape for r in x] == [(3,), (3,)]
    assert repr(jnp.array([1.0, 2.0])) == "Array([1., 2.], dtype=float32)"
    assert repr(jnp.array(3)) == "Array(3, dtype=int32, weak_type=True)"  # as JAX
    assert np.asarray(x).dtype == np.float32 and x.ndim == 2 and x.size == 6
    assert isinstance(x, jax.Array) and isinstance(x, jnp.ndarray)
    assert (x == x).all() and bool((-x < 1).all())
    assert (x @ x.T).shape == (2, 2) and (2 ** x).dtype == np.float32 and (x // 2).tolist()[1] == [1.0, 2.0, 2.0]
    with pytest.raises(TypeError, match="unhashable"):
        hash(x)
    assert x.block_until_ready() is x and x.item(0) == 0.0
