"""The math table (kernel/math.py): every transcendental registered once, its float32 expansion
(what WGSL renders) measured in ulp against a float64 reference on a grid with edge values, run
as WebAssembly kernels; structural checks that need no engine. Also the declared KernelDevice
interface and the WGSL renderer's one binding layout and the webgpu launch policy, which are
checked here on their Python side (the GPU itself: test_webgpu_backend.py in Pyodide)."""

import math
import re
import types

import numpy as np
import pytest

import jaxlite as jax
from jaxlite._src.backends.kernel_device import KernelDevice
from jaxlite._src.backends.webgpu import device as gpu_device, render as wgsl, wgsl_math
from jaxlite._src.kernel import ir, legalize, math as kmath

F32, F16, F64 = np.dtype(np.float32), np.dtype(np.float16), np.dtype(np.float64)
UNARY = sorted(n for n, f in kmath.TABLE.items() if f.arity == 1)
BINARY = sorted(n for n, f in kmath.TABLE.items() if f.arity == 2)


def _digamma64(x):
    """float64 digamma: reflection, recurrence to x >= 10, the asymptotic series; NaN at the
    poles (JAX's answer)."""
    pole = (x <= 0) & (np.floor(x) == x)
    x = np.where(pole, np.nan, x)
    neg = x < 0
    with np.errstate(all="ignore"):
        acc = np.where(neg, -np.pi / np.tan(np.pi * x), 0.0)
    x = np.where(neg, 1 - x, x)
    for _ in range(10):
        small = x < 10
        acc = np.where(small, acc - 1 / x, acc)
        x = np.where(small, x + 1, x)
    z = 1 / (x * x)
    return acc + np.log(x) - 0.5 / x - z * (1 / 12 - z * (1 / 120 - z * (1 / 252 - z * (1 / 240 - z / 132))))


def _lgamma64(x):
    return np.array([v if math.isnan(v) else math.inf if math.isinf(v) or (v <= 0 and v == math.floor(v))
                     else math.lgamma(v) for v in x.tolist()])


REFERENCE = {"exp": np.exp, "exp2": np.exp2, "expm1": np.expm1, "log": np.log, "log1p": np.log1p, "tanh": np.tanh,
             "logistic": lambda x: np.exp(-np.logaddexp(0, -x)), "sin": np.sin, "cos": np.cos, "tan": np.tan,
             "atan": np.arctan, "asin": np.arcsin, "acos": np.arccos, "sinh": np.sinh, "cosh": np.cosh,
             "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh, "rsqrt": lambda x: 1 / np.sqrt(x),
             "erf": np.vectorize(math.erf, otypes=[float]), "erfc": np.vectorize(math.erfc, otypes=[float]),
             "lgamma": _lgamma64, "digamma": _digamma64, "cbrt": np.cbrt, "pow": np.power, "atan2": np.arctan2}


def _lin(a, b, n=1501):
    return np.linspace(a, b, n, dtype=np.float32)


def _logs(a, b, n=401, signs=(1, -1)):
    v = np.logspace(a, b, n).astype(np.float32)
    return np.concatenate([s * v for s in signs])


_POS = (1,)
_NEG = _lin(-9.95, -0.05, 1000)  # no pole on it
# op: (grid, max ulp). Bounds are what the expansions measure, rounded up, not targets: lgamma
# and digamma are measured in ulp of max(|result|, 1) (absolute error near their zeros, where
# the reflection formula cancels, up to 13 ulp of 1 for lgamma). sin/cos/tan are checked up to 2^23 elsewhere.
GRIDS = {
    "exp": ([_lin(-104, 89), _logs(-30, 0)], 1), "exp2": ([_lin(-151, 128)], 1),
    "expm1": ([_lin(-20, 88), _logs(-30, 0)], 1.5), "log": ([_logs(-45, 38, signs=_POS)], 1),
    "log1p": ([_logs(-30, 38, signs=_POS), -_logs(-30, -1e-7, signs=_POS), _lin(-0.999, 2)], 2),
    "tanh": ([_lin(-20, 20), _logs(-30, 1)], 1.5), "logistic": ([_lin(-100, 100)], 2),
    "sin": ([_lin(-1e4, 1e4, 8001), _logs(-30, 1)], 2), "cos": ([_lin(-1e4, 1e4, 8001)], 2),
    "tan": ([_lin(-1e3, 1e3, 8001), _logs(-30, 0)], 3), "atan": ([_logs(-30, 30)], 2.5),
    "asin": ([_lin(-1, 1), _logs(-30, -0.01)], 3.5), "acos": ([_lin(-1, 1)], 3.5),
    "sinh": ([_lin(-89, 89), _logs(-30, 0)], 1.5), "cosh": ([_lin(-89, 89)], 1.5), "asinh": ([_logs(-30, 38)], 2),
    "acosh": ([1 + _logs(-6, 0, signs=_POS), _logs(0.01, 38, signs=_POS)], 3),
    "atanh": ([_lin(-0.999, 0.999), _logs(-30, -0.01)], 3), "rsqrt": ([_logs(-37, 38, signs=_POS)], 1.5),
    "erf": ([_lin(-5, 5), _logs(-30, 0)], 6), "erfc": ([_lin(-5, 10)], 5), "cbrt": ([_logs(-37, 38)], 1),
    "lgamma": ([_NEG, _lin(0.01, 100)], 16), "digamma": ([_NEG, _lin(0.01, 100)], 8),
}
# Values every function meets: zeros of both signs, infinities, NaN, subnormals, the largest float.
EDGES = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, 2.0, 1e-45, -1e-45, 1e-40, 3.4e38, -3.4e38],
                 np.float32)


def _wasm():
    if "wasm" not in [d.platform for d in jax.devices()]:
        pytest.skip("no WebAssembly engine here")
    return jax.devices("wasm")[0]


def _run_float32_expansion(op, *args):
    """The float32 expansion (as WGSL gets it) compiled as a WebAssembly kernel and run."""
    dev = _wasm()
    n = args[0].size
    leaves = [ir.Load(F32, k, ir.Index(ir.I32)) for k in range(len(args))]
    node = ir.Unary(F32, op, leaves[0]) if len(args) == 1 else ir.Binary(F32, op, *leaves)
    kern = dev.compile(ir.Kernel(op, (F32,) * len(args), kmath.expand((node,), float64=False)))
    out = dev.launch(kern, [dev.put(np.ascontiguousarray(a, np.float32)) for a in args], n, F32)
    return dev.get(out, types.SimpleNamespace(shape=(n,), dtype=F32)).copy()


def _ulps(got, want, floor=0.0):
    """|got - want| in units of the float32 spacing at want (or at `floor`, if larger)."""
    with np.errstate(all="ignore"):
        scale = np.maximum(np.abs(want), floor).astype(np.float32)
        spacing = np.maximum(np.spacing(np.abs(scale)).astype(np.float64), 2.0 ** -149)
        err = np.abs(got.astype(np.float64) - want) / spacing
    with np.errstate(over="ignore"):
        want32 = want.astype(np.float32)
    agree = (np.isnan(got) & np.isnan(want)) | (np.isinf(want32) & (got == want32))
    return np.where(agree, 0.0, err)


@pytest.mark.parametrize("op", sorted(GRIDS))
def test_float32_expansion_is_accurate_to_its_ulp_bound(op):
    grids, bound = GRIDS[op]
    x = np.concatenate(grids)
    got = _run_float32_expansion(op, x)
    with np.errstate(all="ignore"):
        want = REFERENCE[op](x.astype(np.float64))
    ulps = _ulps(got, want, 1.0 if op in ("lgamma", "digamma") else 0.0)
    worst = int(np.argmax(ulps))
    assert ulps[worst] <= bound, f"{op}({x[worst]!r}) = {got[worst]!r}, want {want[worst]!r}: {ulps[worst]:.2f} ulp"


@pytest.mark.parametrize("op", UNARY)
def test_float32_expansion_edge_values(op):
    """NaN, infinities, signed zeros and subnormals as the float64 reference gives them."""
    got = _run_float32_expansion(op, EDGES)
    with np.errstate(all="ignore"):
        want = REFERENCE[op](EDGES.astype(np.float64))
    assert np.array_equal(np.isnan(got), np.isnan(want)), (op, got, want)
    finite = np.isfinite(want)
    assert np.array_equal(got[~finite & ~np.isnan(want)], want[~finite & ~np.isnan(want)].astype(np.float32)), op
    if op not in ("lgamma", "digamma"):  # the signs of their poles' results differ between libraries
        zero = want == 0
        assert np.array_equal(np.signbit(got[zero]), np.signbit(want[zero])), (op, EDGES[zero], got[zero])
    close = finite & (np.abs(want) < 3.3e38)
    if op in ("sin", "cos", "tan"):
        close &= np.abs(EDGES) < 2 ** 23  # beyond: bounded only
    if op == "lgamma":
        close &= np.abs(EDGES) > 1e-38  # pi x loses its bits for subnormal x (finite, within 0.1)
    assert np.all(_ulps(got[close], want[close], 1.0 if op in ("lgamma", "digamma") else 0.0) <= 8), (op, got, want)


def test_float32_sin_cos_reduce_exactly_up_to_2_to_the_23():
    x = np.concatenate([np.float32(2.0) ** np.arange(13, 23, 0.25, dtype=np.float32), np.float32([8388607.5])])
    x = np.concatenate([x, np.nextafter(x, np.float32(np.inf))])
    x = np.concatenate([x[x < 2 ** 23], -x[x < 2 ** 23]])
    for op, ref in (("sin", np.sin), ("cos", np.cos)):
        got = _run_float32_expansion(op, x)
        np.testing.assert_allclose(got, ref(x.astype(np.float64)), rtol=0, atol=3e-7)
    huge = np.float32([1e9, -3e20, 3.4e38])
    assert np.all(np.abs(_run_float32_expansion("sin", huge)) <= 1)  # bounded beyond


def test_float32_pow_and_atan2_on_a_grid_and_special_cases():
    x, y = np.meshgrid(np.float32([0.0, -0.0, 0.5, 1.0, -1.0, 2.0, -2.0, 3.5, -8.0, 1e10, np.inf, -np.inf, np.nan]),
                       np.float32([0.0, -0.0, 1.0, -1.0, 2.0, 3.0, -3.0, 0.5, -0.5, 1e10, np.inf, -np.inf, np.nan]))
    x, y = x.ravel(), y.ravel()
    for op, ref in (("pow", np.power), ("atan2", np.arctan2)):
        got = _run_float32_expansion(op, x, y)
        with np.errstate(all="ignore"):
            want = ref(x.astype(np.float64), y.astype(np.float64)).astype(np.float32)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=op)
        np.testing.assert_allclose(got, want, rtol=2e-6, err_msg=op)  # pow: error grows with |y log x|
        zero = want == 0
        np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(want[zero]), err_msg=op)
    rng = np.random.default_rng(0)
    base, expo = rng.uniform(0.01, 10, 2000).astype(np.float32), rng.uniform(-8, 8, 2000).astype(np.float32)
    assert np.max(_ulps(_run_float32_expansion("pow", base, expo), np.power(base.astype(np.float64), expo))) <= 32
    a, b = rng.standard_normal((2, 2000)).astype(np.float32)
    assert np.max(_ulps(_run_float32_expansion("atan2", a, b), np.arctan2(a.astype(np.float64), b))) <= 4


@pytest.mark.parametrize("dtype", [F32, F16])
def test_float32_expansions_use_only_32_bit_arithmetic(dtype):
    """What WGSL needs: no 64-bit value and no math op left; float16 computes in float32 once."""
    for op in sorted(kmath.ops(float64=False)):
        args = [ir.Load(dtype, k, ir.Index(ir.I32)) for k in range(kmath.TABLE[op].arity)]
        out = kmath.expansion(op, args, float64=False)
        assert out.dtype == dtype
        for e in ir.nodes([out]):
            assert e.dtype.itemsize <= 4, (op, e)
            assert not (isinstance(e, (ir.Unary, ir.Binary)) and e.op in kmath.TABLE), (op, e)
            assert e.dtype != F16 or e is out or isinstance(e, ir.Load), (op, e)


def test_targets_expand_from_the_one_table():
    assert kmath.ops(float64=False) == frozenset(kmath.TABLE)  # WGSL: every function, in float32
    with_f64 = kmath.ops(float64=True)
    assert {"exp", "sin", "pow", "erf"} <= with_f64 and not {"lgamma", "digamma"} & with_f64
    # a float64 target computes float32 inputs in float64 (rounded once), except where the float32
    # expansion is as accurate and SIMD-able (exp)
    x = ir.Load(F32, 0, ir.Index(ir.I32))
    assert any(e.dtype == F64 for e in ir.nodes([kmath.expansion("sin", [x])]))
    assert all(e.dtype.itemsize <= 4 for e in ir.nodes([kmath.expansion("exp", [x])]))
    with pytest.raises(KeyError):
        kmath.expansion("lgamma", [ir.Load(F64, 0, ir.Index(ir.I32))])
    # WGSL renders the table's expansions: no transcendental helper is left in its library
    assert set(wgsl_math.LIB) == {"zero", "inf", "nan", "isnan", "isinf", "f16", "max", "min", "sqrt", "fmod"}
    for op in sorted(kmath.TABLE):
        args = [ir.Load(F32, k, ir.Index(ir.I32)) for k in range(kmath.TABLE[op].arity)]
        node = ir.Unary(F32, op, *args) if len(args) == 1 else ir.Binary(F32, op, *args)
        raw = ir.Kernel(op, (F32,) * len(args), (node,))
        assert "jl_" + op + "(" not in wgsl.render_map(legalize.kernel(gpu_device.expand_math(raw)))
        assert "jl_" + op + "(" not in wgsl.render_map(raw)  # an unprepared kernel (jit's as_text) expands too
    assert ir.MATH_UNARY | ir.MATH_BINARY == set(kmath.TABLE)  # the fusion cost model counts these


def test_casts_of_clamped_exponents_need_only_the_nan_guard():
    x = ir.Load(F32, 0, ir.Index(ir.I32))
    n = ir.Unary(F32, "nearest", x.max(-104.0).min(89.0) * 1.4427)
    (legal,) = legalize.legalize((ir.Cast(ir.I32, n),))
    assert sum(isinstance(e, ir.Select) for e in ir.nodes([legal])) == 1  # NaN -> 0, no saturation
    (legal,) = legalize.legalize((ir.Cast(ir.I32, ir.Unary(F32, "nearest", x)),))
    assert sum(isinstance(e, ir.Select) for e in ir.nodes([legal])) > 1  # unbounded: saturates


# ---- the kernel device contract, the WGSL bindings, the webgpu launch policy ---------------------------

def test_kernel_device_is_a_declared_interface():
    with pytest.raises(TypeError, match="abstract"):
        KernelDevice()

    class Partial(KernelDevice):
        def supports_dtype(self, dtype):
            return True
    with pytest.raises(TypeError, match="abstract"):
        Partial()
    for name in ("put", "get", "compile", "launch", "launch_many", "launch_scatter", "matmul", "launch_routine"):
        assert getattr(KernelDevice, name).__isabstractmethod__ and KernelDevice.__dict__[name].__doc__
    for d in jax.devices():
        assert isinstance(d, KernelDevice) == (d.platform in ("wasm", "webgpu"))


def _binding_numbers(wgsl_text):
    return [int(b) for b in re.findall(r"@binding\((\d+)\)", wgsl_text)]


def test_every_shader_uses_the_one_binding_layout():
    f4 = F32
    x, y = ir.Load(f4, 0, ir.Index(ir.I32)), ir.Load(f4, 1, ir.Index(ir.I32))
    ew = ir.Kernel("k", (f4, f4), (x + y, x * y))
    red = ir.Kernel("r", (f4,), (ir.Reduce(f4, "add", ir.Load(f4, 0, ir.Index(ir.I32) * 512 + ir.RIndex(ir.I32, 0)), 512, 0),))
    scat = ir.Kernel("s", (f4, ir.I32), (x,), ir.Scatter(ir.Load(ir.I32, 1, ir.Index(ir.I32)), "add"))
    texts = [wgsl.render_map(ew), wgsl.render_map(ew, packed=True), wgsl.render_map4(ew, wgsl.vector_args(ew)),
             wgsl.render_wg_reduce(red, 2), wgsl.render_chunk_reduce(red, 2), wgsl.render_scatter(scat)]
    for text in texts:
        nums = _binding_numbers(text)
        assert nums == list(range(len(nums))), text  # inputs, outputs, then the uniform, in order
        assert text.count("struct P {") == 1 and re.search(rf"@binding\({nums[-1]}\) var<uniform> p: P;", text)
    assert "off: array<vec4<u32>, 1>" in texts[1] and "array<vec4<f32>>" in texts[2] and "atomic<u32>" in texts[5]


class _Runtime:
    """Records dispatches instead of running them."""
    max_storage_buffers, max_groups, cpu_adapter = 8, 65535, False

    def __init__(self):
        self.calls = []

    def alloc(self, nbytes, for_kernel=True):
        return len(self.calls), nbytes

    def free(self, *a):
        pass

    def pipeline(self, wgsl_text, n_in, n_out, label):
        return label

    def dispatch(self, pid, grid, uniforms, ids, work=0):
        self.calls.append((pid, grid, uniforms[:2]))


class _Device:
    use_subgroups = False

    def __init__(self):
        self.runtime, self._live, self.buffers_made = _Runtime(), 0, 0

    def compile(self, kernel):
        return gpu_device.GPUKernel(self, kernel)


def _reduction(n_out, size):
    f4 = F32
    body = ir.Load(f4, 0, ir.Index(ir.I32) * size + ir.RIndex(ir.I32, 0))
    return ir.Kernel("sum", (f4,), (ir.Reduce(f4, "add", body, size, 0),))


@pytest.mark.parametrize("cpu_adapter", [False, True])
def test_webgpu_launch_policy_and_grids(cpu_adapter):
    G = gpu_device
    dev = _Device()
    dev.runtime.cpu_adapter = cpu_adapter
    cases = [(G.SHORT_AXIS - 1, 10, "map", 1), (4096, G.MANY_OUTPUTS, "map" if cpu_adapter else "wg", 1),
             (G.MAP_AXIS, G.MANY_OUTPUTS, "map", 1), (1 << 20, 2, "chunks" if cpu_adapter else "wg", None)]
    for size, n, strategy, split in cases:
        kern = G.GPUKernel(dev, _reduction(n, size))
        got, got_split = kern.strategy(n)
        assert got == strategy, (size, n, cpu_adapter)
        if split is not None:
            assert got_split == split
        elif cpu_adapter:
            assert got_split == min(-(-size // G.CPU_MIN_CHUNK), -(-G.CPU_PARALLEL // n))
        else:
            assert got_split == min(-(-size // G.WG_CHUNK), G.TARGET_GROUPS // n)
        dev.runtime.calls.clear()
        kern.run([types.SimpleNamespace(id=0, nbytes=4 * n * size)], [types.SimpleNamespace(id=1)], n)
        (pid, grid, (count, stride)), *second = dev.runtime.calls
        assert count == n * got_split and len(second) == (got_split > 1)
        per_group = 1 if got == "wg" else wgsl.WG
        assert grid[0] * grid[1] * per_group >= count and stride == grid[0] * per_group
    x = ir.Load(F32, 0, ir.Index(ir.I32))
    kern = G.GPUKernel(dev, ir.Kernel("ew", (F32,), (x * 2.0,)))
    dev.runtime.calls.clear()
    n = 4 * wgsl.WG * 70000 + 3  # past one grid row of workgroups
    kern.run([types.SimpleNamespace(id=0, nbytes=4 * n)], [types.SimpleNamespace(id=1)], n)
    ((pid, grid, (count, stride)),) = dev.runtime.calls
    assert pid == "ew:map4" and count == -(-n // 4) and grid[0] == 65535 and grid[1] == 2 and stride == 65535 * wgsl.WG
