"""dot_general: batched tensor contraction, with its jvp, transpose and batching rules, and the
precision requests it takes (Precision, DotAlgorithmPreset, DotAlgorithm) with their effect on JAX's CPU."""

from __future__ import annotations

import enum
from typing import NamedTuple

import numpy as np

from jaxlite._src import ad, batching, dtypes
from jaxlite._src.backends import cpu
from jaxlite._src.core import Primitive, ShapedArray, abstract_eval_rules, get_aval
from jaxlite._src.lax import lax
from jaxlite._src.lax.structural import transpose

dot_general_p = Primitive("dot_general")

# ---- precision requests -----------------------------------------------------------------------------


class Precision(enum.Enum):
    """Operand precision for TPU/GPU matmuls; every value computes in the operand precision on CPU (so here)."""
    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2

    @classmethod
    def _missing_(cls, value):
        names = {"default": 0, "bfloat16": 0, "fastest": 0, "high": 1, "bfloat16_3x": 1, "tensorfloat32": 1,
                 "highest": 2, "float32": 2}
        return cls(names[value.lower()]) if isinstance(value, str) and value.lower() in names else None

    def __repr__(self):
        return f"Precision.{self.name}"

    def __str__(self):
        return self.name


PrecisionLike = Precision | str | None


class DotAlgorithmPreset(enum.Enum):
    """Named dot algorithms. On JAX's CPU (and so here): DEFAULT, F32_F32_F32 and BF16_BF16_F32(_X3/_X6)
    compute as the default; F16_F16_F16 rounds float operands and the result through float16;
    F64_F64_F64 accumulates in float64 (on the cpu device; wasm/webgpu sums are float32-grade); the rest
    raise ValueError."""
    DEFAULT = enum.auto()
    ANY_F8_ANY_F8_F32 = enum.auto()
    ANY_F8_ANY_F8_F32_FAST_ACCUM = enum.auto()
    ANY_F8_ANY_F8_ANY = enum.auto()
    ANY_F8_ANY_F8_ANY_FAST_ACCUM = enum.auto()
    F16_F16_F16 = enum.auto()
    F16_F16_F32 = enum.auto()
    BF16_BF16_BF16 = enum.auto()
    BF16_BF16_F32 = enum.auto()
    BF16_BF16_F32_X3 = enum.auto()
    BF16_BF16_F32_X6 = enum.auto()
    BF16_BF16_F32_X9 = enum.auto()
    TF32_TF32_F32 = enum.auto()
    TF32_TF32_F32_X3 = enum.auto()
    F32_F32_F32 = enum.auto()
    F64_F64_F64 = enum.auto()

    def __repr__(self):
        return f"DotAlgorithmPreset.{self.name}"

    def __str__(self):
        return self.name

    @property
    def supported_lhs_types(self):
        return _PRESET_TYPES.get(self.name, (None, None))[0]

    supported_rhs_types = supported_lhs_types

    @property
    def accumulation_type(self):
        return _PRESET_TYPES.get(self.name, (None, None))[1]

    def supported_output_types(self, lhs_dtype, rhs_dtype):
        if self.name.startswith("ANY_F8_ANY_F8_F32"):
            return (np.float32, np.float16, *_types("bfloat16", "float8_e4m3fn", "float8_e5m2", "float8_e5m2fnuz",
                                                    "float8_e4m3fnuz", "float8_e4m3b11fnuz"))
        narrow = {"F16_F16_F32": np.float16, "BF16_BF16_F32": (*_BF16, None)[0]}.get(self.name)
        if narrow is not None and np.dtype(dtypes.promote_types(lhs_dtype, rhs_dtype)) == np.dtype(narrow):
            return (np.float32, narrow)
        return None if self.accumulation_type is None else (self.accumulation_type,)


def _types(*names):
    """ml_dtypes' scalar types by name (absent where ml_dtypes does not import)."""
    return tuple(dtypes.EXTENDED[n].type for n in names if n in dtypes.EXTENDED)


_F32, _BF16 = (np.float32,), _types("bfloat16")
# name -> (supported operand types, accumulation type), as JAX lists them
_PRESET_TYPES = {
    "ANY_F8_ANY_F8_F32": (None, np.float32), "ANY_F8_ANY_F8_F32_FAST_ACCUM": (None, np.float32),
    "F16_F16_F16": ((np.float16,), np.float16), "F16_F16_F32": ((np.float16,), np.float32),
    "BF16_BF16_BF16": (_BF16 + _F32, (_BF16 or (None,))[0]), "BF16_BF16_F32": (_BF16 + _F32, np.float32),
    **{n: (_F32, np.float32) for n in ("BF16_BF16_F32_X3", "BF16_BF16_F32_X6", "BF16_BF16_F32_X9", "TF32_TF32_F32",
                                       "TF32_TF32_F32_X3", "F32_F32_F32")},
    "F64_F64_F64": ((np.float64,), np.float64),
}


class DotAlgorithm(NamedTuple):
    """An explicit dot algorithm (operand and accumulation types); JAX's CPU rejects every one."""
    lhs_precision_type: object
    rhs_precision_type: object
    accumulation_type: object
    lhs_component_count: int = 1
    rhs_component_count: int = 1
    num_primitive_operations: int = 1
    allow_imprecise_accumulation: bool = False


_P = DotAlgorithmPreset
_CPU_AS_DEFAULT = {_P.DEFAULT, _P.F32_F32_F32, _P.BF16_BF16_F32, _P.BF16_BF16_F32_X3, _P.BF16_BF16_F32_X6}
_CPU_EMULATED = {_P.F16_F16_F16, _P.F64_F64_F64}


def canonicalize_precision(precision):
    """None, a (Precision, Precision) pair, a DotAlgorithmPreset or a DotAlgorithm; JAX's ValueError otherwise."""
    def one(p):
        return p if isinstance(p, Precision) else Precision(p)
    try:
        if precision is None or isinstance(precision, (DotAlgorithmPreset, DotAlgorithm)):
            return precision
        if isinstance(precision, str) and precision in DotAlgorithmPreset.__members__:
            return DotAlgorithmPreset[precision]
        if isinstance(precision, (str, Precision)):
            return (one(precision),) * 2
        if (isinstance(precision, (tuple, list)) and len(precision) == 2
                and all(isinstance(p, (str, Precision)) for p in precision)):
            return tuple(one(p) for p in precision)
    except ValueError:
        pass
    names = ['highest', 'float32', 'high', 'bfloat16_3x', 'tensorfloat32', 'default', 'bfloat16', 'fastest', None]
    raise ValueError("Precision argument must be one of:\n- None,\n"
                     f"- a string in {names},\n- a lax.Precision value,\n"
                     "- a tuple of two lax.Precision values or strings,\n"
                     "- a lax.DotAlgorithmPreset or the name of one of these presets, or\n"
                     f"- a lax.DotAlgorithm value;\nbut got {precision}.")


def _check_cpu_algorithm(precision):
    if isinstance(precision, DotAlgorithm) or (isinstance(precision, DotAlgorithmPreset)
                                               and precision not in _CPU_AS_DEFAULT | _CPU_EMULATED):
        raise ValueError(f"The precision '{precision}' is not supported by dot_general on CPU")


def _free_dims(ndim, contract, batch):
    return [i for i in range(ndim) if i not in contract and i not in batch]


def _dot_general_abstract(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    (lc, rc), (lb, rb) = dimension_numbers
    if len(lc) != len(rc) or len(lb) != len(rb):
        raise TypeError(f"dot_general requires equal numbers of lhs and rhs contracting/batch dimensions, "
                        f"got {dimension_numbers}.")
    for a, b, what in ((lc, rc, "contracting"), (lb, rb, "batch")):
        for i, j in zip(a, b):
            if lhs.shape[i] != rhs.shape[j]:
                raise TypeError(f"dot_general requires {what} dimensions to have the same shape, got "
                                f"{tuple(lhs.shape[i] for i in a)} and {tuple(rhs.shape[j] for j in b)}.")
    if lhs.dtype != rhs.dtype:
        raise TypeError(f"dot_general requires operands of the same dtype, got {lhs.dtype.name} and "
                        f"{rhs.dtype.name}.")
    shape = (tuple(lhs.shape[i] for i in lb) + tuple(lhs.shape[i] for i in _free_dims(lhs.ndim, lc, lb))
             + tuple(rhs.shape[i] for i in _free_dims(rhs.ndim, rc, rb)))
    dt = preferred_element_type or lhs.dtype
    return [ShapedArray(shape, dt, lhs.weak_type and rhs.weak_type)]


def _dot_general_kernel(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    (lc, rc), (lb, rb) = dimension_numbers
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    ls = [None] * lhs.ndim
    rs = [None] * rhs.ndim
    for i, j in zip(lb, rb):
        ls[i] = rs[j] = next(letters)
    for i, j in zip(lc, rc):
        ls[i] = rs[j] = next(letters)
    for i in range(lhs.ndim):
        ls[i] = ls[i] or next(letters)
    for j in range(rhs.ndim):
        rs[j] = rs[j] or next(letters)
    out = ([ls[i] for i in lb] + [ls[i] for i in _free_dims(lhs.ndim, lc, lb)]
           + [rs[j] for j in _free_dims(rhs.ndim, rc, rb)])
    dt = preferred_element_type or lhs.dtype
    if lhs.dtype == np.bool_:
        return np.einsum(f"{''.join(ls)},{''.join(rs)}->{''.join(out)}", lhs.astype(np.int32),
                         rhs.astype(np.int32)).astype(bool)
    if lhs.dtype.kind == "V" or lhs.dtype.name == "bfloat16":  # ml_dtypes floats: einsum lacks them
        lhs, rhs = lhs.astype(np.float32), rhs.astype(np.float32)
    if precision is DotAlgorithmPreset.F64_F64_F64 and lhs.dtype.kind == "f":
        lhs, rhs = lhs.astype(np.float64), rhs.astype(np.float64)
    return np.einsum(f"{''.join(ls)},{''.join(rs)}->{''.join(out)}", lhs, rhs).astype(dt)


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None, out_sharding=None):
    lhs, rhs = lax._as_array(lhs), lax._as_array(rhs)
    (lc, rc), (lb, rb) = dimension_numbers
    dn = ((tuple(int(i) for i in lc), tuple(int(i) for i in rc)), (tuple(int(i) for i in lb), tuple(int(i) for i in rb)))
    pet = None if preferred_element_type is None else dtypes.canonicalize_dtype(preferred_element_type)
    precision = canonicalize_precision(precision)
    _check_cpu_algorithm(precision)
    la = get_aval(lhs)
    if precision is DotAlgorithmPreset.F16_F16_F16 and la.dtype.kind == "f" and get_aval(rhs).dtype == la.dtype:
        # As XLA's CPU: operands rounded to float16, products summed in float32, the sum rounded to float16.
        f16, f32 = np.dtype(np.float16), np.dtype(np.float32)
        lo, ro = (lax.convert_element_type(lax.convert_element_type(x, f16), f32) for x in (lhs, rhs))
        out = dot_general_p.bind(lo, ro, dimension_numbers=dn, precision=precision, preferred_element_type=None)
        return lax.convert_element_type(lax.convert_element_type(out, f16), pet or la.dtype)
    return dot_general_p.bind(lhs, rhs, dimension_numbers=dn, precision=precision, preferred_element_type=pet)


def dot(lhs, rhs, precision=None, preferred_element_type=None):
    """lax.dot: vector/matrix products contracting lhs's last axis with rhs's first."""
    ls, rs = np.shape(lhs), np.shape(rhs)
    if len(ls) not in (1, 2) or len(rs) not in (1, 2) or ls[-1] != rs[0]:  # JAX's check and wording
        raise ValueError(f"jax.lax.dot: dimension_numbers must be specified when not performing simple "
                         f"un-batched matrix-matrix, matrix-vector, or vector-vector products; got "
                         f"lhs_shape={ls} rhs_shape={rs}")
    la, ra = get_aval(lax._as_array(lhs)), get_aval(lax._as_array(rhs))
    if la.ndim not in (1, 2) or ra.ndim not in (1, 2):
        raise TypeError(f"Incompatible shapes for dot: got {la.shape} and {ra.shape}.")
    return dot_general(lhs, rhs, (((la.ndim - 1,), (0,)), ((), ())), precision, preferred_element_type)


def _ranges_like(*xs):
    start = 0
    for x in xs:
        yield tuple(range(start, start + len(x)))
        start += len(x)


def _transpose_lhs(ct, y, x_aval, dimension_numbers, preferred_element_type, swap_ans=False):
    (x_contract, y_contract), (x_batch, y_batch) = dimension_numbers
    x_ndim = x_aval.ndim
    y_aval = get_aval(y) if not ad.is_undefined_primal(y) else y.aval
    x_kept = _free_dims(x_ndim, x_contract, x_batch)
    y_kept = _free_dims(y_aval.ndim, y_contract, y_batch)
    if swap_ans:
        ans_batch, ans_y, _ = _ranges_like(x_batch, y_kept, x_kept)
    else:
        ans_batch, _, ans_y = _ranges_like(x_batch, x_kept, y_kept)
    dims = ((ans_y, tuple(y_kept)), (ans_batch, tuple(y_batch)))
    x_contract_sorted_by_y = [x_contract[i] for i in np.argsort(y_contract)]
    out_axes = np.argsort(list(x_batch) + x_kept + x_contract_sorted_by_y)
    out = dot_general(ct, y, dims, preferred_element_type=None)
    out = transpose(out, tuple(int(a) for a in out_axes))
    if get_aval(out).dtype != x_aval.dtype:
        out = lax.convert_element_type(out, x_aval.dtype)
    return out


def _dot_general_transpose(ct, lhs, rhs, dimension_numbers, precision, preferred_element_type):
    (lc, rc), (lb, rb) = dimension_numbers
    cts = [None, None]
    if ad.is_undefined_primal(lhs):
        cts[0] = _transpose_lhs(ct, rhs, lhs.aval, dimension_numbers, preferred_element_type)
    if ad.is_undefined_primal(rhs):
        swapped = ((rc, lc), (rb, lb))
        cts[1] = _transpose_lhs(ct, lhs, rhs.aval, swapped, preferred_element_type, swap_ans=True)
    return cts


def _dot_general_jvp(primals, tangents, **params):
    lhs, rhs = primals
    tl, tr = tangents
    out = dot_general_p.bind(lhs, rhs, **params)
    return [out], [lax.add(dot_general_p.bind(tl, rhs, **params), dot_general_p.bind(lhs, tr, **params))]


def _dot_general_vmap(axis_size, vals, dims, dimension_numbers, precision, preferred_element_type):
    (lhs, rhs), (ld, rd) = vals, dims
    (lc, rc), (lb, rb) = dimension_numbers
    params = dict(precision=precision, preferred_element_type=preferred_element_type)

    def shift(t, d):  # dims of the operand once a batch axis is inserted at position d
        return tuple(i + (i >= d) for i in t)

    if ld is not None and rd is not None:
        lhs = batching.moveaxis(lhs, ld, 0)
        rhs = batching.moveaxis(rhs, rd, 0)
        dn = ((shift(lc, 0), shift(rc, 0)), ((0,) + shift(lb, 0), (0,) + shift(rb, 0)))
        return [dot_general_p.bind(lhs, rhs, dimension_numbers=dn, **params)], [0]
    if ld is not None:
        dn = ((shift(lc, ld), rc), (shift(lb, ld), rb))
        lfree = _free_dims(get_aval(lhs).ndim, dn[0][0], dn[1][0])
        out_dim = len(lb) + lfree.index(ld)
        return [dot_general_p.bind(lhs, rhs, dimension_numbers=dn, **params)], [out_dim]
    dn = ((lc, shift(rc, rd)), (lb, shift(rb, rd)))
    lhs_nd = get_aval(lhs).ndim
    rfree = _free_dims(get_aval(rhs).ndim, dn[0][1], dn[1][1])
    out_dim = len(lb) + (lhs_nd - len(lc) - len(lb)) + rfree.index(rd)
    return [dot_general_p.bind(lhs, rhs, dimension_numbers=dn, **params)], [out_dim]


abstract_eval_rules[dot_general_p] = _dot_general_abstract
cpu.kernels[dot_general_p] = _dot_general_kernel
ad.jvp_rules[dot_general_p] = _dot_general_jvp
ad.transpose_rules[dot_general_p] = _dot_general_transpose
batching.vmap_rules[dot_general_p] = _dot_general_vmap


def _scaled(x, scale, contracting):
    """x times its scale, each scale entry repeated over its block of the contracting dim, in bfloat16."""
    from jaxlite._src.lax.structural import broadcast_in_dim, reshape
    bf16 = dtypes.canonicalize_dtype("bfloat16")
    x = lax.convert_element_type(x, bf16)
    if scale is None:
        return x
    s = lax.convert_element_type(lax._as_array(scale), bf16)
    xs, ss = get_aval(x).shape, get_aval(s).shape
    (c,) = contracting
    if len(ss) != len(xs) or any(a != b for d, (a, b) in enumerate(zip(xs, ss)) if d != c) or xs[c] % ss[c]:
        raise TypeError(f"scaled_dot: scale shape {ss} does not fit operand shape {xs}")
    block = xs[c] // ss[c]
    wide = ss[:c + 1] + (block,) + ss[c + 1:]
    s = reshape(broadcast_in_dim(s, wide, tuple(d if d <= c else d + 1 for d in range(len(ss)))), xs)
    return lax.mul(x, s)


def scaled_dot(lhs, rhs, *, lhs_scale=None, rhs_scale=None, dimension_numbers=None, preferred_element_type=None):
    """(lhs * lhs_scale) @ (rhs * rhs_scale), scales repeated over blocks of the contracting dim.

    As XLA's CPU path computes it: operands, scales and their products rounded to bfloat16, the
    contraction accumulated in float32, the result in preferred_element_type (default bfloat16)."""
    lhs, rhs = lax._as_array(lhs), lax._as_array(rhs)
    if dimension_numbers is None:
        nd = get_aval(lhs).ndim
        dimension_numbers = (((1,), (0,)), ((), ())) if nd == 2 else (((2,), (1,)), ((0,), (0,)))
    (lc, rc), _ = dimension_numbers
    out = dot_general(_scaled(lhs, lhs_scale, tuple(lc)), _scaled(rhs, rhs_scale, tuple(rc)), dimension_numbers,
                      preferred_element_type=np.float32)
    return lax.convert_element_type(out, preferred_element_type or dtypes.canonicalize_dtype("bfloat16"))
