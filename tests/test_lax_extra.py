"""The rest of jax.lax: window reductions (pooling), generic reduce, cumlogsumexp, collectives under
vmap(axis_name=...), conv helpers, shape helpers and implicit differentiation."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.lax as lax
import jaxlite.numpy as jnp
from backend_util import KERNEL_DEVICES, on
from conftest import assert_close, needs_jax, numerical_grad, real_jax

X = np.random.default_rng(0).standard_normal((2, 5, 6, 3)).astype(np.float32)
X[0, 0, 0, 0] = X[0, 0, 1, 0]  # a tie inside a max-pool window

POOLS = [((1, 2, 2, 1), (1, 2, 2, 1), "VALID", None, None),
         ((1, 3, 3, 1), (1, 1, 1, 1), "SAME", None, None),
         ((1, 3, 2, 1), (1, 2, 1, 1), ((0, 0), (1, 2), (0, 1), (0, 0)), (1, 2, 1, 1), (1, 1, 2, 1))]
REDUCERS = [("add", 0.0), ("max", -np.inf), ("min", np.inf), ("mul", 1.0)]


def _window(L, op, init, cfg):
    wd, ws, pad, bd, wdl = cfg
    return lambda x: L.reduce_window(x, init, getattr(L, op), wd, ws, pad, bd, wdl)


@needs_jax
@pytest.mark.parametrize("op,init", REDUCERS)
@pytest.mark.parametrize("cfg", POOLS)
def test_reduce_window_matches_jax(op, init, cfg):
    f, g = _window(lax, op, init, cfg), _window(real_jax.lax, op, init, cfg)
    assert_close(f(X), g(X))
    assert_close(jax.jit(f)(X), g(X))
    xs = np.stack([X, -X], 1)
    assert_close(jax.vmap(f, in_axes=1)(xs), np.stack([f(X), f(-X)]))
    if op in ("add", "max") and cfg[4] is None:  # JAX has no max-pool VJP with window dilation
        assert_close(jax.grad(lambda x: (f(x) ** 2).sum())(X), real_jax.grad(lambda x: (g(x) ** 2).sum())(X))


@pytest.mark.parametrize("op", ["add", "max", "min"])
def test_reduce_window_grad_numerical(op):
    # Dilations and negative padding too (JAX itself cannot differentiate max pooling with these).
    x = np.random.default_rng(1).permutation(60).reshape(1, 6, 10).astype(np.float32) / 7
    f = lambda x: lax.reduce_window(x, {"add": 0.0, "max": -np.inf, "min": np.inf}[op], getattr(lax, op),  # noqa: E731
                                    (1, 2, 3), (1, 2, 1), ((0, 0), (-1, 2), (1, 0)), (1, 1, 2), (1, 2, 1))
    w = np.linspace(0.5, 1.5, f(x).size, dtype=np.float32).reshape(f(x).shape)
    loss = lambda x: (f(x) * w).sum()  # noqa: E731  (piecewise linear: a wide step is exact)
    assert_close(jax.grad(loss)(x), numerical_grad(loss, x, eps=1e-2).astype(np.float32), rtol=5e-3, atol=5e-3)


def test_pooling_ties_and_avg():
    x = np.array([[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 1.0, 3.0]], np.float32)
    g = jax.grad(lambda x: lax.reduce_window(x, -np.inf, lax.max, (2, 2), (1, 2), "VALID").sum())(x)
    # The first maximum in window order takes the gradient, as XLA's select_and_scatter does.
    np.testing.assert_array_equal(g, [[0, 1, 1, 0], [0, 0, 0, 0]])
    avg = lax.reduce_window(x, 0.0, lax.add, (1, 2), (1, 2), "VALID") / 2
    assert_close(avg, np.array([[2, 1.5], [2.5, 2]], np.float32))
    assert lax.reduce_window_shape_tuple((5, 7), (2, 3), (2, 2), ((0, 0), (1, 1))) == (2, 4)


@pytest.mark.parametrize("dev", KERNEL_DEVICES, ids=lambda d: d.platform)
def test_pooling_jit_runs_as_kernels(dev):
    def loss(x):
        mx = lax.reduce_window(x, -np.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
        avg = lax.reduce_window(x, 0.0, lax.add, (1, 3, 3, 1), (1, 1, 1, 1), "SAME") / 9
        return (mx ** 2).sum() + avg.sum()
    f = jax.jit(jax.value_and_grad(loss))
    want = f(X)
    before = sum(dev.host_fallbacks.values())
    got = f(*on(dev, X))
    assert sum(dev.host_fallbacks.values()) == before, dev.host_fallbacks
    assert got[1].device == dev
    assert_close(got, want, rtol=1e-4, atol=1e-4)


@needs_jax
def test_generic_reduce_and_xor():
    x = np.arange(1, 25, dtype=np.int32).reshape(2, 3, 4)
    for name, init in (("add", 0), ("max", np.iinfo(np.int32).min), ("bitwise_xor", 0), ("mul", 2)):
        want = real_jax.lax.reduce(x % 5, np.int32(init), getattr(real_jax.lax, name), (0, 2))
        assert_close(lax.reduce(x % 5, np.int32(init), getattr(lax, name), (0, 2)), want)
    # A computation that is no monoid: pairwise combination, init applied once.
    f = lambda a, b: a + b + 1  # noqa: E731
    assert_close(lax.reduce(x, np.int32(0), f, (1,)), real_jax.lax.reduce(x, np.int32(0), f, (1,)))
    # Several operands: (max value, its index).
    vals, idx = np.array([3.0, 7.0, 1.0, 7.0, 5.0], np.float32), np.arange(5, dtype=np.int32)

    def argmax_comp(a, b):
        pick = lax.gt(b[0], a[0])
        return lax.select(pick, b[0], a[0]), lax.select(pick, b[1], a[1])
    out = lax.reduce((vals, idx), (np.float32(-np.inf), np.int32(0)), argmax_comp, (0,))
    assert float(out[0]) == 7.0
    assert_close(lax.reduce_xor(np.array([[True, True, False]]), (1,)), np.array([False]))


@needs_jax
@pytest.mark.parametrize("reverse", [False, True])
def test_cumlogsumexp(reverse):
    x = np.array([[-1000.0, 0.0, 1.0, 800.0], [-np.inf, -np.inf, 2.0, 3.0]], np.float32)
    want = real_jax.lax.cumlogsumexp(x, axis=1, reverse=reverse)
    assert_close(lax.cumlogsumexp(x, axis=1, reverse=reverse), want, rtol=1e-5, atol=1e-5)
    y = np.random.default_rng(2).standard_normal((3, 5)).astype(np.float32)
    g = jax.grad(lambda v: (lax.cumlogsumexp(v, 1, reverse) * np.arange(5, dtype=np.float32)).sum())(y)
    want = real_jax.grad(lambda v: (real_jax.lax.cumlogsumexp(v, 1, reverse) * np.arange(5.0)).sum())(y)
    assert_close(g, want, rtol=1e-4, atol=1e-5)
    assert_close(jax.jit(lambda v: lax.cumsum(v, 0, reverse=reverse))(y), real_jax.lax.cumsum(y, 0, reverse=reverse))


def _vmapped(L, vmap, fn, x, **kw):
    return vmap(lambda v: fn(L, v), axis_name="i", **kw)(x)


COLLECTIVES = {
    "psum": lambda L, v: L.psum(v, "i"),
    "pmean": lambda L, v: L.pmean(v, "i"),
    "pmax": lambda L, v: L.pmax(v, "i"),
    "pmin": lambda L, v: L.pmin(v, "i"),
    "psum_const": lambda L, v: L.psum(1, "i") * v,
    "axis_index": lambda L, v: L.axis_index("i") + v.astype("int32"),
    "axis_size": lambda L, v: v * L.axis_size("i"),
    "all_gather": lambda L, v: L.all_gather(v, "i"),
    "all_gather_axis1": lambda L, v: L.all_gather(v, "i", axis=1),
    "all_gather_tiled": lambda L, v: L.all_gather(v, "i", tiled=True),
    "psum_scatter": lambda L, v: L.psum_scatter(v, "i"),
    "psum_scatter_tiled": lambda L, v: L.psum_scatter(v, "i", scatter_dimension=1, tiled=True),
    "all_to_all": lambda L, v: L.all_to_all(v, "i", 0, 1),
    "all_to_all_tiled": lambda L, v: L.all_to_all(v, "i", 1, 0, tiled=True),
    "ppermute": lambda L, v: L.ppermute(v, "i", [(0, 1), (1, 2), (2, 0)]),
    "pshuffle": lambda L, v: L.pshuffle(v, "i", [2, 0, 1]),
    "pswapaxes": lambda L, v: L.pswapaxes(v, "i", 0),
}


@needs_jax
@pytest.mark.parametrize("name", sorted(COLLECTIVES))
def test_collectives_match_jax(name):
    x = np.arange(27, dtype=np.float32).reshape(3, 3, 3) - 5
    fn = COLLECTIVES[name]
    assert_close(_vmapped(lax, jax.vmap, fn, x), _vmapped(real_jax.lax, real_jax.vmap, fn, x))
    assert_close(jax.jit(lambda x: _vmapped(lax, jax.vmap, fn, x))(x), _vmapped(real_jax.lax, real_jax.vmap, fn, x))


@needs_jax
def test_collectives_nested_and_grads():
    z = np.arange(6, dtype=np.float32).reshape(2, 3)
    for fn in (lambda L, v: L.psum(v, ("i", "j")), lambda L, v: L.axis_index(("i", "j")),
               lambda L, v: L.psum(v, "i") * L.pmax(v, "j"), lambda L, v: L.all_gather(v, "i")):
        ours = jax.vmap(jax.vmap(lambda v: fn(lax, v), axis_name="j"), axis_name="i")(z)
        want = real_jax.vmap(real_jax.vmap(lambda v: fn(real_jax.lax, v), axis_name="j"), axis_name="i")(z)
        assert_close(ours, want)
    xs = np.array([1.0, -2.0, 3.0], np.float32)
    cases = [lambda L, x: L.psum(x * x, "i") * x, lambda L, x: L.all_gather(x, "i").sum() * x,
             lambda L, x: (L.ppermute(x, "i", [(0, 1), (1, 2), (2, 0)]) * x), lambda L, x: L.pmean(x, "i") ** 2]
    for fn in cases:
        ours = jax.vmap(jax.grad(lambda x: fn(lax, x)), axis_name="i")(xs)
        want = real_jax.vmap(real_jax.grad(lambda x: fn(real_jax.lax, x)), axis_name="i")(xs)
        assert_close(ours, want)
        ours = jax.grad(lambda x: jax.vmap(lambda v: fn(lax, v), axis_name="i")(x).sum())(xs)
        want = real_jax.grad(lambda x: real_jax.vmap(lambda v: fn(real_jax.lax, v), axis_name="i")(x).sum())(xs)
        assert_close(ours, want)
    # jit inside the named vmap: the traced jaxpr is re-batched under the same name.
    assert_close(jax.vmap(jax.jit(lambda v: lax.psum(v, "i") * v), axis_name="i")(xs), 2 * xs)


def test_unbound_axis_name():
    with pytest.raises(NameError, match="unbound axis name: i"):
        lax.psum(1.0, "i")
    with pytest.raises(NameError, match="unbound axis name: j"):
        jax.vmap(lambda v: lax.psum(v, "j"), axis_name="i")(np.ones(3, np.float32))
    with pytest.raises(NotImplementedError):
        lax.psend(1.0, "i", [(0, 1)])


@needs_jax
def test_pad_negative_interior_grad():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    cfg = [(-1, 2, 1), (2, -3, 2)]
    assert_close(lax.pad(x, np.float32(-1), cfg), real_jax.lax.pad(x, np.float32(-1), cfg))
    w = np.arange(1, 1 + 6 * 9, dtype=np.float32).reshape(6, 9)
    loss = lambda L: (lambda x, p: (L.pad(x, p, cfg) * w).sum())  # noqa: E731
    assert_close(jax.grad(loss(lax), argnums=(0, 1))(x, np.float32(2)),
                 real_jax.grad(loss(real_jax.lax), argnums=(0, 1))(x, np.float32(2)))


@needs_jax
def test_conv_helpers():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 6, 5, 3)).astype(np.float32)
    k = rng.standard_normal((3, 2, 3, 4)).astype(np.float32)
    dn = ("NHWC", "HWIO", "NHWC")
    for pad in ("SAME", "VALID", [(1, 2), (0, 1)]):
        assert_close(lax.conv_transpose(x, k, (2, 1), pad, dimension_numbers=dn),
                     real_jax.lax.conv_transpose(x, k, (2, 1), pad, dimension_numbers=dn), rtol=1e-4, atol=1e-4)
    k2 = rng.standard_normal((3, 2, 4, 3)).astype(np.float32)
    assert_close(lax.conv_transpose(x, k2, (2, 2), "SAME", dimension_numbers=dn, transpose_kernel=True),
                 real_jax.lax.conv_transpose(x, k2, (2, 2), "SAME", dimension_numbers=dn, transpose_kernel=True),
                 rtol=1e-4, atol=1e-4)
    assert_close(lax.conv_general_dilated_patches(x, (2, 3), (1, 2), "SAME", dimension_numbers=dn),
                 real_jax.lax.conv_general_dilated_patches(x, (2, 3), (1, 2), "SAME", dimension_numbers=dn))
    xc = np.moveaxis(x, 3, 1)
    kc = rng.standard_normal((4, 3, 2, 2)).astype(np.float32)
    assert_close(lax.conv_with_general_padding(xc, kc, (1, 1), [(1, 0), (0, 1)], (2, 1), (1, 2)),
                 real_jax.lax.conv_with_general_padding(xc, kc, (1, 1), [(1, 0), (0, 1)], (2, 1), (1, 2)),
                 rtol=1e-4, atol=1e-4)
    for fn in ("conv_general_shape_tuple", "conv_transpose_shape_tuple"):
        assert tuple(getattr(lax, fn)(x.shape, k.shape, (2, 1), "SAME", dn)) == \
            tuple(getattr(real_jax.lax, fn)(x.shape, k.shape, (2, 1), "SAME", dn))
    assert lax.conv_shape_tuple((2, 3, 9, 9), (4, 3, 3, 2), (2, 3), [(1, 1), (0, 2)]) == \
        tuple(real_jax.lax.conv_shape_tuple((2, 3, 9, 9), (4, 3, 3, 2), (2, 3), [(1, 1), (0, 2)]))
    assert lax.conv_general_permutations(dn) == real_jax.lax.conv_general_permutations(dn)


@needs_jax
def test_shape_helpers_and_small_ops():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    L, R = lax, real_jax.lax
    for f in (lambda L: L.collapse(x, 1), lambda L: L.collapse(x, 0, 2), lambda L: L.tile(x, (1, 2, 3)),
              lambda L: L.stack([x, x + 1], 1), lambda L: L.broadcast_to_rank(x, 5),
              lambda L: L.full_like(x, 3, shape=(2,)), lambda L: L.empty((2, 3), np.int32),
              lambda L: L.batch_matmul(x, np.swapaxes(x, 1, 2)),
              lambda L: L.index_take(x, (np.array([1, 0, 1]), np.array([2, 0, 1])), (0, 1)),
              lambda L: L.round(np.array([0.5, 1.5, -2.5], np.float32), L.RoundingMethod.TO_NEAREST_EVEN),
              lambda L: L.clz(np.array([0, 1, 255, -1, 1 << 20], np.int32)),
              lambda L: L.reduce_precision(np.array([1.0009765, 3.14159, 1e6, 65520.0, 1e-8], np.float32), 5, 10),
              lambda L: L.optimization_barrier((x, 2 * x)), lambda L: L.broadcast_shapes((3, 1), (1, 4))):
        assert_close(f(L), f(R))
    for f in (lambda L: L.split(x, (1, 3), axis=2), lambda L: L.unstack(x, axis=1)):
        assert_close(list(f(L)), list(f(R)))
    assert lax.dtype(1.0) == R.dtype(1.0) and lax.dtype(x) == R.dtype(x)
    assert lax.platform_dependent(2.0, cpu=lambda v: v + 1, default=lambda v: v) == 3.0
    assert_close(jax.grad(lambda v: lax.reduce_precision(v * v, 8, 7))(np.float32(3.0)), np.float32(6.0))


@needs_jax
def test_custom_root_and_linear_solve():
    def sqrt_newton(a):
        f = lambda x: x * x - a  # noqa: E731

        def solve(f, x0):
            x = x0
            for _ in range(20):
                x = x - f(x) / (2 * x)
            return x
        return lax.custom_root(f, 1.0, solve, lambda g, y: y / g(1.0))
    a = np.float32(2.0)
    assert_close(sqrt_newton(a), np.sqrt(a))
    assert_close(jax.grad(sqrt_newton)(a), np.float32(0.5 / np.sqrt(2.0)), rtol=1e-5)
    assert_close(jax.jvp(sqrt_newton, (a,), (np.float32(1.0),))[1], np.float32(0.5 / np.sqrt(2.0)), rtol=1e-5)
    A = np.array([[4.0, 1.0], [1.0, 3.0]], np.float32)

    def solve_with(A, b):
        def solve(matvec, rhs):  # a fixed number of Jacobi iterations
            d = jnp.diag(A)
            x = rhs / d
            for _ in range(60):
                x = (rhs - (matvec(x) - d * x)) / d
            return x
        return lax.custom_linear_solve(lambda v: A @ v, b, solve, symmetric=True)
    b = np.array([1.0, 2.0], np.float32)
    want = real_jax.grad(lambda A, b: real_jax.numpy.linalg.solve(A, b).sum(), argnums=(0, 1))(A, b)
    assert_close(jax.grad(lambda A, b: solve_with(A, b).sum(), argnums=(0, 1))(A, b), want, rtol=1e-4, atol=1e-5)
