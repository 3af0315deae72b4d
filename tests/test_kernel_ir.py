"""The kernel IR's building blocks: operators on expressions, the reduction identity table, and the
legalize pass (XLA's integer and cast semantics as raw operations). Legalized IR is evaluated by a
small numpy interpreter that asserts every raw operation's precondition (no division by zero or
INT_MIN / -1, shift counts in range, no arithmetic on 8/16-bit integers, float -> int casts of
in-range non-NaN values), then compared with the cpu device: this is the form the WGSL renderer
receives, which CPython cannot run."""

from __future__ import annotations

import numpy as np
import pytest

import jaxlite as jax
from jaxlite._src.kernel import ir, legalize
from jaxlite._src.kernel.ir import I32, Binary, Cast, Const, Index, Load, Reduce, RIndex, Select, Unary

INTS = ["int8", "int16", "int32", "uint8", "uint16", "uint32"]


def test_operators_build_the_same_ir_as_binary():
    i = Index(I32)
    assert (i * 4 + 1) == ir.binary("add", ir.binary("mul", i, ir.i32(4)), ir.i32(1))
    assert (i // 3, i % 3) == (ir.binary("idiv", i, ir.i32(3)), ir.binary("irem", i, ir.i32(3)))
    assert (i + 0) is i and (i * 1) is i  # binary's folding still applies
    x = Load(np.dtype(np.int8), 0, i)
    assert (2 - x) == Binary(x.dtype, "sub", Const(x.dtype, 2), x)  # Python ints take x's dtype
    assert (x >> 1).op == "shr_s" and (Load(np.dtype(np.uint8), 0, i) >> 1).op == "shr_u"
    assert x.lt(3) == Binary(np.dtype(np.bool_), "lt", x, Const(x.dtype, 3)) and x.lt(3).dtype == np.bool_
    assert (x == x) is True and (x == Load(x.dtype, 1, i)) is False  # == stays structural
    assert ir.where(x.ge(0), x, 0) == Select(x.dtype, x.ge(0), x, Const(x.dtype, 0))
    assert x.cast(np.int8) is x and x.cast(np.float32) == Cast(np.dtype(np.float32), x)
    with pytest.raises(TypeError):
        x + "1"


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint8", "int32", "uint32", "float32", "float16"])
def test_identity_table_is_neutral(dtype):
    dt = np.dtype(dtype)
    ufuncs = {"add": np.add, "mul": np.multiply, "max": np.maximum, "min": np.minimum, "and": np.bitwise_and,
              "or": np.bitwise_or, "xor": np.bitwise_xor}
    values = np.array([0, 1, 5, -3 if dt.kind in "if" else 7, 100], dtype=dt)
    for op, fn in ufuncs.items():
        if dt.kind == "f" and op in ("and", "or", "xor"):
            with pytest.raises(ValueError):
                ir.identity(op, dt)
            continue
        ident = np.array(ir.identity(op, dt).value, dtype=dt)
        if dt == np.bool_ and op in ("add", "mul"):
            fn = np.logical_or if op == "add" else np.logical_and
        with np.errstate(over="ignore"):
            np.testing.assert_array_equal(fn(ident, values), values, err_msg=f"{op} {dtype}")
    if dt.kind in "iu":
        assert np.array(ir.identity("and", dt).value, dt) == np.array(-1, dt) if dt.kind == "i" else np.iinfo(dt).max
    assert ir.identity("and", np.bool_).value is True and ir.identity("or", np.bool_).value is False


# ---- a raw-IR interpreter that checks the preconditions the renderers rely on ----------------------


def _narrow(dt):
    return dt.kind in "iu" and dt.itemsize < 4


def _run(e, ins, memo):
    got = memo.get(e)
    if got is not None:
        return got
    got = memo[e] = _node(e, ins, memo)
    assert got.dtype == e.dtype, (e, got.dtype)
    return got


def _node(e, ins, memo):
    kids = [_run(c, ins, memo) for c in ir.children(e)]
    n = len(ins[0])
    if isinstance(e, Index):
        return np.arange(n, dtype=np.int32)
    if isinstance(e, Const):
        return np.full(n, e.value, e.dtype)
    if isinstance(e, Load):
        return ins[e.arg][kids[0]]
    if isinstance(e, Select):
        return np.where(kids[0], kids[1], kids[2]).astype(e.dtype)
    if isinstance(e, Cast):
        (x,) = kids
        if e.x.dtype.kind == "f" and e.dtype.kind in "iu":
            t = np.trunc(x.astype(np.float64))
            info = np.iinfo(e.dtype)
            assert not np.isnan(t).any() and (t >= info.min).all() and (t <= info.max).all(), (e, x)
            return t.astype(e.dtype)
        if e.dtype == np.bool_:
            return x != 0
        with np.errstate(over="ignore", invalid="ignore"):
            return x.astype(e.dtype)  # integer casts wrap: the raw meaning
    if isinstance(e, Unary):
        (x,) = kids
        assert not _narrow(e.dtype), f"{e.op} on {e.dtype} reached a renderer"
        if e.op == "neg":
            return (np.zeros_like(x) - x).astype(e.dtype)
        if e.op == "abs":
            assert e.dtype.kind == "i"
            return np.where(x < 0, np.zeros_like(x) - x, x).astype(e.dtype)
        if e.op == "not":
            return ~x
        if e.op == "popcnt":
            return np.array([bin(int(v) & 0xFFFFFFFF).count("1") for v in x], e.dtype)
        raise AssertionError(e.op)
    a, b = kids
    op, dt = e.op, e.a.dtype
    bits = 8 * dt.itemsize
    if op in ir.COMPARISONS:
        return {"eq": a == b, "ne": a != b, "lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[op]
    if op in ("min", "max"):
        return np.minimum(a, b) if op == "min" else np.maximum(a, b)
    if op in ("and", "or", "xor"):
        return {"and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor}[op](a, b)
    assert dt.kind in "iu" and not _narrow(dt), f"{op} on {dt} reached a renderer"
    if op in ("shl", "shr_s", "shr_u"):
        assert ((b >= 0) & (b < bits)).all(), (e, b)
        assert op == "shl" or dt.kind == ("i" if op == "shr_s" else "u")
        return (a << b) if op == "shl" else (a >> b)
    wa, wb = a.astype(np.int64), b.astype(np.int64)
    if op in ("div", "rem"):
        assert (wb != 0).all() and not (dt.kind == "i" and ((wa == np.iinfo(dt).min) & (wb == -1)).any()), (e, a, b)
        q = np.abs(wa) // np.abs(wb) * np.sign(wa) * np.sign(wb)
        return (q if op == "div" else wa - q * wb).astype(dt)
    with np.errstate(over="ignore"):
        return {"add": wa + wb, "sub": wa - wb, "mul": wa * wb}[op].astype(dt)


def _evaluate(expr, *ins, saturating_casts=False):
    (legal,) = legalize.legalize((expr,), saturating_casts=saturating_casts)
    return _run(legal, ins, {})


def _edges(dtype):
    info = np.iinfo(dtype)
    vals = [0, 1, 2, 7, 9, 31, 32, 33, info.max, info.min, info.max - 1] + ([-1, -2, -7, -8, -9, info.min + 1]
                                                                          if info.min else [])
    return np.array([v for v in vals if info.min <= v <= info.max], dtype)


CPU = jax.devices("cpu")[0]
BINARY = {"div": jax.lax.div, "rem": jax.lax.rem, "shl": jax.lax.shift_left,
          "shr_s": jax.lax.shift_right_arithmetic, "shr_u": jax.lax.shift_right_logical,
          "add": jax.lax.add, "sub": jax.lax.sub, "mul": jax.lax.mul}


@pytest.mark.parametrize("dtype", INTS)
def test_legalized_integer_ops_match_the_cpu_device(dtype):
    dt = np.dtype(dtype)
    e = _edges(dt)
    a, b = np.repeat(e, len(e)), np.tile(e, len(e))  # every pair
    x, y = Load(dt, 0, Index(I32)), Load(dt, 1, Index(I32))
    with jax.default_device(CPU):
        for op, fn in BINARY.items():
            want = np.asarray(fn(a, b))
            np.testing.assert_array_equal(_evaluate(Binary(dt, op, x, y), a, b), want, err_msg=f"{op} {dtype}")
            for c in (0, 3, -1, 8 * dt.itemsize):  # constant counts and divisors fold differently
                if dt.kind == "u" and c < 0:
                    continue
                want = np.asarray(fn(a, np.full_like(a, c)))
                np.testing.assert_array_equal(_evaluate(Binary(dt, op, x, Const(dt, c)), a), want,
                                              err_msg=f"{op} {dtype} by {c}")
        for op, fn in (("neg", jax.lax.neg), ("abs", jax.lax.abs), ("not", jax.lax.bitwise_not),
                       ("popcnt", jax.lax.population_count)):
            np.testing.assert_array_equal(_evaluate(Unary(dt, op, x), e), np.asarray(fn(e)), err_msg=f"{op} {dtype}")


@pytest.mark.parametrize("src", ["float32", "float16", "float64"])
@pytest.mark.parametrize("saturating", [False, True])
def test_legalized_float_to_int_casts_saturate(src, saturating):
    values = [0.0, 0.5, -0.5, 1.9, -1.9, 127.5, 128.0, -128.5, -129.0, 255.9, 256.0, 3e4, -3e4, 6e4, 2.0 ** 31,
              -2.0 ** 31, 3e9, 5e9, -5e9, 1e30, np.inf, -np.inf, np.nan]
    values = np.array([v for v in values if not np.isfinite(v) or abs(v) <= float(np.finfo(src).max)], src)
    x = Load(np.dtype(src), 0, Index(I32))
    for dst in INTS:
        dt = np.dtype(dst)
        if saturating and not _narrow(dt):
            continue  # left to the target's own saturating cast
        with jax.default_device(CPU):
            want = np.asarray(jax.lax.convert_element_type(values, dt))
        got = _evaluate(Cast(dt, x), values, saturating_casts=saturating) if not saturating else None
        if saturating:  # the clamp, then the target's (here: numpy's) cast of an in-range value
            (legal,) = legalize.legalize((Cast(dt, x),), saturating_casts=True)
            (wide,) = [n for n in ir.nodes([legal]) if isinstance(n, Cast) and n.x is x]
            assert wide.dtype.itemsize == 4
            w = np.iinfo(wide.dtype)  # what wasm's trunc_sat gives
            sat = np.clip(np.nan_to_num(values.astype(np.float64), posinf=w.max, neginf=w.min), w.min, w.max)
            memo = {wide: sat.astype(np.int64).astype(wide.dtype)}
            got = _run(legal, (values,), memo)
        np.testing.assert_array_equal(got, want, err_msg=f"{src} -> {dst}")


def test_legalized_reductions_and_bools():
    r = RIndex(I32, 0)
    i8 = np.dtype(np.int8)
    (legal,) = legalize.legalize((Reduce(i8, "add", Load(i8, 0, r), 10, 0),))
    assert isinstance(legal, Cast) and legal.x.dtype == np.int32 and legal.x.op == "add"  # wraps once, at the end
    (legal,) = legalize.legalize((Reduce(i8, "max", Load(i8, 0, r), 10, 0),))
    assert legal.dtype == i8 and legal.op == "max"
    b = np.dtype(np.bool_)
    (legal,) = legalize.legalize((Reduce(b, "add", Load(b, 0, r), 10, 0),))
    assert legal.op == "or"
    x, y = Load(b, 0, Index(I32)), Load(b, 1, Index(I32))
    assert [legalize.node(Binary(b, op, x, y)).op for op in ("add", "mul", "max", "min", "xor")] == \
        ["or", "and", "or", "and", "xor"]


def test_signed_zero_and_nan_constants_are_distinct_cache_keys():
    """Kernels are their own cache keys: x / -0.0 after x / 0.0 must not reuse the first kernel
    (Python's -0.0 == 0.0), and a NaN constant still equals itself."""
    f32 = np.dtype(np.float32)
    assert ir.Const(f32, -0.0) != ir.Const(f32, 0.0)
    assert ir.Const(f32, float("nan")) == ir.Const(f32, float("nan"))
    x = jax.numpy.array([1.0, -1.0])
    pos = jax.jit(lambda v: v / 0.0)(x)
    neg = jax.jit(lambda v: v / -0.0)(x)
    np.testing.assert_array_equal(np.asarray(pos), [np.inf, -np.inf])
    np.testing.assert_array_equal(np.asarray(neg), [-np.inf, np.inf])
