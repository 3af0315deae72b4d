"""The lax primitives jaxlite defines by a decomposition (lax/composite.py): each binds as JAX's
primitive of that name, and values, jvp, grad and vmap match JAX's; on the kernel devices they
run under jit as fused kernels with no host fallback."""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np
import pytest
from backend_util import CPU, KERNEL_DEVICES, on
from conftest import assert_close, needs_jax, real_jax

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import lax

R = np.random.default_rng(0)
X = R.standard_normal((3, 5)).astype(np.float32)
X[0, 1] = X[0, 3]  # a tie for top_k
POS = (R.uniform(0.2, 3.0, (3, 5))).astype(np.float32)
UNIT = (R.uniform(0.05, 0.95, (3, 5))).astype(np.float32)
ROWS = np.array([[1], [1], [2]], np.int32)  # a repeated index for the scatters
UPD = R.standard_normal((3, 5)).astype(np.float32)
A = np.array([[3., 1., 0.], [1., 4., 1.], [0., 1., 5.]], np.float32)
B = R.standard_normal(3).astype(np.float32)


def _dn(L):
    return L.ScatterDimensionNumbers(update_window_dims=(1,), inserted_window_dims=(0,),
                                     scatter_dims_to_operand_dims=(0,))


def _pool(L):
    return lambda x: L.reduce_window(x, -np.inf, L.max, (2, 2), (1, 1), "VALID")


def _solve(L, np_):
    return lambda a, b: L.custom_linear_solve(lambda v: a @ v, b, lambda mv, r: np_.linalg.solve(a, r),
                                              symmetric=True)


@dataclasses.dataclass
class Case:
    name: str  # the primitive's name in jaxprs (JAX's)
    ours: Callable  # fn(lax, numpy) -> function of the args
    args: tuple
    diff: tuple = ()  # argnums with a derivative (as JAX has one)
    theirs: Callable | None = None  # for JAX when it names the function differently
    tol: float = 2e-5

    def fn(self, real=False):
        if real:
            return (self.theirs or self.ours)(real_jax.lax, real_jax.numpy)
        return self.ours(lax, jnp)


CASES = [
    Case("squeeze", lambda L, n: lambda x: L.squeeze(x, (1,)), (X[:, None],), (0,),
         theirs=lambda L, n: lambda x: n.squeeze(x, 1)),
    Case("tile", lambda L, n: lambda x: L.tile(x, (2, 1)), (X,), (0,),
         theirs=lambda L, n: lambda x: n.tile(x, (2, 1))),
    Case("split", lambda L, n: lambda x: L.split(x, (1, 4), axis=1), (X,), (0,)),
    Case("stack", lambda L, n: lambda x, y: L.stack([x, y], 1), (X, POS), (0, 1),
         theirs=lambda L, n: lambda x, y: n.stack([x, y], 1)),
    Case("unstack", lambda L, n: lambda x: L.unstack(x, 1), (X,), (0,),
         theirs=lambda L, n: lambda x: n.unstack(x, axis=1)),
    Case("top_k", lambda L, n: lambda x: L.top_k(x, 3), (X,), (0,)),
    Case("approx_top_k", lambda L, n: lambda x: L.approx_max_k(x, 2, reduction_dimension=0), (X,), (0,)),
    Case("approx_top_k", lambda L, n: lambda x: L.approx_min_k(x, 2), (X,), (0,)),
    Case("clamp", lambda L, n: lambda lo, x, hi: L.clamp(lo, x, hi),
         (np.full((3, 5), -0.5, np.float32), X, np.full((3, 5), 0.7, np.float32)), (0, 1, 2)),
    Case("clamp", lambda L, n: lambda x: L.clamp(-0.5, x, 0.5), (X,), (0,)),
    Case("complex", lambda L, n: lambda x, y: L.complex(x, y), (X, POS), (0, 1)),
    Case("cumlogsumexp", lambda L, n: lambda x: L.cumlogsumexp(x, axis=0, reverse=True), (X,), (0,)),
    Case("reduce_precision", lambda L, n: lambda x: L.reduce_precision(x * 1e3, 4, 3), (X,), (0,)),
    Case("scatter-sub", lambda L, n: lambda x, u: L.scatter_sub(x, ROWS, u, _dn(L)), (X, UPD), (0, 1)),
    Case("erf_inv", lambda L, n: lambda x: L.erf_inv(x), (UNIT * 2 - 1,), (0,)),
    Case("bessel_i0e", lambda L, n: lambda x: L.bessel_i0e(x), (X * 4,), (0,)),
    Case("bessel_i1e", lambda L, n: lambda x: L.bessel_i1e(x), (X * 4,), (0,)),
    Case("igamma", lambda L, n: lambda a, x: L.igamma(a, x), (POS, UNIT * 3), (0, 1), tol=1e-4),
    Case("igammac", lambda L, n: lambda a, x: L.igammac(a, x), (POS, UNIT * 3), (0, 1), tol=1e-4),
    Case("igamma_grad_a", lambda L, n: lambda a, x: L.igamma_grad_a(a, x), (POS, UNIT * 3), tol=1e-4),
    Case("polygamma", lambda L, n: lambda x: L.polygamma(np.float32(2.), x), (POS,), (0,), tol=1e-4),
    Case("zeta", lambda L, n: lambda x, q: L.zeta(x, q), (POS + 1.5, POS), tol=1e-4),
    Case("regularized_incomplete_beta", lambda L, n: lambda x: L.betainc(np.float32(2.), np.float32(3.), x),
         (UNIT[0],), (0,), tol=1e-4),
    Case("reduce", lambda L, n: lambda x, y: L.reduce((x, y), (np.float32(0), np.float32(1)),
                                                      lambda a, b: (a[0] * b[1] + b[0] * a[1], a[1] * b[1]), (1,)),
         (X, UNIT), (0, 1)),
    Case("reduce_window", lambda L, n: lambda x: L.reduce_window(x, np.float32(1), lambda a, b: a * b,
                                                                 (2, 2), (1, 2), "SAME"), (UNIT,)),
    Case("custom_linear_solve", lambda L, n: _solve(L, n), (A, B), (0, 1), tol=1e-4),
]
IDS = [f"{c.name}-{i}" for i, c in enumerate(CASES)]
# Series and continued fractions (loops) compile slowly: their transformations are checked in
# test_lax_special.py; here their values, jaxprs and jit.
SLOW = {"igamma", "igammac", "igamma_grad_a", "polygamma", "zeta", "regularized_incomplete_beta"}
LIGHT = [c for c in CASES if c.name not in SLOW]


def _eqn_names(closed):
    return {e.primitive.name for e in closed.eqns}


@needs_jax
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_binds_the_primitive_and_matches_jax(case):
    ours, theirs = case.fn(), case.fn(real=True)
    assert case.name in _eqn_names(jax.make_jaxpr(ours)(*case.args))
    assert case.name in _eqn_names(real_jax.make_jaxpr(theirs)(*case.args))  # JAX's name, JAX binds it
    with np.errstate(all="ignore"):
        out = ours(*case.args)
        assert_close(out, theirs(*case.args), rtol=case.tol, atol=case.tol)
        assert_close(jax.jit(ours)(*case.args), out, rtol=1e-6, atol=1e-6)


def _restricted(f, args, diff):
    """f as a function of the differentiated arguments only (JAX refuses tangents for the others)."""
    def g(*d):
        full = list(args)
        for i, v in zip(diff, d):
            full[i] = v
        return f(*full)
    return g


DIFF = [c for c in LIGHT if c.diff]


@needs_jax
@pytest.mark.parametrize("case", DIFF, ids=[f"{c.name}-{CASES.index(c)}" for c in DIFF])
def test_jvp_and_grad_match_jax(case):
    ours, theirs = case.fn(), case.fn(real=True)
    primals = tuple(case.args[i] for i in case.diff)
    tangents = tuple(R.standard_normal(np.shape(p)).astype(np.float32) for p in primals)
    with np.errstate(all="ignore"):
        got = jax.jvp(_restricted(ours, case.args, case.diff), primals, tangents)
        want = real_jax.jvp(_restricted(theirs, case.args, case.diff), primals, tangents)
        assert_close(got[0], want[0], rtol=case.tol, atol=case.tol)
        # Integer outputs (top_k's indices): JAX's tangent is float0, jaxlite's an integer zero.
        floats = [(g, w) for g, w in zip(jax.tree_util.tree_leaves(got[1]), real_jax.tree_util.tree_leaves(want[1]))
                  if w.dtype.kind in "fc"]
        assert_close([g for g, _ in floats], [w for _, w in floats], rtol=10 * case.tol, atol=10 * case.tol)

        def loss(f, np_):
            def g(*d):
                leaves = [v for v in jax.tree_util.tree_leaves(f(*d)) if np.dtype(v.dtype).kind in "fc"]
                return sum((np_.real(v) * np_.cos(np_.arange(v.size, dtype=np.float32).reshape(v.shape))).sum()
                           for v in leaves)
            return g
        argnums = tuple(range(len(primals)))
        got = jax.grad(loss(_restricted(ours, case.args, case.diff), jnp), argnums)(*primals)
        want = real_jax.grad(loss(_restricted(theirs, case.args, case.diff), real_jax.numpy), argnums)(*primals)
        assert_close(got, want, rtol=10 * case.tol, atol=10 * case.tol)


@needs_jax
@pytest.mark.parametrize("case", LIGHT, ids=[f"{c.name}-{CASES.index(c)}" for c in LIGHT])
def test_vmap_matches_jax(case):
    ours, theirs = case.fn(), case.fn(real=True)
    # Batch the first argument (two examples); the others stay unbatched.
    first = np.stack([case.args[0], np.asarray(case.args[0]) * 0.5])
    axes = (0,) + (None,) * (len(case.args) - 1)
    with np.errstate(all="ignore"):
        got = jax.vmap(ours, in_axes=axes)(first, *case.args[1:])
        want = real_jax.vmap(theirs, in_axes=axes)(first, *case.args[1:])
    assert_close(got, want, rtol=case.tol, atol=case.tol)


def test_bind_directly():
    x = jnp.asarray(X)
    vals, idx = lax.top_k_p.bind(x, k=2, axis=1)
    want = np.argsort(-X, axis=1, kind="stable")[:, :2]
    np.testing.assert_array_equal(np.asarray(idx), want)
    np.testing.assert_array_equal(np.asarray(vals), np.take_along_axis(X, want, 1))
    assert lax.squeeze_p.bind(x[:, None], dimensions=(1,)).shape == (3, 5)
    parts = lax.split_p.bind(x, sizes=(2, 3), axis=1)
    np.testing.assert_array_equal(np.asarray(parts[1]), X[:, 2:])
    np.testing.assert_array_equal(np.asarray(lax.stack_p.bind(x, x, axis=0)), np.stack([X, X]))
    np.testing.assert_array_equal(np.asarray(lax.unstack_p.bind(x, axis=0)[2]), X[2])
    np.testing.assert_array_equal(np.asarray(lax.tile_p.bind(x, reps=(1, 2))), np.tile(X, (1, 2)))
    np.testing.assert_array_equal(np.asarray(lax.clamp_p.bind(np.float32(-.5), x, np.float32(.5))),
                                  np.clip(X, -.5, .5))
    np.testing.assert_array_equal(np.asarray(lax.stage_p.bind(x)), X)
    assert lax.dce_sink_p.bind(x, prevent_mlir_dce=False) == []
    np.testing.assert_array_equal(np.asarray(lax.reduce_precision_p.bind(x, exponent_bits=8, mantissa_bits=23)), X)


def test_total_order_comparisons():
    """eq_to/le_to/lt_to: XLA's total order (-NaN < -inf < -0 < +0 < inf < NaN)."""
    a = np.array([-np.nan, -np.inf, -0.0, 0.0, 1.0, np.inf, np.nan], np.float32)
    b = np.array([np.nan, -np.inf, 0.0, -0.0, 1.0, np.nan, np.inf], np.float32)
    np.testing.assert_array_equal(np.asarray(lax.lt_to_p.bind(a, b)), [1, 0, 1, 0, 0, 1, 0])
    np.testing.assert_array_equal(np.asarray(lax.le_to_p.bind(a, b)), [1, 1, 1, 0, 1, 1, 0])
    np.testing.assert_array_equal(np.asarray(lax.eq_to_p.bind(a, b)), [0, 1, 0, 0, 1, 0, 0])
    np.testing.assert_array_equal(np.asarray(jax.jit(lax.lt_to_p.bind)(a, b)), [1, 0, 1, 0, 0, 1, 0])
    np.testing.assert_array_equal(np.asarray(lax.eq_to_p.bind(np.arange(3), np.array([0, 2, 2]))), [1, 0, 1])


def test_clamp_ties_and_errors():
    """JAX's clamp derivative: at a tie with min or max, neither gets the tangent."""
    x = jnp.array([-1., 0., 0.5, 1., 2.])
    _, t = jax.jvp(lambda v: lax.clamp(0., v, 1.), (x,), (jnp.ones(5),))
    np.testing.assert_array_equal(np.asarray(t), [0, 0, 1, 0, 0])
    g = jax.grad(lambda hi: lax.clamp(jnp.zeros(5), x, hi).sum())(jnp.ones(5))
    np.testing.assert_array_equal(np.asarray(g), [0, 0, 0, 0, 1])
    with pytest.raises(TypeError, match="same dtypes"):
        lax.clamp(0, x, 2)
    with pytest.raises(TypeError, match="shape"):
        lax.clamp(jnp.zeros(2), x, 1.)


REDUCE_PRECISION_EDGES = np.array([0., -0., 1., -1.5, 65504., 65520., 1e-5, 6e-8, 1e-40, -1e-42, 3e38, np.inf,
                                   -np.inf, np.nan, 1 + 2 ** -11, 1 + 3 * 2 ** -11], np.float64)


@needs_jax
@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16"])
def test_reduce_precision_exact(dtype):
    """Bit-exact with JAX on random and edge values (overflow to inf, flush to zero, NaN, ties to
    even), float64 included (x64), and the tangent rounded as JAX rounds it."""
    x64 = dtype == "float64"
    with jax.enable_x64(x64), real_jax.enable_x64(x64):
        dt = real_jax.numpy.dtype(dtype)
        vals = np.concatenate([REDUCE_PRECISION_EDGES, R.standard_normal(40) * np.exp(R.standard_normal(40) * 20)])
        x = vals.astype(dt)
        for e, m in [(5, 10), (8, 7), (4, 3), (2, 1), (3, 0), (11, 52), (11, 20), (8, 23)]:
            got = np.asarray(lax.reduce_precision(x, e, m))
            want = np.asarray(real_jax.lax.reduce_precision(x, e, m))
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got.astype(np.float64), want.astype(np.float64), err_msg=f"{e}, {m}")
        t, dt_ = x[:8], (x[:8] * 1.1).astype(dt)
        got = jax.jvp(lambda v: lax.reduce_precision(v, 5, 2), (t,), (dt_,))
        want = real_jax.jvp(lambda v: real_jax.lax.reduce_precision(v, 5, 2), (t,), (dt_,))
        np.testing.assert_array_equal(np.asarray(got[1]).astype(np.float64), np.asarray(want[1]).astype(np.float64))


@needs_jax
def test_scatter_apply_any_scalar_function():
    """func is traced on scalars (a where, a Python branch on its shape), applied once per update
    (twice at a repeated index), as JAX's."""
    x = np.arange(6., dtype=np.float32)
    idx = np.array([[1], [1], [4]], np.int32)

    def run(L, np_):
        dn = L.ScatterDimensionNumbers((), (0,), (0,))
        f = lambda v: np_.where(v > 1, v * v, -v) if v.ndim == 0 else v  # noqa: E731
        return L.scatter_apply(x, idx, f, dn, update_shape=(3,))
    assert_close(run(lax, jnp), run(real_jax.lax, real_jax.numpy))
    assert_close(jax.jit(lambda: run(lax, jnp))(), run(real_jax.lax, real_jax.numpy))


@needs_jax
def test_max_pool_grad_binds_select_and_scatter_add():
    loss = lambda L: lambda x: (_pool(L)(x) ** 2).sum()  # noqa: E731
    names = _eqn_names(jax.make_jaxpr(jax.grad(loss(lax)))(X))
    assert "select_and_scatter_add" in names
    assert_close(jax.grad(loss(lax))(X), real_jax.grad(loss(real_jax.lax))(X))
    _, t = jax.jvp(_pool(lax), (X,), (UPD,))
    assert_close(t, real_jax.jvp(_pool(real_jax.lax), (X,), (UPD,))[1])
    assert_close(jax.vmap(jax.grad(loss(lax)))(np.stack([X, -X])),
                 real_jax.vmap(real_jax.grad(loss(real_jax.lax)))(np.stack([X, -X])))


def test_second_order_and_transpose_of_linear_solve():
    f = _solve(lax, jnp)
    a, b = jnp.asarray(A), jnp.asarray(B)
    hess = jax.hessian(lambda v: (f(a, v) ** 2).sum())(b)
    inv = np.linalg.inv(A.astype(np.float64))
    np.testing.assert_allclose(np.asarray(hess), 2 * inv.T @ inv, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.asarray(jax.vmap(f, in_axes=(None, 0))(a, jnp.stack([b, 2 * b]))),
                               np.stack([inv @ B, 2 * inv @ B]), rtol=1e-5, atol=1e-5)
    with pytest.raises(TypeError, match="transpose_solve required"):  # JAX's error, without symmetric
        jax.grad(lambda v: lax.custom_linear_solve(lambda u: a @ u, v, lambda mv, r: jnp.linalg.solve(a, r)).sum())(b)


@pytest.mark.parametrize("dev", KERNEL_DEVICES or [None], ids=lambda d: getattr(d, "platform", "none"))
def test_jit_on_kernel_devices_has_no_host_fallback(dev):
    """Under jit each primitive's decomposition is inlined into the plan: no primitive of these
    falls back to the host, and nothing else does but what the device opts out of by design (wasm
    runs sorts on the host: `stages = False`), with the cpu device's values and gradients."""
    if dev is None:
        pytest.skip("no kernel device here")
    before = dict(dev.host_fallbacks)
    with np.errstate(all="ignore"):
        for case in LIGHT:
            if case.name == "complex" and not dev.supports_dtype(np.complex64):
                continue
            fn = case.fn()
            want = jax.jit(fn)(*on(CPU, *case.args))
            got = jax.jit(fn)(*on(dev, *case.args))
            for g, w in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
                assert g.device == dev and g.dtype == w.dtype
                np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-4, atol=1e-4, err_msg=case.name)
            if case.diff:
                grad = jax.jit(jax.grad(lambda *a: sum(jnp.real(v).sum() for v in jax.tree_util.tree_leaves(fn(*a))
                                                       if v.dtype.kind in "fc"), case.diff))
                for g, w in zip(grad(*on(dev, *case.args)), grad(*on(CPU, *case.args))):
                    np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-3, atol=1e-4, err_msg=case.name)
    new = {k for k, v in dev.host_fallbacks.items() if v != before.get(k, 0)}
    # by design: wasm sorts on the host; factorisations (custom_linear_solve's case) have no webgpu routine
    allowed = ({"sort"} if not dev.stages else set()) | ({"lu", "triangular_solve"} - set(dev.prim_routines))
    assert new <= allowed, f"host fallbacks: {dict(dev.host_fallbacks)} vs {before}"


# (shape, k, recall_target, reduction_dimension, reduction_input_size_override) -> candidates kept
# by JAX 0.10.2 on CPU with aggregate_to_topk=False (XLA's ApproxTopKReductionOutputSize)
_APPROX_SIZES = [(((2, 1000), 5, 0.95, -1, -1), 256), (((2, 100), 5, 0.95, -1, -1), 100),
                 (((3000,), 5, 0.95, -1, -1), 2048), (((2, 100000), 50, 0.95, -1, -1), 1664),
                 (((2, 1000), 5, 1.0, -1, -1), 1000), (((2, 1000), 5, 0.95, -1, 2000), 128),
                 (((3000, 2), 5, 0.95, 0, -1), 256), (((2, 70000), 1, 0.999, -1, -1), 128),
                 (((2, 70000), 2, 0.999, -1, -1), 1152)]


@pytest.mark.parametrize("case,size", _APPROX_SIZES)
def test_approx_top_k_without_aggregation_keeps_xlas_candidates(case, size):
    shape, k, recall, dim, override = case
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    for fn, sign in ((lax.approx_max_k, -1), (lax.approx_min_k, 1)):
        vals, idx = fn(x, k, reduction_dimension=dim, recall_target=recall,
                       reduction_input_size_override=override, aggregate_to_topk=False)
        want = np.take(np.sort(sign * x, axis=dim), np.arange(size), axis=dim) * sign  # exact, as on JAX's CPU
        np.testing.assert_array_equal(np.asarray(vals), want)
        np.testing.assert_array_equal(np.take_along_axis(x, np.asarray(idx), dim), want)
    with pytest.raises(ValueError, match="k must be positive"):
        lax.approx_max_k(x, 0)
