"""lax special functions against JAX (values, dtypes, grads, vmap, edges) and on kernel devices."""

import numpy as np
import pytest

import jaxlite as jax
from jaxlite import lax
from conftest import assert_close, needs_jax, real_jax

A = np.array([0.1, 1, 5, 30, 0, -1, np.nan], np.float32)[:, None]
X = np.array([0, 0.01, 0.5, 2, 50, np.inf, -1], np.float32)[None, :]


def _cases():
    rng = np.random.default_rng(0)
    u = np.concatenate([rng.uniform(-1, 1, 20), [0, 1, -1, 0.9999, 1.5, np.nan]]).astype(np.float32)
    b = np.concatenate([rng.uniform(-30, 30, 20), [0, 8, -8, 1e-5, 500, np.inf, -np.inf, np.nan]]).astype(np.float32)
    zx = np.array([1, 1.5, 2, 3, 10, 0.5], np.float32)[:, None]
    zq = np.array([0.1, 1, 10, 100, -1, -1.5, 0], np.float32)[None, :]
    pm = np.array([0, 1, 2, 5, 1.5, -1], np.float32)[:, None]
    px = np.array([0.1, 1, 2.5, 30, -1.5, 0], np.float32)[None, :]
    ba = np.array([0.1, 1, 3, 40, 0, np.inf], np.float32)[:, None, None]
    bb = np.array([0.3, 2, 30], np.float32)[None, :, None]
    bx = np.array([0, 0.01, 0.4, 0.9, 1, 1.5], np.float32)[None, None, :]
    return [("erf_inv", (u,), 2e-6), ("igamma", (A, X), 2e-5), ("igammac", (A, X), 2e-4),
            ("igamma_grad_a", (A, X), 1e-4), ("random_gamma_grad", (A, X), 1e-4), ("zeta", (zx, zq), 2e-6),
            ("polygamma", (pm, px), 2e-6), ("bessel_i0e", (b,), 2e-6), ("bessel_i1e", (b,), 2e-6),
            ("betainc", (ba, bb, bx), 1e-4)]


@needs_jax
@pytest.mark.parametrize("name,args,rtol", _cases(), ids=[c[0] for c in _cases()])
def test_matches_jax(name, args, rtol):
    ours = getattr(lax, name)(*args)
    theirs = getattr(real_jax.lax, name)(*args)
    assert_close(ours, theirs, rtol=rtol, atol=1e-30)


@needs_jax
def test_grads_match_jax():
    a = np.array([0.5, 2.0, 7.0], np.float32)
    x = np.array([0.3, 2.5, 6.0], np.float32)
    for f in ("igamma", "igammac"):
        ours = jax.grad(lambda a, x: getattr(lax, f)(a, x).sum(), argnums=(0, 1))(a, x)
        theirs = real_jax.grad(lambda a, x: getattr(real_jax.lax, f)(a, x).sum(), argnums=(0, 1))(a, x)
        assert_close(ours, theirs, rtol=1e-4)
    u = np.array([-0.9, 0.0, 0.5], np.float32)
    assert_close(jax.grad(lambda u: lax.erf_inv(u).sum())(u), real_jax.grad(lambda u: real_jax.lax.erf_inv(u).sum())(u))
    q = np.array([0.5, 2.0, 9.0], np.float32)
    # lax.zeta has no derivative in JAX; jax.scipy.special.zeta's (in q) is the reference
    assert_close(jax.grad(lambda q: lax.zeta(3.0, q).sum())(q),
                 real_jax.grad(lambda q: real_jax.scipy.special.zeta(3.0, q).sum())(q))
    assert_close(jax.grad(lambda x: lax.polygamma(1.0, x).sum())(q),
                 real_jax.grad(lambda x: real_jax.lax.polygamma(1.0, x).sum())(q))
    assert_close(jax.grad(lambda x: lax.digamma(x).sum())(q), real_jax.grad(lambda x: real_jax.lax.digamma(x).sum())(q))
    b = np.array([-3.0, 1e-9, 0.5, 12.0], np.float32)
    for f in ("bessel_i0e", "bessel_i1e"):
        assert_close(jax.grad(lambda b: getattr(lax, f)(b).sum())(b),
                     real_jax.grad(lambda b: getattr(real_jax.lax, f)(b).sum())(b))
    xb = np.array([0.2, 0.7], np.float32)
    assert_close(jax.grad(lambda x: lax.betainc(2.0, 3.0, x).sum())(xb),
                 real_jax.grad(lambda x: real_jax.lax.betainc(2.0, 3.0, x).sum())(xb), rtol=1e-4)


@needs_jax
def test_float64():
    jax.config.update("jax_enable_x64", True)
    real_jax.config.update("jax_enable_x64", True)
    try:
        u = np.array([-0.999999, -0.3, 1e-300, 0.5, 0.75, 1 - 1e-12], np.float64)
        assert_close(lax.erf_inv(u), real_jax.lax.erf_inv(u), rtol=1e-13, atol=0)
        a, x = np.array([0.5, 3.0, 20.0]), np.array([0.2, 4.0, 15.0])
        assert_close(lax.igamma(a, x), real_jax.lax.igamma(a, x), rtol=1e-12, atol=0)
        b = np.array([0.1, 3.0, 9.0, 40.0])
        assert_close(lax.bessel_i1e(b), real_jax.lax.bessel_i1e(b), rtol=1e-13, atol=0)
        assert_close(lax.zeta(b + 1.5, b), real_jax.lax.zeta(b + 1.5, b), rtol=1e-13, atol=0)
    finally:
        real_jax.config.update("jax_enable_x64", False)


def test_properties_and_transforms():
    # recorded identities that also run in Pyodide: erf(erf_inv(u)) = u, P + Q = 1, vmap = loop
    u = np.linspace(-0.95, 0.95, 9).astype(np.float32)
    np.testing.assert_allclose(np.asarray(lax.erf(lax.erf_inv(u))), u, rtol=1e-5, atol=1e-6)
    a = np.array([0.5, 1.0, 3.0, 10.0], np.float32)
    x = np.array([0.3, 1.0, 4.0, 12.0], np.float32)
    np.testing.assert_allclose(np.asarray(lax.igamma(a, x) + lax.igammac(a, x)), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(lax.igamma(1.0, x)), -np.expm1(-x), rtol=1e-5)
    v = jax.vmap(lambda a, x: lax.igamma(a, x))(a, x)
    np.testing.assert_allclose(np.asarray(v), [float(lax.igamma(p, q)) for p, q in zip(a, x)], rtol=1e-6)
    j = jax.jit(lambda a, x: lax.betainc(a, 2.0, x))(a, x / 20)
    np.testing.assert_allclose(np.asarray(j), np.asarray(lax.betainc(a, 2.0, x / 20)), rtol=1e-6)
    np.testing.assert_allclose(float(lax.zeta(2.0, 1.0)), np.pi ** 2 / 6, rtol=1e-6)
    with pytest.raises(TypeError):
        lax.igamma(np.int32(1), np.int32(2))
    assert lax.erf_inv(np.float16(0.5)).dtype == np.float16


def test_kernels_have_no_host_fallback():
    dev = jax.devices("wasm")[0]
    before = dict(dev.host_fallbacks)
    x = jax.device_put(np.linspace(0.1, 5, 16).astype(np.float32), dev)
    fns = [lambda x: lax.erf_inv(x / 6), lambda x: lax.igamma(x, 2.0), lambda x: lax.zeta(x + 1, 2.0),
           lambda x: lax.bessel_i1e(x), lambda x: lax.betainc(x, 2.0, 0.3),
           jax.grad(lambda x: lax.igammac(x, 2.0).sum()), jax.grad(lambda x: lax.digamma(x).sum())]
    for f in fns:
        np.asarray(jax.jit(f)(x))
    assert dict(dev.host_fallbacks) == before
