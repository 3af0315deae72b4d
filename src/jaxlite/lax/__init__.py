"""jax.lax: the primitive operations."""

from jaxlite._src import api as _api  # noqa: F401
from jaxlite._src.lax.lax import (abs, acos, acosh, add, asin, asinh, atan, atan2, atanh,  # noqa: F401
                                  bitwise_and, bitwise_not, bitwise_or, bitwise_xor, cbrt, ceil, conj,
                                  convert_element_type, cos, cosh, div, eq, erf, erfc, exp, exp2, expm1,
                                  floor, full, ge, gt, imag, integer_pow, is_finite, le, lgamma, log, log1p,
                                  logistic, lt, max, min, mul, ne, neg, nextafter, population_count, pow,
                                  real, reciprocal, rem, round, rsqrt, select_n, shift_left,
                                  shift_right_arithmetic, shift_right_logical, sign, sin, sinh, sqrt, square,
                                  sub, tan, tanh)
from jaxlite._src.lax.lax import bitwise_not as bitwise_not_  # noqa: F401
from jaxlite._src.lax.structural import (broadcast, broadcast_in_dim, broadcasted_iota, concatenate,  # noqa: F401
                                         dynamic_index_in_dim, dynamic_slice, dynamic_slice_in_dim,
                                         dynamic_update_index_in_dim, dynamic_update_slice,
                                         dynamic_update_slice_in_dim, expand_dims, index_in_dim, iota, pad,
                                         reshape, rev, slice, slice_in_dim, squeeze, transpose)
from jaxlite._src.lax.reductions import (argmax, argmin, cummax, cummin, cumprod, cumsum, reduce_and,  # noqa: F401
                                         reduce_max, reduce_min, reduce_or, reduce_prod, reduce_sum)
from jaxlite._src.lax.dot import dot, dot_general  # noqa: F401
from jaxlite._src.lax.slicing import (GatherDimensionNumbers, GatherScatterMode, ScatterDimensionNumbers,  # noqa: F401
                                      gather, scatter, scatter_add, scatter_max, scatter_min, scatter_mul)
from jaxlite._src.lax.bitcast import bitcast_convert_type  # noqa: F401
from jaxlite._src.lax.control_flow import (associative_scan, cond, fori_loop, map, scan, switch,  # noqa: F401
                                           while_loop)
from jaxlite._src.ad_util import stop_gradient  # noqa: F401


def select(pred, on_true, on_false):
    return select_n(pred, on_false, on_true)


def clamp(min, x, max):  # noqa: A002
    from jaxlite._src.lax.lax import max as _max, min as _min
    return _min(_max(x, min), max)
from jaxlite._src.lax.convolution import (ConvDimensionNumbers, conv, conv_dimension_numbers,  # noqa: F401,E402
                                          conv_general_dilated, padtype_to_pads)
from jaxlite._src.lax.special import digamma  # noqa: F401,E402
from jaxlite._src.lax.sorting import sort, sort_key_val, top_k  # noqa: F401,E402
