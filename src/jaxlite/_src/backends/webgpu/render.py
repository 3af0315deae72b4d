"""Render a kernel-IR Kernel as a WGSL compute shader.

Two strategies:
- "map": one invocation per output position i (a 2-D grid of 256-wide workgroups, since a grid
  dimension holds at most 65535 workgroups); inner Reduces are loops in the invocation.
- "wg": a kernel whose single output is a Reduce, one workgroup per output (or per chunk of it
  when `split` > 1, for few outputs over a long axis): 256 invocations stride over the reduced
  axis, then a tree in workgroup memory. Chunk partials are reduced by a second kernel.

Bindings: inputs 0..k-1 (read-only storage), outputs, then a uniform `p` with the output count
`n` and the grid row width `stride`, so one pipeline serves every size of a kernel. With `packed`,
all inputs come in one buffer of 32-bit words at offsets given in `p.off` (for kernels with more
inputs than the adapter's storage-buffer limit). A kernel's scalar parameters (ir.Param: the
Python scalar of an eager `a + 1`) are 32-bit words in `p.prm`, written with the launch, so one
pipeline serves every value.

Values are kept in 32-bit registers: bool and 8/16-bit integers are stored as 32-bit words. The
device legalizes every kernel first (kernel/legalize.py: XLA's integer division, shifts,
narrow-integer wrap and saturating casts as plain IR), so each node here is the raw WGSL
operation; a cast to an 8/16-bit integer wraps. What stays here is WGSL's own quirks: NaN-safe
float comparisons (compilers may assume no NaNs), NaN-propagating float max/min, float16 rounding,
float arithmetic on literals folded here (WGSL rejects a constant expression whose value is
infinite or NaN), and products and quotients with a literal zero or infinity spelled out on the
bits (compilers fold x * 0.0 to 0.0; complex kernels need NaN there).
Every intermediate is a `let` (common subexpressions once); a value is placed in the outermost
loop it does not depend on.
"""

from __future__ import annotations

import numpy as np

from jaxlite._src.backends.webgpu import wgsl_math
from jaxlite._src.kernel import ir, legalize
from jaxlite._src.kernel import math as kmath
from jaxlite._src.kernel.ir import (Binary, Bitcast, Cast, Const, Expr, Index, Load, Param, Reduce, RIndex, Select,
                                    Unary)

WG = 256


class Unsupported(NotImplementedError):
    """The kernel uses a dtype or operation the WGSL renderer does not implement."""


_REG = {"f4": "f32", "f2": "f32", "i4": "i32", "u4": "u32", "b1": "bool", "i1": "i32", "u1": "u32", "i2": "i32",
        "u2": "u32"}
_BITS = {"i1": 8, "u1": 8, "i2": 16, "u2": 16}


def code(dtype) -> str:
    c = ir.dtype_code(dtype)
    if c not in _REG:
        raise Unsupported(f"dtype {np.dtype(dtype).name} is not supported by WGSL")
    return c


def reg(dtype) -> str:
    return _REG[code(dtype)]


def storage(dtype) -> str:
    """The element type of a buffer holding this dtype (bool is a 32-bit word)."""
    r = reg(dtype)
    return "u32" if r == "bool" else r


def _is_float(dtype) -> bool:
    return np.dtype(dtype).kind == "f"


class _Scope:
    def __init__(self, level):
        self.level = level
        self.lines: list[str] = []
        self.names: dict = {}


class _Emitter:
    def __init__(self, in_dtypes, packed: bool):
        self.in_dtypes = in_dtypes
        self.packed = packed
        self.scopes = [_Scope(None)]
        self.helpers: set = set()
        self.count = 0
        self._levels: dict = {}
        self.index_name = "i"
        self.lane_vectors: dict = {}  # arg -> (vec4 name, lane) for contiguous loads in a lane
        self.folded: dict = {}  # float arithmetic on literals -> its Const (see `fold`)

    # -- placement -----------------------------------------------------------------------------

    def levels(self, e: Expr) -> frozenset:
        got = self._levels.get(e)
        if got is None:
            if isinstance(e, RIndex):
                got = frozenset((e.level,))
            elif isinstance(e, Index):  # the vec4 strategy's lane scopes depend on it
                got = frozenset(("lane",))
            elif isinstance(e, Reduce):
                got = self.levels(e.body) - {e.level}
            else:
                got = frozenset().union(*(self.levels(c) for c in ir.children(e)))
            self._levels[e] = got
        return got

    def _target(self, e: Expr) -> int:
        lv = self.levels(e)
        for j in range(len(self.scopes) - 1, 0, -1):
            if self.scopes[j].level in lv:
                return j
        return 0

    def fresh(self, prefix="t") -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def helper(self, name: str) -> str:
        self.helpers.add(name)
        return f"jl_{name}"

    # -- values ----------------------------------------------------------------------------------

    def value(self, e: Expr) -> str:
        if isinstance(e, Const):
            return self.literal(e.value, e.dtype)
        if isinstance(e, Index):
            return self.index_name
        if isinstance(e, RIndex):
            return f"r{e.level}"
        for sc in reversed(self.scopes):
            name = sc.names.get(e)
            if name is not None:
                return name
        target = self._target(e)
        if isinstance(e, Reduce):
            return self._loop_reduce(e, target)
        text = self._expr(e)
        if isinstance(e, (Cast, Bitcast)) and code(e.dtype) != "f2" and text == self.value(e.x):
            self.scopes[target].names[e] = text  # same register type and bits: nothing to compute
            return text
        if code(e.dtype) == "f2" and isinstance(e, (Unary, Binary, Cast)):
            text = f"{self.helper('f16')}({text})"  # float16 computes in float32, rounded per operation
        name = self.fresh()
        self.scopes[target].lines.append(f"let {name} = {text};")
        self.scopes[target].names[e] = name
        return name

    def literal(self, v, dtype) -> str:
        c = code(dtype)
        if c == "b1":
            return "true" if v else "false"
        if c in ("f4", "f2"):
            v = float(np.dtype(dtype).type(v))
            if np.isnan(v):
                return f"{self.helper('nan')}()"
            if np.isinf(v):
                return f"{'-' if v < 0 else ''}{self.helper('inf')}()"
            return f"{v!r}f"
        v = int(v)
        if reg(dtype) == "u32":
            return f"{v & 0xFFFFFFFF}u"
        return "(-2147483647i - 1i)" if v == -(1 << 31) else f"{v}i"

    def load(self, e: Load) -> str:
        if e.arg == len(self.in_dtypes):  # a serial scatter's own output, the old value (render_scatter)
            r = reg(e.dtype)
            word = f"out0[{self.value(e.index)}]"
            return f"({word} != 0u)" if r == "bool" else (word if r == "u32" else f"bitcast<{r}>({word})")
        dt = self.in_dtypes[e.arg]
        if e.arg in self.lane_vectors and isinstance(e.index, Index):
            vec, lane = self.lane_vectors[e.arg]
            word = f"{vec}.{'xyzw'[lane]}"
            return f"({word} != 0u)" if reg(dt) == "bool" else word
        idx = self.value(e.index)
        if self.packed:
            word = f"pk[u32({idx}) + p.off[{e.arg // 4}][{e.arg % 4}]]"
            r = reg(dt)
            return f"({word} != 0u)" if r == "bool" else (word if r == "u32" else f"bitcast<{r}>({word})")
        if reg(dt) == "bool":
            return f"(in{e.arg}[{idx}] != 0u)"
        return f"in{e.arg}[{idx}]"

    def wrap(self, text: str, dtype) -> str:
        """Keep an 8/16-bit integer in range in its 32-bit register."""
        bits = _BITS.get(code(dtype))
        if bits is None:
            return text
        if np.dtype(dtype).kind == "i":
            return f"(({text} << {32 - bits}u) >> {32 - bits}u)"
        return f"({text} & {(1 << bits) - 1}u)"

    def _expr(self, e: Expr) -> str:
        if isinstance(e, Load):
            return self.load(e)
        if isinstance(e, Param):
            word, r = f"p.prm[{e.arg // 4}][{e.arg % 4}]", reg(e.dtype)
            return f"({word} != 0u)" if r == "bool" else (word if r == "u32" else f"bitcast<{r}>({word})")
        if isinstance(e, Unary):
            return self._unary(e)
        if isinstance(e, Binary):
            return self._binary(e)
        if isinstance(e, Select):
            return f"select({self.value(e.on_false)}, {self.value(e.on_true)}, {self.value(e.cond)})"
        if isinstance(e, Cast):
            return self._cast(e)
        if isinstance(e, Bitcast):
            return self._bitcast(e)
        raise Unsupported(f"IR node {type(e).__name__}")

    def _math(self, e) -> str:
        """A math op left in a kernel that GPUKernel did not prepare (jit's `as_text`): its
        float32 expansion from the math table."""
        return self.value(kmath.expansion(e.op, ir.children(e), float64=False))

    def _unary(self, e: Unary) -> str:
        if e.op in kmath.TABLE:
            return self._math(e)
        x = self.value(e.x)
        dt, op = e.dtype, e.op
        if _is_float(dt):
            folded = self.fold(e, (e.x,))
            if folded is not None:
                return folded
            if op == "neg":
                return f"-{x}"
            if op in ("abs", "floor", "ceil", "trunc"):
                return f"{op}({x})"
            if op == "nearest":
                return f"round({x})"  # half to even
            if op == "sqrt":
                return f"{self.helper('sqrt')}({x})"
            raise Unsupported(f"unary {op} on {dt} in WGSL")
        r = reg(dt)
        if op == "neg":
            return f"(0u - {x})" if r == "u32" else f"(-{x})"
        if op == "abs" and r == "i32":
            return f"abs({x})"
        if op == "not":
            return f"(!{x})" if r == "bool" else f"(~{x})"
        if op == "popcnt" and r != "bool":
            return f"{r}(countOneBits({x}))"
        raise Unsupported(f"unary {op} on {dt} in WGSL")

    def _binary(self, e: Binary) -> str:
        if e.op in kmath.TABLE:
            return self._math(e)
        if e.op in ir.COMPARISONS and _is_float(e.a.dtype):
            return self._float_compare(e)
        a, b = self.value(e.a), self.value(e.b)
        if _is_float(e.dtype):
            special = self.fold(e, (e.a, e.b)) or self._special_operand(e, a, b)
            if special is not None:
                return special
        return self.binary_text(e.op, a, b, e.a.dtype)

    def const(self, e: Expr):
        """e as a Const when it is one or was folded into one (its operands rendered first)."""
        return e if isinstance(e, Const) else self.folded.get(e)

    def fold(self, e, operands) -> str | None:
        """Float arithmetic on literals computed here in IEEE arithmetic (numpy, per operation in
        e's dtype): WGSL evaluates it when the shader is created and rejects every such expression
        whose value is infinite or NaN (`3.0f / 0.0f`, from a complex mean's Smith division)."""
        fn = _FOLD.get(e.op)
        vals = [self.const(x) for x in operands]
        if fn is None or any(v is None for v in vals):
            return None
        t = np.dtype(e.dtype).type
        with np.errstate(all="ignore"):
            c = self.folded[e] = Const(e.dtype, float(fn(*(t(v.value) for v in vals))))
        return self.literal(c.value, c.dtype)

    def _special_operand(self, e: Binary, a: str, b: str) -> str | None:
        """A product or quotient with a literal zero, infinity or NaN, as IEEE defines it: WGSL
        leaves infinities and NaN indeterminate, and compilers fold `x * 0.0` to 0.0 (SwiftShader)
        where XLA gives NaN for an infinite x (the imaginary part of inf * (1 + 0i))."""
        if e.op not in ("mul", "div"):
            return None
        ka, kb = self.const(e.a), self.const(e.b)
        if any(k is not None and np.isnan(k.value) for k in (ka, kb)):
            return f"{self.helper('nan')}()"
        if e.op == "mul" and kb is None and ka is not None:  # the literal on the right
            ka, kb, a, b = kb, ka, b, a
        if kb is None or np.isfinite(kb.value) and kb.value != 0:
            return None
        # x * 0 and x / inf are zeros (NaN for infinite x); x * inf and x / 0 infinities (NaN for zero x)
        bits, nan = f"bitcast<u32>({a})", f"{self.helper('nan')}()"
        sign = f"({bits} & 0x80000000u)" if not np.signbit(kb.value) else f"(~{bits} & 0x80000000u)"
        if (kb.value == 0) == (e.op == "mul"):
            return f"select(bitcast<f32>({sign}), {nan}, ({bits} & 0x7fffffffu) >= 0x7f800000u)"
        mag = f"({bits} & 0x7fffffffu)"
        return f"select(bitcast<f32>({sign} | 0x7f800000u), {nan}, {mag} == 0u || {mag} > 0x7f800000u)"

    def _float_compare(self, e: Binary) -> str:
        """IEEE comparisons spelled out: WGSL lets implementations assume there are no NaNs (and
        compilers fold x != x), so NaN operands are tested on their bits; so are comparisons with
        an infinite literal (which the same assumption lets a compiler decide)."""
        self.value(e.a), self.value(e.b)  # (operands first: either may fold into a literal)
        for x, lit, op in ((e.a, e.b, e.op), (e.b, e.a, _SWAP[e.op])):
            k = self.const(lit) if lit != x else None
            if k is not None and np.isinf(k.value):
                return self._inf_compare(op, self.value(x), k.value < 0)
        nans = [f"{self.helper('isnan')}({self.value(x)})" for x in dict.fromkeys((e.a, e.b))
                if not (isinstance(x, Const) and not np.isnan(x.value))]
        if e.a == e.b:
            plain = {"eq": "true", "le": "true", "ge": "true", "ne": "false", "lt": "false", "gt": "false"}[e.op]
        else:
            plain = f"({self.value(e.a)} {_CMP[e.op]} {self.value(e.b)})"
        if not nans:
            return plain
        if e.op == "ne":
            return f"({plain} || {' || '.join(nans)})"
        return f"({plain} && !({' || '.join(nans)}))"

    def _inf_compare(self, op: str, x: str, neg: bool) -> str:
        """`x op inf` (or `x op -inf`) on x's bits."""
        same = f"(bitcast<u32>({x}) == {'0xff800000u' if neg else '0x7f800000u'})"
        number = f"!{self.helper('isnan')}({x})"
        inside = ("lt", "le") if not neg else ("gt", "ge")  # the side of the infinity where numbers are
        if op == "eq":
            return same
        if op == "ne":
            return f"!{same}"
        if op in inside:
            return number if op in ("le", "ge") else f"({number} && !{same})"
        return same if op in ("le", "ge") else "false"

    def binary_text(self, op: str, a: str, b: str, adt) -> str:
        r = reg(adt)
        if op in ("idiv", "irem"):
            return f"({a} {'/' if op == 'idiv' else '%'} {b})"
        if op in ir.COMPARISONS:
            if r == "bool" and op not in ("eq", "ne"):  # WGSL orders no bools: as 0u/1u (false < true)
                a, b = f"select(0u, 1u, {a})", f"select(0u, 1u, {b})"
            return f"({a} {_CMP[op]} {b})"
        if _is_float(adt):
            if op in ("add", "sub", "mul", "div"):
                return f"({a} {_ARITH[op]} {b})"
            name = {"max": "max", "min": "min", "rem": "fmod"}.get(op)
            if name is None:
                raise Unsupported(f"binary {op} on {adt} in WGSL")
            return f"{self.helper(name)}({a}, {b})"
        if r == "bool":
            sym = {"and": "&", "or": "|", "xor": "!="}.get(op)
            if sym is None:
                raise Unsupported(f"binary {op} on bool in WGSL")
            return f"({a} {sym} {b})"
        if op in ("add", "sub", "mul", "and", "or", "xor", "div", "rem"):
            return f"({a} {_ARITH[op]} {b})"
        if op in ("max", "min"):
            return f"{op}({a}, {b})"
        if op in ("shl", "shr_s", "shr_u"):  # shr_s reads a signed operand and shr_u an unsigned one
            return f"({a} {'<<' if op == 'shl' else '>>'} u32({b}))"
        raise Unsupported(f"binary {op} on {adt} in WGSL")

    def _cast(self, e: Cast) -> str:
        x = self.value(e.x)
        src, dst = np.dtype(e.x.dtype), np.dtype(e.dtype)
        rs, rd = reg(src), reg(dst)
        if src == dst:
            return x
        if rd == "bool":
            if rs == "f32":  # NaN is true, and WGSL may not know NaN != 0
                return f"(({x} != 0.0f) || {self.helper('isnan')}({x}))"
            return f"({x} != {self.literal(0, src)})"
        if rs == "bool":
            return f"select({self.literal(0, dst)}, {self.literal(1, dst)}, {x})"
        if rs == "f32" and rd == "f32":
            return x
        if rs == "f32":  # legalize made the operand a non-NaN value that truncates into range
            return f"{rd}({x})"
        if rd == "f32":
            return f"f32({x})"
        if rs != rd:
            x = f"bitcast<{rd}>({x})"
        return self.wrap(x, dst)

    def _bitcast(self, e: Bitcast) -> str:
        x = self.value(e.x)
        rs, rd = reg(e.x.dtype), reg(e.dtype)
        if rd == "bool" or rs == "bool":
            raise Unsupported("bitcast of bool in WGSL")
        bits = _BITS.get(code(e.dtype))
        if bits is None:
            return x if rs == rd else f"bitcast<{rd}>({x})"
        if rs != rd:  # narrow: reinterpret the low bits
            x = f"bitcast<{rd}>({x})"
        return self.wrap(x, e.dtype)

    # -- reductions ------------------------------------------------------------------------------

    def identity(self, op, dtype) -> str:
        return self.literal(ir.identity(op, dtype).value, dtype)

    def combine(self, op, acc, v, dtype) -> str:
        return self.binary_text(op, acc, v, dtype)

    def _loop_reduce(self, e: Reduce, target: int) -> str:
        acc = self.fresh("acc")
        kahan = e.op == "add" and _is_float(e.dtype)
        if code(e.dtype) == "f2":  # accumulate in float32; round the total once
            out_name = self._loop_reduce(Reduce(np.dtype(np.float32), e.op, Cast(np.dtype(np.float32), e.body), e.size,
                                                e.level), target)
            self.helpers.add("f16")
            self.scopes[target].names[e] = f"jl_f16({out_name})"
            return f"jl_f16({out_name})"
        out = self.scopes[target]
        out.lines.append(f"var {acc}: {reg(e.dtype)} = {self.identity(e.op, e.dtype)};")
        if kahan:
            out.lines.append(f"var {acc}c: f32 = 0.0f;")
        self.scopes.append(_Scope(e.level))
        v = self.value(e.body)
        body = self.scopes.pop().lines
        body += self.accumulate(e, acc, v, kahan)
        r = f"r{e.level}"
        out.lines.append(f"for (var {r}: i32 = 0i; {r} < {e.size}i; {r} = {r} + 1i) {{")
        out.lines.extend("  " + line for line in body)
        out.lines.append("}")
        out.names[e] = acc
        return acc

    def accumulate(self, e: Reduce, acc: str, v: str, kahan: bool) -> list[str]:
        if kahan:  # compensated: float32 sums of long axes stay accurate
            y, t = self.fresh("ky"), self.fresh("kt")
            return [f"let {y} = {v} - {acc}c;", f"let {t} = {acc} + {y};", f"{acc}c = ({t} - {acc}) - {y};",
                    f"{acc} = {t};"]
        return [f"{acc} = {self.combine(e.op, acc, v, e.dtype)};"]


_CMP = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_SWAP = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}  # a op b == b swapped a
# float operations `fold` computes on literals (lax.max/min propagate NaN, as numpy's)
_FOLD = {"neg": np.negative, "abs": np.abs, "add": np.add, "sub": np.subtract, "mul": np.multiply,
         "div": np.divide, "max": np.maximum, "min": np.minimum}
_ARITH = {"add": "+", "sub": "-", "mul": "*", "div": "/", "rem": "%", "and": "&", "or": "|", "xor": "^"}

def bindings(ins, outs, offset_words: int = 0, n_params: int = 0) -> list[str]:
    """The one binding layout of every shader (the runtime binds buffers in this order): inputs as
    read-only storage from binding 0, `ins` = [(name, element type)]; outputs `out0..` as
    read_write storage, `outs` = [element type]; then the uniform `p`: `n` (positions, or
    workgroups for "wg"), `stride` (the grid row width in the same unit), two pad words, with
    packed inputs `off` (vec4s), each input's word offset in the one buffer `pk`, and with scalar
    parameters `prm` (vec4s), their 32-bit words."""
    lines = [f"@group(0) @binding({k}) var<storage, read> {name}: array<{t}>;" for k, (name, t) in enumerate(ins)]
    lines += [f"@group(0) @binding({len(ins) + k}) var<storage, read_write> out{k}: array<{t}>;"
              for k, t in enumerate(outs)]
    off = f", off: array<vec4<u32>, {offset_words}>" if offset_words else ""
    if n_params:
        off += f", prm: array<vec4<u32>, {-(-n_params // 4)}>"
    lines.append(f"struct P {{ n: u32, stride: u32, z0: u32, z1: u32{off} }}")
    lines.append(f"@group(0) @binding({len(ins) + len(outs)}) var<uniform> p: P;")
    return lines


def _header(kernel: ir.Kernel, packed: bool, n_out: int) -> list[str]:
    if packed:
        return bindings([("pk", "u32")], [storage(o.dtype) for o in kernel.outs[:n_out]],
                        -(-len(kernel.in_dtypes) // 4), len(kernel.params))
    return bindings([(f"in{k}", storage(dt)) for k, dt in enumerate(kernel.in_dtypes)],
                    [storage(o.dtype) for o in kernel.outs[:n_out]], 0, len(kernel.params))


def _per_position(lines, split: int | None = None) -> list[str]:
    """main() with one invocation per position iu < p.n of a 2-D grid of WG-wide workgroups; with a
    split, position iu is chunk g of output i."""
    index = (["  let i = i32(iu);"] if split is None else
             [f"  let i = i32(iu / {split}u);", f"  let g = i32(iu % {split}u);"])
    return [f"@compute @workgroup_size({WG})",
            "fn main(@builtin(global_invocation_id) gid: vec3<u32>) {",
            "  let iu = gid.y * p.stride + gid.x;",
            "  if (iu >= p.n) { return; }",
            *index,
            *("  " + line for line in lines),
            "}"]


def _store(value: str, dtype) -> str:
    return f"select(0u, 1u, {value})" if reg(dtype) == "bool" else value


def render_map(kernel: ir.Kernel, packed: bool = False) -> str:
    em = _Emitter(kernel.in_dtypes, packed)
    stores = []
    for k, out in enumerate(kernel.outs):
        v = em.value(out)
        stores.append(f"out{k}[i] = {_store(v, out.dtype)};")
    return "\n".join([*_header(kernel, packed, len(kernel.outs)), wgsl_math.library(em.helpers),
                      *_per_position(em.scopes[0].lines + stores)])


def vector_args(kernel: ir.Kernel):
    """For the vec4 strategy: the inputs read only at exactly the output position (moved as vec4s;
    every other input is read per lane at that lane's index); None when the kernel loops."""
    contiguous, other = set(), set()
    for e in ir.nodes(kernel.outs):
        if isinstance(e, (Reduce, RIndex)):
            return None
        if isinstance(e, Load):
            (contiguous if isinstance(e.index, Index) else other).add(e.arg)
    return contiguous - other


def render_map4(kernel: ir.Kernel, vec_args) -> str:
    """Four consecutive outputs per invocation: the outputs and the inputs read at the output
    position move as vec4s (16-byte accesses: about twice the bandwidth of 4-byte ones on an H200),
    other inputs are loaded per lane, the arithmetic runs per lane on scalars, and values that do
    not depend on the position are computed once."""
    em = _Emitter(kernel.in_dtypes, False)
    top = em.scopes[0].lines
    for k in sorted(vec_args):
        top.append(f"let v{k} = in{k}[t];")
    lanes = []
    for lane in range(4):
        em.scopes.append(_Scope("lane"))
        em.index_name = f"i{lane}"
        em.lane_vectors = {k: (f"v{k}", lane) for k in vec_args}
        em.scopes[-1].lines.append(f"let i{lane} = i4 + {lane}i;")
        vals = [_store(em.value(out), out.dtype) for out in kernel.outs]
        lanes.append((em.scopes.pop().lines, vals))
    body = list(top)
    for lines, _ in lanes:
        body += lines
    for k, out in enumerate(kernel.outs):
        body.append(f"out{k}[t] = vec4<{storage(out.dtype)}>({', '.join(vals[k] for _, vals in lanes)});")
    header = bindings([(f"in{k}", f"vec4<{storage(dt)}>" if k in vec_args else storage(dt))
                       for k, dt in enumerate(kernel.in_dtypes)],
                      [f"vec4<{storage(out.dtype)}>" for out in kernel.outs], 0, len(kernel.params))
    return "\n".join([
        *header,
        wgsl_math.library(em.helpers),
        f"@compute @workgroup_size({WG})",
        "fn main(@builtin(global_invocation_id) gid: vec3<u32>) {",
        "  let t = gid.y * p.stride + gid.x;",
        "  if (t >= p.n) { return; }",
        "  let i4 = i32(t) * 4i;",
        *("  " + line for line in body),
        "}",
    ])


_SUBGROUP_OPS = {"add": "subgroupAdd", "mul": "subgroupMul", "max": "subgroupMax", "min": "subgroupMin",
                 "and": "subgroupAnd", "or": "subgroupOr", "xor": "subgroupXor"}


def subgroup_reducible(op: str, dtype) -> bool:
    """Whether the WGSL subgroup built-ins combine this reduction (bitwise ones: integers only)."""
    t = reg(dtype)
    return t in ("f32", "i32", "u32") and op in _SUBGROUP_OPS and (t != "f32" or op in ("add", "mul", "max", "min"))


def render_wg_reduce(kernel: ir.Kernel, split: int = 1, packed: bool = False, subgroups: bool = False) -> str:
    """One workgroup per (output, chunk); chunk partials land at out[i * split + chunk].

    The workgroup's partials combine through workgroup memory in a tree of barriers, or, with
    subgroups, in two subgroup operations around one barrier."""
    (red,) = kernel.outs
    assert isinstance(red, Reduce)
    em = _Emitter(kernel.in_dtypes, packed)
    chunk = -(-red.size // split)
    kahan = red.op == "add" and _is_float(red.dtype)
    t = reg(red.dtype)
    em.scopes.append(_Scope(red.level))
    v = em.value(red.body)
    loop = em.scopes.pop().lines + em.accumulate(red, "acc", v, kahan)
    r = f"r{red.level}"
    sh_t = "u32" if t == "bool" else t
    to_sh = (lambda s: f"select(0u, 1u, {s})") if t == "bool" else (lambda s: s)
    from_sh = (lambda s: f"({s} != 0u)") if t == "bool" else (lambda s: s)
    tree = em.combine(red.op, from_sh("jl_sh[lid]"), from_sh("jl_sh[lid + s]"), red.dtype)
    identity = em.identity(red.op, red.dtype)
    total = from_sh("jl_sh[0]")
    if code(red.dtype) == "f2":  # float16: accumulated in float32, rounded once
        total = f"{em.helper('f16')}({total})"
    subgroups = subgroups and subgroup_reducible(red.op, red.dtype)
    if subgroups:
        combine_all = _subgroup_combine(em, red)
        tree_lines = [  # every subgroup's first lane posts its total; every subgroup then totals them all
            f"  let sg = {combine_all('acc')};",
            f"  jl_sh[lid] = select({identity}, sg, sid == 0u);",
            "  workgroupBarrier();",
            f"  var acc2: {t} = {identity};",
            f"  for (var j = sid; j < {WG}u; j = j + ssz) {{ acc2 = {em.combine(red.op, 'acc2', 'jl_sh[j]', red.dtype)}; }}",
            f"  let sg_total = {combine_all('acc2')};",
            f"  if (lid == 0u) {{ out0[o] = {em.helper('f16') + '(sg_total)' if code(red.dtype) == 'f2' else 'sg_total'}; }}",
        ]
    else:
        tree_lines = [
            f"  jl_sh[lid] = {to_sh('acc')};",
            "  workgroupBarrier();",
            f"  for (var s = {WG // 2}u; s > 0u; s = s >> 1u) {{",
            f"    if (lid < s) {{ jl_sh[lid] = {to_sh(tree)}; }}",
            "    workgroupBarrier();",
            "  }",
            f"  if (lid == 0u) {{ out0[o] = {_store(total, red.dtype)}; }}",
        ]
    builtins = ", @builtin(subgroup_invocation_id) sid: u32, @builtin(subgroup_size) ssz: u32" if subgroups else ""
    top = em.scopes[0].lines
    return "\n".join([
        # The final loop's bound depends on the subgroup size, which WGSL's analysis does not
        # know to be uniform; it is (one size per pipeline), and no barrier follows it.
        *(["enable subgroups;", "diagnostic(off, subgroup_uniformity);"] if subgroups else []),
        *_header(kernel, packed, 1),
        wgsl_math.library(em.helpers),
        f"var<workgroup> jl_sh: array<{sh_t}, {WG}>;",
        f"@compute @workgroup_size({WG})",
        f"fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32{builtins}) {{",
        "  let o = wid.y * p.stride + wid.x;",
        "  if (o >= p.n) { return; }",
        f"  let i = i32(o / {split}u);",
        f"  let g = i32(o % {split}u);",
        *("  " + line for line in top),
        f"  var acc: {t} = {identity};",
        "  var accc: f32 = 0.0f;" if kahan else "",
        f"  let lim = min(g * {chunk}i + {chunk}i, {red.size}i);",
        f"  for (var {r}: i32 = g * {chunk}i + i32(lid); {r} < lim; {r} = {r} + {WG}i) {{",
        *("    " + line for line in loop),
        "  }",
        *tree_lines,
        "}",
    ])


def render_chunk_reduce(kernel: ir.Kernel, split: int = 1, packed: bool = False) -> str:
    """One invocation per (output, chunk) that reduces its chunk alone; partials land at
    out[i * split + chunk]. For adapters that run on the CPU (SwiftShader, llvmpipe), where a
    workgroup barrier costs far more than a longer loop."""
    (red,) = kernel.outs
    em = _Emitter(kernel.in_dtypes, packed)
    chunk = -(-red.size // split)
    kahan = red.op == "add" and _is_float(red.dtype)
    em.scopes.append(_Scope(red.level))
    v = em.value(red.body)
    loop = em.scopes.pop().lines + em.accumulate(red, "acc", v, kahan)
    total = f"{em.helper('f16')}(acc)" if code(red.dtype) == "f2" else "acc"
    identity = em.identity(red.op, red.dtype)  # before the library is written: it may need a helper
    r = f"r{red.level}"
    top = em.scopes[0].lines
    return "\n".join([
        *_header(kernel, packed, 1),
        wgsl_math.library(em.helpers),
        *_per_position([
            *top,
            f"var acc: {reg(red.dtype)} = {identity};",
            "var accc: f32 = 0.0f;" if kahan else "",
            f"let lim = min(g * {chunk}i + {chunk}i, {red.size}i);",
            f"for (var {r}: i32 = g * {chunk}i; {r} < lim; {r} = {r} + 1i) {{",
            *("  " + line for line in loop),
            "}",
            f"out0[iu] = {_store(total, red.dtype)};",
        ], split),
    ])


def _subgroup_combine(em: _Emitter, red: Reduce):
    """x -> the subgroup's combination of x. Float max/min keep NaN (the built-ins need not)."""
    fn = _SUBGROUP_OPS[red.op]
    if reg(red.dtype) == "f32" and red.op in ("max", "min"):
        isnan, nan = em.helper("isnan"), em.helper("nan")
        return lambda x: f"select({fn}({x}), {nan}(), subgroupAny({isnan}({x})))"
    return lambda x: f"{fn}({x})"


def render_scatter(kernel: ir.Kernel) -> str:
    """One invocation per update: combine its value into out[index] (skipped when index < 0).
    Invocations race on repeated indices, so combines are atomic: a compare-exchange loop on the
    32-bit word (atomicAdd for full-width integer sums); `set` stores (any writer wins, as in XLA)."""
    value = kernel.outs[0]
    dt, op = value.dtype, kernel.scatter.op
    r = reg(dt)
    em = _Emitter(kernel.in_dtypes, False)
    idx = em.value(kernel.scatter.index)
    vs = [em.value(out) for out in kernel.outs]  # several: the parts of one element, at idx + k
    v = vs[0]
    to_word = {"f32": "bitcast<u32>({})", "i32": "bitcast<u32>({})", "u32": "{}", "bool": "select(0u, 1u, {})"}[r]
    from_word = {"f32": "bitcast<f32>({})", "i32": "bitcast<i32>({})", "u32": "{}", "bool": "({} != 0u)"}[r]
    if op is None:
        update = [f"  out0[{idx}{f' + {k}i' if k else ''}] = {to_word.format(x)};" for k, x in enumerate(vs)]
    elif op == "add" and r in ("i32", "u32") and code(dt) in ("i4", "u4"):
        update = [f"  atomicAdd(&out0[{idx}], {to_word.format(v)});"]
    else:  # the combine as IR, legalized, over a stand-in for the word read atomically
        old = Load(dt, len(kernel.in_dtypes), Index(ir.I32))
        em._levels[old] = frozenset(("cas",))
        em.scopes.append(_Scope("cas"))
        em.scopes[-1].names[old] = from_word.format("old")
        new = to_word.format(em.value(legalize.node(Binary(dt, op, old, value))))
        update = [f"  var old = atomicLoad(&out0[{idx}]);",
                  "  loop {",
                  *("    " + line for line in em.scopes.pop().lines),
                  f"    let r = atomicCompareExchangeWeak(&out0[{idx}], old, {new});",
                  "    if (r.exchanged) { break; }",
                  "    old = r.old_value;",
                  "  }"]
    header = bindings([(f"in{k}", storage(d)) for k, d in enumerate(kernel.in_dtypes)],
                      ["u32" if op is None else "atomic<u32>"], 0, len(kernel.params))
    body = [*em.scopes[0].lines, f"if ({idx} >= 0i) {{", *update, "}"]
    if _reads_output(kernel):
        # the new value combines the old one read here (a complex scatter-mul/min/max: both parts at
        # once): racing invocations would lose duplicates, so one invocation applies the updates in
        # order, as XLA does (fine for the few updates such scatters have)
        main = ["@compute @workgroup_size(1)",
                "fn main(@builtin(global_invocation_id) gid: vec3<u32>) {",
                "  if (gid.x != 0u || gid.y != 0u) { return; }",
                "  for (var iu: u32 = 0u; iu < p.n; iu = iu + 1u) {",
                "    let i = i32(iu);",
                *("    " + line for line in body),
                "  }",
                "}"]
        return "\n".join([*header, wgsl_math.library(em.helpers), *main])
    return "\n".join([*header, wgsl_math.library(em.helpers), *_per_position(body)])


def _reads_output(kernel: ir.Kernel) -> bool:
    out = len(kernel.in_dtypes)
    return any(isinstance(e, Load) and e.arg == out for e in ir.nodes((*kernel.outs, kernel.scatter.index)))
