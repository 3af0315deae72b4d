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

# ---- loaded on first use -----------------------------------------------------------------------
# Families a first program rarely touches (set operations, polynomials, histograms, nan-reductions,
# functional tools, windows; `jnp.fft`, `jnp.linalg`) load when one of their names is first read:
# their modules were a good part of `import jaxlite` in Pyodide. Each family lists its module's
# `__all__` (tests/test_import_graph.py checks the two agree).
_LAZY_FAMILIES = {
    "setops": ("unique", "unique_all", "unique_counts", "unique_inverse", "unique_values", "isin", "intersect1d",
               "union1d", "setdiff1d", "setxor1d"),
    "calculus": ("diff", "ediff1d", "gradient", "trapezoid", "interp", "unwrap"),
    "statistics": ("bincount", "digitize", "histogram_bin_edges", "histogram", "histogram2d", "histogramdd", "cov",
                   "corrcoef"),
    "nan_functions": ("nanargmax", "nanargmin", "nancumprod", "nancumsum", "nanmedian", "nanpercentile", "nanprod",
                      "nanquantile", "nanstd", "nanvar"),
    "polynomial": ("vander", "convolve", "correlate", "poly", "polyadd", "polysub", "polymul", "polydiv", "polyder",
                   "polyint", "polyval", "polyfit", "roots"),
    "special_math": ("i0", "gcd", "lcm", "spacing"),
    "ordering": ("lexsort", "partition", "argpartition", "sort_complex"),
    "windows": ("bartlett", "blackman", "hamming", "hanning", "kaiser"),
    "functional": ("select", "piecewise", "vectorize", "apply_along_axis", "apply_over_axes", "ufunc", "frompyfunc"),
    # jnp.add and the other functions JAX makes jnp.ufunc objects (their class lives in functional):
    # the plain functions star-imported above are unbound below until the first read
    "ufunc_objects": ("add", "multiply", "subtract", "maximum", "minimum", "bitwise_and", "bitwise_or",
                      "bitwise_xor", "logical_and", "logical_or", "logical_xor", "logaddexp", "logaddexp2",
                      "negative"),
}
_LAZY_NAMES = {name: family for family, names in _LAZY_FAMILIES.items() for name in names}
for _name in _LAZY_FAMILIES["ufunc_objects"]:
    del globals()[_name]
del _name
_LAZY_SUBMODULES = frozenset({"fft", "linalg"})


def __getattr__(name):
    import importlib
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"jaxlite.numpy.{name}")
    family = _LAZY_NAMES.get(name)
    if family is None:
        raise AttributeError(f"module 'jaxlite.numpy' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"jaxlite._src.numpy.{family}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY_NAMES) | _LAZY_SUBMODULES)


# `from jaxlite.numpy import *` brings the lazy names too (loading their families then)
__all__ = sorted(n for n in {*globals(), *_LAZY_NAMES, *_LAZY_SUBMODULES} if not n.startswith("_"))
