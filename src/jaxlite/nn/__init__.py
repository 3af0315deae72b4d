"""jax.nn for jaxlite: activations, softmax and friends, attention, and `initializers`."""

from jaxlite._src import api as _api  # noqa: F401
from jaxlite._src.nn.functions import (celu, elu, gelu, glu, hard_sigmoid, hard_silu, hard_swish,  # noqa: F401
                                       hard_tanh, identity, leaky_relu, log1mexp, log_sigmoid, log_softmax,
                                       logmeanexp, logsumexp, mish, one_hot, relu, relu6, selu, sigmoid, silu,
                                       soft_sign, softmax, softplus, sparse_plus, sparse_sigmoid, squareplus,
                                       standardize, swish, tanh)
from jaxlite._src.nn.attention import (dot_product_attention, get_scaled_dot_general_config,  # noqa: F401
                                       scaled_dot_general, scaled_matmul)
from jaxlite.nn import initializers  # noqa: F401
