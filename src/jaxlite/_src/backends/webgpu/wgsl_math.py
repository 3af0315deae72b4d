"""WGSL helper functions the renderer includes on demand: what WGSL leaves loose.

inf and NaN come from a runtime zero (`jl_zero`): in WGSL a constant expression that evaluates to
inf or NaN is a shader-creation error. NaN tests look at the bits because a compiler may fold
`x != x`. lax.max/min propagate NaN (WGSL's max/min need not); sqrt keeps IEEE's special values; float16
arithmetic in float32 registers rounds per operation; fmod is exact. The transcendental functions
are not here: they are float32 IR from the math table (kernel/math.py), rendered like any
other expression.

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
# sqrt with IEEE's special values on the bits (WGSL's sqrt is 1/inverseSqrt(x), loose at 0 and inf):
# +-0 and +inf are their own roots; negatives (not -0) and NaN give NaN.
_fn("sqrt", ("nan",), """
fn jl_sqrt(x: f32) -> f32 {
  let b = bitcast<u32>(x);
  let r = select(sqrt(x), x, (b & 0x7fffffffu) == 0u || b == 0x7f800000u);
  return select(r, jl_nan(), b > 0x7f800000u && b != 0x80000000u);
}""")
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
