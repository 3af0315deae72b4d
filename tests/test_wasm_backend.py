"""The wasm device against the cpu reference: every lowered primitive and dtype, fused jit
patterns, random expression graphs, the allocator. Runs on wasmtime here and on the browser's
engine inside Pyodide."""

import gc

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import lax

if "wasm" not in [d.platform for d in jax.devices()]:
    pytest.skip("no WebAssembly engine here", allow_module_level=True)

WASM, CPU = jax.devices("wasm")[0], jax.devices("cpu")[0]


def on(dev, *xs):
    return [jax.device_put(np.asarray(x), dev) for x in xs]


def same(fn, *args, rtol=1e-6, atol=1e-6):
    want = fn(*on(CPU, *args))
    got = fn(*on(WASM, *args))
    for g, w in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
        assert g.device == WASM, "result left the wasm device"
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=rtol, atol=atol)
    return got


def _sample(dtype, rng, shape=(3, 5)):
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return rng.integers(0, 2, shape).astype(bool)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        lo, hi = max(info.min, -100), min(info.max, 100)
        x = rng.integers(lo, hi, shape).astype(dt)
        x.flat[0] = info.min if dt.kind == "i" else 0
        x.flat[1] = info.max
        return x
    x = (rng.standard_normal(shape) * 3).astype(dt)
    x.flat[:4] = [np.nan, np.inf, -np.inf, -0.0]
    return x


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
def test_float_unary(name, dtype, rng):
    same(UNARY[name], _sample(dtype, rng))


@pytest.mark.parametrize("dtype", FLOATS + INTS)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary(name, dtype, rng):
    a, b = _sample(dtype, rng), _sample(dtype, rng)
    if np.dtype(dtype).kind in "iu" and name == "div":
        b.flat[5] = 0  # XLA: x / 0 = -1, and INT_MIN / -1 wraps, never a trap
        if np.dtype(dtype).kind == "i":
            b.flat[0] = -1
    with np.errstate(all="ignore"):
        same(BINARY[name], a, b)


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("name", sorted(INT_BINARY))
def test_integer_binary(name, dtype, rng):
    a, b = _sample(dtype, rng), _sample(dtype, rng)
    if name.startswith("sh"):
        b = np.abs(b.astype(np.int64) % 40).astype(dtype)  # includes shifts >= the bit width
    if name == "rem":
        b.flat[5] = 0
    same(INT_BINARY[name], a, b)


@pytest.mark.parametrize("src", [np.float32, np.float64, np.int32, np.uint32, np.int8, np.uint8, np.bool_])
@pytest.mark.parametrize("dst", [np.float32, np.float64, np.int32, np.uint32, np.int8, np.uint8, np.int16, np.bool_])
def test_convert_element_type(src, dst, rng):
    x = _sample(src, rng)
    if np.dtype(src).kind == "f":
        x.flat[4:8] = [1e10, -1e10, 300.7, -129.5]  # saturation
    with np.errstate(all="ignore"):
        same(lambda v: lax.convert_element_type(v, dst), x)


def test_views_reductions_and_contractions(rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    w = rng.standard_normal((4, 5)).astype(np.float32)
    same(lambda v: lax.transpose(v, (2, 0, 1)), x)
    same(lambda v: lax.broadcast_in_dim(v[0, :, 0], (2, 3, 5), (1,)), x)
    same(lambda v: lax.slice(v, (0, 1, 0), (2, 3, 4), (1, 1, 3)), x)
    same(lambda v: lax.rev(v, (0, 2)), x)
    same(lambda v: lax.concatenate([v, v * 2, v[:, :1]], 1), x)
    same(lambda v: lax.broadcasted_iota(np.int32, (3, 4), 1) + v[0].astype(np.int32), x)
    for op in (lax.reduce_sum, lax.reduce_max, lax.reduce_min, lax.reduce_prod):
        same(lambda v: op(v, (0, 2)), x, rtol=1e-5)
    same(lambda v: lax.reduce_and(v > 0, (1,)), x)
    same(lambda a, b: a @ b, x, w, rtol=1e-5, atol=1e-5)
    same(lambda a: lax.dot_general(a, a, (((2,), (2,)), ((0,), (0,)))), x, rtol=1e-5, atol=1e-5)
    same(lambda v: jnp.where(v > 0, v, v * 0.1)[::-1, 1:], x)


def test_host_fallback_for_unlowered_primitives(rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    same(jnp.exp, x)
    same(lambda v: jnp.cumsum(v, 1), x, rtol=1e-5)
    same(lambda v: jnp.sort(v, 0), x)


def _last_plans(jf):
    closed = jf._cache[next(iter(jf._cache))][0]
    plan = WASM._plans.get(closed)
    return [plan] if plan is not None else []


def test_jit_fuses_elementwise_chains_and_reductions(rng):
    x, y = rng.standard_normal((2, 64)).astype(np.float32)
    hypot = lambda a, b: jnp.sqrt(a * a + b * b)  # noqa: E731
    same(jax.jit(hypot), x, y)
    jf = jax.jit(hypot)
    jf(*on(WASM, x, y))
    (plan,) = _last_plans(jf)
    assert [s[0] for s in plan.steps] == ["kernel"]  # one kernel for the whole chain
    m = rng.standard_normal((8, 16)).astype(np.float32)
    layernorm = lambda v: (v - v.mean(1, keepdims=True)) / jnp.sqrt(v.var(1, keepdims=True) + 1e-5)  # noqa: E731
    same(jax.jit(layernorm), m, rtol=1e-5, atol=1e-5)
    jf = jax.jit(layernorm)
    jf(*on(WASM, m))
    (plan,) = _last_plans(jf)
    assert len(plan.steps) <= 4  # mean, var, normalize: reductions absorb their producers
    mlp = lambda v, w, b: jnp.maximum(v @ w + b, 0)  # noqa: E731
    same(jax.jit(mlp), m, rng.standard_normal((16, 4)).astype(np.float32), np.ones(4, np.float32), rtol=1e-5, atol=1e-5)


OPS = [("add", 2), ("mul", 2), ("sub", 2), ("max", 2), ("neg", 1), ("abs", 1), ("sqrt_abs", 1), ("where", 3),
       ("sum0", 1), ("bcast", 1), ("transpose", 1)]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 10), st.integers(0, 10), st.integers(0, 10)),
                min_size=1, max_size=12), st.sampled_from([np.float32, np.int32]))
def test_random_expression_graphs_match_cpu(program, dtype):
    rng = np.random.default_rng(len(program))
    inputs = [_sample(dtype, rng, (3, 3)) for _ in range(3)]
    inputs = [np.nan_to_num(i, nan=1.0, posinf=2.0, neginf=-2.0) if np.dtype(dtype).kind == "f" else i for i in inputs]

    def fn(*xs):
        vals = list(xs)
        for (op, arity), i, j, k in program:
            a, b, c = vals[i % len(vals)], vals[j % len(vals)], vals[k % len(vals)]
            r = {"add": lambda: a + b, "mul": lambda: a * b, "sub": lambda: a - b, "max": lambda: jnp.maximum(a, b),
                 "neg": lambda: -a, "abs": lambda: jnp.abs(a), "sqrt_abs": lambda: jnp.sqrt(jnp.abs(a)).astype(a.dtype),
                 "where": lambda: jnp.where(a > b, b, c), "sum0": lambda: jnp.broadcast_to(a.sum(0), a.shape),
                 "bcast": lambda: jnp.broadcast_to(a[:1], a.shape), "transpose": lambda: a.T}[op]()
            vals.append(r)
        return vals[-1]

    with np.errstate(all="ignore"):
        same(jax.jit(fn), *inputs, rtol=1e-5, atol=1e-5)
        same(fn, *inputs, rtol=1e-5, atol=1e-5)


def test_allocator_reuses_memory_and_counts_buffers():
    gc.collect()
    base, rt = WASM.live_buffers(), WASM.runtime
    x = jax.device_put(np.ones(1000, np.float32), WASM)
    top = rt.top
    del x
    gc.collect()
    y = jax.device_put(np.ones(1000, np.float32), WASM)
    assert rt.top == top  # the freed block was reused
    assert WASM.live_buffers() == base + 1
    del y
    gc.collect()
    assert WASM.live_buffers() == base


def test_out_of_memory_is_a_memory_error():
    with pytest.raises(MemoryError, match="cannot allocate 8589934592 bytes"):
        WASM.runtime.alloc(1 << 33)  # beyond wasm32's 4 GiB
    with jax.default_device(WASM):
        with pytest.raises(MemoryError, match="cannot allocate"):
            jnp.zeros((1 << 31,), jnp.float32)  # 8 GiB, on the device only (no host copy)


@pytest.mark.parametrize("shapes,dn", [
    (((7, 13), (13, 9)), (((1,), (0,)), ((), ()))),          # plain, with edge rows/columns
    (((13, 7), (9, 13)), (((0,), (1,)), ((), ()))),          # both operands transposed
    (((3, 5, 6), (3, 6, 8)), (((2,), (1,)), ((0,), (0,)))),  # batched
    (((4, 2, 3, 5), (5, 4, 2)), (((3,), (0,)), ((0,), (1,)))),  # batch dim not leading, 2 free lhs dims
    (((1, 1), (1, 1)), (((1,), (0,)), ((), ()))),
])
def test_float32_dot_general_uses_the_matmul_routine(shapes, dn, rng):
    a, b = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    f = lambda x, y: lax.dot_general(x, y, dn)  # noqa: E731
    same(f, a, b, rtol=1e-5, atol=1e-5)  # eager
    jf = jax.jit(f)
    same(jf, a, b, rtol=1e-5, atol=1e-5)
    (plan,) = _last_plans(jf)
    assert "routine" in [s[0] for s in plan.steps]


def test_matmul_epilogue_fuses_into_one_kernel(rng):
    x, w = rng.standard_normal((8, 16)).astype(np.float32), rng.standard_normal((16, 4)).astype(np.float32)
    jf = jax.jit(lambda x, w, b: jnp.tanh(x @ w + b))
    same(jf, x, w, np.ones(4, np.float32), rtol=1e-5, atol=1e-5)
    (plan,) = _last_plans(jf)
    assert [s[0] for s in plan.steps] == ["routine", "kernel"]


@pytest.mark.parametrize("n", range(0, 11))
def test_simd_kernels_with_every_tail_length(n, rng):
    from jaxlite._src.backends.wasm.render import vectorizable
    x, y = rng.standard_normal((2, n)).astype(np.float32)
    k = rng.integers(-50, 50, n).astype(np.int32)
    f = jax.jit(lambda x, y, k: (jnp.sqrt(x * x + y * y), jnp.where(x > y, x, -y), (x * 3).astype(jnp.int32) + k * 2,
                                 jnp.maximum(k, 3) ^ k, k.astype(jnp.float32) / 4))
    same(f, x, y, k)
    (plan,) = _last_plans(f)
    kernels = [key for key in WASM._kernels if not isinstance(key, tuple)]
    assert any(vectorizable(kern) for kern in kernels)
    assert len([s for s in plan.steps if s[0] == "kernel"]) == 5


def test_simd_module_assembles_like_wat2wasm():
    wasmtime = pytest.importorskip("wasmtime")
    from jaxlite._src.backends.wasm.assembler import assemble
    from jaxlite._src.backends.wasm.render import render
    from jaxlite._src.kernel import ir
    f4 = np.dtype("f4")
    load = lambda k: ir.Load(f4, k, ir.Index(ir.I32))  # noqa: E731
    kernel = ir.Kernel("k", (f4, f4), (ir.Select(f4, ir.binary("lt", load(0), load(1)),
                                                 ir.Unary(f4, "sqrt", load(0)), ir.binary("max", load(1), ir.Const(f4, 2.5))),))
    wat = render(kernel)
    assert "v128.bitselect" in wat
    from test_wasm_assembler import strip_custom
    assert assemble(wat) == strip_custom(wasmtime.wat2wasm(wat))


@pytest.mark.parametrize("n", [8, 9, 63, 64, 65, 127, 200, 1000, 4099])
def test_vectorized_sums_are_accurate_for_every_length(n, rng):
    x = (rng.standard_normal((3, n)) * 10).astype(np.float32)
    exact = x.astype(np.float64).sum(1)
    got = np.asarray(jax.jit(lambda v: jnp.sum(v, axis=1))(*on(WASM, x)))
    np.testing.assert_allclose(got, exact, rtol=2e-6, atol=2e-5)
    got_all = float(jax.jit(jnp.sum)(*on(WASM, x)))
    assert abs(got_all - exact.sum()) <= 2e-6 * np.abs(x).sum()
    mean = np.asarray(jax.jit(lambda v: jnp.mean(v * 2 + 1, axis=1))(*on(WASM, x)))  # fused producer
    np.testing.assert_allclose(mean, (x.astype(np.float64) * 2 + 1).mean(1), rtol=2e-6, atol=2e-5)


def test_gather_runs_as_a_kernel(rng):
    from jaxlite._src.lax.slicing import gather_p
    x = rng.standard_normal((5, 6, 4)).astype(np.float32)
    idx = np.array([[0, 4], [2, -1], [7, 1]], np.int32)  # out of range: clamps (indexing) / fills (take)
    same(lambda v: v[jnp.array([3, 0, 9]), 1:], x)
    same(lambda v: v[:, jnp.array([[1, 5], [0, 2]])], x)
    same(lambda v: v[jnp.array([0, 4]), :, jnp.array([1, 3])], x)
    same(lambda v: jnp.take(v, jnp.array([1, 7, -2]), axis=1), x)
    same(lambda v: jnp.take_along_axis(v, jnp.argsort(v, axis=2), axis=2), x)
    same(lambda v: jax.lax.dynamic_slice(v, (idx[0, 0], 2, 1), (2, 3, 2)), x)
    same(jax.vmap(lambda row, i: row[i]), x[:, :, 0], jnp.array([0, 5, 2, 3, 1]))
    same(jax.jit(lambda v: v[idx[:, 0], idx[:, 1]] * 2), x)
    avals = [jax.ShapeDtypeStruct((5, 6), np.float32), jax.ShapeDtypeStruct((3, 1), np.int32)]
    assert WASM.can_lower(gather_p, avals, [jax.ShapeDtypeStruct((3, 6), np.float32)])


@pytest.mark.parametrize("case", [
    dict(x=(2, 3, 9, 8), w=(4, 3, 3, 2), strides=(1, 1), pad="SAME", ld=None, rd=None, dn=None),
    dict(x=(2, 3, 9, 8), w=(4, 3, 3, 2), strides=(2, 1), pad=((1, 0), (2, -1)), ld=(1, 2), rd=(2, 1), dn=None),
    dict(x=(2, 9, 8, 6), w=(3, 2, 6, 5), strides=(1, 2), pad="VALID", ld=None, rd=None, dn=("NHWC", "HWIO", "NHWC")),
    dict(x=(4, 6, 7), w=(5, 6, 3), strides=(1,), pad="SAME", ld=None, rd=(2,), dn=None),
])
def test_conv_runs_as_im2col_and_matmul(case, rng):
    x = rng.standard_normal(case["x"]).astype(np.float32)
    w = rng.standard_normal(case["w"]).astype(np.float32)
    f = jax.jit(lambda a, b: lax.conv_general_dilated(a, b, case["strides"], case["pad"], case["ld"], case["rd"],
                                                      case["dn"]) * 2)
    same(f, x, w, rtol=1e-4, atol=1e-4)
    (plan,) = _last_plans(f)
    assert [s[0] for s in plan.steps] == ["kernel", "kernel", "routine", "kernel"]
    g = jax.jit(jax.grad(lambda a, b: jnp.sum(jnp.tanh(f(a, b))), argnums=(0, 1)))
    same(g, x, w, rtol=2e-4, atol=2e-4)


def test_pad_runs_as_a_kernel(rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    for cfg in ([(1, 2, 0), (0, 0, 0)], [(-1, 2, 1), (2, -1, 2)], [(0, 0, 3), (-2, -1, 0)]):
        same(lambda v: lax.pad(v, np.float32(-7), cfg), x)
        same(jax.jit(lambda v: lax.pad(v * 2, np.float32(0.5), cfg) + 1), x)
    same(lambda v: jnp.pad(v, ((1, 1), (2, 0)), mode="edge"), x)
    same(jax.jit(jax.grad(lambda v: jnp.sum(jnp.cumprod(v, axis=1) ** 2))), x, rtol=1e-4, atol=1e-4)
