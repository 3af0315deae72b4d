"""A WebAssembly text (WAT) to binary assembler in pure Python, for the subset jaxlite renders.

No external tool exists in the browser, so kernels are assembled here. Supported: a module with
imported or own memory (shared allowed), mutable i32 globals, functions with params/results/locals,
exports, and flat
(non-folded) instruction sequences: structured control (block/loop/if/else/end, br/br_if by label
or depth), locals, memory access with offset/align, numeric instructions of i32/i64/f32/f64,
conversions, saturating truncation, and SIMD v128 (f32x4 and f64x2 arithmetic) including relaxed-SIMD
fma, and the atomics that worker threads synchronise with (load/store/add/cmpxchg on i32,
wait32, notify). Tests compare the output with wasmtime.wat2wasm byte for byte (custom sections aside).
"""

from __future__ import annotations

import re
import struct

VALTYPES = {"i32": 0x7F, "i64": 0x7E, "f32": 0x7D, "f64": 0x7C, "v128": 0x7B}


class WatError(ValueError):
    pass


# ---- binary encoding -------------------------------------------------------------------------------


def uleb(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def sleb(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if (n == 0 and not byte & 0x40) or (n == -1 and byte & 0x40):
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def name(s: str) -> bytes:
    b = s.encode()
    return uleb(len(b)) + b


def vec(items) -> bytes:
    items = list(items)
    return uleb(len(items)) + b"".join(items)


def section(sid: int, payload: bytes) -> bytes:
    return bytes([sid]) + uleb(len(payload)) + payload


# ---- opcodes ---------------------------------------------------------------------------------------

_PLAIN = {
    "unreachable": 0x00, "nop": 0x01, "else": 0x05, "end": 0x0B, "return": 0x0F, "drop": 0x1A, "select": 0x1B,
    "i32.eqz": 0x45, "i32.eq": 0x46, "i32.ne": 0x47, "i32.lt_s": 0x48, "i32.lt_u": 0x49, "i32.gt_s": 0x4A,
    "i32.gt_u": 0x4B, "i32.le_s": 0x4C, "i32.le_u": 0x4D, "i32.ge_s": 0x4E, "i32.ge_u": 0x4F,
    "i64.eqz": 0x50, "i64.eq": 0x51, "i64.ne": 0x52, "i64.lt_s": 0x53, "i64.lt_u": 0x54, "i64.gt_s": 0x55,
    "i64.gt_u": 0x56, "i64.le_s": 0x57, "i64.le_u": 0x58, "i64.ge_s": 0x59, "i64.ge_u": 0x5A,
    "f32.eq": 0x5B, "f32.ne": 0x5C, "f32.lt": 0x5D, "f32.gt": 0x5E, "f32.le": 0x5F, "f32.ge": 0x60,
    "f64.eq": 0x61, "f64.ne": 0x62, "f64.lt": 0x63, "f64.gt": 0x64, "f64.le": 0x65, "f64.ge": 0x66,
    "i32.clz": 0x67, "i32.ctz": 0x68, "i32.popcnt": 0x69, "i32.add": 0x6A, "i32.sub": 0x6B, "i32.mul": 0x6C,
    "i32.div_s": 0x6D, "i32.div_u": 0x6E, "i32.rem_s": 0x6F, "i32.rem_u": 0x70, "i32.and": 0x71, "i32.or": 0x72,
    "i32.xor": 0x73, "i32.shl": 0x74, "i32.shr_s": 0x75, "i32.shr_u": 0x76, "i32.rotl": 0x77, "i32.rotr": 0x78,
    "i64.clz": 0x79, "i64.ctz": 0x7A, "i64.popcnt": 0x7B, "i64.add": 0x7C, "i64.sub": 0x7D, "i64.mul": 0x7E,
    "i64.div_s": 0x7F, "i64.div_u": 0x80, "i64.rem_s": 0x81, "i64.rem_u": 0x82, "i64.and": 0x83, "i64.or": 0x84,
    "i64.xor": 0x85, "i64.shl": 0x86, "i64.shr_s": 0x87, "i64.shr_u": 0x88, "i64.rotl": 0x89, "i64.rotr": 0x8A,
    "f32.abs": 0x8B, "f32.neg": 0x8C, "f32.ceil": 0x8D, "f32.floor": 0x8E, "f32.trunc": 0x8F, "f32.nearest": 0x90,
    "f32.sqrt": 0x91, "f32.add": 0x92, "f32.sub": 0x93, "f32.mul": 0x94, "f32.div": 0x95, "f32.min": 0x96,
    "f32.max": 0x97, "f32.copysign": 0x98,
    "f64.abs": 0x99, "f64.neg": 0x9A, "f64.ceil": 0x9B, "f64.floor": 0x9C, "f64.trunc": 0x9D, "f64.nearest": 0x9E,
    "f64.sqrt": 0x9F, "f64.add": 0xA0, "f64.sub": 0xA1, "f64.mul": 0xA2, "f64.div": 0xA3, "f64.min": 0xA4,
    "f64.max": 0xA5, "f64.copysign": 0xA6,
    "i32.wrap_i64": 0xA7, "i32.trunc_f32_s": 0xA8, "i32.trunc_f32_u": 0xA9, "i32.trunc_f64_s": 0xAA,
    "i32.trunc_f64_u": 0xAB, "i64.extend_i32_s": 0xAC, "i64.extend_i32_u": 0xAD, "i64.trunc_f32_s": 0xAE,
    "i64.trunc_f32_u": 0xAF, "i64.trunc_f64_s": 0xB0, "i64.trunc_f64_u": 0xB1, "f32.convert_i32_s": 0xB2,
    "f32.convert_i32_u": 0xB3, "f32.convert_i64_s": 0xB4, "f32.convert_i64_u": 0xB5, "f32.demote_f64": 0xB6,
    "f64.convert_i32_s": 0xB7, "f64.convert_i32_u": 0xB8, "f64.convert_i64_s": 0xB9, "f64.convert_i64_u": 0xBA,
    "f64.promote_f32": 0xBB, "i32.reinterpret_f32": 0xBC, "i64.reinterpret_f64": 0xBD,
    "f32.reinterpret_i32": 0xBE, "f64.reinterpret_i64": 0xBF,
    "i32.extend8_s": 0xC0, "i32.extend16_s": 0xC1, "i64.extend8_s": 0xC2, "i64.extend16_s": 0xC3,
    "i64.extend32_s": 0xC4,
}
_FC = {  # 0xFC prefix
    "i32.trunc_sat_f32_s": 0, "i32.trunc_sat_f32_u": 1, "i32.trunc_sat_f64_s": 2, "i32.trunc_sat_f64_u": 3,
    "i64.trunc_sat_f32_s": 4, "i64.trunc_sat_f32_u": 5, "i64.trunc_sat_f64_s": 6, "i64.trunc_sat_f64_u": 7,
}
_SIMD = {  # 0xFD prefix, no immediates
    "i8x16.swizzle": 0x0E, "i8x16.splat": 0x0F, "i16x8.splat": 0x10, "i32x4.splat": 0x11, "i64x2.splat": 0x12,
    "f32x4.splat": 0x13, "f64x2.splat": 0x14,
    "i32x4.eq": 0x37, "i32x4.ne": 0x38, "i32x4.lt_s": 0x39, "i32x4.lt_u": 0x3A, "i32x4.gt_s": 0x3B,
    "i32x4.gt_u": 0x3C, "i32x4.le_s": 0x3D, "i32x4.le_u": 0x3E, "i32x4.ge_s": 0x3F, "i32x4.ge_u": 0x40,
    "f32x4.eq": 0x41, "f32x4.ne": 0x42, "f32x4.lt": 0x43, "f32x4.gt": 0x44, "f32x4.le": 0x45, "f32x4.ge": 0x46,
    "f64x2.eq": 0x47, "f64x2.ne": 0x48, "f64x2.lt": 0x49, "f64x2.gt": 0x4A, "f64x2.le": 0x4B, "f64x2.ge": 0x4C,
    "v128.not": 0x4D, "v128.and": 0x4E, "v128.andnot": 0x4F, "v128.or": 0x50, "v128.xor": 0x51,
    "v128.bitselect": 0x52, "v128.any_true": 0x53,
    "f32x4.ceil": 0x67, "f32x4.floor": 0x68, "f32x4.trunc": 0x69, "f32x4.nearest": 0x6A,
    "i32x4.abs": 0xA0, "i32x4.neg": 0xA1, "i32x4.all_true": 0xA3, "i32x4.bitmask": 0xA4,
    "i32x4.shl": 0xAB, "i32x4.shr_s": 0xAC, "i32x4.shr_u": 0xAD, "i32x4.add": 0xAE, "i32x4.sub": 0xB1,
    "i32x4.mul": 0xB5, "i32x4.min_s": 0xB6, "i32x4.min_u": 0xB7, "i32x4.max_s": 0xB8, "i32x4.max_u": 0xB9,
    "f32x4.abs": 0xE0, "f32x4.neg": 0xE1, "f32x4.sqrt": 0xE3, "f32x4.add": 0xE4, "f32x4.sub": 0xE5,
    "f32x4.mul": 0xE6, "f32x4.div": 0xE7, "f32x4.min": 0xE8, "f32x4.max": 0xE9, "f32x4.pmin": 0xEA,
    "f32x4.pmax": 0xEB,
    "i32x4.trunc_sat_f32x4_s": 0xF8, "i32x4.trunc_sat_f32x4_u": 0xF9, "f32x4.convert_i32x4_s": 0xFA,
    "f32x4.convert_i32x4_u": 0xFB,
    "f32x4.relaxed_madd": 0x105, "f32x4.relaxed_nmadd": 0x106,
    "f64x2.ceil": 0x74, "f64x2.floor": 0x75, "f64x2.trunc": 0x7A, "f64x2.nearest": 0x94,
    "i64x2.add": 0xCE, "i64x2.sub": 0xD1,
    "f64x2.abs": 0xEC, "f64x2.neg": 0xED, "f64x2.sqrt": 0xEF, "f64x2.add": 0xF0, "f64x2.sub": 0xF1,
    "f64x2.mul": 0xF2, "f64x2.div": 0xF3, "f64x2.min": 0xF4, "f64x2.max": 0xF5, "f64x2.pmin": 0xF6,
    "f64x2.pmax": 0xF7,
    "f64x2.relaxed_madd": 0x107, "f64x2.relaxed_nmadd": 0x108,
}
_SIMD_LANE = {"i32x4.extract_lane": 0x1B, "i32x4.replace_lane": 0x1C, "f32x4.extract_lane": 0x1F,
              "f32x4.replace_lane": 0x20, "i64x2.extract_lane": 0x1D, "i64x2.replace_lane": 0x1E,
              "f64x2.extract_lane": 0x21, "f64x2.replace_lane": 0x22}
_MEM = {  # name: (opcode bytes, natural alignment log2)
    "i32.load": (b"\x28", 2), "i64.load": (b"\x29", 3), "f32.load": (b"\x2a", 2), "f64.load": (b"\x2b", 3),
    "i32.load8_s": (b"\x2c", 0), "i32.load8_u": (b"\x2d", 0), "i32.load16_s": (b"\x2e", 1),
    "i32.load16_u": (b"\x2f", 1), "i64.load8_s": (b"\x30", 0), "i64.load8_u": (b"\x31", 0),
    "i64.load16_s": (b"\x32", 1), "i64.load16_u": (b"\x33", 1), "i64.load32_s": (b"\x34", 2),
    "i64.load32_u": (b"\x35", 2), "i32.store": (b"\x36", 2), "i64.store": (b"\x37", 3),
    "f32.store": (b"\x38", 2), "f64.store": (b"\x39", 3), "i32.store8": (b"\x3a", 0),
    "i32.store16": (b"\x3b", 1), "i64.store8": (b"\x3c", 0), "i64.store16": (b"\x3d", 1),
    "i64.store32": (b"\x3e", 2), "v128.load": (b"\xfd" + uleb(0x00), 4), "v128.store": (b"\xfd" + uleb(0x0B), 4),
    "v128.load32_splat": (b"\xfd" + uleb(0x09), 2), "v128.load64_splat": (b"\xfd" + uleb(0x0A), 3),
    "memory.atomic.notify": (b"\xfe\x00", 2), "memory.atomic.wait32": (b"\xfe\x01", 2),
    "i32.atomic.load": (b"\xfe\x10", 2), "i32.atomic.store": (b"\xfe\x17", 2),
    "i32.atomic.rmw.add": (b"\xfe\x1e", 2), "i32.atomic.rmw.cmpxchg": (b"\xfe\x48", 2),
}

# ---- parsing ---------------------------------------------------------------------------------------

_TOKEN = re.compile(r'\(;.*?;\)|;;[^\n]*|"(?:[^"\\]|\\.)*"|[()]|[^\s()";]+', re.S)


def _parse(text: str):
    stack: list[list] = [[]]
    for tok in _TOKEN.findall(text):
        if tok.startswith(";;") or tok.startswith("(;"):
            continue
        if tok == "(":
            stack.append([])
        elif tok == ")":
            if len(stack) == 1:
                raise WatError("unbalanced ')'")
            node = stack.pop()
            stack[-1].append(node)
        else:
            stack[-1].append(tok)
    if len(stack) != 1:
        raise WatError("unbalanced '('")
    return stack[0]


def _string(tok: str) -> str:
    if not (tok.startswith('"') and tok.endswith('"')):
        raise WatError(f"expected a string, got {tok}")
    return bytes(tok[1:-1], "utf-8").decode("unicode_escape")


def _int(tok: str) -> int:
    t = tok.replace("_", "")
    neg = t.startswith("-")
    t = t.lstrip("+-")
    v = int(t, 16) if t.startswith("0x") else int(t)
    return -v if neg else v


def _float(tok: str, fmt: str) -> bytes:
    t = tok.replace("_", "")
    low = t.lower().lstrip("+-")
    sign = -1.0 if t.startswith("-") else 1.0
    if low == "inf":
        v = sign * float("inf")
    elif low.startswith("nan"):
        # canonical NaN or nan:0x<payload>
        bits = 32 if fmt == "<f" else 64
        exp = (0xFF << 23) if bits == 32 else (0x7FF << 52)
        payload = _int(low[4:]) if ":" in low else (1 << 22 if bits == 32 else 1 << 51)
        raw = exp | payload | ((1 << (bits - 1)) if sign < 0 else 0)
        return struct.pack("<I" if bits == 32 else "<Q", raw)
    elif "0x" in low:
        v = sign * float.fromhex(low)
    else:
        v = sign * float(low)
    return struct.pack(fmt, v)


class _Func:
    def __init__(self, node, index):
        self.index = index
        self.name = None
        self.exports: list[str] = []
        self.params: list[tuple[str | None, str]] = []
        self.results: list[str] = []
        self.locals: list[tuple[str | None, str]] = []
        self.body: list = []
        items = node[1:]
        if items and isinstance(items[0], str) and items[0].startswith("$"):
            self.name = items[0]
            items = items[1:]
        in_header = True
        for it in items:
            in_header = in_header and isinstance(it, list) and bool(it) and it[0] in ("export", "param", "result", "local")
            if in_header:
                kind = it[0]
                if kind == "export":
                    self.exports.append(_string(it[1]))
                elif kind in ("param", "local"):
                    dest = self.params if kind == "param" else self.locals
                    if len(it) == 3 and it[1].startswith("$"):
                        dest.append((it[1], it[2]))
                    else:
                        dest.extend((None, t) for t in it[1:])
                else:
                    self.results.extend(it[1:])
            else:
                self.body.append(it)

    @property
    def signature(self):
        return (tuple(t for _, t in self.params), tuple(self.results))


def assemble(text: str) -> bytes:
    """Assemble a WAT module (text) to wasm binary bytes."""
    top = _parse(text)
    if len(top) != 1 or not isinstance(top[0], list) or top[0][0] != "module":
        raise WatError("expected a single (module ...)")
    fields = top[0][1:]
    funcs: list[_Func] = []
    globals_: list[tuple[str | None, int]] = []  # (name, initial value) of mutable i32 globals
    memory = None  # (import (module, field) | None, limits bytes)
    exports: list[tuple[str, int, object]] = []  # (name, kind, func index or reference), in source order
    for f in fields:
        if not isinstance(f, list):
            raise WatError(f"unexpected token {f}")
        if f[0] == "func":
            fn = _Func(f, len(funcs))
            funcs.append(fn)
            exports += [(e, 0, fn.index) for e in fn.exports]
        elif f[0] == "memory":
            memory = _memory(f[1:], None)
        elif f[0] == "global":
            globals_.append(_global(f[1:]))
        elif f[0] == "import":
            mod, field, desc = _string(f[1]), _string(f[2]), f[3]
            if desc[0] != "memory":
                raise WatError("only memory imports are supported")
            memory = _memory(desc[1:], (mod, field))
        elif f[0] == "export":
            desc = f[2]
            exports.append((_string(f[1]), {"func": 0, "memory": 2}[desc[0]], desc[1]))
        else:
            raise WatError(f"unsupported module field {f[0]}")
    func_index = {fn.name: fn.index for fn in funcs if fn.name}
    global_index = {n: i for i, (n, _) in enumerate(globals_) if n}
    types: list = []
    for fn in funcs:
        if fn.signature not in types:
            types.append(fn.signature)

    out = bytearray(b"\0asm\x01\0\0\0")
    out += section(1, vec(b"\x60" + vec(bytes([VALTYPES[t]]) for t in p) + vec(bytes([VALTYPES[t]]) for t in r)
                          for p, r in types))
    if memory and memory[0]:
        (mod, field), limits = memory
        out += section(2, vec([name(mod) + name(field) + b"\x02" + limits]))
    out += section(3, vec(uleb(types.index(fn.signature)) for fn in funcs))
    if memory and not memory[0]:
        out += section(5, vec([memory[1]]))
    if globals_:
        out += section(6, vec(b"\x7f\x01\x41" + sleb(_wrap(v, 32)) + b"\x0b" for _, v in globals_))
    def export_index(kind, ref):
        if isinstance(ref, int):
            return ref
        if ref.startswith("$"):
            if kind != 0 or ref not in func_index:
                raise WatError(f"unknown export reference {ref}")
            return func_index[ref]
        return _int(ref)

    out += section(7, vec(name(e) + bytes([kind]) + uleb(export_index(kind, ref)) for e, kind, ref in exports))
    out += section(10, vec(_code(fn, func_index, global_index) for fn in funcs))
    return bytes(out)


def _global(items) -> tuple[str | None, int]:
    """(global $name (mut i32) (i32.const v)): the only kind the routines use."""
    gname = items[0] if isinstance(items[0], str) and items[0].startswith("$") else None
    rest = items[1:] if gname else items
    if rest[0] != ["mut", "i32"] or rest[1][0] != "i32.const":
        raise WatError("only (mut i32) globals with an i32.const initialiser are supported")
    return gname, _int(rest[1][1])


def _memory(items, imported):
    if items and isinstance(items[0], str) and items[0].startswith("$"):
        items = items[1:]
    nums = [_int(t) for t in items if isinstance(t, str) and t != "shared"]
    shared = "shared" in items
    if len(nums) == 1:
        limits = b"\x00" + uleb(nums[0])
    else:
        limits = (b"\x03" if shared else b"\x01") + uleb(nums[0]) + uleb(nums[1])
    return imported, limits


def _code(fn: _Func, func_index, global_index=None) -> bytes:
    locals_ = {n: i for i, (n, _) in enumerate(fn.params + fn.locals) if n}
    groups: list[list] = []
    for _, t in fn.locals:
        if groups and groups[-1][1] == t:
            groups[-1][0] += 1
        else:
            groups.append([1, t])
    body = bytearray(vec(uleb(c) + bytes([VALTYPES[t]]) for c, t in groups))
    labels: list[str | None] = []
    toks = list(fn.body)
    i = 0

    def local_index(tok):
        if tok.startswith("$"):
            if tok not in locals_:
                raise WatError(f"unknown local {tok} in {fn.name}")
            return locals_[tok]
        return _int(tok)

    def label_depth(tok):
        if tok.startswith("$"):
            for depth, lab in enumerate(reversed(labels)):
                if lab == tok:
                    return depth
            raise WatError(f"unknown label {tok} in {fn.name}")
        return _int(tok)

    while i < len(toks):
        op = toks[i]
        i += 1
        if isinstance(op, list):
            raise WatError(f"folded instructions are not supported: {op}")
        if op in ("block", "loop", "if"):
            lab = None
            if i < len(toks) and isinstance(toks[i], str) and toks[i].startswith("$"):
                lab = toks[i]
                i += 1
            bt = b"\x40"
            if i < len(toks) and isinstance(toks[i], list) and toks[i][0] == "result":
                bt = bytes([VALTYPES[toks[i][1]]])
                i += 1
            labels.append(lab)
            body += bytes([{"block": 0x02, "loop": 0x03, "if": 0x04}[op]]) + bt
        elif op == "end":
            lab = labels.pop() if labels else None
            if lab is not None and i < len(toks) and toks[i] == lab:  # "end $label"
                i += 1
            body += b"\x0b"
        elif op in ("br", "br_if"):
            body += bytes([0x0C if op == "br" else 0x0D]) + uleb(label_depth(toks[i]))
            i += 1
        elif op in ("local.get", "local.set", "local.tee"):
            body += bytes([{"local.get": 0x20, "local.set": 0x21, "local.tee": 0x22}[op]]) + uleb(local_index(toks[i]))
            i += 1
        elif op in ("global.get", "global.set"):
            ref = toks[i]
            i += 1
            if ref.startswith("$") and ref not in (global_index or {}):
                raise WatError(f"unknown global {ref} in {fn.name}")
            body += bytes([0x23 if op == "global.get" else 0x24]) + uleb(global_index[ref] if ref.startswith("$") else _int(ref))
        elif op == "call":
            ref = toks[i]
            i += 1
            body += b"\x10" + uleb(func_index[ref] if ref.startswith("$") else _int(ref))
        elif op == "i32.const":
            body += b"\x41" + sleb(_wrap(_int(toks[i]), 32))
            i += 1
        elif op == "i64.const":
            body += b"\x42" + sleb(_wrap(_int(toks[i]), 64))
            i += 1
        elif op == "f32.const":
            body += b"\x43" + _float(toks[i], "<f")
            i += 1
        elif op == "f64.const":
            body += b"\x44" + _float(toks[i], "<d")
            i += 1
        elif op == "v128.const":
            shape = toks[i]
            lanes = {"i32x4": (4, "<i", "<I"), "f32x4": (4, "<f", None), "i64x2": (2, "<q", "<Q"),
                     "f64x2": (2, "<d", None)}[shape]
            vals = toks[i + 1:i + 1 + lanes[0]]
            i += 1 + lanes[0]
            bits = 128 // lanes[0]
            raw = b"".join(_float(v, lanes[1]) if lanes[2] is None else
                           struct.pack(lanes[2], _int(v) & ((1 << bits) - 1)) for v in vals)
            body += b"\xfd" + uleb(0x0C) + raw
        elif op in _MEM:
            code, natural = _MEM[op]
            offset, align = 0, natural
            while i < len(toks) and isinstance(toks[i], str) and (toks[i].startswith("offset=") or toks[i].startswith("align=")):
                k, v = toks[i].split("=")
                if k == "offset":
                    offset = _int(v)
                else:
                    align = _int(v).bit_length() - 1
                i += 1
            body += code + uleb(align) + uleb(offset)
        elif op in ("memory.size", "memory.grow"):
            body += (b"\x3f" if op == "memory.size" else b"\x40") + b"\x00"
        elif op in _PLAIN:
            body.append(_PLAIN[op])
        elif op in _FC:
            body += b"\xfc" + uleb(_FC[op])
        elif op in _SIMD:
            body += b"\xfd" + uleb(_SIMD[op])
        elif op in _SIMD_LANE:
            body += b"\xfd" + uleb(_SIMD_LANE[op]) + bytes([_int(toks[i])])
            i += 1
        else:
            raise WatError(f"unsupported instruction {op!r} in {fn.name}")
    body += b"\x0b"
    return uleb(len(body)) + bytes(body)


def _wrap(v: int, bits: int) -> int:
    """Interpret an integer literal (signed or unsigned spelling) as a signed value of `bits`."""
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v
