"""Render a kernel-IR Kernel as a WAT module with one exported function:

    kernel(in_ptr_0, ..., out_ptr_0, ..., param_0, ..., start, n)   ; outputs at positions start..n-1

(a range, so that threads can share the positions of one kernel). With `shared`, the module
imports the memory as shared (threads: every module must match the memory it is given).

XLA's semantics (division by zero, shifts past the width, narrow-integer wrap, saturating casts)
are made plain IR by kernel/legalize.py first, so each node here is one raw instruction (casts to
32/64-bit integers use trunc_sat, which saturates as XLA does). Float sums and products
accumulate in f64.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from jaxlite._src.kernel import ir, legalize
from jaxlite._src.kernel.ir import (Binary, Bitcast, Cast, Const, Expr, Index, Load, Param, Reduce, RIndex, Select,
                                    Unary)


class Unsupported(NotImplementedError):
    """The kernel uses a dtype or operation this renderer does not implement (yet)."""


_WTYPE = {"f4": "f32", "f8": "f64", "i4": "i32", "u4": "i32", "b1": "i32", "i1": "i32", "u1": "i32", "i2": "i32",
          "u2": "i32", "i8": "i64", "u8": "i64"}
_LOAD = {"f4": "f32.load", "f8": "f64.load", "i4": "i32.load", "u4": "i32.load", "b1": "i32.load8_u",
         "i1": "i32.load8_s", "u1": "i32.load8_u", "i2": "i32.load16_s", "u2": "i32.load16_u", "i8": "i64.load",
         "u8": "i64.load"}
_STORE = {"f4": "f32.store", "f8": "f64.store", "i4": "i32.store", "u4": "i32.store", "b1": "i32.store8",
          "i1": "i32.store8", "u1": "i32.store8", "i2": "i32.store16", "u2": "i32.store16", "i8": "i64.store",
          "u8": "i64.store"}


def _code(dtype) -> str:
    code = ir.dtype_code(dtype)
    if code not in _WTYPE:
        raise Unsupported(f"dtype {np.dtype(dtype).name} is not supported by the wasm renderer")
    return code


def wtype(dtype) -> str:
    return _WTYPE[_code(dtype)]


def _signed(dtype) -> bool:
    return np.dtype(dtype).kind == "i"


def _float_const(t: str, v: float) -> str:
    v = float(v)
    if np.isnan(v):
        return f"{t}.const nan"
    if np.isinf(v):
        return f"{t}.const {'-' if v < 0 else ''}inf"
    return f"{t}.const {float(np.float32(v)).hex() if t == 'f32' else v.hex()}"


class _Emitter:
    def __init__(self, in_dtypes):
        self.in_dtypes = in_dtypes
        self.lines: list[str] = []
        self.locals: list[tuple[str, str]] = []
        self.scopes: list[dict] = []
        self.counter = 0

    def local(self, t: str, prefix="t") -> str:
        self.counter += 1
        name = f"${prefix}{self.counter}"
        self.locals.append((name, t))
        return name

    def emit(self, *lines):
        self.lines.extend(lines)

    # -- expressions -------------------------------------------------------------------------------

    def expr(self, e: Expr):
        scope = self.scopes[-1]
        cached = scope["cache"].get(e)
        if cached is not None:
            self.emit(f"local.get {cached}")
            return
        self._expr(e)
        if scope["counts"].get(e, 0) > 1 and self._cacheable(e):
            name = self.local(self._value_type(e), self._local_prefix)
            scope["cache"][e] = name
            self.emit(f"local.tee {name}")

    _local_prefix = "t"

    def _cacheable(self, e: Expr) -> bool:
        return not isinstance(e, (Const, Param, Index, RIndex))

    def _value_type(self, e: Expr) -> str:
        return wtype(e.dtype)

    def _expr(self, e: Expr):
        t = wtype(e.dtype)
        if isinstance(e, Index):
            self.emit("local.get $i")
        elif isinstance(e, RIndex):
            self.emit(f"local.get $r{e.level}")
        elif isinstance(e, Const):
            if t in ("f32", "f64"):
                self.emit(_float_const(t, e.value))
            else:
                v = int(bool(e.value)) if e.dtype == np.bool_ else int(e.value)
                self.emit(f"{t}.const {v}")
        elif isinstance(e, Load):
            dt = self.in_dtypes[e.arg]
            self.emit(f"local.get $in{e.arg}")
            self._address(e.index, dt)
            self.emit(_LOAD[_code(dt)])
        elif isinstance(e, Param):
            self.emit(f"local.get $p{e.arg}")
        elif isinstance(e, Unary):
            self._unary(e)
        elif isinstance(e, Binary):
            self._binary(e)
        elif isinstance(e, ir.Branch):
            self._branch(e)
        elif isinstance(e, Select):
            self.expr(e.on_true)
            self.expr(e.on_false)
            self.expr(e.cond)
            self.emit("select")
        elif isinstance(e, Cast):
            self._cast(e)
        elif isinstance(e, Bitcast):
            self.expr(e.x)
            src, dst = wtype(e.x.dtype), wtype(e.dtype)
            if src != dst:
                self.emit(f"{dst}.reinterpret_{src}")
        elif isinstance(e, Reduce):
            self._reduce(e)
        else:
            raise Unsupported(f"IR node {type(e).__name__}")

    def _branch(self, e: ir.Branch):
        """if/else: each side in its own CSE scope, since what one side computes the other and
        the code after both cannot read."""
        self.expr(e.cond)
        self.emit(f"if (result {wtype(e.dtype)})")
        for k, side in enumerate((e.on_true, e.on_false)):
            outer = self.scopes[-1]
            self.scopes.append({"counts": outer["counts"], "cache": dict(outer["cache"])})
            self.expr(side)
            self.scopes.pop()
            self.emit("else" if k == 0 else "end")

    def _address(self, index: Expr, dtype):
        self.expr(index)
        size = np.dtype(dtype).itemsize
        if size > 1:
            self.emit(f"i32.const {size.bit_length() - 1}", "i32.shl")
        self.emit("i32.add")

    def _wrap_narrow(self, dtype):
        """A cast to i8/u8/i16/u16: keep the type's own bits (modular) in its 32-bit register."""
        code = _code(dtype)
        if code == "i1":
            self.emit("i32.extend8_s")
        elif code == "i2":
            self.emit("i32.extend16_s")
        elif code == "u1":
            self.emit("i32.const 255", "i32.and")
        elif code == "u2":
            self.emit("i32.const 65535", "i32.and")

    def _unary(self, e: Unary):
        t = wtype(e.dtype)
        if e.op == "neg" and t in ("i32", "i64"):
            self.emit(f"{t}.const 0")
            self.expr(e.x)
            self.emit(f"{t}.sub")
            return
        self.expr(e.x)
        if t in ("f32", "f64") and e.op in ("neg", "abs", "sqrt", "floor", "ceil", "trunc", "nearest"):
            self.emit(f"{t}.{e.op}")
        elif e.op == "abs":
            v = self.local(t)
            self.emit(f"local.set {v}", f"{t}.const 0", f"local.get {v}", f"{t}.sub", f"local.get {v}",
                      f"local.get {v}", f"{t}.const 0", f"{t}.lt_s", "select")
        elif e.op == "not":
            self.emit(f"{t}.const {1 if e.dtype == np.bool_ else -1}", f"{t}.xor")
        elif e.op == "popcnt" and t not in ("f32", "f64"):
            self.emit(f"{t}.popcnt")
        else:
            raise Unsupported(f"unary {e.op} on {e.dtype}")

    def _binary(self, e: Binary):
        a_dt = e.a.dtype
        t = wtype(a_dt)
        op = e.op
        sign = "s" if _signed(a_dt) else "u"
        if op == "idiv" or op == "irem":
            op, sign = op[1:], "u"
        self.expr(e.a)
        self.expr(e.b)
        if t in ("f32", "f64") and op not in ("add", "sub", "mul", "div", "min", "max", *ir.COMPARISONS):
            raise Unsupported(f"binary {op} on {a_dt}")
        if t in ("f32", "f64") or op in ("add", "sub", "mul", "and", "or", "xor", "shl", "shr_s", "shr_u", "eq", "ne"):
            self.emit(f"{t}.{op}")
        elif op in ("min", "max"):
            a, b = self.local(t), self.local(t)
            self.emit(f"local.set {b}", f"local.set {a}", f"local.get {a}", f"local.get {b}", f"local.get {a}",
                      f"local.get {b}", f"{t}.{'lt' if op == 'min' else 'gt'}_{sign}", "select")
        elif op in ("div", "rem", "lt", "le", "gt", "ge"):
            self.emit(f"{t}.{op}_{sign}")
        else:
            raise Unsupported(f"binary {op} on {a_dt}")

    def _cast(self, e: Cast):
        src, dst = np.dtype(e.x.dtype), np.dtype(e.dtype)
        st, dt_ = wtype(src), wtype(dst)
        self.expr(e.x)
        sf, df = src.kind == "f", dst.kind == "f"
        if dst == np.bool_:
            self.emit(f"{st}.const 0", f"{st}.ne")
        elif sf and df:
            if st != dt_:
                self.emit("f32.demote_f64" if dt_ == "f32" else "f64.promote_f32")
        elif sf:  # legalize clamped a narrow destination's operand
            self.emit(f"{dt_}.trunc_sat_{st}_{'s' if _signed(dst) else 'u'}")
        elif df:
            self.emit(f"{dt_}.convert_{st}_{'s' if _signed(src) else 'u'}")
        else:
            if st == "i32" and dt_ == "i64":
                self.emit(f"i64.extend_i32_{'s' if _signed(src) else 'u'}")
            elif st == "i64" and dt_ == "i32":
                self.emit("i32.wrap_i64")
            self._wrap_narrow(dst)

    def _reduce(self, e: Reduce):
        t = wtype(e.dtype)
        fl = t in ("f32", "f64")
        acc_t = "f64" if fl and e.op in ("add", "mul") else t  # accurate float sums
        acc = self.local(acc_t, "acc")
        r = f"$r{e.level}"
        self.locals.append((r, "i32"))
        identity = ir.identity(e.op, e.dtype).value
        self.emit(_float_const(acc_t, identity) if acc_t in ("f32", "f64") else f"{acc_t}.const {int(identity)}",
                  f"local.set {acc}", "i32.const 0", f"local.set {r}")
        if e.op == "add" and t == "f32" and e.size >= 8 and vectorizable_expr(e.body, RIndex(ir.I32, e.level), self.in_dtypes):
            self._vector_sum(e, acc, r)
        self.emit(f"block $rd{e.level}", f"loop $rl{e.level}",
                  f"local.get {r}", f"i32.const {e.size}", "i32.ge_u", f"br_if $rd{e.level}")
        self.scopes.append(_scope(e.body))
        if fl or e.op in ("add", "mul", "and", "or", "xor"):
            self.emit(f"local.get {acc}")
            self.expr(e.body)
            if acc_t != t:
                self.emit("f64.promote_f32")
            op = {"and": "and", "or": "or"}.get(e.op, e.op)
            self.emit(f"{acc_t}.{op}")
        else:  # integer max/min by select
            v = self.local(t)
            self.expr(e.body)
            self.emit(f"local.set {v}", f"local.get {v}", f"local.get {acc}", f"local.get {v}", f"local.get {acc}",
                      f"{t}.{'gt' if e.op == 'max' else 'lt'}_{'s' if _signed(e.dtype) else 'u'}", "select")
        self.scopes.pop()
        self.emit(f"local.set {acc}", f"local.get {r}", "i32.const 1", "i32.add", f"local.set {r}",
                  f"br $rl{e.level}", "end", "end", f"local.get {acc}")
        if acc_t != t:
            self.emit("f32.demote_f64")


def _vector_sum(self, e: Reduce, acc: str, r: str):
    """Blocks of 64 elements summed 4 lanes at a time in f32, each block added to the f64
    accumulator: SIMD speed with an error of a 16-term f32 sum per lane and block."""
    vem = _SimdEmitter(self.in_dtypes)
    vem.lane = RIndex(ir.I32, e.level)
    vem.counter = self.counter + 500
    vem.scopes.append(_scope(e.body))
    vacc = self.local("v128", "vacc")
    j = self.local("i32", "j")
    vem.emit(f"local.get {vacc}")
    vem.expr(e.body)
    vem.emit("f32x4.add", f"local.set {vacc}")
    self.counter = max(self.counter, vem.counter)
    self.locals += vem.locals
    L = e.level
    self.emit(f"block $vbd{L}", f"loop $vbl{L}",
              f"local.get {r}", "i32.const 64", "i32.add", f"i32.const {e.size}", "i32.gt_u", f"br_if $vbd{L}",
              "v128.const i32x4 0 0 0 0", f"local.set {vacc}", "i32.const 0", f"local.set {j}",
              f"block $vid{L}", f"loop $vil{L}", f"local.get {j}", "i32.const 16", "i32.ge_u", f"br_if $vid{L}",
              *vem.lines,
              f"local.get {r}", "i32.const 4", "i32.add", f"local.set {r}",
              f"local.get {j}", "i32.const 1", "i32.add", f"local.set {j}", f"br $vil{L}", "end", "end",
              f"local.get {acc}")
    for lane in range(4):
        self.emit(f"local.get {vacc}", f"f32x4.extract_lane {lane}", "f64.promote_f32", "f64.add")
    self.emit(f"local.set {acc}", f"br $vbl{L}", "end", "end")


_Emitter._vector_sum = _vector_sum


def _scope(root: Expr) -> dict:
    """Occurrence counts of the nodes evaluated at this loop level (not inside nested Reduces)."""
    counts: Counter = Counter()
    stack = list(root) if isinstance(root, tuple) else [root]
    while stack:
        e = stack.pop()
        counts[e] += 1
        if counts[e] == 1 and not isinstance(e, Reduce):
            stack.extend(ir.children(e))
    return {"counts": counts, "cache": {}}


def memory_import(shared: bool) -> str:
    return f'(import "env" "memory" (memory 1 {MAX_PAGES} shared))' if shared else '(import "env" "memory" (memory 1))'


MAX_PAGES = 65536


def render(kernel: ir.Kernel, simd: bool = True, shared: bool = False) -> str:
    if kernel.scatter is not None:
        return _render_scatter(kernel, shared)
    kernel = legalize.kernel(kernel, saturating_casts=True)
    simd_loop = ""
    if simd and vectorizable(kernel):
        vem = _SimdEmitter(kernel.in_dtypes)
        vem.counter = 1000
        simd_loop = _simd_loop(kernel, vem)
    em = _Emitter(kernel.in_dtypes)
    em.scopes.append(_scope(tuple(kernel.outs)))
    for k, out in enumerate(kernel.outs):
        dt = out.dtype
        em.emit(f"local.get $out{k}")
        em._address(ir.Index(ir.I32), dt)
        em.expr(out)
        em.emit(_STORE[_code(dt)])
    return _module(kernel.in_dtypes, len(kernel.outs), em, simd_loop, vem if simd_loop else None, shared,
                   kernel.params)


def _render_scatter(kernel: ir.Kernel, shared: bool = False) -> str:
    """kernel(in..., old, out, n): for each update i, out[index] = op(old[index], value) when
    index >= 0. The device passes the output (already a copy of the operand) as `old` too, so the
    old value is an ordinary load; updates apply in order, so duplicates combine exactly. With
    several outputs (a complex element's parts, combine included: kernel/complex.py), outs[k] goes
    to index + k, every part computed before any is stored."""
    kernel = legalize.kernel(kernel, saturating_casts=True)
    dt = kernel.outs[0].dtype
    k = len(kernel.in_dtypes)
    index, op = kernel.scatter.index, kernel.scatter.op
    combined = [value if op is None else legalize.node(Binary(dt, op, Load(dt, k, index), value), True)
                for value in kernel.outs]
    em = _Emitter(kernel.in_dtypes + (dt,))
    em.scopes.append(_scope((index, *combined)))
    em.locals.append(("$sidx", "i32"))
    em.expr(index)
    em.emit("local.set $sidx", "local.get $sidx", "i32.const 0", "i32.ge_s", "if")
    parts = []
    if len(combined) > 1:
        for c in combined:
            parts.append(em.local(wtype(dt)))
            em.expr(c)
            em.emit(f"local.set {parts[-1]}")
    size = np.dtype(dt).itemsize
    for part, c in enumerate(combined):
        em.emit("local.get $out0", "local.get $sidx")
        if part:
            em.emit(f"i32.const {part}", "i32.add")
        if size > 1:
            em.emit(f"i32.const {size.bit_length() - 1}", "i32.shl")
        em.emit("i32.add")
        if parts:
            em.emit(f"local.get {parts[part]}")
        else:
            em.expr(c)
        em.emit(_STORE[_code(dt)])
    em.emit("end")
    return _module(kernel.in_dtypes + (dt,), 1, em, "", None, shared)


def _module(in_dtypes, n_out: int, em: _Emitter, simd_loop: str, vem, shared: bool, scalars=()) -> str:
    params = [f"(param $in{k} i32)" for k in range(len(in_dtypes))]
    params += [f"(param $out{k} i32)" for k in range(n_out)]
    params += [f"(param $p{k} {wtype(dt)})" for k, dt in enumerate(scalars)]
    params += ["(param $start i32)", "(param $n i32)"]
    all_locals = dict(em.locals)
    if vem is not None:
        all_locals.update(vem.locals)
    locals_ = ["(local $i i32)"] + [f"(local {n} {t})" for n, t in all_locals.items()]
    body = "\n".join("      " + line for line in em.lines)
    return f"""(module
  {memory_import(shared)}
  (func $kernel (export "kernel") {' '.join(params)}
    {' '.join(locals_)}
    local.get $start
    local.set $i
{simd_loop}    block $exit
    loop $next
      local.get $i
      local.get $n
      i32.ge_u
      br_if $exit
{body}
      local.get $i
      i32.const 1
      i32.add
      local.set $i
      br $next
    end
    end))
"""


# ---- SIMD ------------------------------------------------------------------------------------------
# Elementwise kernels over 32-bit types whose loads are contiguous (Load(k, Index)) or uniform
# (an index without Index: a splatted scalar) run 4 lanes at a time; a scalar loop finishes the tail.

_V_FLOAT_UNARY = {"neg", "abs", "sqrt", "floor", "ceil", "trunc", "nearest"}
_V_FLOAT_BINARY = {"add", "sub", "mul", "div", "min", "max"}
_V_INT_BINARY = {"add": "i32x4.add", "sub": "i32x4.sub", "mul": "i32x4.mul", "and": "v128.and", "or": "v128.or",
                 "xor": "v128.xor"}
_V32 = {"f4", "i4", "u4"}


def _uses_index(e: Expr) -> bool:
    return any(isinstance(n, (Index, RIndex)) for n in ir.walk(e))


def _lane_offset(index: Expr, lane: Expr):
    """For an index `lane` or `X + lane` with X independent of the lane: X (or None for 0).
    Raises ValueError when the index is not contiguous in the lane."""
    if index == lane:
        return None
    if isinstance(index, Binary) and index.op == "add":
        for a, b in ((index.a, index.b), (index.b, index.a)):
            if b == lane and not any(n == lane for n in ir.walk(a)):
                return a
    raise ValueError("not contiguous")


def vectorizable(kernel: ir.Kernel) -> bool:
    return all(_code(o.dtype) in _V32 and vectorizable_expr(o, ir.Index(ir.I32), kernel.in_dtypes)
               for o in kernel.outs)


def vectorizable_expr(root: Expr, lane: Expr, in_dtypes) -> bool:
    """Whether the SIMD emitter can run root four lanes at a time (lane: the moving index)."""
    return _vec_ok(root, False, in_dtypes, {})


def _vec_ok(e: Expr, as_mask: bool, in_dtypes, memo: dict) -> bool:
    key = (e, as_mask)
    got = memo.get(key)
    if got is None:
        got = memo[key] = _vec_ok_node(e, as_mask, in_dtypes, memo)
    return got


def _vec_ok_node(e: Expr, as_mask: bool, in_dtypes, memo: dict) -> bool:
    def ok(x, mask=False):
        return _vec_ok(x, mask, in_dtypes, memo)

    code = _code(e.dtype) if e.dtype != np.bool_ else "b1"
    if isinstance(e, Binary) and e.op in ir.COMPARISONS:
        return as_mask and _code(e.a.dtype) in _V32 and ok(e.a) and ok(e.b)
    if code not in _V32:
        return False
    if isinstance(e, (Const, Param)):
        return True
    if isinstance(e, Load):  # contiguous: v128.load; uniform: splat; otherwise gathered lane by lane
        return _code(in_dtypes[e.arg]) in _V32 and not any(isinstance(n, Reduce) for n in ir.nodes([e.index]))
    if isinstance(e, Unary):
        if code == "f4":
            return e.op in _V_FLOAT_UNARY and ok(e.x)
        return e.op in ("neg", "abs", "not") and ok(e.x)
    if isinstance(e, Binary):
        if code == "f4":
            return e.op in _V_FLOAT_BINARY and ok(e.a) and ok(e.b)
        if e.op in ("shl", "shr_s", "shr_u"):  # by a constant in range: one scalar shift count
            return isinstance(e.b, Const) and 0 <= int(e.b.value) < 32 and ok(e.a)
        return (e.op in _V_INT_BINARY or e.op in ("min", "max")) and ok(e.a) and ok(e.b)
    if isinstance(e, Bitcast):
        return _code(e.x.dtype) in _V32 and ok(e.x)
    if isinstance(e, Select):
        return ok(e.cond, True) and ok(e.on_true) and ok(e.on_false)
    if isinstance(e, Cast):
        src = _code(e.x.dtype)
        return src in _V32 and (src == "f4") != (code == "f4") and ok(e.x)
    return False


class _SimdEmitter(_Emitter):
    lane: Expr = ir.Index(ir.I32)

    def _lane_local(self):
        return "$i" if isinstance(self.lane, Index) else f"$r{self.lane.level}"

    def _scalar(self, e: Expr):
        """Emit a lane-independent i32 expression with a scalar emitter sharing this function."""
        inner = _Emitter(self.in_dtypes)
        inner.scopes.append(_scope(e))
        inner.counter = self.counter
        inner.expr(e)
        self.counter = inner.counter
        self.locals += inner.locals
        self.emit(*inner.lines)

    def _address(self, index: Expr, dtype):
        offset = _lane_offset(index, self.lane)  # vectorizable_expr() admitted only these
        if offset is not None:
            self._scalar(offset)
        self.emit(f"local.get {self._lane_local()}")
        if offset is not None:
            self.emit("i32.add")
        size = np.dtype(dtype).itemsize
        self.emit(f"i32.const {size.bit_length() - 1}", "i32.shl", "i32.add")

    _local_prefix = "v"

    def _contiguous(self, index: Expr) -> bool:
        try:
            _lane_offset(index, self.lane)
            return True
        except ValueError:
            return False

    def _gather(self, e: Load, dt):
        """Four scalar loads, one per lane at that lane's own index (e.g. a row's value broadcast
        along the row), put into a vector: the rest of the expression stays SIMD."""
        size = np.dtype(dt).itemsize
        shape = "f32x4" if np.dtype(dt).kind == "f" else "i32x4"
        self.emit("v128.const i32x4 0 0 0 0")
        for k in range(4):
            lane_k = ir.binary("add", self.lane, ir.i32(k)) if k else self.lane
            (index,) = ir.rewrite((e.index,), lambda n, kids: lane_k if n == self.lane else None)
            self.emit(f"local.get $in{e.arg}")
            self._scalar(index)
            self.emit(f"i32.const {size.bit_length() - 1}", "i32.shl", "i32.add", _LOAD[_code(dt)],
                      f"{shape}.replace_lane {k}")

    def _cacheable(self, e: Expr) -> bool:
        return not isinstance(e, Const)

    def _value_type(self, e: Expr) -> str:
        return "v128"

    def _expr(self, e: Expr):
        fl = np.dtype(e.dtype).kind == "f"
        if isinstance(e, Const):
            v = int(bool(e.value)) if e.dtype == np.bool_ else e.value
            if fl:
                lane = _float_const("f32", v).split(" ", 1)[1]
                self.emit(f"v128.const f32x4 {lane} {lane} {lane} {lane}")
            else:
                self.emit(f"v128.const i32x4 {int(v)} {int(v)} {int(v)} {int(v)}")
        elif isinstance(e, Param):
            self.emit(f"local.get $p{e.arg}", "f32x4.splat" if fl else "i32x4.splat")
        elif isinstance(e, Load):
            dt = self.in_dtypes[e.arg]
            moves = any(n == self.lane for n in ir.walk(e.index))
            if moves and not self._contiguous(e.index):
                self._gather(e, dt)
                return
            self.emit(f"local.get $in{e.arg}")
            if moves:
                self._address(e.index, dt)
                self.emit("v128.load align=4")
            else:  # uniform: one scalar, splatted
                self._scalar(e.index)
                size = np.dtype(dt).itemsize
                self.emit(f"i32.const {size.bit_length() - 1}", "i32.shl", "i32.add", _LOAD[_code(dt)],
                          "f32x4.splat" if np.dtype(dt).kind == "f" else "i32x4.splat")
        elif isinstance(e, Unary):
            self.expr(e.x)
            if fl:
                self.emit(f"f32x4.{e.op}")
            elif e.op == "not":
                self.emit("v128.not")
            else:
                self.emit(f"i32x4.{e.op}")
        elif isinstance(e, Binary) and e.op in ("shl", "shr_s", "shr_u"):
            self.expr(e.a)  # vectorizable_expr admitted constant counts only: one scalar count
            self.emit(f"i32.const {int(e.b.value)}", f"i32x4.{e.op}")
        elif isinstance(e, Binary):
            a_dt = np.dtype(e.a.dtype)
            self.expr(e.a)
            self.expr(e.b)
            if e.op in ir.COMPARISONS:
                if a_dt.kind == "f" or e.op in ("eq", "ne"):
                    self.emit(f"{'f32x4' if a_dt.kind == 'f' else 'i32x4'}.{e.op}")
                else:
                    self.emit(f"i32x4.{e.op}_{'s' if a_dt.kind == 'i' else 'u'}")
            elif fl:
                self.emit(f"f32x4.{e.op}")
            elif e.op in _V_INT_BINARY:
                self.emit(_V_INT_BINARY[e.op])
            else:
                self.emit(f"i32x4.{e.op}_{'s' if a_dt.kind == 'i' else 'u'}")
        elif isinstance(e, Select):
            self.expr(e.on_true)
            self.expr(e.on_false)
            self.expr(e.cond)
            self.emit("v128.bitselect")
        elif isinstance(e, Bitcast):
            self.expr(e.x)  # same 32-bit lanes: nothing to do
        elif isinstance(e, Cast):
            self.expr(e.x)
            src, dst = np.dtype(e.x.dtype), np.dtype(e.dtype)
            if dst.kind == "f":
                self.emit(f"f32x4.convert_i32x4_{'s' if src.kind == 'i' else 'u'}")
            else:
                self.emit(f"i32x4.trunc_sat_f32x4_{'s' if dst.kind == 'i' else 'u'}")
        else:
            raise Unsupported(f"SIMD: {type(e).__name__}")


def _simd_loop(kernel: ir.Kernel, em: _SimdEmitter) -> str:
    em.scopes.append(_scope(tuple(kernel.outs)))
    for k, out in enumerate(kernel.outs):
        em.emit(f"local.get $out{k}")
        em._address(ir.Index(ir.I32), out.dtype)
        em.expr(out)
        em.emit("v128.store align=4")
    body = "\n".join("      " + line for line in em.lines)
    return f"""    block $vexit
    loop $vnext
      local.get $i
      i32.const 4
      i32.add
      local.get $n
      i32.gt_u
      br_if $vexit
{body}
      local.get $i
      i32.const 4
      i32.add
      local.set $i
      br $vnext
    end
    end
"""
