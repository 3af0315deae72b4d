"""jnp.linalg, jax.scipy.linalg and lax.linalg against JAX: values (batched, float64 under x64),
gradients, vmap, jit, errors, singular inputs."""

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
import jaxlite.scipy.linalg as jsl
from jaxlite import lax
from conftest import assert_close, needs_jax, numerical_grad, real_jax

R = np.random.default_rng(0)
A = R.standard_normal((2, 4, 4)).astype(np.float32)
SPD = A @ A.transpose(0, 2, 1) + 4 * np.eye(4, dtype=np.float32)
B = R.standard_normal((2, 4, 3)).astype(np.float32)
TALL = R.standard_normal((2, 5, 3)).astype(np.float32)


def _sign_fix(u, axis):
    """Singular/eigen vectors are unique up to sign: make each one's largest entry positive."""
    u = np.asarray(u)
    idx = np.argmax(np.abs(u), axis=axis)
    s = np.sign(np.take_along_axis(u, np.expand_dims(idx, axis), axis))
    return u * s


def test_reconstructions():
    L = jnp.linalg.cholesky(SPD)
    assert_close(L @ jnp.swapaxes(L, -1, -2), SPD, rtol=1e-5, atol=1e-4)
    q, r = jnp.linalg.qr(TALL)
    assert_close(q @ r, TALL, atol=1e-5)
    u, s, vh = jnp.linalg.svd(TALL, full_matrices=False)
    assert_close((u * s[..., None, :]) @ vh, TALL, atol=1e-5)
    w, v = jnp.linalg.eigh(SPD)
    assert_close((v * w[..., None, :]) @ jnp.swapaxes(v, -1, -2), SPD, atol=1e-4)
    p, l, u = jsl.lu(A)
    assert_close(p @ l @ u, A, atol=1e-5)
    assert_close(jnp.linalg.solve(A, B), np.linalg.solve(A, B), atol=1e-4)
    assert_close(jnp.linalg.det(A), np.linalg.det(A), rtol=1e-4)
    assert_close(jnp.linalg.inv(A[0]), np.linalg.inv(A[0]), atol=1e-4)


@needs_jax
def test_values_match_jax():
    jnp_, jsl_ = real_jax.numpy, real_jax.scipy.linalg
    cases = [("solve", (A, B)), ("inv", (A,)), ("det", (A,)), ("det", (A[:, :3, :3],)), ("slogdet", (A,)),
             ("pinv", (TALL,)), ("matrix_rank", (A,)), ("cond", (A,)), ("lstsq", (TALL[0], B[0, :, 0].repeat(2)[:5])),
             ("eigvalsh", (SPD,)), ("svdvals", (TALL,)), ("matrix_power", (A, 5)), ("matrix_power", (A, -2)),
             ("multi_dot", ([A[0], A[1], B[0]],)), ("tensorsolve", (A.reshape(2, 2, 2, 4)[0].reshape(4, 2, 2), B[0, :, 0])),
             ("eigvals", (A[0],)), ("cholesky", (SPD,)), ("qr", (TALL,)), ("lu", (A[0],))]
    for name, args in cases:
        mod, ref = (jsl, jsl_) if name == "lu" else (jnp.linalg, jnp_.linalg)
        got, want = getattr(mod, name)(*args), getattr(ref, name)(*args)
        for g, w in zip(real_jax.tree.leaves(got), real_jax.tree.leaves(want)):
            assert_close(g, w, rtol=2e-4, atol=2e-4)
    for o in [None, 1, -1, 2, -2, np.inf, -np.inf, "fro", "nuc"]:
        assert_close(jnp.linalg.norm(A, o, axis=(1, 2)), jnp_.linalg.norm(A, o, axis=(1, 2)), rtol=1e-5)
    for o in [None, 0, 1, 3, np.inf, -np.inf, 0.5]:
        assert_close(jnp.linalg.norm(B, o, axis=1, keepdims=True), jnp_.linalg.norm(B, o, axis=1, keepdims=True))
    # Vectors up to sign; a full U's columns past min(m, n) are any orthonormal completion.
    u = jnp.linalg.svd(TALL)[0]
    assert_close(_sign_fix(u[..., :3], -2), _sign_fix(jnp_.linalg.svd(TALL)[0][..., :3], -2), atol=1e-4)
    assert_close(np.swapaxes(u, -1, -2) @ u, np.broadcast_to(np.eye(5, dtype=np.float32), (2, 5, 5)), atol=1e-5)
    assert_close(_sign_fix(jnp.linalg.eigh(SPD)[1], -2), _sign_fix(jnp_.linalg.eigh(SPD)[1], -2), atol=1e-4)
    for name, args, kw in [("solve_triangular", (SPD, B), dict(lower=True, trans=1)), ("cho_factor", (SPD,), {}),
                           ("qr", (A,), dict(pivoting=True)), ("expm", (A,), {}), ("expm", (3 * A[0],), {}),
                           ("solve", (SPD, B), dict(assume_a="pos")), ("block_diag", (A[0, :2], B[0], 3.0), {}),
                           ("toeplitz", (B[0, :, 0], A[0, 0, :3]), {})]:
        for g, w in zip(real_jax.tree.leaves(getattr(jsl, name)(*args, **kw)),
                        real_jax.tree.leaves(getattr(jsl_, name)(*args, **kw))):
            assert_close(g, w, rtol=2e-4, atol=2e-4)
    lu_piv = jsl.lu_factor(A[0])
    assert_close(jsl.lu_solve(lu_piv, B[0], trans=1), jsl_.lu_solve(jsl_.lu_factor(A[0]), B[0], trans=1), atol=1e-4)
    assert_close(jsl.cho_solve(jsl.cho_factor(SPD[0]), B[0]), jsl_.cho_solve(jsl_.cho_factor(SPD[0]), B[0]), atol=1e-5)


@needs_jax
def test_grads_match_jax():
    jnp_, jsl_ = real_jax.numpy, real_jax.scipy.linalg
    fs = {
        "solve": lambda m, x: (m.linalg.solve(x, B[0]) ** 2).sum(),
        "inv": lambda m, x: m.linalg.inv(x).sum(),
        "det": lambda m, x: m.linalg.det(x),
        "slogdet": lambda m, x: m.linalg.slogdet(x)[1],
        "cholesky": lambda m, x: (m.linalg.cholesky(x @ x.T + 4 * m.eye(4)) ** 2).sum(),
        "qr": lambda m, x: (lambda q, r: (q[:3, 0] * r[0]).sum() + (r ** 2).sum())(*m.linalg.qr(x[:, :3])),
        "eigh": lambda m, x: (lambda w, v: (w ** 2).sum() + (v[:, 0] ** 2 * w[0]).sum())(*m.linalg.eigh(x + x.T)),
        "svd": lambda m, x: (lambda u, s, vh: s.sum() + (u[:, 0] * vh[0]).sum())(*m.linalg.svd(x, full_matrices=False)),
        "pinv": lambda m, x: m.linalg.pinv(x[:, :3]).sum(),
    }
    for name, f in fs.items():
        got = jaxlite.grad(lambda x: f(jnp, x))(A[0])
        want = real_jax.grad(lambda x: f(jnp_, x))(A[0])
        assert_close(got, want, rtol=1e-3, atol=1e-3), name
    got = jaxlite.grad(lambda x: jsl.expm(x).sum())(A[0])
    assert_close(got, real_jax.grad(lambda x: jsl_.expm(x).sum())(A[0]), rtol=1e-4, atol=1e-4)


def test_grad_finite_differences():
    x = np.array([[2.0, 0.5, 0.1], [0.3, 1.5, 0.2], [0.1, 0.4, 3.0]], np.float32)
    for f in [lambda m: jnp.linalg.det(m), lambda m: jnp.linalg.solve(m, jnp.ones(3)).sum(),
              lambda m: jnp.linalg.eigh(m + m.T)[0][-1], lambda m: jnp.linalg.svdvals(m)[0],
              lambda m: jnp.linalg.cholesky(m @ m.T).sum()]:
        assert_close(jaxlite.grad(f)(x), numerical_grad(f, x), rtol=2e-2, atol=2e-2, check_dtype=False)


def test_vmap_jit_and_lax_names():
    vs = jaxlite.vmap(jnp.linalg.solve, in_axes=(0, 2), out_axes=1)(A, B.transpose(1, 2, 0))
    assert_close(vs, np.stack([np.linalg.solve(A[i], B[i]) for i in range(2)], axis=1), atol=1e-4)
    f = jaxlite.jit(lambda a: (jnp.linalg.det(a), jnp.linalg.eigh(a + jnp.swapaxes(a, -1, -2))[0], jnp.linalg.qr(a)[1]))
    d, w, r = f(A)
    assert_close(d, np.linalg.det(A), rtol=1e-4)
    assert_close(w, np.linalg.eigvalsh(A + A.transpose(0, 2, 1)), atol=1e-4)
    assert_close(abs(np.asarray(r)), abs(np.linalg.qr(A)[1]), atol=1e-4)
    g = jaxlite.vmap(jaxlite.grad(lambda a: jnp.linalg.slogdet(a)[1]))(A)
    assert_close(g, np.linalg.inv(A).transpose(0, 2, 1), atol=1e-4)
    lu, piv, perm = lax.linalg.lu(A)
    assert piv.dtype == np.int32 and perm.shape == (2, 4)
    x = lax.linalg.triangular_solve(SPD, B, left_side=True, lower=True)
    assert_close(np.tril(SPD) @ np.asarray(x), B, atol=1e-4)
    tri = lax.linalg.tridiagonal_solve(np.zeros(4, np.float32) + 1, np.full(4, 4, np.float32),
                                      np.ones(4, np.float32), B[0])
    T = np.diag(np.full(4, 4.0)) + np.diag(np.ones(3), 1) + np.diag(np.ones(3), -1)
    assert_close(tri, np.linalg.solve(T, B[0]).astype(np.float32), atol=1e-5)


def test_float64_under_x64():
    with jaxlite.enable_x64(True):
        a = A[0].astype(np.float64)
        x = jnp.linalg.solve(a, np.ones(4))
        assert x.dtype == np.float64
        assert_close(x, np.linalg.solve(a, np.ones(4)), rtol=1e-12, atol=1e-12)
        assert jnp.linalg.eigvals(a).dtype == np.complex128


def test_errors_and_singular():
    with pytest.raises(ValueError, match=r"must have shape \[..., n, n\]"):
        jnp.linalg.inv(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError):
        jnp.linalg.det(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="Invalid shapes for solve"):
        jnp.linalg.solve(A, B[..., 0])
    with pytest.raises(ValueError, match="Invalid order"):
        jnp.linalg.norm(A, "bad", axis=(1, 2))
    ones = np.ones((2, 2), np.float32)
    assert np.all(np.isnan(jnp.linalg.solve(ones, np.ones(2, np.float32))))
    assert np.all(np.isinf(jnp.linalg.inv(ones)))
    assert float(jnp.linalg.det(ones)) == 0.0
    sign, logdet = jnp.linalg.slogdet(ones)
    assert float(sign) == 0.0 and float(logdet) == -np.inf
    L = np.asarray(jnp.linalg.cholesky(np.array([[1.0, 2.0], [2.0, 1.0]], np.float32)))
    assert np.isnan(L[1, 1]) and L[0, 1] == 0
    s = jnp.linalg.svd(np.array([[1.0, np.nan], [0.0, 1.0]], np.float32), compute_uv=False)
    assert np.all(np.isnan(s))
