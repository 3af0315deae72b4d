"""jaxlite.scipy.special against jax.scipy.special."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.scipy.special as sp
from conftest import assert_close, needs_jax, real_jax

X = np.array([-3.5, -1.0, -0.5, 0.0, 1e-3, 0.5, 1.0, 2.5, 7.0, 40.0, np.inf, np.nan], np.float32)
P = np.array([0.0, 1e-30, 1e-6, 0.02, 0.3, 0.5, 0.8, 0.999, 1.0, -0.1, np.nan], np.float32)
POS = np.array([0.05, 0.5, 1.0, 3.0, 12.0], np.float32)

UNARY = [("gammaln", X, 1e-5), ("gammasgn", X, 0), ("gamma", X[:-3], 1e-5), ("loggamma", POS, 1e-5),
         ("digamma", X, 1e-5), ("erf", X, 1e-6), ("erfc", X, 1e-5), ("erfinv", P * 2 - 1, 2e-5),
         ("ndtr", X, 1e-5), ("ndtri", P, 2e-5), ("log_ndtr", np.array([-40, -12, -3, 0, 3, 6, 30], np.float32), 1e-5),
         ("logit", P, 1e-5), ("expit", X, 1e-6), ("entr", X, 1e-6), ("i0", X[:-3], 1e-5), ("i0e", X, 1e-6),
         ("i1", X[:-3], 1e-5), ("i1e", X, 1e-6), ("factorial", np.array([0, 1, 4, 10, -1, 2.5], np.float32), 1e-5)]
BINARY = [("xlogy", (np.array([0, 0, 1, 2], np.float32), np.array([0, 1, 0, 3], np.float32)), 1e-6),
          ("xlog1py", (np.array([0, 0, 1, 2], np.float32), np.array([-1, 1, 0, 3], np.float32)), 1e-6),
          ("gammainc", (POS[:, None], POS[None, :]), 1e-5), ("gammaincc", (POS[:, None], POS[None, :]), 1e-4),
          ("beta", (POS[:, None], POS[None, :]), 1e-5), ("betaln", (POS[:, None], POS[None, :]), 1e-5),
          ("rel_entr", (P[:, None], P[None, :]), 1e-5), ("kl_div", (P[:, None], P[None, :]), 1e-5),
          ("zeta", (np.array([2.0, 3.5], np.float32)[:, None], POS[None, :]), 1e-5),
          ("comb", (np.array([5, 10, 3], np.float32), np.array([2, 3, 4], np.float32)), 1e-5),
          ("poch", (POS, POS[::-1]), 1e-5), ("multigammaln", (POS + 2, 3), 1e-5),
          ("boxcox", (POS, np.array([0, 0.5, -1, 2, 0.1], np.float32)), 1e-5),
          ("boxcox1p", (POS, np.array([0, 0.5, -1, 2, 0.1], np.float32)), 1e-5)]


# The oracle runs as one jitted program per test: compiling JAX's special functions op by op costs
# seconds each, one XLA program for all of them a fraction of that.
@needs_jax
def test_values_against_jax():
    jsp = real_jax.scipy.special
    theirs = real_jax.jit(lambda: ([getattr(jsp, n)(x) for n, x, _ in UNARY], [getattr(jsp, n)(*a) for n, a, _ in BINARY]))()
    for (name, x, rtol), e in zip(UNARY, theirs[0]):
        assert_close(getattr(sp, name)(x), e, rtol=rtol, atol=1e-6)
    for (name, args, rtol), e in zip(BINARY, theirs[1]):
        assert_close(getattr(sp, name)(*args), e, rtol=rtol, atol=1e-6)


@needs_jax
def test_misc_against_jax():
    jsp = real_jax.scipy.special
    x = np.array([[1.0, 2.0, -np.inf], [0.5, 0.5, 3.0]], np.float32)
    n = np.array([1, 2], np.int32)
    kws = ({}, {"axis": 1}, {"b": np.array([1.0, -2.0, 0.5], np.float32), "axis": -1, "return_sign": True})

    def cases(m):
        return [m.logsumexp(x, **kw) for kw in kws] + [
            m.softmax(x, axis=1), m.log_softmax(x, axis=0), m.polygamma(n, POS[:2]), m.bernoulli(6),
            m.gammaln(np.arange(1, 4))]  # ints -> float32
    for ours, theirs in zip(cases(sp), real_jax.jit(lambda: cases(jsp))()):
        assert_close(ours, theirs)
    with pytest.raises(ValueError):
        sp.polygamma(1.0, 2.0)
    assert_close(sp.erf(2), jsp.erf(2))  # weak scalar


GRAD_UNARY = ("gammaln", "digamma", "erfinv", "ndtri", "logit", "expit", "i0e", "i1e", "ndtr", "log_ndtr", "entr")


@needs_jax
def test_grads():
    x = np.array([0.3, 1.7, 4.0], np.float32)
    z = np.array([0.0, 0.0, 1.0], np.float32)
    y = np.array([0.0, 2.0, 3.0], np.float32)

    def grads(m, grad):
        out = []
        for name in GRAD_UNARY:
            arg = x / 5 if name in ("erfinv", "ndtri", "logit") else x
            out.append(grad(lambda v: getattr(m, name)(v).sum())(arg))
        for name in ("xlogy", "xlog1py"):
            out.append(grad(lambda a, b: getattr(m, name)(a, b).sum(), argnums=(0, 1))(z, y))
        out.append(grad(lambda a: m.gammainc(a, 2.0).sum())(x))
        out.append(grad(lambda q: m.zeta(2.0, q).sum())(x))
        return out
    for ours, theirs in zip(grads(sp, jax.grad), real_jax.jit(lambda: grads(real_jax.scipy.special, real_jax.grad))()):
        assert_close(ours, theirs, rtol=1e-4)


def test_properties():
    # identities that run without the oracle (Pyodide too)
    x = np.array([0.5, 1.5, 4.0], np.float32)
    np.testing.assert_allclose(np.asarray(sp.gamma(x + 1)), np.asarray(x * sp.gamma(x)), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(sp.ndtr(sp.ndtri(x / 5))), x / 5, rtol=1e-5)
    np.testing.assert_allclose(float(sp.xlogy(0.0, 0.0)), 0.0)
    np.testing.assert_allclose(float(jax.grad(sp.xlogy)(0.0, 0.0)), -np.inf)
    v = jax.vmap(sp.gammainc)(x, x)
    np.testing.assert_allclose(np.asarray(v), [float(sp.gammainc(a, a)) for a in x], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(jax.jit(sp.log_ndtr)(-x * 10)), np.asarray(sp.log_ndtr(-x * 10)), rtol=1e-6)
