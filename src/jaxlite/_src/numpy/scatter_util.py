"""Point scatters for jaxlite.numpy's functional updates (put, place, put_along_axis, nonzero).

They call lax scatter directly with one full index vector per updated element, so they need
neither `.at[]`'s index parsing nor a round trip through the host.
"""

from __future__ import annotations

import functools

from jaxlite._src import dtypes
from jaxlite._src.core import get_aval
from jaxlite._src.lax import lax, slicing, structural


def scatter_points(operand, index_arrays, updates, mode="fill", combine="set"):
    """operand with operand[i0[k], i1[k], ...] = updates[k] for every position k of the index
    arrays (one per operand axis, all of updates' shape). mode "fill" drops out-of-range points."""
    nd = get_aval(operand).ndim
    upd_shape = get_aval(updates).shape
    dt = functools.reduce(dtypes.promote_types, [get_aval(i).dtype for i in index_arrays])
    cols = [structural.reshape(lax.convert_element_type(i, dt), upd_shape + (1,)) for i in index_arrays]
    idx = structural.concatenate(cols, len(upd_shape))
    dn = slicing.ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=tuple(range(nd)),
                                         scatter_dims_to_operand_dims=tuple(range(nd)))
    fn = {"set": slicing.scatter, "add": slicing.scatter_add}[combine]
    return fn(operand, idx, updates, dn, mode=mode)
