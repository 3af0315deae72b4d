"""The smaller jax.lax functions built from the primitives: shape helpers (collapse, tile, split,
stack), cumlogsumexp, reduce_precision, scatter_sub/scatter_apply, approx_max_k/approx_min_k, enums
accepted for JAX compatibility, and implicit differentiation (custom_root, custom_linear_solve)."""

from __future__ import annotations

import builtins
import enum
import math

import numpy as np

from jaxlite._src import ad, ad_util, batching, core, dtypes, partial_eval as pe, tree_util
from jaxlite._src.core import JaxRuntimeError, get_aval
from jaxlite._src.features import partial
from jaxlite._src.lax import lax
from jaxlite._src.lax.composite import ELEMENTWISE, def_composite
from jaxlite._src.lax.structural import (broadcast_in_dim, concatenate, expand_dims, index_in_dim, reshape,
                                         slice_in_dim)


class RoundingMethod(enum.IntEnum):
    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


# Precision requests live beside dot_general, which reads them.
from jaxlite._src.lax.dot import DotAlgorithm, DotAlgorithmPreset, Precision, PrecisionLike  # noqa: E402,F401


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
    return tile_p.bind(x, reps=reps)


def _tile(x, reps):
    shape = get_aval(x).shape
    big = tuple(v for r, n in zip(reps, shape) for v in (r, n))
    y = broadcast_in_dim(x, big, tuple(range(1, 2 * len(shape), 2)))
    return reshape(y, tuple(r * n for r, n in zip(reps, shape)))


def _batch_first(axis_size, vals, dims):
    return [batching.move_batch_axis(axis_size, d, 0, v) for v, d in zip(vals, dims)]


tile_p = def_composite(
    "tile", _tile, linear_args=(0,), cpu_kernel=lambda x, reps: np.tile(x, reps),
    vmap=lambda n, vals, dims, reps: ([tile_p.bind(*_batch_first(n, vals, dims), reps=(1, *reps))], [0]))


def split(operand, sizes, axis: int = 0):
    x = lax._as_array(operand)
    nd = get_aval(x).ndim
    axis = int(axis) % nd
    sizes = tuple(int(s) for s in sizes)
    if sum(sizes) != get_aval(x).shape[axis]:
        raise ValueError(f"Sum of sizes {sum(sizes)} must be equal to dimension {axis} of the operand shape "
                         f"{get_aval(x).shape}")
    return split_p.bind(x, axis=axis, sizes=sizes)


def _split(x, sizes, axis):
    out, start = [], 0
    for s in sizes:
        out.append(slice_in_dim(x, start, start + s, axis=axis))
        start += s
    return out


def _split_vmap(n, vals, dims, sizes, axis):
    outs = split_p.bind(*_batch_first(n, vals, dims), axis=axis + 1, sizes=sizes)
    return outs, [0] * len(outs)


split_p = def_composite("split", _split, multiple_results=True, linear_args=(0,), vmap=_split_vmap,
                                  cpu_kernel=lambda x, sizes, axis: np.split(x, np.cumsum(sizes)[:-1], axis))


def stack(operands, axis: int = 0):
    xs = [lax._as_array(o) for o in operands]
    nd = get_aval(xs[0]).ndim + 1
    axis = int(axis) % nd
    return stack_p.bind(*xs, axis=axis)


def _stack(*xs, axis):
    if len({(get_aval(x).shape, get_aval(x).dtype) for x in xs}) != 1:
        raise TypeError(f"stack requires operands of one shape and dtype, got "
                        f"{', '.join(get_aval(x).str_short() for x in xs)}")
    return concatenate([expand_dims(x, (axis,)) for x in xs], axis)


stack_p = def_composite(
    "stack", _stack, linear_args="all", cpu_kernel=lambda *xs, axis: np.stack(xs, axis),
    vmap=lambda n, vals, dims, axis: ([stack_p.bind(*_batch_first(n, vals, dims), axis=axis + 1)], [0]))


def unstack(x, axis: int = 0):
    x = lax._as_array(x)
    nd = get_aval(x).ndim
    axis = int(axis) % nd
    return tuple(unstack_p.bind(x, axis=axis))


def _unstack(x, axis):
    return [index_in_dim(x, i, axis, keepdims=False) for i in range(get_aval(x).shape[axis])]


def _unstack_vmap(n, vals, dims, axis):
    outs = unstack_p.bind(*_batch_first(n, vals, dims), axis=axis + 1)
    return outs, [0] * len(outs)


unstack_p = def_composite("unstack", _unstack, multiple_results=True, linear_args=(0,),
                                    vmap=_unstack_vmap, cpu_kernel=lambda x, axis: list(np.moveaxis(x, axis, 0)))


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
    x = lax._as_array(operand)
    if get_aval(x).dtype.kind != "f":
        raise TypeError(f"cumlogsumexp does not accept dtype {get_aval(x).dtype.name}. Accepted dtypes are "
                        "subtypes of floating.")
    nd = max(get_aval(x).ndim, 1)
    return cumlogsumexp_p.bind(x, axis=int(axis) % nd, reverse=bool(reverse))


def _cumlogsumexp(x, axis, reverse):
    from jaxlite._src.lax.control_flow import associative_scan
    return associative_scan(_logaddexp, x, reverse=reverse, axis=axis)


def _cumlogsumexp_vmap(n, vals, dims, axis, reverse):
    return [cumlogsumexp_p.bind(*_batch_first(n, vals, dims), axis=axis + 1, reverse=reverse)], [0]


# JAX's jvp is the jvp of this same scan, so the derived rule is JAX's.
cumlogsumexp_p = def_composite("cumlogsumexp", _cumlogsumexp, vmap=_cumlogsumexp_vmap)


def _const(x, v):
    a = get_aval(x)
    return lax.full(a.shape, v, a.dtype)


# (exponent bits, mantissa bits, unsigned type of the same width) of each float type.
_FLOAT_BITS = {np.dtype(np.float32): (8, 23, np.uint32), np.dtype(np.float64): (11, 52, np.uint64)}


def _reduce_precision_bits(bits, src_e, src_m, exponent_bits, mantissa_bits):
    """XLA's ReducePrecision on the bits of a float with src_e/src_m exponent/mantissa bits: round
    the mantissa to nearest even, then overflow to infinity and flush what the narrower exponent
    cannot hold to zero."""
    dt = get_aval(bits).dtype
    width = dt.itemsize * 8
    mask = (1 << width) - 1
    if mantissa_bits < src_m:
        last = 1 << (src_m - mantissa_bits)
        kept_lsb = lax.shift_right_logical(lax.bitwise_and(bits, _const(bits, last)), _const(bits, src_m - mantissa_bits))
        bias = lax.add(kept_lsb, _const(bits, (last >> 1) - 1))
        bits = lax.bitwise_and(lax.add(bits, bias), _const(bits, ~(last - 1) & mask))
    if exponent_bits < src_e:
        src_bias, reduced_bias = (1 << (src_e - 1)) - 1, (1 << (exponent_bits - 1)) - 1
        exponent = lax.bitwise_and(bits, _const(bits, ((1 << src_e) - 1) << src_m))
        over = lax.gt(exponent, _const(bits, (src_bias + reduced_bias) << src_m))
        under = lax.le(exponent, _const(bits, (src_bias - reduced_bias) << src_m))
        sign = lax.bitwise_and(bits, _const(bits, 1 << (width - 1)))
        inf = lax.bitwise_or(sign, _const(bits, ((1 << src_e) - 1) << src_m))
        bits = lax.select_n(over, lax.select_n(under, bits, sign), inf)
    return bits


def _reduce_precision(x, exponent_bits, mantissa_bits):
    from jaxlite._src.lax.bitcast import bitcast_convert_type
    dt = get_aval(x).dtype
    if dt not in _FLOAT_BITS:
        # float16/bfloat16 widen to float32 exactly; the steps their own format would skip are skipped.
        info = dtypes.finfo(dt)
        src_e, src_m = int(info.nexp), int(info.nmant)
        e = exponent_bits if exponent_bits < src_e else 8
        m = mantissa_bits if mantissa_bits < src_m else 23
        return lax.convert_element_type(_reduce_precision(lax.convert_element_type(x, np.float32), e, m), dt)
    src_e, src_m, udt = _FLOAT_BITS[dt]
    bits = _reduce_precision_bits(bitcast_convert_type(x, udt), src_e, src_m, exponent_bits, mantissa_bits)
    # NaNs stay NaN (rounding could carry one into infinity, or flushing make it zero).
    return lax.select_n(lax.ne(x, x), bitcast_convert_type(bits, dt), x)


@partial("float16 subnormals are rounded as float32 values (XLA rounds their own bits); float64's bit "
         "operations run on the host on wasm/webgpu")
def reduce_precision(operand, exponent_bits: int, mantissa_bits: int):
    x = lax._as_array(operand)
    if not dtypes.isdtype(get_aval(x).dtype, "real floating"):
        raise TypeError(f"reduce_precision does not accept dtype {get_aval(x).dtype.name}.")
    e, m = int(exponent_bits), int(mantissa_bits)
    if e < 1 or m < 0:
        raise ValueError(f"reduce_precision: exponent_bits must be positive and mantissa_bits non-negative, "
                         f"got {e} and {m}")
    return reduce_precision_p.bind(x, exponent_bits=e, mantissa_bits=m)


# As JAX's: linear, the tangent and the cotangent are rounded too.
reduce_precision_p = def_composite(
    "reduce_precision", _reduce_precision,
    jvp=lambda p, t, **kw: ([reduce_precision_p.bind(p[0], **kw)], [reduce_precision_p.bind(t[0], **kw)]),
    transpose=lambda ct, x, **kw: [reduce_precision_p.bind(ct, **kw)],
    vmap=lambda n, vals, dims, **kw: ([reduce_precision_p.bind(vals[0], **kw)], dims))


def complex(x, y):  # noqa: A001
    x, y = lax._scalar_operands(x, y)
    return complex_p.bind(x, y)


def _complex(x, y):
    dt = np.result_type(get_aval(x).dtype, np.complex64)
    xc, yc = lax.convert_element_type(x, dt), lax.convert_element_type(y, dt)
    return lax.add(xc, lax.mul(yc, lax.full(get_aval(yc).shape, 1j, dt)))


complex_p = def_composite("complex", _complex, linear_args="all", vmap=ELEMENTWISE,
                                    cpu_kernel=lambda x, y: x + 1j * y)


def _check_clamp(lo, x, hi):
    ax = get_aval(x)
    if len({get_aval(v).dtype for v in (lo, x, hi)}) != 1:
        raise TypeError(f"lax.clamp requires arguments to have the same dtypes, got "
                        f"{', '.join(get_aval(v).dtype.name for v in (lo, x, hi))}.")
    for name, v in (("min", lo), ("max", hi)):
        if get_aval(v).shape not in ((), ax.shape):
            raise TypeError(f"clamp requires {name}.shape == operand.shape or {name}.shape == (), got "
                            f"{name}.shape={get_aval(v).shape}, operand.shape={ax.shape}.")


def clamp(min, x, max):  # noqa: A002
    """x limited to [min, max] (elementwise; min and max may be scalars)."""
    x = lax._as_array(x)
    ax = get_aval(x)

    def bound(v):  # a Python scalar of x's kind takes x's dtype, as a weak-typed constant would
        kind = {bool: "b", int: "iu", float: "f", builtins.complex: "c"}.get(type(v), "")
        return lax.full((), v, ax.dtype) if ax.dtype.kind in kind else lax._as_array(v)
    lo, hi = bound(min), bound(max)
    _check_clamp(lo, x, hi)
    return clamp_p.bind(lo, x, hi)


def _full_like_x(v, x):
    a, ax = get_aval(v), get_aval(x)
    return v if a.shape == ax.shape else broadcast_in_dim(v, ax.shape, ())


def _clamp(lo, x, hi):
    return lax.min(lax.max(x, _full_like_x(lo, x)), _full_like_x(hi, x))


def _clamp_jvp(primals, tangents):
    """JAX's rule: the tangent of whichever argument is the result, with ties going to none of
    min and x (x strictly inside, min strictly above x and below max, max strictly below x)."""
    lo, x, hi = (_full_like_x(v, primals[1]) for v in primals)
    tlo, tx, thi = (_full_like_x(t, primals[1]) for t in tangents)
    zero = lax.full(get_aval(tx).shape, 0, get_aval(tx).dtype)
    t = lax.select_n(lax.bitwise_and(lax.gt(x, lo), lax.lt(x, hi)), zero, tx)
    t = lax.add(t, lax.select_n(lax.bitwise_and(lax.gt(lo, x), lax.lt(lo, hi)), zero, tlo))
    t = lax.add(t, lax.select_n(lax.lt(hi, x), zero, thi))
    return [clamp_p.bind(*primals)], [t]


def _clamp_vmap(n, vals, dims):
    x = batching.move_batch_axis(n, dims[1], 0, vals[1])
    shape = get_aval(x).shape

    def bound(v, d):
        if d is None and get_aval(v).ndim == 0:
            return v
        v = batching.move_batch_axis(n, d, 0, v)
        return v if get_aval(v).shape == shape else broadcast_in_dim(v, shape, (0,))
    return [clamp_p.bind(bound(vals[0], dims[0]), x, bound(vals[2], dims[2]))], [0]


clamp_p = def_composite("clamp", _clamp, jvp=_clamp_jvp, vmap=_clamp_vmap,
                                  cpu_kernel=lambda lo, x, hi: np.minimum(np.maximum(x, lo), hi))


def _total_order_keys(x, y):
    """x and y as integers whose signed order is the total order XLA's comparisons use for floats
    (-NaN < -inf < ... < -0 < +0 < ... < inf < NaN)."""
    from jaxlite._src.lax.bitcast import bitcast_convert_type
    dt = get_aval(x).dtype
    if dt.kind != "f":
        return x, y
    if dt.itemsize < 4:
        x, y = lax.convert_element_type(x, np.float32), lax.convert_element_type(y, np.float32)
        dt = np.dtype(np.float32)
    idt = np.int32 if dt.itemsize == 4 else np.int64
    width = dt.itemsize * 8

    def key(v):
        i = bitcast_convert_type(v, idt)
        flip = lax.shift_right_logical(lax.shift_right_arithmetic(i, _const(i, width - 1)), _const(i, 1))
        return lax.bitwise_xor(i, flip)
    return key(x), key(y)


def _compare_to(compare):
    return lambda x, y: compare(*_total_order_keys(x, y))


# XLA's total-order comparisons (JAX's sort comparators bind them); no public function of their own.
eq_to_p = def_composite("eq_to", _compare_to(lax.eq), vmap=ELEMENTWISE)
le_to_p = def_composite("le_to", _compare_to(lax.le), vmap=ELEMENTWISE)
lt_to_p = def_composite("lt_to", _compare_to(lax.lt), vmap=ELEMENTWISE)


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


def _hoisted(fn, avals):
    """fn traced to a jaxpr whose constants (closed-over values, tracers of outer transformations
    included) become leading inputs, as closure_convert does: (ClosedJaxpr, consts)."""
    closed = pe.make_closed_jaxpr(fn, avals)
    consts = closed.consts
    return core.ClosedJaxpr(closed.jaxpr, []), consts


def custom_linear_solve(matvec, b, solve, transpose_solve=None, symmetric=False, has_aux=False):
    """x with matvec(x) = b, computed as solve(matvec, b); derivatives by the implicit function
    theorem (JVP: solve(b' - matvec'(x)); transpose: transpose_solve, or solve when symmetric)."""
    b_flat, tree = tree_util.tree_flatten(b)
    b_flat = [lax._as_array(v) for v in b_flat]
    avals = [core.raise_to_shaped(get_aval(v)) for v in b_flat]
    unflat = lambda xs: tree_util.tree_unflatten(tree, list(xs))  # noqa: E731

    def flat_matvec(*x):
        return tree_util.tree_leaves(matvec(unflat(x)))

    def solver(fn):
        def flat(*rhs):
            out = fn(matvec, unflat(rhs))
            x, aux = out if has_aux else (out, ())
            return [*tree_util.tree_leaves(x), *tree_util.tree_leaves(aux)]
        return flat

    mv, mv_consts = _hoisted(flat_matvec, avals)
    sv, sv_consts = _hoisted(solver(solve), avals)
    if symmetric and transpose_solve is None:
        transpose_solve = solve
    ts, ts_consts = _hoisted(solver(transpose_solve), avals) if transpose_solve is not None else (None, [])
    outs = linear_solve_p.bind(*mv_consts, *sv_consts, *ts_consts, *b_flat,
                               const_lengths=(len(mv_consts), len(sv_consts), len(ts_consts)), jaxprs=(mv, sv, ts))
    x = unflat(outs[:len(b_flat)])
    if not has_aux:
        return x
    return x, _aux_tree(solve, matvec, b, outs[len(b_flat):])


def _aux_tree(solve, matvec, b, aux_leaves):
    from jaxlite._src.jit import eval_shape
    shape = eval_shape(lambda bb: solve(matvec, bb)[1], b)
    return tree_util.tree_unflatten(tree_util.tree_structure(shape), list(aux_leaves))


def _split_solve_args(args, const_lengths):
    n1, n2, n3 = const_lengths
    return args[:n1], args[n1:n1 + n2], args[n1 + n2:n1 + n2 + n3], args[n1 + n2 + n3:]


def _linear_solve(*args, const_lengths, jaxprs):
    _, sv_consts, _, b = _split_solve_args(args, const_lengths)
    return pe.closed_call(jaxprs[1], [*sv_consts, *b])


def _linear_solve_jvp(primals, tangents, const_lengths, jaxprs):
    mv_c, sv_c, ts_c, b = _split_solve_args(primals, const_lengths)
    mv_t, _, _, b_t = _split_solve_args(tangents, const_lengths)
    outs = linear_solve_p.bind(*primals, const_lengths=const_lengths, jaxprs=jaxprs)
    x = outs[:len(b)]
    # d(matvec)(x) through matvec's constants; the solvers' constants get none (solve inverts matvec).
    mv_dot = ad.jvp_flat(lambda *c: pe.closed_call(jaxprs[0], [*c, *x]), list(mv_c), list(mv_t))[1]
    rhs = [lax.sub(bt, m) for bt, m in zip(b_t, mv_dot)]
    x_dot = linear_solve_p.bind(*mv_c, *sv_c, *ts_c, *rhs, const_lengths=const_lengths, jaxprs=jaxprs)[:len(b)]
    aux_dot = [ad.zeros_like(a) for a in outs[len(b):]]
    return outs, [*x_dot, *aux_dot]


def _linear_solve_transpose(cts, *args, const_lengths, jaxprs):
    mv_c, sv_c, ts_c, b = _split_solve_args(args, const_lengths)
    if any(ad.is_undefined_primal(c) for c in (*mv_c, *sv_c, *ts_c)):
        raise NotImplementedError("custom_linear_solve is linear in b only")
    mv, sv, ts = jaxprs
    if ts is None:
        raise TypeError("transpose_solve required for backwards mode automatic differentiation of "
                        "custom_linear_solve")
    b_avals = [v.aval for v in b]
    lin = [False] * len(mv_c) + [True] * len(b)
    vecmat = ad.transposed_fn(mv, lin, [get_aval(c) for c in mv_c] + b_avals)
    vm, vm_consts = _hoisted(lambda *x: vecmat(*mv_c, *x), b_avals)
    cts_b = linear_solve_p.bind(*vm_consts, *ts_c, *sv_c, *cts[:len(b)],
                                const_lengths=(len(vm_consts), len(ts_c), len(sv_c)), jaxprs=(vm, ts, sv))[:len(b)]
    return [None] * (len(args) - len(b)) + list(cts_b)


def _linear_solve_vmap(axis_size, vals, dims, const_lengths, jaxprs):
    return batching.vmap_flat(lambda *a: _linear_solve(*a, const_lengths=const_lengths, jaxprs=jaxprs),
                              dims, axis_size, vals)


# JAX's params are (const_lengths, jaxprs) with four jaxprs (matvec, vecmat, solve, transpose_solve);
# here three (matvec, solve, transpose_solve): vecmat is derived where a transpose needs it.
linear_solve_p = def_composite("custom_linear_solve", _linear_solve, multiple_results=True, jvp=_linear_solve_jvp,
                               transpose=_linear_solve_transpose, vmap=_linear_solve_vmap)


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


lax.accuracy_types.extend((AccuracyMode, Tolerance))


# ---- scatters built from the scatter primitives ---------------------------------------------------


def scatter_sub(operand, scatter_indices, updates, dimension_numbers, *, indices_are_sorted=False,
                unique_indices=False, mode=None):
    """operand with updates subtracted at the scattered positions (its own primitive, with
    scatter_add's params)."""
    from jaxlite._src.lax.slicing import GatherScatterMode, ScatterDimensionNumbers
    operand, updates = lax._as_array(operand), lax._as_array(updates)
    if get_aval(updates).dtype != get_aval(operand).dtype:
        updates = lax.convert_element_type(updates, get_aval(operand).dtype)
    dn = ScatterDimensionNumbers(*(tuple(int(d) for d in f) for f in dimension_numbers))
    return scatter_sub_p.bind(operand, lax._as_array(scatter_indices), updates, dimension_numbers=dn,
                              mode=GatherScatterMode.from_any(mode), unique_indices=bool(unique_indices))


def _scatter_sub(operand, indices, updates, **params):
    """scatter_add of the negated updates (wrapping for unsigned integers, as subtraction does)."""
    from jaxlite._src.lax.slicing import scatter_add_p
    return scatter_add_p.bind(operand, indices, lax.neg(updates), **params)


scatter_sub_p = def_composite("scatter-sub", _scatter_sub, linear_args=(0, 2))


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
        y = _apply_on_scalars(func, v, a)
        return lax.add(t, 1), lax.select_n(lax.gt(hits, lax.full(a.shape, t, i32)), v, y)

    return while_loop(lambda c: lax.lt(c[0], rounds), body, (lax.full((), 0, i32), x))[1]


def _apply_on_scalars(func, v, a):
    """func, which JAX traces on one scalar, applied to every element of v."""
    from jaxlite._src.batching import vmap
    flat = reshape(v, (a.size,))
    y = vmap(lambda e: lax._as_array(func(e)))(flat)
    if get_aval(y).shape != (a.size,):
        raise TypeError(f"scatter_apply's func must map a scalar to a scalar, got shape {get_aval(y).shape[1:]}")
    if get_aval(y).dtype != a.dtype:
        y = lax.convert_element_type(y, a.dtype)
    return reshape(y, a.shape)


# ---- approximate top-k (exact here, as JAX's CPU path is) -----------------------------------------


def _approx_k(operand, k, reduction_dimension, recall_target, is_max_k, reduction_input_size_override,
              aggregate_to_topk):
    x = lax._as_array(operand)
    a = get_aval(x)
    if a.dtype.kind != "f":
        raise ValueError("operand must be a floating type")
    if a.ndim == 0:
        raise ValueError("operand must have at least one dimension")
    dim = int(reduction_dimension) % a.ndim
    k = int(k)
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    if k > a.shape[dim]:
        raise ValueError(f"k must be smaller than the size of reduction_dim {a.shape[dim]}, got {k}")
    return approx_top_k_p.bind(x, k=k, reduction_dimension=int(reduction_dimension),
                               recall_target=float(recall_target), is_max_k=bool(is_max_k),
                               reduction_input_size_override=int(reduction_input_size_override),
                               aggregate_to_topk=bool(aggregate_to_topk))


def reduction_output_size(n: int, rank: int, k: int, recall_target: float, aggregate_to_topk: bool,
                          input_size_override: int = -1) -> int:
    """How many candidates XLA's approximate top-k keeps along the reduced axis (XLA's
    ApproxTopKReductionOutputSize): k when aggregating; otherwise n cut by the largest power of two
    2^r with windows of at least max((1 - k) / log(recall), tiling) elements (the window count at
    which k values collide with probability 1 - recall), rounded up to the TPU tiling (1024 for a
    rank-1 operand, else 128)."""
    if aggregate_to_topk:
        return k
    tiling = 1024 if rank == 1 else 128
    if n <= tiling:
        return n
    logical = n
    if input_size_override >= 0:
        if input_size_override < n:
            raise JaxRuntimeError(f"INVALID_ARGUMENT: reduction_input_size_override: {input_size_override} should "
                                  f"be greater equals to operands[reduction_dim]: {n}")
        logical = input_size_override
    if not 0 < recall_target <= 1:
        raise JaxRuntimeError("INVALID_ARGUMENT: recall_target should range in (0,1]")
    if recall_target == 1:
        return n
    if k == 1:  # one value never collides with another: down to one tile (measured against JAX 0.10.2)
        return tiling
    m = min(max(int((1.0 - k) / math.log(recall_target)), tiling), logical)
    log2_reduction = (logical // m).bit_length() - 1
    if log2_reduction == 0:
        return n
    tiles = -(-n // tiling)
    return -(-tiles // (1 << log2_reduction)) * tiling


def _exact_top_k(x, k, reduction_dimension, is_max_k, recall_target, aggregate_to_topk,
                 reduction_input_size_override):
    """JAX's CPU computation: the exact top candidates, as many as XLA's reduction keeps."""
    from jaxlite._src.lax.sorting import sorted_top_k
    a = get_aval(x)
    dim = int(reduction_dimension) % a.ndim
    size = reduction_output_size(a.shape[dim], a.ndim, k, recall_target, aggregate_to_topk,
                                 reduction_input_size_override)
    return sorted_top_k(x, size, dim, is_max_k)


def _approx_top_k_jvp(primals, tangents, **params):
    from jaxlite._src.lax.slicing import take_along_axis
    vals, idx = approx_top_k_p.bind(primals[0], **params)
    dim = params["reduction_dimension"] % get_aval(primals[0]).ndim
    return [vals, idx], [take_along_axis(tangents[0], idx, dim), ad_util.zeros_like_aval(get_aval(idx))]


def _approx_top_k_vmap(n, vals, dims, reduction_dimension, **params):
    x = batching.move_batch_axis(n, dims[0], 0, vals[0])
    dim = reduction_dimension if reduction_dimension < 0 else reduction_dimension + 1
    return approx_top_k_p.bind(x, reduction_dimension=dim, **params), [0, 0]


approx_top_k_p = def_composite("approx_top_k", _exact_top_k, multiple_results=True, jvp=_approx_top_k_jvp,
                               vmap=_approx_top_k_vmap)


def approx_max_k(operand, k: int, reduction_dimension: int = -1, recall_target: float = 0.95,
                 reduction_input_size_override: int = -1, aggregate_to_topk: bool = True):
    """The k largest values along reduction_dimension and their indices, computed exactly as JAX's CPU
    backend does (with aggregate_to_topk=False: XLA's number of candidates, the largest first)."""
    return _approx_k(operand, k, reduction_dimension, recall_target, True, reduction_input_size_override,
                     aggregate_to_topk)


def approx_min_k(operand, k: int, reduction_dimension: int = -1, recall_target: float = 0.95,
                 reduction_input_size_override: int = -1, aggregate_to_topk: bool = True):
    """The k smallest values along reduction_dimension and their indices, computed exactly as JAX's CPU
    backend does (with aggregate_to_topk=False: XLA's number of candidates, the smallest first)."""
    return _approx_k(operand, k, reduction_dimension, recall_target, False, reduction_input_size_override,
                     aggregate_to_topk)
