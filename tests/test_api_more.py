"""Top-level JAX names: custom_gradient, closure_convert, custom_batching, fwd_and_bwd,
copy_to_host_async, Device, make_user_context and the config context managers."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from conftest import assert_close, needs_jax, numerical_grad, real_jax, real_jnp


def test_custom_gradient_replaces_the_derivative():
    @jax.custom_gradient
    def clip_gradient(x):
        return x, lambda g: (jnp.clip(g, -0.5, 0.5),)

    f = lambda x: 3 * clip_gradient(jnp.sin(x))
    assert_close(f(1.0), 3 * np.sin(np.float32(1.0)))
    assert_close(jax.grad(f)(1.0), np.float32(0.5 * np.cos(1.0)))
    assert_close(jax.jit(jax.grad(f))(1.0), np.float32(0.5 * np.cos(1.0)))
    assert_close(jax.vmap(jax.grad(f))(jnp.array([1.0, 0.0])), np.float32([0.5 * np.cos(1.0), 0.5]))

    @jax.custom_gradient
    def prod(x, y):
        return x * y, lambda ct: (ct * y * 10, ct * x)
    assert_close(jax.grad(prod, argnums=(0, 1))(2.0, 3.0), (np.float32(30), np.float32(2)), check_dtype=False)


def test_closure_convert_hoists_traced_closures():
    def outer(a, x):
        def inner(y):
            return jnp.sin(a * y)
        conv, consts = jax.closure_convert(inner, x)
        return conv(x, *consts), len(consts)

    out, n = outer(2.0, 1.0)
    assert n == 0 and np.isclose(float(out), np.sin(2.0))
    g = jax.grad(lambda a: outer(a, 1.0)[0])(2.0)
    assert_close(g, np.float32(np.cos(2.0)))
    counts = []
    jax.grad(lambda a: counts.append(outer(a, 1.0)[1]) or outer(a, 1.0)[0])(2.0)
    assert counts == [1]  # a is traced under grad: it becomes an explicit argument


@needs_jax
def test_custom_vmap_uses_its_rule():
    def make(cb):
        @cb.custom_vmap
        def f(x, y):
            return x + y

        @f.def_vmap
        def rule(axis_size, in_batched, xs, ys):
            assert list(in_batched) == [True, False]
            return xs * 10 + ys, True
        return f

    f, rf = make(jax.custom_batching), make(real_jax.custom_batching)
    x = np.arange(3.0, dtype=np.float32)
    for tr, rtr in [(lambda g: jax.vmap(g, in_axes=(0, None)), lambda g: real_jax.vmap(g, in_axes=(0, None))),
                    (lambda g: jax.jit(jax.vmap(g, in_axes=(0, None))),
                     lambda g: real_jax.jit(real_jax.vmap(g, in_axes=(0, None)))),
                    (lambda g: jax.vmap(jax.jit(g), in_axes=(0, None)),
                     lambda g: real_jax.vmap(real_jax.jit(g), in_axes=(0, None)))]:
        assert_close(tr(f)(x, 2.0), rtr(rf)(x, 2.0), check_dtype=False)  # the oracle may run with x64
    assert_close(f(1.0, 2.0), rf(1.0, 2.0))
    assert_close(jax.jvp(f, (1.0, 2.0), (1.0, 1.0)), real_jax.jvp(rf, (1.0, 2.0), (1.0, 1.0)))


def test_sequential_vmap_matches_a_loop():
    g = jax.custom_batching.sequential_vmap(lambda a, b: jnp.sum(a) * b)
    xs, bs = np.arange(8.0, dtype=np.float32).reshape(4, 2), np.arange(4.0, dtype=np.float32)
    assert_close(jax.vmap(g)(xs, bs), np.float32([xs[i].sum() * bs[i] for i in range(4)]))
    assert_close(jax.vmap(g, in_axes=(0, None))(xs, 3.0), np.float32([xs[i].sum() * 3 for i in range(4)]))
    assert "scan" in str(jax.make_jaxpr(jax.vmap(g, in_axes=(0, None)))(xs, 3.0))


def test_fwd_and_bwd_reuses_one_backward():
    f = lambda x, w: jnp.tanh(x @ w)
    x, w = np.ones((2, 3), np.float32) * 0.1, np.ones((3, 2), np.float32) * 0.2
    fwd, bwd = jax.fwd_and_bwd(f, argnums=(0, 1))
    y, res = fwd(x, w)
    ct = np.ones((2, 2), np.float32)
    gx, gw = bwd(res, ct)
    _, vjp = jax.vjp(f, x, w)
    rx, rw = vjp(ct)
    assert_close(y, f(x, w))
    assert_close(gx, rx)
    assert_close(gw, rw)
    y2, res2 = fwd(x * 2, w)
    bwd(res2, ct)
    assert bwd._cache_size() == 1  # the backward compiled once
    fwd1, bwd1 = jax.fwd_and_bwd(lambda x: (jnp.sin(x), x), argnums=0, has_aux=True, jitted=False)
    y, res, aux = fwd1(1.0)
    assert_close(bwd1(res, 1.0), np.float32(np.cos(1.0)), check_dtype=False)


def test_device_and_copy_to_host_async():
    assert all(isinstance(d, jax.Device) for d in jax.devices())
    assert not isinstance("cpu", jax.Device)
    tree = {"a": jnp.ones(3), "b": 1}
    assert jax.copy_to_host_async(tree) is tree


def test_make_user_context_keys_the_jit_cache():
    ctx = jax.make_user_context(0)
    traces = []
    f = jax.jit(lambda x: (traces.append(ctx.value), x * 2)[1])
    f(1.0)
    f(1.0)
    with ctx(1):
        assert ctx.value == 1
        f(1.0)
    assert traces == [0, 1] and ctx.value == 0


def test_no_tracing_and_no_execution():
    f = jax.jit(lambda x: x + 1)
    f(1.0)
    with jax.no_tracing(True):
        f(2.0)  # cached: no tracing needed
        with pytest.raises(RuntimeError, match="no_tracing"):
            f(jnp.ones(2))
    with jax.no_execution(True):
        with pytest.raises(RuntimeError, match="no_execution"):
            f(1.0)
    assert_close(f(jnp.ones(2)), np.full(2, 2.0, np.float32))


@needs_jax
@pytest.mark.parametrize("name, good, bad", [
    ("softmax_custom_jvp", True, None), ("log_compiles", True, None), ("explain_cache_misses", True, None),
    ("enable_checks", True, None), ("check_tracer_leaks", True, None), ("thread_guard", False, None),
    ("legacy_prng_key", "warn", "bad"), ("transfer_guard_host_to_device", "disallow", "bad"),
    ("array_garbage_collection_guard", "log", "bad"), ("default_prng_impl", "threefry2x32", "bad"),
])
def test_config_context_managers(name, good, bad):
    option = "jax_" + name
    with getattr(jax, name)(good):
        assert jax.config.read(option) == good
    with getattr(real_jax, name)(good):
        pass
    assert jax.config.read(option) == real_jax.config.values[option] or name == "legacy_prng_key"
    if bad is not None:
        with pytest.raises(ValueError):
            with getattr(real_jax, name)(bad):
                pass
        with pytest.raises(ValueError):
            with getattr(jax, name)(bad):
                pass


def test_softmax_custom_jvp_takes_effect():
    f = lambda x: jax.nn.softmax(x)[0]
    x = jnp.array([0.1, 0.5, -0.2])
    plain = jax.grad(f)(x)
    with jax.softmax_custom_jvp(True):
        custom = jax.grad(f)(x)
    assert_close(plain, custom, rtol=1e-5)
    assert_close(custom, numerical_grad(lambda v: float(f(jnp.asarray(v, np.float32))), np.asarray(x, np.float64)),
                 rtol=1e-2, atol=1e-3, check_dtype=False)


def test_unsupported_choices_say_so():
    with pytest.raises(NotImplementedError):
        with jax.default_prng_impl("rbg"):
            pass
    with pytest.raises(NotImplementedError):
        with jax.threefry_partitionable(False):
            pass
    with pytest.raises(NotImplementedError):
        jax.Shard()
    assert jax.distributed.is_initialized() is False
