"""The kernel IR, shared by the WebAssembly and WebGPU renderers.

A Kernel computes, for every flat output position i in [0, n), one expression per output. An
expression is a small immutable tree; `Index` is i itself; `Load(k, e)` reads input k at flat
position e; `Reduce` runs an inner loop (its body refers to the loop counter as `RIndex(level)`).
Views (broadcast, transpose, slice, reshape, reverse) are index arithmetic on Loads, so they cost
nothing. Nodes are frozen dataclasses: structurally hashable, so a Kernel is its own cache key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

I32 = np.dtype(np.int32)


def dtype_code(dtype) -> str:
    """A dtype as kind and byte width ('f4', 'u1', 'b1'): the key of the renderers' type tables."""
    dt = np.dtype(dtype)
    return f"{dt.kind}{dt.itemsize}"

node = dataclass(frozen=True, eq=False)


@node
class Expr:
    """Expression nodes hash and compare by structure. Trees share subtrees (a DAG), so a node
    caches its hash: recomputing it would walk every path through the DAG, exponentially many."""
    dtype: np.dtype

    def _values(self) -> tuple:
        names = _FIELDS.get(type(self))
        if names is None:
            names = _FIELDS[type(self)] = tuple(f.name for f in fields(self))
        return tuple(getattr(self, n) for n in names)

    def __hash__(self):
        h = self.__dict__.get("_hash")
        if h is None:
            h = hash((type(self).__name__, self._values()))
            object.__setattr__(self, "_hash", h)
        return h

    def __eq__(self, other):
        if self is other:
            return True
        return type(other) is type(self) and hash(self) == hash(other) and _same(self, other)

    # Operators build IR (constant folding as `binary` does); a Python number on the other side
    # becomes a constant of this expression's dtype. `==` stays structural equality (nodes are
    # cache keys), so comparisons are the methods eq/ne/lt/le/gt/ge. `//` and `%` are index
    # arithmetic (idiv/irem: non-negative i32 operands, divisor > 0); `/` is the IR's `div`.
    def __add__(self, o): return binary("add", self, _lift(o, self))
    def __radd__(self, o): return binary("add", _lift(o, self), self)
    def __sub__(self, o): return binary("sub", self, _lift(o, self))
    def __rsub__(self, o): return binary("sub", _lift(o, self), self)
    def __mul__(self, o): return binary("mul", self, _lift(o, self))
    def __rmul__(self, o): return binary("mul", _lift(o, self), self)
    def __truediv__(self, o): return binary("div", self, _lift(o, self))
    def __rtruediv__(self, o): return binary("div", _lift(o, self), self)
    def __floordiv__(self, o): return binary("idiv", self, _lift(o, self))
    def __mod__(self, o): return binary("irem", self, _lift(o, self))
    def __and__(self, o): return binary("and", self, _lift(o, self))
    def __rand__(self, o): return binary("and", _lift(o, self), self)
    def __or__(self, o): return binary("or", self, _lift(o, self))
    def __ror__(self, o): return binary("or", _lift(o, self), self)
    def __xor__(self, o): return binary("xor", self, _lift(o, self))
    def __rxor__(self, o): return binary("xor", _lift(o, self), self)
    def __lshift__(self, o): return binary("shl", self, _lift(o, self))
    def __rshift__(self, o): return binary("shr_s" if self.dtype.kind == "i" else "shr_u", self, _lift(o, self))
    def __neg__(self): return Unary(self.dtype, "neg", self)
    def __invert__(self): return Unary(self.dtype, "not", self)
    def eq(self, o): return binary("eq", self, _lift(o, self))
    def ne(self, o): return binary("ne", self, _lift(o, self))
    def lt(self, o): return binary("lt", self, _lift(o, self))
    def le(self, o): return binary("le", self, _lift(o, self))
    def gt(self, o): return binary("gt", self, _lift(o, self))
    def ge(self, o): return binary("ge", self, _lift(o, self))
    def min(self, o): return binary("min", self, _lift(o, self))
    def max(self, o): return binary("max", self, _lift(o, self))

    def cast(self, dtype) -> Expr:
        dt = np.dtype(dtype)
        return self if self.dtype == dt else Cast(dt, self)


def _same(a: Expr, b: Expr) -> bool:
    """Structural equality of two DAGs, each pair of nodes compared once: comparing field tuples
    recursively would walk every path, exponentially many in two separately built copies of a
    math expansion (a kernel-cache lookup)."""
    seen, stack = set(), [(a, b)]
    while stack:
        x, y = stack.pop()
        if x is y or (id(x), id(y)) in seen:
            continue
        if type(x) is not type(y) or hash(x) != hash(y):
            return False
        seen.add((id(x), id(y)))
        for u, v in zip(x._values(), y._values()):
            if isinstance(u, Expr):
                stack.append((u, v))
            elif not (u is v or _same_value(u, v)):
                return False
    return True


def _same_value(u, v) -> bool:
    """Equal fields; float constants by IEEE identity: -0.0 is not 0.0 (x / -0.0 is -inf) and
    NaN is NaN, where Python's == says otherwise."""
    if type(u) is float and type(v) is float:
        return u == v and math.copysign(1.0, u) == math.copysign(1.0, v) or u != u and v != v
    return u == v


def _lift(v, like: Expr) -> Expr:
    if isinstance(v, Expr):
        return v
    if isinstance(v, (bool, int, float, np.generic)):
        return Const(like.dtype, v.item() if isinstance(v, np.generic) else v)
    raise TypeError(f"cannot combine an IR expression with {type(v).__name__}")


def where(cond: Expr, on_true, on_false) -> Expr:
    """Select; a Python number takes the dtype of the other branch."""
    like = on_true if isinstance(on_true, Expr) else on_false
    return Select(like.dtype, cond, _lift(on_true, like), _lift(on_false, like))


_FIELDS: dict = {}


@node
class Index(Expr):
    """The flat output position of the current element (i32)."""


@node
class RIndex(Expr):
    """The counter of the enclosing Reduce at nesting `level` (i32)."""
    level: int


@node
class Const(Expr):
    """A literal of this node's dtype."""
    value: float | int | bool

    def __hash__(self):
        # (a float NaN hashes by identity in Python: every NaN constant would be a new cache key)
        v = self.value
        return hash(("Const", self.dtype, "nan" if v != v else v))


@node
class Param(Expr):
    """Scalar parameter `arg` of the kernel, passed at launch (Kernel.params): a Python scalar in
    an eager operation reaches the kernel this way, so one kernel serves every value."""
    arg: int


@node
class Load(Expr):
    """Element `index` of input buffer `arg`."""
    arg: int
    index: Expr


@node
class Unary(Expr):
    """`op` (an arithmetic or math table name) applied to x."""
    op: str
    x: Expr


@node
class Binary(Expr):
    """`op` applied to a and b."""
    op: str
    a: Expr
    b: Expr


@node
class Select(Expr):
    """on_true where cond holds, else on_false."""
    cond: Expr
    on_true: Expr
    on_false: Expr


@node
class Branch(Select):
    """A Select that evaluates only the side it picks: for a costly side that is rarely taken
    (sin's exact reduction of huge arguments). A renderer without branches treats it as a Select."""


@node
class Cast(Expr):
    """x converted to this node's dtype."""
    x: Expr


@node
class Bitcast(Expr):
    """Reinterpret the bits of x (same width) as dtype."""
    x: Expr


@node
class Reduce(Expr):
    """`body` over `size` values of the counter RIndex(level), combined by `op`."""
    op: str  # one of REDUCE_OPS; the accumulator starts at identity(op, dtype)
    body: Expr
    size: int
    level: int


@dataclass(frozen=True)
class Scatter:
    """Makes a Kernel a scatter: for each update position i, outs[0] is combined (op: add, mul,
    min, max; None: stored) into the output at flat position `index` (negative: skipped). The
    output buffer starts as a copy of the operand, which the device makes. Several outputs (op
    None): outs[k] is stored at index + k, all computed before any is stored; they may read the
    old values as Loads of input len(in_dtypes), the output (a complex element's two parts with
    their combine, kernel/complex.py)."""
    index: Expr
    op: str | None


@dataclass(frozen=True)
class Kernel:
    """The input dtypes and one expression per output: a compiled unit, and its own cache key."""
    name: str
    in_dtypes: tuple
    outs: tuple  # one Expr per output; output k has dtype outs[k].dtype
    scatter: Scatter | None = None
    params: tuple = ()  # dtypes of the scalar parameters (ir.Param) passed at launch


# Operations every renderer must implement (elementwise, on the IR's dtypes).
UNARY_OPS = {"neg", "abs", "sqrt", "floor", "ceil", "trunc", "nearest", "not", "popcnt"}
BINARY_OPS = {"add", "sub", "mul", "div", "rem", "min", "max", "and", "or", "xor", "shl", "shr_s", "shr_u",
              "eq", "ne", "lt", "le", "gt", "ge",
              "idiv", "irem"}  # index arithmetic: non-negative i32 operands, divisor > 0
COMPARISONS = {"eq", "ne", "lt", "le", "gt", "ge"}
# Transcendental and special functions on floats: each is registered once in the math table
# (kernel/math.py:register fills these sets) and replaced by its float64 or float32 expansion
# before a renderer runs, so no renderer knows any of them.
MATH_UNARY: set = set()
MATH_BINARY: set = set()


REDUCE_OPS = ("add", "mul", "max", "min", "and", "or", "xor")


def identity(op: str, dtype) -> Const:
    """The value a reduction by `op` starts from (and gives for an empty axis): the one table every
    lowering and renderer uses. Bitwise `and` starts from all ones (True for bool)."""
    dt = np.dtype(dtype)
    if op not in REDUCE_OPS:
        raise ValueError(f"no identity for reduction {op!r}")
    if dt == np.bool_:
        return Const(dt, op in ("mul", "and", "min"))
    if dt.kind == "f" and op in ("and", "or", "xor"):
        raise ValueError(f"no bitwise identity for {dt.name}")
    if op in ("add", "or", "xor"):
        return Const(dt, 0)
    if op == "mul":
        return Const(dt, 1)
    if dt.kind == "f":
        return Const(dt, float("-inf") if op == "max" else float("inf"))
    info = np.iinfo(dt)
    if op == "and":
        return Const(dt, -1 if dt.kind == "i" else int(info.max))
    return Const(dt, int(info.min) if op == "max" else int(info.max))


# ---- construction helpers (constant folding keeps index arithmetic small) --------------------------


def const(value, dtype) -> Const:
    return Const(np.dtype(dtype), value)


def i32(value: int) -> Const:
    return Const(I32, int(value))


def binary(op: str, a: Expr, b: Expr) -> Expr:
    if a.dtype == I32 and b.dtype == I32:
        if isinstance(a, Const) and isinstance(b, Const):
            fold = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
                    "idiv": lambda x, y: x // y, "irem": lambda x, y: x % y}.get(op)
            if fold is not None and a.value >= 0 and b.value > 0:
                return i32(fold(a.value, b.value))
        if op == "add" and isinstance(b, Const) and b.value == 0:
            return a
        if op == "add" and isinstance(a, Const) and a.value == 0:
            return b
        if op == "mul" and isinstance(b, Const) and b.value == 1:
            return a
        if op == "mul" and ((isinstance(b, Const) and b.value == 0) or (isinstance(a, Const) and a.value == 0)):
            return i32(0)
        if op == "idiv" and isinstance(b, Const) and b.value == 1:
            return a
        if op == "irem" and isinstance(b, Const) and b.value == 1:
            return i32(0)
    out_dtype = np.dtype(np.bool_) if op in COMPARISONS else a.dtype
    return Binary(out_dtype, op, a, b)


def unravel(flat: Expr, shape) -> list[Expr]:
    """Multi-index (one i32 expr per dim) of a flat row-major position in `shape`."""
    idx, stride = [], 1
    strides = []
    for d in reversed(shape):
        strides.append(stride)
        stride *= d
    strides = strides[::-1]
    for k, (d, s) in enumerate(zip(shape, strides)):
        if d == 1:
            idx.append(i32(0))
        elif k == 0:  # the outermost dim needs no remainder
            idx.append(binary("idiv", flat, i32(s)))
        else:
            idx.append(binary("irem", binary("idiv", flat, i32(s)), i32(d)))
    return idx


def ravel(multi, shape) -> Expr:
    out: Expr = i32(0)
    stride = 1
    for e, d in zip(reversed(multi), reversed(shape)):
        out = binary("add", out, binary("mul", e, i32(stride)))
        stride *= d
    return out


def rewrite(exprs, fn, memo=None):
    """Rebuild expression trees bottom-up: fn(node, new_children) returns the replacement (or None to
    keep the node with its rewritten children). Shared subtrees are rewritten once."""
    memo = {} if memo is None else memo
    return tuple(_rewrite(e, fn, memo) for e in exprs)


def _rewrite(e, fn, memo):
    out = memo.get(e)
    if out is None:
        kids = tuple(_rewrite(c, fn, memo) for c in children(e))
        out = fn(e, kids)
        if out is None:
            out = with_children(e, kids)
        memo[e] = out
    return out


def with_children(e: Expr, kids: tuple) -> Expr:
    if kids == children(e):
        return e
    if isinstance(e, Load):
        return Load(e.dtype, e.arg, kids[0])
    if isinstance(e, Unary):
        return Unary(e.dtype, e.op, kids[0])
    if isinstance(e, (Cast, Bitcast)):
        return type(e)(e.dtype, kids[0])
    if isinstance(e, Binary):
        return Binary(e.dtype, e.op, *kids)
    if isinstance(e, Select):
        return type(e)(e.dtype, *kids)
    if isinstance(e, Reduce):
        return Reduce(e.dtype, e.op, kids[0], e.size, e.level)
    return e


def nodes(roots) -> list:
    """The distinct nodes of expression trees, each once, in pre-order of first visit."""
    seen: dict = {}
    stack = list(reversed(roots))
    while stack:
        e = stack.pop()
        if e in seen:
            continue
        seen[e] = None
        stack.extend(reversed(children(e)))
    return list(seen)


def walk(e: Expr):
    """Every node of an expression tree (pre-order)."""
    yield e
    for child in children(e):
        yield from walk(child)


def children(e: Expr) -> tuple:
    if isinstance(e, (Load,)):
        return (e.index,)
    if isinstance(e, (Unary, Cast, Bitcast)):
        return (e.x,)
    if isinstance(e, Binary):
        return (e.a, e.b)
    if isinstance(e, Select):
        return (e.cond, e.on_true, e.on_false)
    if isinstance(e, Reduce):
        return (e.body,)
    return ()
