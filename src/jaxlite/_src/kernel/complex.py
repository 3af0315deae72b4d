"""Complex numbers in kernels: every complex value is a pair of real expressions.

Lowering rules (kernel/lower.py) build complex-typed IR as for any dtype: `Load(complex64, k, i)`,
`Binary(complex64, "mul", a, b)`, `Unary(complex64, "exp", z)`, `Reduce(complex64, "add", ...)`,
`Unary(float32, "abs", z)`. Before a kernel is compiled, `realify` rewrites it into real IR, once
for every renderer: a complex node becomes its (re, im) pair by the rules below, a complex buffer
is read as its interleaved float parts (numpy's layout: element i is floats 2i and 2i+1), and a
complex output is written as a float kernel over twice the positions, position j holding part
j & 1 of element j >> 1. The renderers never see a complex dtype.

The rules follow XLA's CPU results where they define special values (checked against JAX in
tests/test_wasm_complex.py): naive multiplication, Smith's division with C99's infinite and zero
cases, exp/sinh/cosh/tanh keeping a zero imaginary part exact, overflow-safe |z|.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from jaxlite._src.kernel import ir, lower
from jaxlite._src.kernel import math as kmath
from jaxlite._src.kernel.ir import I32, Binary, Cast, Const, Expr, Load, Reduce, RIndex, Select, Unary, where
from jaxlite._src import core
from jaxlite._src import partial_eval as pe
from jaxlite._src.lax import arith, lax, reductions, slicing, structural

_PART = {np.dtype(np.complex64): np.dtype(np.float32), np.dtype(np.complex128): np.dtype(np.float64)}
_COMPLEX = {p: c for c, p in _PART.items()}


def is_complex(dtype) -> bool:
    return np.dtype(dtype).kind == "c"


def buffer_dtype(dtype) -> np.dtype:
    """The element type a kernel reads and writes for a buffer of `dtype` (complex: its parts)."""
    return _PART.get(np.dtype(dtype), np.dtype(dtype))


class Pair(NamedTuple):
    re: Expr
    im: Expr


# ---- real helpers ------------------------------------------------------------------------------------


def _m(op, x):
    return Unary(x.dtype, op, x)


def _abs(x):
    return Unary(x.dtype, "abs", x)


def _isinf(x):
    return _abs(x).eq(math.inf)


def _isfinite(x):
    return _abs(x).lt(math.inf)


def _const(cond, t: float, f: float, like):
    """select(cond, t, f) of two numbers, in like's dtype."""
    return Select(like.dtype, cond, Const(like.dtype, t), Const(like.dtype, f))


def _copysign01(v, s):
    """copysign(1 if v else 0, s) for a boolean v (the sign of -0 is not needed here)."""
    one = _const(v, 1.0, 0.0, s)
    return where(s.lt(0.0), -one, one)


def _hypot(a, b):
    """sqrt(a^2 + b^2) without overflow or underflow: the larger part times sqrt(1 + q^2)."""
    x, y = _abs(a), _abs(b)
    m, n = x.max(y), x.min(y)
    q = n / where(m.eq(0.0), 1.0, m)
    return where(n.eq(math.inf), math.inf, m * _m("sqrt", 1.0 + q * q))


def _log_abs(a, b):
    """log|a + bi|; near |z| = 1 from log1p(|z|^2 - 1), whose argument (m-1)(m+1) + n^2 is exact-ish."""
    x, y = _abs(a), _abs(b)
    m, n = x.max(y), x.min(y)
    near = 0.5 * _m("log1p", (m - 1.0) * (m + 1.0) + n * n)
    return where(m.ge(0.5) & m.le(2.0), near, _m("log", _hypot(a, b)))


# ---- pair rules --------------------------------------------------------------------------------------


def _mul(z, w):
    (a, b), (c, d) = z, w
    return Pair(a * c - b * d, a * d + b * c)


def _div(z, w):
    """Smith's algorithm, then C99 Annex G's cases: x/0 is infinite, inf/finite infinite,
    finite/inf zero (XLA's CPU gives these)."""
    (a, b), (c, d) = z, w
    wide = _abs(c).ge(_abs(d))
    r1 = d / c
    den1 = c + d * r1
    r2 = c / d
    den2 = c * r2 + d
    re = where(wide, (a + b * r1) / den1, (a * r2 + b) / den2)
    im = where(wide, (b - a * r1) / den1, (b * r2 - a) / den2)
    zero = c.eq(0.0) & d.eq(0.0) & (a.eq(a) | b.eq(b))
    inf = _const(c.lt(0.0), -math.inf, math.inf, c)
    re, im = where(zero, inf * a, re), where(zero, inf * b, im)
    num_inf = (_isinf(a) | _isinf(b)) & _isfinite(c) & _isfinite(d)
    x, y = _copysign01(_isinf(a), a), _copysign01(_isinf(b), b)
    re, im = where(num_inf, math.inf * (x * c + y * d), re), where(num_inf, math.inf * (y * c - x * d), im)
    den_inf = (_isinf(c) | _isinf(d)) & _isfinite(a) & _isfinite(b)
    x, y = _copysign01(_isinf(c), c), _copysign01(_isinf(d), d)
    return Pair(where(den_inf, 0.0 * (a * x + b * y), re), where(den_inf, 0.0 * (b * x - a * y), im))


def _exp(z):
    a, b = z
    ea = _m("exp", a)
    return Pair(ea * _m("cos", b), where(b.eq(0.0), b, ea * _m("sin", b)))


def _expm1(z):
    a, b = z
    h = _m("sin", b * 0.5)
    return Pair(_m("expm1", a) * _m("cos", b) - 2.0 * h * h, where(b.eq(0.0), b, _m("exp", a) * _m("sin", b)))


def _log(z):
    a, b = z
    return Pair(_log_abs(a, b), Binary(a.dtype, "atan2", b, a))


def _log1p(z):
    a, b = z
    small = 0.5 * _m("log1p", a * (2.0 + a) + b * b)  # |z| < 1/2: 1 + a would lose a's low bits
    re = where(_abs(a).max(_abs(b)).lt(0.5), small, _log_abs(1.0 + a, b))
    return Pair(re, Binary(a.dtype, "atan2", b, 1.0 + a))


def _sqrt(z):
    """t = sqrt((|a| + |z|) / 2); the other part b / 2t (XLA's branch: -0 counts as +0)."""
    a, b = z
    r = _hypot(a, b)
    t = _m("sqrt", _abs(a) * 0.5 + r * 0.5)
    # near overflow from sqrt(r) sqrt((1 + |a|/r) / 2): compilers that reassociate (SwiftShader's)
    # turn the halves above into (|a| + r) * 0.5, which overflows
    big = r.gt(float(np.finfo(r.dtype).max) / 4) & _isfinite(r)
    t = where(big, _m("sqrt", r) * _m("sqrt", 0.5 + 0.5 * (_abs(a) / r)), t)
    u = _abs(b) / (t * 2.0)
    pos = a.ge(0.0)
    re = where(pos, t, u)
    im = where(pos, b / (t * 2.0), where(b.lt(0.0), -t, t))
    re, im = where(r.eq(0.0), 0.0, re), where(r.eq(0.0), b, im)
    binf = _isinf(b)
    return Pair(where(binf, math.inf, re), where(binf, b, im))


def _sinh(z):
    a, b = z
    return Pair(_m("sinh", a) * _m("cos", b), where(b.eq(0.0), b, _m("cosh", a) * _m("sin", b)))


def _cosh(z):
    a, b = z
    return Pair(_m("cosh", a) * _m("cos", b), where(b.eq(0.0), b, _m("sinh", a) * _m("sin", b)))


def _tanh(z):
    """Kahan's formula; for |a| > 9 (20 in float64) tanh a rounds to +-1 and the imaginary part
    is 4 sin b cos b e^(-2|a|)."""
    a, b = z
    t = _m("tan", b)
    beta = 1.0 + t * t
    s = _m("sinh", a)
    rho = _m("sqrt", 1.0 + s * s)
    den = 1.0 + beta * s * s
    big = _abs(a).gt(9.0 if a.dtype == np.float32 else 20.0)
    re = where(big, _const(a.lt(0.0), -1.0, 1.0, a), beta * rho * s / den)
    tail = where(_isfinite(b), 4.0 * _m("sin", b) * _m("cos", b) * _m("exp", -2.0 * _abs(a)), 0.0)
    im = where(big, tail, t / den)
    return Pair(re, where(b.eq(0.0), b, im))


def _rot(f):
    """g(z) = -i f(iz) (sin from sinh, tan from tanh) or, with cos, f(iz)."""
    def rule(z):
        p, q = f(Pair(-z.im, z.re))
        return Pair(q, -p)
    return rule


def _cos(z):
    return _cosh(Pair(-z.im, z.re))


def _sign(z):
    a, b = z
    r = _hypot(a, b)
    return Pair(where(r.eq(0.0), a, a / r), where(r.eq(0.0), b, b / r))


def _pow(z, w):
    """exp(w log z); 0^w is 1 for w = 0, 0 for real w > 0, nan otherwise (as XLA's)."""
    r = _exp(_mul(w, _log(z)))
    c, d = w
    zero = z.re.eq(0.0) & z.im.eq(0.0)
    at_zero = where(c.eq(0.0) & d.eq(0.0), 1.0, _const(d.eq(0.0) & c.gt(0.0), 0.0, math.nan, c))
    return Pair(where(zero, at_zero, r.re), where(zero, _const(at_zero.ne(at_zero), math.nan, 0.0, c), r.im))


def _one(z):
    return Pair(Const(z.re.dtype, 1.0), Const(z.re.dtype, 0.0))


def _lexicographic(greater: bool):
    """XLA's complex max/min: z where z > w (< w), ordered by the real part, then the
    imaginary, else w; a comparison with NaN is false, so NaN in z gives w and NaN in w gives w."""
    def rule(z, w):
        first = z.re.gt(w.re) if greater else z.re.lt(w.re)
        then = z.im.gt(w.im) if greater else z.im.lt(w.im)
        pick = first | (z.re.eq(w.re) & then)
        return Pair(where(pick, z.re, w.re), where(pick, z.im, w.im))
    return rule


UNARY = {"neg": lambda z: Pair(-z.re, -z.im), "conj": lambda z: Pair(z.re, -z.im), "exp": _exp, "expm1": _expm1,
         "log": _log, "log1p": _log1p, "sqrt": _sqrt, "rsqrt": lambda z: _div(_one(z), _sqrt(z)),
         "sinh": _sinh, "cosh": _cosh, "tanh": _tanh, "sin": _rot(_sinh), "cos": _cos, "tan": _rot(_tanh),
         "sign": _sign, "square": lambda z: Pair((z.re + z.im) * (z.re - z.im), 2.0 * z.re * z.im),
         "exp2": lambda z: _exp(_mul(z, Pair(Const(z.re.dtype, math.log(2)), Const(z.re.dtype, 0.0))))}
BINARY = {"add": lambda z, w: Pair(z.re + w.re, z.im + w.im), "sub": lambda z, w: Pair(z.re - w.re, z.im - w.im),
          "mul": _mul, "div": _div, "pow": _pow, "max": _lexicographic(True), "min": _lexicographic(False)}
# real results of complex operands
TO_REAL = {"real": lambda z: z.re, "imag": lambda z: z.im, "abs": lambda z: _hypot(*z)}
# the real math ops each rule expands through (a device must have them all)
MATH_NEEDS = {"exp": {"exp", "sin", "cos"}, "exp2": {"exp", "sin", "cos"}, "expm1": {"expm1", "exp", "sin", "cos"},
              "log": {"log", "log1p", "atan2"}, "log1p": {"log", "log1p", "atan2"},
              "sinh": {"sinh", "cosh", "sin", "cos"}, "cosh": {"sinh", "cosh", "sin", "cos"},
              "sin": {"sinh", "cosh", "sin", "cos"}, "cos": {"sinh", "cosh", "sin", "cos"},
              "tanh": {"tan", "sinh", "sin", "cos", "exp"}, "tan": {"tan", "sinh", "sin", "cos", "exp"},
              "pow": {"exp", "sin", "cos", "log", "log1p", "atan2"}}

# ---- the rewrite -------------------------------------------------------------------------------------

UNROLL = 64  # complex products (no pair accumulator in a Reduce) are unrolled up to this length;
# longer ones run as products of chunks (_chunked_prod)


def realify(exprs) -> tuple[tuple, int]:
    """A kernel's outputs as real IR, and the factor its position count grows by (2 when the one
    output is complex: interleaved parts). Kernels without complex values come back unchanged."""
    if not any(is_complex(e.dtype) for e in ir.nodes(exprs)):
        return tuple(exprs), 1
    out_complex = [is_complex(e.dtype) for e in exprs]
    if any(out_complex) and len(exprs) > 1:
        raise NotImplementedError("a kernel with several outputs of complex dtype")
    j = ir.Index(I32)
    memo: dict = {j: j // 2 if out_complex[0] else j}
    outs = tuple(_split(e, memo) for e in exprs)
    if out_complex[0]:
        re, im = outs[0]
        same = _componentwise(re, im, memo[j])
        return (same if same is not None else Select(re.dtype, (j & 1).eq(0), re, im),), 2
    return outs, 1


def _componentwise(re, im, elem):
    """One expression for both parts when they are the same function of the parts they read at
    the output's own element (z + w, -z, where(m, z, w)): reading float j of each such operand
    then gives part j & 1, and the kernel is an ordinary contiguous float kernel (SIMD on wasm)."""
    j = ir.Index(I32)

    def lane(expr, index):
        def fn(n, kids):
            if isinstance(n, Load) and n.index == index:
                return Load(n.dtype, n.arg, j)
            return None
        return ir.rewrite((expr,), fn)[0]
    base = elem * 2
    got = lane(re, base)
    return got if got == lane(im, base + 1) else None


def zero_imag(val) -> bool:
    """Whether a lazy complex value's imaginary part is zero by construction (a real value
    converted): a product with it needs no matmul of that part."""
    (im,), _ = realify((Unary(buffer_dtype(val.dtype), "imag", val.at(ir.Index(I32))),))
    return isinstance(im, Const) and im.value == 0


def _split(e: Expr, memo: dict):
    got = memo.get(e)
    if got is None:
        if isinstance(e, Reduce) and is_complex(e.dtype):
            got = _reduce(e, memo)
        else:
            got = _node(e, [_split(c, memo) for c in ir.children(e)])
        memo[e] = got
    return got


def _as_pair(x, dtype):
    """A real operand of a complex operation as a pair with zero imaginary part."""
    if isinstance(x, Pair):
        return x
    p = _PART[np.dtype(dtype)]
    return Pair(x.cast(p), Const(p, 0.0))


def _node(e: Expr, kids: list):
    cplx = is_complex(e.dtype)
    if not cplx and not any(isinstance(k, Pair) for k in kids):
        return ir.with_children(e, tuple(kids))
    if isinstance(e, Load):
        p, base = _PART[e.dtype], kids[0] * 2
        return Pair(Load(p, e.arg, base), Load(p, e.arg, base + 1))
    if isinstance(e, Const):
        v, p = complex(e.value), _PART[e.dtype]
        return Pair(Const(p, v.real), Const(p, v.imag))
    if isinstance(e, Select):
        c, t, f = kids[0], _as_pair(kids[1], e.dtype), _as_pair(kids[2], e.dtype)
        return Pair(Select(t.re.dtype, c, t.re, f.re), Select(t.im.dtype, c, t.im, f.im))
    if isinstance(e, Cast):
        (x,) = kids
        if cplx:
            z = _as_pair(x, e.dtype)
            p = _PART[e.dtype]
            return Pair(z.re.cast(p), z.im.cast(p))
        if e.dtype == np.bool_:
            return x.re.ne(0.0) | x.im.ne(0.0)
        return x.re.cast(e.dtype)  # complex -> real: the real part (JAX's ComplexWarning case)
    if isinstance(e, Unary):
        (x,) = kids
        if e.op in TO_REAL:
            return TO_REAL[e.op](_as_pair(x, _COMPLEX[x.dtype]) if not isinstance(x, Pair) else x)
        return UNARY[e.op](_as_pair(x, e.dtype))
    if isinstance(e, Binary):
        if e.op == "complex":
            return Pair(*kids)
        dt = e.dtype if cplx else _COMPLEX[next(k.re.dtype for k in kids if isinstance(k, Pair))]
        z, w = (_as_pair(k, dt) for k in kids)
        if e.op in ("eq", "ne"):
            same = z.re.eq(w.re) & z.im.eq(w.im)
            return same if e.op == "eq" else ~same
        return BINARY[e.op](z, w)
    raise NotImplementedError(f"complex {type(e).__name__} {getattr(e, 'op', '')} in a kernel")


def _reduce(e: Reduce, memo: dict) -> Pair:
    """A complex sum as two real sums (the imaginary one a loop of its own); a complex product
    unrolled into a tree of pair products (a Reduce has one real accumulator)."""
    body = _as_pair(_split(e.body, memo), e.dtype)
    if e.op == "add":
        (im,), level = _relevel((body.im,), e.level)
        return Pair(Reduce(body.re.dtype, "add", body.re, e.size, e.level), Reduce(im.dtype, "add", im, e.size, level))
    if e.op != "mul" or e.size > UNROLL:
        raise NotImplementedError(f"complex reduction {e.op} over {e.size} elements in a kernel")
    terms = [Pair(*_relevel(body, e.level, ir.i32(k))[0]) for k in range(e.size)] or [_one(body)]
    while len(terms) > 1:
        terms = [_mul(*terms[i:i + 2]) if i + 1 < len(terms) else terms[i] for i in range(0, len(terms), 2)]
    return terms[0]


_CHUNKED: dict = {}


def _chunked_prod(avals, axes):
    """A complex reduce_prod over more than UNROLL elements per result, for kernel plans: the
    reduced axes moved last and flattened, padded with ones to whole chunks of UNROLL, and
    reduced a chunk at a time (each step a kernel of unrolled pair products, materialised as
    every reduction is) until one chunk is left. None for every other reduce_prod."""
    (x,) = avals
    n = int(np.prod([x.shape[d] for d in axes], dtype=np.int64))
    if not is_complex(x.dtype) or n <= UNROLL:
        return None
    key = (x.shape, np.dtype(x.dtype), tuple(axes))
    if key not in _CHUNKED:
        kept = [d for d in range(len(x.shape)) if d not in axes]
        lead = tuple(x.shape[d] for d in kept)

        def fn(v):
            v = structural.reshape(structural.transpose(v, (*kept, *axes)), (*lead, n))
            m = n
            while m > UNROLL:
                chunks = -(-m // UNROLL)
                one = np.ones((), v.dtype)
                v = structural.pad(v, one, [(0, 0, 0)] * len(lead) + [(0, chunks * UNROLL - m, 0)])
                v = reductions.reduce_prod_p.bind(structural.reshape(v, (*lead, chunks, UNROLL)),
                                                  axes=(len(lead) + 1,))
                m = chunks
            return [reductions.reduce_prod_p.bind(v, axes=(len(lead),))]
        _CHUNKED[key] = pe.make_closed_jaxpr(fn, [x])
    return _CHUNKED[key]


core.decomposition_rules[reductions.reduce_prod_p] = _chunked_prod


def _relevel(exprs, level, counter=None):
    """The expressions with loop `level` and every loop nested inside them renumbered (renderers
    declare one counter per level, so a copy of a loop body needs its own), or with the counter
    of `level` replaced by `counter`. Returns them and the new level."""
    inner = {level} | {n.level for n in ir.nodes(exprs) if isinstance(n, Reduce)}
    mapping = {lv: next(lower._reduce_ids) for lv in inner}

    def fn(n, kids):
        if isinstance(n, RIndex) and n.level in mapping:
            return counter if counter is not None and n.level == level else RIndex(n.dtype, mapping[n.level])
        if isinstance(n, Reduce) and n.level in mapping:
            return Reduce(n.dtype, n.op, kids[0], n.size, mapping[n.level])
        return None
    return ir.rewrite(exprs, fn), mapping[level]

# ---- the primitives that exist for complex numbers, and which ones a device runs as kernels -----------


def _part_rule(op, real_input):
    def rule(out, x):
        if not is_complex(x.dtype):
            return real_input(out, x)
        return lower.Val(x.shape, out.dtype, lambda i: Unary(out.dtype, op, x.at(i)))
    return rule


def _zeros(out, x):
    return lower.Val(x.shape, out.dtype, lambda i: Const(out.dtype, 0.0), True)


lower.lowerings[lax.real_p] = _part_rule("real", lambda out, x: x)
lower.lowerings[lax.imag_p] = _part_rule("imag", _zeros)
lower.lowerings[lax.conj_p] = _part_rule("conj", lambda out, x: x)
lower.lowerings[lax.sign_p] = _part_rule("sign", lower.lowerings[lax.sign_p])
# XLA squares a complex number as ((a + b)(a - b), 2ab), which differs from z * z at overflow
lower.lowerings[arith.square_p] = _part_rule("square", lower.lowerings[arith.square_p])

# Primitives whose lowering is right for complex operands once realify splits it (views and
# selects move pairs; the rest are pair rules above).
PRIMS = frozenset({
    "neg", "add", "sub", "mul", "div", "abs", "sqrt", "rsqrt", "sign", "exp", "exp2", "log", "expm1", "log1p",
    "sin", "cos", "tan", "sinh", "cosh", "tanh", "pow", "integer_pow", "square", "eq", "ne", "select_n", "max", "min",
    "convert_element_type", "real", "imag", "conj", "copy", "copy_p", "stop_gradient", "reduce_sum",
    "reduce_prod", "dot_general", "broadcast_in_dim", "reshape", "transpose", "slice", "rev", "concatenate",
    "pad", "gather", "dynamic_slice", "dynamic_update_slice", "iota"})


def can_stage(device, prim, in_avals, out_avals) -> bool:
    """Cumulative sums, products, maxima and minima of complex values run as staged kernels of
    pair rules (lower._xla_scan) where the parts' dtype renders and complex buffers are pairs."""
    return (prim in (reductions.cumsum_p, reductions.cumprod_p, reductions.cummax_p, reductions.cummin_p)
            and all(np.dtype(a.dtype) in _PART and device.supports_dtype(_PART[np.dtype(a.dtype)])
                    for a in (*in_avals, *out_avals)))


def can_scatter(device, prim, in_avals, out_avals) -> bool:
    """Complex scatters run as float scatters over the parts (realify_scatter): add part by part,
    the others writing both parts of an element from one invocation. A set whose indices may repeat
    is first decomposed (_last_update_wins), so the set that reaches a device has unique indices.
    mul/min/max read both old parts of the element: on wasm updates run in order anyway; webgpu,
    whose invocations race, runs them as one invocation looping over the updates in order (its
    renderer does so for a scatter whose values read the output)."""
    if device.platform not in ("wasm", "webgpu") or in_avals[1].dtype.itemsize > 4:
        return False
    return all(device.supports_dtype(a.dtype) or (a.dtype in _PART and device.supports_dtype(_PART[a.dtype]))
               for a in (*in_avals, *out_avals))


def realify_scatter(kernel: ir.Kernel) -> tuple[ir.Kernel, int]:
    """A scatter kernel with complex values as one over float parts. A scatter-add is one over
    the parts: update j adds part j & 1 of update j // 2 to float 2 index + (j & 1) of the
    interleaved buffer (each part its own float, so atomics sum duplicates). Every other op writes
    both parts of update j from one invocation, combined with the old parts it reads from the
    output (ir.Scatter's several outputs): no element gets its parts from two duplicates. Returns
    the kernel and the factor the update count grows by (1 for a real scatter, unchanged)."""
    (value,) = kernel.outs
    if not is_complex(value.dtype):
        return kernel, 1
    j = ir.Index(I32)
    in_dtypes = tuple(map(buffer_dtype, kernel.in_dtypes))
    op = kernel.scatter.op
    if op != "add":
        new = _as_pair(_split(value, {j: j}), value.dtype)
        index = ir.where(kernel.scatter.index.lt(0), -1, kernel.scatter.index * 2)
        if op is not None:
            p, k = _PART[value.dtype], len(in_dtypes)
            new = BINARY[op](Pair(Load(p, k, index), Load(p, k, index + 1)), new)
        return ir.Kernel(kernel.name, in_dtypes, tuple(new), ir.Scatter(index, None), kernel.params), 1
    (part,), scale = realify((value,))
    (index,) = ir.rewrite((kernel.scatter.index,), lambda n, kids: j // 2 if n == j else None)
    index = ir.where(index.lt(0), -1, index * 2 + (j & 1))
    return ir.Kernel(kernel.name, in_dtypes, (part,), ir.Scatter(index, op), kernel.params), scale


def can_lower(device, prim, in_avals, out_avals) -> bool:
    """Whether `device` runs `prim` on these (some complex) operands as a kernel: the parts' dtype
    renders there, the primitive has a pair rule, the device expands the real math ops the rule
    goes through (for complex128 only those accurate in float64, kmath.TABLE[op].f64_accurate)."""
    wide = False
    for a in (*in_avals, *out_avals):
        dt = np.dtype(a.dtype)
        if not device.supports_dtype(dt) and not (dt in _PART and device.supports_dtype(_PART[dt])):
            return False
        wide = wide or dt == np.complex128
    if prim.name not in PRIMS or prim not in lower.lowerings or len(out_avals) != 1:
        return False
    if prim is reductions.reduce_prod_p and in_avals[0].size > UNROLL * max(out_avals[0].size, 1):
        return False
    if prim.name == "gather" and in_avals[1].dtype.itemsize > 4:
        return False
    op = lower.math_ops.get(prim)
    needs = MATH_NEEDS.get(op, {op}) if op is not None else set()
    return needs <= device.math_ops and not (wide and not all(kmath.TABLE[o].f64_accurate for o in needs))


# ---- complex max/min reductions in XLA's CPU order ------------------------------------------------------

WINDOW = 32  # XLA's CPU tree reduction: a reduced axis longer than this folds in windows of 32 first

_LEX_REDUCE: dict = {}


def _lex_reduce(greater: bool):
    """reduce_max/reduce_min of complex operands for kernel plans, as XLA's CPU computes them: the
    lexicographic rule (which keeps the accumulator only where it is strictly greater, so NaNs and
    signed zeros depend on the order) folded from the identity -+inf, after XLA's tree rewrite:
    while a reduced axis is longer than 32, windows of 32 along it (padded evenly at both ends,
    the padding skipped; shorter reduced axes whole in each window) fold first; a reduction over
    axes of length 1 only is a reshape. Every fold is real reductions that find the position the
    fold ends on (_fold), so it runs as ordinary float and integer kernels."""
    prim = reductions.reduce_max_p if greater else reductions.reduce_min_p

    def rule(avals, axes):
        (x,) = avals
        if not is_complex(x.dtype):
            return None
        key = (greater, x.shape, np.dtype(x.dtype), tuple(axes))
        if key not in _LEX_REDUCE:
            _LEX_REDUCE[key] = pe.make_closed_jaxpr(lambda v: [_xla_order(v, tuple(axes), greater)], [x])
        return _LEX_REDUCE[key]
    core.decomposition_rules[prim] = rule


def _xla_order(v, axes, greater):
    dt = np.dtype(v.dtype)
    init = complex(-math.inf if greater else math.inf, 0.0)
    kept = [d for d in range(v.ndim) if d not in axes]
    out_shape = tuple(v.shape[d] for d in kept)
    if v.size == 0:
        return lax.full(out_shape, init, dt)
    if all(v.shape[a] == 1 for a in axes):
        return structural.reshape(v, out_shape)
    while any(v.shape[a] > WINDOW for a in axes):
        config, split, valid = [], [], None
        for d, n in enumerate(v.shape):
            if d in axes and n > WINDOW:
                total = -(-n // WINDOW) * WINDOW - n
                config.append((total // 2, total - total // 2, 0))
                split.append((-(-n // WINDOW), WINDOW))
            else:
                config.append((0, 0, 0))
                split.append((1, n) if d in axes else (n, 1))
        if any(lo or hi for lo, hi, _ in config):
            valid = structural.pad(lax.full(v.shape, True, np.bool_), np.asarray(False), config)
            v = structural.pad(v, np.asarray(init, dt), config)
        order = [2 * d for d in range(v.ndim)] + [2 * d + 1 for d in range(v.ndim)]
        blocks = [b for b, _ in split]

        def windows(a):
            a = structural.transpose(structural.reshape(a, tuple(s for pair in split for s in pair)), order)
            return structural.reshape(a, (*blocks, math.prod(w for _, w in split)))
        v = _fold(windows(v), None if valid is None else windows(valid), greater, init)
    k = math.prod(v.shape[a] for a in axes)
    return _fold(structural.reshape(structural.transpose(v, (*kept, *axes)), (*out_shape, k)), None, greater, init)


def _fold(x, valid, greater, init):
    """The lexicographic fold from `init` over the last axis (skipping positions where `valid` is
    false): the element at the position the fold ends on (-1: init), found by real reductions."""
    *lead, k = x.shape
    last, shape = len(lead), x.shape
    dt, p = np.dtype(x.dtype), _PART[np.dtype(x.dtype)]
    i32 = np.dtype(np.int32)

    def full(value, dtype=i32, like=shape):
        return lax.full(like, value, dtype)

    def bc(y):
        return structural.broadcast_in_dim(y, shape, tuple(range(last)))

    def where(c, t, f):
        return lax.select_n(c, f, t)

    def last_pos(mask):  # the last position where mask holds, else -2
        return reductions.reduce_max(where(mask, pos, full(-2)), (last,))

    best = reductions.reduce_max if greater else reductions.reduce_min
    worst = init.real  # -inf for max, inf for min: never better than an element, equal to init's part
    re, im = lax.real(x), lax.imag(x)
    pos = structural.broadcasted_iota(i32, shape, last)
    ok = full(True, np.bool_) if valid is None else valid
    # a NaN real part at position P always replaces the accumulator and is replaced by the next
    # element: the fold restarts after the last one (or ends on it)
    nan_re = last_pos(lax.bitwise_and(lax.ne(re, re), ok))
    end = full(k - 1, like=lead) if valid is None else last_pos(ok)
    in_s = lax.bitwise_and(ok, lax.gt(pos, bc(nan_re)))
    with_init = lax.eq(nan_re, full(-2, like=lead))
    # then the best real part R wins; among those with real part R the same by the imaginary part
    r = best(where(in_s, re, full(worst, p)), (last,))
    in_t = lax.bitwise_and(in_s, lax.eq(re, bc(r)))
    init_t = lax.bitwise_and(with_init, lax.eq(r, full(worst, p, lead)))
    nan_im = last_pos(lax.bitwise_and(in_t, lax.ne(im, im)))
    end_t = lax.max(last_pos(in_t), where(init_t, full(-1, like=lead), full(-2, like=lead)))
    in_t2 = lax.bitwise_and(in_t, lax.gt(pos, bc(nan_im)))
    init_t2 = lax.bitwise_and(init_t, lax.eq(nan_im, full(-2, like=lead)))
    m = best(where(in_t2, im, full(worst, p)), (last,))
    m = where(init_t2, (lax.max if greater else lax.min)(m, full(0.0, p, lead)), m)
    # ties keep the later element (the accumulator stays only where strictly better)
    pick = lax.max(last_pos(lax.bitwise_and(in_t2, lax.eq(im, bc(m)))),
                   where(lax.bitwise_and(init_t2, lax.eq(m, full(0.0, p, lead))), full(-1, like=lead),
                         full(-2, like=lead)))
    at = where(lax.eq(nan_re, end), nan_re, where(lax.eq(nan_im, end_t), nan_im, pick))
    # the element itself, bit for bit: a gather from x with init in front
    ext = structural.concatenate([full(init, dt, (*lead, 1)), x], last)
    n = int(np.prod(lead, dtype=np.int64))
    flat = lax.add(structural.reshape(lax.mul(structural.iota(i32, n), full(k + 1, like=(n,))), tuple(lead)),
                   lax.add(at, full(1, like=lead)))
    dn = slicing.GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(0,), start_index_map=(0,))
    got = slicing.gather(structural.reshape(ext, (n * (k + 1),)), structural.reshape(flat, (n, 1)), dn, (1,),
                         mode="promise_in_bounds")
    return structural.reshape(got, tuple(lead))


_lex_reduce(True)
_lex_reduce(False)

# ---- complex scatter (set) with duplicates: the last update wins ---------------------------------------

_LAST_WINS: dict = {}


def _last_update_wins(avals, *, dimension_numbers, mode, unique_indices):
    """A complex `scatter` for kernel plans, where indices may repeat: the update each element
    takes is decided first, an int32 scatter-max of update numbers (1-based) into zeros, then every
    element takes that update or keeps the operand's. That is XLA's CPU result (updates in order:
    the last duplicate wins) on any device, webgpu's racing invocations included, and no element
    gets its two parts from two duplicates. Unique indices scatter directly (realify_scatter)."""
    operand, indices, updates = avals
    if not is_complex(operand.dtype) or unique_indices or indices.dtype.itemsize > 4:
        return None
    key = (operand.shape, np.dtype(operand.dtype), indices.shape, np.dtype(indices.dtype), updates.shape,
           dimension_numbers, mode)
    if key not in _LAST_WINS:
        i32 = np.dtype(np.int32)

        def fn(x, idx, u):
            if x.size == 0 or u.size == 0:
                return [x]
            ids = structural.reshape(lax.add(structural.iota(i32, u.size), lax.full((u.size,), 1, i32)), u.shape)
            won = slicing.scatter_max_p.bind(lax.full(x.shape, 0, i32), idx, ids, dimension_numbers=dimension_numbers,
                                             mode=mode, unique_indices=False)
            ext = structural.concatenate([lax.full((1,), 0, x.dtype), structural.reshape(u, (u.size,))], 0)
            dn = slicing.GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(0,), start_index_map=(0,))
            got = slicing.gather(ext, structural.reshape(won, (x.size, 1)), dn, (1,), mode="promise_in_bounds")
            return [lax.select_n(lax.gt(won, lax.full(x.shape, 0, i32)), x, structural.reshape(got, x.shape))]
        _LAST_WINS[key] = pe.make_closed_jaxpr(fn, [operand, indices, updates])
    return _LAST_WINS[key]


core.decomposition_rules[slicing.scatter_p] = _last_update_wins
