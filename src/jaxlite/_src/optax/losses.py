"""Losses, elementwise or reduced over the class axis only (callers take the mean over the batch)."""

from __future__ import annotations

import numpy as np

import jaxlite as jax
import jaxlite.numpy as jnp


def _check_subdtype(array, subdtype):
    dtype = jax.dtypes.result_type(array)
    if not jnp.issubdtype(dtype, subdtype):
        raise TypeError(f"Expected the input to have a dtype that is a subdtype of {subdtype}, got {dtype} instead")


def _check_shapes_equal(a, b):
    a_shape = a.shape if hasattr(a, "shape") else np.shape(a)
    b_shape = b.shape if hasattr(b, "shape") else np.shape(b)
    if a_shape != b_shape:
        raise ValueError(f"Shape mismatch: got {a_shape} and {b_shape}.")


# ---- regression

def squared_error(predictions, targets=None):
    """(predictions - targets)**2 elementwise."""
    _check_subdtype(predictions, jnp.floating)
    if targets is not None:
        _check_shapes_equal(predictions, targets)
    errors = predictions - targets if targets is not None else predictions
    return errors ** 2


def l2_loss(predictions, targets=None):
    """Half the squared error."""
    return 0.5 * squared_error(jnp.asarray(predictions), targets)


def huber_loss(predictions, targets=None, *, delta=1.0):
    """Quadratic for errors up to delta, linear beyond (Huber 1964)."""
    _check_subdtype(predictions, jnp.floating)
    errors = predictions - targets if targets is not None else predictions
    abs_errors = jnp.abs(errors)
    quadratic = jnp.minimum(abs_errors, delta)
    return 0.5 * quadratic ** 2 + delta * (abs_errors - quadratic)


def log_cosh(predictions, targets=None):
    """log(cosh(error)), computed without overflow for large errors."""
    _check_subdtype(predictions, jnp.floating)
    errors = predictions - targets if targets is not None else predictions
    return jnp.logaddexp(errors, -errors) - jnp.log(2.0).astype(errors.dtype)


def cosine_similarity(predictions, targets, *, epsilon=0.0, axis=-1, where=None):
    """The cosine of the angle between predictions and targets along axis (norms clipped below by epsilon)."""
    _check_subdtype(predictions, jnp.floating)
    _check_subdtype(targets, jnp.floating)
    a_norm = jnp.sqrt(jnp.clip(jnp.square(predictions).sum(axis=axis, where=where, keepdims=True), epsilon))
    b_norm = jnp.sqrt(jnp.clip(jnp.square(targets).sum(axis=axis, where=where, keepdims=True), epsilon))
    return ((predictions / a_norm) * (targets / b_norm)).sum(axis=axis, where=where)


def cosine_distance(predictions, targets, *, epsilon=0.0, axis=-1, where=None):
    """1 - cosine_similarity."""
    _check_subdtype(predictions, jnp.floating)
    _check_subdtype(targets, jnp.floating)
    return 1.0 - cosine_similarity(predictions, targets, epsilon=epsilon, axis=axis, where=where)


# ---- classification

def sigmoid_binary_cross_entropy(logits, labels):
    """Binary cross entropy of independent sigmoid outputs, elementwise (labels may be soft)."""
    _check_subdtype(logits, jnp.floating)
    labels = jnp.astype(labels, logits.dtype)
    return -labels * jax.nn.log_sigmoid(logits) - (1.0 - labels) * jax.nn.log_sigmoid(-logits)


def sigmoid_focal_loss(logits, labels, *, alpha=None, gamma=2.0):
    """Sigmoid cross entropy down-weighted for well-classified examples (Lin et al. 2017)."""
    _check_subdtype(logits, jnp.floating)
    labels = jnp.astype(labels, logits.dtype)
    ce_loss = sigmoid_binary_cross_entropy(logits, labels)
    log_p, log_q = jax.nn.log_sigmoid(logits), jax.nn.log_sigmoid(-logits)
    log_one_minus_p_t = jax.nn.logsumexp(jnp.stack([log_p, log_q], axis=-1), axis=-1,
                                         b=jnp.stack([1 - labels, labels], axis=-1))
    loss = ce_loss * jnp.exp(gamma * log_one_minus_p_t)
    if alpha is None:
        return loss
    return (alpha * labels + (1.0 - alpha) * (1.0 - labels)) * loss


def hinge_loss(predictor_outputs, targets):
    """max(0, 1 - outputs * targets) for targets in {-1, 1}."""
    return jnp.maximum(0, 1 - predictor_outputs * targets)


def perceptron_loss(predictor_outputs, targets):
    _check_shapes_equal(predictor_outputs, targets)
    return jnp.maximum(0, -predictor_outputs * targets)


def softmax_cross_entropy(logits, labels, axis=-1, where=None):
    """Cross entropy between a distribution `labels` and softmax(logits) along axis."""
    _check_subdtype(logits, jnp.floating)
    if where is not None and where.ndim != logits.ndim:
        where = jnp.expand_dims(where, axis)
    log_probs = jax.nn.log_softmax(logits, axis, where)
    return -(labels * log_probs).sum(axis, where=where)


def softmax_cross_entropy_with_integer_labels(logits, labels, axis=-1, where=None):
    """Cross entropy of softmax(logits) against integer class labels: logsumexp(logits) - logits[label]."""
    _check_subdtype(logits, jnp.floating)
    _check_subdtype(labels, jnp.integer)
    if where is not None and where.ndim != logits.ndim:
        where = jnp.expand_dims(where, axis)
    if isinstance(axis, int):
        axis = axis + logits.ndim if axis < 0 else axis
        if not 0 <= axis < logits.ndim:
            raise ValueError(f"axis {axis} is out of bounds for array of dimension {logits.ndim}")
    elif isinstance(axis, tuple):
        # Several class axes: move them last and flatten them into one.
        class_axes = tuple(a % logits.ndim for a in axis)
        batch_axes = tuple(a for a in range(logits.ndim) if a not in class_axes)
        axis = len(batch_axes)
        logits = logits.transpose(batch_axes + class_axes).reshape(
            tuple(logits.shape[a] for a in batch_axes) + (-1,))
        if where is not None:
            where = where.transpose(batch_axes + class_axes).reshape(logits.shape)
    else:
        raise ValueError(f"Keyword argument 'axis' must be of type 'int' or 'tuple[int, ...]' but actual type is "
                         f"{type(axis)}.")
    label_logits = jnp.take(jnp.take_along_axis(logits, jnp.expand_dims(labels, axis), axis=axis), 0, axis=axis)
    out = jax.nn.logsumexp(logits, axis=axis, where=where) - label_logits
    if where is not None:
        out = jnp.where(jnp.any(where, axis), out, 0.0)
    return out


def poly_loss_cross_entropy(logits, labels, *, epsilon=2.0, axis=-1, where=None):
    """Cross entropy plus epsilon * (1 - p_target) (Leng et al. 2022)."""
    _check_subdtype(logits, jnp.floating)
    _check_subdtype(labels, jnp.floating)
    p = jax.nn.softmax(logits, axis=axis, where=where)
    one_minus_pt = jnp.sum(labels * (1 - p), axis=axis, where=where)
    return softmax_cross_entropy(logits, labels, axis=axis, where=where) + epsilon * one_minus_pt


def kl_divergence(log_predictions, targets, axis=-1, where=None):
    """KL(targets || predictions) from log-predictions and probabilities, with 0 log 0 = 0."""
    _check_subdtype(log_predictions, jnp.floating)
    _check_subdtype(targets, jnp.floating)
    loss = targets * (jnp.where(targets == 0, 0, jnp.log(targets)) - log_predictions)
    return jnp.sum(loss, axis=axis, where=where)


def kl_divergence_with_log_targets(log_predictions, log_targets, axis=-1, where=None):
    _check_subdtype(log_predictions, jnp.floating)
    _check_subdtype(log_targets, jnp.floating)
    return jnp.sum(jnp.exp(log_targets) * (log_targets - log_predictions), axis=axis, where=where)


def generalized_kl_divergence(log_predictions, targets, axis=-1, where=None):
    """KL divergence extended to unnormalised non-negative measures."""
    return (kl_divergence(log_predictions, targets, axis=axis, where=where)
            + jnp.sum(jnp.exp(log_predictions) - targets, axis=axis, where=where))


def smooth_labels(labels, alpha, *, axis=-1, where=None):
    """Label smoothing: (1 - alpha) * labels + alpha / number of classes (Szegedy et al. 2016)."""
    _check_subdtype(labels, jnp.floating)
    n = jnp.size(labels, axis) if where is None else jnp.sum(where, axis, keepdims=True)
    return (1.0 - alpha) * labels + alpha / n
