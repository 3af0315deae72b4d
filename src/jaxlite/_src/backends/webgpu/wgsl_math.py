"""WGSL helper functions the renderer includes on demand: float32 math with predictable accuracy.

WGSL's builtins are only loosely specified (sin/cos: absolute error 2^-11 on [-pi, pi]; exp: 3 +
2|x| ulp), and GPUs take the liberty. So the common functions are written out here in float32
(Cody-Waite range reduction plus minimax polynomials, the classic single-precision algorithms),
within a few ulp over the float32 range. inf and NaN come from a runtime zero (`jl_zero`): in WGSL
a constant expression that evaluates to inf or NaN is a shader-creation error, and NaN tests look
at the bits because a compiler may fold `x != x`.

`LIB[name] = (dependencies, source)`.
"""

from __future__ import annotations

LIB: dict[str, tuple[tuple[str, ...], str]] = {}


def _fn(name, deps, src):
    LIB[name] = (tuple(deps), src.strip("\n"))


_fn("zero", (), "var<private> jl_zero: u32;")
_fn("inf", ("zero",), "fn jl_inf() -> f32 { return bitcast<f32>(0x7f800000u | jl_zero); }")
_fn("nan", ("zero",), "fn jl_nan() -> f32 { return bitcast<f32>(0x7fc00000u | jl_zero); }")
_fn("isnan", (), "fn jl_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }")
_fn("isinf", (), "fn jl_isinf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }")
# lax.max/min propagate NaN; WGSL's max/min need not.
# float16 arithmetic in float32 registers: round to the nearest float16 (ties to even), overflow to
# infinity, float16 subnormals on their 2^-24 grid.
_fn("f16", ("isnan", "inf"), """
fn jl_f16(x: f32) -> f32 {
  if (jl_isnan(x)) { return x; }
  let a = abs(x);
  var r: f32;
  if (a >= 65520.0) { r = jl_inf(); }
  else if (a < 6.103515625e-05) { r = round(a * 16777216.0) / 16777216.0; }
  else {
    let b = bitcast<u32>(a);
    r = bitcast<f32>((b + 0xfffu + ((b >> 13u) & 1u)) & 0xffffe000u);
  }
  return select(r, -r, x < 0.0 || (x == 0.0 && bitcast<u32>(x) != 0u));
}""")
_fn("max", ("isnan",), "fn jl_max(a: f32, b: f32) -> f32 { return select(max(a, b), a + b, jl_isnan(a) || jl_isnan(b)); }")
_fn("min", ("isnan",), "fn jl_min(a: f32, b: f32) -> f32 { return select(min(a, b), a + b, jl_isnan(a) || jl_isnan(b)); }")
_fn("sqrt", ("nan",), "fn jl_sqrt(x: f32) -> f32 { return select(sqrt(x), jl_nan(), x < 0.0); }")
# XLA's float -> int conversion: saturate, NaN -> 0.
# Exact fmod: subtract the largest |b| * 2^k <= r until r < |b|; every subtraction is exact.
_fn("fmod", ("nan", "isnan", "isinf"), """
fn jl_fmod(a: f32, b: f32) -> f32 {
  let ab = abs(b);
  if (jl_isnan(a) || jl_isnan(b) || jl_isinf(a) || ab == 0.0) { return jl_nan(); }
  var r = abs(a);
  for (var it = 0; it < 300 && r >= ab; it++) {
    var d = ldexp(ab, frexp(r).exp - frexp(ab).exp);
    if (d > r) { d = d * 0.5; }
    r = r - d;
  }
  return select(r, -r, a < 0.0 || (a == 0.0 && bitcast<u32>(a) != 0u));
}""")
_fn("exp", ("inf", "isnan"), """
fn jl_exp(x: f32) -> f32 {
  if (jl_isnan(x)) { return x; }
  if (x > 88.72284) { return jl_inf(); }
  if (x < -103.97208) { return 0.0; }
  let n = floor(x * 1.44269504088896341 + 0.5);
  let r = (x - n * 0.693359375) - n * -2.12194440e-4;
  let z = r * r;
  let p = ((((((1.9875691500e-4 * r + 1.3981999507e-3) * r + 8.3334519073e-3) * r + 4.1665795894e-2) * r
             + 1.6666665459e-1) * r + 5.0000001201e-1) * z + r) + 1.0;
  // 2^n in two steps so that results down to the subnormals stay representable
  let h = i32(n) / 2;
  return ldexp(ldexp(p, h), i32(n) - h);
}""")
_fn("log", ("inf", "nan", "isnan"), """
fn jl_log(x0: f32) -> f32 {
  if (jl_isnan(x0) || x0 < 0.0) { return jl_nan(); }
  if (x0 == 0.0) { return -jl_inf(); }
  if (x0 == jl_inf()) { return x0; }
  let fr = frexp(x0);
  var x = fr.fract;
  var e = f32(fr.exp);
  if (x < 0.70710678118654752) { e = e - 1.0; x = x + x - 1.0; } else { x = x - 1.0; }
  let z = x * x;
  var y = ((((((((7.0376836292e-2 * x - 1.1514610310e-1) * x + 1.1676998740e-1) * x - 1.2420140846e-1) * x
              + 1.4249322787e-1) * x - 1.6668057665e-1) * x + 2.0000714765e-1) * x - 2.4999993993e-1) * x
              + 3.3333331174e-1) * x * z;
  y = y + e * -2.12194440e-4 - 0.5 * z;
  return (x + y) + e * 0.693359375;
}""")
_fn("expm1", ("exp", "log"), """
fn jl_expm1(x: f32) -> f32 {
  if (abs(x) < 1e-5) { return x + 0.5 * x * x; }
  let u = jl_exp(x);
  if (u == 1.0 || abs(x) > 1.0) { return select(u - 1.0, x, u == 1.0); }
  return (u - 1.0) * x / jl_log(u);
}""")
_fn("log1p", ("log",), """
fn jl_log1p(x: f32) -> f32 {
  let u = 1.0 + x;
  if (u == 1.0) { return x; }
  let l = jl_log(u);
  if (abs(x) > 1.0 || u == jl_inf()) { return l; }
  return l * x / (u - 1.0);
}""")
_fn("tanh", ("expm1", "isnan"), """
fn jl_tanh(x: f32) -> f32 {
  let a = abs(x);
  var y: f32;
  if (a < 0.625) {
    let z = x * x;
    return ((((-5.70498872745e-3 * z + 2.06390887954e-2) * z - 5.37397155531e-2) * z + 1.33314422036e-1) * z
            - 3.33332819422e-1) * z * x + x;
  }
  if (jl_isnan(x)) { return x; }
  let t = jl_expm1(2.0 * min(a, 20.0));
  y = t / (t + 2.0);
  return select(y, -y, x < 0.0);
}""")
_fn("logistic", ("exp",), """
fn jl_logistic(x: f32) -> f32 { return 1.0 / (1.0 + jl_exp(-x)); }""")
# sin/cos: reduction by pi/4 in three float32 parts (exact products for |x| < 8192 * pi), polynomials
# on [-pi/4, pi/4]; larger arguments fall back to the builtins.
_fn("sincos", ("nan", "isinf"), """
fn jl_sincos(x: f32, want_cos: bool) -> f32 {
  if (jl_isinf(x)) { return jl_nan(); }
  let ax = abs(x);
  if (ax > 25735.9) { return select(sin(x), cos(x), want_cos); }
  var j = u32(ax * 1.27323954473516);
  j = (j + 1u) & 0xfffffffeu;
  let y = f32(j);
  let r = ((ax - y * 0.78515625) - y * 2.4187564849853515625e-4) - y * 3.77489497744594108e-8;
  let z = r * r;
  let s = ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * r + r;
  let c = ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z - 0.5 * z + 1.0;
  var q = j & 7u;
  if (want_cos) { q = q + 2u; }
  let use_cos = ((q >> 1u) & 1u) == 1u;
  var v = select(s, c, use_cos);
  var neg = ((q >> 2u) & 1u) == 1u;
  if (!want_cos && x < 0.0) { neg = !neg; }
  return select(v, -v, neg);
}
fn jl_sin(x: f32) -> f32 { return jl_sincos(x, false); }
fn jl_cos(x: f32) -> f32 { return jl_sincos(x, true); }""")
_fn("tan", ("sincos",), "fn jl_tan(x: f32) -> f32 { return jl_sin(x) / jl_cos(x); }")
_fn("sinh", ("exp",), """
fn jl_sinh(x: f32) -> f32 {
  let a = abs(x);
  var y: f32;
  if (a < 1.0) {
    let z = x * x;
    return ((2.03721912945e-4 * z + 8.33028376239e-3) * z + 1.66667160211e-1) * z * x + x;
  }
  if (a > 88.0) { y = jl_exp(a - 0.6931471805599453); } else { let e = jl_exp(a); y = 0.5 * (e - 1.0 / e); }
  return select(y, -y, x < 0.0);
}""")
_fn("cosh", ("exp",), """
fn jl_cosh(x: f32) -> f32 {
  let a = abs(x);
  if (a > 88.0) { return jl_exp(a - 0.6931471805599453); }
  let e = jl_exp(a);
  return 0.5 * (e + 1.0 / e);
}""")
_fn("asinh", ("log", "log1p"), """
fn jl_asinh(x: f32) -> f32 {
  let a = abs(x);
  var y: f32;
  if (a > 1e18) { y = jl_log(a) + 0.6931471805599453; }
  else { y = jl_log1p(a + a * a / (1.0 + sqrt(a * a + 1.0))); }
  return select(y, -y, x < 0.0);
}""")
_fn("acosh", ("log", "log1p", "nan"), """
fn jl_acosh(x: f32) -> f32 {
  if (x < 1.0) { return jl_nan(); }
  if (x > 1e18) { return jl_log(x) + 0.6931471805599453; }
  let t = x - 1.0;
  return jl_log1p(t + sqrt(2.0 * t + t * t));
}""")
_fn("atanh", ("log1p",), "fn jl_atanh(x: f32) -> f32 { return 0.5 * jl_log1p(2.0 * x / (1.0 - x)); }")
_fn("atan", ("isnan",), """
fn jl_atan(x: f32) -> f32 {
  if (jl_isnan(x)) { return x; }
  let a = abs(x);
  var y0 = 0.0;
  var t = a;
  if (a > 2.414213562373095) { y0 = 1.5707963267948966; t = -1.0 / a; }
  else if (a > 0.4142135623730950) { y0 = 0.7853981633974483; t = (a - 1.0) / (a + 1.0); }
  let z = t * t;
  let y = y0 + (((8.05374449538e-2 * z - 1.38776856032e-1) * z + 1.99777106478e-1) * z - 3.33329491539e-1) * z * t + t;
  return select(y, -y, x < 0.0);
}""")
_fn("asin", ("atan", "nan"), """
fn jl_asin(x: f32) -> f32 {
  if (abs(x) > 1.0) { return jl_nan(); }
  if (abs(x) == 1.0) { return select(1.5707963267948966, -1.5707963267948966, x < 0.0); }
  return jl_atan(x / sqrt((1.0 - x) * (1.0 + x)));
}""")
_fn("acos", ("atan", "nan"), """
fn jl_acos(x: f32) -> f32 {
  if (abs(x) > 1.0) { return jl_nan(); }
  if (x == -1.0) { return 3.14159265358979; }
  return 2.0 * jl_atan(sqrt((1.0 - x) / (1.0 + x)));
}""")
_fn("atan2", ("atan", "isnan", "isinf"), """
fn jl_atan2(y: f32, x: f32) -> f32 {
  if (jl_isnan(x) || jl_isnan(y)) { return x + y; }
  let pi = 3.14159265358979;
  let ysign = select(1.0, -1.0, y < 0.0 || (y == 0.0 && bitcast<u32>(y) != 0u));
  let xneg = x < 0.0 || (x == 0.0 && bitcast<u32>(x) != 0u);
  if (y == 0.0) { return ysign * select(0.0, pi, xneg); }
  if (jl_isinf(x) && jl_isinf(y)) { return ysign * select(0.7853981633974483, 2.356194490192345, xneg); }
  if (jl_isinf(x)) { return ysign * select(0.0, pi, xneg); }
  if (jl_isinf(y) || x == 0.0) { return ysign * 1.5707963267948966; }
  let q = abs(y / x);
  var r = jl_atan(q);
  if (xneg) { r = pi - r; }
  return ysign * r;
}""")
_fn("rsqrt", ("sqrt",), "fn jl_rsqrt(x: f32) -> f32 { return 1.0 / jl_sqrt(x); }")
_fn("exp2", ("exp", "inf", "isnan"), """
fn jl_exp2(x: f32) -> f32 {
  if (jl_isnan(x)) { return x; }
  if (x >= 128.0) { return jl_inf(); }
  if (x < -150.0) { return 0.0; }
  let n = round(x);
  let h = i32(n) / 2;
  return ldexp(ldexp(jl_exp((x - n) * 0.6931471805599453), h), i32(n) - h);
}""")
# erf: the rational approximation on [-4, 4] used by XLA/Eigen for float32 (erf(4) rounds to 1).
_fn("erf", ("isnan",), """
fn jl_erf(x0: f32) -> f32 {
  if (jl_isnan(x0)) { return x0; }
  let x = clamp(x0, -4.0, 4.0);
  let z = x * x;
  let a = x * ((((((-2.72614225801306e-10 * z + 2.77068142495902e-08) * z - 2.10102402082508e-06) * z
              - 5.69250639462346e-05) * z - 7.34990630326855e-04) * z - 2.95459980854025e-03) * z - 1.60960333262415e-02);
  let b = (((-1.45660718464996e-05 * z - 2.13374055278905e-04) * z - 1.68282697438203e-03) * z - 7.37332916720468e-03) * z
          - 1.42647390514189e-02;
  return a / b;
}""")
_fn("cbrt", ("isnan", "isinf"), """
fn jl_cbrt(x: f32) -> f32 {
  if (x == 0.0 || jl_isnan(x) || jl_isinf(x)) { return x; }
  let a = abs(x);
  var y = exp2(log2(a) / 3.0);
  y = y - (y * y * y - a) / (3.0 * y * y);
  return select(y, -y, x < 0.0);
}""")
# erfc: 1 - erf below 0.5; above, exp(-x^2) times the Numerical Recipes rational fit (fractional
# error < 1.2e-7), with x^2 split into an exact part so that exp(-x^2) keeps its accuracy.
_fn("erfc", ("erf", "exp", "isnan"), """
fn jl_erfc(x: f32) -> f32 {
  if (jl_isnan(x)) { return x; }
  if (x < 0.5) { return 1.0 - jl_erf(x); }
  if (x > 10.1) { return 0.0; }
  let t = 1.0 / (1.0 + 0.5 * x);
  let p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807
          + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  let hi = bitcast<f32>(bitcast<u32>(x) & 0xfffff000u);
  let lo = x - hi;
  return t * jl_exp(-hi * hi) * jl_exp(p - lo * (x + hi));
}""")
# lgamma: Lanczos (Numerical Recipes' gammln, relative error < 2e-10 in exact arithmetic) for x >= 0.5,
# the reflection formula below; poles at the non-positive integers give inf.
_fn("lgamma", ("log", "sincos", "inf", "isnan", "isinf"), """
fn jl_lgamma_pos(x: f32) -> f32 {
  let tmp = x + 5.5;
  let ser = 1.000000000190015 + 76.18009172947146 / (x + 1.0) - 86.50532032941677 / (x + 2.0)
            + 24.01409824083091 / (x + 3.0) - 1.231739572450155 / (x + 4.0) + 1.208650973866179e-3 / (x + 5.0)
            - 5.395239384953e-6 / (x + 6.0);
  return (x + 0.5) * jl_log(tmp) - tmp + jl_log(2.5066282746310005 * ser / x);
}
fn jl_lgamma(x: f32) -> f32 {
  if (jl_isnan(x)) { return x; }
  if (jl_isinf(x)) { return jl_inf(); }
  if (x <= 0.0 && fract(x) == 0.0) { return jl_inf(); }
  if (x == 1.0 || x == 2.0) { return 0.0; }
  if (x >= 0.5) { return jl_lgamma_pos(x); }
  let r = x - round(x);
  return jl_log(3.14159265358979 / abs(jl_sin(3.14159265358979 * r))) - jl_lgamma_pos(1.0 - x);
}""")
# digamma: the recurrence up to x >= 6, then the asymptotic series; reflection for x < 0.
_fn("digamma", ("log", "sincos", "nan", "isnan"), """
fn jl_digamma(x0: f32) -> f32 {
  if (jl_isnan(x0)) { return x0; }
  if (x0 <= 0.0 && fract(x0) == 0.0) { return jl_nan(); }  // poles (and -inf), as JAX

  if (x0 == jl_inf()) { return x0; }
  var x = x0;
  var acc = 0.0;
  if (x < 0.0) {
    let r = x - round(x);
    acc = -3.14159265358979 * jl_cos(3.14159265358979 * r) / jl_sin(3.14159265358979 * r);
    x = 1.0 - x;
  }
  for (var k = 0; k < 8 && x < 6.0; k++) { acc = acc - 1.0 / x; x = x + 1.0; }
  let z = 1.0 / (x * x);
  return acc + jl_log(x) - 0.5 / x - z * (0.08333333333333333 - z * (0.008333333333333333 - z * 0.003968253968253968));
}""")
# lax.pow for floats: C's pow, with exp and log in float32 (relative error grows with |y log x|).
_fn("pow", ("exp", "log", "isnan", "inf", "nan"), """
fn jl_pow(x: f32, y: f32) -> f32 {
  if (y == 0.0 || x == 1.0) { return 1.0; }
  if (jl_isnan(x) || jl_isnan(y)) { return x + y; }
  let yint = fract(y) == 0.0;
  let yodd = yint && abs(y) < 16777216.0 && (i32(abs(y)) & 1) == 1;
  let ax = abs(x);
  if (x == 0.0) {
    let r = select(0.0, jl_inf(), y < 0.0);
    return select(r, select(r, -r, bitcast<u32>(x) != 0u), yodd);
  }
  if (ax == jl_inf()) {
    let r = select(jl_inf(), 0.0, y < 0.0);
    return select(r, -r, x < 0.0 && yodd);
  }
  if (abs(y) == jl_inf()) {
    if (ax == 1.0) { return 1.0; }
    return select(0.0, jl_inf(), (ax > 1.0) == (y > 0.0));
  }
  if (x < 0.0 && !yint) { return jl_nan(); }
  let r = jl_exp(y * jl_log(ax));
  return select(r, -r, x < 0.0 && yodd);
}""")


def library(names) -> str:
    """The sources of the named helpers and their dependencies, dependencies first."""
    out: list[str] = []
    seen: set = set()
    for n in sorted(names):
        _add(n, out, seen)
    return "\n".join(out)


def _add(name: str, out: list, seen: set) -> None:
    if name in seen:
        return
    seen.add(name)
    deps, src = LIB[name]
    for d in deps:
        _add(d, out, seen)
    out.append(src)
