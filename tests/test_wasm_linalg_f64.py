"""float64 factorisations on the wasm device under jax_enable_x64 (backends/wasm/linalg.py and
eig.py generated for f64x2): Cholesky, triangular solve, LU, QR, eigh and SVD run as float64 kernels
in the device's memory, with no host fallback, to float64 accuracy (rtol ~1e-10 on well-conditioned
inputs: float32 kernels in disguise would miss by 1e-6), and give numpy's and JAX's results.
Orders straddle the block edges (32/64 for Cholesky, 64 for left solves, 16 for right solves, 8 and
192 for LU, 4 columns for the f64x2 gemm tile, 16 for svd's preconditioning)."""

import itertools

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite._src.lax import linalg as L
from conftest import needs_jax, real_jax, real_jnp, x64_on_device

if "wasm" not in [d.platform for d in jax.devices()]:
    pytest.skip("no WebAssembly engine here", allow_module_level=True)

from jaxlite._src.backends.wasm import eig as wasm_eig  # noqa: E402
from jaxlite._src.backends.wasm import linalg as wasm_linalg  # noqa: E402
from jaxlite._src.backends.wasm.assembler import assemble  # noqa: E402

WASM = jax.devices("wasm")[0]
SIZES = [1, 7, 63, 64, 65, 130, 200]
RTOL = 1e-10


@pytest.fixture(autouse=True)
def x64_on_the_device():
    """x64 on for jaxlite (and the oracle) in every test; every factorisation stays on the device."""
    with x64_on_device(WASM):
        yield


def on(*xs):
    return [jax.device_put(np.asarray(x), WASM) for x in xs]


def spd(rng, shape):
    n = shape[-1]
    a = rng.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def close(got, want, rtol=RTOL, scale=None):
    """float64 and within rtol of want relative to want's largest entry."""
    got = np.asarray(got)
    assert got.dtype == np.float64, got.dtype
    scale = np.abs(want).max() if scale is None else scale
    np.testing.assert_allclose(got, want, rtol=0, atol=rtol * max(scale, 1e-300))


# ---- Cholesky, triangular solve, LU -----------------------------------------------------------------------


@pytest.mark.parametrize("n", SIZES)
def test_cholesky(n, rng):
    a = spd(rng, (n, n))
    got = np.asarray(L.cholesky_p.bind(*on(a)))
    assert np.all(np.triu(got, 1) == 0)
    close(got, np.linalg.cholesky(a))


def test_cholesky_batched_symmetrized_and_threaded(rng, monkeypatch):
    a = spd(rng, (2, 3, 70, 70))
    close(L.cholesky_p.bind(*on(a)), np.linalg.cholesky(a))
    # symmetrize_input reads both triangles: (a + a^T) / 2
    skew = a + np.triu(rng.standard_normal((70, 70)), 1) * 1e-3
    sym = (skew + np.swapaxes(skew, -1, -2)) / 2
    close(L.cholesky_p.bind(*on(skew), symmetrize_input=True), np.linalg.cholesky(sym))
    # the Python drivers (gemm rows across threads) give the same float64 result
    monkeypatch.setattr(wasm_linalg, "_threaded", lambda dev, n: True)
    b = spd(rng, (130, 130))
    close(L.cholesky_p.bind(*on(b)), np.linalg.cholesky(b))


def test_cholesky_of_non_spd_is_nan_as_in_jax():
    nan = np.nan
    cases = [(np.array([[1.0, 2], [2, 1]]), [[nan, 0], [nan, nan]]),
             (np.diag(np.r_[np.ones(70), -1, np.ones(9)]), np.where(np.tri(80, dtype=bool), nan, 0))]
    for a, want in cases:
        got = np.asarray(L.cholesky_p.bind(*on(a)))
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got, np.asarray(want))
        if real_jax is not None:
            np.testing.assert_array_equal(got, np.asarray(real_jax.lax.linalg.cholesky(a)))


@pytest.mark.parametrize("left,lower,trans,unit", list(itertools.product([True, False], repeat=4)))
def test_triangular_solve_every_flag(left, lower, trans, unit, rng):
    n, k = 70, 9  # crosses LEFT_NB (64) and TRSM_NB (16); k not a multiple of the f64x2 lanes
    t = rng.standard_normal((n, n)) * 0.3 / n ** 0.5 + 2 * np.eye(n)  # well conditioned with a unit diagonal too
    t = np.tril(t) if lower else np.triu(t)
    b = rng.standard_normal((n, k) if left else (k, n))
    got = L.triangular_solve_p.bind(*on(t, b), left_side=left, lower=lower, transpose_a=trans, conjugate_a=False,
                                    unit_diagonal=unit)
    op = t - np.diag(np.diag(t)) + np.eye(n) if unit else t
    op = op.T if trans else op
    want = np.linalg.solve(op, b) if left else np.linalg.solve(op.T, b.T).T
    close(got, want)


def test_triangular_solve_batched_and_threaded(rng, monkeypatch):
    t = np.tril(rng.standard_normal((3, 130, 130))) + 30 * np.eye(130)
    b = rng.standard_normal((3, 130, 5))
    kw = dict(left_side=True, lower=True, transpose_a=True, conjugate_a=False, unit_diagonal=False)
    want = np.linalg.solve(np.swapaxes(t, -1, -2), b)
    close(L.triangular_solve_p.bind(*on(t, b), **kw), want)
    monkeypatch.setattr(wasm_linalg, "_threaded", lambda dev, n: True)
    close(L.triangular_solve_p.bind(*on(t[0], b[0]), **kw), want[0])


def lu_check(a, lu, piv, perm):
    m, n = a.shape
    k = min(m, n)
    lo = np.tril(lu[:, :k], -1) + np.eye(m, k)
    up = np.triu(lu[:k])
    assert np.asarray(piv).dtype == np.int32 and np.asarray(perm).dtype == np.int32
    close(lo @ up, a[np.asarray(perm)], scale=np.abs(a).max() * max(m, n))


@pytest.mark.parametrize("shape", [(1, 1), (7, 7), (65, 65), (200, 200), (70, 200), (200, 70)])
def test_lu(shape, rng):
    a = rng.standard_normal(shape)
    lu, piv, perm = map(np.asarray, L.lu_p.bind(*on(a)))
    lu_check(a, lu, piv, perm)
    # the cpu kernel (partial pivoting: the first largest |value|) gives the same pivots
    cpu = jax.devices("cpu")[0]
    lu_c, piv_c, perm_c = map(np.asarray, L.lu_p.bind(jax.device_put(a, cpu)))
    np.testing.assert_array_equal(piv, piv_c)
    np.testing.assert_array_equal(perm, perm_c)
    close(lu, lu_c, rtol=1e-12 * max(shape))


def test_lu_singular_batched_and_threaded(rng, monkeypatch):
    a = rng.standard_normal((2, 130, 130))
    a[0, :, 5] = 0.0                    # a zero column: that pivot is zero, its column is left unscaled
    a[1, 100] = a[1, 3] + a[1, 40]      # rank deficient
    lu, piv, perm = map(np.asarray, L.lu_p.bind(*on(a)))
    for i in range(2):
        lu_check(a[i], lu[i], piv[i], perm[i])
    assert lu[0, 5, 5] == 0.0 and np.isfinite(lu).all()
    assert abs(lu[1, -1, -1]) < 1e-12 * np.abs(a[1]).max() * 130
    if real_jax is not None:
        want = real_jax.lax.linalg.lu(a[0])
        np.testing.assert_array_equal(piv[0], np.asarray(want[1]))
        close(lu[0], np.asarray(want[0]), rtol=1e-11)
    monkeypatch.setattr(wasm_linalg, "_threaded", lambda dev, n: True)
    lu2, piv2, perm2 = map(np.asarray, L.lu_p.bind(*on(a[1])))
    np.testing.assert_array_equal(piv2, piv[1])
    close(lu2, lu[1], rtol=1e-11)


# ---- QR, eigh, SVD ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 1), (5, 3), (3, 5), (17, 17), (70, 33)])
def test_qr_equals_lapack(shape, rng):
    a = rng.standard_normal(shape)
    for mode, full in (("complete", True), ("reduced", False)):
        q, r = L.qr_p.bind(*on(a), pivoting=False, full_matrices=full, use_magma=None)
        qn, rn = np.linalg.qr(a, mode=mode)
        close(q, qn, rtol=1e-12 * max(shape))
        close(r, rn, rtol=1e-12 * max(shape))


def same_up_to_sign(got, want, rtol):
    sign = np.sign(np.sum(got * want, axis=-2, keepdims=True))
    close(got * sign, want, rtol=rtol)


@pytest.mark.parametrize("n", [1, 7, 16, 65])
def test_eigh(n, rng):
    a = rng.standard_normal((2, n, n))
    sym = a + np.swapaxes(a, -1, -2)
    v, w = L.eigh_p.bind(*on(sym), lower=True, sort_eigenvalues=True, subset_by_index=None)
    w64, v64 = np.linalg.eigh(sym)
    close(w, w64, rtol=1e-12 * n)
    v = np.asarray(v)
    close(v @ np.swapaxes(v, -1, -2), np.broadcast_to(np.eye(n), v.shape), rtol=1e-12 * n)
    close((v * np.asarray(w)[..., None, :]) @ np.swapaxes(v, -1, -2), sym, rtol=1e-12 * n)
    same_up_to_sign(v, v64, rtol=1e-9)  # distinct eigenvalues here: vectors unique up to sign


def test_eigh_subset_by_index(rng):
    a = rng.standard_normal((30, 30))
    sym = a + a.T
    v, w = map(np.asarray, L.eigh_p.bind(*on(sym), lower=False, sort_eigenvalues=True, subset_by_index=(5, 12)))
    w64, v64 = np.linalg.eigh(sym)
    close(w, w64[5:12], scale=np.abs(w64).max(), rtol=1e-12 * 30)
    same_up_to_sign(v, v64[:, 5:12], rtol=1e-9)


@pytest.mark.parametrize("shape", [(1, 1), (6, 4), (4, 6), (20, 20), (40, 17)])
def test_svd(shape, rng):
    a = rng.standard_normal((2,) + shape)
    s, u, vh = map(np.asarray, L.svd_p.bind(*on(a), full_matrices=False, compute_uv=True, subset_by_index=None,
                                             algorithm=None))
    s64 = np.linalg.svd(a, compute_uv=False)
    close(s, s64, rtol=1e-12 * max(shape))
    close((u * s[..., None, :]) @ vh, a, rtol=1e-12 * max(shape))
    k = min(shape)
    close(np.swapaxes(u, -1, -2) @ u, np.broadcast_to(np.eye(k), (2, k, k)), scale=1.0, rtol=1e-12 * max(shape))
    close(vh @ np.swapaxes(vh, -1, -2), np.broadcast_to(np.eye(k), (2, k, k)), scale=1.0, rtol=1e-12 * max(shape))


@pytest.mark.parametrize("shape", [(30, 20), (20, 30)])
def test_svd_full_rank_deficient_and_nan(shape, rng):
    a = rng.standard_normal((shape[0], 4)) @ rng.standard_normal((4, shape[1]))  # rank 4
    s, u, vh = map(np.asarray, L.svd_p.bind(*on(a), full_matrices=True, compute_uv=True, subset_by_index=None,
                                             algorithm=None))
    m, n = shape
    k = min(shape)
    assert u.shape == (m, m) and vh.shape == (n, n)
    close(s, np.linalg.svd(a, compute_uv=False), rtol=1e-12 * 30)
    close(u.T @ u, np.eye(m), scale=1.0, rtol=1e-12 * 30)
    close(vh @ vh.T, np.eye(n), scale=1.0, rtol=1e-12 * 30)
    close(u[:, :k] * s @ vh[:k], a, rtol=1e-12 * 30)
    bad = np.eye(5)
    bad[3, 2] = np.nan  # below the diagonal: the triangle eigh reads
    s, u, vh = map(np.asarray, L.svd_p.bind(*on(bad), full_matrices=False, compute_uv=True, subset_by_index=None,
                                             algorithm=None))
    assert np.isnan(s).all() and np.isnan(u).all() and np.isnan(vh).all()
    v, w = map(np.asarray, L.eigh_p.bind(*on(bad), lower=True, sort_eigenvalues=True, subset_by_index=None))
    assert np.isnan(w).all() and np.isnan(v).all()


def test_svd_extreme_magnitudes_and_zero(rng):
    a = rng.standard_normal((12, 7))
    for scale in (1e200, 1e-200):  # squares overflow / underflow float64 without svd's power-of-two scaling
        s = np.asarray(L.svd_p.bind(*on(a * scale), full_matrices=False, compute_uv=False, subset_by_index=None,
                                    algorithm=None)[0])
        close(s, np.linalg.svd(a, compute_uv=False) * scale, rtol=1e-12 * 12)
    s, u, vh = map(np.asarray, L.svd_p.bind(*on(np.zeros((5, 3))), full_matrices=False, compute_uv=True,
                                             subset_by_index=None, algorithm=None))
    np.testing.assert_array_equal(s, np.zeros(3))
    close(u.T @ u, np.eye(3), scale=1.0)


# ---- end to end: jax.numpy under jit, vmap and grad -----------------------------------------------------------


def test_numpy_linalg_end_to_end(rng):
    a = rng.standard_normal((40, 40)) + 8 * np.eye(40)
    s = spd(rng, (40, 40))
    b = rng.standard_normal((40, 3))
    xa, xs, xb = on(a, s, b)
    close(jnp.linalg.solve(xa, xb), np.linalg.solve(a, b))
    close(jnp.linalg.inv(xa), np.linalg.inv(a), scale=np.abs(np.linalg.inv(a)).max())
    d = jnp.linalg.det(xa)
    assert d.dtype == np.float64
    np.testing.assert_allclose(float(d), np.linalg.det(a), rtol=1e-10)
    close(jnp.linalg.cholesky(xs), np.linalg.cholesky(s))
    close(jnp.linalg.qr(xa)[1], np.linalg.qr(a)[1])
    close(jnp.linalg.eigvalsh(xs), np.linalg.eigvalsh(s))
    close(jnp.linalg.svd(xa, compute_uv=False), np.linalg.svd(a, compute_uv=False))


@needs_jax
def test_numpy_linalg_against_jax(rng):
    a = rng.standard_normal((33, 33)) + 6 * np.eye(33)
    s = spd(rng, (33, 33))
    b = rng.standard_normal((33,))
    xa, xs, xb = on(a, s, b)
    pairs = [(jnp.linalg.solve(xa, xb), real_jnp.linalg.solve(a, b)),
             (jnp.linalg.inv(xa), real_jnp.linalg.inv(a)),
             (jnp.linalg.det(xa), real_jnp.linalg.det(a)),
             (jnp.linalg.slogdet(xa)[1], real_jnp.linalg.slogdet(a)[1]),
             (jnp.linalg.cholesky(xs), real_jnp.linalg.cholesky(s)),
             (jnp.linalg.qr(xa)[1], real_jnp.linalg.qr(a)[1]),
             (jnp.linalg.eigh(xs)[0], real_jnp.linalg.eigh(s)[0]),
             (jnp.linalg.svd(xa)[1], real_jnp.linalg.svd(a)[1])]
    for ours, theirs in pairs:
        assert np.asarray(ours).dtype == np.asarray(theirs).dtype == np.float64
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-9, atol=1e-9)


def test_jit_vmap_and_grad_stay_on_the_device(rng):
    a = rng.standard_normal((4, 20, 20)) + 6 * np.eye(20)
    b = rng.standard_normal((4, 20))
    xa, xb = on(a, b)
    got = jax.jit(jax.vmap(jnp.linalg.solve))(xa, xb)
    assert got.device == WASM
    close(got, np.linalg.solve(a, b[..., None])[..., 0])
    chol = jax.jit(jax.vmap(jnp.linalg.cholesky))(*on(spd(rng, (3, 9, 9))))
    assert chol.dtype == np.float64

    def f(m):
        return jnp.sum(jnp.linalg.solve(m, xb[0]) ** 2) + jnp.linalg.slogdet(m)[1]
    g = np.asarray(jax.jit(jax.grad(f))(xa[0]))
    assert g.dtype == np.float64
    # central differences in float64 (h ~ eps^(1/3)): agrees to ~1e-9
    m0, h = a[0], 1e-5
    fd = np.zeros_like(m0)
    for i, j in [(0, 0), (3, 7), (19, 2), (11, 11)]:
        mp, mm = m0.copy(), m0.copy()
        mp[i, j] += h
        mm[i, j] -= h
        fd[i, j] = (float(f(jax.device_put(mp, WASM))) - float(f(jax.device_put(mm, WASM)))) / (2 * h)
        np.testing.assert_allclose(g[i, j], fd[i, j], rtol=1e-6, atol=1e-8)


@needs_jax
def test_gradients_through_eigh_and_svd_against_jax(rng):
    a = rng.standard_normal((6, 6))
    sym = (a + a.T) / 2
    weights = np.arange(6.0)

    def f_eigh(np_, m):  # sign-free: eigenvalues and squared products of two entries of one vector
        w, v = np_.linalg.eigh(m)
        return np_.sum(w * weights) + np_.sum((v[:, -1] * v[:, -2]) ** 2)

    def f_svd(np_, m):
        u, s, vh = np_.linalg.svd(m, full_matrices=False)
        return np_.sum(s ** 2 * weights) + np_.sum(np_.abs(u[:, 0] * vh[0]))
    for f, x in ((f_eigh, sym), (f_svd, a)):
        got = np.asarray(jax.jit(jax.grad(lambda m: f(jnp, m)))(*on(x)))
        want = np.asarray(real_jax.grad(lambda m: f(real_jnp, m))(x))
        assert got.dtype == want.dtype == np.float64
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


# ---- the f64x2 encodings ------------------------------------------------------------------------------------


def test_f64_modules_assemble_as_wat2wasm_does():
    wasmtime = pytest.importorskip("wasmtime")
    body = ("local.get $v local.get $v f64x2.add local.get $v f64x2.sub local.get $v f64x2.mul local.get $v "
            "f64x2.div f64x2.neg f64x2.abs f64x2.sqrt local.get $v f64x2.min local.get $v f64x2.max "
            "local.get $v local.get $v f64x2.relaxed_madd local.get $v local.get $v f64x2.relaxed_nmadd "
            "f64.const 2.5 f64x2.replace_lane 1 local.get $v f64x2.extract_lane 1 drop f64x2.floor f64x2.ceil "
            "f64x2.trunc f64x2.nearest local.get $v f64x2.pmin local.get $v f64x2.pmax "
            "i32.const 8 v128.load64_splat offset=8 i64x2.add local.get $v i64x2.sub local.get $v "
            "i64x2.extract_lane 0 drop")
    text = f"(module (memory 1) (func $f (param $v v128) (result v128) {body}) (export \"f\" (func $f)))"
    ours = assemble(text)
    assert wasmtime.wat2wasm(text)[:len(ours)] == ours  # wat2wasm appends a name section
    config = wasmtime.Config()
    config.wasm_simd = True
    config.wasm_relaxed_simd = True
    wasmtime.Module.validate(wasmtime.Engine(config), ours)
    for text in (wasm_linalg.linalg_module("lu_batch", True, False, wasm_linalg.F64),
                 wasm_linalg.linalg_module("chol_batch", False, False, wasm_linalg.F64),
                 wasm_eig.eig_module("svd", False, wasm_linalg.F64)):
        ref = wasmtime.wat2wasm(text)
        ours = assemble(text)
        assert ref[:len(ours)] == ours  # wat2wasm appends a name section


def test_float32_keeps_its_own_modules(rng):
    """float32 inputs still run the f32x4 modules (separate cache entries), to float32 accuracy."""
    a = spd(rng, (70, 70)).astype(np.float32)
    got = np.asarray(L.cholesky_p.bind(*on(a)))
    assert got.dtype == np.float32
    err = np.abs(got - np.linalg.cholesky(a.astype(np.float64))).max() / np.abs(got).max()
    assert 1e-10 < err < 1e-5
    assert "f32x4.sub" in wasm_linalg.linalg_module("gemm_nn", False, False)
    assert "f32x4" not in wasm_linalg.linalg_module("chol_batch", False, False, wasm_linalg.F64)
