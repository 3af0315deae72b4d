"""conv_general_dilated and sort: values, derivatives (finite differences and JAX), vmap."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import lax

from conftest import assert_close, needs_jax, numerical_grad, real_jax, real_jnp

CONV_CASES = [
    dict(x=(2, 3, 9, 8), w=(4, 3, 3, 2), strides=(1, 1), pad="SAME", ld=None, rd=None, dn=None, G=1),
    dict(x=(2, 3, 9, 8), w=(4, 3, 3, 2), strides=(2, 1), pad=((1, 0), (2, -1)), ld=(1, 2), rd=(2, 1), dn=None, G=1),
    dict(x=(2, 9, 8, 6), w=(3, 2, 2, 6), strides=(1, 2), pad="VALID", ld=None, rd=None,
         dn=("NHWC", "HWIO", "NHWC"), G=3),
    dict(x=(4, 6, 7), w=(6, 3, 3), strides=(1,), pad="SAME", ld=None, rd=(2,), dn=None, G=2),
]


def _conv(L, c):
    return lambda x, w: L.conv_general_dilated(x, w, c["strides"], c["pad"], c["ld"], c["rd"], c["dn"], c["G"])


def test_conv_against_direct_loop(rng):
    x = rng.standard_normal((1, 2, 5, 5)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    out = lax.conv_general_dilated(x, w, (1, 1), "VALID")
    want = np.zeros((1, 3, 3, 3), np.float64)
    for o in range(3):
        for i in range(3):
            for j in range(3):
                want[0, o, i, j] = np.sum(x[0, :, i:i + 3, j:j + 3] * w[o])
    np.testing.assert_allclose(np.asarray(out), want, rtol=1e-5, atol=1e-5)
    gx = jax.grad(lambda v: jnp.sum(jnp.sin(lax.conv_general_dilated(v, w, (1, 1), "SAME"))))(x)
    nx = numerical_grad(lambda v: np.sum(np.sin(np.asarray(lax.conv_general_dilated(v, w, (1, 1), "SAME"), np.float64))), x)
    np.testing.assert_allclose(np.asarray(gx), nx, rtol=2e-2, atol=2e-2)


@needs_jax
@pytest.mark.parametrize("case", range(len(CONV_CASES)))
def test_conv_matches_jax_with_grads_and_vmap(case, rng):
    c = CONV_CASES[case]
    x = rng.standard_normal(c["x"]).astype(np.float32)
    w = rng.standard_normal(c["w"]).astype(np.float32)
    ours, theirs = _conv(lax, c), _conv(real_jax.lax, c)
    assert_close(ours(x, w), theirs(x, w), rtol=2e-4, atol=2e-4)
    g = jax.grad(lambda a, b: jnp.sum(jnp.sin(ours(a, b))), argnums=(0, 1))(x, w)
    rg = real_jax.grad(lambda a, b: real_jnp.sum(real_jnp.sin(theirs(a, b))), argnums=(0, 1))(x, w)
    assert_close(g, rg, rtol=2e-4, atol=2e-4)
    xs, ws = np.stack([x, 2 * x]), np.stack([w, -w])
    for axes in [(0, None), (None, 0), (0, 0)]:
        a = xs if axes[0] == 0 else x
        b = ws if axes[1] == 0 else w
        assert_close(jax.vmap(ours, in_axes=axes)(a, b), real_jax.vmap(theirs, in_axes=axes)(a, b), rtol=2e-4, atol=2e-4)


def test_sort_argsort_and_statistics(rng):
    x = rng.standard_normal((4, 7)).astype(np.float32)
    x[0, 3] = np.nan
    x[1, :3] = 0.5  # ties
    assert_close(jnp.sort(x, axis=1), np.sort(x, axis=1))
    assert_close(jnp.sort(x, axis=0), np.sort(x, axis=0))
    assert_close(jnp.argsort(x[1:], axis=1), np.argsort(x[1:], axis=1, kind="stable").astype(np.int32))
    assert_close(jnp.argsort(x[1:], axis=1, descending=True), np.argsort(-x[1:], axis=1, kind="stable").astype(np.int32))
    y = x[1:]
    assert_close(jnp.median(y, axis=1), np.median(y, axis=1))
    assert_close(jnp.quantile(y, jnp.array([0.1, 0.9]), axis=0), np.quantile(y, [0.1, 0.9], axis=0).astype(np.float32),
                 rtol=1e-5, atol=1e-6)
    assert_close(jnp.percentile(y, 30.0), np.percentile(y, 30.0).astype(np.float32), rtol=1e-5)
    vals, idx = lax.top_k(y, 3)
    assert_close(vals, -np.sort(-y, axis=1)[:, :3])
    assert_close(jnp.searchsorted(jnp.array([1, 2, 2, 3]), jnp.array([2, 5]), side="right"), np.array([3, 4], np.int32))
    assert [np.asarray(i).tolist() for i in jnp.nonzero(y > 1)] == [i.tolist() for i in np.nonzero(y > 1)]


def test_sort_multiple_keys_and_grad():
    k1 = np.array([1, 0, 1, 0], np.int32)
    k2 = np.array([3.0, 2.0, 1.0, 5.0], np.float32)
    a, b = lax.sort((k1, k2), num_keys=2)
    assert a.tolist() == [0, 0, 1, 1] and b.tolist() == [2.0, 5.0, 1.0, 3.0]
    w = jnp.arange(4.0)
    g = jax.grad(lambda v: jnp.sum(jnp.sort(v) * w))(jnp.array([3.0, 1.0, 2.0, 0.0]))
    assert g.tolist() == [3.0, 1.0, 2.0, 0.0]
    assert jax.vmap(jnp.sort)(jnp.array([[2.0, 1.0], [0.0, -1.0]])).tolist() == [[1.0, 2.0], [-1.0, 0.0]]
    assert jax.jit(lambda v: jnp.nonzero(v > 0, size=3, fill_value=-1)[0])(jnp.array([1.0, -1.0, 2.0, 3.0])).tolist() == [0, 2, 3]
