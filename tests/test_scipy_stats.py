"""jaxlite.scipy.stats against jax.scipy.stats."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.scipy.stats as st
from conftest import assert_close, needs_jax, real_jax

X = np.array([-3.0, -0.5, 0.0, 0.25, 0.5, 1.0, 2.0, 6.0, np.inf, np.nan], np.float32)
Q = np.array([0.0, 1e-4, 0.2, 0.5, 0.9, 1.0, 1.5], np.float32)
K = np.array([-1, 0, 1, 2, 2.5, 7], np.float32)

CONT = [("norm", (), {"loc": 0.5, "scale": 2.0}), ("uniform", (), {"loc": -1.0, "scale": 3.0}),
        ("expon", (), {"loc": 0.2}), ("laplace", (), {"scale": 0.7}), ("cauchy", (), {"loc": 1.0}),
        ("logistic", (), {"scale": 1.5}), ("gamma", (2.5,), {"scale": 1.3}), ("chi2", (3.0,), {}),
        ("beta", (2.0, 3.0), {}), ("t", (4.0,), {"loc": 0.3})]
DISC = [("bernoulli", (0.3,)), ("poisson", (2.5,)), ("geom", (0.4,)), ("binom", (6, 0.3))]


@needs_jax
@pytest.mark.parametrize("name,args,kw", CONT, ids=[c[0] for c in CONT])
def test_continuous(name, args, kw):
    ours, theirs = getattr(st, name), getattr(real_jax.scipy.stats, name)
    for fn in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"):
        if not hasattr(theirs, fn):
            continue
        x = Q if fn in ("ppf", "isf") else X
        assert_close(getattr(ours, fn)(x, *args, **kw), getattr(theirs, fn)(x, *args, **kw), rtol=1e-4, atol=1e-6)


@needs_jax
@pytest.mark.parametrize("name,args", DISC, ids=[d[0] for d in DISC])
def test_discrete(name, args):
    ours, theirs = getattr(st, name), getattr(real_jax.scipy.stats, name)
    for fn in ("logpmf", "pmf", "cdf", "ppf"):
        if hasattr(theirs, fn):
            x = Q if fn == "ppf" else K
            assert_close(getattr(ours, fn)(x, *args), getattr(theirs, fn)(x, *args), rtol=1e-5, atol=1e-6)


@needs_jax
def test_multivariate_and_broadcasting():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 3)).astype(np.float32)
    cov = a @ a.T + np.eye(3, dtype=np.float32)
    x, mean = rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=3).astype(np.float32)
    for c in (cov, np.float32(1.7)):
        assert_close(st.multivariate_normal.logpdf(x, mean, c), real_jax.scipy.stats.multivariate_normal.logpdf(x, mean, c),
                     rtol=1e-4)
    alpha = np.array([1.5, 2.0, 3.0], np.float32)
    xs = np.array([[0.2, 0.5], [0.3, 0.4], [0.5, 0.2]], np.float32)
    assert_close(st.dirichlet.logpdf(xs, alpha), real_jax.scipy.stats.dirichlet.logpdf(xs, alpha), rtol=1e-5)
    # broadcasting of loc/scale and int promotion
    loc = np.array([[0.0], [1.0]], np.float32)
    assert_close(st.norm.logpdf(np.arange(3), loc, 2), real_jax.scipy.stats.norm.logpdf(np.arange(3), loc, 2))
    assert_close(st.poisson.logpmf(np.arange(4), 2), real_jax.scipy.stats.poisson.logpmf(np.arange(4), 2))
    g = jax.grad(lambda s: st.gamma.logpdf(2.0, s).sum())(np.float32(3.0))
    assert_close(g, real_jax.grad(lambda s: real_jax.scipy.stats.gamma.logpdf(2.0, s).sum())(np.float32(3.0)))


def test_properties():
    x = np.linspace(-2, 2, 5).astype(np.float32)
    np.testing.assert_allclose(np.asarray(st.norm.cdf(x) + st.norm.sf(x)), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(st.norm.ppf(st.norm.cdf(x))), x, rtol=1e-4, atol=1e-5)
    v = jax.vmap(lambda s: st.gamma.cdf(1.0, s))(np.array([0.5, 2.0], np.float32))
    np.testing.assert_allclose(np.asarray(v), [float(st.gamma.cdf(1.0, 0.5)), float(st.gamma.cdf(1.0, 2.0))], rtol=1e-6)
    assert float(st.expon.logpdf(-1.0)) == -np.inf
