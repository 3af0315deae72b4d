"""optax.tree for jaxlite: the tree_utils functions without their `tree_` prefix."""

from jaxlite._src.optax import tree_utils as _t

add = _t.tree_add
add_scale = _t.tree_add_scale
allclose = _t.tree_allclose
batch_shape = _t.tree_batch_shape
bias_correction = _t.tree_bias_correction
cast = _t.tree_cast
cast_like = _t.tree_cast_like
clip = _t.tree_clip
conj = _t.tree_conj
div = _t.tree_div
dtype = _t.tree_dtype
full_like = _t.tree_full_like
max = _t.tree_max  # noqa: A001
min = _t.tree_min  # noqa: A001
mul = _t.tree_mul
norm = _t.tree_norm
ones_like = _t.tree_ones_like
real = _t.tree_real
scale = _t.tree_scale
size = _t.tree_size
sub = _t.tree_sub
sum = _t.tree_sum  # noqa: A001
update_infinity_moment = _t.tree_update_infinity_moment
update_moment = _t.tree_update_moment
update_moment_per_elem_norm = _t.tree_update_moment_per_elem_norm
vdot = _t.tree_vdot
where = _t.tree_where
zeros_like = _t.tree_zeros_like
