"""complex64 and complex128 factorisations on the wasm device (backends/wasm/linalg_complex.py):
Cholesky (L L^H), triangular solve with every flag (conjugate_a included) and LU with LAPACK's
|re| + |im| pivots run as WebAssembly routines over interleaved (re, im) pairs, with no host
fallback, and give numpy's and JAX's results: complex64 to ~1e-4 of the largest entry, complex128
(under x64) to ~1e-10. Orders straddle the block edges (32/64 for Cholesky, 64 for left solves, 16
for right solves, 8 and 192 for LU) and the tile of the complex gemm (2 rows, 4 complex64 or 2
complex128 columns)."""

import itertools

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite._src.lax import linalg as L
from conftest import needs_jax, real_jax, real_jnp, x64_on_device

if "wasm" not in [d.platform for d in jax.devices()]:
    pytest.skip("no WebAssembly engine here", allow_module_level=True)

from jaxlite._src.backends.wasm import linalg_complex  # noqa: E402
from jaxlite._src.backends.wasm.assembler import assemble  # noqa: E402

WASM = jax.devices("wasm")[0]
CPU = jax.devices("cpu")[0]
DTYPES = [np.complex64, np.complex128]
RTOL = {np.complex64: 1e-4, np.complex128: 1e-10}


@pytest.fixture(params=DTYPES, ids=["c64", "c128"])
def dtype(request):
    """Each dtype in turn, x64 on for complex128 (jaxlite and the oracle); every factorisation stays
    on the device."""
    with x64_on_device(WASM, request.param == np.complex128):
        yield request.param


def on(*xs):
    return [jax.device_put(np.asarray(x), WASM) for x in xs]


def crandn(rng, shape, dtype=np.complex128):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def hpd(rng, shape, dtype):
    n = shape[-1]
    a = crandn(rng, shape)
    return (a @ np.conj(np.swapaxes(a, -1, -2)) + n * np.eye(n)).astype(dtype)


def close(got, want, dtype, scale=None, factor=1.0):
    """got has the dtype and is within RTOL (times factor) of want relative to want's largest entry."""
    got = np.asarray(got)
    assert got.dtype == dtype, got.dtype
    scale = np.abs(want).max() if scale is None else scale
    np.testing.assert_allclose(got, want, rtol=0, atol=RTOL[dtype] * factor * max(scale, 1e-300))


# ---- Cholesky ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 7, 33, 64, 65, 130])
def test_cholesky(n, dtype, rng):
    a = hpd(rng, (n, n), dtype)
    got = np.asarray(L.cholesky_p.bind(*on(a)))
    assert np.all(np.triu(got, 1) == 0) and np.all(np.diag(got).imag == 0)
    close(got, np.linalg.cholesky(a.astype(np.complex128)), dtype)


def test_cholesky_batched_symmetrized_and_one_triangle(dtype, rng):
    a = hpd(rng, (2, 3, 40, 40), dtype)
    close(L.cholesky_p.bind(*on(a)), np.linalg.cholesky(a.astype(np.complex128)), dtype)
    # symmetrize_input factors (x + x^H) / 2: both triangles read, the diagonal's imaginary part gone
    x = a[0, 0] + (np.triu(crandn(rng, (40, 40)), 1) * 1e-2 + 0.5j * np.eye(40)).astype(dtype)
    sym = (x + np.conj(x.T)).astype(np.complex128) / 2
    close(L.cholesky_p.bind(*on(x), symmetrize_input=True), np.linalg.cholesky(sym), dtype)
    # without it only the lower triangle is read and the diagonal's imaginary part is ignored (LAPACK, JAX)
    got = L.cholesky_p.bind(*on(x), symmetrize_input=False)
    low = np.tril(x, -1).astype(np.complex128)
    close(got, np.linalg.cholesky(low + np.conj(low.T) + np.diag(np.diag(x).real)), dtype)
    if real_jax is not None:
        want = real_jax.lax.linalg.cholesky(x, symmetrize_input=False)
        close(got, np.asarray(want), dtype)


def test_cholesky_of_non_hpd_is_nan_as_in_jax(dtype):
    nan = complex(np.nan, np.nan)
    cases = [(np.array([[1, 2j], [-2j, 1]]), [[nan, 0], [nan, nan]]),
             (np.array([[4, 0], [0, -1 + 3j]]), [[nan, 0], [nan, nan]]),  # the diagonal's real part < 0
             (np.diag(np.r_[np.ones(70), -1, np.ones(9)]) + 0j, np.where(np.tri(80, dtype=bool), nan, 0))]
    for a, want in cases:
        a = a.astype(dtype)
        got = np.asarray(L.cholesky_p.bind(*on(a), symmetrize_input=False))
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, np.asarray(want, dtype))
        assert np.isnan(got.imag[np.tri(len(a), dtype=bool)]).all()  # nan + nanj, as JAX
        if real_jax is not None:
            np.testing.assert_array_equal(got, np.asarray(real_jax.lax.linalg.cholesky(a, symmetrize_input=False)))


# ---- triangular solve -----------------------------------------------------------------------------------


def tri_problem(rng, n, k, left, lower, dtype):
    t = crandn(rng, (n, n)) * 0.3 / n ** 0.5 + (2 + 1j) * np.eye(n)  # well conditioned, with a unit diagonal too
    t = (np.tril(t) if lower else np.triu(t)).astype(dtype)
    return t, crandn(rng, (n, k) if left else (k, n), dtype)


def tri_reference(t, b, left, trans, conj, unit):
    n = t.shape[-1]
    op = (t - np.diag(np.diag(t)) + np.eye(n) if unit else t).astype(np.complex128)
    op = np.conj(op) if conj else op
    op = op.T if trans else op
    return np.linalg.solve(op, b) if left else np.linalg.solve(op.T, b.T).T


@pytest.mark.parametrize("left,lower,trans,conj", list(itertools.product([True, False], repeat=4)))
def test_triangular_solve_every_flag(left, lower, trans, conj, dtype, rng):
    n, k = 70, 9  # crosses LEFT_NB (64) and TRSM_NB (16); k odd: a complex64 vector and a scalar tail
    t, b = tri_problem(rng, n, k, left, lower, dtype)
    for unit in (False, True):
        got = L.triangular_solve_p.bind(*on(t, b), left_side=left, lower=lower, transpose_a=trans, conjugate_a=conj,
                                        unit_diagonal=unit)
        close(got, tri_reference(t, b, left, trans, conj, unit), dtype)


def test_triangular_solve_batched(dtype, rng):
    t = (np.tril(crandn(rng, (3, 130, 130))) + 30 * np.eye(130)).astype(dtype)
    b = crandn(rng, (3, 130, 5), dtype)
    kw = dict(left_side=True, lower=True, transpose_a=True, conjugate_a=True, unit_diagonal=False)
    want = np.linalg.solve(np.conj(np.swapaxes(t, -1, -2)).astype(np.complex128), b)
    close(L.triangular_solve_p.bind(*on(t, b), **kw), want, dtype)
    bt = np.swapaxes(b, -1, -2).copy()  # x conj(t) = b, batched, on the right
    kw = dict(left_side=False, lower=True, transpose_a=False, conjugate_a=True, unit_diagonal=False)
    want = np.swapaxes(np.linalg.solve(np.swapaxes(np.conj(t), -1, -2).astype(np.complex128), b), -1, -2)
    got = L.triangular_solve_p.bind(*on(t, bt), **kw)
    close(got, want, dtype)
    if real_jax is not None:
        close(got, np.asarray(real_jax.lax.linalg.triangular_solve(t, bt, **kw)), dtype, factor=10)


# ---- LU ---------------------------------------------------------------------------------------------------


def lu_check(a, lu, piv, perm, dtype):
    """lu's dtype, int32 pivots, and L @ U = a[perm] (to RTOL times the order, of a's largest entry)."""
    m, n = a.shape
    k = min(m, n)
    assert lu.dtype == dtype and piv.dtype == np.int32 and perm.dtype == np.int32
    lo = np.tril(lu[:, :k], -1) + np.eye(m, k)
    up = np.triu(lu[:k])
    np.testing.assert_allclose(lo.astype(np.complex128) @ up, a[perm], rtol=0,
                               atol=RTOL[dtype] * np.abs(a).max() * max(m, n) / 10)


@pytest.mark.parametrize("shape", [(1, 1), (7, 7), (65, 65), (200, 200), (70, 130), (130, 70)])
def test_lu(shape, dtype, rng):
    a = crandn(rng, shape, dtype)
    lu, piv, perm = map(np.asarray, L.lu_p.bind(*on(a)))
    lu_check(a, lu, piv, perm, dtype)
    # the cpu kernel (LAPACK's pivots: the first largest |re| + |im|) gives the same pivots
    lu_c, piv_c, perm_c = map(np.asarray, L.lu_p.bind(jax.device_put(a, CPU)))
    np.testing.assert_array_equal(piv, piv_c)
    np.testing.assert_array_equal(perm, perm_c)
    close(lu, lu_c, dtype, scale=np.abs(lu_c).max(), factor=max(shape) / 10)


def test_lu_pivots_by_re_plus_im(dtype):
    """icamax's measure |re| + |im|, not the modulus: 2+2j (|z| 2.83, 4) beats 3 (3, 3); ties go to
    the first (values recorded from JAX on CPU)."""
    a = np.array([[3, 1], [2 + 2j, 1]], dtype)
    assert np.asarray(L.lu_p.bind(*on(a))[1]).tolist() == [1, 1]
    a = np.array([[1 + 1j, 1], [2, 1], [2j, 3]], dtype)
    assert np.asarray(L.lu_p.bind(*on(a))[1]).tolist() == [0, 2]
    a = np.array([[2j, 1], [2, 1], [2j, 3]], dtype)
    assert np.asarray(L.lu_p.bind(*on(a))[1]).tolist() == [0, 1]


@needs_jax
def test_lu_pivots_equal_jax(dtype, rng):
    # small integer parts: many entries tie in |re| + |im| (the first is taken) at every step
    for shape in ((40, 40), (9, 30), (30, 9)):
        a = (rng.integers(-3, 4, shape) + 1j * rng.integers(-3, 4, shape)).astype(dtype)
        b = crandn(rng, shape, dtype)
        for x in (a, b):
            lu, piv, perm = map(np.asarray, L.lu_p.bind(*on(x)))
            want = real_jax.lax.linalg.lu(x)
            np.testing.assert_array_equal(piv, np.asarray(want[1]))
            np.testing.assert_array_equal(perm, np.asarray(want[2]))
            close(lu, np.asarray(want[0]), dtype, factor=max(shape) / 10)


def test_lu_singular_batched(dtype, rng):
    a = crandn(rng, (2, 130, 130), dtype)
    a[0, :, 5] = 0                      # a zero column: that pivot is zero, its column is left unscaled
    a[1, 100] = a[1, 3] + a[1, 40]      # rank deficient
    lu, piv, perm = map(np.asarray, L.lu_p.bind(*on(a)))
    for i in range(2):
        lu_check(a[i], lu[i], piv[i], perm[i], dtype)
    assert lu[0, 5, 5] == 0 and np.isfinite(lu.view(lu.real.dtype)).all()
    assert abs(lu[1, -1, -1]) < RTOL[dtype] * np.abs(a[1]).max() * 130


def test_empty_shapes(dtype):
    for shape in ((0, 0), (2, 0, 0), (0, 3, 3)):
        got = np.asarray(L.cholesky_p.bind(*on(np.zeros(shape, dtype))))
        assert got.shape == shape and got.dtype == dtype
    for shape, perm in (((0, 3), []), ((3, 0), [0, 1, 2]), ((2, 0, 4), [[], []]), ((0, 2, 2), np.zeros((0, 2)))):
        lu, piv, p = map(np.asarray, L.lu_p.bind(*on(np.zeros(shape, dtype))))
        assert lu.shape == shape and lu.dtype == dtype and piv.shape == shape[:-2] + (min(shape[-2:]),)
        np.testing.assert_array_equal(p, np.asarray(perm, np.int32).reshape(shape[:-1]))
    kw = dict(left_side=True, lower=True, transpose_a=True, conjugate_a=True, unit_diagonal=False)
    for a, b in ((np.eye(3), np.zeros((3, 0))), (np.eye(0), np.zeros((0, 2)))):
        got = np.asarray(L.triangular_solve_p.bind(*on(a.astype(dtype), b.astype(dtype)), **kw))
        assert got.shape == b.shape and got.dtype == dtype


# ---- the public functions: jit, vmap and grad route here ---------------------------------------------------


def test_numpy_and_scipy_linalg_under_jit(dtype, rng):
    a = (crandn(rng, (40, 40)) + 8 * np.eye(40)).astype(dtype)
    s = hpd(rng, (40, 40), dtype)
    b = crandn(rng, (40, 3), dtype)
    xa, xs, xb = on(a, s, b)
    solve = jax.jit(jnp.linalg.solve)(xa, xb)
    assert solve.device == WASM
    close(solve, np.linalg.solve(a.astype(np.complex128), b), dtype)
    close(jax.jit(jnp.linalg.cholesky)(xs), np.linalg.cholesky(s.astype(np.complex128)), dtype)
    tri = np.triu(a)
    for trans in (0, 1, 2):
        got = jax.jit(lambda t, y: jax.scipy.linalg.solve_triangular(t, y, trans=trans))(*on(tri, b))
        op = {0: tri, 1: tri.T, 2: np.conj(tri.T)}[trans].astype(np.complex128)
        close(got, np.linalg.solve(op, b), dtype)
    batched = jax.jit(jax.vmap(jnp.linalg.solve))(*on(a[None].repeat(2, 0), b.T[:2]))
    close(batched, np.linalg.solve(a.astype(np.complex128), b[:, :2]).T, dtype)
    d = jnp.linalg.det(xa)
    assert d.dtype == dtype
    np.testing.assert_allclose(complex(d), np.linalg.det(a.astype(np.complex128)), rtol=RTOL[dtype] * 40)


def test_grad_through_solve_and_cholesky(dtype, rng):
    """JAX's gradient of a real function of complex z is df/dx - i df/dy (central differences here)."""
    n = 6
    a = (crandn(rng, (n, n)) + 4 * np.eye(n)).astype(dtype)
    b = crandn(rng, (n,), dtype)
    xb = on(b)[0]

    def f(m):
        x = jnp.linalg.solve(m, xb)
        c = jnp.linalg.cholesky(m @ jnp.conj(m.T))
        return jnp.sum(jnp.abs(x) ** 2) + jnp.sum(jnp.real(c) * jnp.imag(c))
    g = np.asarray(jax.jit(jax.grad(f))(*on(a)))
    assert g.dtype == dtype
    h = 1e-2 if dtype == np.complex64 else 1e-6
    for i, j in [(0, 0), (2, 5), (5, 1)]:
        parts = []
        for step in (h, 1j * h):
            mp, mm = a.astype(np.complex128), a.astype(np.complex128)
            mp[i, j] += step
            mm[i, j] -= step
            parts.append((float(f(on(mp.astype(dtype))[0])) - float(f(on(mm.astype(dtype))[0]))) / (2 * h))
        want = parts[0] - 1j * parts[1]
        np.testing.assert_allclose(g[i, j], want, rtol=2e-2 if dtype == np.complex64 else 1e-7,
                                   atol=2e-2 if dtype == np.complex64 else 1e-7)


@needs_jax
def test_numpy_linalg_against_jax(dtype, rng):
    a = (crandn(rng, (33, 33)) + 6 * np.eye(33)).astype(dtype)
    s = hpd(rng, (33, 33), dtype)
    b = crandn(rng, (33,), dtype)
    xa, xs, xb = on(a, s, b)
    pairs = [(jnp.linalg.solve(xa, xb), real_jnp.linalg.solve(a, b)),
             (jnp.linalg.inv(xa), real_jnp.linalg.inv(a)),
             (jnp.linalg.slogdet(xa)[1], real_jnp.linalg.slogdet(a)[1]),
             (jnp.linalg.cholesky(xs), real_jnp.linalg.cholesky(s)),
             (jax.scipy.linalg.solve_triangular(xa, xb, trans=2, lower=True),
              real_jax.scipy.linalg.solve_triangular(a, b, trans=2, lower=True))]
    for ours, theirs in pairs:
        ours, theirs = np.asarray(ours), np.asarray(theirs)
        assert ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=RTOL[dtype] * 10, atol=RTOL[dtype] * 10)

    def loss(np_, m):
        return np_.sum(np_.abs(np_.linalg.solve(m, b)) ** 2)
    got = np.asarray(jax.jit(jax.grad(lambda m: loss(jnp, m)))(xa))
    want = np.asarray(real_jax.grad(lambda m: loss(real_jnp, m))(a))
    assert got.dtype == want.dtype == dtype
    np.testing.assert_allclose(got, want, rtol=RTOL[dtype] * 10, atol=RTOL[dtype] * 10)


# ---- the encodings ------------------------------------------------------------------------------------------


def test_modules_assemble_as_wat2wasm_does():
    wasmtime = pytest.importorskip("wasmtime")
    config = wasmtime.Config()
    config.wasm_simd = True
    config.wasm_relaxed_simd = True
    engine = wasmtime.Engine(config)
    for t in (linalg_complex.C64, linalg_complex.C128):
        for export, fma in (("ctrsm_batch", True), ("clu_batch", False), ("cchol_batch", True)):
            text = linalg_complex.linalg_module(export, fma, False, t)
            ours = assemble(text)
            assert wasmtime.wat2wasm(text)[:len(ours)] == ours  # wat2wasm appends a name section
            wasmtime.Module.validate(engine, ours)
