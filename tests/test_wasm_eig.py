"""QR, eigh and SVD on the wasm device (backends/wasm/eig.py): float32, batched, in the device's
memory with no host fallback. QR is compared value for value (LAPACK's signs); eigenvectors and
singular vectors up to sign per column, with the reconstruction and orthogonality checked.
Runs on wasmtime here and on the browser's engine in Pyodide (where the jax oracle is absent)."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite._src.backends import cpu
from jaxlite._src.lax import linalg as L
from conftest import needs_jax, numerical_grad, real_jax, real_jnp

if "wasm" not in [d.platform for d in jax.devices()]:
    pytest.skip("no WebAssembly engine here", allow_module_level=True)

WASM = jax.devices("wasm")[0]


def on(*xs):
    return [jax.device_put(np.asarray(x), WASM) for x in xs]


@pytest.fixture(autouse=True)
def no_host_fallback():
    """Every float32 decomposition here stays on the device."""
    WASM.host_fallbacks.clear()
    yield
    assert not WASM.host_fallbacks, dict(WASM.host_fallbacks)


def qr(a, full=True):
    return [np.asarray(v) for v in L.qr_p.bind(*on(a), pivoting=False, full_matrices=full, use_magma=None)]


def eigh(a, lower=True, subset=None):
    return [np.asarray(v) for v in L.eigh_p.bind(*on(a), lower=lower, sort_eigenvalues=True, subset_by_index=subset)]


def svd(a, full=True, uv=True):
    return [np.asarray(v) for v in L.svd_p.bind(*on(a), full_matrices=full, compute_uv=uv, subset_by_index=None,
                                                algorithm=None)]


def T(x):
    return np.swapaxes(x, -1, -2)


def with_spectrum(rng, shape, values):
    """Q diag(values) Q^T for a random orthogonal Q (values along the last axis)."""
    q, _ = np.linalg.qr(rng.standard_normal(shape))
    return ((q * values) @ T(q)).astype(np.float32)


def orthonormal(x, rows=False, atol=None):
    x = x.astype(np.float64)
    g = x @ T(x) if rows else T(x) @ x
    n = g.shape[-1]
    np.testing.assert_allclose(g, np.broadcast_to(np.eye(n), g.shape), atol=atol or 4e-6 * max(n, 8))


def same_up_to_sign(got, want, atol):
    """Columns equal up to one sign each (the sign of their dot product)."""
    sign = np.sign(np.sum(got.astype(np.float64) * want, axis=-2, keepdims=True))
    np.testing.assert_allclose(got * sign, want, atol=atol)


# ---- qr ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 1), (5, 5), (7, 3), (3, 7), (64, 40), (40, 64), (2, 3, 9, 9)])
def test_qr_equals_lapack_value_for_value(shape, rng):
    a = rng.standard_normal(shape).astype(np.float32)
    for full in (True, False):
        q, r = qr(a, full)
        want_q, want_r = cpu.kernels[L.qr_p](a, pivoting=False, full_matrices=full, use_magma=None)
        assert q.dtype == r.dtype == np.float32 and q.shape == want_q.shape and r.shape == want_r.shape
        scale = 2e-6 * max(shape[-2:])
        np.testing.assert_allclose(q, want_q, atol=scale)
        np.testing.assert_allclose(r, want_r, atol=scale * np.abs(a).max() * 4)
        assert np.all(np.tril(r, -1) == 0)


@needs_jax
def test_qr_equals_jax(rng):
    for shape, mode in (((33, 20), "reduced"), ((20, 33), "complete"), ((2, 16, 16), "reduced")):
        a = rng.standard_normal(shape).astype(np.float32)
        q, r = jnp.linalg.qr(*on(a), mode=mode)
        jq, jr = real_jnp.linalg.qr(a, mode=mode)
        assert q.device == WASM
        np.testing.assert_allclose(np.asarray(q), jq, atol=1e-4)
        np.testing.assert_allclose(np.asarray(r), jr, atol=1e-4)
        np.testing.assert_allclose(np.asarray(jnp.linalg.qr(*on(a), mode="r")), real_jnp.linalg.qr(a, mode="r"),
                                   atol=1e-4)


def test_qr_of_zero_columns_and_ill_conditioned(rng):
    # a column that is zero below the diagonal: tau = 0, no sign change (slarfg); zero matrix: Q = I
    a = np.array([[2, 1, 0], [0, 3, 0], [0, 0, 0], [0, 4, 0]], np.float32)
    q, r = qr(a)
    want_q, want_r = cpu.kernels[L.qr_p](a, pivoting=False, full_matrices=True, use_magma=None)
    np.testing.assert_allclose(q, want_q, atol=1e-6)
    np.testing.assert_allclose(r, want_r, atol=1e-6)
    q, r = qr(np.zeros((4, 3), np.float32))
    np.testing.assert_array_equal(q, np.eye(4))
    np.testing.assert_array_equal(r, np.zeros((4, 3)))
    b = with_spectrum(rng, (60, 60), np.logspace(0, 5, 60))
    q, r = qr(b)
    orthonormal(q)
    np.testing.assert_allclose(q.astype(np.float64) @ r, b, atol=1e-5 * np.abs(b).max() * 4)


# ---- eigh -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 7, 33, 64])
def test_eigh_matches_float64(n, rng):
    a = rng.standard_normal((n, n)).astype(np.float32)
    for lower in (True, False):  # only the named triangle counts
        sym = np.tril(a) + np.tril(a, -1).T if lower else np.triu(a) + np.triu(a, 1).T
        v, w = eigh(a, lower)
        assert v.dtype == w.dtype == np.float32 and v.shape == (n, n) and w.shape == (n,)
        w64, v64 = np.linalg.eigh(sym.astype(np.float64))
        scale = np.abs(w64).max()
        np.testing.assert_allclose(w, w64, atol=1e-5 * scale * max(1, n / 8))
        orthonormal(v)
        np.testing.assert_allclose((v * w) @ v.T, sym, atol=2e-6 * n * scale)
        gaps = np.diff(w64)
        if n > 1 and gaps.min() > 1e-2 * scale:  # distinct: vectors unique up to sign
            same_up_to_sign(v, v64, atol=2e-4)


def test_eigh_batched_ill_conditioned_and_repeated(rng):
    a = rng.standard_normal((2, 3, 20, 20)).astype(np.float32)
    a = a + T(a)
    v, w = eigh(a)
    np.testing.assert_allclose(w, np.linalg.eigvalsh(a.astype(np.float64)), atol=2e-5 * np.abs(a).max() * 4)
    np.testing.assert_allclose((v * w[..., None, :]) @ T(v), a, atol=5e-5 * np.abs(a).max())
    for values in (np.logspace(0, 5, 40), np.r_[np.ones(20), 2 * np.ones(10), -np.ones(10)]):
        b = with_spectrum(rng, (40, 40), values)
        v, w = eigh(b)
        np.testing.assert_allclose(w, np.sort(values), rtol=0, atol=1e-5 * np.abs(values).max() * 4)
        orthonormal(v)
        np.testing.assert_allclose((v * w) @ v.T, b, atol=1e-5 * np.abs(values).max() * 4)


def test_eigh_special_matrices():
    v, w = eigh(np.zeros((4, 4), np.float32))  # as LAPACK: the identity
    np.testing.assert_array_equal(v, np.eye(4))
    np.testing.assert_array_equal(w, np.zeros(4))
    v, w = eigh(np.array([[0, 1], [1, 0]], np.float32))
    np.testing.assert_allclose(w, [-1, 1], atol=1e-7)
    np.testing.assert_allclose(np.abs(v), np.full((2, 2), np.sqrt(0.5)), atol=1e-7)
    v, w = eigh(np.array([[1, np.nan], [np.nan, 2]], np.float32))  # JAX: NaN throughout
    assert np.isnan(v).all() and np.isnan(w).all()
    v, w = eigh(np.array([[[1, 0], [0, 2]], [[np.inf, 0], [0, 1]]], np.float32))
    np.testing.assert_array_equal(w[0], [1, 2])
    assert np.isnan(w[1]).all() and np.isnan(v[1]).all()


def test_eigh_subset(rng):
    a = with_spectrum(rng, (12, 12), np.arange(12.0))
    v, w = eigh(a, subset=(3, 7))
    np.testing.assert_allclose(w, [3, 4, 5, 6], atol=1e-5)
    assert v.shape == (12, 4)
    np.testing.assert_allclose(a @ v, v * w, atol=1e-4)


# ---- svd --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 1), (5, 5), (7, 3), (3, 7), (64, 40), (40, 64), (2, 3, 9, 9)])
def test_svd_matches_float64(shape, rng):
    a = rng.standard_normal(shape).astype(np.float32)
    k = min(shape[-2:])
    u64, s64, vh64 = np.linalg.svd(a.astype(np.float64), full_matrices=False)
    (s_only,) = svd(a, uv=False)
    for full in (True, False):
        s, u, vh = svd(a, full)
        assert s.dtype == u.dtype == vh.dtype == np.float32
        want = cpu.kernels[L.svd_p](a, full_matrices=full, compute_uv=True, subset_by_index=None, algorithm=None)
        assert [s.shape, u.shape, vh.shape] == [x.shape for x in want]
        np.testing.assert_allclose(s, s64, atol=1e-5 * s64.max() * max(1, k / 8))
        np.testing.assert_array_equal(s, s_only)
        orthonormal(u)
        orthonormal(vh, rows=True)
        rec = (u[..., :k] * s[..., None, :]) @ vh[..., :k, :]
        np.testing.assert_allclose(rec, a, atol=2e-6 * k * s64.max())
        if len(shape) == 2 and np.diff(s64).max(initial=-1) < -1e-2 * s64.max():
            # distinct singular values: u_i and v_i unique up to one sign (the same for both)
            sign = np.sign(np.sum(u[:, :k] * u64, axis=0))
            np.testing.assert_allclose(u[:, :k] * sign, u64, atol=3e-4)
            np.testing.assert_allclose(vh[:k] * sign[:, None], vh64, atol=3e-4)


def test_svd_rank_deficient_ill_conditioned_and_zero(rng):
    # rank 3 of 30 x 20: the zero singular values get orthonormal completions of U
    a = (rng.standard_normal((30, 3)) @ rng.standard_normal((3, 20))).astype(np.float32)
    b = (np.linalg.qr(rng.standard_normal((50, 30)))[0] * np.logspace(0, -5, 30)) @ \
        np.linalg.qr(rng.standard_normal((30, 30)))[0]
    for x in (a, a.T, b.astype(np.float32)):
        s, u, vh = svd(x)
        s64 = np.linalg.svd(x.astype(np.float64), compute_uv=False)
        np.testing.assert_allclose(s, s64, atol=1e-5 * s64.max() * 4)
        orthonormal(u)
        orthonormal(vh, rows=True)
        k = len(s)
        np.testing.assert_allclose((u[:, :k] * s) @ vh[:k], x, atol=1e-5 * s64.max() * 4)
    s, u, vh = svd(np.zeros((3, 2), np.float32))  # JAX: zeros and identities
    np.testing.assert_array_equal(s, [0, 0])
    np.testing.assert_array_equal(u, np.eye(3))
    np.testing.assert_array_equal(vh, np.eye(2))
    s, u, vh = svd(np.array([[1, 2], [np.nan, 3]], np.float32))  # JAX: NaN throughout
    assert np.isnan(s).all() and np.isnan(u).all() and np.isnan(vh).all()


def test_extreme_magnitudes(rng):
    # float32 sums of squares would overflow (1e25) or underflow (1e-25): the svd scales by a power of two
    for scale in (1e25, 1e-25):
        a = (rng.standard_normal((9, 6)) * scale).astype(np.float32)
        s, u, vh = svd(a)
        s64 = np.linalg.svd(a.astype(np.float64), compute_uv=False)
        np.testing.assert_allclose(s, s64, rtol=1e-5)
        np.testing.assert_allclose((u[:, :6] * s) @ vh, a, atol=1e-5 * s64.max())
        v, w = eigh(a[:6] + a[:6].T)
        np.testing.assert_allclose(w, np.linalg.eigvalsh((a[:6] + a[:6].T).astype(np.float64)), atol=1e-5 * s64.max())
        q, r = qr(a)
        np.testing.assert_allclose(q.astype(np.float64) @ r, a, atol=1e-5 * s64.max())


# ---- through jax.numpy, jit, vmap and grad ----------------------------------------------------------------


def test_numpy_linalg_under_jit_and_vmap_stays_on_the_device(rng):
    a = rng.standard_normal((3, 10, 6)).astype(np.float32)
    s = a[:, :6] + T(a[:, :6])
    (xa, xs) = on(a, s)
    sv = jax.jit(jnp.linalg.svd, static_argnames="full_matrices")(xa, full_matrices=False)
    assert sv.S.device == WASM
    np.testing.assert_allclose(np.asarray(sv.S), np.linalg.svd(a.astype(np.float64), compute_uv=False), atol=1e-5)
    w = jax.vmap(jnp.linalg.eigvalsh)(xs)
    np.testing.assert_allclose(np.asarray(w), np.linalg.eigvalsh(s.astype(np.float64)), atol=1e-5)
    r = jax.jit(jax.vmap(lambda m: jnp.linalg.qr(m)[1]))(xa)
    np.testing.assert_allclose(np.asarray(r), np.linalg.qr(a)[1], atol=1e-5)
    p = jnp.linalg.pinv(xa[0])
    np.testing.assert_allclose(np.asarray(p), np.linalg.pinv(a[0].astype(np.float64)), atol=1e-4)


def test_gradients_through_eigh_and_svd(rng):
    a = rng.standard_normal((5, 5)).astype(np.float32)
    sym = (a + a.T) / 2
    weights = np.arange(5.0, dtype=np.float32)

    def f_eigh(m):  # sign-free: eigenvalues and products of two entries of one vector
        w, v = jnp.linalg.eigh(m)
        return jnp.sum(w * jnp.asarray(weights)) + jnp.sum((v[:, -1] * v[:, -2]) ** 2)

    def f_svd(m):
        u, s, vh = jnp.linalg.svd(m, full_matrices=False)
        return jnp.sum(s ** 2 * jnp.asarray(weights)) + jnp.sum(jnp.abs(u[:, 0] * vh[0]))
    for f, x in ((f_eigh, sym), (f_svd, a)):
        with jax.default_device(WASM):
            got = np.asarray(jax.jit(jax.grad(f))(*on(x)))
            want = numerical_grad(jax.jit(f), x)
        np.testing.assert_allclose(got, want, rtol=3e-2, atol=3e-2 * np.abs(want).max())
    if real_jax is not None:
        def real_eigh(m):
            w, v = real_jnp.linalg.eigh(m)
            return real_jnp.sum(w * weights) + real_jnp.sum((v[:, -1] * v[:, -2]) ** 2)

        def real_svd(m):
            u, s, vh = real_jnp.linalg.svd(m, full_matrices=False)
            return real_jnp.sum(s ** 2 * weights) + real_jnp.sum(real_jnp.abs(u[:, 0] * vh[0]))
        for f, rf, x in ((f_eigh, real_eigh, sym), (f_svd, real_svd, a)):
            with jax.default_device(WASM):
                got = np.asarray(jax.grad(f)(*on(x)))
            np.testing.assert_allclose(got, real_jax.grad(rf)(x), rtol=1e-3, atol=1e-3)


def test_other_dtypes_and_pivoting_keep_the_host():
    (x,) = on(np.eye(3, dtype=np.float32) * 2)
    q, r, p = L.qr_p.bind(x, pivoting=True, full_matrices=True, use_magma=None)
    np.testing.assert_allclose(np.abs(np.asarray(r)), np.eye(3) * 2, atol=1e-6)
    assert WASM.host_fallbacks.pop("qr") == 1  # column pivoting: not on the device
    (s,) = L.svd_p.bind(x, full_matrices=False, compute_uv=False, subset_by_index=(0, 2), algorithm=None)
    np.testing.assert_allclose(np.asarray(s), [2, 2], atol=1e-6)
    assert WASM.host_fallbacks.pop("svd") == 1  # subset_by_index (complex dtypes run on the device: test_wasm_eig_complex.py)


def test_empty_matrices():
    for shape in [(0, 0), (3, 0), (0, 3), (2, 0, 0), (0, 3, 3)]:
        x = np.zeros(shape, np.float32)
        for full in (True, False):
            got = qr(x, full)
            want = cpu.kernels[L.qr_p](x, pivoting=False, full_matrices=full, use_magma=None)
            for g, w in zip(got, want):
                np.testing.assert_array_equal(g, w)  # shapes too: Q = I (m x m) for (3, 0)
        assert svd(x, uv=False)[0].shape == shape[:-2] + (min(shape[-2:]),)
        if shape[-1] == shape[-2]:
            v, w = eigh(x)
            assert v.shape == shape and w.shape == shape[:-1]
    s, u, vh = svd(np.zeros((3, 0), np.float32))  # identities with no singular values: made by the host
    np.testing.assert_array_equal(u, np.eye(3))
    assert WASM.host_fallbacks.pop("svd") == 1
