"""jax.scipy.special.sph_harm_y and jax.scipy.stats.gaussian_kde against JAX, plus properties that
need no oracle (orthonormality on the sphere, a density that integrates to one) so Pyodide checks too."""

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite.scipy.special import sph_harm_y
from jaxlite.scipy.stats import gaussian_kde
from conftest import assert_close, needs_jax


def _degrees(rng, count, n_max):
    n = rng.integers(0, n_max + 1, count)
    m = np.array([rng.integers(-k, k + 1) for k in n])
    return n, m


@needs_jax
def test_sph_harm_y_matches_jax(rng):
    from jax.scipy.special import sph_harm_y as ref
    n, m = _degrees(rng, 40, 10)
    theta = rng.uniform(0, np.pi, 40).astype(np.float32)
    phi = rng.uniform(0, 2 * np.pi, 40).astype(np.float32)
    assert_close(sph_harm_y(n, m, theta, phi), np.asarray(ref(n, m, theta, phi)), atol=2e-6)
    # one colatitude for every degree, and degrees past n_max clipped to it, as JAX reads its table
    assert_close(sph_harm_y(n, m, theta[:1], phi, n_max=4), np.asarray(ref(n, m, theta[:1], phi, n_max=4)),
                 atol=2e-6)
    jitted = jaxlite.jit(lambda *a: sph_harm_y(*a, n_max=10))
    assert_close(jitted(n, m, theta, phi), np.asarray(ref(n, m, theta, phi)), atol=2e-6)


def test_sph_harm_y_is_orthonormal():
    # Gauss-Legendre in cos(theta) times a uniform grid in phi integrates these exactly.
    nodes, weights = np.polynomial.legendre.leggauss(12)
    phis = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    theta = np.repeat(np.arccos(nodes), len(phis)).astype(np.float32)
    phi = np.tile(phis, len(nodes)).astype(np.float32)
    w = np.repeat(weights, len(phis)) * (2 * np.pi / len(phis))
    pairs = [(0, 0), (1, -1), (1, 1), (2, 0), (3, 2), (5, -3)]
    ys = [np.asarray(sph_harm_y(np.full(theta.size, n), np.full(theta.size, m), theta, phi, n_max=5))
          for n, m in pairs]
    gram = np.array([[np.sum(w * a * np.conj(b)) for b in ys] for a in ys])
    np.testing.assert_allclose(gram, np.eye(len(pairs)), atol=2e-5)


def test_sph_harm_y_errors():
    with pytest.raises(NotImplementedError, match="diff_n"):
        sph_harm_y(np.array([1]), np.array([0]), 0.1, 0.2, diff_n=1)
    with pytest.raises(jaxlite.errors.ConcretizationTypeError):
        jaxlite.jit(sph_harm_y)(np.array([1]), np.array([0]), np.array([0.1]), np.array([0.2]))


@pytest.fixture(scope="module")
def samples():
    rng = np.random.default_rng(3)
    return (rng.normal(size=(2, 50)).astype(np.float32), rng.uniform(0.1, 1, 50).astype(np.float32),
            rng.normal(size=(2, 7)).astype(np.float32))


@needs_jax
@pytest.mark.parametrize("kwargs", [{}, {"bw_method": "silverman"}, {"bw_method": 0.3}, {"weights": True}])
def test_gaussian_kde_matches_jax(samples, kwargs):
    from jax.scipy.stats import gaussian_kde as ref
    data, w, query = samples
    if kwargs.get("weights"):
        kwargs = {"weights": w}
    ours, theirs = gaussian_kde(data, **kwargs), ref(data, **kwargs)
    assert_close(ours.neff, np.asarray(theirs.neff))
    assert_close(ours.covariance, np.asarray(theirs.covariance))
    assert_close(ours(query), np.asarray(theirs(query)), atol=1e-7)
    assert_close(ours.logpdf(query), np.asarray(theirs.logpdf(query)), rtol=1e-5, atol=1e-5)


@needs_jax
def test_gaussian_kde_integrals_resample_and_grad_match_jax(samples):
    import jax
    from jax.scipy.stats import gaussian_kde as ref
    data, _, query = samples
    ours, theirs = gaussian_kde(data), ref(data)
    assert_close(ours.integrate_gaussian(np.zeros(2), np.eye(2)),
                 np.asarray(theirs.integrate_gaussian(np.zeros(2), np.eye(2))))
    assert_close(ours.integrate_kde(gaussian_kde(data[:, :20])), np.asarray(theirs.integrate_kde(ref(data[:, :20]))))
    line, ref_line = gaussian_kde(data[0]), ref(data[0])
    assert_close(line.integrate_box_1d(-1.0, 0.5), np.asarray(ref_line.integrate_box_1d(-1.0, 0.5)))
    assert_close(line.resample(jaxlite.random.key(0), (4,)),
                 np.asarray(ref_line.resample(jax.random.key(0), (4,))), atol=1e-5)
    assert_close(jaxlite.grad(lambda d: gaussian_kde(d).pdf(query).sum())(data),
                 np.asarray(jax.grad(lambda d: ref(d).pdf(query).sum())(data)), atol=1e-6)


def test_gaussian_kde_is_a_density_and_a_pytree(samples):
    data, _, query = samples
    kde = gaussian_kde(data[0])
    grid = np.linspace(-8, 8, 4001, dtype=np.float32)
    assert abs(float(jnp.sum(kde(grid)) * (grid[1] - grid[0])) - 1) < 1e-3
    assert abs(float(kde.integrate_box_1d(-20.0, 20.0)) - 1) < 1e-5
    # log space keeps far-away points finite where the density underflows
    assert np.isfinite(float(kde.logpdf(np.float32(60.0))[0]))
    two = gaussian_kde(data)
    np.testing.assert_allclose(np.asarray(jaxlite.jit(lambda k, q: k(q))(two, query)), np.asarray(two(query)),
                               rtol=1e-5)
    leaves = jaxlite.tree_util.tree_leaves(two)
    assert len(leaves) == 5 and two.d == 2 and two.n == 50


def test_gaussian_kde_errors(samples):
    data, _, _ = samples
    with pytest.raises(ValueError, match="multiple elements"):
        gaussian_kde(np.ones(1))
    with pytest.raises(ValueError, match="bw_method"):
        gaussian_kde(data, bw_method="foo")
    with pytest.raises(ValueError, match="dimension 3, dataset has dimension 2"):
        gaussian_kde(data)(np.ones((3, 2)))
    with pytest.raises(ValueError, match="1D pdfs"):
        gaussian_kde(data).integrate_box_1d(0.0, 1.0)
    with pytest.raises(NotImplementedError):
        gaussian_kde(data).set_bandwidth("scott")
    with pytest.raises(NotImplementedError, match="complex"):
        gaussian_kde(np.ones(4) + 1j * np.arange(4))
