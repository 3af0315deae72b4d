"""complex64/complex128 QR, eigh and SVD on the wasm device (backends/wasm/eig_complex.py), in
the device's memory with no host fallback. QR is compared value for value with numpy's LAPACK
(and JAX's CPU result), R's diagonal real; eigenvectors and singular vectors are unique up to a
unit phase per column only, so those are checked through invariants: A V = V diag(w), V^H V = I,
U diag(s) V^H = A, unitary factors, values equal to numpy's. complex128 runs under x64 (the
fixture of test_wasm_linalg_f64.py). Runs on wasmtime here and on the browser's engine in
Pyodide (where the jax oracle is absent)."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite._src.lax import linalg as L
from conftest import needs_jax, real_jax, real_jnp

if "wasm" not in [d.platform for d in jax.devices()]:
    pytest.skip("no WebAssembly engine here", allow_module_level=True)

WASM = jax.devices("wasm")[0]
RTOL = {np.complex64: 1e-4, np.complex128: 1e-10}  # relative to the input's scale, per matrix order


@pytest.fixture(params=[np.complex64, np.complex128], ids=["c64", "c128"])
def dt(request):
    """The dtype under test (x64 on for complex128, jaxlite and the oracle); nothing may fall
    back to the host."""
    x64 = request.param is np.complex128
    jax.config.update("jax_enable_x64", x64)
    if real_jax is not None:
        real_jax.config.update("jax_enable_x64", x64)
    WASM.host_fallbacks.clear()
    try:
        yield request.param
        assert not WASM.host_fallbacks, dict(WASM.host_fallbacks)
    finally:
        jax.config.update("jax_enable_x64", False)
        if real_jax is not None:
            real_jax.config.update("jax_enable_x64", False)


def crandn(rng, shape, dt):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dt)


def on(*xs):
    return [jax.device_put(np.asarray(x), WASM) for x in xs]


def H(x):
    return np.conj(np.swapaxes(x, -1, -2))


def close(got, want, dt, scale=1.0, n=1):
    """Within RTOL[dt] * n * scale of want, entry by entry."""
    np.testing.assert_allclose(np.asarray(got), want, rtol=0, atol=RTOL[dt] * n * scale)


def unitary_columns(x, dt):
    x = np.asarray(x).astype(np.complex128)
    g = H(x) @ x
    close(g, np.broadcast_to(np.eye(g.shape[-1]), g.shape), dt, n=max(x.shape[-2:]))


def qr(a, full):
    return [np.asarray(v) for v in L.qr_p.bind(*on(a), pivoting=False, full_matrices=full, use_magma=None)]


def eigh(a, lower=True, subset=None):
    return [np.asarray(v) for v in L.eigh_p.bind(*on(a), lower=lower, sort_eigenvalues=True, subset_by_index=subset)]


def svd(a, full=False, uv=True):
    return [np.asarray(v) for v in L.svd_p.bind(*on(a), full_matrices=full, compute_uv=uv, subset_by_index=None,
                                                algorithm=None)]


def real_of(dt):
    return np.float32 if dt is np.complex64 else np.float64


# ---- qr ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 1), (5, 3), (3, 5), (17, 17), (40, 23), (2, 3, 6, 4)])
def test_qr_equals_lapack(shape, dt, rng):
    a = crandn(rng, shape, dt)
    a64 = a.astype(np.complex128)
    n = max(shape[-2:])
    for full in (True, False):
        q, r = qr(a, full)
        qn, rn = np.linalg.qr(a64, mode="complete" if full else "reduced")
        assert q.dtype == r.dtype == dt and q.shape == qn.shape and r.shape == rn.shape
        close(q, qn, dt, n=n)  # LAPACK's reflectors: the same Q and R, not only Q R
        close(r, rn, dt, scale=np.abs(a).max(), n=n)
        assert np.all(np.tril(r, -1) == 0)
        assert np.all(np.diagonal(r, axis1=-2, axis2=-1).imag == 0)
        unitary_columns(q, dt)
        close(q @ r, a64, dt, scale=np.abs(a).max(), n=n)


def test_qr_real_alpha_zero_column_and_zero_matrix(dt):
    """clarfg's cases: a column already zero below a real diagonal keeps H = I (R's entry keeps
    its sign), a complex one with nothing below still turns real; the zero matrix gives Q = I."""
    a = np.array([[-2, 1j, 3], [0, 1 + 1j, 2], [0, 0, 0]], dt)
    q, r = qr(a, True)
    qn, rn = np.linalg.qr(a.astype(np.complex128))
    close(q, qn, dt, n=3)
    close(r, rn, dt, scale=3, n=3)
    assert r[0, 0] == -2 and r[1, 1].imag == 0
    q, r = qr(np.zeros((4, 3), dt), True)
    np.testing.assert_array_equal(q, np.eye(4))
    np.testing.assert_array_equal(r, np.zeros((4, 3)))


@needs_jax
def test_qr_against_jax(dt, rng):
    a = crandn(rng, (9, 6), dt)
    for mode in ("complete", "reduced"):
        q, r = jnp.linalg.qr(*on(a), mode=mode)
        qj, rj = real_jnp.linalg.qr(a, mode=mode)
        assert q.dtype == qj.dtype and r.dtype == rj.dtype
        close(q, np.asarray(qj), dt, n=9)
        close(r, np.asarray(rj), dt, scale=np.abs(a).max(), n=9)


# ---- eigh -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 7, 33])
def test_eigh(n, dt, rng):
    a = crandn(rng, (2, n, n), dt)
    h = a + H(a)  # Hermitian
    wn = np.linalg.eigvalsh(h.astype(np.complex128))
    for lower in (True, False):
        # only the named triangle is read (and the diagonal's real part)
        tri = np.tril(h) if lower else np.triu(h)
        tri = tri + 1j * np.eye(n) * 5.0
        v, w = eigh(tri, lower)
        assert w.dtype == real_of(dt) and v.dtype == dt and w.shape == (2, n) and v.shape == (2, n, n)
        scale = np.abs(wn).max()
        close(w, wn, dt, scale=scale, n=n)
        assert np.all(np.diff(w, axis=-1) >= 0)
        unitary_columns(v, dt)
        v64 = v.astype(np.complex128)
        close(h @ v64, v64 * w[..., None, :], dt, scale=scale, n=n)


def test_eigh_subset_zero_and_nan(dt, rng):
    a = crandn(rng, (20, 20), dt)
    h = a + H(a)
    v, w = eigh(h, subset=(4, 9))
    wn = np.linalg.eigvalsh(h.astype(np.complex128))
    assert v.shape == (20, 5)
    close(w, wn[4:9], dt, scale=np.abs(wn).max(), n=20)
    close(h.astype(np.complex128) @ v, v * w, dt, scale=np.abs(wn).max(), n=20)
    v, w = eigh(np.zeros((5, 5), dt))  # LAPACK's answer: the identity
    np.testing.assert_array_equal(w, np.zeros(5))
    np.testing.assert_array_equal(v, np.eye(5))
    bad = np.eye(5, dtype=dt)
    bad[3, 1] = np.nan * 1j  # in the lower triangle that is read
    v, w = eigh(bad)
    assert np.isnan(w).all() and np.isnan(v.real).all() and np.isnan(v.imag).all()


# ---- svd --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 1), (6, 4), (4, 6), (20, 20), (2, 40, 17), (17, 40)])
def test_svd(shape, dt, rng):
    a = crandn(rng, shape, dt)
    a64 = a.astype(np.complex128)
    m, n = shape[-2:]
    k = min(m, n)
    sn = np.linalg.svd(a64, compute_uv=False)
    scale = sn.max()
    (s_only,) = svd(a, uv=False)
    assert s_only.dtype == real_of(dt)
    close(s_only, sn, dt, scale=scale, n=max(m, n))
    for full in (False, True):
        s, u, vh = svd(a, full)
        assert s.dtype == real_of(dt) and u.dtype == vh.dtype == dt
        assert u.shape[-2:] == ((m, m) if full else (m, k)) and vh.shape[-2:] == ((n, n) if full else (k, n))
        close(s, sn, dt, scale=scale, n=max(m, n))
        assert np.all(np.diff(s, axis=-1) <= 0)
        unitary_columns(u, dt)
        unitary_columns(H(vh), dt)
        close((u[..., :k] * s[..., None, :]) @ vh[..., :k, :], a64, dt, scale=scale, n=max(m, n))


def test_svd_rank_deficient_zero_and_nan(dt, rng):
    """Zero singular values: U's columns completed (unitary, also full); NaN in, NaN out."""
    a = crandn(rng, (2, 25, 3), dt) @ crandn(rng, (2, 3, 18), dt)  # rank 3, preconditioned (>= 16)
    s, u, vh = svd(a, full=True)
    close(s, np.linalg.svd(a.astype(np.complex128), compute_uv=False), dt, scale=np.abs(s).max(), n=25)
    unitary_columns(u, dt)
    unitary_columns(H(vh), dt)
    close((u[..., :18] * s[..., None, :]) @ vh, a, dt, scale=np.abs(s).max(), n=25)
    s, u, vh = svd(np.zeros((5, 3), dt))
    np.testing.assert_array_equal(s, np.zeros(3))
    unitary_columns(u, dt)
    bad = np.eye(4, dtype=dt)
    bad[2, 0] = np.nan
    s, u, vh = svd(bad)
    assert np.isnan(s).all() and np.isnan(u.imag).all() and np.isnan(vh.real).all()


def test_real_svd_batched_full_rank_deficient(rng):
    """float32, batched, preconditioned, with U completed (completion's unit-vector index once
    shared its name with the eigh scratch pointer `e`, which the next matrix's preconditioning
    then wrote through)."""
    WASM.host_fallbacks.clear()
    a = (rng.standard_normal((3, 30, 2)) @ rng.standard_normal((3, 2, 20))).astype(np.float32)
    s, u, vh = svd(a, full=True)
    np.testing.assert_allclose(s, np.linalg.svd(a.astype(np.float64), compute_uv=False), atol=1e-4 * 30 * 10)
    np.testing.assert_allclose(np.swapaxes(u, -1, -2) @ u, np.broadcast_to(np.eye(30), u.shape), atol=1e-4)
    np.testing.assert_allclose((u[..., :20] * s[..., None, :]) @ vh, a, atol=1e-3)
    assert not WASM.host_fallbacks


def test_empty_matrices(dt):
    from jaxlite._src.backends import cpu
    for shape in [(0, 0), (3, 0), (0, 3), (2, 0, 0)]:
        x = np.zeros(shape, dt)
        for full in (True, False):
            want = cpu.kernels[L.qr_p](x, pivoting=False, full_matrices=full, use_magma=None)
            for g, w in zip(qr(x, full), want):
                assert g.dtype == dt
                np.testing.assert_array_equal(g, w)  # shapes too: Q = I (m x m) for (3, 0)
        (s,) = svd(x, uv=False)
        assert s.shape == shape[:-2] + (0,) and s.dtype == real_of(dt)
        if shape[-1] == shape[-2]:
            v, w = eigh(x)
            assert v.shape == shape and w.shape == shape[:-1] and w.dtype == real_of(dt)


# ---- jax.numpy under jit, vmap and grad -------------------------------------------------------------


def test_jit_vmap_and_grad_on_the_device(dt, rng):
    a = crandn(rng, (3, 6, 6), dt)
    (xa,) = on(a)
    weights = np.arange(6.0).astype(real_of(dt))
    w = jax.jit(jax.vmap(jnp.linalg.eigvalsh))(xa)
    assert w.device == WASM and w.dtype == real_of(dt)
    herm = (a + H(a)) / 2  # eigvalsh reads the lower triangle; its derivative symmetrises
    close(w, np.linalg.eigvalsh(np.tril(herm) + H(np.tril(herm, -1))), dt, scale=5, n=6)
    s = jax.jit(jax.vmap(lambda m: jnp.linalg.svd(m, compute_uv=False)))(xa)
    close(s, np.linalg.svd(a.astype(np.complex128), compute_uv=False), dt, scale=5, n=6)

    def f_eigh(m):  # phase-invariant losses: weighted eigenvalues and singular values
        return jnp.sum(jnp.linalg.eigh(m)[0] * weights)

    def f_svd(m):
        return jnp.sum(jnp.linalg.svd(m, compute_uv=False) * weights)
    m0 = a[0]
    for f in (f_eigh, f_svd):
        g = np.asarray(jax.jit(jax.grad(f))(*on(m0)))
        assert g.dtype == dt
        # JAX's convention for a real function of z = x + iy: df/dx - i df/dy
        h = 1e-2 if dt is np.complex64 else 1e-6
        for i, j in [(0, 0), (1, 4), (5, 2)]:
            def at(dz):
                mz = m0.astype(np.complex128).copy()
                mz[i, j] += dz
                return float(f(*on(mz.astype(dt))))
            fd = (at(h) - at(-h)) / (2 * h) - 1j * (at(1j * h) - at(-1j * h)) / (2 * h)
            np.testing.assert_allclose(g[i, j], fd, atol=5e-3 if dt is np.complex64 else 1e-7)


@needs_jax
def test_values_and_gradients_against_jax(dt, rng):
    a = crandn(rng, (7, 5), dt)
    herm = crandn(rng, (6, 6), dt)
    herm = herm + H(herm)
    weights = np.arange(5.0).astype(real_of(dt))

    def f(np_, m):
        return np_.sum(np_.linalg.svd(m, compute_uv=False) * weights)
    pairs = [(jnp.linalg.svd(*on(a), compute_uv=False), real_jnp.linalg.svd(a, compute_uv=False)),
             (jnp.linalg.eigvalsh(*on(herm)), real_jnp.linalg.eigvalsh(herm)),
             (jax.jit(jax.grad(lambda m: f(jnp, m)))(*on(a)), real_jax.grad(lambda m: f(real_jnp, m))(a)),
             (jax.grad(lambda m: jnp.sum(jnp.linalg.eigh(m)[0] ** 2))(*on(herm)),
              real_jax.grad(lambda m: real_jnp.sum(real_jnp.linalg.eigh(m)[0] ** 2))(herm))]
    for ours, theirs in pairs:
        assert ours.dtype == theirs.dtype
        close(ours, np.asarray(theirs), dt, scale=np.abs(np.asarray(theirs)).max(), n=10)
