"""jaxlite.scipy.optimize (BFGS, L-BFGS, line search) and jaxlite.scipy.signal against JAX and
closed forms."""

import importlib

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite.scipy import optimize, signal
from conftest import assert_close, needs_jax, real_jax

if real_jax is not None:
    importlib.import_module("jax.scipy.optimize")  # not loaded by `import jax`

A = np.array([[3.0, 0.5, 0.1], [0.5, 2.0, 0.3], [0.1, 0.3, 1.0]], np.float32)
B = np.array([1.0, -2.0, 0.5], np.float32)


def quadratic(x, c):
    return 0.5 * x @ (A @ x) - B @ x + c


def rosenbrock(x, np_=jnp):
    return np_.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def _check_result(ours, theirs, rtol=1e-4):
    for field in ("x", "fun", "jac", "success", "status", "nit", "nfev", "njev"):
        atol = 1e-3 if field == "jac" else 1e-5
        assert_close(getattr(ours, field), getattr(theirs, field), rtol=rtol, atol=atol)


@needs_jax
def test_bfgs_matches_jax():
    x0 = np.zeros(3, np.float32)
    theirs = real_jax.jit(lambda: real_jax.scipy.optimize.minimize(quadratic, x0, (1.0,), method="BFGS"))()
    ours = optimize.minimize(quadratic, x0, (1.0,), method="BFGS")
    _check_result(ours, theirs)
    assert_close(ours.hess_inv, theirs.hess_inv, rtol=1e-3, atol=1e-4)
    r0 = np.array([-1.2, 1.0], np.float32)
    theirs = real_jax.jit(lambda x: real_jax.scipy.optimize.minimize(lambda y: rosenbrock(y, real_jax.numpy), x,
                                                                     method="BFGS"))(r0)
    ours = jax.jit(lambda x: optimize.minimize(rosenbrock, x, method="BFGS"))(r0)
    _check_result(ours, theirs, rtol=1e-3)


@needs_jax
def test_lbfgs_matches_jax():
    method = "l-bfgs-experimental-do-not-rely-on-this"
    x0 = np.zeros(3, np.float32)
    opts = {"gtol": 1e-3}  # stop before the objective's last-ulp noise steers the line search
    theirs = real_jax.jit(lambda: real_jax.scipy.optimize.minimize(quadratic, x0, (0.0,), method=method, options=opts))()
    ours = optimize.minimize(quadratic, x0, (0.0,), method=method, options=opts)
    _check_result(ours, theirs)
    assert ours.hess_inv is None and theirs.hess_inv is None


def test_bfgs_finds_closed_form_minimum():
    res = jax.jit(lambda x0: optimize.minimize(quadratic, x0, (2.0,), method="bfgs"))(jnp.ones(3))
    expected = np.linalg.solve(A.astype(np.float64), B)
    np.testing.assert_allclose(np.asarray(res.x), expected, rtol=1e-4, atol=2e-5)
    assert bool(res.success) and int(res.status) == 0 and res.x.dtype == np.float32
    res = optimize.minimize(quadratic, np.ones(3, np.float32), (2.0,), method="BFGS", options={"maxiter": 1})
    assert int(res.nit) == 1 and int(res.status) == 1 and not bool(res.success)
    with pytest.raises(TypeError, match="must be a tuple"):
        optimize.minimize(quadratic, np.ones(3, np.float32), 2.0, method="BFGS")
    with pytest.raises(ValueError, match="not recognized"):
        optimize.minimize(quadratic, np.ones(3, np.float32), (2.0,), method="Nelder-Mead")


RNG = np.random.default_rng(0)
S1, S2 = RNG.normal(size=7).astype(np.float32), RNG.normal(size=3).astype(np.float32)
M1, M2, M3 = (RNG.normal(size=s).astype(np.float32) for s in ((5, 6), (2, 3), (5, 6)))


def _signal_calls(m):
    out = []
    for mode in ("full", "same", "valid"):
        for x, y in ((S1, S2), (S2, S1), (M1, M2)):
            out += [m.convolve(x, y, mode), m.correlate(x, y, mode, method="direct")]
        for x, y in ((M1, M2), (M2, M1), (M1, M3)):
            out += [m.convolve2d(x, y, mode), m.correlate2d(x, y, mode)]
    d = M1 + np.arange(6, dtype=np.float32)
    out += [m.detrend(d), m.detrend(d, axis=0), m.detrend(d, type="constant"), m.detrend(d, bp=[2, 5]),
            m.convolve(np.arange(5), np.ones(3, np.int32))]  # ints promote to float32
    return out


@needs_jax
def test_signal_matches_jax():
    theirs = real_jax.jit(lambda: _signal_calls(real_jax.scipy.signal))()
    for ours, e in zip(_signal_calls(signal), theirs):
        assert_close(ours, e, rtol=1e-4, atol=1e-5)


def test_signal_properties_and_transforms():
    for mode in ("full", "same", "valid"):
        np.testing.assert_allclose(np.asarray(signal.convolve(S1, S2, mode)), np.convolve(S1, S2, mode), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.asarray(signal.correlate(S1, S2, mode)), np.correlate(S1, S2, mode), rtol=1e-5,
                                   atol=1e-6)
    # detrend removes exactly a least-squares line
    t = np.arange(9, dtype=np.float32)
    np.testing.assert_allclose(np.asarray(signal.detrend(3.0 * t - 2.0)), 0.0, atol=1e-5)
    np.testing.assert_allclose(np.asarray(signal.detrend(S1[:1])), [0.0])
    batched = jax.vmap(lambda x: signal.convolve(x, S2, "same"))(M1[:, :4])
    np.testing.assert_allclose(np.asarray(batched), [np.convolve(r, S2, "same") for r in M1[:, :4]], rtol=1e-5, atol=1e-6)
    # d/dx sum(convolve(x, k)) = sum(k) for every x[i]
    g = jax.grad(lambda x: jax.jit(signal.convolve)(x, S2).sum())(S1)
    np.testing.assert_allclose(np.asarray(g), np.full(7, S2.sum()), rtol=1e-5)
    with pytest.raises(ValueError, match="same number of dimensions"):
        signal.convolve(S1, M2)
    with pytest.raises(ValueError, match="smaller than the other"):
        signal.convolve2d(np.ones((2, 5)), np.ones((3, 3)))
    with pytest.raises(NotImplementedError, match="boundary='fill'"):
        signal.convolve2d(M1, M2, boundary="wrap")
    with pytest.raises(ValueError, match="linear"):
        signal.detrend(S1, type="quadratic")


def _fft_method_calls(m):
    out = []
    for mode in ("full", "same", "valid"):
        out += [m.convolve(S1, S2, mode, method="fft"), m.correlate(S2, S1, mode, method="fft"),
                m.convolve(M1, M2, mode, method="fft"), m.correlate(M1, M3, mode, method="fft")]
    return out + [m.convolve(np.arange(5), np.ones(3, np.int32), method="fft")]


@needs_jax
def test_fft_method_matches_jax():
    theirs = real_jax.jit(lambda: _fft_method_calls(real_jax.scipy.signal))()
    for ours, e in zip(_fft_method_calls(signal), theirs):
        assert_close(ours, e, rtol=1e-4, atol=1e-4)


def test_fft_method_agrees_with_direct():
    for mode in ("full", "same", "valid"):
        for fn in (signal.convolve, signal.correlate):
            assert_close(fn(M1, M2, mode, method="fft"), fn(M1, M2, mode, method="direct"), rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="expected 'auto', 'fft', or 'direct'"):
        signal.convolve(S1, S2, method="overlap-add")
