"""The math table: every transcendental function of the kernel IR, registered once, with its
expansions into plain IR.

An IR math op (`Unary(dt, "exp", x)`, `Binary(dt, "pow", x, y)`) is replaced before rendering by
an expansion from `TABLE[op]`, so that no renderer knows any function:

- `f64`: computed in float64 (range reduction plus a short polynomial). float64 inputs get about
  1e-13 relative accuracy; float32 inputs, on a target with float64 (WebAssembly), are computed
  in float64 and rounded once: correctly rounded in practice (1 ulp bound). Where the float64
  expansion is only float32-grade (`f64_accurate=False`: pow, cbrt, erf, erfc), float64
  inputs stay on the host.
- `f32`: computed in float32 arithmetic only, for targets without float64 (WGSL): the classic
  single-precision algorithms (Cody-Waite range reduction, cephes' minimax polynomials), within
  a few ulp (the bounds per function are checked in tests/test_kernel_math.py). The branches of
  the C originals are selects here: every path is computed, so each is kept short (one exp or
  log per function where the original had two). `simd_f32=True` (exp) makes a target with float64
  use this expansion for float32 inputs too: it is as accurate and runs four lanes at a time in
  WebAssembly SIMD.

No WGSL builtin replaces an expansion: WGSL specifies its exp/log/sin only loosely (sin/cos:
absolute error 2^-11 on [-pi, pi] and nothing outside; exp: 3 + 2|x| ulp), and GPUs take that
liberty; the expansions are measured, the builtins are not. (sqrt, floor, round, abs are raw IR
ops, exact in WGSL.)

sin/cos/tan reduce exactly at every magnitude: by Cody-Waite below 2^20 (float64 expansion, a
33+53-bit pi/2) or 2^23 (float32 expansion, a four-part pi/4), beyond by Payne-Hanek in integers
(a window of 2/pi's bits chosen by the exponent, times the significand: 64-bit words in float64,
32-bit ones with 16-bit partial products in float32, as WGSL has no 64-bit integers). The float64
expansion puts it in an `ir.Branch` (an `if` in WebAssembly), so the common case pays nothing;
WGSL computes both sides and selects. Shared subexpressions (powers of the reduced argument) are
computed once by the renderers' CSE.

Adding a unary math function: its lax primitive (lax/lax.py, with its cpu kernel and rules), one
`register(...)` call here with its expansions, and its primitive -> op entry in
`kernel/lower.py:math_ops`. Devices read which ops they render from `ops()`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from jaxlite._src.kernel import ir
from jaxlite._src.kernel.ir import Binary, Bitcast, Cast, Const, Expr, Select, Unary, binary, rewrite

F64 = np.dtype(np.float64)
I64 = np.dtype(np.int64)
U64 = np.dtype(np.uint64)
F32 = np.dtype(np.float32)
I32 = np.dtype(np.int32)
U32 = np.dtype(np.uint32)
BOOL = np.dtype(np.bool_)


def c(v: float) -> Const:
    return Const(F64, float(v))


def sel(cond, t, f):
    return Select(t.dtype, cond, t, f)


def un(op, x):
    return Unary(x.dtype, op, x)


def horner(x, coeffs):
    """coeffs[0] + coeffs[1] x + ... evaluated by Horner's rule."""
    p = c(coeffs[-1])
    for k in reversed(coeffs[:-1]):
        p = p * x + k
    return p


# ---- float64 expansions ------------------------------------------------------------------------------

def _exp64(x):
    x = x.max(-800.0).min(800.0)  # beyond both f64 limits; NaN passes
    n = un("nearest", x * c(1 / math.log(2)))
    r = x - n * 0.6931471803691238 - n * 1.9082149292705877e-10  # ln2 hi + lo
    p = horner(r, [1 / math.factorial(k) for k in range(14)])
    # 2^n in two steps so that exponents down to -1074 and up to 1023 stay representable.
    ni = Cast(I64, n)
    h1 = ni >> 1
    h2 = ni - h1
    s1 = Bitcast(F64, (h1 + 1023) << 52)
    s2 = Bitcast(F64, (h2 + 1023) << 52)
    return p * s1 * s2


def _expm1_64(x):
    small = horner(x, [0.0] + [1 / math.factorial(k) for k in range(1, 16)])
    return sel(un("abs", x).lt(0.5), small, _exp64(x) - 1.0)


def _log64(x):
    bits = Bitcast(I64, x)
    e = (binary("shr_u", bits, Const(I64, 52)) & 0x7FF) - 1023
    m = Bitcast(F64, (bits & ((1 << 52) - 1)) | (0x3FF << 52))
    big = m.gt(c(math.sqrt(2)))
    m = sel(big, m * 0.5, m)
    e = Cast(F64, e) + sel(big, c(1.0), c(0.0))
    s = (m - 1.0) / (m + 1.0)
    s2 = s * s
    series = c(2.0) * s * horner(s2, [1 / (2 * k + 1) for k in range(10)])
    y = e * c(math.log(2)) + series
    # Subnormal f64 inputs cannot come from float32; zeros, negatives, inf and NaN are patched:
    y = sel(x.eq(0.0), c(-math.inf), y)
    y = sel(x.lt(0.0), c(math.nan), y)
    y = sel(x.eq(math.inf), x, y)
    return sel(x.ne(x), x, y)


def _log1p64(x):
    small = x * horner(x, [(-1) ** k / (k + 1) for k in range(8)])
    return sel(un("abs", x).lt(0.001), small, _log64(x + 1.0))


def _tanh64(x):
    a = un("abs", x)
    t = _expm1_64(c(2.0) * a.min(20.0))
    y = t / (t + 2.0)
    y = sel(x.lt(0.0), un("neg", y), y)
    return sel(x.ne(x), x, y)


def _logistic64(x):
    return c(1.0) / (c(1.0) + _exp64(un("neg", x)))


def _sincos_reduce(x):
    # pi/2 as a 33-bit head and a 53-bit tail (as musl's __rem_pio2f for medium arguments)
    k = un("nearest", x * c(2 / math.pi))
    r = x - k * 1.57079631090164184570e+00 - k * 1.58932547735281966916e-08
    q = Cast(I64, k) & 3
    return r, q


def _two_over_pi_words(n: int, zeros: int, width: int = 64) -> tuple:
    """`zeros` zero bits, then the bits of 2/pi after the binary point, as n words of `width`
    bits: pi by Machin's formula in integers, with 64 guard bits."""
    total = width * n
    bits = total + 64

    def atan_inv(k):  # atan(1/k) * 2^bits
        acc, term, j = 0, (1 << bits) // k, 0
        while term:
            acc += term // (2 * j + 1) * (-1) ** j
            term //= k * k
            j += 1
        return acc

    pi = 16 * atan_inv(5) - 4 * atan_inv(239)  # pi * 2^bits, off by a few units
    frac = ((1 << (2 * bits + total)) // pi * 2 >> bits) >> zeros  # floor(2^total * 2/pi) >> zeros
    return tuple((frac >> (width * (n - 1 - k))) & ((1 << width) - 1) for k in range(n))


# 25 zero bits first, so that the window of every float32 from 1 to 2^128 starts in word 0 or 1
_TWO_OVER_PI = _two_over_pi_words(4, 25)


def _sincos_reduce_narrow(x):
    """x * 2/pi mod 4 (as r, its nearest quadrant q) for an x of at most 24 significant bits
    (float32 and narrower) with 1 <= |x| < 2^128, exact in integers (Payne-Hanek): x = m 2^E
    with an integer m < 2^24, and only the bits of 2/pi from weight 2^(1-E) down matter mod 4
    (those above make multiples of 4). A 64-bit window W of them (plus the top half of the next
    one) times m, mod 2^64, is x * 2/pi mod 4 in fixed point with 62 fraction bits; the quadrant
    is its top two bits. Every float32 is then reduced to a small fraction of a float32 ulp,
    whatever its size."""
    bits = Bitcast(U64, un("abs", x))
    m = ((bits >> 29) & 0x7FFFFF) | (1 << 23)
    o = ((bits >> 52) & 0x7FF) - (1023 - 25 + 23 + 2)  # the window's first bit: E - 2 + 25
    j, s = (o >> 6).eq(0), o & 63
    words = [sel(j, Const(U64, _TWO_OVER_PI[k]), Const(U64, _TWO_OVER_PI[k + 1])) for k in range(3)]
    back = (Const(U64, 63) - s) & 63  # (a >> 1) >> (63 - s) is a >> (64 - s), 0 for s = 0

    def window(hi, lo):
        return (hi << s) | ((lo >> 1) >> back)

    w, w2 = window(words[0], words[1]), window(words[1], words[2])
    prod = m * w + ((m * (w2 >> 32)) >> 32) + (1 << 61)  # + 1/2: the nearest quadrant
    q = Cast(I64, prod >> 62)
    f = Cast(I64, prod & ((1 << 62) - 1)) - (1 << 61)
    r = Cast(F64, f) * c(math.pi / 2 * 2.0 ** -62)
    neg = x.lt(0.0)
    return sel(neg, un("neg", r), r), sel(neg, Const(I64, 4) - q, q) & 3


# 34 zero bits first: the window of every float64 from 2^20 to 2^1024 starts in word 0 .. 15
_TWO_OVER_PI_WIDE = _two_over_pi_words(19, 34)


def _sincos_reduce_wide(x):
    """(r, q) as _sincos_reduce_narrow for a float64 2^20 <= |x| < 2^1024: m < 2^53, so the
    window is chosen from 16 words, and the product runs to 126 fraction bits (m times the next
    word exactly, in 32-bit halves, plus the top of the one after): relative errors of 2^-52 even
    at the float64 closest to a multiple of pi/2 (about 2^-61 of a quadrant away)."""
    bits = Bitcast(U64, un("abs", x))
    m = (bits & ((1 << 52) - 1)) | (1 << 52)
    o = ((bits >> 52) & 0x7FF) - (1075 - 34 + 2)  # the window's first bit: E - 2 + 34
    j, s = o >> 6, o & 63
    back = (Const(U64, 63) - s) & 63

    def word(k):  # _TWO_OVER_PI_WIDE[j + k]
        out = Const(U64, _TWO_OVER_PI_WIDE[k + 15])
        for i in range(14, -1, -1):
            out = sel(j.eq(i), Const(U64, _TWO_OVER_PI_WIDE[k + i]), out)
        return out

    b = [word(k) for k in range(4)]
    w, w2, w3 = ((b[k] << s) | ((b[k + 1] >> 1) >> back) for k in range(3))
    low32 = 0xFFFFFFFF
    mh, ml, wh, wl = m >> 32, m & low32, w2 >> 32, w2 & low32
    a, bb = mh * wl, ml * wh
    t = (a & low32) + (bb & low32) + ((ml * wl) >> 32)
    hi = mh * wh + (a >> 32) + (bb >> 32) + (t >> 32)  # m * w2 / 2^64, exactly
    lo = m * w2  # mod 2^64
    w3h, w3l = w3 >> 32, w3 & low32
    lo3 = lo + mh * w3h + ((mh * w3l) >> 32) + ((ml * w3h) >> 32)  # + m * w3 / 2^64, to 3 units
    prod = m * w + hi + Cast(U64, lo3.lt(lo)) + (1 << 61)  # + the carry, + 1/2: the nearest quadrant
    q = Cast(I64, prod >> 62)
    f = Cast(F64, Cast(I64, prod & ((1 << 62) - 1)) - (1 << 61)) + Cast(F64, lo3) * c(2.0 ** -64)
    r = f * c(math.pi / 2 * 2.0 ** -62)
    neg = x.lt(0.0)
    return sel(neg, un("neg", r), r), sel(neg, Const(I64, 4) - q, q) & 3


def _narrow_arg(x) -> bool:
    """Whether the float64 argument is a cast from a float of at most 24 significant bits: the
    expansion may then use its exact reduction and shorter polynomials (a float32 result needs
    a relative error of 2^-30, not 2^-53)."""
    return isinstance(x, Cast) and x.x.dtype.kind == "f" and x.x.dtype.itemsize <= 4


def _sin_poly(r, terms=8):
    r2 = r * r
    return r * horner(r2, [(-1) ** k / math.factorial(2 * k + 1) for k in range(terms)])


def _cos_poly(r, terms=9):
    r2 = r * r
    return horner(r2, [(-1) ** k / math.factorial(2 * k) for k in range(terms)])


def _quadrant(q, s, co, shift):
    qq = (q + shift) & 3
    y = sel(qq.eq(0), s, sel(qq.eq(1), co, sel(qq.eq(2), un("neg", s), un("neg", co))))
    return y


def _sincos64(x, shift):
    # Cody-Waite is exact while k * (pi/2's 33-bit head) is (k < 2^20); beyond, Payne-Hanek, in
    # a branch: the common case does not pay for it
    r, q = _sincos_reduce(x)
    huge = un("abs", x).ge(2.0 ** 20)
    narrow = _narrow_arg(x)
    r_big, q_big = (_sincos_reduce_narrow if narrow else _sincos_reduce_wide)(x)
    r, q = ir.Branch(F64, huge, r_big, r), ir.Branch(I64, huge, q_big, q)
    if narrow:  # |r| <= pi/4: Taylor to degree 11 (sin) and 10 (cos) is within 2^-33 relative
        s, co = _sin_poly(r, 6), _cos_poly(r, 6)
    else:
        s, co = _sin_poly(r), _cos_poly(r)
    y = _quadrant(q, s, co, shift)
    return sel(un("abs", x).lt(math.inf), y, c(math.nan))


def _sin64(x):
    return _sincos64(x, 0)


def _cos64(x):
    return _sincos64(x, 1)


def _tan64(x):
    return _sin64(x) / _cos64(x)


def _atan64(x, narrow=None):
    """Taylor on |u| <= tan(pi/8): 16 terms for float32 results (2e-14), 24 for float64 ones."""
    narrow = _narrow_arg(x) if narrow is None else narrow
    a = un("abs", x)
    inv = a.gt(1.0)
    t = sel(inv, 1.0 / a, a)  # t in [0, 1]
    mid = t.gt(c(math.sqrt(2) - 1))
    u = sel(mid, (t - 1.0) / (t + 1.0), t)  # |u| <= tan(pi/8)
    u2 = u * u
    at = u * horner(u2, [(-1) ** k / (2 * k + 1) for k in range(16 if narrow else 24)])
    at = sel(mid, c(math.pi / 4) + at, at)
    at = sel(inv, c(math.pi / 2) - at, at)
    y = sel(x.lt(0.0), un("neg", at), at)
    return sel(x.ne(x), x, y)


def _asin64(x):
    y = _atan64(x / un("sqrt", (c(1.0) - x) * (c(1.0) + x)), _narrow_arg(x))
    return sel(un("abs", x).gt(1.0), c(math.nan), y)


def _acos64(x):
    return c(math.pi / 2) - _asin64(x)


def _sinh64(x):
    a = un("abs", x)
    small = horner(a, [0.0] + [1 / math.factorial(k) if k % 2 else 0.0 for k in range(1, 14)])
    e = _exp64(a)
    big = c(0.5) * (e - 1.0 / e)
    y = sel(a.lt(0.5), small, big)
    return sel(x.lt(0.0), un("neg", y), y)


def _cosh64(x):
    e = _exp64(un("abs", x))
    return c(0.5) * (e + 1.0 / e)


def _asinh64(x):
    a = un("abs", x)
    y = _log1p64(a + a * a / (c(1.0) + un("sqrt", a * a + 1.0)))
    y = sel(a.eq(math.inf), a, y)  # inf / inf above
    return sel(x.lt(0.0), un("neg", y), y)


def _acosh64(x):
    y = _log64(x + un("sqrt", (x - 1.0) * (x + 1.0)))
    return sel(x.lt(1.0), c(math.nan), y)


def _atanh64(x):
    return c(0.5) * _log1p64(c(2.0) * x / (c(1.0) - x))


def _isnan(x):
    return x.ne(x)


def _atan2_64(y, x):
    pi = math.pi
    neg_x = x.lt(0.0) | (x.eq(0.0) & Bitcast(I64, x).lt(0))
    neg_y = y.lt(0.0) | (y.eq(0.0) & Bitcast(I64, y).lt(0))
    sign = sel(neg_y, c(-1.0), c(1.0))
    inf = c(math.inf)
    ax, ay = un("abs", x), un("abs", y)
    r = _atan64(ay / ax, _narrow_arg(x) and _narrow_arg(y))
    r = sel(neg_x, c(pi) - r, r)
    r = sel(ay.eq(0.0), sel(neg_x, c(pi), c(0.0)), r)
    both_inf = ax.eq(inf) & ay.eq(inf)
    r = sel(both_inf, sel(neg_x, c(3 * pi / 4), c(pi / 4)), r)
    r = sel(ax.eq(inf) & ay.ne(inf), sel(neg_x, c(pi), c(0.0)), r)
    r = sel(ax.ne(inf) & (ay.eq(inf) | ax.eq(0.0)), sel(ay.eq(0.0), r, c(pi / 2)), r)
    r = sign * r
    return sel(_isnan(x) | _isnan(y), x + y, r)


def _pow64(x, y):
    """C's pow with float64 exp and log: float32 results correctly rounded in practice."""
    yint = un("floor", y).eq(y)
    half = y * 0.5
    yodd = yint & (un("floor", half).ne(half) & un("abs", y).lt(2.0 ** 53))
    ax = un("abs", x)
    mag = _exp64(y * _log64(ax))
    r = sel(x.lt(0.0) & yodd, un("neg", mag), mag)
    r = sel(x.lt(0.0) & Unary(BOOL, "not", yint), c(math.nan), r)
    inf = c(math.inf)
    # zeros, infinities and |x| == 1 as C specifies
    zero_r = sel(y.lt(0.0), inf, c(0.0))
    neg_zero = Bitcast(I64, x).lt(0)
    zero_r = sel(yodd & neg_zero, un("neg", zero_r), zero_r)
    r = sel(x.eq(0.0), zero_r, r)
    inf_r = sel(y.lt(0.0), c(0.0), inf)
    inf_r = sel(x.lt(0.0) & yodd, un("neg", inf_r), inf_r)
    r = sel(ax.eq(inf), inf_r, r)
    big_y = sel(ax.eq(1.0), c(1.0), sel(c(1.0).lt(ax).eq(c(0.0).lt(y)), inf, c(0.0)))
    r = sel(un("abs", y).eq(inf), big_y, r)
    r = sel(_isnan(x) | _isnan(y), x + y, r)
    return sel(y.eq(0.0) | x.eq(1.0), c(1.0), r)


def _cbrt64(x):
    a = un("abs", x)
    y = _exp64(_log64(a) * c(1 / 3))
    y = y - (y * y * y - a) / (c(3.0) * (y * y))  # one Newton step
    y = sel(x.lt(0.0), un("neg", y), y)
    special = x.eq(0.0) | _isnan(x) | a.eq(math.inf)
    return sel(special, x, y)


_ERF_SERIES = [(2 / math.sqrt(math.pi)) * (-1) ** k / (math.factorial(k) * (2 * k + 1)) for k in range(30)]
_ERFC_NR = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398,
            1.48851587, -0.82215223, 0.17087277]


def _erfc_tail64(a):
    """erfc(a) for a >= 0.5: Numerical Recipes' fit (fractional error < 1.2e-7: float32-grade)."""
    t = c(1.0) / (c(1.0) + 0.5 * a)
    return t * _exp64(un("neg", a * a) + horner(t, _ERFC_NR))


def _erf64(x):
    a = un("abs", x)
    series = x * horner(x * x, _ERF_SERIES)  # |x| < 2: 30 terms reach float64 rounding
    tail = c(1.0) - _erfc_tail64(a)
    tail = sel(x.lt(0.0), un("neg", tail), tail)
    return sel(a.lt(2.0) | _isnan(x), series, tail)


def _erfc64(x):
    a = un("abs", x)
    small = c(1.0) - x * horner(x * x, _ERF_SERIES)
    tail = _erfc_tail64(a)
    r = sel(x.lt(0.0), c(2.0) - tail, tail)
    return sel(a.lt(0.5) | _isnan(x), small, r)


# ---- float32 expansions, in float32 arithmetic only ----------------------------------------------------
# Comparisons are IEEE ones (NaN compares false; the WGSL renderer spells them out on the bits);
# `_signbit` is read from the bits, so that -0.0 keeps its sign where the C originals tested x < 0.

def _f(v: float) -> Const:
    return Const(F32, float(v))


def where(cond, on_true, on_false) -> Expr:
    """ir.where; two Python numbers make float32 constants."""
    if not isinstance(on_true, Expr) and not isinstance(on_false, Expr):
        on_true = _f(on_true)
    return ir.where(cond, on_true, on_false)


def _poly(x, coeffs):
    """coeffs[0] x^n + ... + coeffs[n], highest degree first as the C sources list them."""
    p = _f(coeffs[0])
    for k in coeffs[1:]:
        p = p * x + k
    return p


def _abs(x):
    return Unary(x.dtype, "abs", x)


def _sqrt(x):
    return Unary(x.dtype, "sqrt", x)


def _signbit(x):
    return Bitcast(I32, x).lt(0)


def _isinf(x):
    return _abs(x).eq(math.inf)


def _exp_poly32(r):
    """e^r for |r| <= ln2 / 2: cephes' minimax polynomial, 1 + r summed with its rounding error."""
    f = lambda v: Const(F32, v)  # noqa: E731
    p = f(1.9875691500e-4)
    for coef in (1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1):
        p = p * r + coef
    s = f(1.0) + r
    e = (f(1.0) - s) + r  # the exact rounding error of 1 + r, since |r| < 1 (Fast2Sum)
    return s + (e + (r * r) * p)


def _scale2(y, ni):
    """y * 2^ni in two exact steps, so that results down to the subnormals stay representable."""
    h = ni >> 1
    s1 = Bitcast(F32, (h + 127) << 23)
    s2 = Bitcast(F32, ((ni - h) + 127) << 23)
    return (y * s1) * s2


def _exp32(x, scale: int = 0):
    """e^x * 2^scale: n = round(x / ln 2), r = x - n ln 2 (two-part ln 2), e^r, then 2^(n+scale).
    Measured: within 0.8 ulp over 27M samples of [-110, 95]; overflow to inf, underflow to
    subnormals and 0. (scale = -1 gives e^x / 2 without overflowing first: sinh, cosh.)"""
    f = lambda v: Const(F32, v)  # noqa: E731
    xc = x.max(-104.0).min(89.0 if scale == 0 else 90.0)
    n = un("nearest", xc * 1.44269504088896341)
    r = (xc - n * 0.693359375) - n * -2.12194440e-4
    ni = Cast(I32, n)
    out = _scale2(_exp_poly32(r), ni + scale if scale else ni)
    return sel(x.ne(x), x, out)


def _exp2_32(x):
    xc = x.max(-151.0).min(129.0)  # beyond both ends of float32
    n = un("nearest", xc)
    out = _scale2(_exp_poly32((xc - n) * math.log(2)), Cast(I32, n))
    return where(x.ne(x), x, out)


def _expm1_32(x):
    small = x + (x * x) * _poly(x, [1 / math.factorial(k) for k in range(9, 1, -1)])  # |x| < 0.5: Taylor
    small = where(x.eq(0.0), x, small)  # -0.0
    return where(_abs(x).lt(0.5), small, _exp32(x) - 1.0)  # e^x - 1 loses < 2 bits for |x| >= 0.5


_LOGF = [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
         -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1]


def _log32(x):
    """cephes' logf: x = m 2^e with m in [sqrt(1/2), sqrt(2)), log(m) by a minimax polynomial,
    e ln 2 in two parts. Subnormals are scaled into the normal range first."""
    tiny = x.lt(1.1754943508222875e-38)
    xs = where(tiny, x * 8388608.0, x)  # 2^23
    bits = Bitcast(I32, xs)
    e = Cast(F32, ((bits >> 23) & 0xFF) - 126) - where(tiny, 23.0, 0.0)
    m = Bitcast(F32, (bits & 0x7FFFFF) | 0x3F000000)  # frexp: m in [0.5, 1)
    low = m.lt(0.70710678118654752)
    e = e - where(low, 1.0, 0.0)
    m = where(low, m + m - 1.0, m - 1.0)
    z = m * m
    y = _poly(m, _LOGF) * m * z
    y = y + e * -2.12194440e-4 - z * 0.5
    out = (m + y) + e * 0.693359375
    out = where(x.eq(math.inf), x, out)
    out = where(x.eq(0.0), -math.inf, out)
    return where(x.lt(0.0) | x.ne(x), math.nan, out)


def _log1p32(x):
    """log(1 + x) with the rounding of 1 + x corrected: log(u) * x / (u - 1)."""
    u = 1.0 + x
    lu = _log32(u)
    out = where(_abs(x).gt(1.0) | u.eq(math.inf), lu, lu * x / (u - 1.0))
    return where(u.eq(1.0), x, out)


def _tanh32(x):
    """cephes' tanhf: a polynomial below 0.625, (e^2a - 1) / (e^2a + 1) above; odd."""
    a = _abs(x)
    z = a * a
    small = _poly(z, [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1,
                      -3.33332819422e-1]) * z * a + a
    t = _exp32(2.0 * a.min(20.0)) - 1.0
    y = where(a.lt(0.625), small, t / (t + 2.0))
    return where(x.ne(x), x, where(_signbit(x), -y, y))


def _logistic32(x):
    e = _exp32(-_abs(x))  # e^-|x| cannot overflow: 1 / (1 + e^-x) would give 0 for subnormal results
    return where(x.ge(0.0), 1.0, e) / (1.0 + e)


# 2 zero bits first, so that the window of every float32 from 2^23 up starts at bit E = exponent - 23
_TWO_OVER_PI32 = _two_over_pi_words(7, 2, 32)


def _mulhi32(ml, mh, w):
    """The high 32 bits of m * w for m = mh 2^16 + ml < 2^24 and a u32 w, in 16-bit pieces
    (WGSL has no 64-bit integers)."""
    wl, wh = w & 0xFFFF, w >> 16
    mid = ml * wh
    t = mh * wl + (mid & 0xFFFF) + ((ml * wl) >> 16)
    return mh * wh + (mid >> 16) + (t >> 16)


def _payne_hanek32(ax):
    """(r, q): ax * 2/pi mod 4 = q + r / (pi/2), q its nearest quadrant, for a float32
    2^23 <= ax < 2^128, in 32-bit integers: ax = m 2^E, and only 2/pi's bits from weight 2^(1-E)
    down matter mod 4. A 96-bit window of them, shifted into place by E, times m gives the
    quadrant and 62 fraction bits (as in _sincos_reduce_narrow, there with 64-bit words)."""
    bits = Bitcast(U32, ax)
    m = (bits & 0x7FFFFF) | 0x800000
    e = (bits >> 23) - 150  # E in [0, 104]: the window starts at bit E of _TWO_OVER_PI32
    j, s = e >> 5, e & 31
    back = (Const(U32, 31) - s) & 31

    def word(k):  # _TWO_OVER_PI32[j + k]
        out = Const(U32, _TWO_OVER_PI32[k + 3])
        for i in (2, 1, 0):
            out = where(j.eq(i), Const(U32, _TWO_OVER_PI32[k + i]), out)
        return out

    b = [word(k) for k in range(4)]
    w0, w1, w2 = ((b[k] << s) | ((b[k + 1] >> 1) >> back) for k in range(3))
    ml, mh = m & 0xFFFF, m >> 16
    lo = m * w1  # mod 2^32
    low = lo + ((m >> 8) * (w2 >> 16) >> 8)  # + the top of m * w2 (to 2^-54 of a quadrant)
    high = m * w0 + _mulhi32(ml, mh, w1) + Cast(U32, low.lt(lo))  # mod 2^32: the carry
    high = high + 0x20000000  # + 1/2: the nearest quadrant
    q = high >> 30
    fi = Bitcast(I32, (high & 0x3FFFFFFF) - 0x20000000)  # the fraction's top 32 bits, signed
    fh = Cast(F32, fi)  # rounded to 24 bits; what it dropped is added with the low word
    fl = Cast(F32, fi - Cast(I32, fh)) * 4294967296.0 + Cast(F32, low)
    return fh * (math.pi / 2 * 2.0 ** -30) + fl * (math.pi / 2 * 2.0 ** -62), q


# pi/4 in four parts: the first three have at most 12 significant bits (their products with the
# 12-bit halves of j are exact), the last is the float32 rest.
_PIO4 = (0.78515625, 2.4187564849853516e-4, 3.7747668102383614e-8, 1.2816720757972595e-12)
_SIN = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1]
_COS = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2]


def _sincos32(x, want_cos: bool):
    """cephes' sinf/cosf: j = the even multiple of pi/4 nearest |x|, r = |x| - j pi/4 in
    Cody-Waite steps with j split into 12-bit halves (exact up to |x| = 2^23; beyond, the exact
    reduction in integers), a polynomial on [-pi/4, pi/4], octant j & 7 picks sin or cos and the
    sign."""
    ax = _abs(x)
    j = (Cast(U32, ax * 1.27323954473516) + 1) & 0xFFFFFFFE
    jh, jl, y = Cast(F32, j >> 12), Cast(F32, j & 0xFFF), Cast(F32, j)
    p1, p2, p3, p4 = _PIO4
    r = ax - jh * (p1 * 4096) - jl * p1 - jh * (p2 * 4096) - jl * p2 - jh * (p3 * 4096) - jl * p3 - y * p4
    big = ax.ge(8388608.0)
    r_big, q_big = _payne_hanek32(ax)
    r, j = where(big, r_big, r), where(big, q_big << 1, j)
    z = r * r
    s = _poly(z, _SIN) * z * r + r
    co = _poly(z, _COS) * z * z - z * 0.5 + 1.0
    q = (j + 2) & 7 if want_cos else j & 7
    v = where(((q >> 1) & 1).eq(1), co, s)
    neg = ((q >> 2) & 1).eq(1)
    if not want_cos:
        neg = neg ^ _signbit(x)
    return where(ax.lt(math.inf), where(neg, -v, v), math.nan)


def _sin32(x):
    return _sincos32(x, False)


def _cos32(x):
    return _sincos32(x, True)


def _tan32(x):
    return _sin32(x) / _cos32(x)


def _atan32(x):
    """cephes' atanf: reduced to |t| <= tan(pi/8) with atan(1/a) = pi/2 - atan(a) and the pi/4
    shift; one division."""
    a = _abs(x)
    big, mid = a.gt(2.414213562373095), a.gt(0.4142135623730950)
    y0 = where(big, math.pi / 2, where(mid, math.pi / 4, 0.0))
    t = where(big | mid, where(big, -1.0, a - 1.0) / where(big, a, a + 1.0), a)
    z = t * t
    y = y0 + _poly(z, [8.05374449538e-2, -1.38776856032e-1, 1.99777106478e-1, -3.33329491539e-1]) * z * t + t
    return where(x.ne(x), x, where(_signbit(x), -y, y))


def _asin32(x):
    a = _abs(x)
    y = _atan32(x / _sqrt((1.0 - x) * (1.0 + x)))
    y = where(a.eq(1.0), where(x.lt(0.0), -math.pi / 2, math.pi / 2), y)
    return where(a.gt(1.0), math.nan, y)


def _acos32(x):
    y = 2.0 * _atan32(_sqrt((1.0 - x) / (1.0 + x)))
    y = where(x.eq(-1.0), math.pi, y)
    return where(_abs(x).gt(1.0), math.nan, y)


def _sinh32(x):
    a = _abs(x)
    z = x * x
    small = _poly(z, [2.03721912945e-4, 8.33028376239e-3, 1.66667160211e-1]) * z * x + x
    h = _exp32(a, -1)  # e^a / 2, finite up to where sinh itself overflows
    big = h - 0.25 / h
    return where(a.lt(1.0), small, where(x.lt(0.0), -big, big))


def _cosh32(x):
    h = _exp32(_abs(x), -1)
    return h + 0.25 / h


def _asinh32(x):
    a = _abs(x)
    big = a.gt(1e18)  # asinh(a) = log(2a) there; a * a would overflow
    y = _log1p32(where(big, a, a + a * a / (1.0 + _sqrt(a * a + 1.0)))) + where(big, math.log(2), 0.0)
    return where(_signbit(x), -y, y)


def _acosh32(x):
    big = x.gt(1e18)
    t = x - 1.0
    y = _log1p32(where(big, x, t + _sqrt(2.0 * t + t * t))) + where(big, math.log(2), 0.0)
    return where(x.lt(1.0), math.nan, y)


def _atanh32(x):
    a = _abs(x)  # odd: for x near -1, 2x / (1 - x) near -1 would lose bits in log1p's 1 + t
    y = 0.5 * _log1p32(2.0 * a / (1.0 - a))
    return where(_signbit(x), -y, y)


def _rsqrt32(x):
    return 1.0 / _sqrt(x)


def _erf32(x):
    """The rational approximation on [-4, 4] that XLA (Eigen) uses for float32; erf(4) rounds to 1."""
    xc = x.max(-4.0).min(4.0)
    z = xc * xc
    num = _poly(z, [-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06, -5.69250639462346e-05,
                         -7.34990630326855e-04, -2.95459980854025e-03, -1.60960333262415e-02])
    den = _poly(z, [-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03, -7.37332916720468e-03,
                    -1.42647390514189e-02])
    return where(x.ne(x), x, xc * (num / den))  # x (p / q): x p would underflow for subnormal x


def _erfc32(x):
    """1 - erf below 0.5; above, exp(-x^2) times the Numerical Recipes rational fit (fractional
    error < 1.2e-7), with x^2 split into an exact part so that exp(-x^2) keeps its accuracy."""
    t = 1.0 / (1.0 + 0.5 * x)
    p = _poly(t, _ERFC_NR[::-1])
    hi = Bitcast(F32, Bitcast(U32, x) & 0xFFFFF000)
    lo = x - hi
    tail = t * _exp32(-hi * hi) * _exp32(p - lo * (x + hi))
    out = where(x.lt(0.5), 1.0 - _erf32(x), where(x.gt(10.1), 0.0, tail))
    return where(x.ne(x), x, out)


def _lgamma_pos32(x):
    """Lanczos (Numerical Recipes' gammln, relative error < 2e-10 in exact arithmetic), x >= 0.5."""
    tmp = x + 5.5
    ser = _f(1.000000000190015)
    for k, g in enumerate((76.18009172947146, -86.50532032941677, 24.01409824083091, -1.231739572450155,
                           1.208650973866179e-3, -5.395239384953e-6)):
        ser = ser + g / (x + float(k + 1))
    return (x + 0.5) * _log32(tmp) - tmp + _log32(2.5066282746310005 * ser / x)


def _lgamma32(x):
    """Lanczos for x >= 0.5, the reflection formula below; poles at the non-positive integers."""
    pos = x.ge(0.5)
    lp = _lgamma_pos32(where(pos, x, 1.0 - x))
    r = x - Unary(F32, "nearest", x)
    refl = math.log(math.pi) - _log32(_abs(_sin32(math.pi * r))) - lp  # pi / sin overflows for tiny x
    out = where(pos, lp, refl)
    out = where(x.eq(1.0) | x.eq(2.0), 0.0, out)
    out = where((x.le(0.0) & Unary(F32, "floor", x).eq(x)) | _isinf(x), math.inf, out)
    return where(x.ne(x), x, out)


def _digamma32(x):
    """Reflection for x < 0, then psi(x) = psi(x + 6) - sum 1/(x + k) below 6, then the
    asymptotic series."""
    neg = x.lt(0.0)
    r = x - Unary(F32, "nearest", x)
    acc0 = where(neg, -math.pi * _cos32(math.pi * r) / _sin32(math.pi * r), 0.0)
    xp = where(neg, 1.0 - x, x)
    shift = xp.lt(6.0)
    acc = acc0
    for k in range(6):
        acc = acc - 1.0 / (xp + float(k)) if k else acc - 1.0 / xp
    acc = where(shift, acc, acc0)
    xs = where(shift, xp + 6.0, xp)
    z = 1.0 / (xs * xs)
    out = (acc + _log32(xs) - 0.5 / xs
           - z * (0.08333333333333333 - z * (0.008333333333333333 - z * 0.003968253968253968)))
    out = where(x.eq(math.inf), x, out)
    out = where(x.le(0.0) & Unary(F32, "floor", x).eq(x), math.nan, out)  # poles (and -inf), as JAX
    return where(x.ne(x), x, out)


def _pow32(x, y):
    """C's pow: exp(y log|x|) (relative error grows with |y log x|), the sign for odd integer y,
    and C's special cases."""
    yint = Unary(F32, "floor", y).eq(y)
    yodd = yint & _abs(y).lt(16777216.0) & ((Cast(I32, _abs(y)) & 1).eq(1))
    ax = _abs(x)
    xneg = x.lt(0.0)
    mag = _exp32(y * _log32(ax))
    r = where(xneg & yodd, -mag, mag)
    r = where(xneg & ~yint, math.nan, r)
    r = where(_isinf(y), where(ax.eq(1.0), 1.0, where(ax.gt(1.0).eq(y.gt(0.0)), math.inf, 0.0)), r)
    inf_r = where(y.lt(0.0), 0.0, math.inf)
    r = where(ax.eq(math.inf), where(xneg & yodd, -inf_r, inf_r), r)
    zero_r = where(y.lt(0.0), math.inf, 0.0)
    r = where(x.eq(0.0), where(yodd & _signbit(x), -zero_r, zero_r), r)
    r = where(x.ne(x) | y.ne(y), x + y, r)
    return where(y.eq(0.0) | x.eq(1.0), 1.0, r)


def _atan2_32(y, x):
    pi = math.pi
    xneg = _signbit(x)
    r = _atan32(_abs(y / x))
    r = where(xneg, pi - r, r)
    r = where(_isinf(y) | x.eq(0.0), pi / 2, r)
    r = where(_isinf(x), where(xneg, pi, 0.0), r)
    r = where(_isinf(x) & _isinf(y), where(xneg, 3 * pi / 4, pi / 4), r)
    r = where(y.eq(0.0), where(xneg, pi, 0.0), r)
    out = where(_signbit(y), -r, r)
    return where(x.ne(x) | y.ne(y), x + y, out)


def _cbrt32(x):
    """exp(log|x| / 3), one Newton step, the sign."""
    tiny = _abs(x).lt(1.1754943508222875e-38)
    a = where(tiny, _abs(x) * 16777216.0, _abs(x))  # subnormals scaled by 2^24: y^3 stays normal
    y = _exp32(_log32(a) / 3.0)
    y = y - (y * y * y - a) / (3.0 * y * y)
    y = where(tiny, y * 0.00390625, y)  # / 2^8
    y = where(_signbit(x), -y, y)
    return where(x.eq(0.0) | x.ne(x) | _isinf(x), x, y)


# ---- the table -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MathFn:
    """One math op of the IR and its expansions (each maps IR of its float type to IR of the same)."""
    name: str
    f32: Callable | None  # in float32 arithmetic (targets without float64)
    f64: Callable | None = None  # in float64 arithmetic
    f64_accurate: bool = True  # False: the float64 expansion is float32-grade (float64 inputs stay on the host)
    simd_f32: bool = False  # float32 inputs use the float32 expansion on every target
    arity: int = 1


TABLE: dict[str, MathFn] = {}


def register(name: str, f32=None, f64=None, **kw) -> None:
    """Make `name` an IR math op with these expansions (see MathFn)."""
    fn = TABLE[name] = MathFn(name, f32, f64, **kw)
    (ir.MATH_UNARY if fn.arity == 1 else ir.MATH_BINARY).add(name)


register("exp", _exp32, _exp64, simd_f32=True)
register("exp2", _exp2_32, lambda x: _exp64(x * math.log(2)))
register("expm1", _expm1_32, _expm1_64)
register("log", _log32, _log64)
register("log1p", _log1p32, _log1p64)
register("tanh", _tanh32, _tanh64)
register("logistic", _logistic32, _logistic64)
register("sin", _sin32, _sin64)
register("cos", _cos32, _cos64)
register("tan", _tan32, _tan64)
register("atan", _atan32, _atan64)
register("asin", _asin32, _asin64)
register("acos", _acos32, _acos64)
register("sinh", _sinh32, _sinh64)
register("cosh", _cosh32, _cosh64)
register("asinh", _asinh32, _asinh64)
register("acosh", _acosh32, _acosh64)
register("atanh", _atanh32, _atanh64)
register("rsqrt", _rsqrt32, lambda x: 1.0 / un("sqrt", x))
register("cbrt", _cbrt32, _cbrt64, f64_accurate=False)
register("erf", _erf32, _erf64, f64_accurate=False)
register("erfc", _erfc32, _erfc64, f64_accurate=False)
register("pow", _pow32, _pow64, f64_accurate=False, arity=2)
register("atan2", _atan2_32, _atan2_64, arity=2)
register("lgamma", _lgamma32)
register("digamma", _digamma32)


def ops(float64: bool) -> frozenset:
    """The math ops a target can expand: with float64 arithmetic (WebAssembly) those with a float64
    expansion, without (WGSL) those with a float32 one."""
    return frozenset(name for name, fn in TABLE.items() if (fn.f64 if float64 else fn.f32) is not None)


def expansion(op: str, args, float64: bool = True) -> Expr:
    """The expansion of TABLE[op] over IR arguments of one float dtype (float16 computes in float32
    and rounds once). KeyError when the target has none for the dtype."""
    fn = TABLE[op]
    dt = args[0].dtype
    use64 = float64 and fn.f64 is not None and (dt == F64 or not fn.simd_f32)
    impl = fn.f64 if use64 else fn.f32
    if impl is None or (dt == F64 and not use64):
        raise KeyError(f"no {dt.name} expansion of {op}" + ("" if float64 else " without float64"))
    work = F64 if use64 else F32
    return impl(*(a if a.dtype == work else Cast(work, a) for a in args)).cast(dt)


def expand(exprs, float64: bool = True) -> tuple:
    """Replace every math op (ir.MATH_UNARY/MATH_BINARY) by its expansion; KeyError if one has none."""
    def fn(e, kids):
        if isinstance(e, (Unary, Binary)) and e.op in TABLE:
            return expansion(e.op, kids, float64)
        return None
    return rewrite(exprs, fn)
