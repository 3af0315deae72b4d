"""The wasm device's factorisation routines (backends/wasm/linalg.py): Cholesky, triangular solve,
LU and LU's permutation run in the device's memory with no host fallback, and give the cpu
kernels' (and JAX's) results. Sizes straddle the block edges (32 and 64 for Cholesky, 16 for its
symmetrising copy, 64 for left solves, 16 for right solves, 8 and 192 for LU, 256 columns for
gemm). Runs on wasmtime here and on the browser's engine in Pyodide."""

import itertools

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
import jaxlite.scipy.linalg as jsl
from jaxlite._src.backends import cpu
from jaxlite._src.lax import linalg as L
from conftest import assert_close, needs_jax, numerical_grad, real_jax, real_jnp

if "wasm" not in [d.platform for d in jax.devices()]:
    pytest.skip("no WebAssembly engine here", allow_module_level=True)

from jaxlite._src.backends.wasm import linalg as wasm_linalg  # noqa: E402

WASM = jax.devices("wasm")[0]
SIZES = [1, 2, 7, 33, 64, 130]


def on(*xs):
    return [jax.device_put(np.asarray(x), WASM) for x in xs]


@pytest.fixture(autouse=True)
def no_host_fallback():
    """Every float32 factorisation here stays on the device."""
    WASM.host_fallbacks.clear()
    yield
    assert not WASM.host_fallbacks, dict(WASM.host_fallbacks)


def spd(rng, shape, cond=None):
    n = shape[-1]
    if cond is None:
        a = rng.standard_normal(shape)
        return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(np.float32)
    q, _ = np.linalg.qr(rng.standard_normal(shape))
    d = np.logspace(0, np.log10(cond), n)
    return ((q * d) @ np.swapaxes(q, -1, -2)).astype(np.float32)


def close_to_float64(got, exact, cond=1.0, scale=None):
    """Within float32 rounding of the exact (float64) result, allowing for the conditioning."""
    assert got.dtype == np.float32
    scale = np.abs(exact).max() if scale is None else scale
    np.testing.assert_allclose(got, exact, rtol=0, atol=5e-6 * max(1, exact.shape[-1]) * cond * max(scale, 1e-30))


@pytest.mark.parametrize("n", SIZES)
def test_cholesky_matches_float64(n, rng):
    a = spd(rng, (n, n))
    got = np.asarray(L.cholesky_p.bind(*on(a)))
    assert np.all(np.triu(got, 1) == 0)
    close_to_float64(got, np.linalg.cholesky(a.astype(np.float64)))


def test_cholesky_batched_and_ill_conditioned(rng):
    a = spd(rng, (2, 3, 70, 70))
    got = np.asarray(L.cholesky_p.bind(*on(a)))
    close_to_float64(got, np.linalg.cholesky(a.astype(np.float64)))
    b = spd(rng, (100, 100), cond=1e5)
    lo = np.asarray(L.cholesky_p.bind(*on(b))).astype(np.float64)
    # backward stable: L L^T reproduces the matrix to rounding
    np.testing.assert_allclose(lo @ lo.T, b, atol=1e-5 * np.abs(b).max())


def test_cholesky_of_non_spd_is_nan_as_in_jax():
    nan = np.nan
    cases = [  # (matrix, JAX's result)
        (np.array([[1, 2], [2, 1]], np.float32), [[nan, 0], [nan, nan]]),
        (np.diag(np.r_[np.ones(70), -1, np.ones(9)]).astype(np.float32),  # fails in the second block
         np.where(np.tri(80, dtype=bool), nan, 0)),
        # a NaN entry goes on as NaN, a failure is NaN throughout (JAX; numpy's lapack-lite in
        # Pyodide fails on the first case as a whole, so the cpu device differs there)
        (np.array([[1, nan], [nan, 1]], np.float32), [[1, 0], [nan, nan]]),
        (np.array([[nan, 0], [0, 1]], np.float32), [[nan, 0], [nan, nan]]),
    ]
    for a, want in cases:
        got = np.asarray(L.cholesky_p.bind(*on(a)))
        np.testing.assert_array_equal(got, np.asarray(want, np.float32))
        if real_jax is not None:
            np.testing.assert_array_equal(got, real_jax.lax.linalg.cholesky(a, symmetrize_input=False))


# jnp.linalg.cholesky symmetrises inside cholesky_p (symmetrize_input=True): the routine reads the
# two triangles of each SYMM_TILE tile. Orders around the tile (16) and Cholesky's block (NB = 64).
SYM_SIZES = [1, 15, 17, 63, 64, 65, 131]


def unsymmetric_spd(rng, shape):
    """An SPD matrix plus noise that is not symmetric: only (x + x^T) / 2 is factored."""
    return spd(rng, shape) + rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("n", SYM_SIZES)
def test_symmetrizing_cholesky_equals_symmetrize_then_factor(n, rng):
    x = unsymmetric_spd(rng, (n, n))
    sym = ((x + x.T) / np.float32(2)).astype(np.float32)
    want = np.asarray(L.cholesky_p.bind(*on(sym)))
    # the same float32 rounding as JAX's (x + x^T) / 2 then the factorisation: bit for bit
    np.testing.assert_array_equal(np.asarray(jnp.linalg.cholesky(*on(x))), want)
    np.testing.assert_array_equal(np.asarray(jax.jit(jnp.linalg.cholesky)(*on(x))), want)
    np.testing.assert_array_equal(np.asarray(L.cholesky(*on(x), symmetrize_input=False)),
                                  np.asarray(L.cholesky_p.bind(*on(x))))
    close_to_float64(want, np.linalg.cholesky(sym.astype(np.float64)))


@pytest.mark.parametrize("device", [d for d in jax.devices() if d.platform != "cpu"], ids=str)
def test_every_device_routine_honours_the_symmetrize_flag(device, rng):
    """cholesky_p(x, symmetrize_input=True) factors (x + x^T) / 2 on each device's routine
    (webgpu's symmetrises with its own kernels first)."""
    x = unsymmetric_spd(rng, (2, 70, 70))
    sym = ((x + np.swapaxes(x, -1, -2)) / np.float32(2)).astype(np.float32)
    got = np.asarray(L.cholesky(jax.device_put(x, device)))
    want = np.asarray(L.cholesky(jax.device_put(sym, device), symmetrize_input=False))
    np.testing.assert_array_equal(got, want)


def test_symmetrizing_cholesky_batched_vmapped_and_on_cpu(rng):
    x = unsymmetric_spd(rng, (2, 3, 33, 33))
    got = np.asarray(jax.jit(jnp.linalg.cholesky)(*on(x)))
    with jax.default_device(jax.devices("cpu")[0]):
        on_cpu = np.asarray(jnp.linalg.cholesky(x))
    assert_close(got, on_cpu, rtol=1e-5, atol=1e-5)
    looped = np.stack([np.asarray(jnp.linalg.cholesky(*on(m))) for m in x[0]])
    np.testing.assert_array_equal(np.asarray(jax.vmap(jnp.linalg.cholesky)(*on(x[0]))), looped)
    upper = np.asarray(jnp.linalg.cholesky(*on(x[1, 2]), upper=True))
    np.testing.assert_array_equal(upper, np.swapaxes(got[1, 2], -1, -2))


def test_symmetrizing_cholesky_of_non_spd_is_nan():
    x = np.array([[1, 3, 0], [1, 1, 0], [0, 0, 1]], np.float32)  # symmetrised: [[1, 2], [2, 1]], indefinite
    got = np.asarray(jnp.linalg.cholesky(*on(x)))
    assert np.isnan(got[np.tril_indices(3)]).all() and (got[np.triu_indices(3, 1)] == 0).all()
    if real_jax is not None:
        np.testing.assert_array_equal(got, real_jnp.linalg.cholesky(x))


def test_gradient_of_symmetrizing_cholesky(rng):
    """The derivative is JAX's: that of cholesky((x + x^T) / 2), so it is symmetric in x."""
    x = unsymmetric_spd(rng, (5, 5))
    w = rng.standard_normal((5, 5)).astype(np.float32)
    f = lambda m: jnp.sum(jnp.linalg.cholesky(m) * jnp.asarray(w))  # noqa: E731
    with jax.default_device(WASM):
        got = np.asarray(jax.jit(jax.grad(f))(*on(x)))
        fwd = np.asarray(jax.jvp(f, (*on(x),), (*on(w),))[1])
    want = numerical_grad(f, x)
    np.testing.assert_allclose(got, want, rtol=2e-2, atol=2e-2 * np.abs(want).max())
    np.testing.assert_allclose(got, got.T, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fwd, np.sum(got * w), rtol=1e-4)
    if real_jax is not None:
        jf = lambda m: real_jnp.sum(real_jnp.linalg.cholesky(m) * w)  # noqa: E731
        np.testing.assert_allclose(got, real_jax.grad(jf)(x), rtol=2e-4, atol=2e-5)
        np.testing.assert_allclose(np.asarray(jax.grad(lambda m: jnp.sum(L.cholesky(m) * w))(*on(x))),
                                   real_jax.grad(lambda m: real_jnp.sum(real_jax.lax.linalg.cholesky(m) * w))(x),
                                   rtol=2e-4, atol=2e-5)


def test_gemm_column_chunks_and_row_tails(rng):
    """gemm packs NC columns at a time: a left solve with more right-hand sides than NC, and
    rows that are no multiple of the register tile."""
    n, cols = 70, wasm_linalg.NC + 45
    t = rng.standard_normal((n, n)).astype(np.float32) + 2 * np.sqrt(n) * np.eye(n, dtype=np.float32)
    b = rng.standard_normal((n, cols)).astype(np.float32)
    params = dict(left_side=True, lower=True, transpose_a=False, conjugate_a=False, unit_diagonal=False)
    got = np.asarray(L.triangular_solve_p.bind(*on(t, b), **params))
    exact = np.linalg.solve(np.tril(t).astype(np.float64), b)
    np.testing.assert_allclose(got, exact, rtol=2e-4, atol=2e-4 * np.abs(exact).max())


TRSM_PARAMS = list(itertools.product([True, False], repeat=4))


@pytest.mark.parametrize("n", [7, 70])
def test_triangular_solve_every_parameter(n, rng):
    a = rng.standard_normal((n, n)).astype(np.float32) + 2 * np.sqrt(n) * np.eye(n, dtype=np.float32)
    for left, lower, trans, unit in TRSM_PARAMS:
        b = rng.standard_normal((n, 5) if left else (5, n)).astype(np.float32)
        params = dict(left_side=left, lower=lower, transpose_a=trans, conjugate_a=False, unit_diagonal=unit)
        got = np.asarray(L.triangular_solve_p.bind(*on(a, b), **params))
        t = (np.tril if lower else np.triu)(a.astype(np.float64))
        if unit:
            np.fill_diagonal(t, 1)
        t = t.T if trans else t
        exact = np.linalg.solve(t, b) if left else np.linalg.solve(t.T, b.T).T
        np.testing.assert_allclose(got, exact, rtol=2e-4, atol=2e-4 * np.abs(exact).max(),
                                   err_msg=str(params))


def test_triangular_solve_batched_and_block_edges(rng):
    a = rng.standard_normal((2, 130, 130)).astype(np.float32) + 25 * np.eye(130, dtype=np.float32)
    for left in (True, False):
        b = rng.standard_normal((2, 130, 9) if left else (2, 9, 130)).astype(np.float32)
        for lower, trans in ((True, False), (False, True)):
            params = dict(left_side=left, lower=lower, transpose_a=trans, conjugate_a=False, unit_diagonal=False)
            got = np.asarray(L.triangular_solve_p.bind(*on(a, b), **params))
            assert_close(got, cpu.kernels[L.triangular_solve_p](a, b, **params), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (7, 7), (33, 33), (64, 64), (130, 130), (200, 200), (5, 3), (3, 5),
                                   (130, 70), (70, 130), (3, 4, 20, 20)])
def test_lu_matches_cpu_kernel_and_pivots(shape, rng):
    a = rng.standard_normal(shape).astype(np.float32)
    lu, piv, perm = (np.asarray(v) for v in L.lu_p.bind(*on(a)))
    want = cpu.kernels[L.lu_p](a)
    np.testing.assert_array_equal(piv, want[1])
    np.testing.assert_array_equal(perm, want[2])
    assert lu.dtype == np.float32 and piv.dtype == perm.dtype == np.int32
    np.testing.assert_allclose(lu, want[0], rtol=1e-3, atol=2e-4 * max(shape[-2:]))
    # P A = L U to rounding
    m, n = shape[-2:]
    k = min(m, n)
    low = np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=np.float32)
    up = np.triu(lu[..., :k, :])
    pa = np.take_along_axis(a, perm[..., :, None], axis=-2)
    np.testing.assert_allclose(low.astype(np.float64) @ up, pa, atol=5e-6 * k * np.abs(a).max())


@needs_jax
def test_lu_pivots_equal_jax(rng):
    for shape in [(130, 130), (64, 40), (2, 33, 33)]:
        a = rng.standard_normal(shape).astype(np.float32)
        lu, piv, perm = (np.asarray(v) for v in L.lu_p.bind(*on(a)))
        jlu, jpiv, jperm = real_jax.lax.linalg.lu(a)
        np.testing.assert_array_equal(piv, jpiv)
        np.testing.assert_array_equal(perm, jperm)
        np.testing.assert_allclose(lu, jlu, rtol=1e-3, atol=1e-3)


def test_lu_of_singular_and_special_matrices():
    for a in [np.zeros((4, 4), np.float32), np.ones((9, 9), np.float32),
              np.array([[0, 1], [0, 2]], np.float32), np.array([[np.nan, 1], [2, 3]], np.float32)]:
        got = [np.asarray(v) for v in L.lu_p.bind(*on(a))]
        want = cpu.kernels[L.lu_p](a)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)


def test_empty_matrices():
    for shape in [(0, 0), (2, 0, 0), (0, 3, 3)]:
        x = np.zeros(shape, np.float32)
        assert np.asarray(L.cholesky_p.bind(*on(x))).shape == shape
        lu, piv, perm = L.lu_p.bind(*on(x))
        assert lu.shape == shape and piv.shape == shape[:-1] and perm.shape == shape[:-1]
    lu, piv, perm = L.lu_p.bind(*on(np.zeros((2, 3, 0), np.float32)))
    np.testing.assert_array_equal(np.asarray(perm), [[0, 1, 2]] * 2)
    assert piv.shape == (2, 0)


def test_pivots_to_permutation(rng):
    piv = rng.integers(0, 9, (3, 6)).astype(np.int32)
    got = np.asarray(L.lu_pivots_to_permutation(*on(piv), 9))
    np.testing.assert_array_equal(got, cpu.kernels[L.lu_pivots_to_permutation_p](piv, permutation_size=9))


def test_numpy_and_scipy_linalg_stay_on_the_device(rng):
    a = rng.standard_normal((40, 40)).astype(np.float32) + 8 * np.eye(40, dtype=np.float32)
    s = spd(rng, (40, 40))
    b = rng.standard_normal((40, 3)).astype(np.float32)
    xa, xs, xb = on(a, s, b)
    a64, s64, b64 = a.astype(np.float64), s.astype(np.float64), b.astype(np.float64)
    checks = [
        (jax.jit(jnp.linalg.solve)(xa, xb), np.linalg.solve(a64, b64)),
        (jnp.linalg.solve(xa, xb[:, 0]), np.linalg.solve(a64, b64[:, 0])),
        (jnp.linalg.inv(xa), np.linalg.inv(a64)),
        (jnp.linalg.det(xa), np.linalg.det(a64)),
        (jnp.linalg.cholesky(xs), np.linalg.cholesky(s64)),
        (jsl.cho_solve(jsl.cho_factor(xs), xb), np.linalg.solve(s64, b64)),
        (jsl.lu_solve(jsl.lu_factor(xa), xb), np.linalg.solve(a64, b64)),
        (jax.jit(jsl.solve_triangular, static_argnames="lower")(xs, xb, lower=True),
         np.linalg.solve(np.tril(s64), b64)),
    ]
    for got, exact in checks:
        assert got.device == WASM and got.dtype == np.float32
        np.testing.assert_allclose(np.asarray(got), exact, rtol=1e-4, atol=1e-4 * np.abs(exact).max())


def test_vmap_and_jit_batch_the_routines(rng):
    s = spd(rng, (4, 20, 20))
    b = rng.standard_normal((4, 20)).astype(np.float32)
    xs, xb = on(s, b)
    got = jax.jit(jax.vmap(lambda m, v: jsl.cho_solve((jnp.linalg.cholesky(m), True), v)))(xs, xb)
    np.testing.assert_allclose(np.asarray(got), np.linalg.solve(s.astype(np.float64), b[..., None])[..., 0],
                               rtol=1e-4, atol=1e-5)


def test_gradients_through_solve_and_cholesky(rng):
    a = rng.standard_normal((4, 4)).astype(np.float32) + 4 * np.eye(4, dtype=np.float32)
    s = spd(rng, (4, 4))
    b = rng.standard_normal(4).astype(np.float32)
    f_solve = lambda m: jnp.sum(jnp.linalg.solve(m, jnp.asarray(b)) ** 2)  # noqa: E731
    f_chol = lambda m: jnp.sum(jnp.linalg.cholesky(m) * jnp.arange(16.0).reshape(4, 4))  # noqa: E731
    for f, x in ((f_solve, a), (f_chol, s)):
        with jax.default_device(WASM):
            got = np.asarray(jax.jit(jax.grad(f))(*on(x)))
            want = numerical_grad(jax.jit(f), x)
        np.testing.assert_allclose(got, want, rtol=2e-2, atol=2e-2 * np.abs(want).max())
    if real_jax is not None:
        jf = lambda m: real_jnp.sum(real_jnp.linalg.solve(m, b) ** 2)  # noqa: E731
        with jax.default_device(WASM):
            got = np.asarray(jax.grad(f_solve)(*on(a)))
        np.testing.assert_allclose(got, real_jax.grad(jf)(a), rtol=2e-4, atol=2e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_threaded_drivers_give_the_same_results(rng, monkeypatch, dtype):
    """Where the runtime has threads the drivers share big gemms out in row chunks of MR (pgemm):
    every element comes from the same tile code in the same order, so the results are the one
    thread's, bit for bit. Without workers (here under wasmtime) the calling thread takes every
    chunk, which still runs the job posting, the claims and the chunk edges."""
    if dtype == np.float64:
        jax.config.update("jax_enable_x64", True)  # conftest turns it off again
    n = 300  # gemms above PAR_WORK, chunks with row tails, LU's recursive panel, 5 left-solve blocks
    a = rng.standard_normal((2, n, n)).astype(dtype)
    s = spd(rng, (2, n, n)).astype(dtype)
    b = rng.standard_normal((n, 70)).astype(dtype)
    t = a[0] + 20 * np.eye(n, dtype=dtype)
    ops = [lambda: L.cholesky_p.bind(*on(s)), lambda: L.lu_p.bind(*on(a))]
    for left, lower, trans in itertools.product([True, False], repeat=3):
        params = dict(left_side=left, lower=lower, transpose_a=trans, conjugate_a=False, unit_diagonal=False)
        rhs = b if left else b.T
        ops.append(lambda params=params, rhs=rhs: L.triangular_solve_p.bind(*on(t, rhs), **params))
    plain = [jax.tree_util.tree_map(np.asarray, op()) for op in ops]
    runs = []
    monkeypatch.setattr(wasm_linalg, "_threaded", lambda dev, n: True)
    real_run = wasm_linalg._run_threaded
    monkeypatch.setattr(wasm_linalg, "_run_threaded", lambda *args: (runs.append(args[2]), real_run(*args)))
    for op, want in zip(ops, plain):
        got = jax.tree_util.tree_map(np.asarray, op())
        for g, w in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
            np.testing.assert_array_equal(g, w)
    assert runs == ["chol_batch", "lu_batch"] + ["trsm_batch"] * 8


def test_complex_runs_its_own_routine():
    jax.config.update("jax_enable_x64", True)  # conftest turns it off again
    got = L.cholesky_p.bind(jax.device_put(np.eye(3) * 4.0, WASM))
    assert got.dtype == np.float64  # float64: the f64x2 module (tests/test_wasm_linalg_f64.py)
    np.testing.assert_allclose(np.asarray(got), np.eye(3) * 2)
    got = L.cholesky_p.bind(jax.device_put(np.eye(3) * (4.0 + 0j), WASM))
    assert got.dtype == np.complex128
    np.testing.assert_allclose(np.asarray(got), np.eye(3) * 2)
    assert "cholesky" not in WASM.host_fallbacks  # complex: backends/wasm/linalg_complex.py


def test_a_chunk_that_never_finishes_raises_instead_of_hanging(rng, monkeypatch):
    """A worker that dies in a chunk leaves the caller's done count short: after STALL_POLLS polls
    without progress the caller marks the session failed, the driver's other gemms return at once,
    the workers are let go (the session's exit), and the routine raises instead of hanging the page.
    Injected here by a pclaim whose chunks count elsewhere."""
    real = wasm_linalg.pclaim_wat
    done, elsewhere = (f"i32.atomic.rmw.add offset={wasm_linalg._CTRL[k]}" for k in ("done", "wchunks"))
    monkeypatch.setattr(wasm_linalg, "pclaim_wat", lambda *a, **k: real(*a, **k).replace(done, elsewhere))
    monkeypatch.setattr(wasm_linalg, "STALL_POLLS", 1000)
    monkeypatch.setattr(wasm_linalg, "_threaded", lambda dev, n: True)

    def forget_threaded_modules():
        for key in [k for k in WASM._kernels if isinstance(k, tuple) and str(k[1]).endswith("_par")]:
            del WASM._kernels[key]
    forget_threaded_modules()
    try:
        with pytest.raises(RuntimeError, match="never finished on a worker"):
            L.cholesky_p.bind(*on(spd(rng, (300, 300))))
        words = WASM.runtime.read(wasm_linalg._ctrl(WASM, wasm_linalg.F32).ptr, wasm_linalg.CTRL_BYTES).view(np.int32)
        assert words[wasm_linalg._CTRL["exit"] // 4] == next(wasm_linalg._sessions) - 1  # the workers let go
    finally:
        forget_threaded_modules()
