"""Schedules: functions of the step count giving a learning rate (or any hyperparameter). They
are plain jnp arithmetic on the count, so they trace under jit like the rest of a train step."""

from __future__ import annotations

from typing import Optional

import jaxlite.numpy as jnp


def constant_schedule(value):
    return lambda count: value


def polynomial_schedule(init_value, end_value, power, transition_steps: int, transition_begin: int = 0):
    """From init_value to end_value along (1 - t / transition_steps)**power, starting at transition_begin."""
    if transition_steps <= 0:
        return lambda count: init_value
    transition_begin = max(transition_begin, 0)

    def schedule(count):
        count = jnp.clip(count - transition_begin, 0, transition_steps)
        frac = 1 - count / transition_steps
        return (init_value - end_value) * frac ** power + end_value
    return schedule


def linear_schedule(init_value, end_value, transition_steps: int, transition_begin: int = 0):
    return polynomial_schedule(init_value=init_value, end_value=end_value, power=1,
                               transition_steps=transition_steps, transition_begin=transition_begin)


def piecewise_constant_schedule(init_value, boundaries_and_scales: Optional[dict] = None):
    """init_value, multiplied by scale at each boundary step the count has reached."""
    if boundaries_and_scales is not None and not all(s >= 0.0 for s in boundaries_and_scales.values()):
        raise ValueError("`piecewise_constant_schedule` expects non-negative scale factors")

    def schedule(count):
        v = init_value
        for threshold, scale in sorted((boundaries_and_scales or {}).items()):
            before = jnp.maximum(0.0, jnp.sign(threshold - count))
            v = v * before + (1 - before) * scale * v
        return v
    return schedule


def exponential_decay(init_value, transition_steps: int, decay_rate: float, transition_begin: int = 0,
                      staircase: bool = False, end_value=None):
    """init_value * decay_rate**((count - transition_begin) / transition_steps), floored when staircase,
    bounded by end_value."""
    if transition_steps <= 0 or decay_rate == 0:
        return lambda count: init_value
    transition_begin = max(transition_begin, 0)
    bound = None if end_value is None else (jnp.maximum if decay_rate < 1.0 else jnp.minimum)

    def schedule(count):
        passed = count - transition_begin
        p = passed / transition_steps
        if staircase:
            p = jnp.floor(p)
        value = jnp.where(passed <= 0, init_value, init_value * jnp.power(decay_rate, p))
        return value if bound is None else bound(value, end_value)
    return schedule


def cosine_decay_schedule(init_value, decay_steps: int, alpha=0.0, exponent=1.0):
    """Half a cosine from init_value down to alpha * init_value over decay_steps (Loshchilov & Hutter 2016)."""
    if not decay_steps > 0:
        raise ValueError(f"The cosine_decay_schedule requires positive decay_steps, got decay_steps={decay_steps!r}.")
    steps = float(decay_steps) if isinstance(decay_steps, int) else decay_steps

    def schedule(count):
        count = float(count) if isinstance(count, int) else count
        count = jnp.minimum(count, steps)
        cosine = 0.5 * (1 + jnp.cos(jnp.pi * count / steps))
        return init_value * ((1 - alpha) * cosine ** exponent + alpha)
    return schedule


def join_schedules(schedules, boundaries):
    """schedules[i] from boundaries[i - 1] on, each counting from its own boundary."""
    def schedule(step):
        output = schedules[0](step)
        for boundary, sched in zip(boundaries, schedules[1:]):
            output = jnp.where(step < boundary, output, sched(step - boundary))
        return output
    return schedule


def warmup_constant_schedule(init_value, peak_value, warmup_steps: int):
    return linear_schedule(init_value=init_value, end_value=peak_value, transition_steps=warmup_steps)


def warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps: int, decay_steps: int, end_value=0.0,
                                 exponent=1.0):
    """Linear warmup to peak_value, then cosine decay to end_value at decay_steps (warmup included)."""
    alpha = 0.0 if peak_value == 0.0 else end_value / peak_value
    return join_schedules([linear_schedule(init_value=init_value, end_value=peak_value, transition_steps=warmup_steps),
                           cosine_decay_schedule(init_value=peak_value, decay_steps=decay_steps - warmup_steps,
                                                 alpha=alpha, exponent=exponent)], [warmup_steps])


def warmup_exponential_decay_schedule(init_value, peak_value, warmup_steps: int, transition_steps: int, decay_rate,
                                      transition_begin: int = 0, staircase: bool = False, end_value=None):
    return join_schedules([linear_schedule(init_value=init_value, end_value=peak_value, transition_steps=warmup_steps),
                           exponential_decay(init_value=peak_value, transition_steps=transition_steps,
                                             decay_rate=decay_rate, transition_begin=transition_begin,
                                             staircase=staircase, end_value=end_value)], [warmup_steps])


def _linear_interpolate(start, end, pct):
    return (end - start) * pct + start


def _cosine_interpolate(start, end, pct):
    return end + (start - end) / 2.0 * (jnp.cos(jnp.pi * pct) + 1)


def piecewise_interpolate_schedule(interpolate_type: str, init_value, boundaries_and_scales: Optional[dict] = None):
    """Values init_value * cumulative scales at the boundaries, interpolated ('linear' or 'cosine') between them."""
    if interpolate_type == "linear":
        interpolate = _linear_interpolate
    elif interpolate_type == "cosine":
        interpolate = _cosine_interpolate
    else:
        raise ValueError("`interpolate_type` must be either 'cosine' or 'linear'")
    if boundaries_and_scales:
        boundaries, scales = zip(*sorted(boundaries_and_scales.items()))
        if not all(scale >= 0.0 for scale in scales):
            raise ValueError("`piecewise_interpolate_schedule` expects non-negative scale factors")
    else:
        boundaries, scales = (), ()

    def schedule(count):
        bounds = jnp.stack((0,) + boundaries)
        values = jnp.cumprod(jnp.stack((init_value,) + scales))
        sizes = jnp.maximum(bounds[1:] - bounds[:-1], 1)
        inside = jnp.logical_and(bounds[:-1] <= count, count < bounds[1:])
        pct = (count - bounds[:-1]) / sizes
        return jnp.dot(inside, interpolate(values[:-1], values[1:], pct)) + (bounds[-1] <= count) * values[-1]
    return schedule


def linear_onecycle_schedule(transition_steps: int, peak_value, pct_start: float = 0.3, pct_final: float = 0.85,
                             div_factor: float = 25.0, final_div_factor: float = 1e4):
    """The one-cycle policy (Smith & Topin 2017) with linear ramps."""
    if transition_steps <= 0:
        raise ValueError("A linear onecycle schedule was set with a non-positive `transition_steps`")
    return piecewise_interpolate_schedule("linear", peak_value / div_factor, {
        int(pct_start * transition_steps): div_factor, int(pct_final * transition_steps): 1.0 / div_factor,
        transition_steps: 1.0 / final_div_factor})


def cosine_onecycle_schedule(transition_steps: int, peak_value, pct_start: float = 0.3, div_factor: float = 25.0,
                             final_div_factor: float = 1e4):
    """The one-cycle policy with cosine ramps."""
    if transition_steps <= 0:
        raise ValueError("A linear onecycle schedule was set with a non-positive `transition_steps`")
    return piecewise_interpolate_schedule("cosine", peak_value / div_factor, {
        int(pct_start * transition_steps): div_factor,
        int(transition_steps): 1.0 / (div_factor * final_div_factor)})


def sgdr_schedule(cosine_kwargs):
    """Warm restarts (Loshchilov & Hutter 2016): warmup_cosine_decay_schedules one after another."""
    schedules, boundaries, step = [], [], 0
    for kwargs in cosine_kwargs:
        schedules.append(warmup_cosine_decay_schedule(**kwargs))
        step += kwargs["decay_steps"]
        boundaries.append(step)
    return join_schedules(schedules, boundaries[:-1])
