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


@needs_jax
@pytest.mark.parametrize("name,x,rtol", UNARY, ids=[u[0] for u in UNARY])
def test_unary(name, x, rtol):
    assert_close(getattr(sp, name)(x), getattr(real_jax.scipy.special, name)(x), rtol=rtol, atol=1e-6)


@needs_jax
@pytest.mark.parametrize("name,args,rtol", BINARY, ids=[b[0] for b in BINARY])
def test_binary(name, args, rtol):
    assert_close(getattr(sp, name)(*args), getattr(real_jax.scipy.special, name)(*args), rtol=rtol, atol=1e-6)


@needs_jax
def test_misc_against_jax():
    x = np.array([[1.0, 2.0, -np.inf], [0.5, 0.5, 3.0]], np.float32)
    for kw in ({}, {"axis": 1}, {"b": np.array([1.0, -2.0, 0.5], np.float32), "axis": -1, "return_sign": True}):
        assert_close(sp.logsumexp(x, **kw), real_jax.scipy.special.logsumexp(x, **kw))
    assert_close(sp.softmax(x, axis=1), real_jax.scipy.special.softmax(x, axis=1))
    assert_close(sp.log_softmax(x, axis=0), real_jax.scipy.special.log_softmax(x, axis=0))
    n = np.array([1, 2], np.int32)
    assert_close(sp.polygamma(n, POS[:2]), real_jax.scipy.special.polygamma(n, POS[:2]))
    with pytest.raises(ValueError):
        sp.polygamma(1.0, 2.0)
    assert_close(sp.bernoulli(6), real_jax.scipy.special.bernoulli(6))
    assert_close(sp.gammaln(np.arange(1, 4)), real_jax.scipy.special.gammaln(np.arange(1, 4)))  # ints -> float32
    assert_close(sp.erf(2), real_jax.scipy.special.erf(2))  # weak scalar


@needs_jax
def test_grads():
    x = np.array([0.3, 1.7, 4.0], np.float32)
    for name in ("gammaln", "digamma", "erfinv", "ndtri", "logit", "expit", "i0e", "i1e", "ndtr", "log_ndtr", "entr"):
        arg = x / 5 if name in ("erfinv", "ndtri", "logit") else x
        assert_close(jax.grad(lambda v: getattr(sp, name)(v).sum())(arg),
                     real_jax.grad(lambda v: getattr(real_jax.scipy.special, name)(v).sum())(arg), rtol=1e-4)
    z = np.array([0.0, 0.0, 1.0], np.float32)
    y = np.array([0.0, 2.0, 3.0], np.float32)
    for name in ("xlogy", "xlog1py"):
        assert_close(jax.grad(lambda a, b: getattr(sp, name)(a, b).sum(), argnums=(0, 1))(z, y),
                     real_jax.grad(lambda a, b: getattr(real_jax.scipy.special, name)(a, b).sum(), argnums=(0, 1))(z, y))
    assert_close(jax.grad(lambda a: sp.gammainc(a, 2.0).sum())(x),
                 real_jax.grad(lambda a: real_jax.scipy.special.gammainc(a, 2.0).sum())(x), rtol=1e-4)
    assert_close(jax.grad(lambda q: sp.zeta(2.0, q).sum())(x), real_jax.grad(lambda q: real_jax.scipy.special.zeta(2.0, q).sum())(x))


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
