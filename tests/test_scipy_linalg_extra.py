"""jax.scipy.linalg's special matrices, polar, expm_frechet, eigh_tridiagonal, qr_multiply, hessenberg,
schur, rsf2csf, sqrtm, funm, solve_sylvester; jnp.linalg.qr(mode='raw') and slogdet(method='qr')."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close, needs_jax, numerical_grad, real_jax

import jaxlite as jax
import jaxlite.numpy as jnp
import jaxlite.scipy.linalg as jsl

if real_jax is not None:
    import jax.numpy as rjnp
    import jax.scipy.linalg as rsl

_rng = np.random.default_rng(0)
A = _rng.normal(size=(4, 4)).astype(np.float32)
B = _rng.normal(size=(3, 3)).astype(np.float32)
C = _rng.normal(size=(4, 3)).astype(np.float32)
AC = (A + 1j * _rng.normal(size=(4, 4))).astype(np.complex64)
STACK = _rng.normal(size=(2, 4, 4)).astype(np.float32)


def _both(name, *args, **kw):
    """(jaxlite result or exception, jax result or exception)."""
    out = []
    for mod in (jsl, rsl):
        try:
            out.append(getattr(mod, name)(*args, **kw))
        except Exception as e:  # noqa: BLE001 - the exception type is what we compare
            out.append(e)
    return out


def _check(name, *args, **kw):
    mine, ref = _both(name, *args, **kw)
    if isinstance(ref, Exception):
        assert type(mine) is type(ref), (mine, ref)
        return
    assert not isinstance(mine, Exception), mine
    assert_close(mine, ref, rtol=1e-4, atol=1e-4)


# ---- special matrices ------------------------------------------------------------------------------

VECS = [np.array([1., 2., 3.], np.float32), np.arange(6).reshape(2, 3), 5, np.zeros(0, np.int32),
        np.array([1 + 2j, 3j], np.complex64)]


@needs_jax
@pytest.mark.parametrize("name", ["circulant", "fiedler", "hankel"])
def test_vector_matrices(name):
    for c in VECS:
        _check(name, c)


@needs_jax
def test_hankel_leslie_companion():
    i3, f3 = np.array([1, 2, 3]), np.array([1., 2., 3.], np.float32)
    _check("hankel", i3, f3)
    _check("hankel", np.arange(6).reshape(2, 3), np.arange(4))
    _check("hankel", i3, np.zeros(0))
    _check("leslie", f3, np.array([.5, .6]))
    _check("leslie", i3, np.array([1, 2]))
    _check("leslie", np.arange(6).reshape(2, 3), np.ones((2, 2), np.int32))
    _check("leslie", [1], [])
    _check("leslie", i3, [1])
    for a in [i3, np.arange(6).reshape(2, 3), np.array([2]), np.zeros(0)]:
        _check("companion", a)
        _check("fiedler_companion", a)


@needs_jax
def test_convolution_matrix():
    a = np.array([1, 2, 3])
    for n in (1, 2, 5):
        for mode in ("full", "same", "valid"):
            _check("convolution_matrix", a, n, mode)
            _check("convolution_matrix", np.arange(6.).reshape(2, 3).astype(np.float32), n, mode)
    _check("convolution_matrix", a, 0)
    _check("convolution_matrix", a, 2, "bad")
    _check("convolution_matrix", 3, 2)


@needs_jax
def test_order_n_matrices():
    for n in (0, 1, 5):
        _check("hilbert", n)
        _check("invhilbert", n)
        _check("pascal", n)
        _check("invpascal", n)
    for kind in ("lower", "upper"):
        _check("pascal", 4, kind)
        _check("invpascal", 4, kind)
    for scale in (None, "sqrtn", "n"):
        _check("dft", 4, scale)
    _check("dft", 0)
    for n in (1, 5):
        _check("helmert", n)
        _check("helmert", n, True)
    for n in (1, 8):
        _check("hadamard", n)
    _check("hadamard", 4, np.float32)
    for bad in [("pascal", 3, "x"), ("invpascal", 3, "x"), ("dft", 3, "x"), ("helmert", 0), ("hadamard", 3)]:
        _check(*bad)
    _check("dft", 3, dtype=np.float32)


def test_special_matrices_values_and_jit():
    # Recorded from scipy.linalg (runs in Pyodide too).
    np.testing.assert_array_equal(jsl.circulant(jnp.array([1, 2, 3])), [[1, 3, 2], [2, 1, 3], [3, 2, 1]])
    np.testing.assert_allclose(jsl.invhilbert(3), [[9, -36, 30], [-36, 192, -180], [30, -180, 180]], rtol=1e-4)
    np.testing.assert_allclose(jsl.pascal(4), [[1, 1, 1, 1], [1, 2, 3, 4], [1, 3, 6, 10], [1, 4, 10, 20]])
    np.testing.assert_allclose(jsl.pascal(5) @ jsl.invpascal(5), np.eye(5), atol=1e-3)
    h = jsl.helmert(4, full=True)
    np.testing.assert_allclose(h @ h.T, np.eye(4), atol=1e-6)
    np.testing.assert_allclose(jnp.sort(jnp.linalg.eigvals(jsl.companion(jnp.array([1., -6., 11., -6.]))).real),
                               [1, 2, 3], atol=1e-4)
    x = jnp.arange(4.)
    np.testing.assert_allclose(jsl.dft(4) @ x, np.fft.fft(np.arange(4.)), atol=1e-5)
    f = jax.jit(lambda c, r: jsl.hankel(c, r) + jsl.toeplitz(c, r) + jsl.circulant(c) + jsl.fiedler(c))
    c, r = jnp.array([1., 2., 3.]), jnp.array([3., 5., 6.])
    np.testing.assert_allclose(f(c, r), jsl.hankel(c, r) + jsl.toeplitz(c, r) + jsl.circulant(c) + jsl.fiedler(c))
    conv = jsl.convolution_matrix(jnp.array([1., 2., 3.]), 4, "same")
    np.testing.assert_allclose(conv @ jnp.arange(4.), np.convolve([1, 2, 3], np.arange(4.), "same"))


# ---- polar, expm_frechet, eigh_tridiagonal, qr_multiply ---------------------------------------------


@needs_jax
@pytest.mark.parametrize("side", ["right", "left"])
def test_polar(side):
    for method in ("svd", "qdwh"):
        for m in [A[:, :2], A[:2], AC, STACK]:
            _check("polar", m, side, method=method)
    _check("polar", A, "middle")
    _check("polar", A[0])
    _check("polar", A, method="bad")
    _check("polar", np.arange(6).reshape(3, 2), method="svd")


@needs_jax
def test_polar_grad_jit():
    w = np.arange(16.).reshape(4, 4)

    def f(x):
        u, p = jsl.polar(x, method="svd")
        return p.sum() + (u * w).sum()

    def g(x):  # JAX's default qdwh has no reverse-mode derivative (a while_loop)
        u, p = rsl.polar(x, method="svd")
        return p.sum() + (u * w).sum()
    assert_close(jax.grad(f)(A), real_jax.grad(g)(A), rtol=1e-3, atol=1e-3)
    assert_close(jax.jit(jsl.polar)(A), rsl.polar(A), rtol=1e-4, atol=1e-4)


@needs_jax
def test_expm_frechet():
    a, e = 0.3 * A, C @ C.T
    _check("expm_frechet", a, e)
    assert_close(jsl.expm_frechet(a, e, compute_expm=False), jsl.expm_frechet(a, e)[1])
    _check("expm_frechet", 0.3 * STACK, STACK[::-1])
    _check("expm_frechet", a, e[:3, :3])
    _check("expm_frechet", a[0], e[0])
    f = lambda x: jsl.expm_frechet(x, e, compute_expm=False).sum()  # noqa: E731
    g = lambda x: rsl.expm_frechet(x, e, compute_expm=False).sum()  # noqa: E731
    assert_close(jax.grad(f)(a), real_jax.grad(g)(a), rtol=1e-3, atol=1e-3)
    assert_close(jax.jit(jsl.expm_frechet)(a, e), jsl.expm_frechet(a, e), rtol=1e-5, atol=1e-5)


@needs_jax
def test_eigh_tridiagonal():
    d, e = _rng.normal(size=5).astype(np.float32), _rng.normal(size=4).astype(np.float32)
    _check("eigh_tridiagonal", d, e, eigvals_only=True)
    _check("eigh_tridiagonal", d, e, eigvals_only=True, select="i", select_range=(1, 3))
    _check("eigh_tridiagonal", d[:1], e[:0], eigvals_only=True)
    _check("eigh_tridiagonal", d[:1], e[:0])
    for bad in [dict(select="v", select_range=(0., 1.)), dict(select="i"), dict(select="i", select_range=(3, 1)),
                dict(select="x")]:
        _check("eigh_tridiagonal", d, e, eigvals_only=True, **bad)
    _check("eigh_tridiagonal", d.astype(int), e.astype(int), eigvals_only=True)
    _check("eigh_tridiagonal", d, e.astype(np.float64), eigvals_only=True)
    w, v = jsl.eigh_tridiagonal(d, e)
    t = np.diag(d) + np.diag(e, 1) + np.diag(e, -1)
    np.testing.assert_allclose(t @ np.asarray(v), np.asarray(v) * np.asarray(w), atol=1e-4)
    assert_close(jax.jit(lambda d, e: jsl.eigh_tridiagonal(d, e, eigvals_only=True))(d, e),
                 rsl.eigh_tridiagonal(d, e, eigvals_only=True), rtol=1e-4, atol=1e-4)
    ds, es = np.stack([d, -d]), np.stack([e, 2 * e])
    assert_close(jax.vmap(lambda d, e: jsl.eigh_tridiagonal(d, e, eigvals_only=True))(ds, es),
                 real_jax.vmap(lambda d, e: rsl.eigh_tridiagonal(d, e, eigvals_only=True))(ds, es),
                 rtol=1e-4, atol=1e-4)


@needs_jax
@pytest.mark.parametrize("mode", ["right", "left"])
def test_qr_multiply(mode):
    for pivoting in (False, True):
        for conjugate in (False, True):
            for a in [A, _rng.normal(size=(5, 3)).astype(np.float32), _rng.normal(size=(3, 5)).astype(np.float32)]:
                m, n = a.shape
                c = _rng.normal(size=(2, m) if mode == "right" else (min(m, n), 2)).astype(np.float32)
                _check("qr_multiply", a, c, mode, pivoting, conjugate)
            _check("qr_multiply", A, C[:, 0], mode, pivoting)
    _check("qr_multiply", A, C[:3], mode)
    _check("qr_multiply", A, C, "middle")
    _check("qr_multiply", STACK, np.ones((2, 4), np.float32) if mode == "right" else np.ones((4, 2), np.float32),
           mode)


@needs_jax
def test_qr_multiply_grad():
    c = C.T
    f = lambda x: jsl.qr_multiply(x, c)[0].sum()  # noqa: E731
    num = numerical_grad(f, A)
    np.testing.assert_allclose(jax.grad(f)(A), num, rtol=2e-2, atol=2e-2)


# ---- jnp.linalg.qr(mode='raw'), slogdet(method='qr'), scipy qr ------------------------------------


@needs_jax
def test_qr_raw():
    for m in [STACK[:, :, :3], A, A.T[:3], np.zeros((0, 3), np.float32), np.arange(6).reshape(2, 3), AC]:
        assert_close(jnp.linalg.qr(m, mode="raw"), rjnp.linalg.qr(m, mode="raw"), rtol=1e-4, atol=1e-4)
    assert_close(jax.jit(lambda x: jnp.linalg.qr(x, mode="raw"))(A), rjnp.linalg.qr(A, mode="raw"),
                 rtol=1e-4, atol=1e-4)
    assert_close(jax.vmap(lambda x: jnp.linalg.qr(x, mode="raw"))(STACK),
                 real_jax.vmap(lambda x: rjnp.linalg.qr(x, mode="raw"))(STACK), rtol=1e-4, atol=1e-4)
    _check("qr", A, mode="raw")  # scipy's qr has no 'raw' mode in JAX: a ValueError


@needs_jax
def test_slogdet_qr():
    for m in [STACK, A, -np.eye(3, dtype=np.float32), np.zeros((2, 2), np.float32), np.array([[1, 2], [3, 4]]),
              np.ones((1, 1), np.float32), np.zeros((0, 0), np.float32)]:
        assert_close(jnp.linalg.slogdet(m, method="qr"), rjnp.linalg.slogdet(m, method="qr"), rtol=1e-4, atol=1e-4)
    with pytest.raises(NotImplementedError):
        jnp.linalg.slogdet(AC, method="qr")
    with pytest.raises(ValueError):
        jnp.linalg.slogdet(A, method="bad")
    f = lambda x: jnp.linalg.slogdet(x, method="qr")[1]  # noqa: E731
    assert_close(jax.grad(f)(A), real_jax.grad(lambda x: rjnp.linalg.slogdet(x, method="qr")[1])(A),
                 rtol=1e-4, atol=1e-4)
    assert_close(jax.vmap(lambda x: jnp.linalg.slogdet(x, method="qr"))(STACK),
                 rjnp.linalg.slogdet(STACK, method="qr"), rtol=1e-4, atol=1e-4)


# ---- hessenberg, schur and what is built on them ----------------------------------------------------


@needs_jax
def test_hessenberg():
    for m in [A, AC, STACK, np.zeros((0, 0), np.float32), np.ones((1, 1), np.float32), np.ones((2, 2), np.float32)]:
        _check("hessenberg", m, calc_q=True)
        _check("hessenberg", m)
    _check("hessenberg", np.arange(9).reshape(3, 3))
    _check("hessenberg", A[:3])
    assert_close(jax.jit(lambda x: jsl.hessenberg(x, calc_q=True))(A), rsl.hessenberg(A, calc_q=True),
                 rtol=1e-4, atol=1e-4)
    assert_close(jax.vmap(jsl.hessenberg)(STACK), real_jax.vmap(rsl.hessenberg)(STACK), rtol=1e-4, atol=1e-4)


def _assert_schur(a, t, z, output):
    a, t, z = np.asarray(a), np.asarray(t), np.asarray(z)
    n = a.shape[-1]
    np.testing.assert_allclose(z @ t @ np.conj(np.swapaxes(z, -1, -2)), a, atol=1e-4)
    np.testing.assert_allclose(np.conj(np.swapaxes(z, -1, -2)) @ z, np.broadcast_to(np.eye(n), a.shape), atol=1e-5)
    if output == "complex":
        assert np.all(np.tril(t, -1) == 0)
    else:
        assert np.all(np.tril(t, -2) == 0)
        sub = np.diagonal(t, -1, -2, -1).reshape(-1, n - 1) if n > 1 else np.zeros((1, 0))
        for row in sub:  # 2x2 blocks only, never two in a row
            assert not np.any((row[:-1] != 0) & (row[1:] != 0))


@pytest.mark.parametrize("output", ["real", "complex"])
def test_schur_properties(output):
    rng = np.random.default_rng(1)
    for a in [A, AC, STACK, rng.normal(size=(9, 9)).astype(np.float32), np.eye(3, dtype=np.float32)[::-1],
              np.zeros((3, 3), np.float32), np.ones((1, 1), np.float32)]:
        a = np.ascontiguousarray(a)
        t, z = jsl.schur(a, output=output)
        want = np.complex64 if output == "complex" or a.dtype == np.complex64 else np.float32
        assert t.dtype == z.dtype == want
        _assert_schur(a, t, z, output if a.dtype != np.complex64 else "complex")
    t, z = jax.jit(jsl.schur)(A)
    _assert_schur(A, t, z, "real")
    t, z = jax.vmap(jsl.schur)(STACK)
    _assert_schur(STACK, t, z, "real")
    t, z = jsl.rsf2csf(*jsl.schur(A))
    _assert_schur(A, t, z, "complex")
    with pytest.raises(ValueError):
        jsl.schur(A, output="bad")
    with pytest.raises(ValueError):
        jsl.schur(A[:3])
    with pytest.raises(TypeError):
        jsl.schur(np.arange(9).reshape(3, 3))


@needs_jax
def test_schur_eigenvalues_and_rsf2csf():
    t, _ = jsl.schur(A, output="complex")
    np.testing.assert_allclose(np.sort_complex(np.diag(np.asarray(t))),
                               np.sort_complex(np.linalg.eigvals(A.astype(np.float64))), atol=1e-4)
    # rsf2csf on JAX's own real Schur form gives JAX's complex form.
    tr, zr = (np.asarray(x) for x in rsl.schur(A))
    assert_close(jsl.rsf2csf(tr, zr), rsl.rsf2csf(tr, zr), rtol=1e-4, atol=1e-4)
    assert_close(jax.jit(jsl.rsf2csf)(tr, zr), rsl.rsf2csf(tr, zr), rtol=1e-4, atol=1e-4)
    trs, zrs = (np.asarray(x) for x in rsl.schur(STACK))
    assert_close(jax.vmap(jsl.rsf2csf)(trs, zrs), rsl.rsf2csf(trs, zrs), rtol=1e-4, atol=1e-4)
    with pytest.raises(NotImplementedError):  # no derivative, as in JAX
        jax.grad(lambda x: jsl.schur(x)[0].sum())(A)


@needs_jax
def test_sqrtm_funm():
    spd = A @ A.T + np.eye(4, dtype=np.float32)
    _check("sqrtm", spd)
    _check("sqrtm", np.eye(2, dtype=int))
    _check("sqrtm", STACK)
    _check("sqrtm", spd, 2)
    mine, ref = jsl.sqrtm(A), rsl.sqrtm(A)
    assert mine.dtype == ref.dtype
    np.testing.assert_allclose(mine, ref, atol=2e-3)
    np.testing.assert_allclose(np.asarray(mine @ mine), A, atol=1e-4)
    mine, ref = jsl.funm(A, jnp.sin), rsl.funm(A, rjnp.sin)
    assert mine.dtype == ref.dtype
    np.testing.assert_allclose(mine, ref, atol=1e-3)
    f, err = jsl.funm(spd, jnp.exp, disp=False)
    np.testing.assert_allclose(f.real, rsl.expm(spd), rtol=1e-3)
    assert float(err) < 1e-3
    _check("funm", STACK, jnp.exp)
    np.testing.assert_allclose(jax.jit(jsl.sqrtm)(spd), rsl.sqrtm(spd), atol=1e-4)


@needs_jax
def test_solve_sylvester():
    _check("solve_sylvester", A, B, C)
    _check("solve_sylvester", A, B, C, method="eigen")
    _check("solve_sylvester", A, B, C.astype(int))
    _check("solve_sylvester", AC, B, C)
    _check("solve_sylvester", A, B, C.T)
    _check("solve_sylvester", A, B, C, method="bad")
    x = jsl.solve_sylvester(A, -A, A)  # A and -A share every eigenvalue
    assert np.all(np.isnan(np.asarray(x)))
    x = jax.jit(jsl.solve_sylvester)(A, B, C)
    np.testing.assert_allclose(A @ np.asarray(x) + np.asarray(x) @ B, C, atol=1e-4)
    xs = jax.vmap(jsl.solve_sylvester, in_axes=(0, None, 0))(STACK, B, np.stack([C, C]))
    for i in range(2):
        np.testing.assert_allclose(STACK[i] @ np.asarray(xs[i]) + np.asarray(xs[i]) @ B, C, atol=1e-4)
