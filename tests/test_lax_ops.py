"""Every lax primitive against numpy, and its derivative against central finite differences."""

import math

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import lax

from conftest import assert_close, numerical_grad

# (name, lax fn, numpy reference, input sampler)
pos = lambda r, s: r.uniform(0.2, 2.0, s).astype(np.float32)  # noqa: E731
unit = lambda r, s: r.uniform(-0.9, 0.9, s).astype(np.float32)  # noqa: E731
normal = lambda r, s: r.standard_normal(s).astype(np.float32)  # noqa: E731
gt1 = lambda r, s: r.uniform(1.2, 3.0, s).astype(np.float32)  # noqa: E731

UNARY = [
    ("neg", lax.neg, np.negative, normal), ("exp", lax.exp, np.exp, normal), ("exp2", lax.exp2, np.exp2, normal),
    ("log", lax.log, np.log, pos), ("log1p", lax.log1p, np.log1p, pos), ("expm1", lax.expm1, np.expm1, normal),
    ("tanh", lax.tanh, np.tanh, normal), ("logistic", lax.logistic, lambda x: 1 / (1 + np.exp(-x)), normal),
    ("sin", lax.sin, np.sin, normal), ("cos", lax.cos, np.cos, normal), ("tan", lax.tan, np.tan, unit),
    ("asin", lax.asin, np.arcsin, unit), ("acos", lax.acos, np.arccos, unit), ("atan", lax.atan, np.arctan, normal),
    ("sinh", lax.sinh, np.sinh, normal), ("cosh", lax.cosh, np.cosh, normal), ("asinh", lax.asinh, np.arcsinh, normal),
    ("acosh", lax.acosh, np.arccosh, gt1), ("atanh", lax.atanh, np.arctanh, unit), ("sqrt", lax.sqrt, np.sqrt, pos),
    ("rsqrt", lax.rsqrt, lambda x: 1 / np.sqrt(x), pos), ("cbrt", lax.cbrt, np.cbrt, pos),
    ("abs", lax.abs, np.abs, normal), ("erf", lax.erf, np.vectorize(math.erf), normal),
    ("erfc", lax.erfc, np.vectorize(math.erfc), normal), ("lgamma", lax.lgamma, np.vectorize(math.lgamma), pos),
    ("square", lax.square, np.square, normal), ("integer_pow3", lambda x: lax.integer_pow(x, 3), lambda x: x ** 3, normal),
    ("integer_pow-2", lambda x: lax.integer_pow(x, -2), lambda x: x ** -2.0, pos),
]
BINARY = [
    ("add", lax.add, np.add, normal, normal), ("sub", lax.sub, np.subtract, normal, normal),
    ("mul", lax.mul, np.multiply, normal, normal), ("div", lax.div, np.divide, normal, pos),
    ("pow", lax.pow, np.power, pos, normal), ("max", lax.max, np.maximum, normal, normal),
    ("min", lax.min, np.minimum, normal, normal), ("atan2", lax.atan2, np.arctan2, normal, pos),
    ("rem", lax.rem, np.fmod, normal, pos),
]


@pytest.mark.parametrize("name,f,ref,sample", UNARY, ids=[u[0] for u in UNARY])
def test_unary_values_and_grads(name, f, ref, sample, rng):
    x = sample(rng, (7,))
    out = f(jnp.asarray(x))
    assert out.dtype == np.float32
    np.testing.assert_allclose(np.asarray(out), ref(x.astype(np.float64)), rtol=2e-5, atol=2e-6)
    g = jax.grad(lambda v: jnp.sum(f(v)))(x)
    want = numerical_grad(lambda v: np.sum(np.asarray(f(jnp.asarray(v)), np.float64)), x)
    np.testing.assert_allclose(np.asarray(g), want, rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize("name,f,ref,sa,sb", BINARY, ids=[b[0] for b in BINARY])
def test_binary_values_and_grads(name, f, ref, sa, sb, rng):
    a, b = sa(rng, (6,)), sb(rng, (6,))
    out = f(a, b)
    np.testing.assert_allclose(np.asarray(out), ref(a.astype(np.float64), b.astype(np.float64)), rtol=2e-5, atol=2e-6)
    ga, gb = jax.grad(lambda x, y: jnp.sum(f(x, y)), argnums=(0, 1))(a, b)
    na = numerical_grad(lambda v: np.sum(np.asarray(f(v, b), np.float64)), a)
    nb = numerical_grad(lambda v: np.sum(np.asarray(f(a, v), np.float64)), b)
    np.testing.assert_allclose(np.asarray(ga), na, rtol=2e-2, atol=2e-2)
    np.testing.assert_allclose(np.asarray(gb), nb, rtol=2e-2, atol=2e-2)


def test_integer_division_and_remainder_follow_c_semantics():
    a = np.array([7, -7, 7, -7, 5], np.int32)
    b = np.array([2, 2, -2, -2, 0], np.int32)
    assert lax.div(a, b).tolist() == [3, -3, -3, 3, -1]
    assert lax.rem(a, b).tolist() == [1, -1, 1, -1, 5]
    # jnp follows Python/numpy floor semantics
    assert jnp.floor_divide(a[:4], b[:4]).tolist() == (a[:4] // b[:4]).tolist()
    assert jnp.remainder(a[:4], b[:4]).tolist() == (a[:4] % b[:4]).tolist()


def test_convert_element_type_saturates_and_zeroes_nan():
    x = np.array([np.nan, 1e10, -1e10, 2.7, -2.7], np.float32)
    assert lax.convert_element_type(x, np.int32).tolist() == [0, 2147483647, -2147483648, 2, -2]
    assert lax.convert_element_type(np.array([0.0, 2.0]), bool).tolist() == [False, True]


def test_shifts_and_bitwise():
    x = np.array([1, -8, 255], np.int32)
    assert lax.shift_left(x, np.array([1, 2, 40], np.int32)).tolist() == [2, -32, 0]
    assert lax.shift_right_arithmetic(x, np.array([0, 1, 40], np.int32)).tolist() == [1, -4, 0]
    assert lax.shift_right_logical(np.array([-8], np.int32), np.array([28], np.int32)).tolist() == [15]
    assert lax.population_count(np.array([7, -1], np.int32)).tolist() == [3, 32]
    assert lax.bitwise_xor(np.array([5], np.uint32), np.array([3], np.uint32)).tolist() == [6]


def test_structural_ops_against_numpy(rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    assert_close(lax.transpose(x, (2, 0, 1)), np.transpose(x, (2, 0, 1)))
    assert_close(lax.reshape(x, (6, 4)), x.reshape(6, 4))
    assert_close(lax.broadcast_in_dim(x[0, :, 0], (2, 3, 5), (1,)), np.broadcast_to(x[0, :, 0][None, :, None], (2, 3, 5)))
    assert_close(lax.rev(x, (0, 2)), x[::-1, :, ::-1])
    assert_close(lax.slice(x, (0, 1, 0), (2, 3, 4), (1, 1, 2)), x[:, 1:3, ::2])
    assert_close(lax.concatenate([x, x * 2], 1), np.concatenate([x, x * 2], 1))
    assert_close(lax.pad(x, np.float32(-1), [(1, -1, 0), (0, 0, 1), (-2, 2, 0)]),
                 _np_pad(x, -1, [(1, -1, 0), (0, 0, 1), (-2, 2, 0)]))
    assert_close(lax.dynamic_slice(x, (1, 5, -3), (1, 2, 2)), x[1:2, 1:3, 0:2])  # starts clamp
    upd = np.ones((1, 2, 2), np.float32)
    want = x.copy()
    want[1:2, 1:3, 2:4] = upd
    assert_close(lax.dynamic_update_slice(x, upd, (1, 1, 9)), want)
    assert_close(lax.broadcasted_iota(np.int32, (2, 3), 1), np.broadcast_to(np.arange(3, dtype=np.int32), (2, 3)))


def _np_pad(x, v, cfg):
    for ax, (lo, hi, it) in enumerate(cfg):
        n = x.shape[ax]
        if it:
            idx = np.arange(n) * (it + 1)
            shape = list(x.shape)
            shape[ax] = n + (n - 1) * it
            out = np.full(shape, v, x.dtype)
            sl = [slice(None)] * x.ndim
            sl[ax] = idx
            out[tuple(sl)] = x
            x = out
        widths = [(0, 0)] * x.ndim
        widths[ax] = (max(lo, 0), max(hi, 0))
        x = np.pad(x, widths, constant_values=v)
        sl = [slice(None)] * x.ndim
        sl[ax] = slice(max(-lo, 0), x.shape[ax] - max(-hi, 0))
        x = x[tuple(sl)]
    return x


def test_reductions_and_cumulative(rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    assert_close(lax.reduce_sum(x, (1,)), x.sum(1))
    assert_close(lax.reduce_max(x, (0, 1)), x.max())
    assert_close(lax.reduce_prod(x, (0,)), x.prod(0))
    assert_close(lax.argmax(x, 1), x.argmax(1).astype(np.int32))
    assert_close(lax.cumsum(x, 1), np.cumsum(x, 1), rtol=1e-5)
    assert_close(lax.cumprod(x, 0, reverse=True), np.cumprod(x[::-1], 0)[::-1])
    assert_close(lax.cummax(x, 1), np.maximum.accumulate(x, 1))


@pytest.mark.parametrize("f", [
    lambda x: lax.reduce_max(x, (1,)), lambda x: lax.reduce_prod(x, (1,)), lambda x: lax.cumprod(x, 1),
    lambda x: lax.cummax(x, 1), lambda x: lax.cummin(x, 0, reverse=True), lambda x: lax.cumsum(x, 0, reverse=True),
    lambda x: lax.pad(x, 0.5, [(1, -1, 1), (0, 2, 0)]), lambda x: lax.dynamic_slice(x, (1, 1), (2, 2)),
], ids=["reduce_max", "reduce_prod", "cumprod", "cummax", "cummin", "cumsum", "pad", "dynamic_slice"])
def test_reduction_and_structural_grads(f, rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    g = jax.grad(lambda v: jnp.sum(jnp.sin(f(v))))(x)
    want = numerical_grad(lambda v: np.sum(np.sin(np.asarray(f(v), np.float64))), x)
    np.testing.assert_allclose(np.asarray(g), want, rtol=2e-2, atol=2e-2)


def test_reduce_prod_grad_with_zero():
    x = np.array([2.0, 0.0, 3.0], np.float32)
    assert jax.grad(lambda v: lax.reduce_prod(v, (0,)))(x).tolist() == [0.0, 6.0, 0.0]


def test_dot_general_batched_against_einsum(rng):
    a = rng.standard_normal((2, 3, 4)).astype(np.float32)
    b = rng.standard_normal((2, 4, 5)).astype(np.float32)
    out = lax.dot_general(a, b, (((2,), (1,)), ((0,), (0,))))
    assert_close(out, np.einsum("bij,bjk->bik", a, b), rtol=1e-5, atol=1e-5)
    ga, gb = jax.grad(lambda x, y: jnp.sum(jnp.sin(lax.dot_general(x, y, (((2,), (1,)), ((0,), (0,)))))),
                      argnums=(0, 1))(a, b)
    na = numerical_grad(lambda v: np.sum(np.sin(np.einsum("bij,bjk->bik", v.astype(np.float64), b))), a)
    np.testing.assert_allclose(np.asarray(ga), na, rtol=2e-2, atol=2e-2)
    assert gb.shape == b.shape


def test_select_n_and_clamp():
    p = np.array([True, False, True])
    assert lax.select_n(p, np.zeros(3, np.float32), np.ones(3, np.float32)).tolist() == [1, 0, 1]
    assert lax.select_n(np.array([0, 2, 1], np.int32), *(np.full(3, i, np.float32) for i in range(3))).tolist() == [0, 2, 1]
    assert lax.clamp(0.0, np.array([-1.0, 0.5, 2.0], np.float32), 1.0).tolist() == [0.0, 0.5, 1.0]


def test_shape_and_dtype_errors_name_the_operands():
    with pytest.raises(TypeError, match=r"add got incompatible shapes for broadcasting: \(3,\), \(4,\)"):
        lax.add(np.ones(3, np.float32), np.ones(4, np.float32))
    with pytest.raises(TypeError, match="add requires arguments to have the same dtypes, got float32, int32"):
        lax.add(np.ones(3, np.float32), np.ones(3, np.int32))
    with pytest.raises(TypeError, match="dot_general requires contracting dimensions to have the same shape"):
        jnp.ones((2, 3)) @ jnp.ones((4, 2))
    with pytest.raises(TypeError, match="reshape total size must be unchanged"):
        lax.reshape(np.ones(6, np.float32), (4,))


STRUCTURAL = {
    "broadcast_in_dim": lambda x: lax.broadcast_in_dim(x[0], (2, 4), (1,)),
    "reshape": lambda x: lax.reshape(x, (4, 3)),
    "transpose": lambda x: lax.transpose(x, (1, 0)),
    "rev": lambda x: lax.rev(x, (0, 1)),
    "concatenate": lambda x: lax.concatenate([x, x * 2], 0),
    "slice": lambda x: lax.slice(x, (0, 1), (3, 4), (2, 2)),
    "dynamic_update_slice": lambda x: lax.dynamic_update_slice(x, x[:1, :2] * 3, (2, 1)),
    "gather": lambda x: x[jnp.array([2, 0, 2]), 1:],
    "scatter_add": lambda x: x.at[jnp.array([0, 0, 1])].add(x[2] * 2),
    "scatter_set": lambda x: x.at[jnp.array([1])].set(x[2:] * 2),
    "select_n": lambda x: jnp.where(x > 0, x * 2, -x),
    "sort": lambda x: jnp.sort(x, axis=1),
    "cumsum": lambda x: jnp.cumsum(x, axis=0),
    "expand_squeeze": lambda x: jnp.squeeze(jnp.expand_dims(x, 1), 1),
    "dot_general": lambda x: x @ x.T,
}


@pytest.mark.parametrize("name", sorted(STRUCTURAL))
def test_structural_primitive_grads_against_finite_differences(name, rng):
    f = STRUCTURAL[name]
    x = rng.standard_normal((3, 4)).astype(np.float32)
    g = jax.grad(lambda v: jnp.sum(jnp.sin(f(v))))(x)
    want = numerical_grad(lambda v: np.sum(np.sin(np.asarray(f(jnp.asarray(v)), np.float64))), x)
    np.testing.assert_allclose(np.asarray(g), want, rtol=3e-2, atol=3e-2)


def test_convert_element_type_grad_is_identity_between_floats():
    g = jax.grad(lambda v: jnp.sum(lax.convert_element_type(lax.convert_element_type(v, np.float16), np.float32) * 3))
    assert g(jnp.arange(3.0)).tolist() == [3.0, 3.0, 3.0]
    assert jax.grad(lambda v: jnp.sum(v.astype(jnp.int32) * 1.0))(jnp.arange(3.0)).tolist() == [0.0, 0.0, 0.0]
