"""jnp set operations, differences, histograms and statistics, nan-reductions, polynomials,
windows, orderings, vectorize/ufunc: values and dtypes against JAX, jit, vmap, grads, errors."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite.errors import ConcretizationTypeError

from conftest import assert_close, needs_jax, numerical_grad, real_jax, real_jnp

_r = np.random.default_rng(0)
A = _r.normal(size=(4, 6)).astype(np.float32)
AN = A.copy()
AN[0, 2] = AN[1, 1] = np.nan
AN[2, :] = np.nan
I = _r.integers(-4, 5, size=(3, 5)).astype(np.int32)
X = np.linspace(-2, 2, 9).astype(np.float32)
XP = np.array([0, 1, 2.5, 4], np.float32)
FP = np.array([1, 3, -1, 2], np.float32)
U = np.array([3, 1, 2, 3, 1, 5, np.nan, np.nan], np.float32)
S1, S2 = np.array([5, 1, 3, 3, 7, 1]), np.array([3, 9, 1, 1, 4])
P7, P3 = _r.normal(size=7).astype(np.float32), _r.normal(size=3).astype(np.float32)
XF = np.linspace(-1, 1, 20).astype(np.float32)
YF = (3 * XF ** 2 - XF + 0.5 + 0.01 * _r.normal(size=20)).astype(np.float32)
M = np.array([[1, 2], [0, 5], [1, 2], [0, 1]], np.int32)

AF = AN.copy()
AF[2, :] = _r.normal(size=6)  # NaNs, but no slice of NaNs only (NumPy warns or raises there)

# (function name, args, kwargs[, check dtype]) compared with NumPy's float64 answer rounded to
# JAX's 32-bit types; these run everywhere, Pyodide included.
NP_CASES = [
    ("unique", (U,)), ("unique", (U,), dict(return_index=True, return_inverse=True, return_counts=True)),
    ("unique", (M,), dict(axis=0, return_inverse=True, return_counts=True)), ("unique", (I,), dict(return_index=True)),
    ("intersect1d", (S1, S2)), ("intersect1d", (S1, S2), dict(return_indices=True)),
    ("union1d", (S1, S2)), ("setdiff1d", (S1, S2)), ("setxor1d", (S1, S2)),
    ("isin", (I, S1)), ("isin", (A, np.array([1.5, 3.0])), dict(invert=True)),
    ("diff", (A,)), ("diff", (A,), dict(n=2, axis=0)), ("diff", (np.array([True, False, False]),)),
    ("diff", (np.arange(3),), dict(n=5)), ("ediff1d", (A,), dict(to_begin=np.array([1, 2]), to_end=3.5)),
    ("gradient", (A,)), ("gradient", (A, 2.0), dict(axis=-1)),
    ("gradient", (A, np.array([0, 1, 3, 4.5], np.float32)), dict(axis=0)), ("gradient", (np.arange(5),)),
    ("trapezoid", (A,)), ("trapezoid", (A,), dict(dx=0.5, axis=0)), ("trapezoid", (A,), dict(x=np.arange(6.0) ** 2)),
    ("interp", (X * 2, XP, FP)), ("interp", (X * 2, XP, FP), dict(left=-9, right=9)),
    ("interp", (X * 2, XP, FP), dict(period=3)), ("unwrap", (np.cumsum(A[0] * 3),)),
    ("unwrap", (A * 4,), dict(axis=0, discont=4)),
    ("bincount", (np.array([0, 1, 1, 3, 2, 1]),)), ("bincount", (np.array([0, 1, 1, 3, 2, 1]),),
                                                     dict(weights=np.arange(6.0, dtype=np.float32), minlength=7)),
    ("digitize", (A, np.array([-1, 0, 1.0]))), ("digitize", (A, np.array([1, 0, -1.0])), dict(right=True)),
    ("histogram", (A,), dict(bins=4, range=(-1, 1), density=True)),
    ("histogram", (A,), dict(bins=np.array([-2, 0, 0.5, 3.0]), weights=A * 2)),
    ("histogram2d", (A[0], A[1]), dict(bins=[2, np.array([-1, 0, 1.0])], density=True)),
    ("cov", (A,)), ("cov", (A,), dict(rowvar=False, bias=True)), ("cov", (A[0], A[1])),
    ("cov", (A,), dict(fweights=np.array([1, 2, 1, 1, 3, 1]), aweights=np.abs(A[0]))), ("cov", (np.arange(5),)),
    ("corrcoef", (A,)), ("corrcoef", (A[0], A[1])),
    ("nanprod", (AF,), dict(axis=1)), ("nancumsum", (AF,), dict(axis=0)), ("nancumprod", (AF,)),
    ("nanargmax", (AF,), dict(axis=1)), ("nanargmin", (AF,)), ("nanargmin", (I,), dict(axis=0)),
    ("nanvar", (AF,)), ("nanvar", (AF,), dict(axis=-1, ddof=1, keepdims=True)), ("nanvar", (I,), dict(axis=0)),
    ("nanstd", (AF,), dict(axis=(0, 1))), ("nanmedian", (AF,), dict(axis=1)), ("nanmedian", (I,)),
    ("nanquantile", (AF, np.array([0.1, 0.5, 0.9], np.float32)), dict(axis=1)),
    ("nanquantile", (AF, 0.3), dict(axis=1, method="lower")), ("nanquantile", (AF, 0.3), dict(axis=0, method="higher")),
    ("nanquantile", (AF, 0.3), dict(axis=1, method="midpoint", keepdims=True)),
    ("nanquantile", (AF, 0.7), dict(axis=1, method="nearest")), ("nanpercentile", (AF, 25), dict(axis=1)),
    ("vander", (P7,)), ("vander", (np.arange(4), 3), dict(increasing=True)),
    ("convolve", (P7, P3)), ("convolve", (P3, P7), dict(mode="same")), ("correlate", (P7, P3)),
    ("correlate", (P3, P7), dict(mode="full")), ("correlate", (P7, P3), dict(mode="same")),
    ("poly", (P7[:4],)), ("polyadd", (P7, P3)), ("polyadd", (np.arange(2), np.arange(5))), ("polysub", (P3, P7)),
    ("polymul", (P7, P3)), ("polyder", (P7,)), ("polyder", (P7, 3)),
    ("polyint", (P7,)), ("polyint", (P7, 3), dict(k=np.array([1, 2, 3.0]))),
    ("polyval", (P7, P3)), ("polyval", (np.arange(3), 2)), ("polyfit", (XF, YF, 2)),
    ("polyfit", (XF, np.stack([YF, 2 * YF], 1), 3)), ("polyfit", (XF, YF, 2), dict(w=np.abs(XF) + 0.1)),
    ("polyfit", (XF, YF, 2), dict(cov=True)), ("polyfit", (XF, np.stack([YF, 2 * YF], 1), 1), dict(cov=True)),
    ("bartlett", (7,)), ("blackman", (6,)), ("hamming", (1,)), ("hanning", (0,)), ("hanning", (5,)),
    ("kaiser", (9, 4.0)), ("kaiser", (8, 14.0)), ("i0", (np.linspace(-40, 40, 41).astype(np.float32),)),
    ("gcd", (np.array([12, -18, 0, 7]), np.array([8, 8, 0, -21]))),
    ("lcm", (np.array([4, 6, 0]), np.array([6, -4, 3]))),
    ("gcd", (I, 4)), ("spacing", (np.array([1.0, 0, -2, np.inf, 1e-30], np.float32),)),
    ("lexsort", ([np.array([1, 1, 0, 2]), np.array([2, 1, 1, 1])],)),
    ("lexsort", ((np.array([[1, 0], [0, 1]]), np.array([[1, 1], [0, 0]])),), dict(axis=0)),
    ("sort_complex", (np.array([3, 1, 2]),)), ("sort_complex", (np.array([1 + 1j, 1 - 1j, 2j], np.complex64),)),
    ("select", ([X < 0, X > 1], [X ** 2, -X])), ("select", ([X < 0], [np.arange(9)]), dict(default=7.5)),
    ("piecewise", (X, [X < 0, X > 1], [lambda v: -v, lambda v: v ** 2, 0.5])),
]

_CANON = {np.dtype(np.float64): np.float32, np.dtype(np.int64): np.int32, np.dtype(np.uint64): np.uint32,
          np.dtype(np.complex128): np.complex64}


def _canon(x):
    x = np.asarray(x)
    return x.astype(_CANON.get(x.dtype, x.dtype))


@pytest.mark.parametrize("case", NP_CASES, ids=lambda c: c[0])
def test_matches_numpy(case):
    name, args, kwargs = (case + ({},))[:3]
    with np.errstate(all="ignore"):
        want = getattr(np, name)(*args, **kwargs)
        got = getattr(jnp, name)(*args, **kwargs)
    want = [_canon(w) for w in (want if isinstance(want, (tuple, list)) else [want])]
    got = jax.tree_util.tree_leaves(got)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        if name in ("histogram", "histogram2d") and w.dtype.kind == "i":
            w = w.astype(np.float32)  # JAX counts in the weights' (float) type
        assert g.dtype == w.dtype and g.shape == w.shape, (name, g.dtype, w.dtype, g.shape, w.shape)
        np.testing.assert_allclose(np.asarray(g), w, rtol=1e-4, atol=1e-4)


# Where JAX differs from NumPy (size=/fill_value=, layouts, dtypes), JAX itself is the oracle;
# the oracle compiles each call, so this list stays short.
JAX_CASES = [
    ("unique", (U,), dict(size=8, fill_value=-1, return_counts=True, return_index=True)),
    ("unique", (np.zeros(0, np.float32),), dict(return_counts=True, return_inverse=True)),
    ("intersect1d", (S1, S2), dict(return_indices=True, size=4)),
    ("intersect1d", (S1[:3], S2[:3]), dict(assume_unique=True, return_indices=True)),
    ("partition", (A, 2), dict(axis=0)), ("argpartition", (A, 1), {}),
    ("interp", (X * 2, XP, FP), dict(left="extrapolate", right="extrapolate")), ("unwrap", (I * 7,), dict(period=20)),
    ("nanargmax", (AN,), dict(axis=-1, keepdims=True)), ("nanvar", (AN,), dict(axis=1)),
    ("convolve", (np.arange(4), np.arange(3)), {}),
    ("diff", (np.array([1, 3, 2], np.int8),), dict(prepend=0, append=np.array([5]))),
    ("polyder", (np.arange(5), 2), {}),
    ("spacing", (3,), {}),
]


@needs_jax
@pytest.mark.parametrize("case", JAX_CASES, ids=lambda c: c[0])
def test_matches_jax(case):
    name, args, kwargs = case
    with np.errstate(all="ignore"):
        assert_close(getattr(jnp, name)(*args, **kwargs), getattr(real_jnp, name)(*args, **kwargs),
                     rtol=1e-4, atol=1e-4)


@needs_jax
def test_weak_types_follow_jax():
    for name, args in [("i0", (3.0,)), ("spacing", (1.0,)), ("diff", (np.arange(3.0),)),
                       ("interp", (1.5, XP, FP)), ("trapezoid", (A[0],)), ("gcd", (12, 8)), ("lcm", (4, 6))]:
        got, want = getattr(jnp, name)(*args), getattr(real_jnp, name)(*args)
        assert got.dtype == want.dtype and got.weak_type == want.weak_type, name


def test_unique_size_traces_and_matches_eager():
    x = jnp.array([[3, 1, 1], [2, 3, 7]])
    vals, idx, inv, cnt = jax.jit(lambda v: jnp.unique(v, True, True, True, size=6, fill_value=-1))(x)
    np.testing.assert_array_equal(np.asarray(vals), [1, 2, 3, 7, -1, -1])
    np.testing.assert_array_equal(np.asarray(cnt), [2, 1, 2, 1, 0, 0])
    np.testing.assert_array_equal(np.asarray(vals)[np.asarray(inv)], np.asarray(x))
    np.testing.assert_array_equal(np.ravel(x)[np.asarray(idx)[:4]], [1, 2, 3, 7])
    batched = jax.vmap(lambda v: jnp.unique(v, size=3, fill_value=0))(jnp.array([[1, 1, 2], [3, 3, 3]]))
    np.testing.assert_array_equal(np.asarray(batched), [[1, 2, 0], [3, 0, 0]])
    inter = jax.jit(lambda a, b: jnp.intersect1d(a, b, size=3))(S1, S2)
    np.testing.assert_array_equal(np.asarray(inter), [1, 3, 1])


@pytest.mark.parametrize("fn", [
    lambda x: jnp.unique(x), lambda x: jnp.union1d(x, x), lambda x: jnp.setxor1d(x, x),
    lambda x: jnp.intersect1d(x, x), lambda x: jnp.bincount(x), lambda x: jnp.histogram(x, bins=x[0]),
    lambda x: jnp.roots(jnp.astype(x, float)), lambda x: jnp.diff(x, n=x[0]),
])
def test_data_dependent_shapes_raise_under_jit(fn):
    with pytest.raises(ConcretizationTypeError):
        jax.jit(fn)(jnp.array([1, 2, 2]))


def test_boolean_mask_results_raise_index_error_under_jit():
    with pytest.raises(IndexError):
        jax.jit(lambda a: jnp.setdiff1d(np.array([1, 2, 3]), a))(jnp.array([2]))


def test_errors():
    with pytest.raises(ValueError, match="must be integers"):
        jnp.gcd(1.0, 2)
    with pytest.raises(ValueError, match="fill_value must be specified"):
        jnp.unique(jnp.zeros(0), size=2)
    with pytest.raises(NotImplementedError, match="edge_order"):
        jnp.gradient(A, edge_order=2)
    with pytest.raises(ValueError, match="too small"):
        jnp.gradient(jnp.ones(1))
    with pytest.raises(TypeError, match="integer type"):
        jnp.bincount(jnp.ones(3))
    with pytest.raises(ValueError, match="one-dimensional"):
        jnp.interp(X, A, A)
    with pytest.raises(ValueError, match="core dimension"):
        jnp.vectorize(jnp.dot, signature="(n),(n)->()")(jnp.ones(3), jnp.ones(4))
    with pytest.raises(NotImplementedError, match="inplace"):
        jnp.frompyfunc(jnp.add, 2, 1).at(X, 1, 1.0)
    with pytest.raises(TypeError):
        jnp.diff(A, prepend=[1.0])


def test_gradients_against_finite_differences():
    checks = [
        (lambda f: jnp.sum(jnp.interp(X, XP, f) ** 2), FP),
        (lambda x: jnp.sum(jnp.interp(x, XP, FP) * x), X[1:-1] + 0.05),
        (lambda y: jnp.trapezoid(jnp.sin(y), x=XP), FP),
        (lambda y: jnp.sum(jnp.gradient(y ** 2, XP)), FP),
        (lambda p: jnp.sum(jnp.polyval(p, X)), P3),
        (lambda a: jnp.sum(jnp.cov(a) ** 2), A[:2]),
        (lambda x: jnp.sum(jnp.i0(x)), np.array([0.5, -2.0, 3.0], np.float32)),
    ]
    for f, x in checks:
        g = jax.grad(f)(x)
        np.testing.assert_allclose(np.asarray(g), numerical_grad(f, x), rtol=5e-2, atol=5e-2)


@needs_jax
def test_gradients_against_jax():
    g = jax.grad(lambda p: jnp.polyval(p, 0.7))(P7)
    assert_close(g, real_jax.grad(lambda p: real_jnp.polyval(p, 0.7))(P7))
    g = jax.grad(lambda a: jnp.nanvar(a))(AN[:2])
    assert_close(g, real_jax.grad(lambda a: real_jnp.nanvar(a))(AN[:2]))


def test_jit_matches_eager():
    fns = [lambda a: jnp.histogram(a, 3), lambda a: jnp.nanmedian(a, axis=1), lambda a: jnp.cov(a),
           lambda a: jnp.gradient(a), lambda a: jnp.unwrap(a * 4), lambda a: jnp.partition(a, 2),
           lambda a: jnp.argpartition(a, 2, axis=0), lambda a: jnp.convolve(a[0], a[1, :3], "same"),
           lambda a: jnp.select([a > 0.5, a < -0.5], [a, -a], 0.25)]
    for f in fns:
        assert_close(jax.jit(f)(AN if f is fns[1] else A), f(AN if f is fns[1] else A))


def test_vmap_matches_loop():
    def f(row):
        return jnp.interp(row, XP, FP), jnp.trapezoid(row), jnp.nanmax(jnp.diff(row)), jnp.digitize(row, XP)
    got = jax.vmap(f)(A)
    for i in range(A.shape[0]):
        assert_close(jax.tree_util.tree_map(lambda x: x[i], got), f(A[i]))


def test_vectorize_apply_and_ufunc():
    mv = jnp.vectorize(lambda m, v: m @ v, signature="(n,m),(m)->(n)")
    B = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_allclose(np.asarray(mv(B, A[0, :4])), np.einsum("bnm,m->bn", B, A[0, :4]), rtol=1e-5)
    stats = jnp.vectorize(lambda v: (v.sum(), v.max()), signature="(k)->(),()")(A)
    np.testing.assert_allclose(np.asarray(stats[1]), A.max(1))
    np.testing.assert_allclose(np.asarray(jnp.vectorize(lambda v, p: v ** p, excluded={1})(X, 3)), X ** 3, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(jnp.apply_along_axis(lambda v: v[:2] * v.sum(), 1, A)),
                               np.apply_along_axis(lambda v: v[:2] * v.sum(), 1, A), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(jnp.apply_over_axes(jnp.sum, B, [0, 2])), np.sum(B, (0, 2), keepdims=True))
    u = jnp.frompyfunc(lambda a, b: a * b + a, 2, 1, identity=0)
    assert repr(u) == "<jnp.ufunc '<lambda>'>" and u.nin == 2 and u.nout == 1
    acc = np.asarray(u.accumulate(X[:4]))
    np.testing.assert_allclose(acc, [X[0], X[0] * X[1] + X[0], (X[0] * X[1] + X[0]) * X[2] + X[0] * X[1] + X[0],
                                     acc[2] * X[3] + acc[2]], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(u.outer(X[:2], X[:3])), X[:2, None] * X[None, :3] + X[:2, None])
    np.testing.assert_allclose(np.asarray(u.at(np.ones(3, np.float32), np.array([1, 1]), 2.0, inplace=False)),
                               [1, 9, 1])
    np.testing.assert_allclose(np.asarray(jax.jit(u.reduce)(X[:3])), (X[0] * X[1] + X[0]) * X[2] + X[0] * X[1] + X[0],
                               rtol=1e-6)


def test_recorded_values():
    # Values JAX gives (checked once against it), so this also runs inside Pyodide.
    assert_close(jnp.setdiff1d(S1, S2, size=6), np.array([5, 7, 0, 0, 0, 0], np.int32))
    assert_close(jnp.union1d(S1, S2.astype(np.float32), size=9, fill_value=-1),
                 np.array([1, 3, 4, 5, 7, 9, -1, -1, -1], np.float32))
    res = jnp.unique_all(U)  # equal_nan=False: every NaN is its own value
    assert_close(tuple(res), (np.array([1, 2, 3, 5, np.nan, np.nan], np.float32),
                              np.array([1, 2, 0, 5, 6, 7], np.int32), np.array([2, 0, 1, 2, 0, 3, 4, 5], np.int32),
                              np.array([2, 1, 2, 1, 1, 1], np.int32)))
    assert res.counts is res[3]
    vals, inv = jnp.unique(I, size=4, return_inverse=True)
    assert_close(vals, np.array([-2, -1, 0, 1], np.int32))
    assert_close(inv, np.array([[0, 3, 4, 1, 2], [6, 5, 6, 1, 4], [6, 3, 5, 4, 4]], np.int32))
    assert_close(jnp.setxor1d(S1, S2, size=6), np.array([4, 5, 7, 9, 4, 4], np.int32))
    # JAX keeps the remainder at full length, leading (numerically) zero terms included.
    q, rem = jnp.polydiv(P7, P3)
    nq, nrem = np.polydiv(P7.astype(np.float64), P3.astype(np.float64))
    np.testing.assert_allclose(np.asarray(q), nq, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np.asarray(rem), np.concatenate([np.zeros(7 - len(nrem)), nrem]), atol=1e-4)
    assert_close(jnp.histogram(np.arange(5))[0], np.array([1, 0, 1, 0, 0, 1, 0, 1, 0, 1], np.float32))
    np.testing.assert_array_equal(np.asarray(jnp.unique(jnp.array([3, 1, 3, 2]))), [1, 2, 3])
    np.testing.assert_array_equal(np.asarray(jnp.setxor1d(S1, S2)), [4, 5, 7, 9])
    np.testing.assert_array_equal(np.asarray(jnp.bincount(jnp.array([0, 2, 2]))), [1, 0, 2])
    np.testing.assert_allclose(np.asarray(jnp.hanning(5)), [0, 0.5, 1, 0.5, 0], atol=1e-7)
    np.testing.assert_allclose(np.asarray(jnp.kaiser(5, 3.0)), [0.20488478, 0.72692543, 1, 0.72692543, 0.20488478],
                               rtol=1e-5)
    np.testing.assert_allclose(np.asarray(jnp.i0(jnp.array([0.0, 1.0, 20.0]))), [1.0, 1.2660658, 43558283.0], rtol=1e-5)
    np.testing.assert_array_equal(np.asarray(jnp.gcd(jnp.array([12, -18]), 8)), [4, 2])
    np.testing.assert_allclose(np.asarray(jnp.polyfit(XF, 3 * XF ** 2 - XF + 0.5, 2)), [3, -1, 0.5], atol=1e-4)
    r = np.sort_complex(np.asarray(jnp.roots(jnp.array([1.0, -6, 11, -6]))))
    np.testing.assert_allclose(r, [1, 2, 3], atol=1e-3)
    np.testing.assert_allclose(np.asarray(jnp.nanmedian(jnp.array([1.0, np.nan, 3.0, 10.0]))), 3.0)
    np.testing.assert_allclose(float(jnp.trapezoid(jnp.array([1.0, 2.0, 4.0]))), 4.5)


@needs_jax
def test_roots_poly_polyfit_match_jax_via_linalg():
    # Roots are eigenvalues of the companion matrix, so their order is JAX's (LAPACK's), not sorted.
    lead0 = np.array([0, 0, 1, 2, 5], np.float32)
    mat = np.array([[1, 2], [3, 4]], np.float32)

    def run(np_):
        return [np_.roots(lead0, strip_zeros=False), np_.roots(np.zeros(3, np.float32), strip_zeros=False),
                np_.poly(mat), np_.polyfit(XF, YF, 2, full=True), np_.polyfit(XF[:4], YF[:4], 5, full=True)]

    def run_stripped(np_):  # stripping needs concrete coefficients, so JAX runs these eagerly
        return [np_.roots(np.array([1, -6, 11, -6], np.float32)), np_.roots(np.array([1, 0, 0, 0, 1], np.float32)),
                np_.roots(lead0), np_.roots(np.array([1, 3, 2]))]
    want = real_jax.jit(lambda: run(real_jnp))()
    # (the last fit is underdetermined: its minimum-norm coefficients move by ~1e-4 between float32 SVDs)
    assert_close(run(jnp), want, rtol=1e-4, atol=3e-4)
    assert_close(run_stripped(jnp), run_stripped(real_jnp), rtol=1e-4, atol=1e-4)
    assert_close(jax.jit(lambda p: jnp.roots(p, strip_zeros=False))(lead0), want[0])  # traced leading zeros


def test_isinf_isfinite_look_at_both_parts_of_complex_values():
    z = np.array([1 + 1j, np.inf + 1j, 1 + np.inf * 1j, np.nan + 0j, 1 + np.nan * 1j], np.complex64)
    # JAX 0.10.2's answers
    np.testing.assert_array_equal(np.asarray(jnp.isinf(z)), [False, True, True, False, False])
    np.testing.assert_array_equal(np.asarray(jnp.isfinite(z)), [True, False, False, False, False])
    np.testing.assert_array_equal(np.asarray(jax.jit(jnp.isinf)(z)), [False, True, True, False, False])


def test_scipy_loggamma_is_nan_on_the_nonpositive_half_line():
    from jaxlite.scipy.special import loggamma
    got = np.asarray(loggamma(jnp.array([-3.5, -2.5, -1e-3, 1e-3, 0.0, 2.5])))
    np.testing.assert_array_equal(np.isnan(got), [True, True, True, False, True, False])
    np.testing.assert_allclose(got[[3, 5]], [6.907178, 0.284683], rtol=1e-5)
    assert float(jax.grad(loggamma)(-3.5)) == 0.0


@needs_jax
@pytest.mark.parametrize("name", ["cumsum", "cumprod", "nancumsum", "nancumprod", "cumulative_sum", "cumulative_prod"])
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "bool", "uint16", "int32", "float32"])
def test_cumulative_dtypes_as_jax(name, dtype):
    """cumsum keeps narrow ints (bools accumulate in the default int); the Array API's
    cumulative_sum promotes them to the default (unsigned) int."""
    x = np.array([1, 0, 1, 1], dtype)
    assert_close(getattr(jnp, name)(x), getattr(real_jnp, name)(x))


@needs_jax
@pytest.mark.parametrize("name", ["cumulative_sum", "cumulative_prod"])
def test_cumulative_array_api_axis_and_include_initial(name):
    x = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
    for kw in ({"axis": 0}, {"axis": 1, "include_initial": True}, {"axis": -1, "dtype": np.int8}):
        assert_close(getattr(jnp, name)(x, **kw), getattr(real_jnp, name)(x, **kw))
    assert_close(getattr(jnp, name)(x[0], include_initial=True), getattr(real_jnp, name)(x[0], include_initial=True))
    assert_close(jax.jit(lambda v: getattr(jnp, name)(v, axis=1, include_initial=True))(x),
                 getattr(real_jnp, name)(x, axis=1, include_initial=True))
    for bad in (x, np.float32(1)):  # rank 2 without an axis; a scalar
        with pytest.raises(ValueError) as ours:
            getattr(jnp, name)(bad)
        with pytest.raises(ValueError) as theirs:
            getattr(real_jnp, name)(bad)
        assert str(ours.value) == str(theirs.value)
