"""More of jax.lax: mulhi/clz/square/copy/optimization_barrier primitives, reduce_xor in kernels,
scatter_sub/scatter_apply, approx top-k, ragged_dot, local convolution, rng_bit_generator (three-fry,
bit for bit), scaled_dot, tokens and staging helpers."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.lax as lax
from backend_util import KERNEL_DEVICES, on
from conftest import assert_close, needs_jax, real_jax

INT_DTYPES = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32]


def _ints(dt, rng, n=40):
    info = np.iinfo(dt)
    x = rng.integers(info.min, info.max, n, endpoint=True).astype(dt)
    x[:4] = [info.min, info.max, 0, 1]
    return x


def _no_fallback(dev, f, *args):
    f(*on(dev, *args))  # compile once: eager setup may touch the host
    before = dict(dev.host_fallbacks)
    got = f(*on(dev, *args))
    assert dict(dev.host_fallbacks) == before, dev.host_fallbacks
    return got


# ---- integer primitives ----------------------------------------------------------------------------


def test_mulhi_clz_recorded():
    x = np.array([5, -7, 2 ** 31 - 1, -2 ** 31, 0], np.int32)
    y = np.array([3, 9, 2 ** 31 - 1, -2 ** 31, -1], np.int32)
    np.testing.assert_array_equal(lax.mulhi(x, y), [0, -1, 1073741823, 1073741824, 0])
    np.testing.assert_array_equal(lax.mulhi(x.view(np.uint32), y.view(np.uint32)),
                                  np.array([0, 8, 1073741823, 1073741824, 0], np.uint32))
    np.testing.assert_array_equal(lax.clz(x), [29, 0, 1, 0, 32])
    np.testing.assert_array_equal(lax.clz(np.array([1, 0, 127, -1], np.int8)), [7, 8, 1, 0])
    assert lax.mulhi(np.uint16(300), np.uint16(400)).dtype == np.uint16
    with pytest.raises(TypeError):
        lax.mulhi(np.float32(1), np.float32(2))


@needs_jax
@pytest.mark.parametrize("dt", INT_DTYPES, ids=lambda d: np.dtype(d).name)
def test_mulhi_clz_match_jax(dt, rng):
    x, y = _ints(dt, rng), _ints(dt, rng)[::-1].copy()
    assert_close(lax.mulhi(x, y), real_jax.lax.mulhi(x, y), rtol=0, atol=0)
    assert_close(jax.jit(lax.clz)(x), real_jax.lax.clz(x), rtol=0, atol=0)
    assert_close(jax.vmap(lax.mulhi)(x, y), real_jax.lax.mulhi(x, y), rtol=0, atol=0)


@pytest.mark.parametrize("dev", KERNEL_DEVICES, ids=lambda d: d.platform)
@pytest.mark.parametrize("dt", INT_DTYPES, ids=lambda d: np.dtype(d).name)
def test_mulhi_clz_kernels(dev, dt, rng):
    x, y = _ints(dt, rng), _ints(dt, rng)[::-1].copy()
    f = jax.jit(lambda a, b: (lax.mulhi(a, b), lax.clz(a), lax.reduce_xor(a, (0,))))
    got = _no_fallback(dev, f, x, y)
    assert_close(got, f(x, y), rtol=0, atol=0)


def test_square_primitive(rng):
    x = rng.standard_normal(5).astype(np.float32)
    assert "square" in str(jax.make_jaxpr(lax.square)(x))
    assert_close(lax.square(x), x * x)
    assert_close(jax.grad(lambda v: lax.square(v).sum())(x), 2 * x)
    assert_close(jax.vmap(lax.square)(x.reshape(5, 1)), (x * x).reshape(5, 1))
    assert lax.square(3).dtype == np.int32 and lax.square_p.bind(np.float32(3)) == 9


def test_copy_and_barrier(rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    assert_close(lax.copy_p.bind(x), x)
    f = lambda v: lax.optimization_barrier((lax.copy_p.bind(v) * v, v))[0].sum()  # noqa: E731
    assert_close(jax.grad(f)(x), 2 * x, rtol=1e-6)
    assert_close(jax.jit(jax.grad(f))(x), 2 * x, rtol=1e-6)
    assert_close(jax.vmap(lambda v: lax.optimization_barrier({"a": v})["a"] * 2)(x), 2 * x)
    assert "optimization_barrier" in str(jax.make_jaxpr(lax.optimization_barrier)((x, x)))
    for dev in KERNEL_DEVICES:
        assert_close(_no_fallback(dev, jax.jit(jax.grad(f)), x), 2 * x, rtol=1e-6)


def test_reduce_xor_and_bitcast_scalar():
    x = np.array([[3, 7, 11], [1, 2, 4]], np.int32)
    np.testing.assert_array_equal(lax.reduce_xor(x, (1,)), [15, 7])
    np.testing.assert_array_equal(lax.reduce_xor(x > 2, (0,)), [True, True, False])
    for dev in KERNEL_DEVICES:
        got = _no_fallback(dev, jax.jit(lambda a: (lax.reduce_xor(a, (1,)), lax.reduce_xor(a > 2, (0,)))), x)
        np.testing.assert_array_equal(got[0], [15, 7])
        np.testing.assert_array_equal(got[1], [True, True, False])
    y = lax.bitcast_convert_type(np.float32(1.5), np.int32)
    assert y.shape == () and int(y) == 1069547520
    assert jax.jit(lambda v: lax.bitcast_convert_type(v, np.uint32))(np.float32(-0.0)).shape == ()


# ---- scatters and top-k ----------------------------------------------------------------------------

DN = ((), (0,), (0,))


@needs_jax
def test_scatter_sub_apply_match_jax():
    op = np.arange(5, dtype=np.float32)
    idx, up = np.array([[1], [3], [1], [7]]), np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    dn, rdn = lax.ScatterDimensionNumbers(*DN), real_jax.lax.ScatterDimensionNumbers(*DN)
    assert_close(lax.scatter_sub(op, idx, up, dn), real_jax.lax.scatter_sub(op, idx, up, rdn))
    u8 = np.array([1, 2, 3], np.uint8)
    assert_close(lax.scatter_sub(u8, idx[:2], u8[:2], dn), real_jax.lax.scatter_sub(u8, idx[:2], u8[:2], rdn))
    g = jax.grad(lambda o, u: lax.scatter_sub(o, idx, u, dn, mode="drop").sum(), (0, 1))(op, up)
    assert_close(g, (np.ones(5, np.float32), np.array([-1, -1, -1, 0], np.float32)))
    idx = idx[:3]
    want = real_jax.lax.scatter_apply(op, idx, real_jax.numpy.sin, rdn, update_shape=(3,))
    assert_close(lax.scatter_apply(op, idx, jax.numpy.sin, dn, update_shape=(3,)), want)
    assert_close(jax.jit(lambda o: lax.scatter_apply(o, idx, jax.numpy.sin, dn, update_shape=(3,)))(op), want)


@needs_jax
def test_approx_top_k_match_jax(rng):
    x = rng.standard_normal((4, 7)).astype(np.float32)
    x[0, 3] = x[0, 5]  # a tie: the lower index comes first
    for name in ("approx_max_k", "approx_min_k"):
        for k, dim in ((3, -1), (2, 0)):
            want = getattr(real_jax.lax, name)(x, k, reduction_dimension=dim, recall_target=0.9)
            got = getattr(lax, name)(x, k, reduction_dimension=dim, recall_target=0.9)
            assert isinstance(got, list)
            assert_close(got, want, rtol=0, atol=0)
    g = jax.grad(lambda v: lax.approx_max_k(v, 2)[0].sum())(x)
    assert_close(g, real_jax.grad(lambda v: real_jax.lax.approx_max_k(v, 2)[0].sum())(x))
    assert_close(jax.vmap(lambda v: lax.approx_min_k(v, 2)[1])(x), real_jax.lax.approx_min_k(x, 2)[1])
    with pytest.raises(ValueError):
        lax.approx_max_k(np.arange(3), 1)


# ---- ragged_dot ------------------------------------------------------------------------------------

RAGGED = [  # lhs shape, rhs shape, (dot dimension numbers, lhs ragged dims, rhs group dims), group sizes
    ((6, 2), (3, 2, 4), ((((1,), (1,)), ((), ())), (0,), (0,)), [1, 3, 2]),
    ((2, 6), (6, 3), ((((1,), (0,)), ((), ())), (1,), ()), [1, 3, 2]),
    ((2, 2, 6), (2, 6, 3), ((((2,), (1,)), ((0,), (0,))), (2,), ()), [2, 0, 3]),
    ((2, 6, 2), (2, 3, 2, 3), ((((2,), (2,)), ((0,), (0,))), (1,), (1,)), [[1, 3, 2], [2, 2, 1]]),
]


@needs_jax
@pytest.mark.parametrize("case", RAGGED, ids=["rows", "contracting", "contracting_batched", "rows_batched"])
def test_ragged_dot_general_matches_jax(case, rng):
    ls, rs, dn, gs = case
    lhs, rhs = rng.standard_normal(ls).astype(np.float32), rng.standard_normal(rs).astype(np.float32)
    gs = np.array(gs, np.int32)
    ours = lambda a, b: lax.ragged_dot_general(a, b, gs, lax.RaggedDotDimensionNumbers(*dn))  # noqa: E731
    theirs = lambda a, b: real_jax.lax.ragged_dot_general(  # noqa: E731
        a, b, gs, real_jax.lax.RaggedDotDimensionNumbers(*dn))
    assert_close(jax.jit(ours)(lhs, rhs), theirs(lhs, rhs), rtol=1e-5, atol=1e-5)
    loss = lambda a, b: (ours(a, b) ** 2).sum()  # noqa: E731
    gl, gr = jax.grad(loss, (0, 1))(lhs, rhs)
    try:
        want = real_jax.grad(lambda a, b: (theirs(a, b) ** 2).sum(), (0, 1))(lhs, rhs)
    except NotImplementedError:  # JAX has no gradient for ragged contraction: a directional check instead
        d = rng.standard_normal(ls).astype(np.float32)
        eps = 0.5  # the loss is quadratic in lhs: central differences are exact
        fd = (float(loss(lhs + eps * d, rhs)) - float(loss(lhs - eps * d, rhs))) / (2 * eps)
        np.testing.assert_allclose(float((np.asarray(gl) * d).sum()), fd, rtol=1e-3)
        return
    assert_close((gl, gr), want, rtol=1e-4, atol=1e-4)


def test_ragged_dot_vmap_and_kernels(rng):
    lhs, rhs = rng.standard_normal((6, 2)).astype(np.float32), rng.standard_normal((3, 2, 4)).astype(np.float32)
    gs = np.array([[1, 3, 2], [0, 2, 2]], np.int32)
    want = [np.concatenate([lhs[s:e] @ rhs[g] for g, (s, e) in enumerate(zip(np.cumsum(r) - r, np.cumsum(r)))]
                           + [np.zeros((6 - r.sum(), 4), np.float32)]) for r in gs]
    f = jax.vmap(lambda g: lax.ragged_dot(lhs, rhs, g))
    assert_close(f(gs), np.stack(want), rtol=1e-5, atol=1e-5)
    for dev in KERNEL_DEVICES:
        got = _no_fallback(dev, jax.jit(lambda a, b, g: lax.ragged_dot(a, b, g)), lhs, rhs, gs[0])
        assert_close(got, want[0], rtol=1e-5, atol=1e-5)
    with pytest.raises(TypeError):
        lax.ragged_dot(lhs, rhs, np.array([1, 2], np.int32).reshape(1, 2, 1))


# ---- local convolution -----------------------------------------------------------------------------


@needs_jax
@pytest.mark.parametrize("dn", [None, ("NHWC", "HWIO", "NHWC")])
def test_conv_general_dilated_local_matches_jax(dn, rng):
    xs = (2, 3, 6, 5) if dn is None else (2, 6, 5, 3)
    spec = real_jax.lax.conv_dimension_numbers(xs, (1, 1, 2, 2), dn)
    out_sp = (3, 4)  # 'VALID' with strides (2, 1) on 6 x 5, filter 2 x 2
    ws = [0] * 4
    ws[spec.rhs_spec[0]], ws[spec.rhs_spec[1]] = 4, 3 * 4
    ws[spec.rhs_spec[2]], ws[spec.rhs_spec[3]] = out_sp
    x, w = rng.standard_normal(xs).astype(np.float32), rng.standard_normal(ws).astype(np.float32)

    def ours(a, b):
        return lax.conv_general_dilated_local(a, b, (2, 1), "VALID", (2, 2), dimension_numbers=dn)
    want = real_jax.lax.conv_general_dilated_local(x, w, (2, 1), "VALID", (2, 2), dimension_numbers=dn)
    assert_close(ours(x, w), want, rtol=1e-5, atol=1e-5)
    g = jax.grad(lambda b: ours(x, b).sum())(w)
    assert_close(g, real_jax.grad(lambda b: real_jax.lax.conv_general_dilated_local(
        x, b, (2, 1), "VALID", (2, 2), dimension_numbers=dn).sum())(w), rtol=1e-5, atol=1e-5)


# ---- rng_bit_generator -----------------------------------------------------------------------------

KEY = np.array([5, 7, 11, 13], np.uint32)


def test_rng_bit_generator_recorded():
    # JAX 0.10.2 CPU, algorithm=RNG_THREE_FRY.
    new, bits = lax.rng_bit_generator(KEY, (3,), algorithm=lax.RandomAlgorithm.RNG_THREE_FRY)
    np.testing.assert_array_equal(new, np.array([5, 7, 13, 13], np.uint32))
    np.testing.assert_array_equal(bits, np.array([2947792188, 1985609882, 1426512643], np.uint32))
    new, bits = lax.rng_bit_generator(KEY, (2, 3), np.uint8, lax.RandomAlgorithm.RNG_THREE_FRY)
    np.testing.assert_array_equal(bits, np.array([[60, 3, 156], [154, 53, 10]], np.uint8))
    new, _ = lax.rng_bit_generator(np.array([5, 7, 0xFFFFFFFF, 13], np.uint32), (4,), algorithm=1)
    np.testing.assert_array_equal(new, [5, 7, 1, 14])
    with pytest.raises(TypeError):
        lax.rng_bit_generator(KEY, (3,), np.int32)
    _, bits = lax.rng_bit_generator(KEY, (3,), algorithm=lax.RandomAlgorithm.RNG_PHILOX)  # JAX 0.10.2 CPU
    np.testing.assert_array_equal(bits, np.array([2007723947, 2333430289, 3560036566], np.uint32))
    with pytest.raises(NotImplementedError):
        lax.rng_uniform(0.0, 1.0, (3,))


@needs_jax
@pytest.mark.parametrize("shape,dt", [((), np.uint32), ((0,), np.uint32), ((3, 5), np.uint16), ((4, 3), np.uint32),
                                      ((2, 3, 3), np.uint32)])
def test_rng_bit_generator_matches_jax(shape, dt):
    alg = real_jax.lax.RandomAlgorithm.RNG_THREE_FRY
    want = real_jax.lax.rng_bit_generator(KEY, shape, dt, alg)
    assert_close(jax.jit(lambda k: lax.rng_bit_generator(k, shape, dt, lax.RandomAlgorithm.RNG_THREE_FRY))(KEY),
                 want, rtol=0, atol=0)


def test_rng_bit_generator_kernels():
    f = jax.jit(lambda k: lax.rng_bit_generator(k, (4, 5), algorithm=lax.RandomAlgorithm.RNG_THREE_FRY))
    for dev in KERNEL_DEVICES:
        assert_close(_no_fallback(dev, f, KEY), f(KEY), rtol=0, atol=0)
    keys = np.stack([KEY, KEY + 1])
    batched = jax.vmap(lambda k: lax.rng_bit_generator(k, (3,), algorithm=1)[1])(keys)
    # As JAX's batching rule: the first key draws the bits of the whole batch.
    assert_close(batched, lax.rng_bit_generator(KEY, (2, 3), algorithm=1)[1], rtol=0, atol=0)


# ---- scaled_dot, tokens, staging -------------------------------------------------------------------


@needs_jax
def test_scaled_dot_matches_jax(rng):
    lhs, rhs = rng.random((2, 4, 8)).astype(np.float32), rng.random((2, 8, 3)).astype(np.float32)
    ls, rs = rng.random((2, 4, 2)).astype(np.float32), rng.random((2, 2, 3)).astype(np.float32)
    for pet in (None, np.float32):
        want = real_jax.lax.scaled_dot(lhs, rhs, lhs_scale=ls, rhs_scale=rs, preferred_element_type=pet)
        got = lax.scaled_dot(lhs, rhs, lhs_scale=ls, rhs_scale=rs, preferred_element_type=pet)
        assert got.dtype == want.dtype
        np.testing.assert_allclose(np.asarray(got, np.float32), np.asarray(want, np.float32), rtol=1e-6)
    assert_close(lax.scaled_dot(lhs[0], rhs[0]).astype(np.float32),
                 np.asarray(real_jax.lax.scaled_dot(lhs[0], rhs[0])).astype(np.float32))


def test_tokens_and_staging():
    tok = lax.after_all(lax.create_token(), lax.create_token(1.0))
    assert jax.tree_util.tree_leaves(tok) == [tok]  # a leaf of its own type, as JAX's
    out = jax.jit(lambda x, t: (x * 2, lax.after_all(t)))(1.0, tok)
    assert float(out[0]) == 2.0 and type(out[1]) is type(tok)
    with pytest.raises(TypeError, match="tokens"):
        lax.after_all(np.ones(2))
    assert lax.dce_sink(np.ones(2)) is None
    s = lax.shape_as_value((2, 3))
    assert s.dtype == np.int32 and s.tolist() == [2, 3] and lax.shape_as_value(()).shape == (0,)
    assert_close(jax.jit(lambda x: lax.stage(np.ones(2, np.float32)) + x)(1.0), np.full(2, 2.0, np.float32))
    assert isinstance(lax.stage(np.float32(1)), jax.Array)
    assert lax.Tolerance(atol=1e-3).atol == 1e-3
    with pytest.raises(ValueError):
        lax.Tolerance()
    with pytest.raises(ValueError):
        lax.Tolerance(rtol=-1.0)
    assert lax.AccuracyMode.HIGHEST.value == 1


def test_scatter_apply_repeats_and_vmap():
    op = np.array([0.5, 1.0, 2.0, 3.0], np.float32)
    idx, dn = np.array([[1], [3], [1], [9]]), lax.ScatterDimensionNumbers(*DN)
    f = lambda o: lax.scatter_apply(o, idx, lambda v: v * 2 + 1, dn, update_shape=(4,), mode="drop")  # noqa: E731
    want = np.array([0.5, 7.0, 2.0, 7.0], np.float32)  # applied once per update: twice at index 1
    assert_close(jax.jit(f)(op), want)
    assert_close(jax.vmap(f)(np.stack([op, op + 1])), np.stack([want, np.array([1.5, 11, 3, 9], np.float32)]))
