"""Dtypes and JAX's type promotion lattice, weak types included.

dtypes are numpy dtype objects, as in JAX. Python scalars are *weakly typed*: `2 * x` keeps x's
float32. Promotion is the least upper bound in JAX's lattice (jax.numpy type promotion table),
so results match JAX's, not numpy's value-based rules.
"""

from __future__ import annotations

import functools

import numpy as np

from jaxlite._src.config import config

bool_ = np.dtype(np.bool_)
int8, int16, int32, int64 = (np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64))
uint8, uint16, uint32, uint64 = (np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64))
float16, float32, float64 = (np.dtype(t) for t in (np.float16, np.float32, np.float64))
complex64, complex128 = np.dtype(np.complex64), np.dtype(np.complex128)

SUPPORTED = {bool_, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
             float16, float32, float64, complex64, complex128}
_X64_TO_X32 = {int64: int32, uint64: uint32, float64: float32, complex128: complex64}


class TypePromotionError(ValueError):
    """Two dtypes have no implicit promotion path (JAX's jax.dtypes.TypePromotionError)."""


# bfloat16, the float8/float6/float4 formats and the sub-byte ints come from ml_dtypes (installed
# with jax in CPython; absent from some Pyodide builds, where these names are None).
try:
    import ml_dtypes as _ml
except ImportError:  # pragma: no cover - depends on the environment
    _ml = None

_EXTENDED_FLOATS = ("bfloat16", "float8_e3m4", "float8_e4m3", "float8_e4m3b11fnuz", "float8_e4m3fn",
                    "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn",
                    "float6_e2m3fn", "float6_e3m2fn")
_EXTENDED_INTS = ("int1", "int2", "int4", "uint1", "uint2", "uint4")
EXTENDED = {}  # name -> numpy dtype, for the ml_dtypes types this ml_dtypes has
if _ml is not None:
    for _name in _EXTENDED_FLOATS + _EXTENDED_INTS:
        if hasattr(_ml, _name):
            EXTENDED[_name] = np.dtype(getattr(_ml, _name))
bfloat16 = EXTENDED.get("bfloat16")
SUPPORTED |= set(EXTENDED.values())
_EXT_KIND = {dt: ("f" if name in _EXTENDED_FLOATS else "u" if name.startswith("u") else "i")
             for name, dt in EXTENDED.items()}


def kind(dtype) -> str:
    """numpy's dtype kind, with the ml_dtypes types (numpy kind 'V') mapped to 'f', 'i' or 'u'."""
    dt = np.dtype(dtype)
    return _EXT_KIND.get(dt, dt.kind)

# Lattice nodes are dtypes or the weak categories below; edges point to the next wider types.
I_WEAK, F_WEAK, C_WEAK = "i*", "f*", "c*"
_LATTICE = {
    bool_: [I_WEAK], I_WEAK: [uint8, int8],
    uint8: [int16, uint16], uint16: [int32, uint32], uint32: [int64, uint64], uint64: [F_WEAK],
    int8: [int16], int16: [int32], int32: [int64], int64: [F_WEAK],
    F_WEAK: [float16, C_WEAK], float16: [float32], float32: [float64, complex64],
    float64: [complex128], C_WEAK: [complex64], complex64: [complex128], complex128: [],
}
# As in JAX: bfloat16 widens to float32; 8-bit-and-narrower floats and sub-byte ints promote only
# with weak (Python) scalars of their kind.
for _name, _dt in EXTENDED.items():
    _LATTICE[_dt] = [float32] if _name == "bfloat16" else []
    _LATTICE[F_WEAK if _name in _EXTENDED_FLOATS else I_WEAK].append(_dt)


@functools.cache
def _upper_bounds(node) -> frozenset:
    out = {node}
    for nxt in _LATTICE[node]:
        out |= _upper_bounds(nxt)
    return frozenset(out)


@functools.cache
def _join(a, b):
    common = _upper_bounds(a) & _upper_bounds(b)
    # The least upper bound is the common bound all other common bounds are above.
    for c in common:
        if common <= _upper_bounds(c):
            return c
    names = tuple(str(x) if isinstance(x, str) else np.dtype(x).name for x in (a, b))
    raise TypePromotionError(f"Input dtypes {names} have no available implicit dtype promotion path. "
                             "To avoid unintended promotion, 8-bit floats and sub-byte integers do not "
                             "support implicit promotion. If you'd like your inputs to be promoted to "
                             "another type, you can do so explicitly using e.g. x.astype('float32')")


def x64_enabled() -> bool:
    return bool(config.jax_enable_x64)


def default_int() -> np.dtype:
    return int64 if x64_enabled() else int32


def default_float() -> np.dtype:
    return float64 if x64_enabled() else float32


def default_complex() -> np.dtype:
    return complex128 if x64_enabled() else complex64


def canonicalize_dtype(dtype) -> np.dtype:
    """The dtype jaxlite actually stores: 64-bit types become 32-bit while x64 is off."""
    dt = np.dtype(dtype)
    if dt not in SUPPORTED:
        raise TypeError(f"JAX only supports number and bool dtypes, got dtype {dt}")
    return dt if x64_enabled() else _X64_TO_X32.get(dt, dt)


def check_user_dtype(dtype) -> np.dtype | None:
    if dtype is None:
        return None
    if dtype is int:
        return default_int()
    if dtype is float:
        return default_float()
    if dtype is complex:
        return default_complex()
    if dtype is bool:
        return bool_
    try:
        dt = np.dtype(dtype)
    except TypeError as e:
        raise TypeError(f"Cannot interpret {dtype!r} as a data type") from e
    return canonicalize_dtype(dt)


def _node(dtype: np.dtype, weak: bool):
    if not weak:
        return dtype
    k = kind(dtype)
    if k in "iu":
        return I_WEAK
    if k == "f":
        return F_WEAK
    if k == "c":
        return C_WEAK
    return dtype


def _from_node(node) -> tuple[np.dtype, bool]:
    if node == I_WEAK:
        return default_int(), True
    if node == F_WEAK:
        return default_float(), True
    if node == C_WEAK:
        return default_complex(), True
    return canonicalize_dtype(node), False


def promote_types(a, b) -> np.dtype:
    """jnp.promote_types: promotion of two (strong) dtypes."""
    return _from_node(_join(np.dtype(a), np.dtype(b)))[0]


def result_type_with_weak(*dtypes_and_weak: tuple[np.dtype, bool]) -> tuple[np.dtype, bool]:
    """Promotion as JAX does it: all-weak inputs join their strong types and stay weak; a weak
    result takes the default type of its kind (so `1.0 * weak_f16` is the default float)."""
    if not dtypes_and_weak:
        raise ValueError("at least one array or dtype is required")
    dts = [np.dtype(d) for d, _ in dtypes_and_weak]
    weaks = [w for _, w in dtypes_and_weak]
    if len(dts) == 1:
        node, weak = dts[0], weaks[0]
    elif len(set(dts)) == 1 and not all(weaks):
        node, weak = dts[0], False
    elif all(weaks):
        node = functools.reduce(_join, dts)
        weak = True
    else:
        node = functools.reduce(_join, [_node(d, w) for d, w in zip(dts, weaks)])
        weak = node in (I_WEAK, F_WEAK, C_WEAK)
    if isinstance(node, str):
        node = {I_WEAK: int64, F_WEAK: float64, C_WEAK: complex128}[node]
    weak = weak and node != bool_
    if weak:
        return {"i": default_int, "u": default_int, "f": default_float,
                "c": default_complex}[kind(node)](), True
    return canonicalize_dtype(node), False


def dtype_and_weak(x) -> tuple[np.dtype, bool]:
    """The (dtype, weak_type) jaxlite gives a value: arrays, tracers, Python and numpy scalars."""
    aval = getattr(x, "aval", None)
    if aval is not None:
        return aval.dtype, aval.weak_type
    if isinstance(x, bool):
        return bool_, False
    if isinstance(x, int):
        return default_int(), True
    if isinstance(x, float):
        return default_float(), True
    if isinstance(x, complex):
        return default_complex(), True
    if isinstance(x, (np.ndarray, np.generic)):
        return canonicalize_dtype(x.dtype), False
    if isinstance(x, (np.dtype, type)) or isinstance(x, str):
        return check_user_dtype(x), False
    if hasattr(x, "__jax_array__"):
        return dtype_and_weak(x.__jax_array__())
    if isinstance(x, (list, tuple)):
        return canonicalize_dtype(np.asarray(x).dtype), False
    raise TypeError(f"Value {x!r} of type {type(x)} is not a valid JAX type")


def result_type(*args, return_weak_type_flag: bool = False):
    dt, weak = result_type_with_weak(*(dtype_and_weak(a) for a in args))
    return (dt, weak) if return_weak_type_flag else dt


def is_weakly_typed(x) -> bool:
    return dtype_and_weak(x)[1]


class extended(np.generic):
    """The scalar type of JAX's extended dtypes (here the PRNG key dtypes): only for issubdtype."""


class prng_key(extended):
    """The scalar type of PRNG key dtypes: issubdtype(jax.random.key(0).dtype, prng_key) holds."""


def _extended_type(x):
    t = x if isinstance(x, type) else getattr(x, "type", None) if not isinstance(x, np.dtype) else None
    return t if isinstance(t, type) and issubclass(t, extended) else None


def issubdtype(a, b) -> bool:
    ta, tb = _extended_type(a), _extended_type(b)
    if ta is not None or tb is not None:  # key dtypes are no numpy dtype: only their own hierarchy
        if ta is None:
            return False
        return issubclass(ta, b) if isinstance(b, type) else a == b
    if isinstance(a, np.dtype) or not isinstance(a, type):
        a = np.dtype(a)
    return np.issubdtype(a, b)


def itemsize_bits(dtype) -> int:
    """The bits one element of dtype takes (4 for int4, 8 for bool)."""
    dt = np.dtype(dtype)
    if dt.kind == "V" and dt.names is None:  # ml_dtypes' narrow types are 1-byte scalars
        import ml_dtypes
        info = ml_dtypes.iinfo(dt) if "int" in dt.name else ml_dtypes.finfo(dt)
        return int(info.bits)
    return 8 * dt.itemsize


def scalar_type_of(x) -> type:
    """The Python scalar type of x's dtype: bool, int, float or complex."""
    dt = dtype_and_weak(x)[0]
    if issubdtype(dt, np.bool_):
        return bool
    if issubdtype(dt, np.integer):
        return int
    if issubdtype(dt, np.complexfloating):
        return complex
    if issubdtype(dt, np.floating) or dt.kind == "V":
        return float
    raise TypeError(f"Invalid scalar value {x}")


def is_float(dtype) -> bool:
    return kind(dtype) == "f"


def is_inexact(dtype) -> bool:
    return kind(dtype) in "fc"


def is_int(dtype) -> bool:
    return kind(dtype) in "iu"


def finfo(dtype):
    dt = np.dtype(dtype)
    return _ml.finfo(dt) if dt in _EXT_KIND else np.finfo(dt)


def iinfo(dtype):
    dt = np.dtype(dtype)
    return _ml.iinfo(dt) if dt in _EXT_KIND else np.iinfo(dt)


_ISDTYPE_KINDS = {"bool": "b", "signed integer": "i", "unsigned integer": "u", "integral": "iu",
                  "real floating": "f", "complex floating": "c", "numeric": "iufc"}


def isdtype(dtype, kind_spec) -> bool:
    """The array API's isdtype, with the ml_dtypes types counted in their numeric kinds."""
    dt = np.dtype(dtype)
    specs = kind_spec if isinstance(kind_spec, tuple) else (kind_spec,)
    for spec in specs:
        if isinstance(spec, str):
            if spec not in _ISDTYPE_KINDS:
                raise ValueError(f"Unrecognized {spec=!r}")
            if kind(dt) in _ISDTYPE_KINDS[spec]:
                return True
        elif isinstance(spec, (np.dtype, type)) or hasattr(spec, "dtype"):
            if dt == np.dtype(spec):
                return True
        else:
            raise TypeError(f"Expected kind to be a dtype, string, or tuple; got {spec!r}")
    return False


def short_name(dtype: np.dtype) -> str:
    """JAX's short dtype names used in avals and jaxprs: f32, i32, bool, ..."""
    dt = np.dtype(dtype)
    if dt == bool_:
        return "bool"
    if dt == bfloat16:
        return "bf16"
    if dt in _EXT_KIND:  # f8_e4m3fn, i4, u2, ...
        return dt.name.replace("float", "f").replace("uint", "u").replace("int", "i")
    return {"f": "f", "i": "i", "u": "u", "c": "c"}[dt.kind] + str(dt.itemsize * 8)
