"""Top-level extras: debug printing and callbacks, AOT stages, vjp as a pytree, check_grads,
checkpoint policies, stax/optimizers, new primitives through jax.extend, config context managers."""

from __future__ import annotations

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from conftest import assert_close, needs_jax, real_jax, real_jnp


def _prints(jx, jnpx):
    def f(x):
        jx.debug.print("x={} y={y}", x, y=x * 2, ordered=True)
        jx.debug.print("plain", ordered=True)
        jx.debug.print("{a:.2f}", a=x[0], ordered=True)
        return jnpx.sin(x).sum()
    x = jnpx.arange(4.0).reshape(2, 2)
    f(x[0])
    jx.jit(f)(x[0])
    jx.vmap(f)(x)  # once per element
    jx.grad(f)(x[0])  # primal values
    jx.jit(jx.vmap(f))(x)
    jx.grad(jx.jit(f))(x[0])


@needs_jax
def test_debug_print_matches_jax(capsys):
    _prints(jax, jnp)
    ours = capsys.readouterr().out
    _prints(real_jax, real_jnp)
    assert ours == capsys.readouterr().out
    assert ours.count("x=[0. 1.] y=[0. 2.]") == 6


def test_debug_callback_and_format_checks():
    seen = []
    jax.jit(lambda x: jax.debug.callback(lambda a, k: seen.append((np.asarray(a), int(k))), x, k=3))(jnp.ones(2))
    jax.vmap(lambda x: jax.debug.callback(lambda a, tag: seen.append((np.asarray(a), tag)), x, tag="s"))(jnp.eye(2))
    assert [k for _, k in seen] == [3, "s", "s"] and np.array_equal(seen[2][0], [0.0, 1.0])
    with pytest.raises(ValueError, match="Unused keyword"):
        jax.debug.print("no fields", y=1)
    with pytest.raises(NotImplementedError):
        jax.debug.visualize_array_sharding(jnp.ones(2))


def test_pure_callback_under_transforms():
    def host_cumsum(x):
        assert isinstance(x, jax.Array)
        return np.cumsum(np.asarray(x), axis=-1)

    sds = jax.ShapeDtypeStruct((3,), jnp.float32)
    x = jnp.arange(6.0).reshape(2, 3)
    out = jax.jit(lambda v: jax.pure_callback(host_cumsum, sds, v * 2) + 1)(x[1])
    assert_close(out, np.cumsum(np.arange(3.0, 6.0) * 2).astype(np.float32) + 1)
    for method in ("sequential", "expand_dims", "broadcast_all", "legacy_vectorized"):
        got = jax.jit(jax.vmap(lambda v: jax.pure_callback(host_cumsum, sds, v, vmap_method=method)))(x)
        assert_close(got, np.cumsum(np.asarray(x), axis=-1))
    with pytest.raises(NotImplementedError, match="vmap_method"):
        jax.vmap(lambda v: jax.pure_callback(host_cumsum, sds, v))(x)
    with pytest.raises(ValueError, match="do not support JVP"):
        jax.grad(lambda v: jax.pure_callback(lambda a: a, jax.ShapeDtypeStruct((), jnp.float32), v))(1.0)
    with pytest.raises(RuntimeError, match="Incorrect output dtype"):
        jax.pure_callback(lambda a: np.ones(3, np.int32), sds, 1.0)
    tree = jax.pure_callback(lambda a: {"a": a, "b": (a * 2,)},
                             {"a": jax.ShapeDtypeStruct((), jnp.float32), "b": (jax.ShapeDtypeStruct((), jnp.float32),)}, 1.0)
    assert float(tree["b"][0]) == 2.0 and tree["a"].dtype == jnp.float32


def test_io_callback_order_and_errors():
    from jaxlite.experimental import io_callback
    log = []
    f = jax.jit(lambda x: io_callback(lambda v: log.append(float(v)) or np.float32(v + 1),
                                      jax.ShapeDtypeStruct((), jnp.float32), x, ordered=True) * 2)
    assert float(f(1.0)) == 4.0 and float(f(2.0)) == 6.0 and log == [1.0, 2.0]
    jax.jit(lambda x: io_callback(lambda v: log.append(-1.0), None, x))(0.0)  # no outputs: still runs
    assert log[-1] == -1.0
    with pytest.raises(ValueError, match="ordered IO callback"):
        jax.vmap(lambda x: io_callback(lambda v: v, jax.ShapeDtypeStruct((), jnp.float32), x, ordered=True))(jnp.ones(2))


def test_vjp_is_a_partial_through_jit():
    y, pullback = jax.vjp(lambda x, d: {"a": jnp.sin(x) * d["w"]}, jnp.arange(3.0), {"w": 2.0})
    assert isinstance(pullback, jax.tree_util.Partial)
    gx, gd = pullback({"a": jnp.ones(3)})
    assert_close(gx, (2 * np.cos(np.arange(3.0))).astype(np.float32))
    g = jax.jit(lambda x: jax.vjp(jnp.sin, x)[1])(jnp.arange(3.0))
    assert len(jax.tree.leaves(g)) >= 1
    assert_close(jax.jit(lambda f, c: f(c))(g, jnp.ones(3))[0], np.cos(np.arange(3.0)).astype(np.float32))
    with pytest.raises(ValueError, match="Tree structure"):
        pullback(jnp.ones(3))


def test_aot_stages():
    f = jax.jit(lambda x, n: jnp.exp(x @ x.T + n).sum(0), static_argnums=1)
    traced = f.trace(jnp.ones((2, 3)), 1.0)
    assert "dot_general" in str(traced.jaxpr) and traced.out_info.shape == (2,)
    lowered = f.lower(jax.ShapeDtypeStruct((2, 3), jnp.float32), 1.0)
    assert "exp" in lowered.as_text()
    compiled = lowered.compile()
    assert_close(compiled(jnp.ones((2, 3))), f(jnp.ones((2, 3)), 1.0))
    text = compiled.as_text()
    if jax.default_backend() == "wasm":
        assert "(module" in text and "kernel" in text
    else:
        assert "dot_general" in text
    cost = compiled.cost_analysis()
    assert cost["flops"] >= 2 * 2 * 2 * 3 and cost["bytes accessed"] == (6 + 2) * 4
    with pytest.raises(TypeError, match="Argument types differ"):
        compiled(jnp.ones((3, 3)))


def test_check_grads_catches_a_wrong_custom_jvp():
    from jaxlite.test_util import check_grads
    check_grads(lambda x, y: jnp.sin(x) * y, (np.float32(1.0), np.arange(3, dtype=np.float32)), order=2)

    @jax.custom_jvp
    def bad_sin(x):
        return jnp.sin(x)
    bad_sin.defjvp(lambda p, t: (jnp.sin(p[0]), 2 * jnp.cos(p[0]) * t[0]))
    for mode in ("fwd", "rev"):
        with pytest.raises(AssertionError):
            check_grads(bad_sin, (np.float32(0.5),), 1, modes=[mode])


def test_checkpoint_policies_accepted():
    def f(x):
        a = jax.ad_checkpoint.checkpoint_name(jnp.sin(x), "a")
        return (jnp.cos(a) * x).sum()
    expected = jax.grad(f)(jnp.arange(3.0))
    for policy in (jax.checkpoint_policies.nothing_saveable, jax.checkpoint_policies.everything_saveable,
                   jax.checkpoint_policies.dots_saveable, jax.checkpoint_policies.save_only_these_names("a")):
        assert_close(jax.grad(jax.checkpoint(f, policy=policy))(jnp.arange(3.0)), expected)
    lines = jax.ad_checkpoint.saved_residuals(f, jnp.arange(3.0))
    assert any("from the argument x" in what for _, what in lines)


@needs_jax
def test_stax_and_optimizers_step_equals_jax():
    from jax.example_libraries import optimizers as ropt, stax as rstax
    from jaxlite.example_libraries import optimizers, stax

    def net(S):
        return S.serial(S.Dense(8), S.Tanh, S.Dense(3), S.LogSoftmax)
    init, apply = net(stax)
    rinit, rapply = net(rstax)
    shape, params = init(jax.random.PRNGKey(0), (4, 5))
    _, rparams = rinit(real_jax.random.PRNGKey(0), (4, 5))
    assert shape == (4, 3)
    assert_close(params, rparams)
    x = np.random.RandomState(0).randn(4, 5).astype(np.float32)
    for name, args in (("adam", (1e-2,)), ("momentum", (1e-2, 0.9))):
        oi, ou, og = getattr(optimizers, name)(*args)
        roi, rou, rog = getattr(ropt, name)(*args)
        step = jax.jit(lambda i, s: ou(i, jax.grad(lambda p: -apply(p, x)[:, 0].mean())(og(s)), s))
        rstep = real_jax.jit(lambda i, s: rou(i, real_jax.grad(lambda p: -rapply(p, x)[:, 0].mean())(rog(s)), s))
        state, rstate = oi(params), roi(rparams)
        for i in range(2):
            state, rstate = step(i, state), rstep(i, rstate)
        assert_close(og(state), rog(rstate), rtol=1e-5, atol=1e-6)


def test_stax_pools_and_conv_shapes():
    from jaxlite.example_libraries import stax
    x = np.random.RandomState(0).randn(2, 4, 4, 3).astype(np.float32)
    blocks = x.reshape(2, 2, 2, 2, 2, 3)
    for layer, expect in ((stax.MaxPool, blocks.max((2, 4))), (stax.AvgPool, blocks.mean((2, 4))),
                          (stax.SumPool, blocks.sum((2, 4)))):
        init, apply = layer((2, 2), strides=(2, 2))
        assert init(None, x.shape)[0] == (2, 2, 2, 3)
        assert_close(apply((), x), expect, rtol=1e-5, atol=1e-5)
    init, apply = stax.serial(stax.Conv(5, (3, 3), padding="SAME"), stax.Relu, stax.Flatten, stax.Dense(2))
    shape, params = init(jax.random.PRNGKey(1), x.shape)
    assert shape == (2, 2) and apply(params, x).shape == (2, 2)


def test_optimizer_schedules():
    from jaxlite.example_libraries import optimizers
    assert float(optimizers.exponential_decay(1.0, 10, 0.5)(10)) == pytest.approx(0.5)
    assert float(optimizers.piecewise_constant([2, 4], [1.0, 0.5, 0.1])(3)) == pytest.approx(0.5)
    assert float(optimizers.polynomial_decay(1.0, 10, 0.0)(5)) == pytest.approx(0.5)
    packed = optimizers.pack_optimizer_state(optimizers.unpack_optimizer_state(optimizers.adam(0.1)[0]({"w": jnp.ones(2)})))
    assert jax.tree.structure(packed) == jax.tree.structure(optimizers.adam(0.1)[0]({"w": jnp.ones(2)}))


def test_new_primitive_through_extend():
    from jaxlite.extend.core import Primitive, ShapedArray
    from jaxlite.interpreters import ad, batching
    scale_p = Primitive("scale3")
    scale_p.def_impl(lambda x: x * 3)
    scale_p.def_abstract_eval(lambda x: ShapedArray(x.shape, x.dtype))
    ad.defjvp(scale_p, lambda g, x: scale_p.bind(g))
    ad.primitive_transposes[scale_p] = lambda ct, x: [scale_p.bind(ct)]
    batching.primitive_batchers[scale_p] = lambda args, dims: (scale_p.bind(args[0]), dims[0])
    x = jnp.arange(3.0)
    assert_close(jax.jit(scale_p.bind)(x), x * 3)
    assert_close(jax.grad(lambda v: jnp.sin(scale_p.bind(v)).sum())(x), 3 * jnp.cos(3 * x))
    assert_close(jax.vmap(scale_p.bind)(jnp.ones((2, 3))), 3 * np.ones((2, 3), np.float32))
    assert_close(jax.jvp(scale_p.bind, (x,), (jnp.ones(3),))[1], 3 * np.ones(3, np.float32))


def test_top_level_names():
    with jax.enable_x64(True):
        assert jnp.ones(2).dtype == np.float64
    assert jnp.ones(2).dtype == np.float32
    assert jax.typeof(jnp.ones((2, 3))).shape == (2, 3) and jax.typeof(1.0).weak_type
    with jax.named_scope("layer"), jax.default_matmul_precision("highest"), jax.numpy_dtype_promotion("standard"):
        assert float(jnp.ones(2) @ jnp.ones(2)) == 2.0
    arr = jax.make_array_from_callback((2, 2), None, lambda idx: np.arange(4.0).reshape(2, 2)[idx])
    assert_close(arr, np.arange(4.0, dtype=np.float32).reshape(2, 2))
    assert jax.process_count() == 1 and jax.process_index() == 0
    assert "jaxlite" in jax.print_environment_info(return_string=True)
    keep = jnp.full((7,), 3.0)
    assert any(a is keep for a in jax.live_arrays())
    jax.clear_caches()
    with pytest.raises(NotImplementedError, match="one process"):
        jax.pmap(lambda v: v)(jnp.ones((1, 2)))
    with pytest.raises(NotImplementedError):
        jax.sharding.NamedSharding(None, None)


def test_refs():
    r = jax.new_ref(jnp.ones(3))
    r[1] += 2.0
    r[...] = r[...] * 2
    assert_close(jax.freeze(r), np.array([2.0, 6.0, 2.0], np.float32))
    with pytest.raises(ValueError):
        r[...]

    @jax.jit
    def f(x):
        ref = jax.new_ref(jnp.zeros(3))
        ref[0] = x
        ref[...] += 1
        return jax.freeze(ref)
    assert_close(f(2.0), np.array([3.0, 1.0, 1.0], np.float32))
    assert float(jax.grad(lambda x: f(x).sum())(2.0)) == 1.0


@needs_jax
def test_dtypes_extended_hierarchy_and_helpers_as_jax():
    import jax.dtypes as rd
    import jaxlite.dtypes as ld

    def answers(lib, jnp_, d):
        k = lib.random.key(0)
        return [d.issubdtype(k.dtype, d.prng_key), d.issubdtype(k.dtype, d.extended), d.issubdtype(k.dtype, np.generic),
                d.issubdtype(k.dtype, jnp_.unsignedinteger), d.issubdtype(jnp_.float32, d.extended),
                d.issubdtype(np.float32, k.dtype), d.issubdtype(k.dtype, k.dtype), repr(d.float0),
                d.itemsize_bits(np.bool_), d.itemsize_bits(jnp_.float16), d.itemsize_bits(jnp_.int4),
                d.scalar_type_of(jnp_.ones(2)), d.scalar_type_of(1), d.scalar_type_of(jnp_.ones(2, bool)),
                d.scalar_type_of(jnp_.ones(2, jnp_.complex64)), d.scalar_type_of(np.uint8(3))]
    assert answers(jax, jnp, ld) == answers(real_jax, real_jax.numpy, rd)


@needs_jax
def test_error_classes_have_jaxs_bases():
    import jax.errors as re
    import jaxlite.errors as le
    for name in ("InconclusiveDimensionOperation", "JAXIndexError", "JaxprTypeError", "KeyReuseError"):
        ours, theirs = getattr(le, name), getattr(re, name)
        builtin = [c for c in theirs.__mro__ if c.__module__ == "builtins"]
        assert [c for c in ours.__mro__ if c.__module__ == "builtins"] == builtin, name


def test_debug_log_formats_like_print_into_logging(caplog):
    import logging
    with caplog.at_level(logging.INFO):
        jax.debug.log("x is {}", jnp.arange(2.0))
        jax.jit(lambda v: jax.debug.log("y={y}", y=v * 2))(jnp.ones(2))
    assert [r.getMessage() for r in caplog.records if "debugging" in r.name] == ["x is [0. 1.]", "y=[2. 2.]"]


@needs_jax
def test_checkpoint_policy_answers():
    from jax import ad_checkpoint as rac
    from jaxlite import ad_checkpoint as ac
    assert ac.Saveable is not ac.Recompute and not isinstance(ac.Saveable, bool)
    assert ac.Offloadable("device", "pinned_host") == rac.Offloadable("device", "pinned_host")
    g = jax.grad(jax.checkpoint(lambda x: jnp.sin(jnp.sin(x)), policy=lambda *_, **__: ac.Recompute))(1.0)
    assert_close(g, real_jax.grad(lambda x: real_jax.numpy.sin(real_jax.numpy.sin(x)))(1.0))


@needs_jax
def test_optimizers_reexports_jaxs_helpers():
    from jax.example_libraries import optimizers as ropt
    from jaxlite.example_libraries import optimizers as opt
    assert opt.map(lambda a, b: a + b, [1, 2], [3, 4]) == ropt.map(lambda a, b: a + b, [1, 2], [3, 4])
    assert opt.zip([1, 2], "ab") == list(ropt.zip([1, 2], "ab"))
    assert opt.unzip2([(1, "a"), (2, "b")]) == ropt.unzip2([(1, "a"), (2, "b")])
    assert opt.partial is ropt.partial
    for bad in (lambda m: m.zip([1], [1, 2]), lambda m: m.map(lambda a, b: a, [1, 2], [1])):
        with pytest.raises(ValueError) as ours:
            bad(opt)
        with pytest.raises(ValueError) as theirs:
            bad(ropt)
        assert str(ours.value) == str(theirs.value)


@needs_jax
@pytest.mark.parametrize("layer, args, shape", [
    ("ConvTranspose", (4, (3, 3)), (2, 5, 5, 3)),
    ("ConvTranspose", (2, (2, 2), (2, 2), "SAME"), (1, 4, 3, 2)),
    ("Conv1DTranspose", (3, (4,), (2,), "VALID"), (2, 7, 2)),
    ("Conv", (4, (3, 3), (1, 1), "SAME"), (2, 5, 5, 3)),
])
def test_stax_convolution_layers_equal_jax(layer, args, shape):
    from jax.example_libraries import stax as rstax
    from jaxlite.example_libraries import stax
    init, apply = getattr(stax, layer)(*args)
    rinit, rapply = getattr(rstax, layer)(*args)
    out_shape, params = init(jax.random.PRNGKey(0), shape)
    rshape, rparams = rinit(real_jax.random.PRNGKey(0), shape)
    assert tuple(out_shape) == tuple(rshape)
    assert_close(params, rparams, rtol=1e-5, atol=1e-6)
    x = np.random.RandomState(1).randn(*shape).astype(np.float32)
    assert_close(apply(params, x), rapply(rparams, x), rtol=1e-4, atol=1e-5)
