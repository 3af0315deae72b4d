"""The interface every optimizer follows: a pair of pure functions `init(params) -> state` and
`update(updates, state, params=None) -> (updates, state)`, with states as pytrees of arrays so a
whole training step passes through `jit`."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional, Union

import jaxlite as jax
import jaxlite.numpy as jnp

NO_PARAMS_MSG = ("You are using a transformation that requires the current value of parameters, but you are "
                 "not passing `params` when calling `update`.")

PyTree = Any
Params = Any
Updates = Any
OptState = Any
Schedule = Callable[[Any], Any]
ScalarOrSchedule = Union[float, Any, Schedule]
TransformInitFn = Callable[[Params], OptState]
TransformUpdateFn = Callable[..., tuple]
TransformUpdateExtraArgsFn = Callable[..., tuple]


class GradientTransformation(NamedTuple):
    """A pair of pure functions: `init(params) -> state`, `update(updates, state, params=None)`."""
    init: TransformInitFn
    update: TransformUpdateFn


class GradientTransformationExtraArgs(GradientTransformation):
    """A GradientTransformation whose `update` also takes (and may ignore) keyword arguments."""
    update: TransformUpdateExtraArgsFn


class EmptyState(NamedTuple):
    """The state of a stateless transformation (a pytree without leaves)."""


def init_empty_state(params: Params) -> EmptyState:
    del params
    return EmptyState()


def identity() -> GradientTransformation:
    """Leaves the updates as they are."""
    def update_fn(updates, state, params=None):
        del params
        return updates, state
    return GradientTransformation(init_empty_state, update_fn)


def set_to_zero() -> GradientTransformation:
    """Maps the updates to zeros, so parameters stay where they are (to freeze part of a model)."""
    def update_fn(updates, state, params=None):
        del params
        return jax.tree.map(jnp.zeros_like, updates), state
    return GradientTransformation(init_empty_state, update_fn)


def stateless(f: Callable[[Updates, Optional[Params]], Updates]) -> GradientTransformation:
    """A transformation from `f(updates, params) -> updates`."""
    def update_fn(updates, state, params=None):
        del state
        return f(updates, params), EmptyState()
    return GradientTransformation(init_empty_state, update_fn)


def stateless_with_tree_map(f: Callable[[Any, Any], Any]) -> GradientTransformation:
    """A transformation from `f(update_leaf, param_leaf_or_None) -> update_leaf`, mapped over the tree."""
    def update_fn(updates, state, params=None):
        del state
        if params is not None:
            return jax.tree.map(f, updates, params), EmptyState()
        return jax.tree.map(lambda u: f(u, None), updates), EmptyState()
    return GradientTransformation(init_empty_state, update_fn)


def with_extra_args_support(tx: GradientTransformation) -> GradientTransformationExtraArgs:
    """`tx` with an update that accepts (and drops) keyword arguments it does not know."""
    if isinstance(tx, GradientTransformationExtraArgs):
        return tx

    def update(updates, state, params=None, **extra_args):
        del extra_args
        return tx.update(updates, state, params)
    return GradientTransformationExtraArgs(tx.init, update)
