"""Applying updates to parameters."""

from __future__ import annotations

import jaxlite as jax
import jaxlite.numpy as jnp


def apply_updates(params, updates):
    """params + updates, leaf by leaf, keeping each parameter's dtype (None leaves stay None)."""
    return jax.tree.map(lambda p, u: None if p is None else jnp.asarray(p + u).astype(jnp.asarray(p).dtype),
                        params, updates, is_leaf=lambda x: x is None)


def incremental_update(new_tensors, old_tensors, step_size):
    """step_size * new + (1 - step_size) * old: a moving average of parameters (e.g. a target network)."""
    return jax.tree.map(lambda new, old: None if new is None else step_size * new + (1.0 - step_size) * old,
                        new_tensors, old_tensors, is_leaf=lambda x: x is None)


def periodic_update(new_tensors, old_tensors, steps, update_period: int):
    """new_tensors every update_period steps, old_tensors otherwise."""
    return jax.lax.cond(steps % update_period == 0, lambda _: new_tensors, lambda _: old_tensors, None)
