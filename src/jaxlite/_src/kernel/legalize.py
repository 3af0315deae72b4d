"""XLA's semantics spelled out in plain IR, once, before any renderer runs.

Lowerings build IR with XLA's meaning: integer x / 0 = -1 (all ones) and x % 0 = x, INT_MIN / -1
wraps to INT_MIN, shifts by counts past the width (or negative) give 0 or the sign fill, 8- and
16-bit integers wrap, float -> int casts saturate with NaN -> 0, bool sums are `or`. `legalize`
rewrites those nodes into raw operations whose preconditions hold, so that a renderer emits each
node as the target's plain instruction:

- integer div/rem: divisor != 0 and no INT_MIN / -1 at the computing width;
- shifts: 0 <= count < width; shr_s reads a signed operand, shr_u an unsigned one;
- add/sub/mul/shl/div/rem/neg/abs/not/popcnt and add/mul Reduces never act on an 8/16-bit integer
  (they compute in 32 bits; a Cast to the narrow type wraps, which is a raw cast's meaning);
- float -> int Cast: the operand is not NaN and truncates into range (unless the target's own
  cast saturates with XLA's rules, as WebAssembly's trunc_sat does: `saturating_casts`);
- bool add/mul/max/min (elementwise and in Reduces) are or/and; integer floor/ceil/round and
  unsigned abs are the value itself.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from jaxlite._src.kernel import ir
from jaxlite._src.kernel.ir import Binary, Cast, Const, Expr, Reduce, Unary, where

_BOOL_OPS = {"add": "or", "max": "or", "mul": "and", "min": "and"}


def legalize(exprs, *, saturating_casts: bool = False) -> tuple:
    """The expressions with every XLA-semantics node rewritten into raw operations."""
    return ir.rewrite(exprs, lambda e, kids: node(ir.with_children(e, kids), saturating_casts))


def kernel(k: ir.Kernel, *, saturating_casts: bool = False) -> ir.Kernel:
    if k.scatter is None:
        return dataclasses.replace(k, outs=legalize(k.outs, saturating_casts=saturating_casts))
    *outs, index = legalize((*k.outs, k.scatter.index), saturating_casts=saturating_casts)
    return dataclasses.replace(k, outs=tuple(outs), scatter=ir.Scatter(index, k.scatter.op))


def node(e: Expr, saturating_casts: bool = False) -> Expr:
    """One node whose children are already legal, made legal (a renderer's own combines, such as
    a scatter's, go through this)."""
    if isinstance(e, Binary):
        return _binary(e)
    if isinstance(e, Unary):
        return _unary(e)
    if isinstance(e, Cast):
        return _cast(e, saturating_casts)
    if isinstance(e, Reduce):
        return _reduce(e)
    return e


def _narrow(dt) -> bool:
    return dt.kind in "iu" and dt.itemsize < 4


def _wide(dt) -> np.dtype:
    """The 32-bit type an 8/16-bit integer computes in (its register type on both targets)."""
    return np.dtype(np.int32 if dt.kind == "i" else np.uint32)


def _as(dt, kind: str) -> np.dtype:
    return np.dtype(f"{kind}{dt.itemsize}")


def _binary(e: Binary) -> Expr:
    op, a, b, dt = e.op, e.a, e.b, e.a.dtype
    if dt == np.bool_:
        return Binary(e.dtype, _BOOL_OPS[op], a, b) if op in _BOOL_OPS else e
    if dt.kind not in "iu":
        return e
    if op in ("div", "rem"):
        return _divrem(op, a, b)
    if op in ("shl", "shr_s", "shr_u"):
        return _shift(op, a, b)
    if op in ("add", "sub", "mul") and _narrow(dt):
        w = _wide(dt)
        return Cast(dt, Binary(w, op, a.cast(w), b.cast(w)))
    return e


def _divrem(op: str, a: Expr, b: Expr) -> Expr:
    dt = a.dtype
    signed = dt.kind == "i"

    def raw(divisor):
        if _narrow(dt):  # -128 / -1 = 128 in 32 bits, wrapped by the Cast back
            w = _wide(dt)
            return Cast(dt, Binary(w, op, a.cast(w), divisor.cast(w)))
        return Binary(dt, op, a, divisor)

    if isinstance(b, Const) and b.value != 0 and not (signed and b.value == -1 and not _narrow(dt)):
        return raw(b)  # nothing to guard
    zero = b.eq(0)
    bad = zero
    if signed and not _narrow(dt):
        bad = zero | (a.eq(int(np.iinfo(dt).min)) & b.eq(-1))
    safe = where(bad, 1, b)  # INT_MIN / 1 = INT_MIN and INT_MIN % 1 = 0 are XLA's answers
    by_zero = Const(dt, -1 if signed else int(np.iinfo(dt).max)) if op == "div" else a
    return where(zero, by_zero, raw(safe))


def _shift(op: str, a: Expr, b: Expr) -> Expr:
    dt = a.dtype
    bits = 8 * dt.itemsize
    src = _as(dt, "i") if op == "shr_s" else _as(dt, "u") if op == "shr_u" else dt  # the bits it reads
    w = _wide(src) if _narrow(src) else src
    x = a.cast(src).cast(w)
    if isinstance(b, Const):
        count = int(b.value)
        if 0 <= count < bits:
            return Binary(w, op, x, Const(w, count)).cast(dt)
        if op != "shr_s":
            return Const(dt, 0)
        return Binary(w, op, x, Const(w, bits - 1)).cast(dt)
    if isinstance(b, Binary) and b.op == "and" and isinstance(b.b, Const) and 0 <= int(b.b.value) < bits:
        return Binary(w, op, x, b.cast(w)).cast(dt)  # a count masked below the width is in range
    out_of_range = b.ge(bits) if dt.kind == "u" else b.lt(0) | b.ge(bits)
    if op == "shr_s":  # shifting by width - 1 fills with the sign
        return Binary(w, op, x, where(out_of_range, bits - 1, b).cast(w)).cast(dt)
    return where(out_of_range, 0, Binary(w, op, x, where(out_of_range, 0, b).cast(w))).cast(dt)


def _unary(e: Unary) -> Expr:
    dt, op, x = e.dtype, e.op, e.x
    if dt.kind == "f":
        return e
    if op in ("floor", "ceil", "trunc", "nearest") or (op == "abs" and dt.kind in "ub"):
        return x
    if _narrow(dt) and op in ("neg", "abs", "not"):
        w = _wide(dt)
        return Cast(dt, Unary(w, op, x.cast(w)))
    if _narrow(dt) and op == "popcnt":  # count the type's own bits, not a sign extension
        u32 = np.dtype(np.uint32)
        return Cast(dt, Unary(u32, op, x.cast(_as(dt, "u")).cast(u32)))
    return e


def _cast(e: Cast, saturating: bool) -> Expr:
    src, dst, x = e.x.dtype, e.dtype, e.x
    if src.kind != "f" or dst.kind not in "iu":
        return e
    info = np.iinfo(dst)
    with np.errstate(over="ignore"):  # beyond float16's range the bounds are infinite, as they should be
        lo = float(np.array(float(info.min), src))
        top = np.array(float(info.max) + 1, src)  # 2**bits or 2**(bits-1): exact
        below = float(np.nextafter(top, np.array(-np.inf, src)))
    if saturating:  # the target's 32/64-bit cast saturates; a narrow type clamps that in 32 bits
        if not _narrow(dst):
            return e
        return Cast(dst, Cast(_wide(dst), x).max(int(info.min)).min(int(info.max)))
    xs = where(x.ne(x), 0.0, x)
    known_lo, known_hi = _bounds(x)
    if min(lo / 2, 0.0) <= known_lo and known_hi <= float(below) / 2:  # halved: rounding cannot cross
        return Cast(dst, xs)  # in range already (the math table's exponents): only NaN to map
    finite_lo = max(lo, -float(np.finfo(src).max))
    out = where(xs.ge(float(top)), int(info.max), Cast(dst, xs.max(finite_lo).min(below)))
    return out if finite_lo == lo else where(xs.lt(finite_lo), int(info.min), out)  # -inf in float16


_ANY = (-np.inf, np.inf)


def _bounds(e: Expr, depth: int = 6) -> tuple:
    """(lo, hi) that a float expression's non-NaN values provably lie in, looking `depth` nodes
    down: enough to see that a clamped and rounded value needs no saturation in a cast."""
    if depth == 0:
        return _ANY
    if isinstance(e, Const):
        v = float(e.value)
        return _ANY if np.isnan(v) else (v, v)
    if isinstance(e, Unary) and e.op in ("floor", "ceil", "trunc", "nearest"):
        a = _bounds(e.x, depth - 1)
        return (np.floor(a[0]), np.ceil(a[1]))
    if isinstance(e, Binary) and e.op in ("min", "max", "add", "sub", "mul"):
        a, b = _bounds(e.a, depth - 1), _bounds(e.b, depth - 1)
        if e.op == "min":
            return (min(a[0], b[0]), min(a[1], b[1]))
        if e.op == "max":
            return (max(a[0], b[0]), max(a[1], b[1]))
        if _ANY in (a, b):
            return _ANY
        if e.op == "add":
            return (a[0] + b[0], a[1] + b[1])
        if e.op == "sub":
            return (a[0] - b[1], a[1] - b[0])
        products = [x * y for x in a for y in b]
        return (min(products), max(products))
    return _ANY


def _reduce(e: Reduce) -> Expr:
    dt = e.dtype
    if dt == np.bool_ and e.op in _BOOL_OPS:
        return Reduce(dt, _BOOL_OPS[e.op], e.body, e.size, e.level)
    if _narrow(dt) and e.op in ("add", "mul"):  # modular: wrapping once at the end is the same
        w = _wide(dt)
        return Cast(dt, Reduce(w, e.op, e.body.cast(w), e.size, e.level))
    return e
