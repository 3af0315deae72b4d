"""optax for jaxlite: gradient transformations, optimizers, schedules and losses on jaxlite pytrees.

    import jaxlite.optax as optax
    opt = optax.adam(1e-3)
    opt_state = opt.init(params)
    updates, opt_state = opt.update(grads, opt_state, params)
    params = optax.apply_updates(params, updates)

States have optax's classes and fields (ScaleByAdamState(count, mu, nu), ...), so a train step
with its optimizer state passes through `jaxlite.jit`.
"""

from jaxlite._src.optax.base import (EmptyState, GradientTransformation,  # noqa: F401
                                     GradientTransformationExtraArgs, OptState, Params, ScalarOrSchedule, Schedule,
                                     TransformInitFn, TransformUpdateExtraArgsFn, TransformUpdateFn, Updates,
                                     identity, init_empty_state, set_to_zero, stateless, stateless_with_tree_map,
                                     with_extra_args_support)
from jaxlite._src.optax.alias import (adabelief, adadelta, adafactor, adagrad, adam, adamax, adamaxw,  # noqa: F401
                                      adamw, adan, amsgrad, lamb, lars, lion, nadam, nadamw,
                                      optimistic_gradient_descent, radam, rmsprop, rprop, sgd, sign_sgd, signum,
                                      yogi)
from jaxlite._src.optax.factorized import FactoredState, scale_by_factored_rms  # noqa: F401
from jaxlite._src.optax.numerics import safe_increment, safe_int32_increment, safe_norm  # noqa: F401
from jaxlite._src.optax.numerics import safe_root_mean_squares  # noqa: F401
from jaxlite._src.optax.transform import (AddDecayedWeightsState, ApplyEvery, ClipByGlobalNormState,  # noqa: F401
                                          ClipState, EmaState, ScaleByAdaDeltaState, ScaleByAdamState,
                                          ScaleByAdanState, ScaleByOptimisticGradientState, ScaleByRpropState,
                                          ScaleByAmsgradState, ScaleByBeliefState, ScaleByLionState,
                                          ScaleByRmsState, ScaleByRmsWithCountState, ScaleByRssState,
                                          ScaleByRStdDevState, ScaleByRStdDevWithCountState, ScaleByScheduleState,
                                          ScaleByTrustRatioState, ScaleState, TraceState, WeightDecaySchedule,
                                          add_decayed_weights, apply_every, centralize, clip, clip_by_block_rms,
                                          clip_by_global_norm, ema, normalize_by_update_norm, scale,
                                          scale_by_adadelta, scale_by_adam, scale_by_adamax, scale_by_adan,
                                          scale_by_amsgrad, scale_by_optimistic_gradient, scale_by_radam,
                                          scale_by_rprop,
                                          scale_by_belief, scale_by_learning_rate, scale_by_lion,
                                          scale_by_param_block_norm, scale_by_param_block_rms, scale_by_rms,
                                          scale_by_rss, scale_by_schedule, scale_by_sign, scale_by_stddev,
                                          scale_by_trust_ratio, scale_by_yogi, trace)
from jaxlite._src.optax.tree_utils import (global_norm, tree_bias_correction as bias_correction,  # noqa: F401
                                           tree_update_infinity_moment as update_infinity_moment,
                                           tree_update_moment as update_moment,
                                           tree_update_moment_per_elem_norm as update_moment_per_elem_norm)
from jaxlite._src.optax.update import apply_updates, incremental_update, periodic_update  # noqa: F401
from jaxlite._src.optax.wrappers import (ApplyIfFiniteState, MaskedNode, MaskedState, MultiSteps,  # noqa: F401
                                         MultiStepsState, MultiTransformState, PartitionState,
                                         ShouldSkipUpdateFunction, apply_if_finite, chain, masked, multi_transform,
                                         named_chain, partition, skip_large_updates, skip_not_finite)
from jaxlite.optax import losses, schedules, tree, tree_utils  # noqa: F401
from jaxlite.optax.losses import (cosine_distance, cosine_similarity, hinge_loss, huber_loss,  # noqa: F401
                                  kl_divergence, l2_loss, log_cosh, sigmoid_binary_cross_entropy, sigmoid_focal_loss,
                                  smooth_labels, softmax_cross_entropy, softmax_cross_entropy_with_integer_labels,
                                  squared_error)
from jaxlite.optax.schedules import (InjectHyperparamsState, InjectStatefulHyperparamsState,  # noqa: F401
                                     WrappedSchedule, inject_hyperparams, inject_stateful_hyperparams)
from jaxlite.optax.schedules import (constant_schedule, cosine_decay_schedule, cosine_onecycle_schedule,  # noqa: F401
                                     exponential_decay, join_schedules, linear_onecycle_schedule, linear_schedule,
                                     piecewise_constant_schedule, piecewise_interpolate_schedule, polynomial_schedule,
                                     sgdr_schedule, warmup_constant_schedule, warmup_cosine_decay_schedule,
                                     warmup_exponential_decay_schedule)
