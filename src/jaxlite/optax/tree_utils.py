"""optax.tree_utils for jaxlite."""

from jaxlite._src.optax.tree_utils import (tree_add, tree_add_scale, tree_add_scalar_mul,  # noqa: F401
                                           tree_allclose, tree_batch_shape, tree_bias_correction, tree_cast,
                                           tree_cast_like, tree_clip, tree_conj, tree_div, tree_dtype,
                                           tree_full_like, tree_l1_norm, tree_l2_norm, tree_linf_norm, tree_max,
                                           tree_min, tree_mul, tree_norm, tree_ones_like, tree_real, tree_scalar_mul,
                                           tree_scale, tree_size, tree_sub, tree_sum,
                                           tree_update_infinity_moment, tree_update_moment,
                                           tree_update_moment_per_elem_norm, tree_vdot, tree_where,
                                           tree_zeros_like)
