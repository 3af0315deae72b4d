"""optax.losses for jaxlite."""

from jaxlite._src.optax.losses import (cosine_distance, cosine_similarity, generalized_kl_divergence,  # noqa: F401
                                       hinge_loss, huber_loss, kl_divergence, kl_divergence_with_log_targets,
                                       l2_loss, log_cosh, perceptron_loss, poly_loss_cross_entropy,
                                       sigmoid_binary_cross_entropy, sigmoid_focal_loss, smooth_labels,
                                       softmax_cross_entropy, softmax_cross_entropy_with_integer_labels,
                                       squared_error)
