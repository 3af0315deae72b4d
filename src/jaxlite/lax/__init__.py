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

from jaxlite._src.lax.convolution import (ConvDimensionNumbers, conv, conv_dimension_numbers,  # noqa: F401,E402
                                          conv_general_dilated, padtype_to_pads)
from jaxlite._src.lax.special import digamma  # noqa: F401,E402
from jaxlite._src.lax.sorting import sort, sort_key_val, top_k  # noqa: F401,E402

# Primitives under JAX's names.
from jaxlite._src.lax.lax import (abs_p, acos_p, acosh_p, add_p, and_p, asin_p, asinh_p, atan2_p,  # noqa: F401,E402
                                  atan_p, atanh_p, cbrt_p, ceil_p, conj_p, convert_element_type_p, cos_p, cosh_p,
                                  div_p, eq_p, erf_p, erfc_p, exp2_p, exp_p, expm1_p, floor_p, ge_p, gt_p, imag_p,
                                  integer_pow_p, is_finite_p, le_p, lgamma_p, log1p_p, log_p, logistic_p, lt_p,
                                  max_p, min_p, mul_p, ne_p, neg_p, nextafter_p, not_p, or_p, population_count_p,
                                  pow_p, real_p, rem_p, round_p, rsqrt_p, select_n_p, shift_left_p,
                                  shift_right_arithmetic_p, shift_right_logical_p, sign_p, sin_p, sinh_p, sqrt_p,
                                  sub_p, tan_p, tanh_p, xor_p)
from jaxlite._src.lax.structural import (broadcast_in_dim_p, concatenate_p, dynamic_slice_p,  # noqa: F401,E402
                                         dynamic_update_slice_p, iota_p, pad_p, reshape_p, rev_p, slice_p,
                                         transpose_p)
from jaxlite._src.lax.reductions import (argmax_p, argmin_p, cummax_p, cummin_p, cumprod_p, cumsum_p,  # noqa: F401,E402
                                         reduce_and_p, reduce_max_p, reduce_min_p, reduce_or_p, reduce_prod_p,
                                         reduce_sum_p, reduce_xor, reduce_xor_p)
from jaxlite._src.lax.dot import dot_general_p  # noqa: F401,E402
from jaxlite._src.lax.convolution import conv_general_dilated_p  # noqa: F401,E402
from jaxlite._src.lax.sorting import sort_p  # noqa: F401,E402
from jaxlite._src.lax.bitcast import bitcast_convert_type_p  # noqa: F401,E402
from jaxlite._src.lax.slicing import (gather_p, scatter_add_p, scatter_max_p, scatter_min_p,  # noqa: F401,E402
                                      scatter_mul_p, scatter_p)
from jaxlite._src.lax.control_flow import cond_p, scan_p, while_p  # noqa: F401,E402
from jaxlite._src.ad_util import stop_gradient_p  # noqa: F401,E402
from jaxlite._src.lax.special import digamma_p  # noqa: F401,E402

# Window reductions, generic reduce, conv helpers.
from jaxlite._src.lax.windowed_reductions import (reduce, reduce_window, reduce_window_max_p,  # noqa: F401,E402
                                                  reduce_window_min_p, reduce_window_shape_tuple,
                                                  reduce_window_sum_p)
from jaxlite._src.lax.convolution import (conv_general_dilated_patches, conv_general_permutations,  # noqa: F401,E402
                                          conv_general_shape_tuple, conv_shape_tuple, conv_transpose,
                                          conv_transpose_shape_tuple, conv_with_general_padding)
from jaxlite._src.lax.convolution import ConvDimensionNumbers as ConvGeneralDilatedDimensionNumbers  # noqa: F401,E402
from jaxlite._src.lax.structural import squeeze_p  # noqa: F401,E402
from jaxlite._src.lax.sorting import top_k_p  # noqa: F401,E402
from jaxlite._src.lax.windowed_reductions import (reduce_p, reduce_window_p, select_and_gather_add_p,  # noqa: F401,E402
                                                  select_and_scatter_add_p, select_and_scatter_p)
from jaxlite._src.lax.special import (bessel_i0e_p, bessel_i1e_p, erf_inv_p, igamma_grad_a_p, igamma_p,  # noqa: F401,E402
                                      igammac_p, polygamma_p, regularized_incomplete_beta_p, zeta_p)
from jaxlite._src.lax.arith import clz, clz_p, mulhi, mulhi_p, square, square_p  # noqa: F401,E402
from jaxlite._src.lax.copies import copy_p, optimization_barrier, optimization_barrier_p  # noqa: F401,E402
from jaxlite._src.lax.convolution import conv_general_dilated_local  # noqa: F401,E402
from jaxlite._src.lax.dot import scaled_dot  # noqa: F401,E402

# Names that are not functions of ours, or cannot apply here (tools/features.py reads this).
_FEATURE_NOTES = {
    "PrecisionLike": ("supported", ""),
    "Precision": ("supported", ""),
    "DotAlgorithm": ("supported", ""),
    "DotAlgorithmPreset": ("partial", "dot_general gives JAX's CPU results and errors for every preset, but "
                                      "F64_F64_F64 accumulates in float64 only on the cpu device (wasm/webgpu "
                                      "kernels give float32-grade sums)"),
    "ConvGeneralDilatedDimensionNumbers": ("supported", ""),
    "cond_p": ("partial", "jaxlite's cond_p takes its branches as closed jaxprs, not JAX's params"),
    "scan_p": ("partial", "jaxlite's scan_p parameters differ from JAX's (no unroll, linear, ...)"),
    "while_p": ("partial", "jaxlite's while_p parameters differ from JAX's"),
    "Tolerance": ("supported", ""),
    "AccuracyMode": ("supported", ""),
    "RaggedDotDimensionNumbers": ("supported", ""),
    "RandomAlgorithm": ("supported", ""),
}
# Primitive objects JAX exports for functions that jaxlite composes from other primitives.
_COMPOSED = {
}
for _name, _how in _COMPOSED.items():
    _FEATURE_NOTES[_name] = ("partial", f"no such primitive object: jaxlite computes it as {_how}")
# Primitives defined by a decomposition (jaxlite/_src/lax/composite.py) that differ from JAX's somewhere.
_FEATURE_NOTES.update({
    "linear_solve_p": ("partial", "params are (const_lengths, jaxprs) with three jaxprs (matvec, solve, "
                                  "transpose_solve); JAX's also hold vecmat"),
    "select_and_scatter_add_p": ("partial", "also carries base_dilation and window_dilation params"),
    "select_and_scatter_p": ("partial", "the scatter computation is addition and the selection select_prim "
                                        "(JAX's params hold both as jaxprs)"),
    "dce_sink_p": ("partial", "jaxlite's dead-code elimination knows no effects: it may drop the marked values"),
    "zeta_p": ("partial", "differentiable in q (as jax.scipy.special.zeta); JAX's primitive has no derivative"),
    "igamma_grad_a_p": ("partial", "differentiable through its decomposition; JAX's has no derivative"),
    "regularized_incomplete_beta_p": ("partial", "derivatives in a and b are zero instead of JAX's ValueError"),
    "polygamma_p": ("partial", "the derivative in m is zero instead of JAX's ValueError"),
    "reduce_precision_p": ("partial", "float16 subnormals are rounded as float32 values (XLA rounds their own "
                                      "bits); float64 runs its bit operations on the host on wasm/webgpu"),
})
_FEATURE_NOTES.update({
    "rng_uniform_p": ("n/a", "XLA's stateful RngUniform has no key; jaxlite programs are pure functions of their "
                             "inputs"),
    "device_put_p": ("n/a", "jaxlite's device_put moves buffers eagerly; it is not a staged primitive"),
    "sharding_constraint_p": ("n/a", "jaxlite has one device per array and no shardings"),
    "ragged_all_to_all_p": ("n/a", "needs shard_map/pmap over devices"),
})

# Special functions (jaxlite/_src/lax/special.py).
from jaxlite._src.lax.special import (bessel_i0e, bessel_i1e, betainc, digamma, erf_inv, igamma,  # noqa: F401,E402
                                      igamma_grad_a, igammac, polygamma, random_gamma_grad,
                                      regularized_incomplete_beta, zeta)

# Loaded on first use: `lax.linalg`, the FFT, the collectives (a page has one device), the smaller
# helpers, ragged dots, rng_bit_generator, staging and tokens. A first program needs none of them,
# and their modules were a good part of `import jaxlite` in Pyodide. Each family lists the names it
# gives jax.lax (tests/test_import_graph.py checks they resolve to the family's own objects).
_LAZY_FAMILIES = {
    "fft": ("FftType", "fft", "fft_p"),
    "parallel": ("all_gather", "all_gather_p", "all_to_all", "all_to_all_p", "axis_index", "axis_index_p",
                 "axis_size", "pbroadcast", "pcast", "pmax", "pmax_p", "pmean", "pmin", "pmin_p", "ppermute",
                 "ppermute_p", "precv", "psend", "pshuffle", "psum", "psum_p", "psum_scatter", "pswapaxes",
                 "ragged_all_to_all", "with_sharding_constraint"),
    "extras": ("AccuracyMode", "DotAlgorithm", "DotAlgorithmPreset", "DotDimensionNumbers", "Precision",
               "PrecisionLike", "RoundingMethod", "Tolerance", "approx_max_k", "approx_min_k", "approx_top_k_p",
               "batch_matmul", "broadcast_like", "broadcast_shapes", "broadcast_to_rank", "clamp", "clamp_p",
               "collapse", "complex", "complex_p", "composite", "cumlogsumexp", "cumlogsumexp_p",
               "custom_linear_solve", "custom_root", "dtype", "empty", "eq_to_p", "full_like", "index_take",
               "le_to_p", "linear_solve_p", "lt_to_p", "platform_dependent", "reduce_precision",
               "reduce_precision_p", "scatter_apply", "scatter_sub", "scatter_sub_p", "split", "split_p", "stack",
               "stack_p", "tile", "tile_p", "unstack", "unstack_p"),
    "ragged": ("RaggedDotDimensionNumbers", "ragged_dot", "ragged_dot_general"),
    "rng": ("RandomAlgorithm", "rng_bit_generator", "rng_bit_generator_p", "rng_uniform"),
    "staging": ("dce_sink", "dce_sink_p", "shape_as_value", "stage", "stage_p"),
    "tokens": ("after_all", "after_all_p", "create_token", "create_token_p"),
}
_LAZY_NAMES = {name: f"jaxlite._src.lax.{family}" for family, names in _LAZY_FAMILIES.items() for name in names}


def __getattr__(name):
    import importlib
    if name == "linalg":
        return importlib.import_module("jaxlite.lax.linalg")
    if name not in _LAZY_NAMES:
        raise AttributeError(f"module 'jaxlite.lax' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY_NAMES) | {"linalg"})
