"""The webgpu device's factorisations (backends/webgpu/linalg.py): cholesky_p, triangular_solve_p,
lu_p and lu_pivots_to_permutation_p for float32 as staged WGSL kernels, batched, never on the
host; orders around the block boundaries (NB = TRSV_NB = LU_NB = 64; LU_BASE = 32, the
recursive LU panel's leaves; TRSVW_NB = 256 for solves with few vectors), tall and wide LU,
JAX's NaN for matrices that are not positive definite, singular LU and ties, every
triangular_solve flag, the dispatch count of a Cholesky factorisation, and the jnp.linalg /
jax.scipy.linalg functions built on them. webgpu exists only inside Pyodide."""

import itertools

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
import jaxlite.scipy.linalg as jsl
from jaxlite import lax
from jaxlite._src.backends.webgpu import linalg as gpu_linalg
from conftest import results_on

if "webgpu" not in [d.platform for d in jax.devices()]:
    pytest.skip("no webgpu device", allow_module_level=True)

GPU = jax.devices("webgpu")[0]
CPU = jax.devices("cpu")[0]
RNG = np.random.default_rng(0)


def _spd(shape, n):
    a = RNG.standard_normal((*shape, n, n))
    return (a @ np.swapaxes(a, -1, -2) / n + np.eye(n)).astype(np.float32)


def _general(shape, m, n=None):
    """Well-conditioned enough for float32 at these orders: a random matrix plus a diagonal shift."""
    n = m if n is None else n
    a = RNG.standard_normal((*shape, m, n))
    return (a + 2 * np.sqrt(max(m, n)) * np.eye(m, n)).astype(np.float32)


def _on_gpu(fn, *args):
    """fn's results on the webgpu device as numpy; asserts that nothing ran on the host."""
    return results_on(GPU, fn, *args)


def _close(got, want, n, scale=1.0):
    tol = 3e-6 * max(n, 4) * scale
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


# ---- cholesky -----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape,n", [((), 1), ((3,), 5), ((), 63), ((2,), 64), ((), 65), ((2, 1), 131)])
def test_cholesky_matches_numpy(shape, n):
    a = _spd(shape, n)
    got = _on_gpu(jnp.linalg.cholesky, a)
    assert got.dtype == np.float32 and got.shape == a.shape
    _close(got, np.linalg.cholesky(a.astype(np.float64)), n)
    assert np.all(np.triu(got, 1) == 0)


def test_not_positive_definite_is_nan_as_in_jax():
    a = _spd((4,), 70)
    a[1, 4, 4] = -50.0   # fails in the first block: the whole lower triangle of that matrix is NaN
    a[2, 69, 69] = -1.0  # fails at the last column, in the second block
    a[3, 66, 3] = a[3, 3, 66] = np.nan  # NaN reaches the second block's pivots
    got = _on_gpu(lambda x: lax.linalg.cholesky(x, symmetrize_input=False), a)
    want = np.asarray(lax.linalg.cholesky(jax.device_put(a, CPU), symmetrize_input=False))
    for b in (1, 2, 3):
        assert np.isnan(got[b][np.tril_indices(70)]).all() and np.all(np.triu(got[b], 1) == 0)
        assert np.isnan(want[b][np.tril_indices(70)]).all()
    assert not np.isnan(got[0]).any()
    _close(got[0], want[0], 70)


def test_cholesky_under_jit_vmap_and_empty():
    a = _spd((4,), 8)
    got = _on_gpu(jax.jit(jax.vmap(jnp.linalg.cholesky)), a)
    _close(got, np.linalg.cholesky(a.astype(np.float64)), 8)
    assert _on_gpu(jnp.linalg.cholesky, np.zeros((2, 0, 0), np.float32)).shape == (2, 0, 0)


def test_cholesky_reads_one_triangle_or_symmetrises():
    """symmetrize_input=False reads the lower triangle only (NaN above it changes nothing);
    True factors (x + x^T) / 2, as JAX."""
    a = _spd((2,), 150)  # three blocks: every step has a panel of two or more workgroups
    garbage = a.copy()
    garbage[:, np.triu_indices(150, 1)[0], np.triu_indices(150, 1)[1]] = np.nan
    want = np.linalg.cholesky(a.astype(np.float64))
    got = _on_gpu(lambda x: lax.linalg.cholesky(x, symmetrize_input=False), garbage)
    _close(got, want, 150)
    assert np.all(np.triu(got, 1) == 0)
    skew = RNG.standard_normal((150, 150)).astype(np.float32) * 0.1
    lopsided = a[0] + skew - skew.T  # symmetric part a[0]
    _close(_on_gpu(jnp.linalg.cholesky, lopsided), want[0], 150)


def _count_dispatches(monkeypatch):
    calls = []
    real = GPU.runtime.dispatch
    monkeypatch.setattr(GPU.runtime, "dispatch", lambda *a, **k: (calls.append(a[0]), real(*a, **k))[1])
    return calls


def test_dispatch_counts(monkeypatch):
    """A machine-independent measure of the routines' cost at small orders (where latency per
    dispatch is what counts). Cholesky: per block column one `step` (diagonal block and panel)
    and one `gemm`, one pass before (both triangles, symmetrised) and one after (zeros above,
    NaN for failures): 2 ceil(n/64) + 1, symmetrisation included, and no copy (which would end
    the compute pass). LU: per panel of 64 (halves of 32) leaf, trsv, gemm, leaf, then trsv and
    gemm but for the last panel, and the permutation. A solve with one vector of order 300: a
    workgroup per vector over blocks of 256: trsv, gemm, trsv."""
    x = jax.device_put(_spd((), 130), GPU)
    t = jax.device_put(_general((), 300), GPU)
    b = jax.device_put(RNG.standard_normal((300, 1)).astype(np.float32), GPU)
    x128 = jax.device_put(np.asarray(x)[:128, :128], GPU)
    calls = _count_dispatches(monkeypatch)
    copy = GPU.runtime.copy
    monkeypatch.setattr(GPU.runtime, "copy", lambda *a: pytest.fail("a copy in the Cholesky routine"))
    np.asarray(jnp.linalg.cholesky(x))
    assert len(calls) == 7
    calls.clear()
    np.asarray(lax.linalg.cholesky(x128, symmetrize_input=False))
    assert len(calls) == 5
    monkeypatch.setattr(GPU.runtime, "copy", copy)
    calls.clear()
    np.asarray(lax.linalg.lu(x128)[0])
    assert len(calls) == 11
    calls.clear()
    np.asarray(lax.linalg.triangular_solve(t, b, left_side=True, lower=True))
    assert len(calls) == 3


# ---- triangular_solve ---------------------------------------------------------------------------


def _tri_ref(t, b, left, lower, trans, unit):
    t = np.tril(t) if lower else np.triu(t)
    if unit:
        t = t - np.diag(np.diag(t)) + np.eye(t.shape[-1])
    op = t.T if trans else t
    return np.linalg.solve(op, b) if left else np.linalg.solve(op.T, b.T).T


@pytest.mark.parametrize("left,lower,trans,unit", list(itertools.product([True, False], repeat=4)))
def test_triangular_solve_every_flag(left, lower, trans, unit):
    n = 70  # two diagonal blocks (64 + 6) and a gemm update between them
    t = _general((2,), n)
    if unit:  # a unit solve never reads the diagonal (entries scaled down: well conditioned still)
        t /= 2 * np.sqrt(n)
        t[..., np.arange(n), np.arange(n)] = np.nan
    b = RNG.standard_normal((2, n, 3) if left else (2, 5, n)).astype(np.float32)
    fn = lambda t, b: lax.linalg.triangular_solve(t, b, left_side=left, lower=lower,  # noqa: E731
                                                  transpose_a=trans, unit_diagonal=unit)
    got = _on_gpu(fn, t, b)
    assert got.dtype == np.float32 and got.shape == b.shape
    t64 = np.where(np.isnan(t), 1.0, t).astype(np.float64)
    for i in range(2):
        _close(got[i], _tri_ref(t64[i], b[i].astype(np.float64), left, lower, trans, unit), n, 10)


@pytest.mark.parametrize("n,cols", [(1, 1), (7, 4), (64, 2), (131, 3)])
def test_triangular_solve_sizes(n, cols):
    t = _general((), n)
    b = RNG.standard_normal((n, cols)).astype(np.float32)
    got = _on_gpu(lambda t, b: jsl.solve_triangular(t, b, lower=True), t, b)
    _close(got, _tri_ref(t.astype(np.float64), b.astype(np.float64), True, True, False, False), n, 10)
    got = _on_gpu(lambda t, b: jsl.solve_triangular(t, b, lower=False, trans=1), t, b)
    _close(got, _tri_ref(t.astype(np.float64), b.astype(np.float64), True, False, True, False), n, 10)


@pytest.mark.parametrize("n,nvec,left,lower,trans", [(300, 1, True, True, False), (300, 2, True, False, True),
                                                     (290, 1, False, True, True), (70, 300, True, False, False),
                                                     (70, 260, False, True, False)])
def test_triangular_solve_few_and_many_vectors(n, nvec, left, lower, trans):
    """Few vectors: a workgroup per vector over blocks of 256 (two blocks and a gemm at n = 300);
    many (over 256): an invocation per vector over blocks of 64."""
    t = _general((), n)
    b = RNG.standard_normal((n, nvec) if left else (nvec, n)).astype(np.float32)
    fn = lambda t, b: lax.linalg.triangular_solve(t, b, left_side=left, lower=lower,  # noqa: E731
                                                  transpose_a=trans)
    got = _on_gpu(fn, t, b)
    _close(got, _tri_ref(t.astype(np.float64), b.astype(np.float64), left, lower, trans, False), n, 10)


def test_triangular_solve_empty():
    got = _on_gpu(lambda t, b: lax.linalg.triangular_solve(t, b, left_side=True), np.eye(3, dtype=np.float32),
                  np.zeros((3, 0), np.float32))
    assert got.shape == (3, 0)


# ---- lu -----------------------------------------------------------------------------------------


def _check_lu(a, lu, piv, perm):
    """a[perm] = L U with |L| <= 1 (partial pivoting), perm as the pivots say. (The pivots are
    not compared with the cpu kernel's: rounding in another order may swap near-equal ones.)"""
    m, n = a.shape[-2:]
    k = min(m, n)
    assert lu.dtype == np.float32 and piv.dtype == perm.dtype == np.int32
    assert piv.shape == a.shape[:-2] + (k,) and perm.shape == a.shape[:-2] + (m,)
    want = np.asarray(lax.linalg.lu_pivots_to_permutation(jax.device_put(piv, CPU), m))
    np.testing.assert_array_equal(perm, want)
    for idx in np.ndindex(a.shape[:-2]):
        l_ = np.tril(lu[idx][:, :k], -1) + np.eye(m, k)
        assert np.abs(l_).max() <= 1 + 1e-6
        u = np.triu(lu[idx][:k])
        _close(l_ @ u, a[idx][perm[idx]], max(m, n), 4)


@pytest.mark.parametrize("shape,m,n", [((), 1, 1), ((3,), 5, 5), ((), 33, 33), ((2,), 65, 65), ((), 131, 131),
                                       ((), 70, 40), ((2,), 40, 70)])
def test_lu_matches_the_reference(shape, m, n):
    a = RNG.standard_normal((*shape, m, n)).astype(np.float32)
    _check_lu(a, *_on_gpu(lax.linalg.lu, a))


def test_lu_singular_and_ties():
    a = RNG.standard_normal((3, 40, 40)).astype(np.float32)
    a[0, :, 5] = 0.0            # a zero pivot column: left unscaled, as LAPACK
    a[1, 20] = a[1, 3]          # rank deficient
    a[2] = np.round(a[2])       # equal magnitudes: the first one is the pivot
    lu, piv, perm = _on_gpu(lax.linalg.lu, a)
    _check_lu(a, lu, piv, perm)
    assert np.isfinite(lu[0]).all()
    assert piv[2, 0] == np.argmax(np.abs(a[2, :, 0]))  # the first of the largest, as LAPACK
    want = [np.asarray(x) for x in lax.linalg.lu(jax.device_put(a[:1], CPU))]
    np.testing.assert_array_equal(piv[:1, :5], want[1][:, :5])  # before the zero column: as the cpu kernel
    np.testing.assert_array_equal(lu[0, :, 5], want[0][0, :, 5])  # that column: not scaled


@pytest.mark.parametrize("shape,m,n", [((), 32, 32), ((2,), 33, 33), ((), 64, 64), ((), 97, 97),
                                       ((), 200, 31), ((), 150, 80), ((), 33, 150), ((2,), 80, 200),
                                       ((), 257, 129)])
def test_lu_recursive_panel_sizes(shape, m, n):
    """Orders at and around the leaf (32) and the outer panel (64, split in halves), tall and
    wide."""
    a = RNG.standard_normal((*shape, m, n)).astype(np.float32)
    _check_lu(a, *_on_gpu(lax.linalg.lu, a))


def test_lu_pivots_as_the_cpu_kernel():
    """a = P L U with |L| < 1 off the diagonal and U dominant: every column's largest entry is
    clear, so the pivots are the cpu kernel's (LAPACK's) exactly, across leaves and panels."""
    n = 140
    lo = np.tril(RNG.uniform(-0.5, 0.5, (n, n)), -1) + np.eye(n)
    up = np.triu(RNG.uniform(-1, 1, (n, n)), 1) + np.diag(RNG.uniform(4, 8, n))
    a = (lo @ up)[RNG.permutation(n)].astype(np.float32)
    lu, piv, perm = _on_gpu(lax.linalg.lu, a)
    want = [np.asarray(x) for x in lax.linalg.lu(jax.device_put(a, CPU))]
    np.testing.assert_array_equal(piv, want[1])
    np.testing.assert_array_equal(perm, want[2])
    _close(lu, want[0], n, 4)


def test_lu_singular_and_ties_past_the_leaf():
    """A zero column and equal rows in later leaves and panels, integer ties, all zeros."""
    a = RNG.standard_normal((4, 90, 90)).astype(np.float32)
    a[0, :, 37] = 0.0                      # a zero pivot column in the second leaf
    a[1, 70] = a[1, 20]                    # rank deficient: a zero pivot in the second panel
    a[2] = np.round(a[2] * 2)              # many equal magnitudes
    a[3] = 0.0
    lu, piv, perm = _on_gpu(lax.linalg.lu, a)
    _check_lu(a[:3], lu[:3], piv[:3], perm[:3])
    assert np.isfinite(lu).all()
    assert piv[2, 0] == np.argmax(np.abs(a[2, :, 0]))
    np.testing.assert_array_equal(piv[3], np.arange(90))  # all zeros: no swaps, nothing scaled
    assert np.all(lu[3] == 0)
    want = [np.asarray(x) for x in lax.linalg.lu(jax.device_put(a[0], CPU))]
    np.testing.assert_array_equal(piv[0, :37], want[1][:37])  # before the zero column: as the cpu kernel
    assert np.abs(lu[0, 38:, 37]).max() == 0  # the zero column stays zero, unscaled


def test_lu_leaf_workgroup_size_and_tree(monkeypatch):
    """The leaf kernel at another workgroup size (1024 on a GPU that runs it): its row strides
    and its pivot search follow the size; here the search as a tree in workgroup memory (the
    other tests use subgroups where the adapter has them)."""
    monkeypatch.setitem(GPU._kernels, ("linalg_wgsl", "panel_wg"), 128)
    monkeypatch.setattr(GPU, "use_subgroups", False)
    a = RNG.standard_normal((2, 150, 70)).astype(np.float32)
    _check_lu(a, *_on_gpu(lax.linalg.lu, a))


def test_lu_empty_and_pivots_to_permutation():
    lu, piv, perm = _on_gpu(lax.linalg.lu, np.zeros((2, 0, 3), np.float32))
    assert lu.shape == (2, 0, 3) and piv.shape == (2, 0) and perm.shape == (2, 0)
    lu, piv, perm = _on_gpu(lax.linalg.lu, np.zeros((0, 4), np.float32))
    np.testing.assert_array_equal(perm, np.arange(0))
    pivots = np.array([[2, 2, 3], [0, 4, 4]], np.int32)
    got = _on_gpu(lambda p: lax.linalg.lu_pivots_to_permutation(p, 5), pivots)
    np.testing.assert_array_equal(got, np.asarray(lax.linalg.lu_pivots_to_permutation(jax.device_put(pivots, CPU), 5)))


# ---- the functions built on them ----------------------------------------------------------------


def test_linalg_functions_run_on_the_device():
    n = 67
    a = _general((2,), n)
    b = RNG.standard_normal((2, n, 2)).astype(np.float32)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    _close(_on_gpu(jnp.linalg.solve, a, b), np.linalg.solve(a64, b64), n, 10)
    _close(_on_gpu(jnp.linalg.inv, a), np.linalg.inv(a64), n, 10)
    np.testing.assert_allclose(_on_gpu(jnp.linalg.det, a / 8), np.linalg.det(a64 / 8), rtol=1e-3)
    sign, logdet = _on_gpu(jnp.linalg.slogdet, a)
    np.testing.assert_array_equal(sign, np.sign(np.linalg.det(a64)))
    np.testing.assert_allclose(logdet, np.linalg.slogdet(a64)[1], rtol=1e-5)


def test_scipy_linalg_functions_run_on_the_device():
    n = 66
    a = _general((), n)
    b = RNG.standard_normal((n, 3)).astype(np.float32)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    p, l_, u = _on_gpu(jsl.lu, a)
    _close(p @ l_ @ u, a64, n, 4)
    lu, piv = _on_gpu(jsl.lu_factor, a)
    _close(_on_gpu(lambda lu, piv, b: jsl.lu_solve((lu, piv), b), lu, piv, b), np.linalg.solve(a64, b64), n, 10)
    s = _spd((), n)
    c = _on_gpu(lambda s: jsl.cho_factor(s, lower=True)[0], s)
    _close(_on_gpu(lambda c, b: jsl.cho_solve((c, True), b), c, b), np.linalg.solve(s.astype(np.float64), b64), n, 10)
    _close(_on_gpu(lambda a, b: jsl.solve(a, b), a, b), np.linalg.solve(a64, b64), n, 10)


def test_gradient_through_solve_on_the_device():
    a = _general((), 9)
    b = RNG.standard_normal(9).astype(np.float32)
    g = _on_gpu(jax.jit(jax.grad(lambda a, b: jnp.sum(jnp.linalg.solve(a, b) ** 2))), a, b)
    want = np.asarray(jax.grad(lambda a, b: jnp.sum(jnp.linalg.solve(a, b) ** 2))(jax.device_put(a, CPU),
                                                                                   jax.device_put(b, CPU)))
    _close(g, want, 9, 10)


def test_grids_wider_than_the_device_allows(monkeypatch):
    """Batches split over grid rows and gemm's batch chunks (b0) when a grid dimension is short."""
    monkeypatch.setattr(GPU.runtime, "max_groups", 2)
    a = _spd((3,), 70)
    _close(_on_gpu(jnp.linalg.cholesky, a), np.linalg.cholesky(a.astype(np.float64)), 70)
    g = RNG.standard_normal((3, 40, 40)).astype(np.float32)
    _check_lu(g, *_on_gpu(lax.linalg.lu, g))
    t, b = _general((3,), 70), RNG.standard_normal((3, 70, 2)).astype(np.float32)  # a workgroup per vector
    got = _on_gpu(lambda t, b: lax.linalg.triangular_solve(t, b, left_side=True, lower=True), t, b)
    for i in range(3):
        _close(got[i], _tri_ref(t[i].astype(np.float64), b[i].astype(np.float64), True, True, False, False), 70, 10)
