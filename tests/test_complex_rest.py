"""The last complex host fallbacks as kernels (kernel/complex.py): max/min reductions in XLA's CPU
order (its tree of windows of 32, NaNs and signed zeros where the fold leaves them), scatter-mul,
-min and -max as one invocation per element on wasm, and scatter/scatter-add on webgpu (set through
the last-update-wins decomposition, add as float atomics over the parts). Values are checked bit
for bit against real JAX where it is installed, and against the cpu device (the reference, which
folds in the same order) everywhere, webgpu included."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from conftest import needs_jax, real_jax, real_jnp

CPU = jax.devices("cpu")[0]
WASM = next((d for d in jax.devices() if d.platform == "wasm"), None)
GPU = next((d for d in jax.devices() if d.platform == "webgpu"), None)
KERNEL_DEVICES = [d for d in (WASM, GPU) if d is not None]
nan, inf = np.nan, np.inf
# (the cpu device's numpy kernels warn at inf * 0 in a product; the results are XLA's)
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture(autouse=True)
def no_host_fallback():
    for d in KERNEL_DEVICES:
        d.host_fallbacks.clear()
    yield
    for d in KERNEL_DEVICES:
        assert not d.host_fallbacks, (d, dict(d.host_fallbacks))


def bits(x):
    """An array's bytes as words: equal means equal values, NaNs, and signs of zero alike."""
    x = np.atleast_1d(np.asarray(x))
    return x.dtype, x.shape, x.view(np.uint32 if x.dtype == np.complex64 else np.uint64).tolist()


def messy(rng, shape, dtype=np.complex64):
    """Small integer parts (ties in the real part decide by the imaginary one) with NaNs in either
    part, infinities and signed zeros scattered in."""
    x = (rng.integers(-3, 4, shape) + 1j * rng.integers(-3, 4, shape)).astype(dtype)
    m = rng.random(shape)
    for lo, hi, v in ((0, .05, complex(nan, 1)), (.05, .1, complex(1, nan)), (.1, .12, complex(nan, nan)),
                      (.12, .14, complex(-inf, -1)), (.14, .16, complex(inf, 1)), (.16, .2, complex(-0.0, -0.0)),
                      (.2, .22, complex(3, -0.0))):
        x[(m >= lo) & (m < hi)] = v
    return x


def on_each(f, *args):
    """f on every device, eagerly and under jit: {label: result as numpy}."""
    out = {}
    for d in [CPU, *KERNEL_DEVICES]:
        xs = [jax.device_put(np.asarray(a), d) for a in args]
        for label, g in (("eager", f), ("jit", jax.jit(f))):
            r = g(*xs)
            assert r.device == d
            out[f"{d.platform}/{label}"] = np.asarray(r)
    return out


# shapes whose reduced axes stay within one window, need one level of windows (padded or not, one or
# two axes at a time), two levels, or are of length 1 only (a reshape in XLA: no fold with the identity)
REDUCTIONS = [((3, 7), (1,)), ((5, 4, 6), (0, 2)), ((98,), (0,)), ((2, 70), (1,)), ((40, 5), (0, 1)),
              ((33, 3, 45), (0, 2)), ((64,), (0,)), ((1100,), (0,)), ((4, 1), (1,)), ((0, 3), (0,)), ((3, 0), (1,))]


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_reductions_are_kernels_in_xla_order(name):
    """Every device gives the cpu device's words (the fold in XLA's order), eagerly and under jit."""
    rng = np.random.default_rng(0)
    for shape, axes in REDUCTIONS:
        x = messy(rng, shape)
        # (jnp.max of an empty axis raises, as JAX's: lax's reduction gives the identity)
        red = getattr(jnp, name) if x.size else lambda v, axis: getattr(jax.lax, f"reduce_{name}")(v, axis)
        got = on_each(lambda v: red(v, axis=axes), x)
        want = bits(got.pop("cpu/eager"))
        for label, r in got.items():
            assert bits(r) == want, (shape, axes, label)


@needs_jax
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_reductions_as_jax(name):
    rng = np.random.default_rng(1)
    for shape, axes in REDUCTIONS[:-2] + [((37, 2, 40), None), ((6, 6, 6), None)]:
        x = messy(rng, shape)
        want = bits(getattr(real_jnp, name)(x, axis=axes))
        for label, r in on_each(lambda v: getattr(jnp, name)(v, axis=axes), x).items():
            assert bits(r) == want, (shape, axes, label)


def test_max_of_complex128_and_under_vmap():
    """complex128 (x64) folds over float64 parts; vmap moves the batch axis into the reduction's
    kept axes: the same words as a loop over the batch."""
    rng = np.random.default_rng(2)
    with jax.enable_x64(True):
        x = messy(rng, (50, 3), np.complex128)
        want = bits(jnp.max(jax.device_put(x, CPU), axis=0))
        for d in [CPU, WASM] if WASM is not None else [CPU]:
            got = jax.jit(lambda v: jnp.max(v, axis=0))(jax.device_put(x, d))
            assert got.dtype == np.complex128 and bits(got) == want
    x = messy(rng, (4, 40, 3))
    loop = np.stack([np.asarray(jnp.min(jax.device_put(x[b], CPU))) for b in range(4)])
    for d in [CPU, *KERNEL_DEVICES]:
        assert bits(jax.jit(jax.vmap(jnp.min))(jax.device_put(x, d))) == bits(loop)


SCATTER_OPS = ["multiply", "min", "max", "set", "add"]


def _scatter_case(rng):
    z = messy(rng, (6, 3))
    idx = np.array([0, 0, 2, 4, 4, 1, -1, 9, 5, 4], np.int32)  # duplicates, a negative, one out of range
    u = messy(rng, (10, 3))
    return z, idx, u


def _scatters(name, idx, mode):
    cases = {"rows": lambda z, u: getattr(z.at[idx], name)(u, mode=mode),
             "column": lambda z, u: getattr(z.at[idx[:6], 1], name)(u[:6, 0] * (1 - 2j), mode=mode)}
    if name == "set":  # promised unique: scattered directly, both parts from one invocation
        cases["unique"] = lambda z, u: z.at[idx[2:6]].set(u[:4], mode=mode, unique_indices=True)
    return cases


def _scatter_devices(name):
    # webgpu runs mul/min/max (both parts of the old value at once) as one invocation applying the
    # updates in order (tests/test_complex_scans.py)
    return [CPU, *KERNEL_DEVICES]


@pytest.mark.parametrize("name", SCATTER_OPS)
def test_scatters_are_kernels_with_duplicates_in_order(name):
    """Duplicates combine in update order as on the cpu device (set: the last one wins; mul/min/max
    one invocation per element reading both old parts); add sums duplicates (float atomics on
    webgpu: the order of the sum may differ, so it is compared with a tolerance there)."""
    rng = np.random.default_rng(3)
    z, idx, u = _scatter_case(rng)
    for mode in ("fill", "clip"):
        for case, f in _scatters(name, idx, mode).items():
            want = np.asarray(f(jax.device_put(z, CPU), jax.device_put(u, CPU)))
            for d in _scatter_devices(name)[1:]:
                for g in (f, jax.jit(f)):
                    got = g(jax.device_put(z, d), jax.device_put(u, d))
                    assert got.device == d and got.dtype == np.complex64
                    if name == "add" and d.platform == "webgpu":
                        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6, atol=1e-6)
                    else:
                        assert bits(got) == bits(want), (mode, case, d, g)


@needs_jax
@pytest.mark.parametrize("name", SCATTER_OPS)
def test_scatters_as_jax(name):
    rng = np.random.default_rng(4)
    z, idx, u = _scatter_case(rng)
    for mode in ("fill", "clip"):
        for case, f in _scatters(name, idx, mode).items():
            want = np.asarray(f(real_jnp.asarray(z), real_jnp.asarray(u)))
            for d in _scatter_devices(name):
                for g in (f, jax.jit(f)):
                    got = g(jax.device_put(z, d), jax.device_put(u, d))
                    assert bits(got) == bits(want), (mode, case, d)


def test_scatter_add_of_many_duplicates_and_vmap_of_scatter_max():
    """Many updates onto few elements sum as a loop does; vmap of a complex scatter-max (a batched
    scatter) gives a Python loop's words."""
    rng = np.random.default_rng(5)
    z = (rng.standard_normal(8) + 1j * rng.standard_normal(8)).astype(np.complex64)
    idx = rng.integers(0, 8, 300).astype(np.int32)
    u = (rng.standard_normal(300) + 1j * rng.standard_normal(300)).astype(np.complex64)
    want = z.astype(np.complex128)
    np.add.at(want, idx, u)
    for d in [CPU, *KERNEL_DEVICES]:
        got = jax.jit(lambda a, b: a.at[idx].add(b))(jax.device_put(z, d), jax.device_put(u, d))
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)
    zs, us = messy(rng, (3, 6)), messy(rng, (3, 5))
    small = np.array([1, 3, 1, 0, 5], np.int32)

    def f(a, b):
        return a.at[small].max(b)
    loop = np.stack([np.asarray(f(jax.device_put(zs[k], CPU), jax.device_put(us[k], CPU))) for k in range(3)])
    for d in [CPU, *(d for d in KERNEL_DEVICES if d.platform == "wasm")]:
        assert bits(jax.jit(jax.vmap(f))(jax.device_put(zs, d), jax.device_put(us, d))) == bits(loop)


@pytest.mark.skipif(GPU is None, reason="no webgpu device here (Pyodide with WebGPU only)")
def test_webgpu_scatter_mul_min_max_are_kernels():
    rng = np.random.default_rng(6)
    z, idx, u = _scatter_case(rng)
    for name in ("multiply", "min", "max"):
        f = _scatters(name, idx, "fill")["rows"]
        want = bits(f(jax.device_put(z, CPU), jax.device_put(u, CPU)))
        assert bits(f(jax.device_put(z, GPU), jax.device_put(u, GPU))) == want
    assert not GPU.host_fallbacks
