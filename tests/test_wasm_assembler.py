"""The pure-Python WAT assembler against wasmtime's (byte for byte, custom sections aside)."""

import numpy as np
import pytest

from jaxlite._src.backends.wasm.assembler import WatError, assemble, sleb, uleb

wasmtime = pytest.importorskip("wasmtime")


def strip_custom(b: bytes) -> bytes:
    out, i = bytearray(b[:8]), 8
    while i < len(b):
        sid = b[i]
        n, shift, j = 0, 0, i + 1
        while True:
            byte = b[j]
            n |= (byte & 0x7F) << shift
            j += 1
            shift += 7
            if not byte & 0x80:
                break
        if sid != 0:
            out += b[i:j + n]
        i = j + n
    return bytes(out)


MODULES = {
    "scalar_loop": """
(module
  (import "env" "memory" (memory 1))
  (func $axpy (export "axpy") (param $x i32) (param $y i32) (param $n i32) (param $a f32)
    (local $i i32) (local $p i32)
    block $done
      loop $next
        local.get $i
        local.get $n
        i32.ge_u
        br_if $done
        local.get $i
        i32.const 2
        i32.shl
        local.set $p
        local.get $y
        local.get $p
        i32.add
        local.get $a
        local.get $x
        local.get $p
        i32.add
        f32.load
        f32.mul
        local.get $y
        local.get $p
        i32.add
        f32.load offset=0 align=4
        f32.add
        f32.store
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br $next
      end
    end))""",
    "numeric_zoo": """
(module
  (memory 2 10)
  (export "mem" (memory 0))
  (func (export "f") (param f64 i64) (result i32)
    (local f32 f32 i32 v128)
    local.get 0
    f64.sqrt
    f64.const -0x1.8p+3
    f64.max
    f32.demote_f64
    f32.const nan
    f32.const -inf
    f32.min
    f32.copysign
    i32.trunc_sat_f32_s
    local.get 1
    i64.const -9223372036854775808
    i64.rotl
    i32.wrap_i64
    i32.const 0xffffffff
    i32.xor
    i32.popcnt
    i32.add
    i32.extend8_s
    f32.const 1.5
    f32x4.splat
    v128.const f32x4 1 2.5 -3 0x1p-2
    f32x4.mul
    v128.const i32x4 -1 0 0xffffffff 7
    f32x4.convert_i32x4_s
    f32x4.add
    local.tee 5
    local.get 5
    f32x4.lt
    v128.any_true
    i32.add
    i32.const 16
    v128.load offset=32 align=16
    f32x4.extract_lane 3
    i32.trunc_f32_s
    i32.add
    if (result i32)
      i32.const 1
    else
      i32.const -1
    end
    memory.size
    i32.add))""",
    "simd_loop": """
(module
  (import "env" "memory" (memory 1 100 shared))
  (func $hyp (export "hypot4") (param $x i32) (param $y i32) (param $o i32) (param $n i32)
    (local $i i32) (local $a v128) (local $b v128)
    block $exit
      loop $top
        local.get $i
        local.get $n
        i32.ge_u
        br_if $exit
        local.get $x
        local.get $i
        i32.add
        v128.load
        local.tee $a
        local.get $a
        f32x4.mul
        local.get $y
        local.get $i
        i32.add
        v128.load
        local.tee $b
        local.get $b
        f32x4.relaxed_madd
        drop
        local.get $o
        local.get $i
        i32.add
        local.get $a
        local.get $a
        f32x4.mul
        local.get $b
        local.get $b
        f32x4.mul
        f32x4.add
        f32x4.sqrt
        v128.store
        local.get $i
        i32.const 16
        i32.add
        local.set $i
        br $top
      end $top
    end $exit))""",
}

MODULES["atomics_and_globals"] = """
(module
  (import "env" "memory" (memory 1 65536 shared))
  (global $ctrl (mut i32) (i32.const -3))
  (global $seen (mut i32) (i32.const 0))
  (func $claim (export "claim") (param $at i32) (param $old i32) (result i32) (local $w i32)
    local.get $at
    global.set $ctrl
    global.get $ctrl
    i32.atomic.load offset=4
    local.set $w
    global.get $ctrl
    local.get $old
    local.get $w
    i32.atomic.rmw.cmpxchg offset=4
    global.get $ctrl
    i32.const 1
    i32.atomic.rmw.add offset=8
    i32.add
    global.get $ctrl
    i32.const 7
    i32.atomic.store offset=12
    global.get $ctrl
    i32.const 0
    i64.const 1000
    memory.atomic.wait32
    i32.add
    global.get $ctrl
    i32.const 1
    memory.atomic.notify
    i32.add))"""


@pytest.mark.parametrize("name", sorted(MODULES))
def test_bytes_match_wat2wasm(name):
    ours = assemble(MODULES[name])
    theirs = strip_custom(wasmtime.wat2wasm(MODULES[name]))
    assert ours == theirs


def test_assembled_kernel_runs():
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    mem = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(1, None)))
    module = wasmtime.Module(engine, assemble(MODULES["scalar_loop"]))
    inst = wasmtime.Instance(store, module, [mem])
    view = np.frombuffer(memoryview(mem.read(store, 0, 64)), np.uint8)  # sanity: readable
    assert view.size == 64
    x = np.arange(8, dtype=np.float32)
    y = np.ones(8, dtype=np.float32)
    mem.write(store, x.tobytes(), 0)
    mem.write(store, y.tobytes(), 64)
    inst.exports(store)["axpy"](store, 0, 64, 8, 2.0)
    out = np.frombuffer(mem.read(store, 64, 96), np.float32)
    np.testing.assert_array_equal(out, 2 * x + 1)


def test_leb128_and_errors():
    assert uleb(624485) == bytes([0xE5, 0x8E, 0x26])
    assert sleb(-123456) == bytes([0xC0, 0xBB, 0x78])
    assert sleb(63) == b"\x3f" and sleb(64) == b"\xc0\x00" and sleb(-64) == b"\x40"
    with pytest.raises(WatError, match="unsupported instruction"):
        assemble("(module (func i32.frobnicate))")
    with pytest.raises(WatError, match="unknown local"):
        assemble("(module (func local.get $nope drop))")


@pytest.mark.parametrize("fma", [False, True])
def test_generated_modules_match_wat2wasm(fma):
    """What the renderer and routines emit (splat loads, relaxed FMA, lane gathers, constant
    shifts, scatters, the threaded drivers' atomics) assembles to wat2wasm's bytes."""
    from jaxlite._src.backends.wasm.render import render
    from jaxlite._src.backends.wasm.routines import matmul_f32
    from jaxlite._src.kernel import ir, math as kmath
    f4, i4 = np.dtype("f4"), np.dtype("i4")
    i = ir.Index(ir.I32)
    x = ir.Load(f4, 0, i)
    row_max = ir.Load(f4, 1, ir.binary("idiv", i, ir.i32(64)))  # one value per row: gathered per lane
    exp_kernel = ir.Kernel("softmax_exp", (f4, f4), kmath.expand((ir.Unary(f4, "exp", ir.binary("sub", x, row_max)),)))
    scatter = ir.Kernel("scatter", (i4, f4), (ir.Load(f4, 1, i),),
                        ir.Scatter(ir.Load(i4, 0, i), "add"))
    from jaxlite._src.backends.wasm.linalg import F64, linalg_module
    threaded = linalg_module("lu_batch_par", fma, True, F64)  # (atomics, a global, shared memory)
    for wat in (matmul_f32(2, 13, 19, 7, fma), render(exp_kernel), render(scatter), threaded):
        assert assemble(wat) == strip_custom(wasmtime.wat2wasm(wat))
