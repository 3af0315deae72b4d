"""jaxlite.numpy construction, editing, index helpers, bit/float decomposition, reduction options
and extended dtypes, against JAX (values, dtypes, weak types, errors), under jit and vmap."""

import io

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite._src import dtypes

from conftest import assert_close, needs_jax, real_jax, real_jnp

X = np.arange(12.0, dtype=np.float32).reshape(3, 4)
XI = np.arange(6, dtype=np.int32).reshape(2, 3)
M = np.array([[True, False, True], [False, False, True]])


def _same(ours, theirs):
    """Values, dtypes and weak types of ours match theirs (a tuple/list compares leaf by leaf)."""
    ours = list(ours) if isinstance(ours, (tuple, list)) else [ours]
    theirs = list(theirs) if isinstance(theirs, (tuple, list)) else [theirs]
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert_close(a, b)
        assert getattr(a, "weak_type", False) == getattr(b, "weak_type", False), (a, b)


def _both(expr, **env):
    """Evaluate expr with J bound to jaxlite.numpy and to jax.numpy; compare, or the same error."""
    got = want = None
    try:
        got = eval(expr, {"J": jnp, "np": np, **env})
    except Exception as e:  # noqa: BLE001 - compared below
        got = e
    try:
        want = eval(expr, {"J": real_jnp, "np": np, **env})
    except Exception as e:  # noqa: BLE001
        want = e
    if isinstance(want, Exception):
        assert isinstance(got, type(want)), (expr, got, want)
    else:
        assert not isinstance(got, Exception), (expr, got)
        _same(got, want)


EDITING = [
    "J.append(X, np.ones((1, 4), np.float32), axis=0)", "J.append(X, 5)", "J.append(XI, 2.5)",
    "J.insert(X, 1, 7., axis=1)", "J.insert(X, np.array([1, 0, 3]), np.array([7, 8, 9.], np.float32), axis=1)",
    "J.insert(X, 2, np.array([[1, 2, 3]], np.float32), axis=1)", "J.insert(np.arange(5), np.array([1, 1, -1]), np.array([7, 8, 9]))",
    "J.insert(np.arange(5), slice(1, 3), 0)", "J.insert(X, np.array([1]), np.array([[1], [2], [3]], np.float32), axis=1)",
    "J.insert(X, [1], 2)", "J.insert(X, np.array([[1]]), 2)", "J.insert(X, np.array([1.5]), 2)",
    "J.delete(X, 1, axis=1)", "J.delete(X, np.array([0, 2]), axis=1)", "J.delete(X, slice(0, None, 2))",
    "J.delete(X, np.array([0, -1]), axis=0, assume_unique_indices=True)", "J.delete(X, np.array([True, False, True]), axis=0)",
    "J.delete(X, np.array([1.5]))", "J.delete(X, 7, axis=1)",
    "J.rot90(X)", "J.rot90(X, 2)", "J.rot90(X, 3)", "J.rot90(np.arange(24).reshape(2, 3, 4), 1, (2, 0))",
    "J.rot90(X, 1, (0, 0))", "J.resize(X, (5, 5))", "J.resize(np.arange(3), 7)", "J.resize(np.arange(3), (-1,))", "J.unstack(X)", "J.unstack(X, axis=-1)",
    "J.trim_zeros(np.array([0, 0, 1, 2, 0, 3, 0]))", "J.trim_zeros(np.array([0, 0, 1, 2, 0, 3, 0]), 'f')",
    "J.trim_zeros(np.zeros(3))",
    "J.trim_zeros(np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]]))",
    "J.block([[np.ones((2, 2), np.float32), np.zeros((2, 1), np.float32)], [np.zeros((1, 2), np.float32), np.ones((1, 1), np.float32)]])",
    "J.block([1, 2, np.array([3, 4])])", "J.block(np.array([[1]]))", "J.block([[1, 2], [3]])", "J.block([])",
    "J.diagflat(np.array([[1, 2], [3, 4]]), 1)", "J.diagflat(np.array([1, 2]), -1)",
    "J.fill_diagonal(np.zeros((3, 2), np.float32), np.array([4, 5, 6]), inplace=False)",
    "J.fill_diagonal(np.zeros((3, 3), np.float32), np.array([4, 5]), inplace=False)",
    "J.fill_diagonal(np.zeros((3, 3, 3), np.int32), 2.5, inplace=False)", "J.fill_diagonal(np.zeros((2, 2)), 1)", "J.fill_diagonal(np.zeros(2), 1, inplace=False)",
    "J.put(np.arange(5), np.array([7, -1]), np.array([10, 20]), inplace=False)",
    "J.put(np.arange(6).reshape(2, 3), np.array([7, -1, 2]), np.array([10, 20]), mode='wrap', inplace=False)",
    "J.put(np.arange(5), np.array([1]), 2)", "J.put(np.arange(5), np.array([1]), 2, mode='raise', inplace=False)",
    "J.put(np.arange(5), np.array([1]), 2, mode='foo', inplace=False)",
    "J.place(np.arange(5), np.arange(5) > 1, np.array([10, 20]), inplace=False)", "J.place(np.arange(5), np.arange(5) > 1, 3)",
    "J.place(np.arange(5), np.arange(4) > 1, np.array([1]), inplace=False)",
    "J.put_along_axis(np.zeros((2, 3), np.float32), np.array([[1], [-1]]), 9, 1, inplace=False)",
    "J.put_along_axis(np.zeros((2, 3), np.float32), np.array([1, 4]), np.array([1, 2]), None, inplace=False)",
    "J.put_along_axis(np.zeros(3), np.array([1]), 9, 0)", "J.put_along_axis(np.zeros((2, 3)), np.array([1]), 9, 0, inplace=False)",
    "J.compress(np.array([1, 0, 1]), XI.T, axis=0, size=3, fill_value=-1)", "J.compress(np.array([1, 0, 0]), XI.T, axis=1)",
    "J.compress(np.array([1, 0]), XI.T, axis=0)", "J.compress(np.array([1, 0, 1, 1]), XI.T, axis=0)", "J.compress(np.ones((1, 1)), XI)",
    "J.extract(np.arange(6) % 2, np.arange(6.))", "J.extract(np.arange(6) % 2, np.arange(6.), size=5, fill_value=3)",
    "J.choose(np.array([0, 2, 1]), [np.array([1, 2, 3]), np.array([1.5, 2, 3], np.float32), 7])",
    "J.choose(np.array([[0, 5]]), [1, 2, 3], mode='wrap')", "J.choose(np.array([[0, 5, -1]]), [np.array([1, 2, 3]), np.array([4, 5, 6])], mode='clip')",
    "J.choose(np.array([0, 3]), [1, 2, 3])", "J.choose(np.array([0., 1]), [1, 2, 3], mode='wrap')", "J.choose(np.array([0]), [1, 2], mode='x')",
]


@needs_jax
@pytest.mark.parametrize("expr", EDITING)
def test_array_editing_matches_jax(expr):
    _both(expr, X=X, XI=XI)


INDEX_TRICKS = [
    "J.mgrid[0:4, 1:3]", "J.mgrid[0:5]", "J.mgrid[0:1:5j, 0:3]", "J.ogrid[0:4, 1:3]", "J.mgrid[0.5:2:0.5]",
    "J.r_[1, 2, np.array([3, 4])]", "J.r_[0:3, 5.0]", "J.r_['0,2', np.array([1, 2]), np.array([3, 4])]",
    "J.r_['-1,2,0', np.array([1, 2]), np.array([3, 4])]", "J.r_['r', np.array([1, 2])]", "J.r_['c', np.array([1, 2])]",
    "J.r_[np.array([1]), 'x']", "J.r_['a,b', 1]",
    "J.c_[np.array([1, 2]), np.array([3, 4])]", "J.c_[np.array([[1], [2]]), np.array([[3], [4]])]", "J.c_[np.array([1, 2]), 0:2]",
    "J.ix_(np.array([0, 1]), np.array([2, 4, 5]))", "J.ix_(np.array([[0]]))", "J.ix_(np.array([True]))", "J.ix_(np.array([], np.int32))",
    "J.indices((2, 3))", "J.indices((2, 3), sparse=True)", "J.indices((2, 3), dtype=np.float32)", "J.indices(())",
    "J.diag_indices(3)", "J.diag_indices(2, 3)", "J.diag_indices(-1)", "J.diag_indices_from(np.ones((3, 3)))",
    "J.diag_indices_from(np.ones((3, 2)))", "J.diag_indices_from(np.ones(3))",
    "J.tril_indices(3)", "J.tril_indices(3, 1, 4)", "J.triu_indices(3, -1)", "J.triu_indices_from(np.ones((2, 4)), 1)",
    "J.tril_indices_from(np.ones((2, 4)))", "J.tril_indices_from(np.ones(4))",
    "J.mask_indices(3, J.triu)", "J.mask_indices(3, J.triu, 1, size=5)",
    "J.packbits(np.array([-1, 0, 2, 1, 1, 0, 0, 0, 1]))", "J.packbits(np.array([[1, 0, 1], [0, 1, 1]]), axis=1, bitorder='little')",
    "J.packbits(np.zeros((3, 9), bool), axis=0)", "J.packbits(np.array([1.]))", "J.packbits(np.array([1]), bitorder='middle')",
    "J.unpackbits(np.array([3, 255], np.uint8), count=10)", "J.unpackbits(np.array([[3, 255]], np.uint8), axis=0)",
    "J.unpackbits(np.array([3, 255], np.uint8), count=-3, bitorder='little')", "J.unpackbits(np.array([3], np.int32))",
    "J.bitwise_count(np.array([-1, 3, 7], np.int8))", "J.bitwise_count(np.array([True]))",
    "J.bitwise_count(np.array([2**31 - 1, -2**31], np.int32))", "J.bitwise_count(np.array([1.]))",
]


@needs_jax
@pytest.mark.parametrize("expr", INDEX_TRICKS)
def test_index_helpers_and_bits_match_jax(expr):
    _both(expr)


def test_index_exp_and_s_are_numpy_s():
    assert jnp.s_[1:2, ::3] == (slice(1, 2), slice(None, None, 3))
    assert jnp.index_exp[1] == (1,)


FLOATS = [
    "J.modf(np.array([-1.5, 2., -0.25], np.float32))", "J.modf(3)", "J.modf(np.array([3, -2]))", "J.modf(-2.75)",
    "J.frexp(np.array([0., 1e-30, -3., np.inf, np.nan, 8, -0.1, 3e38], np.float32))", "J.frexp(3)", "J.frexp(np.array([1, 2, 3], np.int8))",
    "J.frexp(np.array([1j]))",
    "J.ldexp(np.array([1., 3., 1e-30, 5, 0, np.inf], np.float32), np.array([2, 200, 3, -140, 5, -1]))", "J.ldexp(1., 2)", "J.ldexp(1, 2)",
    "J.ldexp(np.float16(3), np.array([2, -20]))", "J.ldexp(np.array([1.5, -1.5], np.float32), np.array([-120, 127]))", "J.ldexp(1., 2.)",
    "J.nextafter(np.array([1., 0], np.float32), np.array([2., -1], np.float32))", "J.nextafter(1., 2.)",
    "J.isposinf(np.array([np.inf, -np.inf, 1.]))", "J.isneginf(np.array([np.inf, -np.inf, 1.]))", "J.isneginf(np.array([1, 2]))",
    "J.isposinf(np.array([1j]))", "J.iscomplex(np.array([1 + 1j, 2]))", "J.iscomplex(np.array([1, 2]))",
    "J.isreal(np.array([1 + 0j, 2 + 1j]))", "J.isreal(3.)", "J.isrealobj(np.array([1 + 0j]))", "J.isrealobj(3)",
    "J.angle(np.array([-1, 2]))", "J.angle(-1.0, deg=True)", "J.angle(np.array([1 + 1j, -1j], np.complex64))",
    "J.angle(np.array([-1., 0., 2.], np.float32))",
    "J.geomspace(1, 1000, 4)", "J.geomspace(-1., -1000., 4, endpoint=False)", "J.geomspace(2, 32, 5, dtype=np.float32)",
    "J.geomspace(np.array([1., 2.], np.float32), np.array([100., 32.], np.float32), 3, axis=1)",
    "J.copy(np.arange(3))", "J.copy(3.0)", "J.array_equiv(np.array([1, 2]), np.array([[1, 2], [1, 2]]))",
    "J.array_equiv(np.array([1, 2]), np.array([1, 3]))", "J.array_equiv(np.array([1, 2]), np.array([1, 2, 3]))",
    "J.fromfunction(lambda i, j: i + j, (2, 3))", "J.fromfunction(lambda i, j: i * 2 + j, (2, 3), dtype=np.int32)",
    "J.fromfunction(lambda i: 1.0 + 0 * i, (3,))",
    "J.frombuffer(b'\\x01\\x02\\x03\\x04', dtype=np.uint8)",
    "J.frombuffer(np.arange(4, dtype=np.int32).tobytes(), dtype=np.int32, count=2, offset=4)",
    "J.fromstring('1 2 3', dtype=np.int32, sep=' ')", "J.fromstring('1.5,2', sep=',')",
    "J.fromfile('x')", "J.fromiter(iter([1]))", "J.from_dlpack(np.arange(3.))", "J.iterable([1])", "J.iterable(3)",
]


@needs_jax
@pytest.mark.parametrize("expr", FLOATS)
def test_float_decomposition_and_creation_match_jax(expr):
    _both(expr)


PRODUCTS = [
    "J.matvec(A, v)", "J.matvec(A[0], v)", "J.matvec(A, B)", "J.matvec(np.ones((2, 2), np.int32), np.ones(2, np.int8))",
    "J.vecmat(w, A)", "J.vecmat(w, A[0])", "J.vecmat(np.array([1 + 1j, 2], np.complex64), np.ones((2, 2), np.complex64))",
    "J.vecdot(A, v)", "J.vecdot(A, w[:, None], axis=-2)", "J.vecdot(np.array([1 + 1j, 2], np.complex64), np.array([1j, 1], np.complex64))",
    "J.vecdot(np.ones(3, np.int8), np.ones(3, np.int8))", "J.vecdot(np.ones(3), np.ones(2))",
]


@needs_jax
@pytest.mark.parametrize("expr", PRODUCTS)
def test_vector_products_match_jax(expr):
    r = np.random.default_rng(0)
    env = dict(A=r.normal(size=(2, 3, 4)).astype(np.float32), v=r.normal(size=(4,)).astype(np.float32),
               w=r.normal(size=(3,)).astype(np.float32), B=r.normal(size=(2, 4)).astype(np.float32))
    _both(expr, **env)


TAKE = [
    "J.take(a, np.array([-1, 7, -7, 2]), mode=m)", "J.take(np.arange(5), np.array([-1, 7, -7]), mode=m)",
    "J.take(np.arange(5, dtype=np.uint8), np.array([9, 1]), mode=m)", "J.take(a, np.array([-1, 7]), mode=m, fill_value=-3)",
    "J.take_along_axis(a, np.array([-1, 7, -7]), 0, mode=m)", "J.take_along_axis(a, np.array([-1, 7]), 0, mode=m, fill_value=-3)",
]


@needs_jax
@pytest.mark.parametrize("m", [None, "clip", "wrap", "raise", "bogus"])
@pytest.mark.parametrize("expr", TAKE)
def test_take_modes_match_jax(expr, m):
    _both(expr, a=np.arange(5.0, dtype=np.float32), m=m)


ORDER_WHERE = [
    "J.reshape(J.arange(6), (2, 3), order='F')", "J.reshape(J.arange(24).reshape(2, 3, 4), (4, -1), order='F')",
    "J.ravel(J.arange(6).reshape(2, 3), order='F')", "J.reshape(J.arange(6), (2, 3), order='A')",
    "J.reshape(J.arange(6), (2, 3), order='X')", "J.ravel(J.arange(6), order='K')",
    "J.where(np.arange(5.) > 2, size=5, fill_value=-1)", "J.where(np.array([[0, 1], [1, 1]]))", "J.where(np.float32(3))",
    "J.where(np.arange(5) > 2, 1, 2, size=2)", "J.nonzero(np.ones((2, 2)), size=5, fill_value=(7, 8))",
    "J.nonzero(np.array([0, 3, 0, 4]), size=1)", "J.flatnonzero(np.array([[0, 3], [0, 4]]), size=3)",
    "J.argwhere(np.array([[0, 3], [0, 4]]), size=3, fill_value=9)",
]


@needs_jax
@pytest.mark.parametrize("expr", ORDER_WHERE)
def test_order_and_sized_where_match_jax(expr):
    _both(expr)


REDUCTIONS = [
    "J.max(x, where=m)", "J.max(x, where=m, initial=-1.)", "J.min(x, axis=1, where=m, initial=10)",
    "J.max(np.zeros((0, 3), np.float32), axis=0)", "J.max(np.zeros((0, 3), np.float32), axis=0, initial=2.)",
    "J.sum(x, where=m)", "J.sum(x, initial=5, axis=0)", "J.prod(x + 1, where=m, initial=2.)", "J.sum(x, initial=np.ones(2))",
    "J.max(x, initial=np.ones(2))", "J.mean(x, where=m)", "J.mean(x, where=m, axis=1)", "J.mean(x, where=m, axis=1, keepdims=True)",
    "J.var(x, where=m)", "J.std(x, where=m, axis=0)", "J.var(x, where=m, axis=1, keepdims=True, ddof=1)",
    "J.any(x, where=m)", "J.all(x > 0, where=m, axis=1)", "J.all(x, where=xi)", "J.argmax(x, keepdims=True)",
    "J.argmax(x, axis=1, keepdims=True)", "J.argmin(np.zeros((0,)))", "J.argmax(np.zeros((2, 0)), axis=0)",
    "J.max(xi, where=m, initial=-3)", "J.sum(xi, where=m, initial=1)", "J.max(x > 2, where=m, initial=False)",
    "J.sum(x, where=xi)", "J.max(x, axis=(0, 1), where=m[0], initial=0)", "J.min(3.0, initial=2)", "J.sum(3, initial=2)",
    "J.mean(xi, where=m, dtype=np.float32)", "J.amax(x, where=m, initial=1)", "J.sum(x, where=m, keepdims=True, axis=0)",
]


@needs_jax
@pytest.mark.parametrize("expr", REDUCTIONS)
def test_reduction_where_initial_match_jax(expr):
    _both(expr, x=np.arange(6.0, dtype=np.float32).reshape(2, 3), xi=XI, m=M)


# ---- transformations (jaxlite only: these run in Pyodide too) ----------------------------------------


def test_sized_functions_under_jit_and_vmap():
    x = np.array([[0, 3, 0, 4], [5, 0, 0, 0]], np.int32)
    f = jax.jit(lambda a: jnp.nonzero(a, size=3, fill_value=-1)[0])
    assert_close(jax.vmap(f)(x), np.array([[1, 3, -1], [0, -1, -1]], np.int32))
    g = jax.jit(lambda a: jnp.extract(a > 0, a, size=3, fill_value=9))
    assert_close(jax.vmap(g)(x), np.array([[3, 4, 9], [5, 9, 9]], np.int32))
    h = jax.jit(lambda a, i: jnp.put(a, i, 7, inplace=False))
    assert_close(h(np.arange(4), np.array([1, -1])), np.array([0, 7, 2, 7], np.int32))
    p = jax.jit(lambda a: jnp.place(a, a > 1, np.array([10, 20]), inplace=False))
    assert_close(p(np.arange(5)), np.array([0, 1, 10, 20, 10], np.int32))


def test_insert_delete_traced_indices_under_jit():
    ins = jax.jit(lambda a, i: jnp.insert(a, i, np.array([7, 8])))
    assert_close(ins(np.arange(4), np.array([3, 0])), np.array([8, 0, 1, 2, 7, 3], np.int32))
    dele = jax.jit(lambda a, i: jnp.delete(a, i, assume_unique_indices=True))
    assert_close(dele(np.arange(5), np.array([4, 1])), np.array([0, 2, 3], np.int32))
    with pytest.raises(jax.errors.ConcretizationTypeError):
        jax.jit(lambda a, i: jnp.delete(a, i))(np.arange(5), np.array([1]))


def test_choose_modes_under_jit_and_raise_needs_concrete():
    f = jax.jit(lambda a: jnp.choose(a, [np.arange(3), 10 + np.arange(3)], mode="clip"))
    assert_close(f(np.array([0, 5, -1])), np.array([0, 11, 2], np.int32))
    with pytest.raises(jax.errors.ConcretizationTypeError):
        jax.jit(lambda a: jnp.choose(a, [1, 2]))(np.array([0]))


def test_grads_through_editing_functions():
    x = np.array([1.0, 2.0, 3.0], np.float32)
    g = jax.grad(lambda a: jnp.sum(jnp.insert(a, 1, 5.0) ** 2))(x)
    assert_close(g, 2 * x)
    g = jax.grad(lambda a: jnp.sum(jnp.rot90(jnp.reshape(a, (1, 3))) * np.arange(3.0, dtype=np.float32)[:, None]))(x)
    assert_close(g, np.array([2.0, 1.0, 0.0], np.float32))
    g = jax.grad(lambda a: jnp.sum(jnp.ldexp(a, np.array([1, 2, 3]))))(x)
    assert_close(g, np.array([2.0, 4.0, 8.0], np.float32))
    g = jax.grad(lambda a: jnp.sum(jnp.fill_diagonal(jnp.outer(a, a), 0.0, inplace=False)))(x)
    assert_close(g, 2 * (x.sum() - x))


def test_frexp_ldexp_round_trip_and_vmap():
    x = np.array([[0.1, -7.5, 1e30], [3e-20, 1.0, -0.0]], np.float32)
    m, e = jax.jit(jnp.frexp)(x)
    np.testing.assert_array_equal(np.asarray(m), np.frexp(x)[0])
    np.testing.assert_array_equal(np.asarray(e), np.frexp(x)[1])
    np.testing.assert_array_equal(np.asarray(jax.vmap(jnp.ldexp)(m, e)), x)


def test_take_wrap_clip_under_jit_and_vmap():
    a = np.arange(10.0, dtype=np.float32).reshape(2, 5)
    f = jax.vmap(jax.jit(lambda r, i: jnp.take(r, i, mode="wrap")), in_axes=(0, None))
    assert_close(f(a, np.array([-1, 6])), np.array([[4.0, 1.0], [9.0, 6.0]], np.float32))
    f = jax.jit(lambda r: jnp.reshape(r, (5, 2), order="F"))
    assert_close(f(a), np.reshape(a, (5, 2), order="F"))


def test_reduction_where_under_jit_and_grad():
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    f = jax.jit(lambda a: jnp.max(a, axis=1, where=M, initial=-1.0))
    assert_close(f(x), np.array([2.0, 5.0], np.float32))
    g = jax.grad(lambda a: jnp.sum(a, where=M))(x)
    assert_close(g, M.astype(np.float32))
    with pytest.raises(ValueError, match="initial"):
        jnp.min(x, where=M)


def test_save_load_round_trip_and_printing():
    buf = io.BytesIO()
    jnp.save(buf, jnp.arange(3.0))
    buf.seek(0)
    out = jnp.load(buf)
    assert isinstance(out, jax.Array) and out.dtype == np.float32
    assert_close(out, np.arange(3.0, dtype=np.float32))
    buf = io.BytesIO()
    jnp.savez(buf, a=jnp.ones(2))
    buf.seek(0)
    np.testing.assert_array_equal(jnp.load(buf)["a"], np.ones(2))
    with jnp.printoptions(precision=2):
        assert jnp.get_printoptions()["precision"] == 2
        assert "3.14" in jnp.array_str(jnp.array([3.14159]))
    assert jnp.array_repr(jnp.arange(2)).endswith("dtype=int32)")


def test_dtype_names():
    assert np.dtype(jnp.bool) == np.bool_ and np.dtype(jnp.single) == np.float32
    assert np.dtype(jnp.double) == np.float64 and np.dtype(jnp.uint) == np.uint64
    assert np.dtype(jnp.csingle) == np.complex64 and np.dtype(jnp.cdouble) == np.complex128
    assert jnp.object_ is np.object_ and issubclass(jnp.ComplexWarning, Warning)
    assert jnp.isdtype(np.int8, "signed integer") and not jnp.isdtype(np.uint8, ("real floating", np.int8))
    assert jnp.isdtype(np.float32, ("bool", np.float32))
    with pytest.raises(ValueError):
        jnp.isdtype(np.float32, "floaty")


bf16 = pytest.mark.skipif(dtypes.bfloat16 is None, reason="ml_dtypes is not installed here")


@bf16
def test_bfloat16_arrays_and_promotion():
    x = jnp.array([1.5, 2.25], dtype=jnp.bfloat16)
    assert x.dtype == jnp.bfloat16
    assert (x * 2.0).dtype == jnp.bfloat16  # weak scalars keep bfloat16
    assert (x + jnp.ones(2, np.float16)).dtype == np.float32
    assert jnp.promote_types(jnp.bfloat16, np.int8) == jnp.bfloat16
    with pytest.raises(jax.dtypes.TypePromotionError):
        jnp.promote_types(jnp.float8_e4m3fn, jnp.bfloat16)
    with pytest.raises(jax.dtypes.TypePromotionError):
        jnp.promote_types(jnp.int4, np.int8)
    y = jax.jit(lambda a: jnp.sin(a) * a + 1)(x)
    assert y.dtype == jnp.bfloat16
    want = (np.sin(np.array([1.5, 2.25], np.float32)) * np.array([1.5, 2.25], np.float32) + 1)
    np.testing.assert_allclose(np.asarray(y, np.float32), want, rtol=1e-2)
    assert_close(x.astype(np.float32), np.array([1.5, 2.25], np.float32))
    assert jnp.isdtype(jnp.bfloat16, "real floating") and jnp.isdtype(jnp.int4, "signed integer")
    assert jax.dtypes.finfo(jnp.bfloat16).bits == 16


@needs_jax
@bf16
def test_bfloat16_matches_jax():
    for expr in ["(J.array([1.5, 2.2], dtype=J.bfloat16) * 3.0)", "J.array([1, 2], J.bfloat16) + J.array([1, 2], J.float32)",
                 "J.exp(J.array([0.5, -1.25], J.bfloat16))", "J.array([1.7], J.float32).astype(J.bfloat16)"]:
        got, want = eval(expr, {"J": jnp}), eval(expr, {"J": real_jnp})
        assert got.dtype == want.dtype
        np.testing.assert_allclose(np.asarray(got, np.float32), np.asarray(want, np.float32), rtol=1e-2)


_ARANGE_CALLS = ["J.arange(5, step=2)", "J.arange(5.0, step=2)", "J.arange(10, step=-3)", "J.arange(-5, step=-2)",
                 "J.arange(stop=7, start=2, step=2)", "J.arange(1, 2, step=0.25)", "J.arange(6, step=4, dtype=J.float32)"]


@needs_jax
def test_arange_keyword_step_matches_jax():
    want = real_jax.jit(lambda: [eval(e, {"J": real_jnp}) for e in _ARANGE_CALLS])()
    _same([eval(e, {"J": jnp}) for e in _ARANGE_CALLS], list(want))
    for expr in ["J.arange(np.array([1, 2]))", "J.arange(3, step=0)", "J.arange(1, 4, step=np.ones(2))"]:
        _both(expr)


def test_arange_device_and_keyword_step():
    np.testing.assert_array_equal(np.asarray(jnp.arange(5, step=2)), [0, 2, 4])
    assert jnp.arange(4.0, step=1.5).dtype == np.float32
    for dev in jax.devices():
        out = jnp.arange(1, 4, device=dev)
        assert out.devices() == {dev} and out.dtype == np.int32
        np.testing.assert_array_equal(np.asarray(out), [1, 2, 3])
    np.testing.assert_array_equal(np.asarray(jax.jit(lambda: jnp.arange(9, step=4, device=jax.devices()[0]))()), [0, 4, 8])


def test_dsplit_splits_the_depth_axis():
    x = np.arange(30, dtype=np.float32).reshape(2, 3, 5)
    for ios in (5, [1, 3]):
        got = jnp.dsplit(x, ios)
        want = np.dsplit(x, ios)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(np.asarray(g), w)
    with pytest.raises(IndexError):  # JAX reads shape[2] of a 2-D array
        jnp.dsplit(np.zeros((2, 3)), 2)
