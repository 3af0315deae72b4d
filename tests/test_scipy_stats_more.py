"""The newer jaxlite.scipy.stats distributions against jax.scipy.stats (one jitted oracle program)."""

import numpy as np

import jaxlite as jax
import jaxlite.scipy.stats as st
from conftest import assert_close, needs_jax, real_jax

X = np.array([-3.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 6.0, np.nan], np.float32)
Q = np.array([0.0, 1e-4, 0.2, 0.5, 0.9, 1.0, 1.5], np.float32)
K = np.array([-1, 0, 1, 2, 5, 9], np.float32)
CONT = [("pareto", (2.5,), {"scale": 1.2}), ("gumbel_r", (), {"loc": 0.5, "scale": 2.0}),
        ("gumbel_l", (), {"scale": 1.5}), ("gennorm", (1.5,), {}), ("vonmises", (2.0,), {}),
        ("wrapcauchy", (0.4,), {})]
DISC = [("nbinom", (3.0, 0.4)), ("betabinom", (6.0, 2.0, 3.0))]
FNS = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "logpmf", "pmf")


def _calls(m, names):
    out = []
    for name, args, kw in CONT + [(n, a, {}) for n, a in DISC]:
        for fn in FNS:
            if hasattr(getattr(names, name), fn):
                x = Q if fn == "ppf" else (K if fn.endswith("pmf") else X)
                out.append((f"{name}.{fn}", getattr(getattr(m, name), fn)(x, *args, **kw)))
    return out


@needs_jax
def test_matches_jax():
    theirs = real_jax.jit(lambda: [v for _, v in _calls(real_jax.scipy.stats, real_jax.scipy.stats)])()
    for (label, ours), e in zip(_calls(st, real_jax.scipy.stats), theirs):
        try:
            assert_close(ours, e, rtol=1e-4, atol=1e-6)
        except AssertionError as err:
            raise AssertionError(f"{label}: {err}") from None


@needs_jax
def test_grads_match_jax():
    x = np.array([1.3, 2.0, 4.0], np.float32)

    def grads(m, grad):
        return [grad(lambda b: m.pareto.logpdf(x, b).sum())(np.float32(2.0)),
                grad(lambda v: m.gumbel_r.cdf(v).sum())(x), grad(lambda k: m.vonmises.logpdf(x, k).sum())(np.float32(1.5)),
                grad(lambda p: m.nbinom.logpmf(x.round(), 3.0, p).sum())(np.float32(0.3))]
    for ours, e in zip(grads(st, jax.grad), real_jax.jit(lambda: grads(real_jax.scipy.stats, real_jax.grad))()):
        assert_close(ours, e, rtol=1e-4)


def test_properties():
    q = np.array([0.1, 0.5, 0.9], np.float32)
    for d, args in ((st.pareto, (3.0,)), (st.gumbel_r, ()), (st.gumbel_l, ())):
        np.testing.assert_allclose(np.asarray(d.cdf(d.ppf(q, *args), *args)), q, rtol=1e-5)
    # pmfs sum to one over their support; densities integrate to one over a period
    k = np.arange(0, 7, dtype=np.float32)
    np.testing.assert_allclose(float(st.betabinom.pmf(k, 6, 2.0, 3.0).sum()), 1.0, rtol=1e-5)
    np.testing.assert_allclose(float(st.nbinom.pmf(np.arange(200, dtype=np.float32), 3, 0.4).sum()), 1.0, rtol=1e-5)
    t = np.linspace(0, 2 * np.pi, 2001, dtype=np.float32)
    for pdf in (st.vonmises.pdf(t - np.pi, 2.0), st.wrapcauchy.pdf(t, 0.4)):
        np.testing.assert_allclose(float(np.trapezoid(np.asarray(pdf), t)), 1.0, rtol=1e-4)
    v = jax.vmap(lambda s: st.gennorm.cdf(0.7, s))(np.array([1.0, 2.0], np.float32))
    np.testing.assert_allclose(np.asarray(v), [float(st.gennorm.cdf(0.7, 1.0)), float(st.gennorm.cdf(0.7, 2.0))], rtol=1e-6)
