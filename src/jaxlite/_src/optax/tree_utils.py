"""Arithmetic on pytrees (optax.tree_utils, also reachable as optax.tree without the `tree_` prefix)."""

from __future__ import annotations

import functools
import operator
import warnings

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite._src.optax.numerics import abs_sq


def _is_none(x):
    return x is None


def tree_add(tree_x, tree_y, *other_trees):
    return jax.tree.map(lambda *leaves: sum(leaves), tree_x, tree_y, *other_trees)


def tree_sub(tree_x, tree_y):
    return jax.tree.map(operator.sub, tree_x, tree_y)


def tree_mul(tree_x, tree_y):
    return jax.tree.map(operator.mul, tree_x, tree_y)


def tree_div(tree_x, tree_y):
    return jax.tree.map(operator.truediv, tree_x, tree_y)


def tree_scale(scalar, tree):
    return jax.tree.map(lambda x: scalar * x, tree)


def tree_add_scale(tree_x, scalar, tree_y):
    """tree_x + scalar * tree_y."""
    scalar = jnp.asarray(scalar)
    return jax.tree.map(lambda x, y: None if x is None else x + scalar * y, tree_x, tree_y, is_leaf=_is_none)


def _vdot(a, b):
    a, b = jnp.asarray(a), jnp.asarray(b)
    if jnp.issubdtype(a.dtype, jnp.complexfloating):
        a = jnp.conj(a)
    return jnp.tensordot(a, b, a.ndim, precision=jax.lax.Precision.HIGHEST)


def tree_vdot(tree_x, tree_y):
    """The inner product of two trees: the sum over leaves of vdot(x, y)."""
    return jax.tree.reduce(operator.add, jax.tree.map(_vdot, tree_x, tree_y), initializer=0)


def tree_sum(tree, associative_reduction: bool = False):
    sums = jax.tree.map(jnp.sum, tree)
    if associative_reduction:
        return functools.reduce(operator.add, jax.tree.leaves(sums), 0)
    return jax.tree.reduce(operator.add, sums, initializer=0)


def tree_max(tree):
    maxes = jax.tree.map(lambda a: None if jnp.size(a) == 0 else jnp.max(a), tree)
    return jax.tree.reduce(jnp.maximum, maxes, initializer=-float("inf"))


def tree_min(tree):
    mins = jax.tree.map(lambda a: None if jnp.size(a) == 0 else jnp.min(a), tree)
    return jax.tree.reduce(jnp.minimum, mins, initializer=float("inf"))


def tree_size(tree) -> int:
    return sum(jnp.size(leaf) for leaf in jax.tree.leaves(tree))


def tree_conj(tree):
    return jax.tree.map(jnp.conj, tree)


def tree_real(tree):
    return jax.tree.map(jnp.real, tree)


def _square(leaf):
    return jnp.square(jnp.real(leaf)) + jnp.square(jnp.imag(leaf))


def tree_norm(tree, ord=None, squared: bool = False):
    """The norm of all leaves taken as one flat vector (ord None/2, 1 or inf)."""
    if ord is None or ord == 2:
        sqnorm = tree_sum(jax.tree.map(_square, tree))
        return jnp.array(sqnorm if squared else jnp.sqrt(sqnorm))
    if ord == 1:
        ret = tree_sum(jax.tree.map(jnp.abs, tree))
    elif ord == jnp.inf or ord in ("inf", "infinity"):
        ret = tree_max(jax.tree.map(jnp.abs, tree))
    else:
        raise ValueError(f"Unsupported ord: {ord}")
    return jnp.array(_square(jnp.asarray(ret)) if squared else ret)


def tree_batch_shape(tree, shape: tuple = ()):
    return jax.tree.map(lambda x: jnp.broadcast_to(x, (*shape, *jnp.shape(x))), tree)


def tree_zeros_like(tree, dtype=None):
    return jax.tree.map(lambda x: jnp.zeros_like(x, dtype=dtype), tree)


def tree_ones_like(tree, dtype=None):
    return jax.tree.map(lambda x: jnp.ones_like(x, dtype=dtype), tree)


def tree_full_like(tree, fill_value, dtype=None):
    return jax.tree.map(lambda x: jnp.full_like(x, fill_value, dtype=dtype), tree)


def tree_clip(tree, min_value=None, max_value=None):
    return jax.tree.map(lambda g: jnp.clip(g, min_value, max_value), tree)


def tree_where(condition, tree_x, tree_y):
    return jax.tree.map(lambda x, y: jnp.where(condition, x, y), tree_x, tree_y)


def tree_allclose(a, b, rtol=1e-5, atol=1e-8, equal_nan: bool = False):
    leaves = jax.tree.leaves(jax.tree.map(
        lambda x, y: jnp.allclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan), a, b))
    return functools.reduce(operator.and_, leaves, True)


def tree_update_moment(updates, moments, decay, order):
    """The exponential moving average of updates**order: (1 - decay) * g**order + decay * m."""
    return jax.tree.map(lambda g, t: None if g is None else (1 - decay) * g ** order + decay * t,
                        updates, moments, is_leaf=_is_none)


def tree_update_infinity_moment(updates, moments, decay, eps):
    return jax.tree.map(lambda g, t: g if g is None else jnp.maximum(jnp.abs(g) + eps, decay * t),
                        updates, moments, is_leaf=_is_none)


def tree_update_moment_per_elem_norm(updates, moments, decay, order):
    """As tree_update_moment, with |g|**order for complex g."""
    def norm(g):
        if jnp.isrealobj(g):
            return g ** order
        half = order / 2
        return abs_sq(g) ** (int(half) if float(half).is_integer() else half)
    return jax.tree.map(lambda g, t: None if g is None else (1 - decay) * norm(g) + decay * t,
                        updates, moments, is_leaf=_is_none)


def tree_bias_correction(moment, decay, count):
    """moment / (1 - decay**count), Adam's correction of a moving average started at zero."""
    correction = 1 - decay ** count
    return jax.tree.map(lambda t: t / correction.astype(t.dtype), moment)


def tree_cast(tree, dtype):
    return tree if dtype is None else jax.tree.map(lambda t: t.astype(dtype), tree)


def tree_cast_like(tree, other_tree):
    return jax.tree.map(lambda t, o: t.astype(o.dtype) if hasattr(o, "dtype") else t, tree, other_tree)


def tree_dtype(tree, mixed_dtype_handler=None):
    """The dtype of the leaves: they must agree, or be combined by 'promote', 'highest' or 'lowest'."""
    leaves = jax.tree.leaves(tree)
    if not leaves:
        return jnp.asarray(leaves).dtype
    dtypes = [jnp.asarray(x).dtype for x in leaves]
    if mixed_dtype_handler is None:
        paths = [(p, d) for (p, _), d in zip(jax.tree_util.tree_flatten_with_path(tree)[0], dtypes)
                 if d != dtypes[0]]
        if paths:
            raise ValueError("\n".join(f"Expected dtype={dtypes[0]!r} for {p} but got {d}."
                                       for p, d in paths))
        return dtypes[0]
    if mixed_dtype_handler == "promote":
        return functools.reduce(jnp.promote_types, dtypes)
    if mixed_dtype_handler in ("highest", "lowest"):
        def lower(a, b):
            if jnp.promote_types(a, b) == a:
                return b
            if jnp.promote_types(a, b) == b:
                return a
            raise ValueError(f"Cannot compare dtype of dtype1={a!r} and dtype2={b!r}. Neither {a} nor {b} can be "
                             "promoted to the other.")
        pick = lower if mixed_dtype_handler == "lowest" else (lambda a, b: b if lower(a, b) == a else a)
        return functools.reduce(pick, dtypes)
    raise ValueError(f"Invalid value for mixed_dtype_handler={mixed_dtype_handler!r}, possible values are: None, "
                     '"promote", "highest", "lowest".')


def _deprecated(old, new, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        warnings.warn(f"optax.tree_utils.{old} is deprecated: use optax.tree_utils.{new}", DeprecationWarning,
                      stacklevel=2)
        return fn(*args, **kwargs)
    return wrapper


# Names optax 0.2.5 renamed; they still work there, with a DeprecationWarning.
tree_scalar_mul = _deprecated("tree_scalar_mul", "tree_scale", tree_scale)
tree_add_scalar_mul = _deprecated("tree_add_scalar_mul", "tree_add_scale", tree_add_scale)
tree_l1_norm = _deprecated("tree_l1_norm", "tree_norm(..., ord=1)", functools.partial(tree_norm, ord=1))
tree_l2_norm = _deprecated("tree_l2_norm", "tree_norm", functools.partial(tree_norm, ord=2))
tree_linf_norm = _deprecated("tree_linf_norm", "tree_norm(..., ord=jnp.inf)", functools.partial(tree_norm, ord="inf"))


def global_norm(updates):
    """The L2 norm of all leaves together (optax.global_norm, deprecated there for optax.tree.norm)."""
    warnings.warn("optax.global_norm is deprecated in favor of optax.tree.norm", DeprecationWarning, stacklevel=2)
    return tree_norm(updates)
