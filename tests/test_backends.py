"""Every kernel-compiling device (wasm: wasmtime here, the browser's engine in Pyodide; webgpu:
inside Pyodide after `jaxlite.init()`) against the cpu reference: each lowered primitive and
dtype, the fused jit patterns (one planner serves both devices), random expression graphs."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import lax
from backend_util import KERNEL_DEVICES, last_plan, on, same, sample

if not KERNEL_DEVICES:
    pytest.skip("no kernel-compiling device here", allow_module_level=True)


@pytest.fixture(params=KERNEL_DEVICES, ids=lambda d: d.platform)
def dev(request):
    return request.param


def _holds(dev, *dtypes):
    for dt in dtypes:
        if not getattr(dev, "holds", lambda _: True)(np.dtype(dt)):
            pytest.skip(f"{dev.platform} has no {np.dtype(dt).name}")


FLOATS, INTS = [np.float32, np.float64], [np.int32, np.uint32, np.int8, np.uint8, np.int16]
UNARY = {"neg": lax.neg, "abs": lax.abs, "sqrt": lax.sqrt, "floor": lax.floor, "ceil": lax.ceil,
         "round_even": lambda x: lax.round(x, 1), "round_away": lambda x: lax.round(x, 0), "sign": lax.sign,
         "is_finite": lax.is_finite, "square": lax.square, "cube": lambda x: lax.integer_pow(x, 3),
         "recip": lambda x: lax.integer_pow(x, -2)}
BINARY = {"add": lax.add, "sub": lax.sub, "mul": lax.mul, "div": lax.div, "max": lax.max, "min": lax.min,
          "eq": lax.eq, "ne": lax.ne, "lt": lax.lt, "le": lax.le, "gt": lax.gt, "ge": lax.ge}
INT_BINARY = {"rem": lax.rem, "and": lax.bitwise_and, "or": lax.bitwise_or, "xor": lax.bitwise_xor,
              "shl": lax.shift_left, "shr_a": lax.shift_right_arithmetic, "shr_l": lax.shift_right_logical}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_float_unary(dev, name, dtype, rng):
    _holds(dev, dtype)
    same(dev, UNARY[name], sample(dtype, rng))


@pytest.mark.parametrize("dtype", FLOATS + INTS)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary(dev, name, dtype, rng):
    _holds(dev, dtype)
    a, b = sample(dtype, rng), sample(dtype, rng)
    if np.dtype(dtype).kind in "iu" and name == "div":
        b.flat[5] = 0  # XLA: x / 0 = -1, and INT_MIN / -1 wraps, never a trap
        if np.dtype(dtype).kind == "i":
            b.flat[0] = -1
    if np.dtype(dtype).kind == "f":
        b.flat[4:8] = a.flat[4:8]  # equal operands
        b.flat[8] = np.nan
    with np.errstate(all="ignore"):
        same(dev, BINARY[name], a, b)


def test_nan_tests_are_not_folded(dev, rng):
    x = sample(np.float32, rng)
    same(dev, lambda v: (v != v, v == v, v <= v, v >= v, v < v, jnp.isnan(v), jnp.nan_to_num(v)), x)
    same(dev, jax.jit(lambda v: jnp.where(jnp.isnan(v), 0.0, v) + (v > 0)), x)


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("name", sorted(INT_BINARY))
def test_integer_binary(dev, name, dtype, rng):
    a, b = sample(dtype, rng), sample(dtype, rng)
    if name.startswith("sh"):
        b = np.abs(b.astype(np.int64) % 40).astype(dtype)  # includes shifts >= the bit width
    if name == "rem":
        b.flat[5] = 0
    same(dev, INT_BINARY[name], a, b)


def test_float_rem_is_exact(dev, rng):
    a = (rng.standard_normal(64) * 1e4).astype(np.float32)
    b = (rng.standard_normal(64) * 3).astype(np.float32)
    a[:6], b[:6] = [5.5, -5.5, 0.0, np.inf, 1e30, 7.0], [2.0, 2.0, 3.0, 2.0, 3.0, 0.0]
    with np.errstate(all="ignore"):
        same(dev, lax.rem, a, b, rtol=0, atol=0)


@pytest.mark.parametrize("src", [np.float32, np.float64, np.int32, np.uint32, np.int8, np.uint8, np.bool_])
@pytest.mark.parametrize("dst", [np.float32, np.float64, np.int32, np.uint32, np.int8, np.uint8, np.int16, np.bool_])
def test_convert_element_type(dev, src, dst, rng):
    _holds(dev, src, dst)
    x = sample(src, rng)
    if np.dtype(src).kind == "f":
        x.flat[4:8] = [1e10, -1e10, 300.7, -129.5]  # saturation
    with np.errstate(all="ignore"):
        same(dev, lambda v: lax.convert_element_type(v, dst), x)


def test_views_reductions_and_contractions(dev, rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    w = rng.standard_normal((4, 5)).astype(np.float32)
    same(dev, lambda v: lax.transpose(v, (2, 0, 1)), x)
    same(dev, lambda v: lax.broadcast_in_dim(v[0, :, 0], (2, 3, 5), (1,)), x)
    same(dev, lambda v: lax.slice(v, (0, 1, 0), (2, 3, 4), (1, 1, 3)), x)
    same(dev, lambda v: lax.rev(v, (0, 2)), x)
    same(dev, lambda v: lax.concatenate([v, v * 2, v[:, :1]], 1), x)
    same(dev, lambda v: lax.broadcasted_iota(np.int32, (3, 4), 1) + v[0].astype(np.int32), x)
    for op in (lax.reduce_sum, lax.reduce_max, lax.reduce_min, lax.reduce_prod):
        same(dev, lambda v: op(v, (0, 2)), x, rtol=1e-5)
    same(dev, lambda v: lax.reduce_and(v > 0, (1,)), x)
    same(dev, lambda v: (lax.reduce_or(v > 1, (0, 2)), lax.reduce_max(v > 1, (1,))), x)
    same(dev, lambda v: lax.reduce_max((v * 10).astype(np.int8), (2,)), x)
    same(dev, lambda a, b: a @ b, x, w, rtol=1e-5, atol=1e-5)
    same(dev, lambda a: lax.dot_general(a, a, (((2,), (2,)), ((0,), (0,)))), x, rtol=1e-5, atol=1e-5)
    same(dev, lambda a: (a * 10).astype(np.int32) @ (a * 10).astype(np.int32)[0].T, x)
    same(dev, lambda v: jnp.where(v > 0, v, v * 0.1)[::-1, 1:], x)


@pytest.mark.parametrize("shape,axes", [((5000,), (0,)), ((3, 70000), (1,)), ((70000, 3), (0,)),
                                        ((300, 513), (1,)), ((513, 300), (0,)), ((4, 1 << 16), (0, 1))])
def test_reductions_of_every_layout(dev, shape, axes, rng):
    """Long and short axes, contiguous and strided: each backend picks its loop shape."""
    x = rng.standard_normal(shape).astype(np.float32)
    exact = x.astype(np.float64).sum(axes)
    got = np.asarray(jax.jit(lambda v: jnp.sum(v, axes))(*on(dev, x)))
    np.testing.assert_allclose(got, exact, rtol=2e-5, atol=1e-3 * np.sqrt(x.size / max(exact.size, 1)))
    same(dev, lambda v: (jnp.max(v, axes), jnp.min(v * 2, axes), jnp.any(v > 3.5, axes)), x)
    same(dev, lambda v: jnp.sum((v * 100).astype(jnp.int32), axes), x)


def test_host_fallback_for_unlowered_primitives(dev, rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    same(dev, jnp.exp, x, rtol=2e-6)
    same(dev, lambda v: jnp.cumsum(v, 1), x, rtol=1e-5)
    same(dev, lambda v: jnp.sort(v, 0), x)


def test_jit_fuses_elementwise_chains_and_reductions(dev, rng):
    x, y = rng.standard_normal((2, 64)).astype(np.float32)
    hypot = lambda a, b: jnp.sqrt(a * a + b * b)  # noqa: E731
    jf = jax.jit(hypot)
    same(dev, jf, x, y)
    assert [s.kind for s in last_plan(dev, jf).steps] == ["kernel"]  # one kernel for the whole chain
    m = rng.standard_normal((8, 16)).astype(np.float32)
    layernorm = lambda v: (v - v.mean(1, keepdims=True)) / jnp.sqrt(v.var(1, keepdims=True) + 1e-5)  # noqa: E731
    jf = jax.jit(layernorm)
    same(dev, jf, m, rtol=1e-5, atol=1e-5)
    assert len(last_plan(dev, jf).steps) <= 4  # mean, var, normalize: reductions absorb their producers
    mlp = lambda v, w, b: jnp.maximum(v @ w + b, 0)  # noqa: E731
    same(dev, jax.jit(mlp), m, rng.standard_normal((16, 4)).astype(np.float32), np.ones(4, np.float32),
         rtol=1e-5, atol=1e-5)
    def softmax(v):
        e = jnp.exp(v - v.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)
    jf = jax.jit(softmax)
    same(dev, jf, m, rtol=2e-6, atol=1e-7)
    assert len(last_plan(dev, jf).steps) == 4  # max, exp (stored once: two consumers), sum, divide


OPS = ["add", "mul", "sub", "max", "neg", "abs", "sqrt_abs", "where", "sum0", "bcast", "transpose", "take",
       "at_add", "pad", "concat", "cumsum", "argmax", "dot", "dyn_slice"]


def _random_op(op, a, b, c):
    n = a.shape[0]
    idx = jnp.abs(b.astype(jnp.int32)) % n  # data-dependent positions
    return {
        "add": lambda: a + b, "mul": lambda: a * b, "sub": lambda: a - b, "max": lambda: jnp.maximum(a, b),
        "neg": lambda: -a, "abs": lambda: jnp.abs(a), "sqrt_abs": lambda: jnp.sqrt(jnp.abs(a)).astype(a.dtype),
        "where": lambda: jnp.where(a > b, b, c), "sum0": lambda: jnp.broadcast_to(a.sum(0), a.shape),
        "bcast": lambda: jnp.broadcast_to(a[:1], a.shape), "transpose": lambda: a.T,
        "take": lambda: jnp.take_along_axis(a, idx, axis=1),
        "at_add": lambda: a.at[idx[:, 0]].add(c),
        "pad": lambda: lax.pad(a, jnp.zeros((), a.dtype), [(1, -1, 0), (0, 0, 0)]),
        "concat": lambda: jnp.concatenate([a[1:], b[:1]], 0),
        "cumsum": lambda: jnp.cumsum(a, 1),
        "argmax": lambda: jnp.broadcast_to(jnp.argmax(a, 1)[:, None], a.shape).astype(a.dtype),
        "dot": lambda: (a @ b) % 97 if a.dtype.kind == "i" else a @ b * 0.1,
        "dyn_slice": lambda: jnp.broadcast_to(lax.dynamic_slice(a, (idx[0, 0], jnp.int32(0)), (1, n)), a.shape),
    }[op]()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 10), st.integers(0, 10), st.integers(0, 10)),
                min_size=1, max_size=12), st.sampled_from([np.float32, np.int32]), st.sampled_from(KERNEL_DEVICES))
def test_random_expression_graphs_match_cpu(program, dtype, device):
    rng = np.random.default_rng(len(program))
    inputs = [sample(dtype, rng, (3, 3)) for _ in range(3)]
    if np.dtype(dtype).kind == "f":
        inputs = [np.nan_to_num(i, nan=1.0, posinf=2.0, neginf=-2.0) for i in inputs]
    else:
        inputs = [i % 50 for i in inputs]  # keep products and sums of products exact

    def fn(*xs):
        vals = list(xs)
        for op, i, j, k in program:
            vals.append(_random_op(op, vals[i % len(vals)], vals[j % len(vals)], vals[k % len(vals)]))
        return vals[-1]

    with np.errstate(all="ignore"):
        same(device, jax.jit(fn), *inputs, rtol=1e-4, atol=1e-4)
        same(device, fn, *inputs, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shapes,dn", [
    (((7, 13), (13, 9)), (((1,), (0,)), ((), ()))),          # plain, with edge rows/columns
    (((13, 7), (9, 13)), (((0,), (1,)), ((), ()))),          # both operands transposed
    (((3, 5, 6), (3, 6, 8)), (((2,), (1,)), ((0,), (0,)))),  # batched
    (((4, 2, 3, 5), (5, 4, 2)), (((3,), (0,)), ((0,), (1,)))),  # batch dim not leading, 2 free lhs dims
    (((1, 1), (1, 1)), (((1,), (0,)), ((), ()))),
    (((130, 67), (67, 200)), (((1,), (0,)), ((), ()))),     # several tiles, ragged edges
    (((4, 0), (0, 3)), (((1,), (0,)), ((), ()))),           # K = 0: zeros
    (((0, 3), (3, 2)), (((1,), (0,)), ((), ()))),           # no rows
    (((0, 0), (0, 0)), (((1,), (0,)), ((), ()))),
])
def test_float32_dot_general_uses_the_matmul_routine(dev, shapes, dn, rng):
    a, b = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    f = lambda x, y: lax.dot_general(x, y, dn)  # noqa: E731
    same(dev, f, a, b, rtol=1e-5, atol=1e-5)  # eager
    jf = jax.jit(f)
    same(dev, jf, a, b, rtol=1e-5, atol=1e-5)
    assert "routine" in [s.kind for s in last_plan(dev, jf).steps]


def test_matmul_epilogue_fuses_into_one_kernel(dev, rng):
    x, w = rng.standard_normal((8, 16)).astype(np.float32), rng.standard_normal((16, 4)).astype(np.float32)
    jf = jax.jit(lambda x, w, b: jnp.tanh(x @ w + b))
    same(dev, jf, x, w, np.ones(4, np.float32), rtol=1e-5, atol=1e-5)
    assert [s.kind for s in last_plan(dev, jf).steps] == ["routine", "kernel"]


def test_gather_runs_as_a_kernel(dev, rng):
    from jaxlite._src.lax.slicing import gather_p
    x = rng.standard_normal((5, 6, 4)).astype(np.float32)
    idx = np.array([[0, 4], [2, -1], [7, 1]], np.int32)  # out of range: clamps (indexing) / fills (take)
    same(dev, lambda v: v[jnp.array([3, 0, 9]), 1:], x)
    same(dev, lambda v: v[:, jnp.array([[1, 5], [0, 2]])], x)
    same(dev, lambda v: v[jnp.array([0, 4]), :, jnp.array([1, 3])], x)
    same(dev, lambda v: jnp.take(v, jnp.array([1, 7, -2]), axis=1), x)
    same(dev, lambda v: jnp.take_along_axis(v, jnp.argsort(v, axis=2), axis=2), x)
    same(dev, lambda v: jax.lax.dynamic_slice(v, (idx[0, 0], 2, 1), (2, 3, 2)), x)
    same(dev, jax.vmap(lambda row, i: row[i]), x[:, :, 0], jnp.array([0, 5, 2, 3, 1]))
    same(dev, jax.jit(lambda v: v[idx[:, 0], idx[:, 1]] * 2), x)
    avals = [jax.ShapeDtypeStruct((5, 6), np.float32), jax.ShapeDtypeStruct((3, 1), np.int32)]
    assert dev.can_lower(gather_p, avals, [jax.ShapeDtypeStruct((3, 6), np.float32)])


CONVS = [
    dict(x=(2, 3, 9, 8), w=(4, 3, 3, 2), strides=(1, 1), pad="SAME", ld=None, rd=None, dn=None),
    dict(x=(2, 3, 9, 8), w=(4, 3, 3, 2), strides=(2, 1), pad=((1, 0), (2, -1)), ld=(1, 2), rd=(2, 1), dn=None),
    dict(x=(2, 9, 8, 6), w=(3, 2, 6, 5), strides=(1, 2), pad="VALID", ld=None, rd=None, dn=("NHWC", "HWIO", "NHWC")),
    dict(x=(4, 6, 7), w=(5, 6, 3), strides=(1,), pad="SAME", ld=None, rd=(2,), dn=None),
]


@pytest.mark.parametrize("case", CONVS)
def test_conv_runs_as_im2col_and_matmul(dev, case, rng):
    x = rng.standard_normal(case["x"]).astype(np.float32)
    w = rng.standard_normal(case["w"]).astype(np.float32)
    f = jax.jit(lambda a, b: lax.conv_general_dilated(a, b, case["strides"], case["pad"], case["ld"], case["rd"],
                                                      case["dn"]) * 2)
    same(dev, f, x, w, rtol=1e-4, atol=1e-4)
    assert [s.kind for s in last_plan(dev, f).steps] == ["kernel", "kernel", "routine", "kernel"]
    g = jax.jit(jax.grad(lambda a, b: jnp.sum(jnp.tanh(f(a, b))), argnums=(0, 1)))
    same(dev, g, x, w, rtol=2e-4, atol=2e-4)


def test_pad_runs_as_a_kernel(dev, rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    for cfg in ([(1, 2, 0), (0, 0, 0)], [(-1, 2, 1), (2, -1, 2)], [(0, 0, 3), (-2, -1, 0)]):
        same(dev, lambda v: lax.pad(v, np.float32(-7), cfg), x)
        same(dev, jax.jit(lambda v: lax.pad(v * 2, np.float32(0.5), cfg) + 1), x)
    same(dev, lambda v: jnp.pad(v, ((1, 1), (2, 0)), mode="edge"), x)
    same(dev, jax.jit(jax.grad(lambda v: jnp.sum(jnp.cumprod(v, axis=1) ** 2))), x, rtol=1e-4, atol=1e-4)


def _no_fallback(dev, fn, *names):
    before = {n: dev.host_fallbacks[n] for n in names}
    fn()
    after = {n: dev.host_fallbacks[n] for n in names}
    assert after == before, f"ran on the host: {after} vs {before}"


def test_dynamic_slices_are_kernels(dev, rng):
    x = rng.standard_normal((5, 6)).astype(np.float32)
    u = rng.standard_normal((2, 3)).astype(np.float32)

    def run():
        for i, j in ((0, 0), (4, 5), (-3, 2), (1, 9)):  # starts clamp so that the window fits
            same(dev, lambda v: lax.dynamic_slice(v, (jnp.int32(i), jnp.int32(j)), (2, 3)), x)
            same(dev, lambda v, w: lax.dynamic_update_slice(v, w, (jnp.int32(i), jnp.int32(j))), x, u)
        same(dev, jax.jit(lambda v, k: lax.dynamic_update_slice(v, v[:1] * 2, (k, 0))), x, np.int32(3))
    _no_fallback(dev, run, "dynamic_slice", "dynamic_update_slice")


def test_argmax_argmin_are_kernels(dev, rng):
    x = rng.integers(-3, 3, (4, 7)).astype(np.float32)  # ties: the first position wins
    x[1, 4], x[2, 2], x[2, 5] = np.nan, np.nan, -np.inf  # NaN is the extreme

    def run():
        for axis in (0, 1):
            same(dev, lambda v: (jnp.argmax(v, axis), jnp.argmin(v, axis)), x)
            same(dev, lambda v: (jnp.argmax(v.astype(jnp.int32), axis), jnp.argmin(v > 0, axis)), np.nan_to_num(x))
    _no_fallback(dev, run, "argmax", "argmin")


@pytest.mark.parametrize("groups", [(1, 1), (2, 1), (4, 1), (1, 2)])
def test_grouped_and_integer_convolutions_are_kernels(dev, groups, rng):
    fg, bg = groups
    x = rng.standard_normal((2 * bg, 4, 7, 6)).astype(np.float32)
    w = rng.standard_normal((4 * bg, 4 // fg, 3, 2)).astype(np.float32)
    f = lambda a, b: lax.conv_general_dilated(a, b, (2, 1), ((1, 1), (0, 1)), (1, 1), (1, 2),  # noqa: E731
                                              feature_group_count=fg, batch_group_count=bg)
    xi, wi = (x * 3).astype(np.int32), (w * 3).astype(np.int32)
    _no_fallback(dev, lambda: (same(dev, f, x, w, rtol=1e-5, atol=1e-5), same(dev, jax.jit(f), xi, wi)),
                 "conv_general_dilated")


def test_more_elementwise_primitives_are_kernels(dev, rng):
    k = sample(np.int32, rng)
    f = rng.standard_normal(15).astype(np.float32)

    def run():
        same(dev, lax.population_count, k)
        same(dev, lax.population_count, sample(np.int8, rng))
        same(dev, lambda v: lax.bitcast_convert_type(v, jnp.int32), f)
        same(dev, jax.jit(lambda v: jax.lax.stop_gradient(v) * 2), f)
    _no_fallback(dev, run, "population_count", "bitcast_convert_type", "stop_gradient")


MATH = {
    "pow": (lambda a, b: lax.pow(a, b), 2), "atan2": (lax.atan2, 2), "cbrt": (lax.cbrt, 1), "erf": (lax.erf, 1),
    "erfc": (lax.erfc, 1), "lgamma": (lax.lgamma, 1), "digamma": (jax.lax.digamma, 1),
}


@pytest.mark.parametrize("name", sorted(MATH))
def test_special_functions_match_cpu(dev, name, rng):
    fn, arity = MATH[name]
    a = np.concatenate([rng.standard_normal(60) * 4, rng.uniform(0, 30, 40), [0.0, -0.0, 1.0, 2.0, -1.0, -2.5,
                        np.inf, -np.inf, np.nan, 1e-30, 35.0, 0.5]]).astype(np.float32)
    b = np.concatenate([rng.standard_normal(60) * 3, np.round(rng.uniform(-5, 5, 40)), [2.0, 3.0, -1.0, 0.5, 2.0,
                        -3.0, 2.0, 3.0, 1.0, -2.0, np.inf, np.nan]]).astype(np.float32)
    args = (a, b)[:arity]
    if name in ("pow", "lgamma", "digamma"):  # their float32 error grows with the result's size
        tol = dict(rtol=2e-5, atol=1e-5)
    else:
        tol = dict(rtol=3e-6, atol=1e-6)
    with np.errstate(all="ignore"):
        same(dev, fn, *args, **tol)
    if name in dev.math_ops:
        _no_fallback(dev, lambda: fn(*on(dev, *args)), name)


@pytest.mark.parametrize("n", [1, 5, 64, 65, 1000, 5000])
def test_cumulative_ops(dev, n, rng):
    x = rng.standard_normal((3, n)).astype(np.float32)
    x[0, n // 2] = np.nan
    k = rng.integers(-3, 4, (n, 2)).astype(np.int32)

    def run():
        same(dev, lambda v: (jnp.cumsum(v, 1), lax.cummax(v, 1), lax.cummin(v, 1, reverse=True)), x,
             rtol=2e-5, atol=2e-4 * np.sqrt(n))
        same(dev, lambda v: (jnp.cumsum(v, 0), jnp.cumprod(v % 3 - 1, 0), lax.cumsum(v, 0, reverse=True)), k)
        same(dev, jax.jit(lambda v: jnp.cumprod(1 + v * 1e-3, axis=1) * 2), np.nan_to_num(x), rtol=2e-5)
    names = ("cumsum", "cumprod", "cummax", "cummin")
    _no_fallback(dev, run, *names) if dev.stages else run()


@pytest.mark.parametrize("n", [1, 2, 7, 64, 300])
def test_sort_family(dev, n, rng):
    x = rng.integers(-5, 5, (3, n)).astype(np.float32)  # many ties: stability matters
    x[0, ::7] = np.nan
    x[1, ::5] = -0.0
    y = rng.standard_normal((3, n)).astype(np.float32)

    def run():
        same(dev, lambda v: jnp.sort(v, axis=1), x)
        same(dev, lambda v: jnp.sort(v, axis=0), x)
        same(dev, lambda v, w: lax.sort((v, w), dimension=1, num_keys=1), x, y)
        same(dev, lambda v, w: lax.sort((v.astype(jnp.int32), w, v > 0), dimension=1, num_keys=2), x, y)
        same(dev, lambda v: jnp.argsort(v, axis=1), x)
        if n >= 3:
            same(dev, lambda v: lax.top_k(v, 3), np.nan_to_num(x))
    _no_fallback(dev, run, "sort") if dev.stages else run()


SCATTERS = {"set": "set", "add": "add", "mul": "multiply", "min": "min", "max": "max"}


@pytest.mark.parametrize("kind", sorted(SCATTERS))
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int8, np.uint8])
def test_scatter_family_are_kernels(dev, kind, dtype, rng):
    x = (rng.standard_normal((6, 5)) * 4).astype(dtype)
    u = (rng.standard_normal((7, 5)) * 3).astype(dtype)
    idx = np.array([0, 3, 3, 5, 9, -1, 3])  # repeats combine; out of range is dropped
    method = SCATTERS[kind]

    def run():
        if kind != "set":  # repeated indices: `set` keeps any one of the writers
            same(dev, lambda v, w, i: getattr(v.at[i], method)(w), x, u, idx, rtol=1e-5, atol=1e-5)
        same(dev, lambda v, w: getattr(v.at[1:4, 2], method)(w[:3, 0]), x, u)
        same(dev, lambda v, w: getattr(v.at[jnp.array([4, 0, 2]), ::2], method)(w[:3, :3]), x, u)
    _no_fallback(dev, run, f"scatter-{kind}" if kind != "set" else "scatter")


def test_scatter_in_jit_fuses_its_producers(dev, rng):
    x = rng.standard_normal((50, 8)).astype(np.float32)
    idx = rng.integers(0, 50, 200)
    g = rng.standard_normal((200, 8)).astype(np.float32)
    f = jax.jit(lambda v, i, w: v.at[i % 50].add(jnp.tanh(w) * 2))
    same(dev, f, x, idx.astype(np.int32), g, rtol=1e-5, atol=1e-5)
    assert [s.kind for s in last_plan(dev, f).steps] == ["scatter"]
    emb = jax.jit(jax.grad(lambda table, i: jnp.sum(table[i] ** 2)))  # gather's transpose is a scatter-add
    same(dev, emb, x, idx.astype(np.int32), rtol=1e-5, atol=1e-5)


def test_a_body_inlined_twice_keeps_both_results(dev, rng):
    # Two calls of one jitted function (or one custom_jvp function such as digamma) inline the same
    # body twice into the plan: each copy needs variables of its own.
    x = (rng.uniform(0.5, 3.0, (3, 4))).astype(np.float32)
    inner = jax.jit(lambda v: jnp.sin(v) * 2 + v)
    same(dev, jax.jit(lambda a: inner(a + 1.0) - inner(a)), x, rtol=1e-5, atol=1e-5)
    same(dev, jax.jit(lambda a: lax.digamma(a + 1.0) - lax.digamma(a)), x, rtol=1e-4, atol=1e-5)
    same(dev, jax.jit(lambda a: jax.nn.relu(a - 1.0) * jax.nn.relu(2.0 - a)), x)
