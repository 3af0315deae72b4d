"""bitcast_convert_type: reinterpret the bits of an array as another dtype of the same width."""

from __future__ import annotations

import numpy as np

from jaxlite._src import ad, batching, dtypes
from jaxlite._src.backends import cpu
from jaxlite._src.core import Primitive, ShapedArray, abstract_eval_rules

bitcast_convert_type_p = Primitive("bitcast_convert_type")


def _bitcast_abstract(x, new_dtype):
    if np.dtype(new_dtype).itemsize != x.dtype.itemsize:
        raise TypeError(f"bitcast_convert_type between types of different widths is not supported: "
                        f"{x.dtype.name} -> {np.dtype(new_dtype).name}")
    return [ShapedArray(x.shape, new_dtype)]


abstract_eval_rules[bitcast_convert_type_p] = _bitcast_abstract
cpu.kernels[bitcast_convert_type_p] = lambda x, new_dtype: np.ascontiguousarray(x).view(new_dtype).reshape(x.shape)
ad.nondiff.add(bitcast_convert_type_p)
batching.vmap_rules[bitcast_convert_type_p] = lambda n, vals, dims, new_dtype: (
    [bitcast_convert_type_p.bind(vals[0], new_dtype=new_dtype)], dims)


def bitcast_convert_type(x, new_dtype):
    from jaxlite._src.lax.lax import _as_array
    return bitcast_convert_type_p.bind(_as_array(x), new_dtype=dtypes.canonicalize_dtype(new_dtype))
