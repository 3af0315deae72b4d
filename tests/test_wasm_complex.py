"""complex64 as native kernels on the wasm device (kernel/complex.py): every elementwise complex
primitive, reductions and contractions run as kernels over float pairs with no host fallback,
eager and fused under jit, and give JAX's values and dtypes, its inf/nan/0 cases included."""

import warnings

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import lax
from jaxlite._src.kernel import complex as kcomplex
from jaxlite._src.kernel import fusion, ir
from complex_cases import DEN, EDGE, NUM, RECORDED, UNARY
from conftest import assert_close, needs_jax, real_jax, real_jnp

if "wasm" not in [d.platform for d in jax.devices()]:
    pytest.skip("no WebAssembly engine here", allow_module_level=True)

WASM = jax.devices("wasm")[0]
inf, nan = np.inf, np.nan


def on(*xs):
    return [jax.device_put(np.asarray(x), WASM) for x in xs]


def crandn(rng, *shape, scale=1.0):
    return ((rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) * scale).astype(np.complex64)


@pytest.fixture(autouse=True)
def no_host_fallback():
    """Everything here runs as kernels on the device (a test that expects the host clears the count)."""
    WASM.host_fallbacks.clear()
    yield
    assert not WASM.host_fallbacks, dict(WASM.host_fallbacks)


def both(f, *args):
    """f eagerly and under jit on the wasm device (results stay there)."""
    xs = on(*args)
    eager, jitted = f(*xs), jax.jit(f)(*xs)
    for r in (eager, jitted):
        for leaf in jax.tree_util.tree_leaves(r):
            assert leaf.device == WASM
    return eager, jitted


# ---- elementwise against JAX, with the special values ---------------------------------------------------

# jaxlite's jnp.square is integer_pow(x, 2), which at overflow differs from JAX's square_p: lax.square
# is tested below. (sin and cos of the parts take 1e30 and 3e38 exactly: tests/test_wasm_trig.py.)
SKIP_HUGE = {"square"}

EDGE_MODERATE = EDGE[~(np.isfinite(EDGE) & (np.abs(EDGE) > 1e20))]



@needs_jax
@pytest.mark.parametrize("name", UNARY)
def test_unary_edge_values_match_jax(name):
    z = EDGE_MODERATE if name in SKIP_HUGE else EDGE
    want = getattr(real_jnp, name)(z)
    for got in both(getattr(jnp, name), z):
        assert_close(got, want, rtol=1e-5, atol=1e-30)


@needs_jax
@pytest.mark.parametrize("name", ["rsqrt", "sign", "neg", "sqrt", "square"])
def test_lax_unary(name):
    rng = np.random.default_rng(1)
    z = np.concatenate([crandn(rng, 6, scale=3), EDGE[[2, 3, 4, 6, 10, 12]]])
    want = getattr(real_jax.lax, name)(z)
    for got in both(getattr(lax, name), z):
        assert_close(got, want, rtol=1e-5, atol=1e-6)


def _moderate(rng):
    z = crandn(rng, 24, scale=2)
    z[:4] = [0, 1j, -1, 1e-4 - 2e-4j]
    return z


@pytest.mark.parametrize("name", UNARY)
def test_unary_against_numpy(name):
    """Finite values against numpy in complex128 (runs in Pyodide, where the jax oracle is absent)."""
    z = _moderate(np.random.default_rng(15))
    with np.errstate(all="ignore"):
        want = getattr(np, name)(z.astype(np.complex128))
    want = want.astype(np.complex64 if want.dtype.kind == "c" else np.float32 if want.dtype.kind == "f" else want.dtype)
    if name == "reciprocal":  # numpy's 1/0 is (inf+nanj), XLA's C99 division (inf+infj)... both inf
        z, want = z[1:], want[1:]
    for got in both(getattr(jnp, name), z):
        assert got.dtype == want.dtype, (got.dtype, want.dtype)
        np.testing.assert_allclose(np.asarray(got), want, rtol=3e-6, atol=3e-7)


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "power", "equal", "not_equal"])
def test_binary_against_numpy(name):
    rng = np.random.default_rng(16)
    z, w = _moderate(rng), crandn(rng, 24)
    w[5] = z[5]
    want = getattr(np, name)(z.astype(np.complex128), w.astype(np.complex128))
    want = want.astype(np.complex64) if want.dtype.kind == "c" else want
    if name == "power":  # 0 ** w for non-real w: numpy's 0, XLA's nan (tested against JAX above)
        z, w, want = z[1:], w[1:], want[1:]
    for got in both(getattr(jnp, name), z, w):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5 if name == "power" else 3e-6, atol=3e-7)




@needs_jax
@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "equal", "not_equal", "power"])
def test_binary_edge_values_match_jax(name):
    a, b = (NUM, DEN) if name != "power" else (EDGE[:10], np.complex64(0.5 + 0.5j))
    want = getattr(real_jnp, name)(a, b)
    for got in both(getattr(jnp, name), a, b):
        assert_close(got, want, rtol=2e-5, atol=1e-30)


@needs_jax
def test_multiply_special_values_and_power_of_zero():
    want = real_jnp.multiply(EDGE, EDGE[::-1])
    for got in both(jnp.multiply, EDGE, EDGE[::-1]):
        assert_close(got, want, rtol=1e-5)
    w = np.array([0, 1, 1 + 1j, -1, 1j, 2.5], np.complex64)
    zero = np.zeros(6, np.complex64)
    for got in both(jnp.power, zero, w):
        assert_close(got, real_jnp.power(zero, w))


@needs_jax
@pytest.mark.parametrize("y", [0, 1, 2, 3, 5, -1, -2])
def test_integer_pow(y):
    rng = np.random.default_rng(2)
    z = np.concatenate([crandn(rng, 6), np.array([0, complex(inf, 0), 1j], np.complex64)])
    want = real_jax.lax.integer_pow(z, y)
    for got in both(lambda v: lax.integer_pow(v, y), z):
        assert_close(got, want, rtol=1e-5, atol=1e-6)




@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "tanh", "sign", "divide"])
def test_special_values_recorded_from_jax(name):
    args = (NUM, DEN) if name == "divide" else (EDGE_MODERATE if name in SKIP_HUGE else EDGE,)
    want = np.array([complex(re, im) for re, im in RECORDED[name]], np.complex64)
    for got in both(getattr(jnp, name), *args):
        np.testing.assert_allclose(np.asarray(got), want, rtol=2e-5, atol=1e-30)


# ---- promotion and conversions ------------------------------------------------------------------------


@needs_jax
def test_mixed_real_complex_promotion():
    rng = np.random.default_rng(3)
    z = crandn(rng, 3, 4)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    i = rng.integers(-5, 5, (4,)).astype(np.int32)
    fns = [lambda z, x, i, np_=None: x * z, lambda z, x, i, np_=None: z + 1,
           lambda z, x, i, np_=None: 2.5 * z - x, lambda z, x, i, np_=None: i + z,
           lambda z, x, i, np_=None: z / x, lambda z, x, i, np_=None: x / z,
           lambda z, x, i, np_=None: z * 1j + x, lambda z, x, i, np_=jnp: np_.exp(1j * x) * z]
    for f in fns:
        want = f(*(real_jnp.asarray(v) for v in (z, x, i)), np_=real_jnp)
        for got in both(f, z, x, i):
            assert_close(got, want, rtol=1e-5, atol=1e-6)


@needs_jax
def test_conversions():
    rng = np.random.default_rng(4)
    z = np.concatenate([crandn(rng, 5), np.array([0, 1j, complex(nan, 0)], np.complex64)])
    x = rng.standard_normal(8).astype(np.float32)
    i = rng.integers(-9, 9, 8).astype(np.int32)
    b = rng.integers(0, 2, 8).astype(bool)
    for f, args in [(lambda v: v.astype(jnp.complex64), (x,)), (lambda v: v.astype(jnp.complex64), (i,)),
                    (lambda v: v.astype(jnp.complex64), (b,)), (lambda v: v.astype(bool), (z,)),
                    (lambda v: lax.complex(v, 2 * v), (x,))]:
        want = f(*(real_jnp.asarray(a) for a in args))
        for got in both(f, *args):
            assert_close(got, want)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = real_jnp.asarray(z).astype(np.float32)
        for got in both(lambda v: v.astype(jnp.float32), z):
            assert_close(got, want)


# ---- fused chains, views and selects under jit ---------------------------------------------------------


def test_fused_chain_is_one_kernel_against_numpy():
    """Values against numpy (runs in Pyodide too); the chain fuses into one kernel."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 6)).astype(np.float32)
    z = crandn(rng, 4, 6)

    def f(x, z):
        return jnp.exp(1j * x) * z + jnp.conj(z)
    eager, jitted = both(f, x, z)
    want = (np.exp(1j * x.astype(np.float64)) * z + np.conj(z)).astype(np.complex64)
    for got in (eager, jitted):
        assert got.dtype == np.complex64
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6)
    plan = fusion.Plan(WASM, jax.make_jaxpr(f)(*on(x, z)))
    assert [s.kind for s in plan.steps] == ["kernel"]


def test_views_and_selects_move_pairs():
    rng = np.random.default_rng(6)
    z, w = crandn(rng, 3, 4), crandn(rng, 3, 4)
    m = rng.integers(0, 2, (3, 4)).astype(bool)
    idx = np.array([2, 0, 1, 2], np.int32)
    cases = [(lambda z, w, m: z.T[::-1] * 2, lambda z, w, m: z.T[::-1] * 2),
             (lambda z, w, m: jnp.where(m, z, w), lambda z, w, m: np.where(m, z, w)),
             (lambda z, w, m: jnp.concatenate([z, w], axis=1) + 1j, lambda z, w, m: np.concatenate([z, w], 1) + 1j),
             (lambda z, w, m: jnp.pad(z, ((1, 0), (0, 2))), lambda z, w, m: np.pad(z, ((1, 0), (0, 2)))),
             (lambda z, w, m: z[idx], lambda z, w, m: z[idx]),
             (lambda z, w, m: jnp.broadcast_to(z[:, :1], (3, 4)) * w, lambda z, w, m: z[:, :1] * w),
             (lambda z, w, m: lax.dynamic_slice(z, (1, 1), (2, 2)), lambda z, w, m: z[1:3, 1:3]),
             (lambda z, w, m: z.reshape(4, 3)[1:, ::2], lambda z, w, m: z.reshape(4, 3)[1:, ::2])]
    for f, ref in cases:
        want = ref(z, w, m)
        for got in both(f, z, w, m):
            assert got.dtype == np.complex64
            np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6, atol=1e-6)


def test_scalar_constants_and_empty_and_0d():
    for got in both(lambda z: z * (2 - 1j) + 3, np.complex64(1 + 2j)):
        assert got.shape == () and complex(got) == pytest.approx((1 + 2j) * (2 - 1j) + 3)
    for got in both(lambda z: jnp.exp(z) * z, np.zeros((0, 3), np.complex64)):
        assert got.shape == (0, 3) and got.dtype == np.complex64


# ---- reductions and contractions ------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)])
def test_sum_mean_prod_over_axes(axis):
    rng = np.random.default_rng(7)
    z = crandn(rng, 3, 4, 5)
    for f, ref, tol in [(jnp.sum, np.sum, 1e-5), (jnp.mean, np.mean, 1e-5), (jnp.prod, np.prod, 2e-5)]:
        want = ref(z.astype(np.complex128), axis=axis)
        for got in both(lambda v: f(v, axis=axis), z):
            assert got.dtype == np.complex64
            np.testing.assert_allclose(np.asarray(got), want, rtol=tol, atol=1e-5)


def test_long_products_run_in_chunks_and_cumsum_stays_on_the_host():
    """A product over more than kernel/complex.py's UNROLL elements runs as products of chunks
    (a decomposition: one kernel per level), over any axes; cumulative sums stay on the host
    (wasm keeps scans there for every dtype): correct, and counted."""
    rng = np.random.default_rng(8)
    z = (np.exp(1j * rng.uniform(0, 6, 5000)) * rng.uniform(0.999, 1.001, 5000)).astype(np.complex64)
    zd = z.astype(np.complex128)
    for f in (lambda v: v.prod(), lambda v: v[:200].prod(), lambda v: v.reshape(50, 100).prod(axis=1),
              lambda v: v.reshape(10, 20, 25).prod(axis=(0, 2)), lambda v: v.reshape(100, 50).prod(axis=0)):
        for got in both(f, z):
            assert got.dtype == np.complex64
            np.testing.assert_allclose(np.asarray(got), f(zd), rtol=2e-4, atol=1e-6)
    assert not WASM.host_fallbacks
    for got in both(lambda v: jnp.cumsum(v * 2), z[:10]):
        np.testing.assert_allclose(np.asarray(got), np.cumsum(z[:10] * 2), rtol=1e-5)
    assert set(WASM.host_fallbacks) == {"cumsum"}
    WASM.host_fallbacks.clear()


@pytest.mark.parametrize("shapes", [((3, 4), (4, 5)), ((2, 3, 4), (2, 4, 3)), ((6,), (6,)), ((5, 4), (4,))])
def test_dot_and_matmul(shapes):
    rng = np.random.default_rng(9)
    a, b = crandn(rng, *shapes[0]), crandn(rng, *shapes[1])
    x = rng.standard_normal(shapes[1]).astype(np.float32)
    want = np.matmul(a.astype(np.complex128), b)
    for got in both(jnp.matmul, a, b):
        assert got.dtype == np.complex64
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)
    for got in both(jnp.matmul, a, x):  # mixed: the real operand promoted
        assert got.dtype == np.complex64
        np.testing.assert_allclose(np.asarray(got), np.matmul(a.astype(np.complex128), x), rtol=1e-5, atol=1e-5)
    for got in both(lambda a, b: jnp.vdot(a, b), a.ravel()[:4], b.ravel()[:4]):
        np.testing.assert_allclose(complex(got), np.vdot(a.ravel()[:4], b.ravel()[:4]), rtol=1e-5)


# ---- transformations -------------------------------------------------------------------------------


def test_vmap_against_loop():
    rng = np.random.default_rng(10)
    z, w = crandn(rng, 5, 3), crandn(rng, 3)

    def f(z, w):
        return jnp.sum(jnp.log(z) * w) / jnp.sqrt(z[0])
    zd, wd = on(z, w)
    got = jax.vmap(f, in_axes=(0, None))(zd, wd)
    want = np.stack([np.asarray(f(zi, wd)) for zi in zd])
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6)
    got = jax.jit(jax.vmap(f, in_axes=(0, None)))(zd, wd)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6)


def _loss(z, x, np_=jnp):
    w = np_.exp(1j * x) * z + np_.conj(z) / (1 + z * z)
    return np_.sum(np_.abs(np_.sin(w)) ** 2 + np_.real(np_.log(w) * np_.tanh(z)))


@needs_jax
def test_grad_conjugate_convention_matches_jax():
    rng = np.random.default_rng(11)
    z, x = crandn(rng, 6), rng.standard_normal(6).astype(np.float32)
    want = real_jax.grad(lambda z, x: _loss(z, x, real_jnp), argnums=(0, 1))(z, x)
    zd, xd = on(z, x)
    for g in (jax.grad(_loss, argnums=(0, 1))(zd, xd), jax.jit(jax.grad(_loss, argnums=(0, 1)))(zd, xd)):
        assert_close(g, want, rtol=1e-4, atol=1e-5)


def test_grad_of_real_loss_against_finite_differences():
    """d/dz of a real loss is conj(dL/dre + i dL/dim)... as JAX defines it: grad = dL/dre - i dL/dim."""
    rng = np.random.default_rng(12)
    z, x = crandn(rng, 4), rng.standard_normal(4).astype(np.float32)
    g = np.asarray(jax.jit(jax.grad(_loss))(*on(z, x)))
    eps = 1e-3
    for k in range(4):
        d = np.zeros(4, np.complex128)
        d[k] = eps
        def loss_at(v):
            return float(_loss(*on(v.astype(np.complex64), x)))
        dre = (loss_at(z + d) - loss_at(z - d)) / (2 * eps)
        dim = (loss_at(z + 1j * d) - loss_at(z - 1j * d)) / (2 * eps)
        np.testing.assert_allclose(g[k], dre - 1j * dim, rtol=2e-2, atol=2e-2)


def test_jvp_of_holomorphic_function():
    rng = np.random.default_rng(13)
    z, t = crandn(rng, 5), crandn(rng, 5)
    y, dy = jax.jit(lambda z, t: jax.jvp(lambda v: jnp.exp(v) * v, (z,), (t,)))(*on(z, t))
    np.testing.assert_allclose(np.asarray(y), np.exp(z) * z, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(dy), np.exp(z) * (z + 1) * t, rtol=1e-5, atol=1e-6)


# ---- complex128 under x64: float64 parts ------------------------------------------------------------


def test_complex128_under_x64_in_float64_parts():
    """complex128 runs as kernels over float64 parts; values to float64 precision against numpy
    (log and pow, through float64 atan2: test_complex128_log_and_pow_through_float64_atan2)."""
    rng = np.random.default_rng(14)
    z = (rng.standard_normal(9) + 1j * rng.standard_normal(9)) * 2
    w = rng.standard_normal(9) + 1j * rng.standard_normal(9)
    with jax.enable_x64(True):
        zd, wd = (jax.device_put(v, WASM) for v in (z, w))
        assert zd.dtype == np.complex128
        for f in [lambda a, b, np_: a * b - a / b, lambda a, b, np_: np_.exp(a) + np_.sqrt(b) * np_.abs(a),
                  lambda a, b, np_: np_.tanh(a) * np_.sin(b) + np_.cosh(a),
                  lambda a, b, np_: np_.sum(a * np_.conj(b))]:
            for got in (f(zd, wd, jnp), jax.jit(lambda a, b: f(a, b, jnp))(zd, wd)):
                assert got.dtype == np.complex128
                np.testing.assert_allclose(np.asarray(got), f(z, w, np), rtol=1e-13, atol=1e-13)


def test_componentwise_kernels_are_plain_float_kernels():
    """z + w and -z read and write floats at the output's own position (SIMD on wasm); z * w
    selects the part per position."""
    c64 = np.dtype(np.complex64)
    i = ir.Index(ir.I32)
    z, w = ir.Load(c64, 0, i), ir.Load(c64, 1, i)
    (add,), scale = kcomplex.realify((ir.Binary(c64, "add", z, w),))
    assert scale == 2 and add == ir.Binary(np.dtype(np.float32), "add", ir.Load(np.dtype(np.float32), 0, i),
                                           ir.Load(np.dtype(np.float32), 1, i))
    (mul,), _ = kcomplex.realify((ir.Binary(c64, "mul", z, w),))
    assert isinstance(mul, ir.Select)
    (mag,), scale = kcomplex.realify((ir.Unary(np.dtype(np.float32), "abs", z),))
    assert scale == 1 and mag.dtype == np.float32
    rng = np.random.default_rng(17)
    a, b = crandn(rng, 37), crandn(rng, 37)
    for got in both(lambda a, b: -(a + b) - b[::-1], a, b):
        np.testing.assert_allclose(np.asarray(got), -(a + b) - b[::-1], rtol=1e-6)


def test_complex_matmul_runs_as_real_matmul_routines():
    """Four float32 matmuls of the parts (two when one operand is real by construction), any
    dimension numbers."""
    rng = np.random.default_rng(18)
    a, b = crandn(rng, 3, 5, 2), crandn(rng, 2, 5, 4)
    x = rng.standard_normal((2, 5, 4)).astype(np.float32)
    dn = (((1,), (1,)), ((2,), (0,)))  # contract the 5s, batch over the 2s

    def f(a, b):  # a real rhs is converted: its zero imaginary part needs no products
        return lax.dot_general(a, b.astype(jnp.complex64), dn)
    for rhs in (b, x):
        want = np.einsum("ikb,bkj->bij", a.astype(np.complex128), rhs)
        for got in both(f, a, rhs):
            assert got.dtype == np.complex64 and got.shape == (2, 3, 4)
            np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)
        plan = fusion.Plan(WASM, jax.make_jaxpr(f)(*on(a, rhs)))
        assert [s.kind for s in plan.steps].count("routine") == (4 if rhs is b else 2)
    for got in both(lambda x, a: x.astype(jnp.complex64) @ a, x[0].T, a[:, :, 0].T):
        np.testing.assert_allclose(np.asarray(got), x[0].T @ a[:, :, 0].T, rtol=1e-5, atol=1e-5)


# ---- lexicographic max/min and scatters as kernels ------------------------------------------------------

LEX = np.array([1 + 2j, 1 + 3j, complex(nan, 0), 2 - 1j, 2 + 0j, complex(2, nan), complex(inf, 1), -0.0 + 1j,
                0 + 1j, complex(-inf, -inf), 3 + 3j, 3 - 3j], np.complex64)


@needs_jax
def test_max_min_are_lexicographic_kernels_as_jax():
    """XLA orders complex numbers by the real part, then the imaginary; a comparison with NaN is
    false, so max(nan, w) is w but max(z, nan) is nan: the same asymmetry here."""
    a, b = LEX, LEX[::-1].copy()
    for ours, theirs in ((lax.max, real_jax.lax.max), (lax.min, real_jax.lax.min),
                         (jnp.maximum, real_jnp.maximum), (jnp.minimum, real_jnp.minimum)):
        want = np.asarray(theirs(a, b))
        for got in both(ours, a, b):
            assert_close(got, want, rtol=0, atol=0)
    rng = np.random.default_rng(21)  # ties in the real part decide by the imaginary one
    z = (rng.integers(-2, 3, (4, 6)) + 1j * rng.integers(-2, 3, (4, 6))).astype(np.complex64)
    w = (rng.integers(-2, 3, (6,)) + 1j * rng.integers(-2, 3, (6,))).astype(np.complex64)
    for got in both(lambda z, w: jnp.maximum(z, w) - jnp.minimum(w, z), z, w):
        assert_close(got, np.asarray(real_jnp.maximum(z, w) - real_jnp.minimum(w, z)), rtol=0, atol=0)


@needs_jax
@pytest.mark.parametrize("mode", [None, "drop", "clip"])
def test_scatter_set_and_add_as_jax(mode):
    """Complex scatter and scatter-add run as float scatters over the parts: duplicates apply in
    order (wasm), out-of-bounds indices by the mode, windows of a 2-D operand."""
    rng = np.random.default_rng(22)
    z = crandn(rng, 6, 3)
    idx = np.array([1, 4, 1, 7, -2, 0], np.int32)
    u = crandn(rng, 6, 3)
    for f in (lambda jnp_, z, u: z.at[idx].add(u, mode=mode), lambda jnp_, z, u: z.at[idx].set(u, mode=mode),
              lambda jnp_, z, u: z.at[:, 2].add(u[:, 0] * 2j, mode=mode),
              lambda jnp_, z, u: z.at[idx[:3], 1].set(jnp_.conj(u[:3, 1]), mode=mode)):
        want = np.asarray(f(real_jnp, real_jnp.asarray(z), real_jnp.asarray(u)))
        for got in both(lambda z, u: f(jnp, z, u), z, u):
            assert_close(got, want, rtol=1e-6, atol=1e-6)


def test_scatter_add_against_a_loop_and_as_the_transpose_of_gather():
    """Duplicate indices sum exactly as a Python loop does; the gradient of a gather (a complex
    scatter-add) is JAX's conjugate cotangent, checked against finite differences."""
    rng = np.random.default_rng(23)
    z = crandn(rng, 10)
    idx = rng.integers(0, 10, 40).astype(np.int32)
    u = crandn(rng, 40)
    want = z.astype(np.complex128)
    for k, v in zip(idx, u):
        want[k] += v
    for got in both(lambda z, u: z.at[idx].add(u), z, u):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)

    def loss(x):  # real loss of a complex gather: d/dx of sum |z[idx] * x|^2 over a real x
        zz = jax.device_put(z, WASM) * x
        return jnp.sum(jnp.abs(zz[idx]) ** 2)
    x = jax.device_put(rng.uniform(0.5, 1.5, 10).astype(np.float32), WASM)
    g = np.asarray(jax.jit(jax.grad(loss))(x))
    counts = np.bincount(idx, minlength=10)
    np.testing.assert_allclose(g, 2 * counts * np.abs(z) ** 2 * np.asarray(x), rtol=1e-4)

    def closs(w):  # a complex argument: JAX's gradient is df/dx - i df/dy (|w|^2 gives 2 conj(w))
        return jnp.sum(jnp.real(w[idx] * jnp.conj(w[idx]))) + jnp.sum(jnp.real(w[idx[:5]]))
    gw = np.asarray(jax.jit(jax.grad(closs))(jax.device_put(z, WASM)))
    want = 2 * counts * np.conj(z) + np.bincount(idx[:5], minlength=10)
    np.testing.assert_allclose(gw, want, rtol=1e-5, atol=1e-5)


def test_complex128_log_and_pow_through_float64_atan2():
    """log, log1p and pow of complex128 (and float64 arctan2) are kernels on wasm: the float64
    atan2 expansion is float64-accurate (1 ulp), branch cut signs included."""
    rng = np.random.default_rng(24)
    z = (rng.standard_normal(40) + 1j * rng.standard_normal(40)) * 10.0 ** rng.uniform(-3, 3, 40)
    z = np.concatenate([z, [-2 + 0j, complex(-2, -0.0), 1j, -1j, 1e-300 + 1e-300j, 1e300 - 1e300j]])
    w = rng.standard_normal(z.size) + 1j * rng.standard_normal(z.size)
    y, x = rng.standard_normal(200) * 10.0 ** rng.uniform(-20, 20, 200), rng.standard_normal(200)
    y = np.concatenate([y, [0.0, -0.0, 0.0, -0.0, inf, -inf, 1.0, nan]])
    x = np.concatenate([x, [-1.0, -1.0, 0.0, -0.0, inf, -inf, -inf, 1.0]])
    with jax.enable_x64(True):
        # log1p's real part near 0 cancels in XLA's formula (JAX's own result is 1e-10 off numpy's)
        for f, tol in ((lambda a, b, np_: np_.log(a), 1e-13), (lambda a, b, np_: np_.log1p(a * 1e-3), 1e-9),
                       (lambda a, b, np_: np_.power(a, b), 1e-13),
                       (lambda a, b, np_: np_.log(a) * b + np_.angle(a), 1e-13)):
            for got in both(lambda a, b: f(a, b, jnp), z, w):
                assert got.dtype == np.complex128
                np.testing.assert_allclose(np.asarray(got), f(z, w, np), rtol=tol, atol=1e-300)
        for got in both(jnp.arctan2, y, x):
            assert got.dtype == np.float64
            np.testing.assert_allclose(np.asarray(got), np.arctan2(y, x), rtol=4e-16, atol=0)
            assert np.array_equal(np.signbit(np.asarray(got)), np.signbit(np.arctan2(y, x)))


@needs_jax
@pytest.mark.parametrize("case", ["max", "min", "max0", "maxall", "maximum", "minimum", "jit_max", "argmax", "argmin"])
def test_complex_max_min_order_and_nans_as_jax(case):
    """Complex max/min (binary and reductions) order lexicographically, a NaN in the first operand
    giving the second (XLA's CPU, folded in order for reductions); argmax/argmin of complex raise
    JAX's TypeError."""
    nan = complex(np.nan, 0)
    z = np.array([[1 + 2j, 3 - 1j, 3 + 0j], [nan, 0j, 2j], [1j, complex(0, np.nan), 1j]], np.complex64)
    f = {"max": lambda j, x: j.max(x, axis=1), "min": lambda j, x: j.min(x, axis=1),
         "max0": lambda j, x: j.max(x, axis=0), "maxall": lambda j, x: j.max(x),
         "maximum": lambda j, x: j.maximum(x, x[::-1]), "minimum": lambda j, x: j.minimum(x[::-1], x),
         "jit_max": lambda j, x: (real_jax if j is real_jnp else jax).jit(lambda v: j.max(v, axis=1))(x),
         "argmax": lambda j, x: j.argmax(x), "argmin": lambda j, x: j.argmin(x, axis=0)}[case]
    if case.startswith("arg"):
        with pytest.raises(TypeError) as theirs:
            f(real_jnp, z)
        with pytest.raises(TypeError) as ours:
            f(jnp, z)
        assert str(ours.value) == str(theirs.value)
        return
    want, got = np.asarray(f(real_jnp, z)), np.asarray(f(jnp, z))
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    # complex max/min reductions run on the host (counted): their NaN placement follows the fold order
    assert set(WASM.host_fallbacks) <= {"reduce_max", "reduce_min"}
    WASM.host_fallbacks.clear()
