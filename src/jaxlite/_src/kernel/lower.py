"""Lowering lax primitives to kernel IR.

A `Val` is a lazily computed array: its shape, dtype and `at(i)`, the expression of its element at
flat position i. Elementwise ops compose expressions; views remap the index; reductions and
contractions open an inner loop. Fusing a chain of operations is just composing their Vals; a
device materialises a Val into a buffer by rendering `Kernel(outs=(val.at(Index()),))`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable

import numpy as np

from jaxlite._src.kernel import ir
from jaxlite._src.kernel import math as kmath
from jaxlite._src.kernel.ir import I32, Binary, Cast, Const, Expr, Load, Reduce, RIndex, Select, Unary, binary, i32
from jaxlite._src.lax import lax, reductions, structural
from jaxlite._src.lax.dot import dot_general_p


@dataclass
class Val:
    """A lazy array: `at(i)` is its element at flat index i."""
    shape: tuple
    dtype: np.dtype
    at: Callable[[Expr], Expr]
    is_view: bool = False  # a cheap remapping of stored data (safe to read many times)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


def leaf(token: int, shape, dtype) -> Val:
    """A stored buffer; `token` becomes the kernel argument index once the kernel is built."""
    return Val(tuple(shape), np.dtype(dtype), lambda i: Load(np.dtype(dtype), token, i), is_view=True)


# lowering rules: prim -> fn(out_aval, *vals, **params) -> Val
lowerings: dict = {}
# primitives whose results are always stored (they open loops; recomputing them per use is costly)
materialize_after: set = set()

_reduce_ids = itertools.count()


def _elementwise(prim, op, kind="unary"):
    if kind == "unary":
        lowerings[prim] = lambda out, x: Val(x.shape, out.dtype, lambda i: Unary(out.dtype, op, x.at(i)))
    else:
        lowerings[prim] = lambda out, a, b: Val(a.shape, out.dtype, lambda i: _binop(op, a.at(i), b.at(i)))


def _binop(op, a, b):
    return binary(op, a, b)


for _p, _op in ((lax.neg_p, "neg"), (lax.abs_p, "abs"), (lax.sqrt_p, "sqrt"), (lax.floor_p, "floor"),
                (lax.ceil_p, "ceil"), (lax.not_p, "not")):
    _elementwise(_p, _op)
for _p, _op in ((lax.add_p, "add"), (lax.sub_p, "sub"), (lax.mul_p, "mul"), (lax.div_p, "div"),
                (lax.rem_p, "rem"), (lax.max_p, "max"), (lax.min_p, "min"), (lax.and_p, "and"), (lax.or_p, "or"),
                (lax.xor_p, "xor"), (lax.shift_left_p, "shl"), (lax.shift_right_arithmetic_p, "shr_s"),
                (lax.shift_right_logical_p, "shr_u"), (lax.eq_p, "eq"), (lax.ne_p, "ne"), (lax.lt_p, "lt"),
                (lax.le_p, "le"), (lax.gt_p, "gt"), (lax.ge_p, "ge")):
    _elementwise(_p, _op, "binary")


def _round(out, x, rounding_method):
    if rounding_method == 1:  # half to even
        return Val(x.shape, out.dtype, lambda i: Unary(out.dtype, "nearest", x.at(i)))

    def at(i):  # half away from zero: trunc(x + copysign(0.5, x))
        v = x.at(i)
        half = Select(out.dtype, binary("lt", v, Const(out.dtype, 0.0)), Const(out.dtype, -0.5), Const(out.dtype, 0.5))
        return Unary(out.dtype, "trunc", binary("add", v, half))
    return Val(x.shape, out.dtype, at)


def _sign(out, x):
    def at(i):
        v = x.at(i)
        zero, one = Const(out.dtype, 0), Const(out.dtype, 1)
        neg = Unary(out.dtype, "neg", one) if out.dtype.kind != "u" else zero
        pos_or_v = Select(out.dtype, binary("gt", v, zero), one, v if out.dtype.kind == "f" else zero)
        return Select(out.dtype, binary("lt", v, zero), neg, pos_or_v)
    return Val(x.shape, out.dtype, at)


def _integer_pow(out, x, y):
    def at(i):
        v = x.at(i)
        if y == 0:
            return Const(out.dtype, 1)
        acc, base, e = None, v, abs(y)
        while e:  # square-and-multiply, unrolled (y is static)
            if e & 1:
                acc = base if acc is None else binary("mul", acc, base)
            e >>= 1
            if e:
                base = binary("mul", base, base)
        return acc if y > 0 else binary("div", Const(out.dtype, 1), acc)
    return Val(x.shape, out.dtype, at)


lowerings[lax.round_p] = _round
lowerings[lax.sign_p] = _sign
lowerings[lax.integer_pow_p] = _integer_pow
lowerings[lax.convert_element_type_p] = lambda out, x, new_dtype, weak_type: Val(
    x.shape, out.dtype, lambda i: x.at(i) if x.dtype == out.dtype else Cast(out.dtype, x.at(i)), x.is_view and x.dtype == out.dtype)
lowerings[lax.is_finite_p] = lambda out, x: Val(x.shape, out.dtype, lambda i: binary(
    "lt", Unary(x.dtype, "abs", x.at(i)), Const(x.dtype, float("inf"))))


def _select_n(out, which, *cases):
    def at(i):
        w = which.at(i) if which.shape else which.at(i32(0))
        if which.dtype == np.bool_:
            return Select(out.dtype, w, cases[1].at(i), cases[0].at(i)) if len(cases) == 2 else cases[0].at(i)
        e = cases[-1].at(i)
        for k in range(len(cases) - 2, -1, -1):
            e = Select(out.dtype, binary("eq", w, Const(which.dtype, k)), cases[k].at(i), e)
        return e
    return Val(cases[0].shape, out.dtype, at)


lowerings[lax.select_n_p] = _select_n

# ---- views ------------------------------------------------------------------------------------------


def _view(x: Val, shape, remap) -> Val:
    """A Val whose element at multi-index m is x's element at remap(m)."""
    return Val(tuple(shape), x.dtype, lambda i: x.at(ir.ravel(remap(ir.unravel(i, shape)), x.shape)), x.is_view)


def _broadcast_in_dim(out, x, shape, broadcast_dimensions):
    return _view(x, shape, lambda m: [m[d] if x.shape[j] != 1 else i32(0) for j, d in enumerate(broadcast_dimensions)])


def _transpose(out, x, permutation):
    def remap(m):
        src = [None] * len(permutation)
        for k, p in enumerate(permutation):
            src[p] = m[k]
        return src
    return _view(x, out.shape, remap)


def _slice(out, x, start_indices, limit_indices, strides):
    return _view(x, out.shape, lambda m: [binary("add", i32(s), binary("mul", e, i32(st)))
                                          for e, s, st in zip(m, start_indices, strides)])


def _rev(out, x, dimensions):
    return _view(x, out.shape, lambda m: [binary("sub", i32(n - 1), e) if d in dimensions else e
                                          for d, (e, n) in enumerate(zip(m, x.shape))])


def _iota(out, dtype, shape, dimension):
    return Val(tuple(shape), out.dtype, lambda i: _cast(ir.unravel(i, shape)[dimension], out.dtype))


def _cast(e, dtype):
    return e if e.dtype == np.dtype(dtype) else Cast(np.dtype(dtype), e)


def _concatenate(out, *xs, dimension):
    # Operands empty along the axis add nothing; skipped, since reading one would unravel an
    # index by a zero extent (its select branch is computed even when not taken).
    xs = [x for x in xs if x.shape[dimension]] or xs[:1]

    def at(i):
        m = ir.unravel(i, out.shape)
        start = sum(x.shape[dimension] for x in xs)
        result = None
        for x in reversed(xs):
            start -= x.shape[dimension]
            # Every branch is evaluated (select), so each reads a clamped, in-bounds position.
            local = binary("sub", m[dimension], i32(start)) if start else m[dimension]
            clamped = Binary(I32, "min", Binary(I32, "max", local, i32(0)), i32(x.shape[dimension] - 1))
            mm = list(m)
            mm[dimension] = clamped
            v = x.at(ir.ravel(mm, x.shape))
            result = v if result is None else Select(out.dtype, binary("lt", m[dimension], i32(start + x.shape[dimension])), v, result)
        return result
    return Val(out.shape, out.dtype, at)


lowerings[structural.broadcast_in_dim_p] = _broadcast_in_dim
lowerings[structural.reshape_p] = lambda out, x, new_sizes, dimensions: Val(out.shape, x.dtype, x.at, x.is_view)
lowerings[structural.transpose_p] = _transpose
lowerings[structural.slice_p] = _slice
lowerings[structural.rev_p] = _rev
lowerings[structural.iota_p] = _iota
lowerings[structural.concatenate_p] = _concatenate

# ---- reductions and contractions -------------------------------------------------------------------

_REDUCE_OPS = {reductions.reduce_sum_p: "add", reductions.reduce_prod_p: "mul", reductions.reduce_max_p: "max",
               reductions.reduce_min_p: "min", reductions.reduce_and_p: "and", reductions.reduce_or_p: "or"}


def _reduce(op):
    def rule(out, x, axes):
        kept = [d for d in range(len(x.shape)) if d not in axes]
        rshape = [x.shape[d] for d in axes]
        size = int(np.prod(rshape, dtype=np.int64))
        rid = next(_reduce_ids)

        def at(i):
            m = ir.unravel(i, out.shape)
            r = ir.unravel(RIndex(I32, rid), rshape)
            full = [None] * len(x.shape)
            for d, e in zip(kept, m):
                full[d] = e
            for d, e in zip(axes, r):
                full[d] = e
            return Reduce(out.dtype, op, x.at(ir.ravel(full, x.shape)), size, rid)
        return Val(out.shape, out.dtype, at)
    return rule


for _p, _op in _REDUCE_OPS.items():
    lowerings[_p] = _reduce(_op)
    materialize_after.add(_p)


def _dot_general(out, lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    (lc, rc), (lb, rb) = dimension_numbers
    lfree = [d for d in range(len(lhs.shape)) if d not in lc and d not in lb]
    rfree = [d for d in range(len(rhs.shape)) if d not in rc and d not in rb]
    kshape = [lhs.shape[d] for d in lc]
    size = int(np.prod(kshape, dtype=np.int64))
    rid = next(_reduce_ids)

    def at(i):
        m = ir.unravel(i, out.shape)
        k = ir.unravel(RIndex(I32, rid), kshape)
        nb = len(lb)
        li, ri = [None] * len(lhs.shape), [None] * len(rhs.shape)
        for j, (a, b) in enumerate(zip(lb, rb)):
            li[a] = ri[b] = m[j]
        for j, d in enumerate(lfree):
            li[d] = m[nb + j]
        for j, d in enumerate(rfree):
            ri[d] = m[nb + len(lfree) + j]
        for j, (a, b) in enumerate(zip(lc, rc)):
            li[a] = ri[b] = k[j]
        prod = binary("mul", _cast(lhs.at(ir.ravel(li, lhs.shape)), out.dtype), _cast(rhs.at(ir.ravel(ri, rhs.shape)), out.dtype))
        return Reduce(out.dtype, "add", prod, size, rid)
    return Val(out.shape, out.dtype, at)


lowerings[dot_general_p] = _dot_general
materialize_after.add(dot_general_p)
# A contraction reads each input element many times: its inputs must be stored, not recomputed.
materialize_inputs = {dot_general_p}

# ---- transcendental functions: IR math ops, expanded from the math table (kernel/math.py) -----------

# primitive -> the IR math op it lowers to; a device checks it has an expansion for the op
math_ops = {lax.exp_p: "exp", lax.exp2_p: "exp2", lax.expm1_p: "expm1", lax.log_p: "log", lax.log1p_p: "log1p",
            lax.tanh_p: "tanh", lax.logistic_p: "logistic", lax.sin_p: "sin", lax.cos_p: "cos", lax.tan_p: "tan",
            lax.atan_p: "atan", lax.asin_p: "asin", lax.acos_p: "acos", lax.sinh_p: "sinh", lax.cosh_p: "cosh",
            lax.asinh_p: "asinh", lax.acosh_p: "acosh", lax.atanh_p: "atanh", lax.rsqrt_p: "rsqrt"}


def _math(prim, op: str) -> None:
    """prim lowers to the IR math op `op`, whose expansions the math table holds."""
    if op not in kmath.TABLE:
        raise KeyError(f"{op}: register its expansions in kernel/math.py first")
    math_ops[prim] = op
    _elementwise(prim, op, "unary" if kmath.TABLE[op].arity == 1 else "binary")


for _p, _op in list(math_ops.items()):
    _math(_p, _op)

# ---- gather ------------------------------------------------------------------------------------------

from jaxlite._src.lax import slicing  # noqa: E402


def _index_i32(e: Expr, n: int) -> Expr:
    """An index of any integer dtype as i32 with its order kept: wide or unsigned values are first
    clamped to [-1, n] so that the cast cannot wrap an out-of-range index into range."""
    dt = e.dtype
    if dt.itemsize < 4 or (dt.itemsize == 4 and dt.kind == "i"):
        return _cast(e, I32)
    e = Binary(dt, "min", e, Const(dt, n))
    if dt.kind == "i":
        e = Binary(dt, "max", e, Const(dt, -1))
    return _cast(e, I32)


def _window_starts(operand_shape, window_sizes, indices: Val, b, index_map, batching_dims, idx_batching_dims):
    """Per operand dim, the start of the window that index position b (in the indices' batch shape)
    selects, clamped as XLA clamps; and whether every start was in range before clamping."""
    starts, valid = [], None
    for d, (n, size) in enumerate(zip(operand_shape, window_sizes)):
        if d in index_map:
            raw = _index_i32(indices.at(ir.ravel(b + [i32(index_map.index(d))], indices.shape)), n)
            ok = binary("and", binary("ge", raw, i32(0)), binary("le", raw, i32(n - size)))
            valid = ok if valid is None else binary("and", valid, ok)
            starts.append(Binary(I32, "min", Binary(I32, "max", raw, i32(0)), i32(max(n - size, 0))))
        elif d in batching_dims:
            starts.append(b[idx_batching_dims[batching_dims.index(d)]])
        else:
            starts.append(i32(0))
    return starts, valid


def _gather(out, operand, indices, dimension_numbers, slice_sizes, mode, fill_value):
    dn = dimension_numbers
    nb = len(indices.shape) - 1
    batch_pos = [d for d in range(len(out.shape)) if d not in dn.offset_dims]
    window_dims = [d for d in range(len(operand.shape))
                   if d not in dn.collapsed_slice_dims and d not in dn.operand_batching_dims]
    fill = fill_value
    if mode == "fill" and fill is None:
        fill = slicing._default_fill(out.dtype)

    def at(i):
        m = ir.unravel(i, out.shape)
        b = [m[p] for p in batch_pos]  # position in the indices' batch shape
        offsets = dict(zip(window_dims, (m[p] for p in dn.offset_dims)))
        starts, valid = _window_starts(operand.shape, slice_sizes, indices, b, dn.start_index_map,
                                       dn.operand_batching_dims, dn.start_indices_batching_dims)
        full = [binary("add", s, offsets[d]) if d in offsets else s for d, s in enumerate(starts)]
        v = operand.at(ir.ravel(full, operand.shape))
        if mode == "fill" and valid is not None:
            v = Select(out.dtype, valid, v, Const(out.dtype, fill))
        return v
    return Val(out.shape, out.dtype, at)


lowerings[slicing.gather_p] = _gather


def _pad(out, x, padding_value, padding_config):
    def at(i):
        m = ir.unravel(i, out.shape)
        src, valid = [], None
        for e, n, (lo, hi, it) in zip(m, x.shape, padding_config):
            t = e - lo if lo else e  # may be negative (signed i32)
            safe, ok = t.max(0), t.ge(0)
            if it:
                ok = ok & (safe % (it + 1)).eq(0)
                safe = safe // (it + 1)
            ok = ok & safe.lt(n)
            src.append(safe.min(max(n - 1, 0)))
            valid = ok if valid is None else valid & ok
        fill = padding_value.at(i32(0))
        if x.size == 0:
            return fill
        return Select(out.dtype, valid, x.at(ir.ravel(src, x.shape)), fill) if valid is not None else x.at(i)
    return Val(out.shape, out.dtype, at)


lowerings[structural.pad_p] = _pad

# ---- dynamic slicing -------------------------------------------------------------------------------


def _dynamic_starts(idxs, shape, sizes):
    """Start indices read from the index scalars, clamped as XLA does (the window stays inside)."""
    out = []
    for idx, n, size in zip(idxs, shape, sizes):
        raw = _cast(idx.at(i32(0)), I32)
        out.append(Binary(I32, "min", Binary(I32, "max", raw, i32(0)), i32(max(n - size, 0))))
    return out


def _dynamic_slice(out, x, *idxs, slice_sizes):
    def at(i):
        starts = _dynamic_starts(idxs, x.shape, slice_sizes)
        m = ir.unravel(i, out.shape)
        return x.at(ir.ravel([binary("add", s, e) for s, e in zip(starts, m)], x.shape))
    return Val(out.shape, out.dtype, at)


def _dynamic_update_slice(out, x, update, *idxs):
    def at(i):
        starts = _dynamic_starts(idxs, x.shape, update.shape)
        m = ir.unravel(i, x.shape)
        local, inside = [], None
        for e, s, u in zip(m, starts, update.shape):
            d = binary("sub", e, s)
            ok = binary("and", binary("ge", d, i32(0)), binary("lt", d, i32(u)))
            inside = ok if inside is None else binary("and", inside, ok)
            local.append(Binary(I32, "min", Binary(I32, "max", d, i32(0)), i32(max(u - 1, 0))))
        if update.size == 0 or inside is None:
            return x.at(i) if update.size == 0 else update.at(i)
        return Select(out.dtype, inside, update.at(ir.ravel(local, update.shape)), x.at(i))
    return Val(out.shape, out.dtype, at)


lowerings[structural.dynamic_slice_p] = _dynamic_slice
lowerings[structural.dynamic_update_slice_p] = _dynamic_update_slice

# ---- argmax / argmin: the first position holding the extreme value (NaN counts as the extreme) ----


def _arg_extreme(op):
    def rule(out, x, axes, index_dtype):
        (axis,) = axes
        n = x.shape[axis]

        def at(i):
            m = ir.unravel(i, out.shape)
            rid, rid2 = next(_reduce_ids), next(_reduce_ids)

            def elem(level):
                full = list(m)
                full.insert(axis, RIndex(I32, level))
                return x.at(ir.ravel(full, x.shape))
            best = Reduce(x.dtype, op, elem(rid), n, rid)
            v = elem(rid2)
            hit = binary("eq", v, best)
            if x.dtype.kind == "f":  # a NaN is the extreme; NaN == NaN is false
                hit = binary("or", hit, binary("and", binary("ne", v, v), binary("ne", best, best)))
            first = Reduce(I32, "min", Select(I32, hit, RIndex(I32, rid2), i32(n)), n, rid2)
            return _cast(first, out.dtype)
        return Val(out.shape, out.dtype, at)
    return rule


lowerings[reductions.argmax_p] = _arg_extreme("max")
lowerings[reductions.argmin_p] = _arg_extreme("min")
materialize_after.update((reductions.argmax_p, reductions.argmin_p))

# ---- convolution (direct, any groups and dtypes; float32 without groups goes through matmul) --------

from jaxlite._src.lax.convolution import conv_general_dilated_p  # noqa: E402


def conv_tap(out_pos, k_pos, s: int, params, dil_in: int):
    """Along spatial axis s: the input element that output position out_pos reads at kernel tap
    k_pos, as (index into the undilated input, clamped so the read is safe; whether it is a real
    element rather than padding or a hole of lhs dilation). Shared by the direct lowering below and
    by fusion's im2col patches."""
    pos = binary("sub", binary("add", binary("mul", out_pos, i32(params["window_strides"][s])),
                               binary("mul", k_pos, i32(params["rhs_dilation"][s]))), i32(params["padding"][s][0]))
    ok = binary("and", binary("ge", pos, i32(0)), binary("lt", pos, i32(dil_in)))
    safe = Binary(I32, "min", Binary(I32, "max", pos, i32(0)), i32(max(dil_in - 1, 0)))
    ld = params["lhs_dilation"][s]
    if ld != 1:
        ok = binary("and", ok, binary("eq", binary("irem", safe, i32(ld)), i32(0)))
        safe = binary("idiv", safe, i32(ld))
    return safe, ok


def _conv(out, lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation, dimension_numbers,
          feature_group_count, batch_group_count, precision=None, preferred_element_type=None):
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    nsp = len(lhs.shape) - 2
    N, C = lhs.shape[lhs_spec[0]], lhs.shape[lhs_spec[1]]
    O, I = rhs.shape[rhs_spec[0]], rhs.shape[rhs_spec[1]]
    G, B = feature_group_count, batch_group_count
    opg = O // (G * B)  # output features per (batch group, feature group)
    in_sp = [lhs.shape[d] for d in lhs_spec[2:]]
    k_sp = [rhs.shape[d] for d in rhs_spec[2:]]
    dil_in = [(s - 1) * d + 1 if s else 0 for s, d in zip(in_sp, lhs_dilation)]
    rshape = [I] + k_sp
    size = int(np.prod(rshape, dtype=np.int64))

    def at(i):
        m = ir.unravel(i, out.shape)
        n_out, o = m[out_spec[0]], m[out_spec[1]]
        b = binary("idiv", o, i32(G * opg))
        g = binary("irem", binary("idiv", o, i32(opg)), i32(G))
        rid = next(_reduce_ids)
        r = ir.unravel(RIndex(I32, rid), rshape)
        full_l, full_r = [None] * len(lhs.shape), [None] * len(rhs.shape)
        full_l[lhs_spec[0]] = binary("add", binary("mul", b, i32(N // B)), n_out)
        full_l[lhs_spec[1]] = binary("add", binary("mul", g, i32(C // G)), r[0])
        full_r[rhs_spec[0]], full_r[rhs_spec[1]] = o, r[0]
        valid = None
        params = dict(window_strides=window_strides, rhs_dilation=rhs_dilation, padding=padding,
                      lhs_dilation=lhs_dilation)
        for s in range(nsp):
            safe, ok = conv_tap(m[out_spec[2 + s]], r[1 + s], s, params, dil_in[s])
            full_l[lhs_spec[2 + s]] = safe
            full_r[rhs_spec[2 + s]] = r[1 + s]
            valid = ok if valid is None else binary("and", valid, ok)
        prod = binary("mul", _cast(lhs.at(ir.ravel(full_l, lhs.shape)), out.dtype),
                      _cast(rhs.at(ir.ravel(full_r, rhs.shape)), out.dtype))
        if valid is not None:
            prod = Select(out.dtype, valid, prod, Const(out.dtype, 0))
        return Reduce(out.dtype, "add", prod, size, rid)
    return Val(out.shape, out.dtype, at)


lowerings[conv_general_dilated_p] = _conv
materialize_after.add(conv_general_dilated_p)
materialize_inputs.add(conv_general_dilated_p)

# ---- the rest of the elementwise set -----------------------------------------------------------------

from jaxlite._src import ad_util  # noqa: E402
from jaxlite._src.lax import bitcast, special  # noqa: E402

for _p, _op in ((lax.cbrt_p, "cbrt"), (lax.erf_p, "erf"), (lax.erfc_p, "erfc"), (lax.lgamma_p, "lgamma"),
                (special.digamma_p, "digamma"), (lax.pow_p, "pow"), (lax.atan2_p, "atan2")):
    _math(_p, _op)
_elementwise(lax.population_count_p, "popcnt")
lowerings[ad_util.stop_gradient_p] = lambda out, x: x
lowerings[bitcast.bitcast_convert_type_p] = lambda out, x, new_dtype: Val(
    out.shape, out.dtype, lambda i: ir.Bitcast(out.dtype, x.at(i)))

# ---- staged lowerings: results built from several stored intermediates --------------------------------
# rule(out_avals, *vals, store=..., **params) -> list of Vals; store(*vals) materialises values of one
# size (in one kernel) and returns them as stored leaves. A device that prefers its host for these
# (wasm: numpy's sequential scans and sorts beat a data-parallel network on one core) opts out.

staged: dict = {}

SCAN_BLOCK = 32


def _scan_last(op, x: Val, store) -> Val:
    """Inclusive scan along the last axis: blocks of SCAN_BLOCK, their totals scanned recursively."""
    *rest, n = x.shape
    ident = ir.identity(op, x.dtype)

    def masked_reduce(row_base, count, limit):
        """op over x[row_base + j] for j < count and j <= limit (a per-element bound)."""
        rid = next(_reduce_ids)
        j = RIndex(I32, rid)
        return Reduce(x.dtype, op, ir.where(j.le(limit), x.at(row_base + j), ident), count, rid)

    if n <= 2 * SCAN_BLOCK:
        return Val(x.shape, x.dtype, lambda i: masked_reduce(i // n * n, n, i % n))
    B = SCAN_BLOCK
    nb = -(-n // B)

    def block_total(i):
        row, b = i // nb, i % nb
        return masked_reduce(row * n + b * B, B, (n - 1) - b * B)  # the last block may be short
    (totals,) = store(Val((*rest, nb), x.dtype, block_total))
    (prefix,) = store(_scan_last(op, totals, store))

    def at(i):
        row, pos = i // n, i % n
        b = pos // B
        part = masked_reduce(row * n + b * B, B, pos % B)
        before = ir.where(b.gt(0), prefix.at(row * nb + (b - 1).max(0)), ident)
        return binary(op, before, part)
    return Val(x.shape, x.dtype, at)


def _moved_last(x: Val, axis: int, reverse: bool) -> Val:
    perm = [d for d in range(len(x.shape)) if d != axis] + [axis]
    v = _transpose(core_aval(tuple(x.shape[d] for d in perm), x.dtype), x, perm)
    if reverse:
        v = _rev(core_aval(v.shape, v.dtype), v, (len(perm) - 1,))
    return v


def _moved_back(v: Val, shape, axis: int, reverse: bool) -> Val:
    if reverse:
        v = _rev(core_aval(v.shape, v.dtype), v, (len(shape) - 1,))
    perm = [d for d in range(len(shape)) if d != axis] + [axis]
    inv = [perm.index(d) for d in range(len(shape))]
    return _transpose(core_aval(tuple(shape), v.dtype), v, inv)


def core_aval(shape, dtype):
    from jaxlite._src.core import ShapedArray
    return ShapedArray(tuple(shape), np.dtype(dtype))


def _cumulative_rule(op):
    def rule(out_avals, x, *, axis, reverse, store):
        if x.size == 0:
            return [x]
        if x.dtype.kind == "c":
            res = _xla_scan(op, _moved_last(x, axis, False), reverse, store)
            return [_moved_back(res, x.shape, axis, False)]
        res = _scan_last(op, _moved_last(x, axis, reverse), store)
        return [_moved_back(res, x.shape, axis, reverse)]
    return rule


XLA_SCAN_BASE = 16  # XLA's CPU rewrite of a cumulative reduce-window: blocks of 16, their totals scanned


def _xla_scan(op, x: Val, reverse: bool, store) -> Val:
    """Inclusive scan along the last axis of complex values (pair rules, kernel/complex.py), in the
    order XLA's CPU computes jax's cumulative reduce-window, so that products round alike and the
    lexicographic max/min (not associative with NaNs) leave NaNs where XLA does: an axis of at
    most 16 is a fold from the identity, in index order, over x[0..p] (x[p..] when reversed); a
    longer one is padded with the identity to blocks of 16, each block folded so, the block totals
    (at its last, reversed first, position) scanned the same way, and each element combined as
    op(its fold in the block, the total of the blocks before it (after it, reversed))."""
    *rest, n = x.shape
    B = XLA_SCAN_BASE
    ident = Const(x.dtype, {"add": 0, "mul": 1, "max": complex(-np.inf, 0), "min": complex(np.inf, 0)}[op])

    def fold(read, p, length):
        """op folded from the identity over read(k) for k <= p (k >= p reversed), k < length."""
        acc = ident
        for k in range(length):
            take = p.ge(k) if not reverse else p.le(k)
            step = _zero_plus(read(k)) if op == "add" and k == 0 else binary(op, acc, read(k))
            acc = ir.where(take, step, acc)
        return acc

    if n <= B:
        return Val(x.shape, x.dtype, lambda i: fold(lambda k: x.at(i // n * n + k), i % n, n))
    nb = -(-n // B)

    def block_fold(i):  # position (row, b, q) of the padded rows
        row, pos = i // (nb * B), i % (nb * B)
        b, q = pos // B, pos % B
        return fold(lambda k: _padded_at(x, row, b * B + k, n, ident), q, B)
    (inner,) = store(Val((*rest, nb * B), x.dtype, block_fold))
    totals = Val((*rest, nb), x.dtype, lambda i: inner.at(i * B + (0 if reverse else B - 1)), True)
    (scan,) = store(_xla_scan(op, totals, reverse, store))

    def at(i):
        row, p = i // n, i % n
        b = p // B
        if reverse:
            carry = ir.where(b.lt(nb - 1), scan.at(row * nb + (b + 1).min(nb - 1)), ident)
        else:
            carry = ir.where(b.gt(0), scan.at(row * nb + (b - 1).max(0)), ident)
        return binary(op, inner.at(row * (nb * B) + p), carry)
    return Val(x.shape, x.dtype, at)


def _zero_plus(z):
    """0 + z for a complex z, spelled as a select: shader compilers fold the literal sum to z,
    which keeps a -0 part that the sum makes +0."""
    part = np.dtype(np.float32 if z.dtype == np.complex64 else np.float64)
    re, im = Unary(part, "real", z), Unary(part, "imag", z)
    return Binary(z.dtype, "complex", ir.where(re.eq(0.0), 0.0, re), ir.where(im.eq(0.0), 0.0, im))


def _padded_at(x: Val, row, k, n: int, ident):
    """x's element k of `row`, the identity past the end (XLA pads the axis to whole blocks)."""
    return ir.where(k.lt(n), x.at(row * n + k.min(n - 1)), ident)


for _p, _op in ((reductions.cumsum_p, "add"), (reductions.cumprod_p, "mul"), (reductions.cummax_p, "max"),
                (reductions.cummin_p, "min")):
    staged[_p] = _cumulative_rule(_op)


def _sort_rule(out_avals, *ops, dimension, is_stable, num_keys, store):
    """Bitonic sorting network over the sort axis padded to a power of two: one pass = one kernel
    that moves every operand and the original positions; ties break on the original position
    (so the sort is stable), NaN keys sort last, padding after everything."""
    shape = ops[0].shape
    m = shape[dimension]
    if m <= 1 or ops[0].size == 0:
        return list(ops)
    P = 1 << (m - 1).bit_length()
    moved = [_moved_last(o, dimension, False) for o in ops]
    rows = ops[0].size // m
    total = rows * P

    def init(k):
        return Val((total,), ops[k].dtype, lambda w: moved[k].at(w // P * m + (w % P).min(m - 1)))
    cur = store(*[init(k) for k in range(len(ops))], Val((total,), I32, lambda w: w % P))

    def less(a, b):
        res = a[-1].lt(b[-1])
        for k in reversed(range(num_keys)):
            va, vb = (a[k].cast(I32), b[k].cast(I32)) if a[k].dtype == np.bool_ else (a[k], b[k])
            if va.dtype.kind == "f":  # NaN sorts last; NaNs tie
                na, nb_ = va.ne(va), vb.ne(vb)
                both = ~na & ~nb_
                lt = (~na & nb_) | (both & va.lt(vb))
                eq = (na & nb_) | (both & va.eq(vb))
            else:
                lt, eq = va.lt(vb), va.eq(vb)
            res = lt | (eq & res)
        pa, pb = a[-1].ge(m), b[-1].ge(m)  # padding sorts after everything
        return (~pa & pb) | (pa.eq(pb) & res)

    size = 2
    while size <= P:
        j = size // 2
        while j >= 1:
            def step(k, size=size, j=j, cur=cur):
                def at(w):
                    p = w % P
                    partner = w // P * P + (p ^ j)
                    a = [c.at(w) for c in cur]
                    b = [c.at(partner) for c in cur]
                    low, ascending = (p & j).eq(0), (p & size).eq(0)
                    take_b = ir.where(low.eq(ascending), less(b, a), less(a, b))
                    return ir.where(take_b, b[k], a[k])
                return Val((total,), cur[k].dtype, at)
            cur = store(*[step(k) for k in range(len(cur))])
            j //= 2
        size *= 2

    def result(k):
        flat = Val((*moved[k].shape,), ops[k].dtype, lambda i: cur[k].at(i // m * P + i % m), is_view=True)
        return _moved_back(flat, shape, dimension, False)
    return [result(k) for k in range(len(ops))]


from jaxlite._src.lax.sorting import sort_p  # noqa: E402

staged[sort_p] = _sort_rule

# ---- scatter: one kernel invocation per update element (see ir.Scatter) ------------------------------

SCATTER_OPS = {slicing.scatter_p: None, slicing.scatter_add_p: "add", slicing.scatter_mul_p: "mul",
               slicing.scatter_min_p: "min", slicing.scatter_max_p: "max"}


def scatter_exprs(operand_shape, indices: Val, updates: Val, dn, mode):
    """(index, value) expressions of update element j: where it lands in the operand (flat; -1 when
    its window does not fit and the mode drops it) and its value. Starts clamp as XLA's do."""
    wsizes = slicing._window_sizes(operand_shape, updates.shape, dn)
    window_dims = [d for d in range(len(operand_shape))
                   if d not in dn.inserted_window_dims and d not in dn.operand_batching_dims]
    scatter_axes = [a for a in range(len(updates.shape)) if a not in dn.update_window_dims]
    j = ir.Index(I32)
    u = ir.unravel(j, updates.shape)
    b = [u[a] for a in scatter_axes]  # position in the indices' batch shape
    w = dict(zip(window_dims, (u[a] for a in dn.update_window_dims)))
    starts, valid = _window_starts(operand_shape, wsizes, indices, b, dn.scatter_dims_to_operand_dims,
                                   dn.operand_batching_dims, dn.scatter_indices_batching_dims)
    full = [binary("add", s, w[d]) if d in w else s for d, s in enumerate(starts)]
    index = ir.ravel(full, operand_shape)
    if mode != "clip" and valid is not None:  # "fill" and "promise_in_bounds" skip, as XLA does
        index = Select(I32, valid, index, i32(-1))
    return index, updates.at(j)

# ---- window reductions (pooling): one Reduce over the window per output element ---------------------

from jaxlite._src.lax import windowed_reductions  # noqa: E402


def _reduce_window(op):
    def rule(out, x, *, window_dimensions, window_strides, padding, base_dilation, window_dilation):
        size = int(np.prod(window_dimensions, dtype=np.int64))
        ident = ir.identity(op, out.dtype)

        def at(i):
            m = ir.unravel(i, out.shape)
            rid = next(_reduce_ids)
            r = ir.unravel(RIndex(I32, rid), list(window_dimensions))
            src, valid = [], None
            for e, k, n, s, (lo, _), bd, wd in zip(m, r, x.shape, window_strides, padding, base_dilation,
                                                   window_dilation):
                pos = e * s + k * wd - lo
                dil = (n - 1) * bd + 1 if n else 0
                ok = pos.ge(0) & pos.lt(dil)
                safe = pos.max(0).min(max(dil - 1, 0))
                if bd != 1:
                    ok = ok & (safe % bd).eq(0)
                    safe = safe // bd
                src.append(safe)
                valid = ok if valid is None else valid & ok
            v = x.at(ir.ravel(src, x.shape)) if x.size else ident
            if valid is not None and x.size:
                v = Select(out.dtype, valid, v, ident)
            return Reduce(out.dtype, op, v, size, rid)
        return Val(out.shape, out.dtype, at)
    return rule


for _p, _op in ((windowed_reductions.reduce_window_sum_p, "add"), (windowed_reductions.reduce_window_max_p, "max"),
                (windowed_reductions.reduce_window_min_p, "min")):
    lowerings[_p] = _reduce_window(_op)
    materialize_after.add(_p)

# ---- reduce_xor; square, copy, mulhi and clz (lax/arith.py, lax/copies.py) -----------------------------

lowerings[reductions.reduce_xor_p] = _reduce("xor")
materialize_after.add(reductions.reduce_xor_p)

from jaxlite._src.lax import arith, copies  # noqa: E402

lowerings[arith.square_p] = lambda out, x: Val(x.shape, out.dtype, lambda i: binary("mul", x.at(i), x.at(i)))
lowerings[copies.copy_p] = lambda out, x: x


def _unsigned(dt):
    return np.dtype(f"u{np.dtype(dt).itemsize}")


def _mulhi(out, x, y):
    dt = out.dtype
    bits = 8 * dt.itemsize

    def at(i):
        a, b = x.at(i), y.at(i)
        if bits <= 16:  # the whole product fits a 32-bit word
            wide = np.dtype(np.int32 if dt.kind == "i" else np.uint32)
            prod = binary("mul", Cast(wide, a), Cast(wide, b))
            return Cast(dt, binary("shr_s" if dt.kind == "i" else "shr_u", prod, Const(wide, bits)))
        u, h = _unsigned(dt), bits // 2
        ua, ub = (Cast(u, a), Cast(u, b)) if dt.kind == "i" else (a, b)
        mask, sh = Const(u, (1 << h) - 1), Const(u, h)
        a0, a1 = binary("and", ua, mask), binary("shr_u", ua, sh)
        b0, b1 = binary("and", ub, mask), binary("shr_u", ub, sh)
        lo_hi = binary("mul", a1, b0)
        cross = binary("add", binary("add", binary("shr_u", binary("mul", a0, b0), sh), binary("and", lo_hi, mask)),
                       binary("mul", a0, b1))
        hi = binary("add", binary("add", binary("mul", a1, b1), binary("shr_u", lo_hi, sh)), binary("shr_u", cross, sh))
        if dt.kind == "i":  # signed high half: subtract the other operand where one is negative
            zero = Const(dt, 0)
            hi = binary("sub", hi, Select(u, binary("lt", a, zero), ub, Const(u, 0)))
            hi = Cast(dt, binary("sub", hi, Select(u, binary("lt", b, zero), ua, Const(u, 0))))
        return hi
    return Val(x.shape, dt, at)


def _clz(out, x):
    dt = out.dtype
    bits = 8 * dt.itemsize
    wide = np.dtype(np.uint64 if bits == 64 else np.uint32)

    def at(i):
        v = Cast(wide, x.at(i))
        if bits < 32:  # signed narrow values sign-extend: keep their own bits only
            v = binary("and", v, Const(wide, (1 << bits) - 1))
        shift = 1
        while shift < 8 * wide.itemsize:  # smear the highest set bit into every lower bit
            v = binary("or", v, binary("shr_u", v, Const(wide, shift)))
            shift *= 2
        count = Unary(wide, "popcnt", Unary(wide, "not", v))
        return Cast(dt, binary("sub", count, Const(wide, 8 * wide.itemsize - bits)))
    return Val(x.shape, dt, at)


lowerings[arith.mulhi_p] = _mulhi
lowerings[arith.clz_p] = _clz
