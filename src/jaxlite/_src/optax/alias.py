"""The optimizers, each a chain of transformations exactly as optax composes it (so the state
tuple has the same entries), with optax's argument names and defaults."""

from __future__ import annotations

import functools

import jaxlite.numpy as jnp
from jaxlite._src.optax import base, transform
from jaxlite._src.optax.factorized import scale_by_factored_rms
from jaxlite._src.optax.wrappers import chain, masked


def sgd(learning_rate, momentum=None, nesterov: bool = False, accumulator_dtype=None):
    """Stochastic gradient descent, with optional (Nesterov) momentum."""
    opt = (transform.trace(decay=momentum, nesterov=nesterov, accumulator_dtype=accumulator_dtype)
           if momentum is not None else base.identity())
    return chain(opt, transform.scale_by_learning_rate(learning_rate))


def adam(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, mu_dtype=None, *, nesterov: bool = False):
    """Adam (Kingma & Ba 2014)."""
    return chain(transform.scale_by_adam(b1=b1, b2=b2, eps=eps, eps_root=eps_root, mu_dtype=mu_dtype,
                                         nesterov=nesterov),
                 transform.scale_by_learning_rate(learning_rate))


def adamw(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, mu_dtype=None, weight_decay=1e-4, mask=None,
          *, nesterov: bool = False):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019)."""
    return chain(transform.scale_by_adam(b1=b1, b2=b2, eps=eps, eps_root=eps_root, mu_dtype=mu_dtype,
                                         nesterov=nesterov),
                 transform.add_decayed_weights(weight_decay, mask),
                 transform.scale_by_learning_rate(learning_rate))


nadam = functools.partial(adam, nesterov=True)
nadam.__doc__ = "NAdam: adam with Nesterov momentum (Dozat 2016)."
nadamw = functools.partial(adamw, nesterov=True)
nadamw.__doc__ = "NAdamW: adamw with Nesterov momentum."


def adamax(learning_rate, b1=0.9, b2=0.999, eps=1e-8):
    return chain(transform.scale_by_adamax(b1=b1, b2=b2, eps=eps), transform.scale_by_learning_rate(learning_rate))


def adamaxw(learning_rate, b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-4, mask=None):
    return chain(transform.scale_by_adamax(b1=b1, b2=b2, eps=eps), transform.add_decayed_weights(weight_decay, mask),
                 transform.scale_by_learning_rate(learning_rate))


def amsgrad(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, mu_dtype=None):
    return chain(transform.scale_by_amsgrad(b1=b1, b2=b2, eps=eps, eps_root=eps_root, mu_dtype=mu_dtype),
                 transform.scale_by_learning_rate(learning_rate))


def adabelief(learning_rate, b1=0.9, b2=0.999, eps=1e-16, eps_root=1e-16, *, nesterov: bool = False):
    return chain(transform.scale_by_belief(b1=b1, b2=b2, eps=eps, eps_root=eps_root, nesterov=nesterov),
                 transform.scale_by_learning_rate(learning_rate))


def yogi(learning_rate, b1=0.9, b2=0.999, eps=1e-3):
    return chain(transform.scale_by_yogi(b1=b1, b2=b2, eps=eps), transform.scale_by_learning_rate(learning_rate))


def adadelta(learning_rate=None, rho=0.9, eps=1e-6, weight_decay=0.0, weight_decay_mask=None):
    return chain(transform.add_decayed_weights(weight_decay, mask=weight_decay_mask),
                 transform.scale_by_adadelta(rho=rho, eps=eps), transform.scale_by_learning_rate(learning_rate))


def rmsprop(learning_rate, decay=0.9, eps=1e-8, initial_scale=0.0, eps_in_sqrt: bool = True, centered: bool = False,
            momentum=None, nesterov: bool = False, bias_correction: bool = False):
    """RMSProp (Hinton); centered=True divides by a running standard deviation instead of the RMS."""
    scaling = transform.scale_by_stddev if centered else transform.scale_by_rms
    return chain(scaling(decay=decay, eps=eps, initial_scale=initial_scale, eps_in_sqrt=eps_in_sqrt,
                         bias_correction=bias_correction),
                 transform.scale_by_learning_rate(learning_rate),
                 transform.trace(decay=momentum, nesterov=nesterov) if momentum is not None else base.identity())


def adagrad(learning_rate, initial_accumulator_value=0.1, eps=1e-7):
    """Adagrad (Duchi et al. 2011)."""
    return chain(transform.scale_by_rss(initial_accumulator_value=initial_accumulator_value, eps=eps),
                 transform.scale_by_learning_rate(learning_rate))


def adafactor(learning_rate=None, min_dim_size_to_factor: int = 128, decay_rate=0.8, decay_offset=0,
              multiply_by_parameter_scale: bool = True, clipping_threshold=1.0, momentum=None,
              dtype_momentum=jnp.float32, weight_decay_rate=None, eps=1e-30, factored: bool = True,
              weight_decay_mask=None):
    """Adafactor (Shazeer & Stern 2018): factored second moments, updates clipped by block RMS and
    scaled by the parameters' RMS."""
    tx = [scale_by_factored_rms(factored, decay_rate, decay_offset, min_dim_size_to_factor, eps)]
    if clipping_threshold is not None:
        tx.append(transform.clip_by_block_rms(clipping_threshold))
    if learning_rate is not None:
        tx.append(transform.scale_by_learning_rate(learning_rate, flip_sign=False))
    if multiply_by_parameter_scale:
        tx.append(transform.scale_by_param_block_rms())
    if momentum is not None:
        tx.append(transform.ema(momentum, debias=False, accumulator_dtype=dtype_momentum))
    if weight_decay_rate is not None:
        tx.append(transform.add_decayed_weights(weight_decay_rate, mask=weight_decay_mask))
    tx.append(transform.scale(-1))
    return chain(*tx)


def lion(learning_rate, b1=0.9, b2=0.99, mu_dtype=None, weight_decay=1e-3, mask=None):
    """Lion (Chen et al. 2023)."""
    return chain(transform.scale_by_lion(b1=b1, b2=b2, mu_dtype=mu_dtype),
                 transform.add_decayed_weights(weight_decay, mask),
                 transform.scale_by_learning_rate(learning_rate))


def lamb(learning_rate, b1=0.9, b2=0.999, eps=1e-6, eps_root=0.0, weight_decay=0.0, mask=None):
    """LAMB (You et al. 2020): Adam steps rescaled per layer by a trust ratio."""
    return chain(transform.scale_by_adam(b1=b1, b2=b2, eps=eps, eps_root=eps_root),
                 transform.add_decayed_weights(weight_decay=weight_decay, mask=mask),
                 transform.scale_by_trust_ratio(),
                 transform.scale_by_learning_rate(learning_rate))


def lars(learning_rate, weight_decay=0.0, weight_decay_mask=True, trust_coefficient=0.001, eps=0.0,
         trust_ratio_mask=True, momentum=0.9, nesterov: bool = False):
    """LARS (You et al. 2017)."""
    return chain(transform.add_decayed_weights(weight_decay, mask=weight_decay_mask),
                 masked(inner=transform.scale_by_trust_ratio(trust_coefficient=trust_coefficient, eps=eps),
                        mask=trust_ratio_mask),
                 transform.scale_by_learning_rate(learning_rate),
                 transform.trace(decay=momentum, nesterov=nesterov))


def sign_sgd(learning_rate):
    return chain(transform.scale_by_sign(), transform.scale_by_learning_rate(learning_rate))


def signum(learning_rate, beta=0.9, accumulator_dtype=None):
    return chain(transform.ema(beta, debias=False, accumulator_dtype=accumulator_dtype), transform.scale_by_sign(),
                 transform.scale_by_learning_rate(learning_rate))


def radam(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, threshold=5.0, *, nesterov: bool = False):
    return chain(transform.scale_by_radam(b1=b1, b2=b2, eps=eps, eps_root=eps_root, threshold=threshold,
                                          nesterov=nesterov),
                 transform.scale_by_learning_rate(learning_rate))


def adan(learning_rate, b1=0.98, b2=0.92, b3=0.99, eps=1e-8, eps_root=1e-8, weight_decay=0.0, mask=None):
    return chain(transform.scale_by_adan(b1=b1, b2=b2, b3=b3, eps=eps, eps_root=eps_root),
                 transform.add_decayed_weights(weight_decay, mask), transform.scale_by_learning_rate(learning_rate))


def rprop(learning_rate, eta_minus=0.5, eta_plus=1.2, min_step_size=1e-6, max_step_size=50.0):
    return chain(transform.scale_by_rprop(learning_rate=learning_rate, eta_minus=eta_minus, eta_plus=eta_plus,
                                          min_step_size=min_step_size, max_step_size=max_step_size),
                 transform.scale(-1.0))


def optimistic_gradient_descent(learning_rate, alpha=1.0, beta=1.0):
    return chain(transform.scale_by_optimistic_gradient(alpha=alpha, beta=beta),
                 transform.scale_by_learning_rate(learning_rate))
