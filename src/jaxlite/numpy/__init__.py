"""jax.numpy for jaxlite."""

from jaxlite._src import api as _api  # noqa: F401
from jaxlite._src.array import Array as ndarray  # noqa: F401
from jaxlite._src.numpy.lax_numpy import *  # noqa: F401,F403
from jaxlite._src.numpy.lax_numpy import (abs, divmod, pow, round)  # noqa: F401
from jaxlite._src.numpy.reductions import (all, amax, amin, any, argmax, argmin, average,  # noqa: F401
                                           cummax, cumprod, cumsum, cumulative_prod, cumulative_sum, max, mean,
                                           min, nanmax, nanmean, nanmin, nansum, prod, ptp, std, sum, var)
from jaxlite._src.numpy.util import asarray, broadcast_shapes, broadcast_to  # noqa: F401
from jaxlite._src.numpy.sorting import (argsort, argwhere, flatnonzero, median, nonzero, percentile,  # noqa: F401
                                        quantile, searchsorted, sort)
from jaxlite._src.numpy.indexing import NonConcreteBooleanIndexError  # noqa: F401
from jaxlite._src.numpy.manipulation import (append, block, choose, compress, delete, diagflat,  # noqa: F401
                                             extract, fill_diagonal, insert, place, put, put_along_axis,
                                             resize, rot90, trim_zeros, unstack)
from jaxlite._src.numpy.index_tricks import (c_, diag_indices, diag_indices_from, index_exp, indices,  # noqa: F401
                                             ix_, mask_indices, mgrid, ogrid, r_, s_, tril_indices,
                                             tril_indices_from, triu_indices, triu_indices_from)
from jaxlite._src.numpy.bits import bitwise_count, packbits, unpackbits  # noqa: F401
from jaxlite._src.numpy.ufuncs import (angle, frexp, iscomplex, isneginf, isposinf, isreal,  # noqa: F401
                                       isrealobj, ldexp, modf, nextafter)
from jaxlite._src.numpy.array_creation import (array_equiv, copy, from_dlpack, frombuffer,  # noqa: F401
                                               fromfile, fromfunction, fromiter, fromstring, geomspace,
                                               iterable)
from jaxlite._src.numpy.io import (array_repr, array_str, get_printoptions, load, printoptions,  # noqa: F401
                                   save, savez, set_printoptions)

_EXTENDED_DTYPE_NOTE = (
    "partial", "an ml_dtypes type (absent where ml_dtypes does not import, e.g. some Pyodide builds): "
    "dtype, JAX's promotion lattice, jnp.array/astype and elementwise lax arithmetic work (the cpu "
    "device computes through ml_dtypes' numpy ufuncs; wasm/webgpu kernels cannot render it and run "
    "those ops as counted host fallbacks); reductions, grad and most jnp functions still reject "
    "these dtypes because their checks use numpy dtype kinds (ml_dtypes types have kind 'V')")
_FEATURE_NOTES = {
    **{name: _EXTENDED_DTYPE_NOTE for name in ("bfloat16", "float8_e3m4", "float8_e4m3", "float8_e4m3b11fnuz",
                                               "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2",
                                               "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn",
                                               "float6_e2m3fn", "float6_e3m2fn", "int1", "int2", "int4",
                                               "uint1", "uint2", "uint4")},
    "einsum_path": ("partial", "the path numpy.einsum_path chooses (opt_einsum is not bundled), so paths "
                               "and the report string can differ from JAX's opt_einsum ones"),
}

# ---- part A: set operations, polynomials, histograms, nan-reductions, functional tools, windows ----
from jaxlite._src.numpy.setops import *  # noqa: F401,F403,E402
from jaxlite._src.numpy.calculus import *  # noqa: F401,F403,E402
from jaxlite._src.numpy.statistics import *  # noqa: F401,F403,E402
from jaxlite._src.numpy.nan_functions import *  # noqa: F401,F403,E402
from jaxlite._src.numpy.polynomial import *  # noqa: F401,F403,E402
from jaxlite._src.numpy.special_math import *  # noqa: F401,F403,E402
from jaxlite._src.numpy.ordering import *  # noqa: F401,F403,E402
from jaxlite._src.numpy.windows import *  # noqa: F401,F403,E402
from jaxlite._src.numpy.functional import *  # noqa: F401,F403,E402
from jaxlite.numpy import fft  # noqa
from jaxlite.numpy import linalg  # noqa
