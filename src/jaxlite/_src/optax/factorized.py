"""Adafactor's second-moment estimate: for a large matrix it keeps one running mean per row and
per column instead of one per element (Shazeer & Stern 2018)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite._src.optax import base
from jaxlite._src.optax.numerics import abs_sq, safe_increment


def _decay_rate_pow(i, exponent=0.8):
    """The second-moment decay 1 - (i + 1)**-exponent at step i."""
    t = jnp.array(i + 1, jnp.float32)
    return 1.0 - t ** (-exponent)


def _factored_dims(shape, factored, min_dim_size_to_factor):
    """The two largest axes (second largest first) if the leaf is factored, else None."""
    if not factored or len(shape) < 2:
        return None
    order = np.argsort(shape)
    if shape[order[-2]] < min_dim_size_to_factor:
        return None
    return int(order[-2]), int(order[-1])


class _Slots(NamedTuple):
    """One leaf's results (a NamedTuple is a pytree node: `split` stops at it with is_leaf)."""
    update: Any
    v_row: Any
    v_col: Any
    v: Any


class FactoredState(NamedTuple):
    count: Any
    v_row: base.Updates
    v_col: base.Updates
    v: base.Updates


def scale_by_factored_rms(factored: bool = True, decay_rate=0.8, step_offset=0, min_dim_size_to_factor: int = 128,
                          epsilon=1e-30, decay_rate_fn=_decay_rate_pow) -> base.GradientTransformation:
    """Scales updates by the inverse root of a (factored, where the leaf is a large enough matrix)
    moving average of squared gradients. Unused slots of a leaf hold a placeholder of shape (1,)."""
    def placeholder(dtype):
        return jnp.zeros((1,), dtype=dtype)

    def split(count, results):
        """A tree of _Slots into the updates and a FactoredState."""
        pick = lambda i: jax.tree.map(lambda r: r[i], results, is_leaf=lambda r: isinstance(r, _Slots))  # noqa: E731
        return pick(0), FactoredState(count=count, v_row=pick(1), v_col=pick(2), v=pick(3))

    def init_leaf(param):
        dims = _factored_dims(param.shape, factored, min_dim_size_to_factor)
        if dims is not None:
            d1, d0 = dims
            shape = list(param.shape)
            return _Slots(placeholder(param.dtype), jnp.zeros(shape[:d0] + shape[d0 + 1:], param.dtype),
                          jnp.zeros(shape[:d1] + shape[d1 + 1:], param.dtype), placeholder(param.dtype))
        return _Slots(placeholder(param.dtype), placeholder(param.dtype), placeholder(param.dtype),
                      jnp.zeros_like(param))

    def init_fn(params):
        return split(jnp.zeros([], jnp.int32), jax.tree.map(init_leaf, params))[1]

    def update_fn(grads, state, params):
        if params is None:
            raise ValueError(base.NO_PARAMS_MSG)

        def update_leaf(grad, v_row, v_col, v, param):
            dtype = param.dtype
            decay = decay_rate_fn(state.count - step_offset, decay_rate)
            grad_sqr = abs_sq(grad) + epsilon
            dims = _factored_dims(param.shape, factored, min_dim_size_to_factor)
            if dims is None:
                new_v = (decay * v + (1.0 - decay) * grad_sqr).astype(dtype)
                return _Slots(grad * new_v ** (-0.5), placeholder(dtype), placeholder(dtype), new_v)
            d1, d0 = dims
            new_v_row = (decay * v_row + (1.0 - decay) * jnp.mean(grad_sqr, axis=d0)).astype(dtype)
            new_v_col = (decay * v_col + (1.0 - decay) * jnp.mean(grad_sqr, axis=d1)).astype(dtype)
            row_mean = jnp.mean(new_v_row, axis=d1 - 1 if d1 > d0 else d1, keepdims=True)
            row_factor = (new_v_row / row_mean) ** (-0.5)
            col_factor = new_v_col ** (-0.5)
            update = grad * jnp.expand_dims(row_factor, axis=d0) * jnp.expand_dims(col_factor, axis=d1)
            return _Slots(update, new_v_row, new_v_col, placeholder(dtype))

        results = jax.tree.map(update_leaf, grads, state.v_row, state.v_col, state.v, params)
        return split(safe_increment(state.count), results)
    return base.GradientTransformation(init_fn, update_fn)
