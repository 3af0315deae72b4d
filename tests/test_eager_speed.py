"""Compile and allocation counts of the kernel devices: equal kernels compile once (kernel keys are
canonical), and eager operations with Python scalars pass them to one cached kernel per dtype and
shape instead of a device buffer per value (issue 18)."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from backend_util import KERNEL_DEVICES, on
from jaxlite._src.kernel import fusion

if not KERNEL_DEVICES:
    pytest.skip("no kernel device here", allow_module_level=True)


@pytest.fixture(params=KERNEL_DEVICES, ids=lambda d: d.platform)
def dev(request):
    return request.param


def _reductions(x):
    return jnp.sum(x * 2.0, axis=1) + jnp.max(x, axis=1) * jnp.argmax(x, axis=1)


def test_equal_reduction_plans_compile_once(dev, rng):
    x = rng.standard_normal((5, 37)).astype(np.float32)
    closed = jax.make_jaxpr(_reductions)(x)
    before = dev.compiles
    plans = [fusion.Plan(dev, closed) for _ in range(3)]
    first = dev.compiles - before
    assert first >= 1
    # the same jaxpr traced again (new variables, new reduction levels) compiles nothing either
    plans.append(fusion.Plan(dev, jax.make_jaxpr(_reductions)(x)))
    assert dev.compiles - before == first
    (xb,) = on(dev, x)
    want = np.asarray(jax.jit(_reductions)(x))
    for p in plans:
        (out,) = p.execute([xb._buf])
        np.testing.assert_allclose(dev.get(out, closed.out_avals[0]), want, rtol=1e-5, atol=1e-5)


def test_retracing_a_jit_compiles_nothing_new(dev, rng):
    (x,) = on(dev, rng.standard_normal((3, 41)).astype(np.float32))
    want = np.asarray(jax.jit(_reductions)(x))
    before = dev.compiles
    for _ in range(3):  # a new jit object each time: a new trace and a new plan
        np.testing.assert_allclose(np.asarray(jax.jit(_reductions)(x)), want, rtol=1e-6)
    assert dev.compiles == before


def test_eager_reductions_share_kernels(dev, rng):
    (x,) = on(dev, rng.standard_normal((4, 43)).astype(np.float32))
    jnp.argmax(x, axis=1)
    before = dev.compiles
    from jaxlite._src import dispatch
    dispatch._eager_cache.clear()  # the eager kernel is built again: the same kernel key
    np.testing.assert_array_equal(np.asarray(jnp.argmax(x, axis=1)), np.asarray(x).argmax(1))
    assert dev.compiles == before


def _wasm():
    return [d for d in KERNEL_DEVICES if d.platform == "wasm"]


@pytest.mark.parametrize("d", _wasm(), ids=lambda d: d.platform)
def test_python_scalars_are_kernel_parameters(d, rng):
    """a + s for many values of s: one kernel, and no buffer but the output per operation."""
    with jax.default_device(d):  # where the scalars are made, as in the browser
        _scalar_operands(d, jnp.asarray(rng.standard_normal(33).astype(np.float32)))


def _scalar_operands(d, a):
    host = np.asarray(a)
    a + 0.25  # compiles the kernel with the scalar as a parameter
    compiles, made = d.compiles, d.buffers_made
    for k in range(50):
        s = float(k) * 0.37 - 7.0
        out = a + s
        assert out.dtype == np.float32 and not out.weak_type
        np.testing.assert_array_equal(np.asarray(out), host + np.float32(s))
    assert d.compiles == compiles
    assert d.buffers_made - made == 50
    made = d.buffers_made
    for k in range(20):
        out = jnp.where(a > k * 0.1, a, k * 0.5)
        np.testing.assert_array_equal(np.asarray(out), np.where(host > np.float32(k * 0.1), host, np.float32(k * 0.5)))
    assert d.buffers_made - made == 40  # the comparison and the select


@pytest.mark.parametrize("d", _wasm(), ids=lambda d: d.platform)
@pytest.mark.parametrize("case", [
    ("int32", lambda x: x + 1, "int32", False), ("int32", lambda x: x + 1.5, "float32", True),
    ("bool", lambda x: x + 1, "int32", True), ("bool", lambda x: x * True, "bool", False),
    ("uint8", lambda x: x - 3, "uint8", False), ("uint32", lambda x: x + jnp.uint32(3000000000), "uint32", False),
    ("int8", lambda x: 100 + x, "int8", False), ("float32", lambda x: 2.0 ** x, "float32", False),
    ("float32", lambda x: x // 0.0, "float32", False), ("int16", lambda x: x % 7, "int16", False),
    ("float32", lambda x: jnp.maximum(x, jnp.nan), "float32", False),
    ("int32", lambda x: jnp.float32(2) * 3 + x, "float32", False),
    ("scalar", lambda x: x * 2 + 1, "float32", True), ("scalar", lambda x: jnp.sin(x) - 1, "float32", True),
    ("float32", lambda x: (2.5 - x) / 3 * (1 / x), "float32", False), ("int32", lambda x: 7 / x, "float32", False),
    ("int32", lambda x: (x > 3) & (2 <= x) & (x != 5) & (x == x - 0), "bool", False),
    ("float32", lambda x: (x < 0.5) | (x >= -1), "bool", False), ("int32", lambda x: 3 - x * 2**20, "int32", False),
    ("int32", lambda x: x + (-(1 << 31)), "int32", False),
], ids=lambda c: c if isinstance(c, str) else None)
def test_scalar_operands_keep_dtypes_and_values(d, case, rng):
    dtype, fn, want_dtype, weak = case
    if dtype == "scalar":
        x_host = 1.25
    elif dtype == "bool":
        x_host = rng.integers(0, 2, 11).astype(bool)
    elif dtype == "float32":
        x_host = rng.standard_normal(11).astype(np.float32)
        x_host[:3] = [np.nan, np.inf, -0.0]
    else:
        info = np.iinfo(dtype)
        x_host = rng.integers(max(info.min, -50), min(info.max, 50), 11).astype(dtype)
        x_host[0], x_host[1] = info.min, info.max
    cpu = jax.devices("cpu")[0]
    with jax.default_device(cpu):
        want = fn(jnp.asarray(x_host))
    with jax.default_device(d):
        got = fn(jnp.asarray(x_host))
    assert got.device == d
    assert (got.dtype, got.weak_type, got.shape) == (np.dtype(want_dtype), weak, want.shape)
    assert (want.dtype, want.weak_type) == (got.dtype, got.weak_type)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6)


@pytest.mark.parametrize("d", _wasm(), ids=lambda d: d.platform)
def test_constants_reach_memory_when_read_there(d):
    """A broadcast constant read by a jit, a host fallback or a reshape still holds its value."""
    with jax.default_device(d):
        c = jnp.broadcast_to(jnp.float32(3.5), (2, 3))
        assert c.device == d
        np.testing.assert_array_equal(np.asarray(jax.jit(lambda v: v * 2)(c)), np.full((2, 3), 7.0, np.float32))
        np.testing.assert_array_equal(np.asarray(jnp.cumsum(c.reshape(-1))), np.arange(1, 7) * 3.5)
        np.testing.assert_array_equal(np.asarray(c.T + jnp.ones((3, 2))), np.full((3, 2), 4.5))
        z = jnp.broadcast_to(jnp.int32(7), (0, 4))
        assert z.shape == (0, 4) and np.asarray(z).size == 0
        assert float(jnp.float32(0.1) + 0) == float(np.float32(0.1))


@pytest.mark.parametrize("d", _wasm(), ids=lambda d: d.platform)
def test_scalar_shortcut_changes_no_trace_and_no_error(d):
    """Under a trace the scalar stays a literal (jaxprs as on cpu); out-of-range ints raise JAX's
    OverflowError; big arrays take jnp's fused path; results match the cpu device."""
    def f(y, a):
        return (a + 1) * y - 2.0 * a
    texts = []
    for dev in (jax.devices("cpu")[0], d):
        with jax.default_device(dev):
            a = jnp.arange(6.0)
            texts.append(str(jax.make_jaxpr(lambda y: f(y, a))(1.5)))
            with pytest.raises(OverflowError):
                jnp.arange(3) + (1 << 40)
            big = jnp.ones(1 << 15, jnp.float32)
            np.testing.assert_array_equal(np.asarray(big * 3 + 1), np.full(1 << 15, 4, np.float32))
            g = jax.grad(lambda y: jnp.sum(f(y, a)))(jnp.float32(0.5))
            np.testing.assert_allclose(float(g), float(np.sum(np.arange(6.0) + 1)))
    assert texts[0] == texts[1]


def test_reshape_shares_the_buffer(dev, rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    with jax.default_device(dev):
        a = jnp.asarray(x)
        made = dev.buffers_made
        b = a.reshape(2, 6)
        c = b.reshape(12)[None]
        assert dev.buffers_made == made
        del a
        np.testing.assert_array_equal(np.asarray(c), x.reshape(1, 12))
        np.testing.assert_array_equal(np.asarray(b.T), x.reshape(2, 6).T)
        np.testing.assert_array_equal(np.asarray(jnp.reshape(b, (4, 3), order="F")),
                                      x.reshape(2, 6).reshape(4, 3, order="F"))
