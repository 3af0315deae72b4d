"""jax.random: threefry2x32 keys and samplers, bit-identical to JAX 0.10's."""

from jaxlite._src import api as _api  # noqa: F401
from jaxlite._src.features import not_applicable as _not_applicable
from jaxlite._src.random.keys import (PRNGKey, clone, fold_in, key, key_data, key_dtype, key_impl,  # noqa: F401
                                      split, wrap_key_data)
from jaxlite._src.random.samplers import (bernoulli, bits, categorical, cauchy, choice,  # noqa: F401
                                          double_sided_maxwell, exponential, gumbel, laplace, logistic,
                                          lognormal, maxwell, multivariate_normal, normal, orthogonal,
                                          permutation, rademacher, randint, rayleigh, triangular,
                                          truncated_normal, uniform, wald, weibull_min, geometric, pareto)
from jaxlite._src.random.gamma import (ball, beta, binomial, chisquare, dirichlet, f, gamma,  # noqa: F401
                                       generalized_normal, loggamma, multinomial, poisson, t)

random_gamma_p = _not_applicable(
    "jax.random.random_gamma_p",
    "JAX's internal gamma primitive; jaxlite draws gamma variates from lax ops (use jax.random.gamma)")

_ONLY_THREEFRY = "only the threefry2x32 implementation (JAX's default); impl='rbg' etc. raise NotImplementedError"
_FEATURE_NOTES = {
    "key": ("partial", _ONLY_THREEFRY),
    "PRNGKey": ("partial", _ONLY_THREEFRY),
    "wrap_key_data": ("partial", _ONLY_THREEFRY),
    "key_dtype": ("partial", _ONLY_THREEFRY + "; the dtype is not a jax.dtypes.prng_key subdtype"),
}
