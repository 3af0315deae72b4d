"""inject_hyperparams: an optimizer whose numeric hyperparameters live in its state, so they can
be read (e.g. the current learning rate) or changed between steps, and schedules passed for them
are evaluated from a step count kept in the state."""

from __future__ import annotations

import functools
import inspect
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite._src.optax import base
from jaxlite._src.optax.numerics import safe_increment
from jaxlite._src.optax.tree_utils import tree_dtype


@runtime_checkable
class StatefulSchedule(Protocol):
    """A schedule with its own state: init() -> state, update(state, **extra_args), __call__(state, **extra_args)."""

    def init(self) -> Any: ...

    def update(self, state, **extra_args) -> Any: ...

    def __call__(self, state, **extra_args) -> Any: ...


class WrappedScheduleState(NamedTuple):
    count: Any


class WrappedSchedule:
    """A plain schedule of the step count as a StatefulSchedule."""

    def __init__(self, schedule_fn: base.Schedule):
        self.schedule_fn = schedule_fn

    def init(self) -> WrappedScheduleState:
        return WrappedScheduleState(count=jnp.zeros([], jnp.int32))

    def update(self, state: WrappedScheduleState, **extra_args) -> WrappedScheduleState:
        del extra_args
        return WrappedScheduleState(count=safe_increment(state.count))

    def __call__(self, state: WrappedScheduleState, **extra_args):
        del extra_args
        return self.schedule_fn(state.count)


class InjectHyperparamsState(NamedTuple):
    count: Any
    hyperparams: dict
    inner_state: Any


class InjectStatefulHyperparamsState(NamedTuple):
    count: Any
    hyperparams: dict
    hyperparams_states: dict
    inner_state: Any


def _convert_floats(x, dtype):
    """Floats (and weakly typed arrays) in dtype, the params' widest float; anything else as it is."""
    if isinstance(x, jax.Array) and not getattr(x, "weak_type", False):
        return x
    current = x.dtype if hasattr(x, "dtype") else type(x)
    if jnp.issubdtype(current, jnp.floating):
        return jnp.asarray(x, dtype=dtype)
    return x


def inject_stateful_hyperparams(inner_factory, static_args=(), hyperparam_dtype=None):
    """Wraps an optimizer factory (e.g. optax.adam) so that calling it gives a transformation whose
    numeric arguments sit in `state.hyperparams`; arguments in static_args, and bools, stay fixed."""
    static_args = {static_args} if isinstance(static_args, str) else set(static_args)
    signature = inspect.signature(inner_factory)
    if not static_args.issubset(signature.parameters):
        raise ValueError("`static_args` must specify a subset of `inner_factory`'s parameters. Given "
                         f"`static_args`: {static_args}. `inner_factory` parameters: {set(signature.parameters)}")

    @functools.wraps(inner_factory)
    def wrapped_transform(*args, **kwargs) -> base.GradientTransformationExtraArgs:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        scheduled, numeric, other = {}, {}, {}
        for name, value in bound.arguments.items():
            if name in static_args or isinstance(value, bool):
                other[name] = value
            elif isinstance(value, StatefulSchedule):
                scheduled[name] = value
            elif callable(value):
                scheduled[name] = WrappedSchedule(value)
            elif isinstance(value, (int, float, jax.Array, np.ndarray)):
                numeric[name] = value
            else:
                other[name] = value

        def dtype_for(params):
            return hyperparam_dtype if hyperparam_dtype is not None else tree_dtype(params, "highest")

        def init_fn(params):
            dtype = dtype_for(params)
            hparams = {k: jnp.asarray(_convert_floats(v, dtype)) for k, v in numeric.items()}
            states = {k: f.init() for k, f in scheduled.items()}
            hparams.update({k: _convert_floats(f(states[k]), dtype) for k, f in scheduled.items()})
            return InjectStatefulHyperparamsState(count=jnp.zeros([], jnp.int32), hyperparams=hparams,
                                                  hyperparams_states=states,
                                                  inner_state=inner_factory(**other, **hparams).init(params))

        def update_fn(updates, state, params=None, **extra_args):
            dtype = dtype_for(params)
            hparams = {k: _convert_floats(v, dtype) for k, v in state.hyperparams.items()}
            hparams.update({k: _convert_floats(f(state.hyperparams_states[k], **extra_args), dtype)
                            for k, f in scheduled.items()})
            states = {k: f.update(state.hyperparams_states[k], **extra_args) for k, f in scheduled.items()}
            inner = base.with_extra_args_support(inner_factory(**other, **hparams))
            updates, inner_state = inner.update(updates, state.inner_state, params, **extra_args)
            return updates, InjectStatefulHyperparamsState(count=safe_increment(state.count), hyperparams=hparams,
                                                           hyperparams_states=states, inner_state=inner_state)
        return base.GradientTransformationExtraArgs(init_fn, update_fn)
    return wrapped_transform


inject_hyperparams = inject_stateful_hyperparams
