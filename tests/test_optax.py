"""jaxlite.optax against real optax: optimizers step by step (params and every state leaf),
schedules, losses (values, gradients, vmap, errors), and a jitted training loop that converges
(the last runs in Pyodide too, where optax and jax are absent)."""

import warnings

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
import jaxlite.optax as optax
from conftest import assert_close, real_jax, real_jnp

try:
    import optax as real_optax
except ImportError:  # inside Pyodide
    real_optax = None

needs_optax = pytest.mark.skipif(real_optax is None or real_jax is None,
                                 reason="the optax oracle is not installed here (Pyodide)")

STEPS = 5
TOL = dict(rtol=2e-5, atol=1e-6)


def _init_params(np_module):
    rng = np.random.default_rng(0)
    return {"w": np_module.asarray(rng.normal(size=(3, 4)).astype(np.float32)),
            "b": np_module.asarray(rng.normal(size=(4,)).astype(np.float32))}


_TARGET = {"w": np.linspace(-2, 3, 12, dtype=np.float32).reshape(3, 4), "b": np.array([4., -3., 2., 5.], np.float32)}
_CURVATURE = {"w": np.linspace(0.5, 2, 12, dtype=np.float32).reshape(3, 4), "b": np.array([1., .5, 2., 3.], np.float32)}


def _loss(np_module, tree):
    def loss(params):
        return sum(np_module.sum(_CURVATURE[k] * (params[k] - _TARGET[k]) ** 2) for k in params)
    return loss


def _describe(tree):
    """The structure of a state pytree with class names and field names, leaves as (shape, dtype, weak type)."""
    if tree is None:
        return None
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        return (type(tree).__name__, tree._fields, tuple(_describe(x) for x in tree))
    if isinstance(tree, (tuple, list)):
        return (type(tree).__name__, tuple(_describe(x) for x in tree))
    if isinstance(tree, dict):
        return ("dict", tuple((k, _describe(tree[k])) for k in sorted(tree)))
    a = np.asarray(tree)
    return (a.shape, str(a.dtype), getattr(tree, "weak_type", None))


def _run(o, jx, np_module, make_opt, jit):
    """STEPS updates of make_opt(o) on the quadratic loss: the trajectory of (updates, params, state)."""
    opt = make_opt(o)
    params = _init_params(np_module)
    state = opt.init(params)
    loss = _loss(np_module, params)

    def step(params, state):
        grads = jx.grad(loss)(params)
        updates, state = opt.update(grads, state, params)
        return updates, o.apply_updates(params, updates), state

    step = jx.jit(step) if jit else step
    out = [(None, params, state)]
    for _ in range(STEPS):
        updates, params, state = step(params, state)
        out.append((updates, params, state))
    return out


OPTIMIZERS = {
    "sgd": lambda o: o.sgd(0.1),
    "sgd_momentum": lambda o: o.sgd(0.05, momentum=0.9),
    "sgd_nesterov_schedule": lambda o: o.sgd(o.linear_schedule(0.1, 0.01, 4), momentum=0.9, nesterov=True),
    "adam": lambda o: o.adam(0.1),
    "adam_warmup_cosine": lambda o: o.adam(o.warmup_cosine_decay_schedule(0.0, 0.2, 2, 8), b1=0.8, eps_root=1e-8),
    "adamw": lambda o: o.adamw(0.1, weight_decay=0.1),
    "adamw_scheduled_decay": lambda o: o.adamw(0.1, weight_decay=o.exponential_decay(0.2, 2, 0.5)),
    "nadam": lambda o: o.nadam(0.1),
    "nadamw": lambda o: o.nadamw(0.1, weight_decay=0.05),
    "rmsprop": lambda o: o.rmsprop(0.02),
    "rmsprop_centered_momentum": lambda o: o.rmsprop(0.02, centered=True, momentum=0.9, nesterov=True),
    "rmsprop_debiased": lambda o: o.rmsprop(0.02, bias_correction=True, eps_in_sqrt=False),
    "adagrad": lambda o: o.adagrad(0.3),
    "adafactor": lambda o: o.adafactor(0.1),
    "adafactor_factored": lambda o: o.adafactor(0.1, min_dim_size_to_factor=2, momentum=0.9, weight_decay_rate=0.01),
    "lion": lambda o: o.lion(0.03),
    "lamb": lambda o: o.lamb(0.05, weight_decay=0.01),
    "adamax_amsgrad_yogi_belief": lambda o: o.chain(o.scale_by_adamax(), o.scale_by_amsgrad(), o.scale_by_yogi(),
                                                    o.adabelief(0.1)),
    "clip_chain": lambda o: o.chain(o.clip_by_global_norm(2.0), o.clip(0.4), o.scale_by_adam(),
                                    o.scale_by_schedule(o.piecewise_constant_schedule(0.1, {2: 0.5, 4: 0.1})),
                                    o.scale(-1.0)),
    "masked": lambda o: o.masked(o.adam(0.1), {"w": True, "b": False}),
    "masked_fn_decay": lambda o: o.chain(
        o.masked(o.add_decayed_weights(0.1), lambda p: {k: v.ndim > 1 for k, v in p.items()}), o.sgd(0.1)),
    "multi_transform": lambda o: o.multi_transform({"a": o.adam(0.1), "z": o.set_to_zero()}, {"w": "a", "b": "z"}),
    "multi_steps": lambda o: o.MultiSteps(o.adam(0.1), every_k_schedule=3),
    "radam_adan_rprop_optimistic": lambda o: o.chain(o.scale_by_radam(b2=0.5), o.adan(0.1), o.rprop(0.1),
                                                     o.optimistic_gradient_descent(0.2, beta=0.5)),
    "ema_trust_ratio": lambda o: o.chain(o.ema(0.9), o.scale_by_trust_ratio(), o.scale_by_learning_rate(0.1)),
    "inject_hyperparams": lambda o: o.inject_hyperparams(o.adamw)(learning_rate=o.linear_schedule(0.1, 0.01, 4),
                                                                  b1=0.85, weight_decay=0.1),
}


@pytest.fixture(scope="module")
def optax_reference():
    """Real optax's trajectories, computed once per optimizer."""
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = _run(real_optax, real_jax, real_jnp, OPTIMIZERS[name], jit=True)
        return cache[name]
    return get


@needs_optax
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_matches_optax(name, optax_reference):
    ours = _run(optax, jax, jnp, OPTIMIZERS[name], jit=True)
    ref = optax_reference(name)
    assert _describe(ours[0][2]) == _describe(ref[0][2])
    for i, ((u, p, s), (ru, rp, rs)) in enumerate(zip(ours, ref)):
        assert _describe(s) == _describe(rs), i
        assert_close(p, rp, **TOL)
        assert_close(s, rs, **TOL)
        if i:
            assert_close(u, ru, **TOL)


@needs_optax
def test_gradient_transformation_types():
    for o in (optax, real_optax):
        assert type(o.adam(0.1)).__name__ == "GradientTransformationExtraArgs"
        assert type(o.scale(2.0)).__name__ == "GradientTransformation"
    assert isinstance(optax.adam(0.1), optax.GradientTransformation)
    assert optax.GradientTransformation._fields == real_optax.GradientTransformation._fields
    assert optax.EmptyState() == () and optax.identity().init({"a": jnp.ones(2)}) == optax.EmptyState()


@needs_optax
def test_errors_match_optax():
    for o, np_module in ((optax, jnp), (real_optax, real_jnp)):
        p = {"a": np_module.ones(3)}
        with pytest.raises(ValueError, match="params"):
            o.add_decayed_weights(0.1).update(p, o.EmptyState(), None)
        opt = o.chain(o.scale(1.0), o.scale(2.0))
        with pytest.raises(ValueError, match="same in chain"):
            opt.update(p, (o.EmptyState(),), p)
        with pytest.raises(ValueError, match="no corresponding transformation"):
            o.multi_transform({"x": o.sgd(1.0)}, {"a": "y"}).init(p)
        with pytest.raises(ValueError, match="non-negative"):
            o.piecewise_constant_schedule(1.0, {3: -1.0})
        with pytest.raises(ValueError, match="positive decay_steps"):
            o.cosine_decay_schedule(1.0, 0)
        with pytest.raises(TypeError, match="subdtype"):
            o.softmax_cross_entropy_with_integer_labels(np_module.zeros((2, 3)), np_module.zeros(2))
        with pytest.raises(ValueError, match="Shape mismatch"):
            o.squared_error(np_module.zeros(3), np_module.zeros(2))


@needs_optax
def test_extra_args_and_named_chain():
    # A transformation that needs a keyword argument, chained with one that ignores it.
    def needs_loss(o):
        def update(updates, state, params=None, *, loss, **extra):
            return {k: v * loss for k, v in updates.items()}, state
        return o.GradientTransformationExtraArgs(o.init_empty_state, update)

    for o, np_module in ((optax, jnp), (real_optax, real_jnp)):
        p = {"a": np_module.ones(3)}
        opt = o.named_chain(("scale", o.scale(2.0)), ("loss", needs_loss(o)))
        state = opt.init(p)
        assert list(state) == ["scale", "loss"]
        u, _ = opt.update(p, state, p, loss=np_module.asarray(3.0))
        np.testing.assert_allclose(np.asarray(u["a"]), 6.0)


SCHEDULES = {
    "constant": lambda o: o.constant_schedule(0.3),
    "linear": lambda o: o.linear_schedule(1.0, 0.1, 10, transition_begin=2),
    "polynomial": lambda o: o.polynomial_schedule(1.0, 0.01, 2.5, 10),
    "cosine": lambda o: o.cosine_decay_schedule(0.5, 8, alpha=0.1, exponent=2.0),
    "warmup_cosine": lambda o: o.warmup_cosine_decay_schedule(0.0, 1.0, 3, 12, end_value=0.05),
    "exponential": lambda o: o.exponential_decay(1.0, 3, 0.5, transition_begin=1, end_value=0.2),
    "exponential_staircase": lambda o: o.exponential_decay(1.0, 3, 0.5, staircase=True),
    "piecewise_constant": lambda o: o.piecewise_constant_schedule(1.0, {3: 0.5, 7: 0.1}),
    "join": lambda o: o.join_schedules([o.constant_schedule(1.0), o.linear_schedule(1.0, 0.0, 5)], [4]),
    "piecewise_linear": lambda o: o.piecewise_interpolate_schedule("linear", 1.0, {2: 2.0, 6: 0.1}),
    "onecycle": lambda o: o.cosine_onecycle_schedule(12, 1.0),
    "sgdr": lambda o: o.sgdr_schedule([dict(init_value=0.0, peak_value=1.0, warmup_steps=2, decay_steps=6)] * 2),
}
COUNTS = [0, 1, 3, 5, 8, 11, 100]


def _weak(x):
    return getattr(x, "weak_type", isinstance(x, (int, float)))


@needs_optax
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_matches_optax(name):
    ours, ref = SCHEDULES[name](optax), SCHEDULES[name](real_optax)
    counts = jnp.array(COUNTS, jnp.int32)
    got = jax.jit(jax.vmap(ours))(counts)
    want = real_jax.vmap(ref)(real_jnp.array(COUNTS, real_jnp.int32))
    assert_close(got, want, rtol=1e-5, atol=1e-6)
    for c in (0, 9):  # Python int counts, as in a schedule called by hand
        g, w = ours(c), ref(c)
        assert_close(g, w, rtol=1e-5, atol=1e-6)
        if name not in ("piecewise_linear", "onecycle"):  # jnp.cumprod keeps a weak type there; JAX's drops it
            assert _weak(g) == _weak(w), (c, _weak(g), _weak(w))


def _loss_inputs(rng):
    logits = rng.normal(size=(4, 5)).astype(np.float32) * 3
    logits[1] *= 1e3  # large logits: log-sum-exp must not overflow
    probs = rng.dirichlet(np.ones(5), size=4).astype(np.float32)
    probs[2, 1] = 0.0  # 0 log 0 = 0 in kl_divergence
    labels = rng.integers(0, 5, size=4).astype(np.int32)
    preds = rng.normal(size=(4, 5)).astype(np.float32)
    preds[0, :2] = [5.0, -8.0]  # past huber's delta, large log_cosh
    targets = rng.normal(size=(4, 5)).astype(np.float32)
    logp = np.log(probs[::-1] + 1e-3)
    binary = (rng.uniform(size=(4, 5)) > 0.5).astype(np.float32)
    where = rng.uniform(size=(4, 5)) > 0.3
    where[:, 0] = True
    return dict(logits=logits, probs=probs, logp=logp, labels=labels, preds=preds, targets=targets, binary=binary,
                where=where)


LOSSES = {
    "l2_loss": lambda o, d: o.l2_loss(d["preds"], d["targets"]),
    "l2_loss_no_targets": lambda o, d: o.l2_loss(d["preds"]),
    "squared_error": lambda o, d: o.squared_error(d["preds"], d["targets"]),
    "huber_loss": lambda o, d: o.huber_loss(d["preds"], d["targets"], delta=0.7),
    "log_cosh": lambda o, d: o.log_cosh(d["preds"], d["targets"]),
    "softmax_cross_entropy": lambda o, d: o.softmax_cross_entropy(d["logits"], d["probs"]),
    "softmax_cross_entropy_where": lambda o, d: o.softmax_cross_entropy(d["logits"], d["probs"] * d["where"],
                                                                         where=d["where"]),
    "softmax_cross_entropy_axis0": lambda o, d: o.softmax_cross_entropy(d["logits"], d["probs"], axis=0),
    "integer_labels": lambda o, d: o.softmax_cross_entropy_with_integer_labels(d["logits"], d["labels"]),
    "integer_labels_axis0": lambda o, d: o.softmax_cross_entropy_with_integer_labels(
        d["logits"].T, d["labels"], axis=0),
    "integer_labels_where": lambda o, d: o.softmax_cross_entropy_with_integer_labels(
        d["logits"], d["labels"] * 0, where=d["where"]),
    "sigmoid_bce": lambda o, d: o.sigmoid_binary_cross_entropy(d["logits"], d["binary"]),
    "sigmoid_bce_int_labels": lambda o, d: o.sigmoid_binary_cross_entropy(d["logits"], d["binary"].astype(np.int32)),
    "sigmoid_focal": lambda o, d: o.sigmoid_focal_loss(d["preds"], d["binary"], alpha=0.25),
    "cosine_similarity": lambda o, d: o.cosine_similarity(d["preds"], d["targets"]),
    "cosine_distance_eps": lambda o, d: o.cosine_distance(d["preds"] * 0, d["targets"], epsilon=1e-6),
    "kl_divergence": lambda o, d: o.kl_divergence(d["logp"], d["probs"]),
    "hinge": lambda o, d: o.hinge_loss(d["preds"], np.sign(d["targets"])),
    "smooth_labels": lambda o, d: o.smooth_labels(d["probs"], 0.1),
}


@needs_optax
@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_matches_optax(name):
    d = _loss_inputs(np.random.default_rng(1))
    ours = LOSSES[name](optax, {k: jnp.asarray(v) for k, v in d.items()})
    ref = LOSSES[name](real_optax, {k: real_jnp.asarray(v) for k, v in d.items()})
    assert_close(ours, ref, rtol=1e-5, atol=1e-5)


@needs_optax
@pytest.mark.parametrize("name", ["huber_loss", "softmax_cross_entropy_where", "integer_labels", "kl_divergence"])
def test_loss_gradients_match_optax(name):
    d = _loss_inputs(np.random.default_rng(2))
    key = {"integer_labels": "logits", "sigmoid_bce": "logits", "softmax_cross_entropy_where": "logits",
           "kl_divergence": "logp"}.get(name, "preds")

    def grad_of(o, jx, np_module):
        data = {k: np_module.asarray(v) for k, v in d.items()}
        return jx.grad(lambda x: LOSSES[name](o, {**data, key: x}).sum())(data[key])
    ours = jax.jit(lambda: grad_of(optax, jax, jnp))()
    assert_close(ours, grad_of(real_optax, real_jax, real_jnp), rtol=1e-4, atol=1e-5)


def test_losses_under_vmap_match_a_loop():
    d = _loss_inputs(np.random.default_rng(3))
    logits, labels = jnp.asarray(d["logits"]), jnp.asarray(d["labels"])
    got = jax.vmap(optax.softmax_cross_entropy_with_integer_labels)(logits, labels)
    want = jnp.stack([optax.softmax_cross_entropy_with_integer_labels(logits[i], labels[i]) for i in range(4)])
    assert_close(got, want)
    one_hot = jax.nn.one_hot(labels, 5)
    assert_close(optax.softmax_cross_entropy(logits, one_hot), got, rtol=1e-5, atol=1e-4)
    assert np.isfinite(np.asarray(got)).all()  # row 1 has logits near 1e3


@needs_optax
def test_tree_utils_match_optax():
    a, b = _init_params(np), {"w": np.full((3, 4), 0.5, np.float32), "b": np.arange(4, dtype=np.float32)}
    for name, f in {
        "tree_add": lambda t, x, y: t.tree_add(x, y, x),
        "tree_sub": lambda t, x, y: t.tree_sub(x, y),
        "tree_scale": lambda t, x, y: t.tree_scale(0.5, x),
        "tree_vdot": lambda t, x, y: t.tree_vdot(x, y),
        "tree_norm": lambda t, x, y: t.tree_norm(x),
        "tree_norm_1": lambda t, x, y: t.tree_norm(x, ord=1),
        "tree_norm_inf_squared": lambda t, x, y: t.tree_norm(x, ord="inf", squared=True),
        "tree_sum": lambda t, x, y: t.tree_sum(x),
        "tree_max": lambda t, x, y: t.tree_max(x),
        "tree_zeros_like": lambda t, x, y: t.tree_zeros_like(x),
        "tree_ones_like": lambda t, x, y: t.tree_ones_like(x, dtype=np.int32),
        "tree_full_like": lambda t, x, y: t.tree_full_like(x, 3),
        "tree_where": lambda t, x, y: t.tree_where(True, x, y),
        "tree_clip": lambda t, x, y: t.tree_clip(x, -0.5, 0.5),
        "tree_add_scale": lambda t, x, y: t.tree_add_scale(x, 2.0, y),
    }.items():
        ours = f(optax.tree_utils, {k: jnp.asarray(v) for k, v in a.items()}, {k: jnp.asarray(v) for k, v in b.items()})
        ref = f(real_optax.tree_utils, {k: real_jnp.asarray(v) for k, v in a.items()},
                {k: real_jnp.asarray(v) for k, v in b.items()})
        assert_close(ours, ref, rtol=1e-5, atol=1e-6), name
    assert optax.tree_utils.tree_size(a) == 16
    with pytest.warns(DeprecationWarning):
        l2 = optax.tree_utils.tree_l2_norm(a)
    assert_close(l2, optax.tree.norm(a))
    with pytest.warns(DeprecationWarning):
        assert_close(optax.global_norm(a), l2)


def test_multi_steps_accumulates():
    """Zero updates for k - 1 calls, then the inner optimizer applied once to the mean gradient."""
    opt = optax.MultiSteps(optax.sgd(1.0), every_k_schedule=3)
    params = {"a": jnp.zeros(2)}
    state = opt.init(params)
    update = jax.jit(opt.update)
    grads = [jnp.array([1.0, 2.0]), jnp.array([3.0, 4.0]), jnp.array([5.0, 0.0])]
    for i, g in enumerate(grads):
        u, state = update({"a": g}, state, params)
        assert bool(opt.has_updated(state)) == (i == 2)
        want = [-3.0, -2.0] if i == 2 else [0.0, 0.0]
        np.testing.assert_allclose(np.asarray(u["a"]), want, rtol=1e-6)
    assert int(state.mini_step) == 0 and int(state.gradient_step) == 1


def test_first_adam_step_is_learning_rate_times_sign():
    """Bias correction makes Adam's first update -lr * g / |g| (up to eps) whatever the scale of g."""
    params = {"w": jnp.zeros((2, 3)), "b": jnp.zeros(3)}
    grads = {"w": jnp.array([[1e-3, -2.0, 5e2], [-7.0, 0.5, -1e-2]]), "b": jnp.array([3.0, -3.0, 1.0])}
    opt = optax.adam(0.01)
    updates, state = jax.jit(opt.update)(grads, opt.init(params), params)
    assert_close(updates, jax.tree.map(lambda g: -0.01 * jnp.sign(g), grads), rtol=1e-4, atol=1e-8)
    assert int(state[0].count) == 1 and state[0].count.dtype == np.int32


def test_apply_updates_keeps_param_dtypes():
    params = {"h": jnp.ones(3, jnp.float16), "i": jnp.arange(3), "none": None}
    updates = {"h": jnp.full(3, 0.5, jnp.float32), "i": jnp.ones(3, jnp.int32), "none": None}
    out = optax.apply_updates(params, updates)
    assert out["h"].dtype == np.float16 and out["i"].dtype == np.int32 and out["none"] is None
    np.testing.assert_allclose(np.asarray(out["h"]), 1.5)


def test_jitted_training_loop_converges():
    """Linear regression with adam and a decaying learning rate inside a jitted step."""
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=(64, 3)).astype(np.float32))
    w_true, b_true = jnp.array([1.5, -2.0, 0.5]), jnp.array(0.3)
    y = x @ w_true + b_true
    params = {"w": jnp.zeros(3), "b": jnp.zeros(())}
    opt = optax.chain(optax.clip_by_global_norm(10.0),
                      optax.adam(optax.exponential_decay(0.2, 20, 0.5)))
    opt_state = opt.init(params)
    device = jax.devices()[0]
    fallbacks = dict(getattr(device, "host_fallbacks", {}))

    def loss_fn(params, x, y):
        return jnp.mean(optax.l2_loss(x @ params["w"] + params["b"], y))

    @jax.jit
    def step(params, opt_state, batch):
        loss, grads = jax.value_and_grad(loss_fn)(params, *batch)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    first = None
    for _ in range(80):
        params, opt_state, loss = step(params, opt_state, (x, y))
        first = float(loss) if first is None else first
    assert first > 1.0 and float(loss) < 1e-3
    np.testing.assert_allclose(np.asarray(params["w"]), np.asarray(w_true), atol=3e-2)
    np.testing.assert_allclose(float(params["b"]), 0.3, atol=3e-2)
    assert int(opt_state[1][0].count) == 80
    assert dict(getattr(device, "host_fallbacks", {})) == fallbacks  # wasm/webgpu: all of it in kernels


def test_jit_matches_eager():
    for name in ("adafactor_factored",):
        eager = _run(optax, jax, jnp, OPTIMIZERS[name], jit=False)
        jitted = _run(optax, jax, jnp, OPTIMIZERS[name], jit=True)
        for (_, p, s), (_, jp, js) in zip(eager, jitted):
            assert_close(jp, p, rtol=1e-5, atol=1e-6)
            assert_close(js, s, rtol=1e-5, atol=1e-6)


def test_grad_through_an_optimizer_step():
    """Meta-gradient: d(loss after one sgd-momentum step)/d(learning rate), against finite differences."""
    params = {"w": jnp.array([1.0, -2.0])}
    loss = lambda p: jnp.sum((p["w"] - 3.0) ** 2)  # noqa: E731

    def after_step(lr):
        opt = optax.sgd(lr, momentum=0.5)
        updates, _ = opt.update(jax.grad(loss)(params), opt.init(params), params)
        return loss(optax.apply_updates(params, updates))

    g = jax.grad(after_step)(0.1)
    eps = 1e-3
    fd = (float(after_step(0.1 + eps)) - float(after_step(0.1 - eps))) / (2 * eps)
    np.testing.assert_allclose(float(g), fd, rtol=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(float(g))


def test_inject_hyperparams_can_be_changed_between_steps():
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=0.1, momentum=0.5)
    params = {"a": jnp.ones(2)}
    state = opt.init(params)
    assert set(state.hyperparams) == {"learning_rate", "momentum"}
    assert state.hyperparams["learning_rate"].dtype == np.float32
    state.hyperparams["learning_rate"] = jnp.asarray(0.5)
    updates, state = jax.jit(opt.update)({"a": jnp.ones(2)}, state, params)
    np.testing.assert_allclose(np.asarray(updates["a"]), -0.5)
    assert int(state.count) == 1


@needs_optax
def test_apply_if_finite_and_skip_not_finite_match_optax():
    """Non-finite gradients: dropped (zero updates, counts kept) until too many come in a row."""
    grads = [np.array([1.0, 2.0], np.float32), np.array([np.nan, 1.0], np.float32),
             np.array([np.inf, 1.0], np.float32), np.array([0.5, -1.0], np.float32)]

    def run(o, jx, np_module):
        outs = []
        for opt in (o.apply_if_finite(o.sgd(0.1, momentum=0.9), max_consecutive_errors=1),
                    o.MultiSteps(o.sgd(0.1), 2, should_skip_update_fn=o.skip_not_finite)):
            params = {"a": np_module.zeros(2)}
            state = opt.init(params)
            update = jx.jit(opt.update)
            for g in grads:
                updates, state = update({"a": np_module.asarray(g)}, state, params)
                outs.append((updates, state))
        return outs

    ours, ref = run(optax, jax, jnp), run(real_optax, real_jax, real_jnp)
    for (u, s), (ru, rs) in zip(ours, ref):
        assert _describe(s) == _describe(rs)
        assert_close(u, ru)
        assert_close(s, rs)  # NaN and inf where optax has them
