"""The building blocks optimizers chain together: moment estimates (Adam, RMS, ...), scaling by a
step size or schedule, momentum, weight decay and clipping. Each state class carries optax's
name and fields, so a state built here has the same pytree structure as optax's."""

from __future__ import annotations

from typing import Any, NamedTuple

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite._src.optax import base
from jaxlite._src.optax import tree_utils as otu
from jaxlite._src.optax.numerics import abs_sq, safe_increment, safe_norm, safe_root_mean_squares
from jaxlite._src.optax.wrappers import masked


def _canonical_dtype(dtype):
    return None if dtype is None else jax.dtypes.canonicalize_dtype(dtype)


def _is_none(x):
    return x is None


def _zero_count():
    return jnp.zeros([], jnp.int32)


# ---- moment estimates

class ScaleByAdamState(NamedTuple):
    count: Any
    mu: base.Updates
    nu: base.Updates


def _corrected_first_moment(mu, updates, b1, count_inc, nesterov):
    """The bias-corrected first moment (Adam, AdaBelief, ...), or with nesterov its look-ahead mix
    with the corrected current gradient, as optax computes them."""
    if nesterov:
        return jax.tree.map(lambda m, g: b1 * m + (1 - b1) * g,
                            otu.tree_bias_correction(mu, b1, safe_increment(count_inc)),
                            otu.tree_bias_correction(updates, b1, count_inc))
    return otu.tree_bias_correction(mu, b1, count_inc)


def scale_by_adam(b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, mu_dtype=None, *,
                  nesterov: bool = False) -> base.GradientTransformation:
    """Adam's rescaling: bias-corrected first moment over the root of the second (Kingma & Ba 2014)."""
    mu_dtype = _canonical_dtype(mu_dtype)

    def init_fn(params):
        return ScaleByAdamState(count=_zero_count(), mu=otu.tree_zeros_like(params, dtype=mu_dtype),
                                nu=otu.tree_zeros_like(params))

    def update_fn(updates, state, params=None):
        del params
        mu = otu.tree_update_moment(updates, state.mu, b1, 1)
        nu = otu.tree_update_moment_per_elem_norm(updates, state.nu, b2, 2)
        count_inc = safe_increment(state.count)
        mu_hat = _corrected_first_moment(mu, updates, b1, count_inc, nesterov)
        nu_hat = otu.tree_bias_correction(nu, b2, count_inc)
        updates = jax.tree.map(lambda m, v: None if m is None else m / (jnp.sqrt(v + eps_root) + eps),
                               mu_hat, nu_hat, is_leaf=_is_none)
        return updates, ScaleByAdamState(count=count_inc, mu=otu.tree_cast(mu, mu_dtype),
                                         nu=otu.tree_cast_like(nu, state.nu))
    return base.GradientTransformation(init_fn, update_fn)


class ScaleByAmsgradState(NamedTuple):
    count: Any
    mu: base.Updates
    nu: base.Updates
    nu_max: base.Updates


def scale_by_amsgrad(b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, mu_dtype=None, bias_correction_mu: bool = True,
                     bias_correction_nu: bool = True) -> base.GradientTransformation:
    """Adam with the running maximum of the second moment in the denominator (Reddi et al. 2018)."""
    mu_dtype = _canonical_dtype(mu_dtype)

    def init_fn(params):
        return ScaleByAmsgradState(count=_zero_count(), mu=otu.tree_zeros_like(params, dtype=mu_dtype),
                                   nu=otu.tree_zeros_like(params), nu_max=otu.tree_zeros_like(params))

    def update_fn(updates, state, params=None):
        del params
        mu = otu.tree_update_moment(updates, state.mu, b1, 1)
        nu = otu.tree_update_moment_per_elem_norm(updates, state.nu, b2, 2)
        count_inc = safe_increment(state.count)
        mu_hat = otu.tree_bias_correction(mu, b1, count_inc) if bias_correction_mu else mu
        nu_eff = otu.tree_bias_correction(nu, b2, count_inc) if bias_correction_nu else nu
        nu_max = jax.tree.map(jnp.maximum, state.nu_max, nu_eff)
        updates = jax.tree.map(lambda m, v: None if m is None else m / (jnp.sqrt(v + eps_root) + eps),
                               mu_hat, nu_max, is_leaf=_is_none)
        return updates, ScaleByAmsgradState(count=count_inc, mu=otu.tree_cast(mu, mu_dtype), nu=nu, nu_max=nu_max)
    return base.GradientTransformation(init_fn, update_fn)


def scale_by_adamax(b1=0.9, b2=0.999, eps=1e-8) -> base.GradientTransformation:
    """Adam with the infinity norm: the second moment is a decayed running max of |g|."""
    def init_fn(params):
        return ScaleByAdamState(count=_zero_count(), mu=otu.tree_zeros_like(params), nu=otu.tree_zeros_like(params))

    def update_fn(updates, state, params=None):
        del params
        count_inc = safe_increment(state.count)
        mu = otu.tree_update_moment(updates, state.mu, b1, 1)
        nu = otu.tree_update_infinity_moment(updates, state.nu, b2, eps)
        mu_hat = otu.tree_bias_correction(mu, b1, count_inc)
        return jax.tree.map(lambda m, v: m / v, mu_hat, nu), ScaleByAdamState(count=count_inc, mu=mu, nu=nu)
    return base.GradientTransformation(init_fn, update_fn)


def scale_by_yogi(b1=0.9, b2=0.999, eps=1e-3, eps_root=0.0, initial_accumulator_value=1e-6
                  ) -> base.GradientTransformation:
    """Yogi: Adam whose second moment moves additively, by the sign of its gap to g**2 (Zaheer et al. 2018)."""
    def init_fn(params):
        return ScaleByAdamState(count=_zero_count(), mu=otu.tree_full_like(params, initial_accumulator_value),
                                nu=otu.tree_full_like(params, initial_accumulator_value))

    def update_fn(updates, state, params=None):
        del params
        mu = otu.tree_update_moment(updates, state.mu, b1, 1)
        nu = jax.tree.map(lambda g, v: v - (1 - b2) * jnp.sign(v - abs_sq(g)) * abs_sq(g), updates, state.nu)
        count_inc = safe_increment(state.count)
        mu_hat = otu.tree_bias_correction(mu, b1, count_inc)
        nu_hat = otu.tree_bias_correction(nu, b2, count_inc)
        updates = jax.tree.map(lambda m, v: None if m is None else m / (jnp.sqrt(v + eps_root) + eps),
                               mu_hat, nu_hat, is_leaf=_is_none)
        return updates, ScaleByAdamState(count=count_inc, mu=mu, nu=nu)
    return base.GradientTransformation(init_fn, update_fn)


class ScaleByBeliefState(NamedTuple):
    count: Any
    mu: base.Updates
    nu: base.Updates


def scale_by_belief(b1=0.9, b2=0.999, eps=1e-16, eps_root=1e-16, *, nesterov: bool = False
                    ) -> base.GradientTransformation:
    """AdaBelief: the second moment of the gradient's deviation from its moving average (Zhuang et al. 2020)."""
    def init_fn(params):
        return ScaleByBeliefState(count=_zero_count(), mu=otu.tree_zeros_like(params), nu=otu.tree_zeros_like(params))

    def update_fn(updates, state, params=None):
        del params
        mu = otu.tree_update_moment(updates, state.mu, b1, 1)
        surprise = otu.tree_sub(updates, mu)
        nu = otu.tree_update_moment_per_elem_norm(surprise, state.nu, b2, 2)
        nu = jax.tree.map(lambda v: v + eps_root, nu)
        count_inc = safe_increment(state.count)
        mu_hat = _corrected_first_moment(mu, updates, b1, count_inc, nesterov)
        nu_hat = otu.tree_bias_correction(nu, b2, count_inc)
        updates = jax.tree.map(lambda m, v: None if m is None else m / (jnp.sqrt(v) + eps),
                               mu_hat, nu_hat, is_leaf=_is_none)
        return updates, ScaleByBeliefState(count=count_inc, mu=mu, nu=nu)
    return base.GradientTransformation(init_fn, update_fn)


class ScaleByRssState(NamedTuple):
    sum_of_squares: base.Updates


def scale_by_rss(initial_accumulator_value=0.1, eps=1e-7) -> base.GradientTransformation:
    """Adagrad's rescaling by the root of the sum of all past squared gradients."""
    def init_fn(params):
        return ScaleByRssState(sum_of_squares=otu.tree_full_like(params, initial_accumulator_value))

    def update_fn(updates, state, params=None):
        del params
        sum_of_squares = jax.tree.map(lambda g, t: abs_sq(g) + t, updates, state.sum_of_squares)
        inv_sqrt = jax.tree.map(lambda t: jnp.where(t > 0, jax.lax.rsqrt(t + eps), 0.0), sum_of_squares)
        return otu.tree_mul(inv_sqrt, updates), ScaleByRssState(sum_of_squares=sum_of_squares)
    return base.GradientTransformation(init_fn, update_fn)


class ScaleByRmsState(NamedTuple):
    nu: base.Updates


class ScaleByRmsWithCountState(NamedTuple):
    count: Any
    nu: base.Updates


def _rms_scaling(eps, eps_in_sqrt):
    if eps_in_sqrt:
        return lambda v: jax.lax.rsqrt(v + eps)
    return lambda v: 1 / (jnp.sqrt(v) + eps)


def scale_by_rms(decay=0.9, eps=1e-8, initial_scale=0.0, eps_in_sqrt: bool = True,
                 bias_correction: bool = False) -> base.GradientTransformation:
    """RMSProp's rescaling by the root of a moving average of squared gradients."""
    inv_root = _rms_scaling(eps, eps_in_sqrt)

    def init_fn(params):
        nu = otu.tree_full_like(params, initial_scale)
        return ScaleByRmsWithCountState(count=_zero_count(), nu=nu) if bias_correction else ScaleByRmsState(nu=nu)

    def update_fn(updates, state, params=None):
        del params
        nu = otu.tree_update_moment_per_elem_norm(updates, state.nu, decay, 2)
        if bias_correction:
            count_inc = safe_increment(state.count)
            nu_hat = otu.tree_bias_correction(nu, decay, count_inc)
        else:
            nu_hat = nu
        updates = jax.tree.map(lambda v, g: inv_root(v) * g, nu_hat, updates)
        if bias_correction:
            return updates, ScaleByRmsWithCountState(count=count_inc, nu=nu)
        return updates, ScaleByRmsState(nu=nu)
    return base.GradientTransformation(init_fn, update_fn)


class ScaleByRStdDevState(NamedTuple):
    mu: base.Updates
    nu: base.Updates


class ScaleByRStdDevWithCountState(NamedTuple):
    count: Any
    mu: base.Updates
    nu: base.Updates


def scale_by_stddev(decay=0.9, eps=1e-8, initial_scale=0.0, eps_in_sqrt: bool = True,
                    bias_correction: bool = False) -> base.GradientTransformation:
    """Centred RMSProp's rescaling by a moving estimate of the gradient's standard deviation."""
    inv_root = _rms_scaling(eps, eps_in_sqrt)

    def init_fn(params):
        mu, nu = otu.tree_zeros_like(params), otu.tree_full_like(params, initial_scale)
        if bias_correction:
            return ScaleByRStdDevWithCountState(count=_zero_count(), mu=mu, nu=nu)
        return ScaleByRStdDevState(mu=mu, nu=nu)

    def update_fn(updates, state, params=None):
        del params
        mu = otu.tree_update_moment(updates, state.mu, decay, 1)
        nu = otu.tree_update_moment_per_elem_norm(updates, state.nu, decay, 2)
        if bias_correction:
            count_inc = safe_increment(state.count)
            mu_hat = otu.tree_bias_correction(mu, decay, count_inc)
            nu_hat = otu.tree_bias_correction(nu, decay, count_inc)
        else:
            mu_hat, nu_hat = mu, nu
        updates = jax.tree.map(lambda m, v, g: inv_root(v - abs_sq(m)) * g, mu_hat, nu_hat, updates)
        if bias_correction:
            return updates, ScaleByRStdDevWithCountState(count=count_inc, mu=mu, nu=nu)
        return updates, ScaleByRStdDevState(mu=mu, nu=nu)
    return base.GradientTransformation(init_fn, update_fn)


class ScaleByLionState(NamedTuple):
    count: Any
    mu: base.Updates


def scale_by_lion(b1=0.9, b2=0.99, mu_dtype=None, *, mode: str = "hard", smooth_beta: float = 1.0
                  ) -> base.GradientTransformation:
    """Lion: the sign of an interpolation between gradient and momentum (Chen et al. 2023)."""
    mu_dtype = _canonical_dtype(mu_dtype)

    def direction(g, m):
        x = (1.0 - b1) * g + b1 * m
        if mode == "hard":
            return jnp.sign(x)
        if mode == "smooth":
            return jnp.tanh(smooth_beta * x)
        if mode == "refined":
            return jnp.where(jnp.abs(x) < 1.0, x, jnp.sign(x))
        raise ValueError(f'Unknown lion mode: {mode}. It needs to be one of ["hard", "smooth", "refined"].')

    def init_fn(params):
        return ScaleByLionState(count=_zero_count(), mu=otu.tree_zeros_like(params, dtype=mu_dtype))

    def update_fn(updates, state, params=None):
        del params
        new_updates = jax.tree.map(direction, updates, state.mu)
        mu = otu.tree_cast(otu.tree_update_moment(updates, state.mu, b2, 1), mu_dtype)
        return new_updates, ScaleByLionState(count=safe_increment(state.count), mu=mu)
    return base.GradientTransformation(init_fn, update_fn)


def scale_by_sign() -> base.GradientTransformation:
    def update_fn(updates, state, params=None):
        del params
        return jax.tree.map(jnp.sign, updates), state
    return base.GradientTransformation(base.init_empty_state, update_fn)


class ScaleByAdaDeltaState(NamedTuple):
    e_g: base.Updates
    e_x: base.Updates


def scale_by_adadelta(rho=0.9, eps=1e-6) -> base.GradientTransformation:
    """AdaDelta: the ratio of the RMS of past updates to the RMS of past gradients (Zeiler 2012)."""
    def init_fn(params):
        return ScaleByAdaDeltaState(e_g=otu.tree_zeros_like(params), e_x=otu.tree_zeros_like(params))

    def update_fn(updates, state, params=None):
        del params
        e_g = otu.tree_update_moment(updates, state.e_g, rho, 2)
        updates = jax.tree.map(lambda g, cur, prev: jnp.sqrt(prev + eps) / jnp.sqrt(cur + eps) * g,
                               updates, e_g, state.e_x)
        e_x = otu.tree_update_moment(updates, state.e_x, rho, 2)
        return updates, ScaleByAdaDeltaState(e_g=e_g, e_x=e_x)
    return base.GradientTransformation(init_fn, update_fn)


class ScaleByAdanState(NamedTuple):
    m: base.Updates
    v: base.Updates
    n: base.Updates
    g: base.Updates
    t: Any


def scale_by_adan(b1=0.98, b2=0.92, b3=0.99, eps=1e-8, eps_root=0.0) -> base.GradientTransformation:
    """Adan: Nesterov-style moments of the gradient and of its change between steps (Xie et al. 2022)."""
    def init_fn(params):
        zeros = lambda: otu.tree_zeros_like(params)  # noqa: E731
        return ScaleByAdanState(m=zeros(), v=zeros(), n=zeros(), g=zeros(), t=_zero_count())

    def update_fn(updates, state, params=None):
        del params
        g = updates
        diff = otu.tree_where(state.t == 0, otu.tree_zeros_like(g), otu.tree_sub(g, state.g))
        m = otu.tree_update_moment(g, state.m, b1, 1)
        v = otu.tree_update_moment(diff, state.v, b2, 1)
        n = otu.tree_update_moment_per_elem_norm(otu.tree_add_scale(g, 1 - b2, diff), state.n, b3, 2)
        t = safe_increment(state.t)
        m_hat = otu.tree_bias_correction(m, b1, t)
        v_hat = otu.tree_bias_correction(v, b2, t)
        n_hat = otu.tree_bias_correction(n, b3, t)
        u = otu.tree_div(otu.tree_add_scale(m_hat, 1 - b2, v_hat),
                         jax.tree.map(lambda x: jnp.sqrt(x + eps_root) + eps, n_hat))
        return u, ScaleByAdanState(m=m, v=v, n=n, g=g, t=t)
    return base.GradientTransformation(init_fn, update_fn)


def scale_by_radam(b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, threshold=5.0, *, nesterov: bool = False
                   ) -> base.GradientTransformation:
    """RAdam: Adam with its step rectified while the second moment's variance is large (Liu et al. 2020);
    plain momentum steps until the rectification term passes threshold."""
    ro_inf = 2.0 / (1.0 - b2) - 1.0

    def init_fn(params):
        return ScaleByAdamState(count=_zero_count(), mu=otu.tree_zeros_like(params), nu=otu.tree_zeros_like(params))

    def update_fn(updates, state, params=None):
        del params
        mu = otu.tree_update_moment(updates, state.mu, b1, 1)
        nu = otu.tree_update_moment_per_elem_norm(updates, state.nu, b2, 2)
        count_inc = safe_increment(state.count)
        b2t = b2 ** count_inc
        ro = ro_inf - 2 * count_inc * b2t / (1 - b2t)
        mu_hat = _corrected_first_moment(mu, updates, b1, count_inc, nesterov)
        nu_hat = otu.tree_bias_correction(nu, b2, count_inc)
        r = jnp.sqrt((ro - 4.0) * (ro - 2.0) * ro_inf / ((ro_inf - 4.0) * (ro_inf - 2.0) * ro))
        rectified = jax.tree.map(lambda m, v: r.astype(m.dtype) * m / (jnp.sqrt(v + eps_root) + eps), mu_hat, nu_hat)
        updates = jax.tree.map(lambda t, f: jnp.where(ro >= threshold, t, f), rectified, mu_hat)
        return updates, ScaleByAdamState(count=count_inc, mu=mu, nu=nu)
    return base.GradientTransformation(init_fn, update_fn)


class ScaleByRpropState(NamedTuple):
    step_sizes: base.Updates
    prev_updates: base.Updates


def scale_by_rprop(learning_rate, eta_minus=0.5, eta_plus=1.2, min_step_size=1e-6, max_step_size=50.0
                   ) -> base.GradientTransformation:
    """Rprop: per-element step sizes grown while the gradient keeps its sign and shrunk when it flips
    (Riedmiller & Braun 1993); the step after a flip is skipped."""
    def init_fn(params):
        return ScaleByRpropState(otu.tree_full_like(params, learning_rate), otu.tree_zeros_like(params))

    def update_fn(updates, state, params=None):
        del params
        sign = jax.tree.map(lambda g, prev: g * prev, updates, state.prev_updates)
        step_sizes = jax.tree.map(
            lambda s, size: jnp.where(s == 0, size, jnp.clip(size * jnp.where(s > 0, eta_plus, eta_minus),
                                                             min=min_step_size, max=max_step_size)),
            sign, state.step_sizes)
        prev_updates = jax.tree.map(lambda s, g, size: jnp.where(s < 0, jnp.zeros_like(g), size * jnp.sign(g)),
                                    sign, updates, step_sizes)
        # As optax 0.2.8: the step returned is the one stored at the previous call (zero at the first).
        updates = jax.tree.map(lambda s, old: jnp.where(s < 0, jnp.zeros_like(old), old), sign, state.prev_updates)
        return updates, ScaleByRpropState(step_sizes, prev_updates)
    return base.GradientTransformation(init_fn, update_fn)


class ScaleByOptimisticGradientState(NamedTuple):
    is_initial_step: Any
    previous_gradient: base.Updates


def scale_by_optimistic_gradient(alpha=1.0, beta=1.0) -> base.GradientTransformation:
    """Optimistic gradient: (alpha + beta) * g - beta * previous g, for min-max games (Mokhtari et al. 2019)."""
    def init_fn(params):
        return ScaleByOptimisticGradientState(is_initial_step=jnp.array(True),
                                              previous_gradient=otu.tree_zeros_like(params))

    def update_fn(updates, state, params=None):
        del params

        def f(grad, prev):
            prev = jnp.where(state.is_initial_step, grad, prev)
            return (alpha + beta) * grad - beta * prev
        return (jax.tree.map(f, updates, state.previous_gradient),
                ScaleByOptimisticGradientState(is_initial_step=jnp.array(False), previous_gradient=updates))
    return base.GradientTransformation(init_fn, update_fn)


# ---- step sizes

def scale(step_size) -> base.GradientTransformation:
    """Multiplies the updates by a fixed step size."""
    def update_fn(updates, state, params=None):
        del params
        return jax.tree.map(lambda g: step_size * g, updates), state
    return base.GradientTransformation(base.init_empty_state, update_fn)


class ScaleByScheduleState(NamedTuple):
    count: Any


def scale_by_schedule(step_size_fn: base.Schedule) -> base.GradientTransformation:
    """Multiplies the updates by `step_size_fn(count)`, counting the updates made so far."""
    def init_fn(params):
        del params
        return ScaleByScheduleState(count=_zero_count())

    def update_fn(updates, state, params=None):
        del params
        step_size = step_size_fn(state.count)
        updates = jax.tree.map(lambda g: jnp.array(step_size, dtype=g.dtype) * g, updates)
        return updates, ScaleByScheduleState(count=safe_increment(state.count))
    return base.GradientTransformation(init_fn, update_fn)


def scale_by_learning_rate(learning_rate=None, *, flip_sign: bool = True) -> base.GradientTransformation:
    """Scales by -learning_rate (a number or a schedule of the step count); identity when None."""
    if learning_rate is None:
        return base.identity()
    m = -1 if flip_sign else 1
    if callable(learning_rate):
        return scale_by_schedule(lambda count: m * learning_rate(count))
    return scale(m * learning_rate)


def scale_by_param_block_norm(min_scale=1e-3) -> base.GradientTransformation:
    """Scales each leaf's update by the norm of its parameter block."""
    def update_fn(updates, state, params):
        if params is None:
            raise ValueError(base.NO_PARAMS_MSG)
        return jax.tree.map(lambda u, p: u * safe_norm(p, min_scale), updates, params), state
    return base.GradientTransformation(base.init_empty_state, update_fn)


def scale_by_param_block_rms(min_scale=1e-3) -> base.GradientTransformation:
    """Scales each leaf's update by the RMS of its parameter block (Adafactor's relative step)."""
    def update_fn(updates, state, params):
        if params is None:
            raise ValueError(base.NO_PARAMS_MSG)
        return jax.tree.map(lambda u, p: u * safe_root_mean_squares(p, min_scale), updates, params), state
    return base.GradientTransformation(base.init_empty_state, update_fn)


def scale_by_trust_ratio(min_norm=0.0, trust_coefficient=1.0, eps=0.0) -> base.GradientTransformation:
    """LARS/LAMB: scales each leaf by ||param|| / ||update|| (1 where either norm is zero)."""
    def scale_leaf(update, param):
        param_norm = safe_norm(param, min_norm)
        update_norm = safe_norm(update, min_norm)
        ratio = trust_coefficient * param_norm / (update_norm + eps)
        zero = jnp.logical_or(param_norm == 0.0, update_norm == 0.0)
        return update * jnp.where(zero, jnp.array(1.0, dtype=param.dtype), ratio)

    def update_fn(updates, state, params):
        if params is None:
            raise ValueError(base.NO_PARAMS_MSG)
        return jax.tree.map(scale_leaf, updates, params), state
    return base.GradientTransformation(base.init_empty_state, update_fn)


def centralize() -> base.GradientTransformation:
    """Subtracts from each update of rank >= 2 its mean over all axes but the first."""
    def subtract_mean(g):
        return g - g.mean(tuple(range(1, g.ndim)), keepdims=True) if g.ndim > 1 else g

    def update_fn(updates, state, params=None):
        del params
        return jax.tree.map(subtract_mean, updates), state
    return base.GradientTransformation(base.init_empty_state, update_fn)


def normalize_by_update_norm(scale_factor=1.0, eps=1e-6) -> base.GradientTransformation:
    def update_fn(updates, state, params=None):
        del params
        g_norm = (otu.tree_norm(updates) + eps) / scale_factor
        return jax.tree.map(lambda g: g / g_norm, updates), state
    return base.GradientTransformation(base.init_empty_state, update_fn)


# ---- momentum and averages

class TraceState(NamedTuple):
    trace: base.Params


def trace(decay, nesterov: bool = False, accumulator_dtype=None) -> base.GradientTransformation:
    """Momentum: t = g + decay * t, returning t (or g + decay * t again, for Nesterov's form)."""
    accumulator_dtype = _canonical_dtype(accumulator_dtype)

    def init_fn(params):
        return TraceState(trace=otu.tree_zeros_like(params, dtype=accumulator_dtype))

    def update_fn(updates, state, params=None):
        del params
        f = lambda g, t: g + decay * t  # noqa: E731
        new_trace = jax.tree.map(lambda g, t: None if g is None else f(g, t), updates, state.trace, is_leaf=_is_none)
        updates = jax.tree.map(f, updates, new_trace) if nesterov else new_trace
        return updates, TraceState(trace=otu.tree_cast(new_trace, accumulator_dtype))
    return base.GradientTransformation(init_fn, update_fn)


class EmaState(NamedTuple):
    count: Any
    ema: base.Params


def ema(decay, debias: bool = True, accumulator_dtype=None) -> base.GradientTransformation:
    """An exponential moving average of the updates, bias-corrected unless debias=False."""
    accumulator_dtype = _canonical_dtype(accumulator_dtype)

    def init_fn(params):
        return EmaState(count=_zero_count(), ema=otu.tree_zeros_like(params, dtype=accumulator_dtype))

    def update_fn(updates, state, params=None):
        del params
        updates = new_ema = otu.tree_update_moment(updates, state.ema, decay, order=1)
        count_inc = safe_increment(state.count)
        if debias:
            updates = otu.tree_bias_correction(new_ema, decay, count_inc)
        return updates, EmaState(count=count_inc, ema=otu.tree_cast(new_ema, accumulator_dtype))
    return base.GradientTransformation(init_fn, update_fn)


class ApplyEvery(NamedTuple):
    count: Any
    grad_acc: base.Updates


def apply_every(k=1) -> base.GradientTransformation:
    """Accumulates k updates and emits their sum every k-th step (zeros in between)."""
    def init_fn(params):
        return ApplyEvery(count=_zero_count(), grad_acc=otu.tree_zeros_like(params))

    def update_fn(updates, state, params=None):
        del params
        c = state.count % k
        grad_acc = jax.tree.map(lambda g, ga: (c != 0) * ga + g, updates, state.grad_acc)
        updates = jax.tree.map(lambda ga: (c == k - 1) * ga, grad_acc)
        return updates, ApplyEvery(count=safe_increment(state.count) % k, grad_acc=grad_acc)
    return base.GradientTransformation(init_fn, update_fn)


# ---- weight decay

class WeightDecaySchedule(NamedTuple):
    count: Any


def add_decayed_weights(weight_decay=0.0, mask=None) -> base.GradientTransformation:
    """Adds weight_decay * params to the updates (decoupled weight decay); a schedule counts steps."""
    def init_fn(params):
        del params
        return WeightDecaySchedule(count=_zero_count()) if callable(weight_decay) else base.EmptyState()

    def update_fn(updates, state, params):
        if params is None:
            raise ValueError(base.NO_PARAMS_MSG)
        new_state = WeightDecaySchedule(safe_increment(state.count)) if callable(weight_decay) else state
        if isinstance(weight_decay, (int, float)) and weight_decay == 0.0:
            return updates, new_state
        s = weight_decay(state.count) if callable(weight_decay) else weight_decay
        updates = jax.tree.map(lambda g, p: None if g is None else g + s * p, updates, params, is_leaf=_is_none)
        return updates, new_state

    tx = base.GradientTransformation(init_fn, update_fn)
    return tx if mask is None else masked(tx, mask)


# ---- clipping

def clip(max_delta) -> base.GradientTransformation:
    """Clips every update elementwise to [-max_delta, max_delta]."""
    def update_fn(updates, state, params=None):
        del params
        return otu.tree_clip(updates, -max_delta, max_delta), state
    return base.GradientTransformation(base.init_empty_state, update_fn)


def clip_by_block_rms(threshold) -> base.GradientTransformation:
    """Rescales each leaf whose RMS exceeds threshold down to it."""
    def clip_leaf(u):
        return u / jnp.maximum(1.0, jnp.sqrt(jnp.mean(abs_sq(u))) / threshold)

    def update_fn(updates, state, params=None):
        del params
        return jax.tree.map(clip_leaf, updates), state
    return base.GradientTransformation(base.init_empty_state, update_fn)


def clip_by_global_norm(max_norm) -> base.GradientTransformation:
    """Rescales all updates together when their joint norm exceeds max_norm (Pascanu et al. 2012)."""
    def update_fn(updates, state, params=None):
        del params
        g_norm = otu.tree_norm(updates)
        trigger = jnp.squeeze(g_norm < max_norm)
        if trigger.ndim != 0:
            raise ValueError(f"Expected the input to have rank 0, got {trigger.ndim} instead")
        clipped = jax.tree.map(
            lambda t: jax.lax.select(trigger, t, t / g_norm.astype(t.dtype) * max_norm), updates)
        return clipped, state
    return base.GradientTransformation(base.init_empty_state, update_fn)


ScaleState = base.EmptyState
AddDecayedWeightsState = base.EmptyState
ScaleByTrustRatioState = base.EmptyState
ClipState = base.EmptyState
ClipByGlobalNormState = base.EmptyState
