"""jax.image, jax.ops segment reductions, jax.monitoring, jax.profiler, jax.ref and the small
top-level modules (core, api_util, dlpack, ...)."""

import gzip
import json
import os

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import image, ops
from conftest import assert_close, needs_jax, numerical_grad, real_jax

RNG = np.random.default_rng(0)
IMG = RNG.standard_normal((2, 6, 7, 3)).astype(np.float32)
METHODS = ["nearest", "linear", "cubic", "lanczos3", "lanczos5", "cubic-pytorch", "area"]


@needs_jax
@pytest.mark.parametrize("method", METHODS)
def test_resize_matches_jax(method):
    # downsampling with antialiasing; then a batch dim, a downsampled and an upsampled dim at once without it
    for shape, antialias in [((2, 3, 4, 3), True), ((3, 4, 11, 2), False)]:
        got = image.resize(IMG, shape, method, antialias=antialias)
        assert_close(got, real_jax.image.resize(IMG, shape, method, antialias=antialias))


@needs_jax
def test_resize_dtypes_and_names():
    x = RNG.integers(0, 255, (5, 6)).astype(np.uint8)
    for method in ["nearest", "bilinear"]:
        assert_close(image.resize(x, (3, 9), method), real_jax.image.resize(x, (3, 9), method))
    assert_close(image.resize(x, (3, 9), image.ResizeMethod.LANCZOS3), real_jax.image.resize(x, (3, 9), "lanczos3"))
    assert_close(image.resize(jnp.ones((3, 3)), (3, 3), "linear"), np.ones((3, 3), np.float32))
    with pytest.raises(ValueError, match="Unknown resize method"):
        image.resize(IMG, (2, 3, 3, 3), "bogus")
    with pytest.raises(ValueError, match="shape must have length"):
        image.resize(IMG, (3, 3), "linear")


@needs_jax
@pytest.mark.parametrize("method,antialias", [("linear", True), ("cubic", False), ("lanczos3", True),
                                              ("area", False)])
def test_scale_and_translate_matches_jax(method, antialias):
    s, t = np.array([1.7, 0.6], np.float32), np.array([0.3, -1.2], np.float32)
    got = image.scale_and_translate(IMG, (2, 9, 5, 3), (1, 2), jnp.asarray(s), jnp.asarray(t), method,
                                    antialias=antialias)
    want = real_jax.jit(lambda a, b: real_jax.image.scale_and_translate(IMG, (2, 9, 5, 3), (1, 2), a, b, method,
                                                                        antialias=antialias))(s, t)
    assert_close(got, want)


def test_scale_and_translate_errors():
    with pytest.raises(ValueError, match="Nearest neighbor"):
        image.scale_and_translate(IMG, IMG.shape, (1,), [1.], [0.], "nearest")


@needs_jax
def test_image_grads_match_jax():
    x = IMG[0, :, :, 0]
    w = RNG.standard_normal((4, 10)).astype(np.float32)

    def loss(mod):
        return lambda v: (mod.image.resize(v, (4, 10), "cubic") * w).sum()

    assert_close(jax.grad(loss(jax))(x), real_jax.jit(real_jax.grad(loss(real_jax)))(x), atol=1e-4)

    def st(mod):
        return lambda sc, tr: (mod.image.scale_and_translate(x, (8, 5), (0, 1), sc, tr, "linear") ** 2).sum()

    # generic values: at a kink of the kernel (a sample exactly on a pixel centre) XLA's rounding of
    # divisions decides which one-sided derivative JAX returns
    s, t = np.array([1.37, 0.71], np.float32), np.array([0.23, 0.41], np.float32)
    got = jax.grad(st(jax), argnums=(0, 1))(jnp.asarray(s), jnp.asarray(t))
    assert_close(got, real_jax.jit(real_jax.grad(st(real_jax), argnums=(0, 1)))(s, t), rtol=1e-4, atol=1e-4)


def test_resize_jit_vmap_and_finite_differences():
    x = IMG[0, :, :, 0]
    f = jax.jit(lambda v: image.resize(v, (3, 11), "lanczos3"))
    np.testing.assert_allclose(np.asarray(f(x)), np.asarray(image.resize(x, (3, 11), "lanczos3")), atol=1e-5)
    batched = jax.vmap(lambda v: image.resize(v, (4, 4), "linear"))(IMG[..., 0])
    loop = np.stack([np.asarray(image.resize(v, (4, 4), "linear")) for v in IMG[..., 0]])
    np.testing.assert_allclose(np.asarray(batched), loop, atol=1e-6)
    # linear downsampling of a constant image keeps it constant (weights sum to one)
    np.testing.assert_allclose(np.asarray(image.resize(np.full((8, 8), 2.5, np.float32), (3, 5), "linear")), 2.5,
                               rtol=1e-6)

    def loss(v):
        return (image.resize(v, (4, 9), "linear") * jnp.arange(36.).reshape(4, 9)).sum()

    small = x[:3, :4]
    np.testing.assert_allclose(np.asarray(jax.grad(loss)(small)), numerical_grad(loss, small), rtol=1e-2, atol=1e-2)


def test_resize_under_jit_runs_as_kernels():
    dev = jax.devices()[0]
    before = dict(getattr(dev, "host_fallbacks", {}))
    f = jax.jit(lambda v: image.resize(v, (2, 4, 9, 3), "cubic"))
    f(IMG).block_until_ready()
    assert dict(getattr(dev, "host_fallbacks", {})) == before


SEG_DATA = RNG.standard_normal((7, 3)).astype(np.float32)
SEG_IDS = np.array([0, 2, 2, -1, 5, 1, 0], np.int32)  # -1 and 5 are out of range for 4 segments


@needs_jax
@pytest.mark.parametrize("name", ["segment_sum", "segment_prod", "segment_max", "segment_min"])
def test_segment_ops_match_jax(name):
    ours, theirs = getattr(ops, name), getattr(real_jax.ops, name)
    for kw in [dict(num_segments=4), dict(num_segments=4, bucket_size=3), dict(num_segments=3, mode="clip")]:
        assert_close(ours(SEG_DATA, SEG_IDS, **kw), real_jax.jit(lambda d, i: theirs(d, i, **kw))(SEG_DATA, SEG_IDS))
    ints = (SEG_DATA * 10).astype(np.int32)
    assert_close(ours(ints, SEG_IDS), theirs(ints, SEG_IDS))  # num_segments from the ids
    want = ours(SEG_DATA, SEG_IDS, 4)
    assert_close(jax.jit(lambda d, i: ours(d, i, 4))(SEG_DATA, SEG_IDS), want)
    assert_close(jax.vmap(lambda d: ours(d, SEG_IDS, 4), out_axes=1)(SEG_DATA.T), want)


@needs_jax
@pytest.mark.parametrize("name", ["segment_sum", "segment_max", "segment_min"])
def test_segment_grads_match_jax(name):
    data = np.array([1., 3., 3., 2., 5., 5., 0.], np.float32)  # ties share the gradient

    def loss(mod, np_mod):
        return lambda v: (getattr(mod.ops, name)(v, SEG_IDS, 3) * np_mod.arange(1., 4.)).sum()

    want = real_jax.jit(real_jax.grad(loss(real_jax, real_jax.numpy)))(data)
    assert_close(jax.grad(loss(jax, jnp))(data), want)
    assert_close(jax.jit(jax.grad(loss(jax, jnp)))(data), want)


@needs_jax
def test_segment_prod_grad_and_errors():
    ids = np.array([2, 0, 1], np.int32)
    x = np.array([1.5, -2., 3.], np.float32)

    def f(mod):
        return lambda v: (mod.ops.segment_prod(v, ids, 4, unique_indices=True) ** 2).sum()

    assert_close(jax.grad(f(jax))(x), real_jax.grad(f(real_jax))(x))
    with pytest.raises(NotImplementedError):
        jax.grad(lambda v: ops.segment_prod(v, SEG_IDS, 4).sum())(SEG_DATA[:, 0])
    with pytest.raises(TypeError):
        ops.segment_sum(SEG_DATA > 0, SEG_IDS, 4)
    with pytest.raises(ValueError, match="non-negative"):
        ops.segment_sum(SEG_DATA, SEG_IDS, -1)
    with pytest.raises(jax.errors.ConcretizationTypeError):
        jax.jit(lambda d, i: ops.segment_sum(d, i))(SEG_DATA, SEG_IDS)


def test_segment_sum_property():
    # recorded-free check (runs in Pyodide too): against a Python loop
    got = np.asarray(ops.segment_sum(SEG_DATA, SEG_IDS, 4))
    want = np.zeros((4, 3), np.float32)
    for row, s in zip(SEG_DATA, SEG_IDS):
        if 0 <= s < 4:
            want[s] += row
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(ops.segment_max(SEG_DATA, SEG_IDS, 4))[3], -np.inf)


def test_monitoring_listeners():
    from jaxlite import monitoring
    seen = []
    listeners = [lambda e, **kw: seen.append(("event", e, kw)),
                 lambda e, d, **kw: seen.append(("duration", e, d, kw)),
                 lambda e, a, b, **kw: seen.append(("span", e, a, b)),
                 lambda e, v, **kw: seen.append(("scalar", e, v))]
    registers = [monitoring.register_event_listener, monitoring.register_event_duration_secs_listener,
                 monitoring.register_event_time_span_listener, monitoring.register_scalar_listener]
    for register, cb in zip(registers, listeners):
        register(cb)
    try:
        monitoring.record_event("/my/event", step=3)
        monitoring.record_event_duration_secs("/my/duration", 0.5, kind="x")
        monitoring.record_event_time_span("/my/span", 1.0, 2.0)
        monitoring.record_scalar("/my/scalar", 7)
        assert seen == [("event", "/my/event", {"step": 3}), ("duration", "/my/duration", 0.5, {"kind": "x"}),
                        ("span", "/my/span", 1.0, 2.0), ("scalar", "/my/scalar", 7)]
        assert listeners[0] in monitoring.get_event_listeners()
    finally:
        monitoring.unregister_event_listener(listeners[0])
        monitoring.unregister_event_duration_listener(listeners[1])
        monitoring.unregister_event_time_span_listener(listeners[2])
        monitoring.unregister_scalar_listener(listeners[3])
    monitoring.record_event("/my/event")
    assert len(seen) == 4
    with pytest.raises(AssertionError):
        monitoring.unregister_event_listener(listeners[0])


def test_profiler_trace_and_annotations(tmp_path):
    from jaxlite import profiler

    @profiler.annotate_function
    def step(v):
        return v * 2

    with profiler.trace(str(tmp_path)):
        with profiler.TraceAnnotation("outer", tag="a"):
            step(jnp.ones(3))
        with profiler.StepTraceAnnotation("train", step_num=1):
            pass
        with pytest.raises(RuntimeError, match="already been started"):
            profiler.start_trace(str(tmp_path))
    with pytest.raises(RuntimeError, match="No profile started"):
        profiler.stop_trace()
    (run,) = os.listdir(tmp_path / "plugins" / "profile")
    with gzip.open(tmp_path / "plugins" / "profile" / run / "perfetto_trace.json.gz", "rt") as f:
        events = json.load(f)["traceEvents"]
    assert [e["name"].rsplit(".", 1)[-1] for e in events] == ["step", "outer", "train"]  # step's qualname
    assert events[1]["args"] == {"tag": "a"} and events[1]["dur"] >= events[0]["dur"]
    keep = jnp.zeros((5, 2), jnp.int16)
    blob = gzip.decompress(profiler.device_memory_profile())
    assert b"int16[5, 2]" in blob and keep.shape == (5, 2)
    profiler.save_device_memory_profile(str(tmp_path / "mem.prof"))
    assert gzip.decompress((tmp_path / "mem.prof").read_bytes()).startswith(b"\n")


def test_ref_module_and_ds():
    from jaxlite import ref
    r = ref.new_ref(jnp.arange(5.))
    assert float(ref.swap(r, 1, 10.)) == 1.0
    ref.addupdate(r, None, 1.)
    ref.set(r, 0, -1.)
    np.testing.assert_array_equal(np.asarray(ref.get(r)), [-1., 11., 3., 4., 5.])
    assert float(ref.get(r, 2)) == 3.
    x = jnp.arange(10)
    np.testing.assert_array_equal(np.asarray(jax.jit(lambda v, i: v[jax.ds(i, 3)])(x, 4)), [4, 5, 6])
    np.testing.assert_array_equal(np.asarray(x[jax.ds(3, 2, 2)]), [3, 5])
    np.testing.assert_array_equal(np.asarray(jax.jit(lambda v, i: v.at[jax.ds(i, 2)].set(0))(x, 1))[:4], [0, 0, 0, 3])

    def f(v):
        box = ref.new_ref(v)
        ref.addupdate(box, None, v * v)
        return ref.get(box).sum()

    np.testing.assert_allclose(np.asarray(jax.grad(f)(jnp.arange(3.))), [1., 3., 5.])


def test_small_modules():
    assert jax.dlpack.is_supported_dtype(np.float32) and not jax.dlpack.is_supported_dtype("U3")
    with pytest.raises(TypeError):
        jax.dlpack.is_supported_dtype(None)
    np.testing.assert_array_equal(np.asarray(jax.dlpack.from_dlpack(np.arange(3))), [0, 1, 2])
    closed = jax.make_jaxpr(lambda a: a * 2 + 1)(1.0)
    assert [float(v) for v in jax.core.eval_jaxpr(closed.jaxpr, closed.consts, 3.0)] == [7.0]
    assert jax.core.max_dim(3, 5) == 5 and jax.core.min_dim(3, 5) == 3
    assert isinstance(jax.api_util.shaped_abstractify(jnp.ones(2)), jax.core.ShapedArray)
    assert jax.api_util.safe_map(lambda a, b: a + b, [1, 2], [3, 4]) == [4, 6]
    with pytest.raises(AssertionError):
        jax.api_util.safe_map(lambda a, b: a, [1], [1, 2])
    assert jax.memory.Space.Host.name == "Host"
    for fn in (jax.export.export, jax.ffi.ffi_call, jax.ad.GradRef, jax.profiler.start_server):
        with pytest.raises(NotImplementedError, match="not available in jaxlite"):
            fn()
