"""spence, bessel_jn and owens_t of jaxlite.scipy.special against JAX, identities, and as wasm kernels."""

import numpy as np

import jaxlite as jax
import jaxlite.scipy.special as sp
from conftest import assert_close, needs_jax, real_jax

SX = np.array([-1, 0, 0.2, 0.5, 1, 1.3, 1.7, 2, 3, 50, np.inf, np.nan], np.float32)
BZ = np.array([[0.5, 1.0, 3.0], [10.0, -2.0, 25.0]], np.float32)
OH = np.array([0, 0.3, 1, 2.5, -1, np.nan], np.float32)[:, None]
OA = np.array([0, 0.5, 1, 3, -2, 20], np.float32)[None]


def _calls(m, grad):
    h, a, x = np.float32([0.3, 1.5]), np.float32([0.5, 2.0]), np.float32([0.3, 1.7, 3.0])
    return [m.spence(SX), m.bessel_jn(BZ, v=3), m.bessel_jn(BZ[0], v=2, n_iter=15), m.owens_t(OH, OA),
            m.owens_t(1, 2),  # ints promote to float32
            grad(lambda h, a: m.owens_t(h, a).sum(), argnums=(0, 1))(h, a), grad(lambda x: m.spence(x).sum())(x)]


@needs_jax
def test_matches_jax():
    for ours, e in zip(_calls(sp, jax.grad), real_jax.jit(lambda: _calls(real_jax.scipy.special, real_jax.grad))()):
        assert_close(ours, e, rtol=1e-4, atol=1e-6)


def test_identities_and_kernels():
    # spence(x) + spence(1/x) = -log(x)^2 / 2 ; T(h, 1) = ndtr(h) ndtr(-h) / 2 ; J0(1), J1(1) (float32 needs few iterations at small z)
    x = np.array([0.3, 0.8, 2.5], np.float32)
    np.testing.assert_allclose(np.asarray(sp.spence(x) + sp.spence(1 / x)), -0.5 * np.log(x) ** 2, atol=1e-5)
    h = np.array([0.2, 1.0, 2.0], np.float32)
    np.testing.assert_allclose(np.asarray(sp.owens_t(h, 0.999)), np.asarray(sp.ndtr(h) * sp.ndtr(-h) / 2), rtol=2e-3)
    np.testing.assert_allclose(np.asarray(sp.bessel_jn(np.float32([1.0]), v=1, n_iter=15))[:, 0], [0.7651977, 0.44005059], rtol=1e-5)
    dev = jax.devices("wasm")[0]
    before = dict(dev.host_fallbacks)
    xs = jax.device_put(x, dev)
    for f in (sp.spence, lambda v: sp.owens_t(v, 0.7), lambda v: sp.bessel_jn(v, v=2),
              jax.grad(lambda v: sp.owens_t(v, 2.0).sum())):
        np.asarray(jax.jit(f)(xs))
    assert dict(dev.host_fallbacks) == before
