"""complex64 as native kernels on the webgpu device (kernel/complex.py's float pairs rendered as WGSL):
every elementwise complex primitive, reductions and contractions run on the GPU with no host
fallback, eager and fused under jit, with JAX's special values. The GPU exists only inside Pyodide
with WebGPU (tools/pyodide_suite.py webgpu); there the wasm device, which tests/test_wasm_complex.py
checks against JAX, is the reference, with JAX's recorded values. The WGSL the renderer writes for
literal special values is checked everywhere (no GPU needed)."""

import re

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import lax
from jaxlite._src.backends.webgpu import render
from jaxlite._src.backends.webgpu.device import expand_math
from jaxlite._src.kernel import complex as kcomplex
from jaxlite._src.kernel import fusion, ir, legalize
from complex_cases import DEN, EDGE, NUM, RECORDED, UNARY


GPUS = [d for d in jax.devices() if d.platform == "webgpu"]
GPU = GPUS[0] if GPUS else None
WASM = jax.devices("wasm")[0]
needs_gpu = pytest.mark.skipif(GPU is None, reason="no webgpu device here (Pyodide with WebGPU only)")
F32, C64 = np.dtype(np.float32), np.dtype(np.complex64)
inf, nan = np.inf, np.nan

# Functions that take sin or cos of a part (or square it) skip the huge finite values here: this file
# checks the pair rules in WGSL, not the float32 range reduction of sin/cos at 1e30.
TRIG = {"exp", "tanh", "tan", "sin", "cos", "sinh", "cosh", "expm1", "exp2", "square"}
EDGE_TRIG = EDGE[~(np.isfinite(EDGE) & (np.abs(EDGE) > 1e20))]


@pytest.fixture(autouse=True)
def no_host_fallback():
    if GPU is None:
        yield
        return
    GPU.host_fallbacks.clear()
    yield
    assert not GPU.host_fallbacks, dict(GPU.host_fallbacks)


def on(dev, *xs):
    return [jax.device_put(np.asarray(x), dev) for x in xs]


def check(f, *args, rtol=2e-5, atol=1e-30):
    """f on the GPU, eagerly and under jit, against f on wasm: dtypes, and values with the
    infinities and NaNs at the same places (real and imaginary parts alike)."""
    want = jax.tree_util.tree_leaves(f(*on(WASM, *args)))
    got = [f(*on(GPU, *args)), jax.jit(f)(*on(GPU, *args))]
    for out in got:
        for g, w in zip(jax.tree_util.tree_leaves(out), want, strict=True):
            assert g.device == GPU and g.dtype == w.dtype and g.shape == w.shape, (g.device, g.dtype, w.dtype)
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=rtol, atol=atol)
    return got


# ---- the WGSL of literal special values (no GPU needed) ------------------------------------------------


def _wgsl(*outs, ins=(F32,)):
    kernel = legalize.kernel(expand_math(ir.Kernel("k", tuple(ins), tuple(outs))))
    return render.render_map(kernel)


def test_constant_divisions_fold_to_literals():
    """A complex mean divides by the constant (n + 0i): Smith's division then has `n / 0.0`,
    which WGSL rejects as a constant expression. The renderer folds literal arithmetic itself."""
    i = ir.Index(ir.I32)
    z = ir.Load(C64, 0, i)
    (e,), _ = kcomplex.realify((ir.Binary(C64, "div", z, ir.Const(C64, 24.0)),))
    text = _wgsl(e)
    assert "/ 0.0f" not in text and "24.0f * jl_inf()" not in text
    three, zero = ir.Const(F32, 3.0), ir.Const(F32, 0.0)
    text = _wgsl(ir.Load(F32, 0, i) * (three / zero) + (three * ir.Const(F32, 3e38)) - (zero / zero))
    assert not re.search(r"\(-?[0-9.e+]+f [-+*/] -?[0-9.e+]+f\)", text), text  # no literal arithmetic left
    assert "jl_inf()" in text and "jl_nan()" in text


def test_products_with_literal_zero_and_infinity_are_ieee():
    """x * 0.0 is NaN for infinite x (compilers assuming no NaN fold it to 0.0): it and the other
    literal cases are spelled out on the bits; plain kernels stay plain."""
    x = ir.Load(F32, 0, ir.Index(ir.I32))
    zero, nzero, inf = ir.Const(F32, 0.0), ir.Const(F32, -0.0), ir.Const(F32, np.inf)
    zero_times = "let t2 = select(bitcast<f32>((bitcast<u32>(t1) & 0x80000000u)), jl_nan(), "
    assert zero_times in _wgsl(x * zero) and zero_times in _wgsl(zero * x) and zero_times in _wgsl(x / inf)
    assert "let t2 = select(bitcast<f32>((~bitcast<u32>(t1) & 0x80000000u)), jl_nan()" in _wgsl(x * nzero)
    assert "let t2 = select(bitcast<f32>((bitcast<u32>(t1) & 0x80000000u) | 0x7f800000u)" in _wgsl(x * inf)
    assert "let t2 = select(bitcast<f32>((~bitcast<u32>(t1) & 0x80000000u) | 0x7f800000u)" in _wgsl(x / nzero)
    assert "(bitcast<u32>(t2) == 0x7f800000u)" in _wgsl(ir.Unary(F32, "abs", x).eq(np.inf))
    plain = _wgsl(x * ir.Const(F32, 2.5) + x / ir.Const(F32, 3.0))
    assert "jl_" not in plain and "(t1 * 2.5f)" in plain and "(t1 / 3.0f)" in plain


def test_comparisons_with_infinity_on_the_bits():
    x = ir.Load(F32, 0, ir.Index(ir.I32))
    inf = np.inf
    cases = {x.lt(inf): "(!jl_isnan(t1) && !(bitcast<u32>(t1) == 0x7f800000u))", x.le(inf): "!jl_isnan(t1)",
             x.gt(inf): "false", x.ge(-inf): "!jl_isnan(t1)", x.le(-inf): "(bitcast<u32>(t1) == 0xff800000u)",
             ir.Const(F32, inf).gt(x): "(!jl_isnan(t1) && !(bitcast<u32>(t1) == 0x7f800000u))",
             x.ne(-inf): "!(bitcast<u32>(t1) == 0xff800000u)"}
    for e, want in cases.items():
        assert f"let t2 = {want};" in _wgsl(e.cast(F32)), (e, _wgsl(e.cast(F32)))


# ---- elementwise, with the special values ------------------------------------------------------------


def crandn(rng, *shape, scale=1.0):
    return ((rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) * scale).astype(np.complex64)


def _moderate(rng):
    z = crandn(rng, 24, scale=2)
    z[:4] = [0, 1j, -1, 1e-4 - 2e-4j]
    return z


@needs_gpu
@pytest.mark.parametrize("name", UNARY)
def test_unary_edge_values_match_wasm(name):
    check(getattr(jnp, name), EDGE_TRIG if name in TRIG else EDGE)


@needs_gpu
@pytest.mark.parametrize("name", ["sqrt", "divide"])
def test_special_values_recorded_from_jax(name):
    args = (NUM, DEN) if name == "divide" else (EDGE,)
    want = np.array([complex(re, im) for re, im in RECORDED[name]], np.complex64)
    for got in check(getattr(jnp, name), *args):
        np.testing.assert_allclose(np.asarray(got), want, rtol=2e-5, atol=1e-30)


@needs_gpu
@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "equal", "not_equal", "power"])
def test_binary_edge_values_match_wasm(name):
    a, b = (NUM, DEN) if name != "power" else (EDGE[:10], np.complex64(0.5 + 0.5j))
    check(getattr(jnp, name), a, b)
    if name == "multiply":
        check(jnp.multiply, EDGE, EDGE[::-1])


@needs_gpu
def test_lax_unary_integer_pow_and_power_of_zero():
    rng = np.random.default_rng(1)
    z = np.concatenate([crandn(rng, 6, scale=3), EDGE[[2, 3, 4, 6, 10, 12]]])
    for f in (lax.rsqrt, lax.sign, lax.neg, lax.sqrt, lax.square, lambda v: lax.integer_pow(v, 3),
              lambda v: lax.integer_pow(v, -2)):
        check(f, z, rtol=3e-5, atol=1e-6)
    check(jnp.power, np.zeros(6, np.complex64), np.array([0, 1, 1 + 1j, -1, 1j, 2.5], np.complex64))


@needs_gpu
@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "tanh", "sin", "cos", "expm1", "log1p", "angle", "abs"])
def test_unary_against_numpy(name):
    """Finite values against numpy in complex128: the GPU runs the float32 expansions."""
    z = _moderate(np.random.default_rng(15))
    want = getattr(np, name)(z.astype(np.complex128))
    for got in check(getattr(jnp, name), z, rtol=1e-5, atol=1e-6):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6)


@needs_gpu
def test_mixed_promotion_and_conversions():
    rng = np.random.default_rng(3)
    z, x = crandn(rng, 3, 4), rng.standard_normal((3, 4)).astype(np.float32)
    i = rng.integers(-5, 5, (4,)).astype(np.int32)
    for f in [lambda z, x, i: x * z - 2.5 * z / x + i, lambda z, x, i: jnp.exp(1j * x) * z + (z * 1j + 1),
              lambda z, x, i: x / z, lambda z, x, i: (z.astype(bool), lax.complex(x, 2 * x), i.astype(jnp.complex64))]:
        check(f, z, x, i, rtol=1e-5, atol=1e-6)


# ---- fusion, views, reductions, contractions -----------------------------------------------------------


@needs_gpu
def test_fused_chain_is_one_kernel_with_views():
    rng = np.random.default_rng(5)
    x, z, w = rng.standard_normal((4, 6)).astype(np.float32), crandn(rng, 4, 6), crandn(rng, 6, 4)

    def f(x, z, w):
        return jnp.exp(1j * x) * z + jnp.conj(w.T[::-1]) / (1 + z * z)
    check(f, x, z, w, rtol=1e-5, atol=1e-6)
    plan = fusion.Plan(GPU, jax.make_jaxpr(f)(*on(GPU, x, z, w)))
    assert [s.kind for s in plan.steps] == ["kernel"]
    idx = np.array([2, 0, 1, 2], np.int32)
    check(lambda z, w: (jnp.pad(z, ((1, 0), (0, 2))), z[idx], jnp.concatenate([z, w.T], 1) + 1j), z, w)
    for got in check(lambda v: v * (2 - 1j) + 3, np.complex64(1 + 2j)):
        assert got.shape == ()
    for got in check(lambda v: jnp.exp(v) * v, np.zeros((0, 3), np.complex64)):
        assert got.shape == (0, 3)


@needs_gpu
@pytest.mark.parametrize("axis", [None, (0, 2)])
def test_sum_mean_prod(axis):
    """The mean divides by a constant (Smith's division by n + 0i): the WGSL must compile."""
    z = crandn(np.random.default_rng(7), 3, 4, 5)
    for f, ref in [(jnp.sum, np.sum), (jnp.mean, np.mean), (jnp.prod, np.prod)]:
        for got in check(lambda v: f(v, axis=axis), z, rtol=2e-5, atol=1e-5):
            np.testing.assert_allclose(np.asarray(got), ref(z.astype(np.complex128), axis=axis), rtol=2e-5, atol=1e-5)


@needs_gpu
@pytest.mark.parametrize("shapes", [((2, 3, 4), (2, 4, 3)), ((6,), (6,))])
def test_dot_and_matmul(shapes):
    rng = np.random.default_rng(9)
    a, b = crandn(rng, *shapes[0]), crandn(rng, *shapes[1])
    x = rng.standard_normal(shapes[1]).astype(np.float32)
    for rhs in (b, x):
        for got in check(jnp.matmul, a, rhs, rtol=1e-5, atol=1e-5):
            np.testing.assert_allclose(np.asarray(got), np.matmul(a.astype(np.complex128), rhs), rtol=1e-5, atol=1e-5)


@needs_gpu
def test_what_stays_on_the_host_is_correct_and_counted():
    """Complex products over more than kernel/complex.py's UNROLL elements, cumulative sums and
    scatters have no pair kernel: they run on the host, counted, and stay correct."""
    rng = np.random.default_rng(8)
    z = np.exp(1j * rng.uniform(0, 6, 200)).astype(np.complex64)
    idx = np.array([1, 4, 1, 7, 0], np.int32)
    for f, want in [(jnp.prod, np.prod(z.astype(np.complex128))), (lambda v: jnp.cumsum(v[:10] * 2), np.cumsum(z[:10] * 2)),
                    (lambda v: v[:6].at[idx].add(v[6:11]), None)]:
        if want is None:
            want = z[:6].copy()
            np.add.at(want, idx[idx < 6], z[6:11][idx < 6])
        for got in check(f, z, rtol=1e-4, atol=1e-5):
            np.testing.assert_allclose(np.asarray(got), want, rtol=1e-4, atol=1e-5)
    assert set(GPU.host_fallbacks) <= {"reduce_prod", "cumsum", "scatter-add"}
    GPU.host_fallbacks.clear()


# ---- transformations -------------------------------------------------------------------------------


def _loss(z, x):
    w = jnp.exp(1j * x) * z + jnp.conj(z) / (1 + z * z)
    return jnp.sum(jnp.abs(w) ** 2 + jnp.real(jnp.log(w) * z))


@needs_gpu
def test_grad_vmap_jvp_match_wasm():
    rng = np.random.default_rng(11)
    z, x, t = crandn(rng, 6), rng.standard_normal(6).astype(np.float32), crandn(rng, 6)
    g = jax.jit(jax.grad(_loss, argnums=(0, 1)))  # (eagerly: the same kernels, one op at a time)
    want = g(*on(WASM, z, x))
    for got in (g(*on(GPU, z, x)),):
        for a, b in zip(got, want):
            assert a.device == GPU and a.dtype == b.dtype
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5)
    zs = crandn(rng, 5, 3)

    def f(z, w):
        return jnp.sum(jnp.log(z) * w) / jnp.sqrt(z[0])
    check(lambda zs, w: jax.vmap(f, in_axes=(0, None))(zs, w), zs, zs[0], rtol=1e-5, atol=1e-6)
    check(lambda z, t: jax.jvp(lambda v: jnp.exp(v) * v, (z,), (t,))[1], z, t, rtol=1e-5, atol=1e-6)


@needs_gpu
def test_complex128_stays_off_the_gpu():
    """WGSL has no float64: complex128 arrays raise as before, complex64 work."""
    with jax.enable_x64(True):
        with pytest.raises(TypeError, match="complex128"):
            jax.device_put(np.ones(3, np.complex128), GPU)
