"""JAX's scalar types (jnp.float32, jnp.bool, jnp.double, ...): classes whose call makes a 0-d (or
any) Array of their dtype, as JAX's do, instead of numpy scalars. Each compares and hashes equal to
numpy's scalar type and has its `dtype`, so np.dtype(jnp.float32), `x.dtype == jnp.float32`,
issubdtype and dict/set lookups by numpy type behave as with numpy's types; isinstance accepts
numpy scalars of the dtype, as in JAX."""

from __future__ import annotations

import numpy as np

from jaxlite._src import dtypes
from jaxlite._src.numpy.util import asarray


class _ScalarMeta(type):
    dtype: np.dtype

    def __hash__(cls):
        return hash(cls.dtype.type)

    def __eq__(cls, other):
        return cls is other or cls.dtype.type == other

    def __ne__(cls, other):
        return not cls == other

    def __call__(cls, x):
        if isinstance(x, str):  # jnp.float32("1.5") parses, as numpy does for JAX
            x = np.asarray(x, dtypes.canonicalize_dtype(cls.dtype))
        return asarray(x, dtype=cls.dtype)

    def __instancecheck__(cls, instance):
        return isinstance(instance, cls.dtype.type)


def _scalar_type(np_type) -> _ScalarMeta:
    dt = np.dtype(np_type)
    name = "bool" if dt == np.bool_ else dt.name
    return _ScalarMeta(name, (object,), {"dtype": dt, "__module__": "jaxlite.numpy", "__qualname__": name,
                                         "__doc__": f"JAX's {name} scalar type: calling it gives an Array of "
                                                    f"dtype {name} (a weak-type-free conversion)."})


bool_ = _scalar_type(np.bool_)
int8, int16, int32, int64 = map(_scalar_type, (np.int8, np.int16, np.int32, np.int64))
uint8, uint16, uint32, uint64 = map(_scalar_type, (np.uint8, np.uint16, np.uint32, np.uint64))
float16, float32, float64 = map(_scalar_type, (np.float16, np.float32, np.float64))
complex64, complex128 = map(_scalar_type, (np.complex64, np.complex128))
# The aliases are the same objects, as in JAX (jnp.double is jnp.float64: float32 values while x64 is off).
bool = bool_  # noqa: A001
single, double, uint, csingle, cdouble = float32, float64, uint64, complex64, complex128
float_, int_, complex_ = float64, int64, complex128
