"""jaxlite.scipy.stats against jax.scipy.stats."""

import numpy as np

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


def _calls(m):
    """(label, value) of every method of every distribution of CONT and DISC that JAX has, on module m."""
    out = []
    for name, args, kw in CONT:
        for fn in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"):
            if hasattr(getattr(real_jax.scipy.stats, name), fn):
                x = Q if fn in ("ppf", "isf") else X
                out.append((f"{name}.{fn}", getattr(getattr(m, name), fn)(x, *args, **kw)))
    for name, args in DISC:
        for fn in ("logpmf", "pmf", "cdf", "ppf"):
            if hasattr(getattr(real_jax.scipy.stats, name), fn):
                out.append((f"{name}.{fn}", getattr(getattr(m, name), fn)(Q if fn == "ppf" else K, *args)))
    return out


# one jitted oracle program: JAX's distributions op by op cost seconds of XLA compiles each
@needs_jax
def test_distributions():
    theirs = real_jax.jit(lambda: [v for _, v in _calls(real_jax.scipy.stats)])()
    for (label, ours), e in zip(_calls(st), theirs):
        rtol = 1e-5 if label.split(".")[0] in dict(DISC) else 1e-4
        _close(ours, e, rtol, label)


def _close(ours, e, rtol, label):
    try:
        assert_close(ours, e, rtol=rtol, atol=1e-6)
    except AssertionError as err:
        raise AssertionError(f"{label}: {err}") from None


@needs_jax
def test_multivariate_and_broadcasting():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 3)).astype(np.float32)
    cov = a @ a.T + np.eye(3, dtype=np.float32)
    x, mean = rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=3).astype(np.float32)
    alpha = np.array([1.5, 2.0, 3.0], np.float32)
    xs = np.array([[0.2, 0.5], [0.3, 0.4], [0.5, 0.2]], np.float32)
    loc = np.array([[0.0], [1.0]], np.float32)

    def cases(m, grad):
        return [m.multivariate_normal.logpdf(x, mean, cov), m.multivariate_normal.logpdf(x, mean, np.float32(1.7)),
                m.dirichlet.logpdf(xs, alpha),
                m.norm.logpdf(np.arange(3), loc, 2), m.poisson.logpmf(np.arange(4), 2),  # broadcasting, int promotion
                grad(lambda s: m.gamma.logpdf(2.0, s).sum())(np.float32(3.0))]
    for ours, e in zip(cases(st, jax.grad), real_jax.jit(lambda: cases(real_jax.scipy.stats, real_jax.grad))()):
        assert_close(ours, e, rtol=1e-4)


def test_properties():
    x = np.linspace(-2, 2, 5).astype(np.float32)
    np.testing.assert_allclose(np.asarray(st.norm.cdf(x) + st.norm.sf(x)), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(st.norm.ppf(st.norm.cdf(x))), x, rtol=1e-4, atol=1e-5)
    v = jax.vmap(lambda s: st.gamma.cdf(1.0, s))(np.array([0.5, 2.0], np.float32))
    np.testing.assert_allclose(np.asarray(v), [float(st.gamma.cdf(1.0, 0.5)), float(st.gamma.cdf(1.0, 2.0))], rtol=1e-6)
    assert float(st.expon.logpdf(-1.0)) == -np.inf
