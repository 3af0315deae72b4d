"""sin, cos and tan over the whole float32 (and float64) range (kernel/math.py): an exact argument
reduction (Payne-Hanek) for huge arguments, on the wasm device (the float64 expansion, its
large-argument path in a branch) and in the float32-only expansion that WGSL renders (run here
as WebAssembly kernels). The reference is numpy's float64 sin of the float32 input (exact reduction), and real
JAX, whose XLA CPU kernels reduce exactly too."""

import types

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite._src.kernel import ir, math as kmath
from conftest import needs_jax, real_jax, real_jnp

if "wasm" not in [d.platform for d in jax.devices()]:
    pytest.skip("no WebAssembly engine here", allow_module_level=True)

WASM = jax.devices("wasm")[0]
F32 = np.dtype(np.float32)
REF = {"sin": np.sin, "cos": np.cos, "tan": np.tan}


def _inputs():
    """Every binade from 2^-30 to 2^128 of both signs, the float32 neighbours of multiples of
    pi/2 (the worst cancellations), and IEEE special values."""
    rng = np.random.default_rng(7)
    logs = rng.uniform(-30, 127, 6000)
    x = (2.0 ** logs * rng.uniform(1, 2, logs.size)).astype(np.float32)
    k = np.float64(np.pi / 2) * np.concatenate([np.arange(1, 200), 2.0 ** np.arange(10, 100, 7)])
    near = k.astype(np.float32)
    near = np.concatenate([near, np.nextafter(near, np.float32(np.inf)), np.nextafter(near, np.float32(0))])
    special = np.float32([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-40, 1.0, 2 ** 20, 2 ** 20 - 0.0625,
                          2 ** 23, 8388607.5, 1e9, 3e20, 3.4028235e38, 16367173 * 2.0 ** 72, 1.5707964])
    x = np.concatenate([x, near, special]).astype(np.float32)
    return np.concatenate([x, -x])


X = _inputs()


def _ulps(got, x, op):
    """|got - exact| in float32 ulps of the exact result (0 where both are the same special value)."""
    with np.errstate(all="ignore"):
        exact = REF[op](x.astype(np.float64))
        spacing = np.maximum(np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64), 2.0 ** -149)
        err = np.abs(got.astype(np.float64) - exact) / spacing
    same = (np.isnan(got) & np.isnan(exact)) | (got == exact)
    return np.where(same, 0.0, err)


def _run_float32_expansion(op, x):
    """The float32-only expansion (as WGSL gets it) as a WebAssembly kernel."""
    node = ir.Unary(F32, op, ir.Load(F32, 0, ir.Index(ir.I32)))
    kern = WASM.compile(ir.Kernel(op, (F32,), kmath.expand((node,), float64=False)))
    out = WASM.launch(kern, [WASM.put(np.ascontiguousarray(x))], x.size, F32)
    return WASM.get(out, types.SimpleNamespace(shape=(x.size,), dtype=F32)).copy()


@pytest.mark.parametrize("op", ["sin", "cos", "tan"])
def test_wasm_float32_is_correctly_rounded_to_half_an_ulp(op):
    """The float64 expansion with the exact reduction: within 0.51 ulp of the exact value at
    every magnitude, fused under jit and eager; NaN for inf and NaN."""
    got = np.asarray(jax.jit(getattr(jnp, op))(jax.device_put(X, WASM)))
    assert got.dtype == np.float32
    ulps = _ulps(got, X, op)
    worst = int(np.argmax(ulps))
    assert ulps[worst] <= 0.51, (op, X[worst], got[worst], ulps[worst])
    assert np.isnan(got[np.isinf(X) | np.isnan(X)]).all()
    eager = np.asarray(getattr(jnp, op)(jax.device_put(X[:500], WASM)))
    np.testing.assert_array_equal(eager, got[:500])


@pytest.mark.parametrize("op", ["sin", "cos", "tan"])
def test_float32_only_expansion_reduces_exactly(op):
    """What WGSL renders: Payne-Hanek in 32-bit integers beyond 2^23, Cody-Waite below:
    within 2 ulp (tan, a quotient: 5) at every magnitude."""
    got = _run_float32_expansion(op, X)
    ulps = _ulps(got, X, op)
    worst = int(np.argmax(ulps))
    assert ulps[worst] <= {"sin": 2, "cos": 2, "tan": 5}[op], (op, X[worst], got[worst], ulps[worst])


@needs_jax
@pytest.mark.parametrize("op", ["sin", "cos", "tan"])
def test_matches_jax_over_the_float32_range(op):
    want = np.asarray(getattr(real_jnp, op)(X))
    got = np.asarray(jax.jit(getattr(jnp, op))(jax.device_put(X, WASM)))
    assert got.dtype == want.dtype
    with np.errstate(all="ignore"):
        spacing = np.spacing(np.abs(want)).astype(np.float64)
        ulps = np.abs(got.astype(np.float64) - want) / spacing
    ulps = np.where((np.isnan(got) & np.isnan(want)) | (got == want), 0.0, ulps)
    assert ulps.max() <= 1.0, (op, X[np.argmax(ulps)])


def test_grad_and_vmap_at_huge_arguments():
    x = np.float32([3e5, -7.5e12, 1e20, 3.3e38])
    g = jax.jit(jax.vmap(jax.grad(lambda v: jnp.sin(v) * jnp.cos(v))))(jax.device_put(x, WASM))
    want = np.cos(2 * x.astype(np.float64))  # d/dx sin x cos x = cos 2x, with 2x exact in float64
    np.testing.assert_allclose(np.asarray(g), want, rtol=0, atol=3e-7)
    assert not WASM.host_fallbacks.get("sin") and not WASM.host_fallbacks.get("cos")


def test_the_exact_reduction_is_a_branch_on_wasm():
    """The common case pays no Payne-Hanek: the wasm kernel branches to it (ir.Branch), while
    the float32-only expansion (WGSL) computes both sides and selects."""
    node = ir.Unary(F32, "sin", ir.Load(F32, 0, ir.Index(ir.I32)))
    wide = ir.nodes(kmath.expand((node,), float64=True))
    assert sum(isinstance(e, ir.Branch) for e in wide) == 2  # the reduced argument and its quadrant
    assert not any(isinstance(e, ir.Branch) for e in ir.nodes(kmath.expand((node,), float64=False)))
    f64 = ir.Unary(np.dtype(np.float64), "sin", ir.Load(np.dtype(np.float64), 0, ir.Index(ir.I32)))
    assert sum(isinstance(e, ir.Branch) for e in ir.nodes(kmath.expand((f64,), float64=True))) == 2


@pytest.mark.parametrize("op", ["sin", "cos", "tan"])
def test_float64_inputs_reduce_exactly_under_x64(op):
    """float64 arguments beyond 2^20 take the 53-bit Payne-Hanek: double accuracy up to 1.8e308."""
    rng = np.random.default_rng(11)
    x = 2.0 ** rng.uniform(-10, 1023, 3000) * rng.uniform(1, 2, 3000)
    x = np.concatenate([x, -x, [0.0, -0.0, np.inf, np.nan, 2.0 ** 20, 1.7976931348623157e308]])
    jax.config.update("jax_enable_x64", True)
    try:
        got = np.asarray(jax.jit(getattr(jnp, op))(jax.device_put(x, WASM)))
    finally:
        jax.config.update("jax_enable_x64", False)
    assert got.dtype == np.float64
    with np.errstate(all="ignore"):
        want = REF[op](x)
    np.testing.assert_allclose(got, want, rtol=2e-15 if op == "tan" else 0, atol=0 if op == "tan" else 4e-16)
