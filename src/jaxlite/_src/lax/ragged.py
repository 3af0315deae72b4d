"""ragged_dot: a dot whose rows (or contracted positions) fall into consecutive groups of given sizes.

Built as JAX's reference does: one mask per group selects that group's slice of lhs, a dot_general
batched over the groups multiplies each slice by its group's rhs, and the groups are summed (ragged
rows) or kept as a leading axis (ragged contraction). Under jit this is masks fused into one
contraction on every kernel device; gradients and vmap come from the primitives used."""

from __future__ import annotations

import dataclasses

from jaxlite._src import dtypes
from jaxlite._src.core import get_aval
from jaxlite._src.features import partial
from jaxlite._src.lax import lax
from jaxlite._src.lax.dot import dot_general
from jaxlite._src.lax.reductions import reduce_sum
from jaxlite._src.lax.structural import broadcast_in_dim, broadcasted_iota, transpose


@dataclasses.dataclass(frozen=True, init=False)
class RaggedDotDimensionNumbers:
    """Dot dimension numbers plus the lhs ragged dimensions and the rhs group dimensions."""
    dot_dimension_numbers: tuple
    lhs_ragged_dimensions: tuple
    rhs_group_dimensions: tuple

    def __init__(self, dot_dimension_numbers, lhs_ragged_dimensions, rhs_group_dimensions):
        object.__setattr__(self, "dot_dimension_numbers", tuple(tuple(map(tuple, t)) for t in dot_dimension_numbers))
        object.__setattr__(self, "lhs_ragged_dimensions", tuple(lhs_ragged_dimensions))
        object.__setattr__(self, "rhs_group_dimensions", tuple(rhs_group_dimensions))


def _group_masks(group_sizes, lhs_shape, ragged_dim, batch_dims):
    """mask[g, *lhs index]: whether the position along ragged_dim lies in group g."""
    gs = lax._as_array(group_sizes)
    if get_aval(gs).dtype.kind not in "iu":
        raise TypeError(f"group_sizes must have an integer dtype, got {get_aval(gs).dtype.name}")
    gshape = get_aval(gs).shape
    batch_shape = tuple(lhs_shape[d] for d in batch_dims)
    if gshape[:-1] not in ((), batch_shape) or not gshape:
        raise TypeError(f"expected group_sizes to have shape {batch_shape + gshape[-1:]}, got {gshape}.")
    gs = lax.convert_element_type(gs, dtypes.int32)
    nb = len(gshape) - 1
    ng = gshape[-1]
    # ends[g] = sizes[0] + ... + sizes[g], as a masked sum: a cumsum would run on the host on wasm
    tri = lax.ge(broadcasted_iota(dtypes.int32, (ng, ng), 1), broadcasted_iota(dtypes.int32, (ng, ng), 0))
    wide_gs = broadcast_in_dim(gs, gshape + (ng,), tuple(range(nb + 1)))  # [..., j, g]
    ends = reduce_sum(lax.select_n(broadcast_in_dim(tri, gshape + (ng,), (nb, nb + 1)),
                                   lax.full(gshape + (ng,), 0, dtypes.int32), wide_gs), (nb,))
    starts = lax.sub(ends, gs)
    m = lhs_shape[ragged_dim]
    mshape = gshape + (m,)
    pos = broadcasted_iota(dtypes.int32, mshape, nb + 1)
    wide = lambda v: broadcast_in_dim(v, mshape, tuple(range(nb + 1)))  # noqa: E731
    mask = lax.bitwise_and(lax.le(wide(starts), pos), lax.lt(pos, wide(ends)))  # [*batch, G, M]
    mask = transpose(mask, (nb,) + tuple(range(nb)) + (nb + 1,))  # [G, *batch, M]
    dims = (0,) + (tuple(1 + d for d in batch_dims) if nb else ()) + (1 + ragged_dim,)
    return broadcast_in_dim(mask, (ng,) + tuple(lhs_shape), dims), ng


@partial("ragged batch dimensions and group_offset are not supported")
def ragged_dot_general(lhs, rhs, group_sizes, ragged_dot_dimension_numbers, precision=None,
                       preferred_element_type=None, group_offset=None, out_sharding=None):
    if group_offset is not None:
        raise NotImplementedError("ragged_dot_general: group_offset is not supported in jaxlite")
    lhs, rhs = lax._as_array(lhs), lax._as_array(rhs)
    dn = ragged_dot_dimension_numbers
    (lc, rc), (lb, rb) = dn.dot_dimension_numbers
    if len(dn.lhs_ragged_dimensions) != 1:
        raise TypeError(f"ragged_dot_general requires exactly one lhs ragged dimension, got "
                        f"{dn.lhs_ragged_dimensions}")
    lshape = get_aval(lhs).shape
    rd = dn.lhs_ragged_dimensions[0] % len(lshape)
    if rd in lb:
        raise NotImplementedError("ragged_dot_general: a ragged batch dimension is not supported in jaxlite")
    if rd not in lc and len(dn.rhs_group_dimensions) != 1:
        raise TypeError("ragged_dot_general with a ragged non-contracting dimension needs one rhs group dimension")
    if rd in lc and dn.rhs_group_dimensions:
        raise TypeError("ragged_dot_general with a ragged contracting dimension takes no rhs group dimension")
    mask, _ = _group_masks(group_sizes, lshape, rd, lb)
    masked = lax.select_n(mask, lax.full(get_aval(mask).shape, 0, get_aval(lhs).dtype),
                          broadcast_in_dim(lhs, get_aval(mask).shape, tuple(range(1, 1 + len(lshape)))))
    shift = lambda ds: tuple(1 + d for d in ds)  # noqa: E731
    if rd in lc:  # every group keeps its own product: a leading group axis
        out = dot_general(masked, rhs, ((shift(lc), tuple(rc)), (shift(lb), tuple(rb))), precision,
                          preferred_element_type)
        nb = len(lb)
        return transpose(out, (nb,) + tuple(range(nb)) + tuple(range(nb + 1, get_aval(out).ndim)))
    g = dn.rhs_group_dimensions[0] % get_aval(rhs).ndim
    out = dot_general(masked, rhs, ((shift(lc), tuple(rc)), ((0,) + shift(lb), (g,) + tuple(rb))), precision,
                      preferred_element_type)
    return reduce_sum(out, (0,))


def ragged_dot(lhs, rhs, group_sizes, precision=None, preferred_element_type=None, group_offset=None,
               out_sharding=None):
    """lhs [m, k] times rhs [g, k, n]: the rows of each consecutive group use that group's matrix."""
    dn = RaggedDotDimensionNumbers((((1,), (1,)), ((), ())), (0,), (0,))
    return ragged_dot_general(lhs, rhs, group_sizes, dn, precision, preferred_element_type, group_offset)

