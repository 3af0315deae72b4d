"""The smaller jax.lax functions built from the primitives: shape helpers (collapse, tile, split,
stack), cumlogsumexp, reduce_precision, scatter_sub/scatter_apply, approx_max_k/approx_min_k, enums
accepted for JAX compatibility, and implicit differentiation (custom_root, custom_linear_solve)."""

from __future__ import annotations

import enum
import math

import numpy as np

from jaxlite._src import ad_util, core, dtypes, tree_util
from jaxlite._src.core import get_aval
from jaxlite._src.features import partial
from jaxlite._src.lax import lax
from jaxlite._src.lax.structural import (broadcast_in_dim, concatenate, expand_dims, index_in_dim, reshape,
                                         slice_in_dim)


class RoundingMethod(enum.IntEnum):
    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


class Precision(enum.Enum):
    """Accepted and ignored, as JAX does on CPU: every contraction runs in the operand precision."""
    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2

    @classmethod
    def _missing_(cls, value):
        names = {"default": 0, "bfloat16": 0, "fastest": 0, "high": 1, "bfloat16_3x": 1, "highest": 2,
                 "float32": 2, "tensorfloat32": 1}
        return cls(names[value.lower()]) if isinstance(value, str) and value.lower() in names else None


PrecisionLike = Precision | str | None


class DotAlgorithmPreset(enum.Enum):
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


class DotAlgorithm(tuple):
    """A (lhs, rhs, accumulation) precision request; accepted and ignored like Precision."""

    def __new__(cls, lhs_precision_type, rhs_precision_type, accumulation_type, lhs_component_count=1,
                rhs_component_count=1, num_primitive_operations=1, allow_imprecise_accumulation=False):
        return super().__new__(cls, (lhs_precision_type, rhs_precision_type, accumulation_type, lhs_component_count,
                                     rhs_component_count, num_primitive_operations, allow_imprecise_accumulation))


DotDimensionNumbers = tuple  # ((lhs_contract, rhs_contract), (lhs_batch, rhs_batch))


# ---- shapes -----------------------------------------------------------------------------------------


def dtype(x):
    """The canonical dtype JAX gives x (Python scalars: the default int/float dtypes)."""
    if isinstance(x, core.Tracer) or hasattr(x, "aval"):
        return get_aval(x).dtype
    if isinstance(x, (type, np.dtype, str)):
        return dtypes.canonicalize_dtype(x)
    return dtypes.canonicalize_dtype(dtypes.dtype_and_weak(x)[0])


def broadcast_shapes(*shapes):
    shapes = [tuple(int(d) for d in s) for s in shapes]
    rank = max((len(s) for s in shapes), default=0)
    out = []
    for dims in zip(*[(1,) * (rank - len(s)) + s for s in shapes]):
        sizes = {d for d in dims if d != 1}
        if len(sizes) > 1:
            raise ValueError(f"Incompatible shapes for broadcasting: shapes={shapes}")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def broadcast_to_rank(x, rank: int):
    x = lax._as_array(x)
    nd = get_aval(x).ndim
    if nd == rank:
        return x
    shape = get_aval(x).shape
    return broadcast_in_dim(x, (1,) * (rank - nd) + shape, tuple(range(rank - nd, rank)))


def broadcast_like(arr, like_arr):
    """arr broadcast (NumPy rules, trailing dims aligned) to like_arr's shape."""
    arr = lax._as_array(arr)
    shape, like = get_aval(arr).shape, get_aval(lax._as_array(like_arr)).shape
    out = broadcast_shapes(shape, like)
    return broadcast_in_dim(arr, out, tuple(range(len(out) - len(shape), len(out))))


def collapse(operand, start_dimension: int, stop_dimension: int | None = None):
    x = lax._as_array(operand)
    shape = get_aval(x).shape
    nd = len(shape)
    lo = start_dimension % nd if nd else 0
    hi = nd if stop_dimension is None else (stop_dimension % (nd + 1) if stop_dimension < 0 else stop_dimension)
    return reshape(x, shape[:lo] + (math.prod(shape[lo:hi]),) + shape[hi:])


def full_like(x, fill_value, dtype=None, shape=None, sharding=None):
    a = get_aval(lax._as_array(x))
    out = lax.full(a.shape if shape is None else tuple(shape), fill_value, dtype or a.dtype)
    weak = dtype is None and a.weak_type
    return lax.convert_element_type(out, get_aval(out).dtype, weak_type=weak) if weak else out


def empty(shape, dtype, *, out_sharding=None):
    return lax.full(shape, 0, dtype)


def tile(operand, reps):
    x = lax._as_array(operand)
    shape = get_aval(x).shape
    reps = tuple(int(r) for r in reps)
    if len(reps) != len(shape):
        raise ValueError(f"len(reps) must equal operand.ndim, got reps={reps} for shape {shape}")
    big = tuple(v for r, n in zip(reps, shape) for v in (r, n))
    y = broadcast_in_dim(x, big, tuple(range(1, 2 * len(shape), 2)))
    return reshape(y, tuple(r * n for r, n in zip(reps, shape)))


def split(operand, sizes, axis: int = 0):
    x = lax._as_array(operand)
    nd = get_aval(x).ndim
    axis = int(axis) % nd
    sizes = [int(s) for s in sizes]
    if sum(sizes) != get_aval(x).shape[axis]:
        raise ValueError(f"Sum of sizes {sum(sizes)} must be equal to dimension {axis} of the operand shape "
                         f"{get_aval(x).shape}")
    out, start = [], 0
    for s in sizes:
        out.append(slice_in_dim(x, start, start + s, axis=axis))
        start += s
    return out


def stack(operands, axis: int = 0):
    xs = [lax._as_array(o) for o in operands]
    nd = get_aval(xs[0]).ndim + 1
    axis = int(axis) % nd
    return concatenate([expand_dims(x, (axis,)) for x in xs], axis)


def unstack(x, axis: int = 0):
    x = lax._as_array(x)
    nd = get_aval(x).ndim
    axis = int(axis) % nd
    return tuple(index_in_dim(x, i, axis, keepdims=False) for i in range(get_aval(x).shape[axis]))


def index_take(src, idxs, axes):
    """src[idxs[0], idxs[1], ...] along `axes`: the gathered positions first, other axes after."""
    from jaxlite._src.lax.slicing import GatherDimensionNumbers, gather
    src = lax._as_array(src)
    axes = tuple(int(a) for a in axes)
    idx = concatenate([expand_dims(lax._as_array(i), (1,)) for i in idxs], 1)
    shape = get_aval(src).shape
    rest = tuple(d for d in range(len(shape)) if d not in axes)
    dn = GatherDimensionNumbers(offset_dims=tuple(range(1, 1 + len(rest))), collapsed_slice_dims=tuple(sorted(axes)),
                                start_index_map=axes)
    return gather(src, idx, dn, tuple(1 if d in axes else shape[d] for d in range(len(shape))))


def batch_matmul(lhs, rhs, precision=None):
    from jaxlite._src.lax.dot import dot_general
    lhs, rhs = lax._as_array(lhs), lax._as_array(rhs)
    nd = get_aval(lhs).ndim
    if nd != get_aval(rhs).ndim or nd < 2:
        raise ValueError(f"Arguments to batch_matmul must be at least 2D and agree on their rank, got "
                         f"{nd} and {get_aval(rhs).ndim}.")
    batch = tuple(range(nd - 2))
    return dot_general(lhs, rhs, (((nd - 1,), (nd - 2,)), (batch, batch)), precision=precision)


# ---- elementwise ------------------------------------------------------------------------------------


def _logaddexp(a, b):
    amax = lax.max(a, b)
    delta = lax.sub(a, b)
    # delta is NaN when both are the same infinity (or a NaN): the max is then the answer.
    return lax.select_n(lax.ne(delta, delta), lax.add(amax, lax.log1p(lax.exp(lax.neg(lax.abs(delta))))), amax)


def cumlogsumexp(operand, axis: int = 0, reverse: bool = False):
    """log(cumsum(exp(x))) without overflow: a prefix scan of logaddexp (as JAX lowers it on CPU)."""
    from jaxlite._src.lax.control_flow import associative_scan
    x = lax._as_array(operand)
    if get_aval(x).dtype.kind != "f":
        raise TypeError(f"cumlogsumexp does not accept dtype {get_aval(x).dtype.name}. Accepted dtypes are "
                        "subtypes of floating.")
    nd = max(get_aval(x).ndim, 1)
    return associative_scan(_logaddexp, x, reverse=bool(reverse), axis=int(axis) % nd)


def _const(x, v):
    a = get_aval(x)
    return lax.full(a.shape, v, a.dtype)


def _reduce_precision_f32(bits, exponent_bits, mantissa_bits):
    u = np.uint32
    if mantissa_bits < 23:  # round to nearest even at the kept mantissa width
        last = u(1 << (23 - mantissa_bits))
        bias = lax.add(lax.shift_right_logical(lax.bitwise_and(bits, _const(bits, last)), _const(bits, 23 - mantissa_bits)),
                       _const(bits, (int(last) >> 1) - 1))
        bits = lax.bitwise_and(lax.add(bits, bias), _const(bits, ~(int(last) - 1) & 0xFFFFFFFF))
    if exponent_bits < 8:
        reduced_bias = (1 << (exponent_bits - 1)) - 1
        exponent = lax.bitwise_and(bits, _const(bits, 0x7F800000))
        over = lax.gt(exponent, _const(bits, (127 + reduced_bias) << 23))
        under = lax.le(exponent, _const(bits, (127 - reduced_bias) << 23))
        sign = lax.bitwise_and(bits, _const(bits, 0x80000000))
        bits = lax.select_n(over, lax.select_n(under, bits, sign), lax.bitwise_or(sign, _const(bits, 0x7F800000)))
    return bits


def _reduce_precision_impl(x, exponent_bits, mantissa_bits):
    from jaxlite._src.lax.bitcast import bitcast_convert_type
    dt = get_aval(x).dtype
    f = lax.convert_element_type(x, np.float32) if dt != np.float32 else x
    bits = _reduce_precision_f32(bitcast_convert_type(f, np.uint32), exponent_bits, mantissa_bits)
    out = bitcast_convert_type(bits, np.float32)
    if mantissa_bits > 0:  # NaNs stay NaN (rounding could carry one into infinity)
        out = lax.select_n(lax.ne(f, f), out, f)
    return lax.convert_element_type(out, dt) if dt != np.float32 else out


@partial("computed in float32 (float64 is rounded through float32); tangents and cotangents are not "
         "rounded as JAX rounds them")
def reduce_precision(operand, exponent_bits: int, mantissa_bits: int):
    from jaxlite._src.custom_derivatives import custom_jvp
    x = lax._as_array(operand)
    if get_aval(x).dtype.kind != "f":
        raise TypeError(f"reduce_precision does not accept dtype {get_aval(x).dtype.name}.")
    e, m = int(exponent_bits), int(mantissa_bits)

    @custom_jvp
    def f(x):
        return _reduce_precision_impl(x, e, m)

    # Tangents pass through unrounded (JAX rounds them too; that rounding is not transposable here).
    f.defjvp(lambda p, t: (f(p[0]), t[0]))
    return f(x)


@partial("complex dtypes are only partly supported by jaxlite's devices")
def complex(x, y):  # noqa: A001
    x, y = lax._as_array(x), lax._as_array(y)
    dt = np.result_type(get_aval(x).dtype, np.complex64)
    xc, yc = lax.convert_element_type(x, dt), lax.convert_element_type(y, dt)
    return lax.add(xc, lax.mul(yc, lax.full(get_aval(yc).shape, 1j, dt)))


# ---- compatibility helpers -------------------------------------------------------------------------


def platform_dependent(*args, default=None, **per_platform):
    """Calls the branch for the default device's platform (wasm/webgpu fall back to a 'cpu' branch)."""
    from jaxlite._src import dispatch
    platform = dispatch.get_default_device().platform
    for name in (platform, "cpu"):
        if name in per_platform:
            return per_platform[name](*args)
    if default is None:
        raise NotImplementedError(f"No implementation for platform {platform!r} and no default given")
    return default(*args)


def composite(decomposition, name: str, version: int = 0):
    """A function that runs its decomposition (jaxlite has no compiler that matches composites)."""
    def fn(*args, **kwargs):
        return decomposition(*args, **kwargs)
    fn.__name__ = getattr(decomposition, "__name__", name)
    return fn


def stop_gradient_tree(x):
    return tree_util.tree_map(ad_util.stop_gradient, x)


# ---- implicit differentiation ----------------------------------------------------------------------
# Both return the solver's answer x* unchanged in value, plus a term that is zero in value but whose
# derivative is the implicit function theorem's: x* - (c - stop_gradient(c)), c = S(r), where r is
# the residual at x* (zero at the solution) and S the linear solve against the Jacobian at x*. So
# closures of f/matvec differentiate in forward and reverse mode, under jit and vmap.


def _ift(x_star, residual, linear_solve):
    x_star = stop_gradient_tree(x_star)
    c = linear_solve(residual(x_star))
    return tree_util.tree_map(lambda xs, ci: lax.sub(xs, lax.sub(ci, ad_util.stop_gradient(ci))), x_star, c)


@partial("the derivative needs tangent_solve to be differentiable in its right-hand side; has_aux's "
         "aux output gets no gradient")
def custom_root(f, initial_guess, solve, tangent_solve, has_aux=False):
    from jaxlite._src import api_util, ad
    out = solve(f, initial_guess)
    x_star, aux = (out if has_aux else (out, None))
    x_sg = stop_gradient_tree(x_star)

    def jac(v):  # J v at x*, with x*'s own derivative cut
        return ad.jvp(lambda x: f(x), (x_sg,), (v,))[1]
    root = _ift(x_star, f, lambda r: tangent_solve(jac, r))
    return (root, stop_gradient_tree(aux)) if has_aux else root


@partial("the derivative needs solve to be differentiable in its right-hand side (transpose_solve and "
         "symmetric are accepted but not used); has_aux's aux output gets no gradient")
def custom_linear_solve(matvec, b, solve, transpose_solve=None, symmetric=False, has_aux=False):
    out = solve(matvec, b)
    x_star, aux = (out if has_aux else (out, None))

    # The derivative of the solve itself multiplies the residual, zero at the solution: it drops out.
    residual = lambda x: tree_util.tree_map(lax.sub, matvec(x), b)  # noqa: E731
    res = _ift(x_star, residual, lambda r: solve(matvec, r) if not has_aux else solve(matvec, r)[0])
    return (res, stop_gradient_tree(aux)) if has_aux else res


# ---- accuracy requests ---------------------------------------------------------------------------


class AccuracyMode(enum.Enum):
    HIGHEST = 1
    DEFAULT = 2


class Tolerance:
    """Tolerances for computing unary functions: (atol and rtol) or (atol and ulps)."""

    def __init__(self, atol: float = 0.0, rtol: float = 0.0, ulps: int = 0):
        if atol < 0.0 or rtol < 0.0 or ulps < 0:
            raise ValueError("Tolerances must be non-negative.")
        if atol == 0.0 and rtol == 0.0 and ulps == 0:
            raise ValueError("At least one of atol, rtol, or ulps must be set.")
        self.atol, self.rtol, self.ulps = atol, rtol, ulps


# ---- scatters built from the scatter primitives ---------------------------------------------------


def scatter_sub(operand, scatter_indices, updates, dimension_numbers, *, indices_are_sorted=False,
                unique_indices=False, mode=None):
    """scatter_add of the negated updates (wrapping for unsigned integers, as subtraction does)."""
    from jaxlite._src.lax.slicing import scatter_add
    operand, updates = lax._as_array(operand), lax._as_array(updates)
    if get_aval(updates).dtype != get_aval(operand).dtype:
        updates = lax.convert_element_type(updates, get_aval(operand).dtype)
    return scatter_add(operand, scatter_indices, lax.neg(updates), dimension_numbers,
                       indices_are_sorted=indices_are_sorted, unique_indices=unique_indices, mode=mode)


@partial("func must act elementwise (JAX traces it on scalars)")
def scatter_apply(operand, scatter_indices, func, dimension_numbers, *, update_shape=(), indices_are_sorted=False,
                  unique_indices=False, mode=None):
    """operand with func applied at each position the scatter reaches, once per update as XLA does
    (twice where an index repeats twice). Like JAX's, it has no derivative."""
    from jaxlite._src.lax.control_flow import while_loop
    from jaxlite._src.lax.reductions import reduce_max
    from jaxlite._src.lax.slicing import scatter_add
    x = lax._as_array(operand)
    a = get_aval(x)
    i32 = dtypes.canonicalize_dtype(np.int32)
    hits = scatter_add(lax.full(a.shape, 0, i32), scatter_indices, lax.full(tuple(update_shape), 1, i32),
                       dimension_numbers, indices_are_sorted=indices_are_sorted, unique_indices=unique_indices,
                       mode=mode)
    rounds = reduce_max(hits, tuple(range(a.ndim))) if a.ndim else hits

    def body(carry):
        t, v = carry
        y = lax._as_array(func(v))
        if get_aval(y).dtype != a.dtype:
            y = lax.convert_element_type(y, a.dtype)
        return lax.add(t, 1), lax.select_n(lax.gt(hits, lax.full(a.shape, t, i32)), v, y)

    return while_loop(lambda c: lax.lt(c[0], rounds), body, (lax.full((), 0, i32), x))[1]


# ---- approximate top-k (exact here, as JAX's CPU path is) -----------------------------------------


def _approx_k(operand, k, reduction_dimension, largest):
    from jaxlite._src.lax.sorting import sort
    from jaxlite._src.lax.structural import broadcasted_iota, rev
    x = lax._as_array(operand)
    a = get_aval(x)
    if a.dtype.kind != "f":
        raise ValueError("operand must be a floating type")
    if a.ndim == 0:
        raise ValueError("operand must have at least one dimension")
    dim = int(reduction_dimension) % a.ndim
    k = int(k)
    if not 0 <= k <= a.shape[dim]:
        raise ValueError(f"k must be in [0, {a.shape[dim]}], got {k}")
    iota = broadcasted_iota(dtypes.int32, a.shape, dim)
    if largest:  # a stable ascending sort of the reversed row, reversed back: ties keep lower indices first
        vals, idx = sort((rev(x, (dim,)), rev(iota, (dim,))), dim, True, 1)
        vals, idx = rev(vals, (dim,)), rev(idx, (dim,))
    else:
        vals, idx = sort((x, iota), dim, True, 1)
    return [slice_in_dim(vals, 0, k, axis=dim), slice_in_dim(idx, 0, k, axis=dim)]


@partial("exact top-k for every recall_target (as JAX computes it on CPU); aggregate_to_topk=False "
         "still returns the k best, not XLA's partially reduced candidates")
def approx_max_k(operand, k: int, reduction_dimension: int = -1, recall_target: float = 0.95,
                 reduction_input_size_override: int = -1, aggregate_to_topk: bool = True):
    return _approx_k(operand, k, reduction_dimension, True)


@partial("exact bottom-k for every recall_target (as JAX computes it on CPU); aggregate_to_topk=False "
         "still returns the k best, not XLA's partially reduced candidates")
def approx_min_k(operand, k: int, reduction_dimension: int = -1, recall_target: float = 0.95,
                 reduction_input_size_override: int = -1, aggregate_to_topk: bool = True):
    return _approx_k(operand, k, reduction_dimension, False)
