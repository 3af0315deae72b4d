"""Transformations built from other transformations: chains, masks and partitions of the parameter
tree, gradient accumulation over several steps (MultiSteps), skipping non-finite updates."""

from __future__ import annotations

import functools
from typing import Any, Callable, NamedTuple, Optional

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite._src.optax import base
from jaxlite._src.optax import tree_utils as otu
from jaxlite._src.optax.numerics import safe_increment


def chain(*args: base.GradientTransformation) -> base.GradientTransformationExtraArgs:
    """Applies the transformations in order; the state is the tuple of their states."""
    transforms = [base.with_extra_args_support(t) for t in args]

    def init_fn(params):
        return tuple(t.init(params) for t in transforms)

    def update_fn(updates, state, params=None, **extra_args):
        if len(transforms) != len(state):
            raise ValueError("The number of updates and states has to be the same in chain! Make sure you have "
                             "called init first!")
        new_state = []
        for s, t in zip(state, transforms):
            updates, s = t.update(updates, s, params, **extra_args)
            new_state.append(s)
        return updates, tuple(new_state)
    return base.GradientTransformationExtraArgs(init_fn, update_fn)


def named_chain(*args: tuple[str, base.GradientTransformation]) -> base.GradientTransformationExtraArgs:
    """As chain, with the states in a dict keyed by the given names."""
    names = [name for name, _ in args]
    if len(names) != len(set(names)):
        raise ValueError(f"Named transformations must have unique names, but got {names}")
    transforms = [(name, base.with_extra_args_support(t)) for name, t in args]

    def init_fn(params):
        return {name: t.init(params) for name, t in transforms}

    def update_fn(updates, state, params=None, **extra_args):
        new_state = {}
        for name, t in transforms:
            updates, new_state[name] = t.update(updates, state[name], params, **extra_args)
        return updates, new_state
    return base.GradientTransformationExtraArgs(init_fn, update_fn)


# ---- masks

class MaskedState(NamedTuple):
    inner_state: Any


class MaskedNode(NamedTuple):
    """Stands for a masked-out leaf: a pytree node without leaves, so tree maps pass over it."""


def _mask_is_callable(mask):
    flags = jax.tree.leaves(jax.tree.map(callable, mask))
    return len(flags) > 0 and all(flags)


def masked(inner: base.GradientTransformation, mask, *, mask_compatible_extra_args: bool = False
           ) -> base.GradientTransformationExtraArgs:
    """Applies `inner` only where `mask` (a tree of bools like the params, or a function of them) is
    True; other updates pass through unchanged and hold no inner state."""
    inner = base.with_extra_args_support(inner)

    def mask_tree(tree, mask_tree):
        return jax.tree.map(lambda m, p: p if m else MaskedNode(), mask_tree, tree)

    def mask_extra_args(extra_args, updates, m):
        structure = jax.tree.structure(updates)
        return {k: mask_tree(v, m) if mask_compatible_extra_args and jax.tree.structure(v) == structure else v
                for k, v in extra_args.items()}

    def init_fn(params):
        m = mask(params) if _mask_is_callable(mask) else mask
        return MaskedState(inner_state=inner.init(mask_tree(params, m)))

    def update_fn(updates, state, params=None, **extra_args):
        m = mask(updates) if _mask_is_callable(mask) else mask
        new_masked, inner_state = inner.update(mask_tree(updates, m), state.inner_state,
                                               None if params is None else mask_tree(params, m),
                                               **mask_extra_args(extra_args, updates, m))
        new_updates = jax.tree.map(lambda keep, new, old: new if keep else old, m, new_masked, updates)
        return new_updates, MaskedState(inner_state=inner_state)
    return base.GradientTransformationExtraArgs(init_fn, update_fn)


class PartitionState(NamedTuple):
    inner_states: Any


def partition(transforms, param_labels, *, mask_compatible_extra_args: bool = False
              ) -> base.GradientTransformationExtraArgs:
    """Applies transforms[label] to the parameters labelled so by `param_labels` (a tree like the
    params, or a function of them)."""
    transforms = {k: base.with_extra_args_support(v) for k, v in transforms.items()}

    def group_tx(labels, group):
        return masked(transforms[group], jax.tree.map(lambda label: label == group, labels),
                      mask_compatible_extra_args=mask_compatible_extra_args)

    def init_fn(params):
        labels = param_labels(params) if callable(param_labels) else param_labels
        label_set = set(jax.tree.leaves(labels))
        if not label_set.issubset(transforms.keys()):
            raise ValueError(f"Some parameters have no corresponding transformation.\nParameter labels: "
                             f"{list(sorted(label_set))} \nTransforms keys: {list(sorted(transforms.keys()))} \n")
        return PartitionState({group: group_tx(labels, group).init(params) for group in transforms})

    def update_fn(updates, state, params=None, **extra_args):
        labels = param_labels(updates) if callable(param_labels) else param_labels
        new_inner = {}
        for group in transforms:
            updates, new_inner[group] = group_tx(labels, group).update(updates, state.inner_states[group], params,
                                                                       **extra_args)
        return updates, PartitionState(new_inner)
    return base.GradientTransformationExtraArgs(init_fn, update_fn)


multi_transform = partition
MultiTransformState = PartitionState


# ---- conditional updates

class ApplyIfFiniteState(NamedTuple):
    notfinite_count: Any
    last_finite: Any
    total_notfinite: Any
    inner_state: Any


def apply_if_finite(inner: base.GradientTransformation, max_consecutive_errors: int
                    ) -> base.GradientTransformationExtraArgs:
    """Drops updates holding a NaN or inf (zero updates, inner state kept) unless more than
    max_consecutive_errors came in a row."""
    inner = base.with_extra_args_support(inner)

    def init_fn(params):
        return ApplyIfFiniteState(notfinite_count=jnp.zeros([], jnp.int32), last_finite=jnp.array(True, jnp.bool_),
                                  total_notfinite=jnp.zeros([], jnp.int32), inner_state=inner.init(params))

    def update_fn(updates, state, params=None, **extra_args):
        isfinite = jnp.all(jnp.array([jnp.all(jnp.isfinite(p)) for p in jax.tree.leaves(updates)]))
        notfinite_count = jnp.where(isfinite, jnp.zeros([], jnp.int32), safe_increment(state.notfinite_count))
        updates, inner_state = jax.lax.cond(
            jnp.logical_or(isfinite, notfinite_count > max_consecutive_errors),
            lambda _: inner.update(updates, state.inner_state, params, **extra_args),
            lambda _: (otu.tree_zeros_like(updates), state.inner_state), None)
        total = jnp.where(isfinite, state.total_notfinite, safe_increment(state.total_notfinite))
        return updates, ApplyIfFiniteState(notfinite_count=notfinite_count, last_finite=isfinite,
                                           total_notfinite=total, inner_state=inner_state)
    return base.GradientTransformationExtraArgs(init_fn, update_fn)


# ---- gradient accumulation

def skip_not_finite(updates, gradient_step, params):
    """A should_skip_update_fn for MultiSteps: skip when any update is NaN or inf."""
    del gradient_step, params
    num_not_finite = jnp.sum(jnp.array([jnp.sum(jnp.logical_not(jnp.isfinite(p))) for p in jax.tree.leaves(updates)]))
    should_skip = num_not_finite > 0
    return should_skip, {"should_skip": should_skip, "num_not_finite": num_not_finite}


def skip_large_updates(updates, gradient_step, params, max_squared_norm):
    """A should_skip_update_fn for MultiSteps: skip when the squared norm of the updates reaches max_squared_norm."""
    del gradient_step, params
    norm_sq = jnp.sum(jnp.array([jnp.sum(p ** 2) for p in jax.tree.leaves(updates)]))
    should_skip = jnp.logical_not(norm_sq < max_squared_norm)
    return should_skip, {"should_skip": should_skip, "norm_squared": norm_sq}


ShouldSkipUpdateFunction = Callable[[Any, Any, Optional[Any]], tuple]


class MultiStepsState(NamedTuple):
    mini_step: Any
    gradient_step: Any
    inner_opt_state: Any
    acc_grads: Any
    skip_state: Any = ()


class MultiSteps:
    """Accumulates gradients over k mini-steps (their mean, or sum) and applies the inner optimizer
    once every k-th call; in between it returns zero updates."""

    def __init__(self, opt: base.GradientTransformation, every_k_schedule, use_grad_mean: bool = True,
                 should_skip_update_fn: Optional[ShouldSkipUpdateFunction] = None, accumulator_dtype=jnp.float32):
        self._opt = base.with_extra_args_support(opt)
        self._every_k_schedule = ((lambda step: every_k_schedule) if isinstance(every_k_schedule, int)
                                  else every_k_schedule)
        self._use_grad_mean = use_grad_mean
        self._accumulator_dtype = (None if accumulator_dtype is None
                                   else jax.dtypes.canonicalize_dtype(accumulator_dtype))
        if should_skip_update_fn is None:
            def should_skip_update_fn(*args, **kwargs):
                return jnp.array(False, dtype=jnp.bool_), ()
        self._should_skip_update_fn = should_skip_update_fn

    def _acc_update(self, grad, acc, n_acc):
        return acc + (grad - acc) / (n_acc + 1) if self._use_grad_mean else grad + acc

    @property
    def inner_opt(self):
        return self._opt

    def init(self, params) -> MultiStepsState:
        gradient_step = jnp.zeros([], dtype=jnp.int32)
        _, skip_state = self._should_skip_update_fn(otu.tree_zeros_like(params), gradient_step, params)
        return MultiStepsState(mini_step=jnp.zeros([], dtype=jnp.int32), gradient_step=gradient_step,
                               inner_opt_state=self._opt.init(params),
                               acc_grads=otu.tree_zeros_like(params, dtype=self._accumulator_dtype),
                               skip_state=skip_state)

    def update(self, updates, state: MultiStepsState, params=None, **extra_args):
        k_steps = self._every_k_schedule(state.gradient_step)
        should_skip, skip_state = self._should_skip_update_fn(updates, state.gradient_step, params)
        if (should_skip.dtype, should_skip.shape) != (jnp.bool_, ()):
            raise ValueError("The `should_skip_update_fn` function should return a boolean scalar array, but it "
                             f"returned an array of dtype {should_skip.dtype} and shape {should_skip.shape}")

        def do_update(updates, state, params):
            acc_grads = jax.tree.map(lambda g, acc: self._acc_update(g, acc, state.mini_step), updates, state.acc_grads)
            final_updates, new_inner = self._opt.update(otu.tree_cast_like(acc_grads, updates), state.inner_opt_state,
                                                        params=params, **extra_args)
            emit = state.mini_step == k_steps - 1
            new_state = MultiStepsState(
                mini_step=safe_increment(state.mini_step) % k_steps,
                gradient_step=emit * safe_increment(state.gradient_step) + (1 - emit) * state.gradient_step,
                inner_opt_state=jax.tree.map(lambda old, new: jnp.astype(jnp.where(emit, new, old), old.dtype),
                                             state.inner_opt_state, new_inner),
                acc_grads=jax.tree.map(lambda ga: jnp.astype((1 - emit) * ga, self._accumulator_dtype), acc_grads),
                skip_state=skip_state)
            return jax.tree.map(lambda u: emit * u, final_updates), new_state

        def skip_update(updates, state, params):
            static_args = {k: v for k, v in extra_args.items() if not isinstance(v, jax.Array)}
            dynamic_args = {k: v for k, v in extra_args.items() if isinstance(v, jax.Array)}
            shapes, _ = jax.eval_shape(functools.partial(self._opt.update, **static_args),
                                       otu.tree_cast_like(state.acc_grads, updates), state.inner_opt_state,
                                       params=params, **dynamic_args)
            zeros = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)
            return zeros, state._replace(skip_state=skip_state)

        return jax.lax.cond(should_skip, skip_update, do_update, updates, state, params)

    def has_updated(self, state) -> Any:
        return jnp.logical_and(state.mini_step == 0, state.gradient_step > 0)

    def gradient_transformation(self) -> base.GradientTransformation:
        return base.GradientTransformation(init=self.init, update=self.update)
