"""Complex cumulative ops and complex scatter-mul/-min/-max as kernels (kernel/complex.py,
lower._xla_scan, webgpu's serial scatter).

XLA's CPU computes a cumulative reduction as a reduce-window that it rewrites into blocks of 16
(`xla_scan` below, the reference): kernels that stage (webgpu) follow that order, so sums and the
lexicographic max/min match real JAX bit for bit, NaNs included (the lexicographic max is not
associative with NaNs), and products to rounding. The wasm device runs scans on its host by
design; here it also runs with staging switched on, which exercises the same lowering through
its kernels in CPython. The reference is checked against real JAX where it is installed, so the
bit-exact checks hold in Pyodide too."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import lax
from conftest import assert_close, needs_jax, real_jax, real_jnp

CPU = jax.devices("cpu")[0]
WASM = next((d for d in jax.devices() if d.platform == "wasm"), None)
GPU = next((d for d in jax.devices() if d.platform == "webgpu"), None)
nan, inf = np.nan, np.inf
OPS = ["cumsum", "cumprod", "cummax", "cummin"]
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture
def staging(monkeypatch):
    """The devices whose kernels run complex scans (webgpu; wasm with staging switched on), with
    their host-fallback counters checked empty afterwards."""
    devs = [d for d in (GPU, WASM) if d is not None]
    if WASM is not None:
        monkeypatch.setattr(WASM, "stages", True)
    for d in devs:
        d.host_fallbacks.clear()
    yield devs
    for d in devs:
        assert not d.host_fallbacks, (d, dict(d.host_fallbacks))


def bits(x):
    """An array's words, every NaN as one NaN (an inf - inf's sign bit is the hardware's)."""
    x = np.array(np.atleast_1d(np.asarray(x)), order="C")
    parts = x.view(np.float32)
    parts[np.isnan(parts)] = np.float32(nan)
    return x.dtype, x.shape, x.view(np.uint32).tolist()


def messy(rng, shape):
    """Small integer parts (ties in the real part decided by the imaginary one), NaNs in either
    part, infinities and signed zeros."""
    x = (rng.integers(-3, 4, shape) + 1j * rng.integers(-3, 4, shape)).astype(np.complex64)
    m = rng.random(shape)
    for lo, hi, v in ((0, .04, complex(nan, 1)), (.04, .08, complex(1, nan)), (.08, .1, complex(nan, nan)),
                      (.1, .12, complex(-inf, -1)), (.12, .14, complex(inf, 1)), (.14, .18, complex(-0.0, -0.0))):
        x[(m >= lo) & (m < hi)] = v
    return x


def smooth(rng, shape):
    """Values near the unit circle: long products neither overflow nor vanish."""
    r = rng.uniform(0.9, 1.1, shape)
    return (r * np.exp(1j * rng.uniform(-3, 3, shape))).astype(np.complex64)


# ---- the reference: XLA's CPU order ------------------------------------------------------------------

_IDENT = {"cumsum": 0j, "cumprod": 1 + 0j, "cummax": complex(-inf, 0), "cummin": complex(inf, 0)}


def _combine(name, z, w):
    """The pair rule on arrays of complex64 (XLA's: naive product, lexicographic max/min that keeps
    z only where strictly better, so a NaN on either side gives w)."""
    if name == "cumsum":
        return (z + w).astype(np.complex64)
    if name == "cumprod":
        a, b, c, d = z.real, z.imag, w.real, w.imag
        out = np.empty(np.broadcast_shapes(z.shape, w.shape), np.complex64)
        with np.errstate(invalid="ignore", over="ignore"):
            out.real, out.imag = a * c - b * d, a * d + b * c
        return out
    with np.errstate(invalid="ignore"):
        if name == "cummax":
            pick = (z.real > w.real) | ((z.real == w.real) & (z.imag > w.imag))
        else:
            pick = (z.real < w.real) | ((z.real == w.real) & (z.imag < w.imag))
    return np.where(pick, z, w).astype(np.complex64)


def _scan_rows(name, x, reverse):
    """Inclusive scan of each row (last axis) in XLA's order: see the module docstring."""
    rows, n = x.shape
    ident = np.full((rows,), _IDENT[name], np.complex64)
    if n <= 16:
        out = np.empty_like(x)
        for p in range(n):
            acc = ident
            for k in (range(p + 1) if not reverse else range(p, n)):
                acc = _combine(name, acc, x[:, k])
            out[:, p] = acc
        return out
    nb = -(-n // 16)
    padded = np.concatenate([x, np.repeat(ident[:, None], nb * 16 - n, 1)], 1)
    inner = _scan_rows(name, padded.reshape(rows * nb, 16), reverse).reshape(rows, nb, 16)
    scan = _scan_rows(name, inner[:, :, 0 if reverse else 15], reverse)
    carry = (np.concatenate([scan[:, 1:], ident[:, None]], 1) if reverse
             else np.concatenate([ident[:, None], scan[:, :-1]], 1))
    return _combine(name, inner, carry[:, :, None]).reshape(rows, nb * 16)[:, :n]


def xla_scan(name, x, axis, reverse=False):
    x = np.moveaxis(np.asarray(x, np.complex64), axis, -1)
    if x.size == 0:
        return np.moveaxis(x, -1, axis)
    out = _scan_rows(name, x.reshape(-1, x.shape[-1]), reverse).reshape(x.shape)
    return np.moveaxis(out, -1, axis)


CASES = [((37,), 0), ((3, 16), 1), ((40, 3), 0), ((2, 300), 1), ((2, 3, 4), 1)]


def _f(name, axis, reverse):
    return lambda v: getattr(lax, name)(v, axis=axis, reverse=reverse)


# ---- values ----------------------------------------------------------------------------------------------


@needs_jax
@pytest.mark.parametrize("name", OPS)
def test_reference_is_xla_order(name):
    """The reference gives real JAX's words (max/min with NaNs, ties and signed zeros; sums), and
    its products to rounding."""
    rng = np.random.default_rng(0)
    for shape, axis in CASES:
        for reverse in (False, True):
            for x in (messy(rng, shape), smooth(rng, shape)):
                want = np.asarray(getattr(real_jax.lax, name)(real_jnp.asarray(x), axis=axis, reverse=reverse))
                ref = xla_scan(name, x, axis, reverse)
                if name == "cumprod":
                    assert_close(ref, want, rtol=2e-5, atol=1e-5)
                else:
                    assert bits(ref) == bits(want), (shape, axis, reverse)


@pytest.mark.parametrize("name", OPS)
def test_staged_scans_follow_xla(name, staging):
    """On a device that stages, eager and jit: the reference's words (products to rounding), NaN
    cases included, any axis, reversed, batched rows, a fused input."""
    rng = np.random.default_rng(1)
    for shape, axis in CASES:
        for reverse in (False, True):
            # (max/min see only order; integer parts overflow over long products)
            xs = [messy(rng, shape)] if name in ("cummax", "cummin") else [smooth(rng, shape)]
            if name == "cumsum" or (name == "cumprod" and shape[axis] <= 40):
                xs.append(messy(rng, shape))
            for x in xs:
                want = xla_scan(name, x, axis, reverse)
                fs = [jax.jit(_f(name, axis, reverse))] + ([_f(name, axis, reverse)] if not reverse else [])
                for d in staging:
                    for g in fs:
                        got = g(jax.device_put(x, d))
                        assert got.device == d and got.dtype == np.complex64 and got.shape == x.shape
                        if name == "cumprod":
                            assert_close(np.asarray(got), want, rtol=2e-5, atol=1e-5)
                        else:
                            assert bits(got) == bits(want), (d, shape, axis, reverse)


@pytest.mark.parametrize("name", OPS)
def test_every_device_agrees_without_nans(name, staging):
    """Finite values: every device (the cpu device and wasm's host scans included) gives the same
    results, jnp's cumsum/cumprod forms too (axis None flattens, negative axes, empty arrays)."""
    rng = np.random.default_rng(2)
    x = smooth(rng, (4, 33))
    f = jax.jit(lambda v: getattr(lax, name)(v * (1 - 0.5j) + 0.25, axis=1, reverse=True))
    want = xla_scan(name, x * np.complex64(1 - 0.5j) + np.complex64(0.25), 1, True)
    for d in [CPU, *staging]:
        assert_close(np.asarray(f(jax.device_put(x, d))), want, rtol=2e-5, atol=1e-5)
    if name in ("cumsum", "cumprod"):
        fn = getattr(jnp, name)
        for d in [CPU, *staging]:
            v = jax.device_put(x, d)
            assert_close(np.asarray(fn(v)), xla_scan(name, x.reshape(-1), 0), rtol=2e-5, atol=1e-5)
            assert_close(np.asarray(jax.jit(lambda a: fn(a, axis=-2))(v)), xla_scan(name, x, 0), rtol=2e-5, atol=1e-5)
            empty = fn(jax.device_put(np.zeros((0, 3), np.complex64), d), axis=0)
            assert empty.shape == (0, 3) and empty.dtype == np.complex64


def test_infinities_in_sums_and_products(staging):
    x = np.array([1 + 1j, complex(inf, 0), 2 - 1j, complex(0, -inf), 3 + 0j, complex(-inf, 1), 1j], np.complex64)
    for name in ("cumsum", "cumprod"):
        want = xla_scan(name, x, 0)
        for d in staging:
            got = np.asarray(jax.jit(_f(name, 0, False))(jax.device_put(x, d)))
            np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
            ok = ~np.isnan(want)
            np.testing.assert_array_equal(got[ok], want[ok])


def test_vmap_of_scans(staging):
    rng = np.random.default_rng(3)
    x = messy(rng, (3, 20, 2))
    for name in OPS:
        if name == "cumprod":
            x = smooth(rng, (3, 20, 2))
        f = lambda v: getattr(lax, name)(v, axis=0, reverse=True)  # noqa: E731
        want = np.stack([xla_scan(name, x[:, :, k], 0, True) for k in range(2)], 2)
        for d in staging:
            got = jax.jit(jax.vmap(f, in_axes=2, out_axes=2))(jax.device_put(x, d))
            if name == "cumprod":
                assert_close(np.asarray(got), want, rtol=2e-5, atol=1e-5)
            else:
                assert bits(got) == bits(want)


def _losses():
    return {"cumsum": lambda z: jnp.sum(jnp.abs(jnp.cumsum(z * (2 - 1j))) ** 2),
            "cumprod": lambda z: jnp.sum(jnp.real(jnp.cumprod(z, axis=-1)) * jnp.arange(1.0, 1.0 + z.shape[-1]))}


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_grad_matches_the_cpu_device(name, staging):
    rng = np.random.default_rng(4)
    z = smooth(rng, (2, 21))
    loss = _losses()[name]
    want = np.asarray(jax.grad(loss)(jax.device_put(z, CPU)))
    assert want.dtype == np.complex64
    for d in staging:
        got = jax.jit(jax.grad(loss))(jax.device_put(z, d))
        assert got.dtype == np.complex64
        assert_close(np.asarray(got), want, rtol=1e-4, atol=1e-4)


@needs_jax
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_grad_as_jax(name):
    rng = np.random.default_rng(4)
    z = smooth(rng, (2, 21))
    loss = _losses()[name]
    real = {"cumsum": lambda z: real_jnp.sum(real_jnp.abs(real_jnp.cumsum(z * (2 - 1j))) ** 2),
            "cumprod": lambda z: real_jnp.sum(real_jnp.real(real_jnp.cumprod(z, axis=-1))
                                              * real_jnp.arange(1.0, 1.0 + z.shape[-1]))}[name]
    want = np.asarray(real_jax.grad(real)(real_jnp.asarray(z)))
    got = jax.grad(loss)(jnp.asarray(z))
    assert_close(np.asarray(got), want, rtol=1e-4, atol=1e-4)


# ---- scatter-mul/-min/-max: in update order ----------------------------------------------------------

SCATTERS = ["multiply", "min", "max"]


def _scatter_case(rng):
    z = messy(rng, (6, 3))
    idx = np.array([0, 0, 2, 4, 4, 1, -1, 9, 5, 4], np.int32)  # duplicates, a negative, one out of range
    return z, idx, messy(rng, (10, 3))


def _scatter(name, idx, mode):
    return lambda z, u: getattr(z.at[idx], name)(u, mode=mode)


@pytest.mark.parametrize("name", SCATTERS)
def test_scatters_apply_updates_in_order(name, staging):
    """Duplicates combine in update order (the cpu device's words, which are XLA's), rows and a
    column window, both modes, eager and jit; many duplicates onto few elements."""
    rng = np.random.default_rng(5)
    z, idx, u = _scatter_case(rng)
    for mode in ("fill", "clip"):
        for f in (_scatter(name, idx, mode), lambda a, b: getattr(a.at[idx[:6], 1], name)(b[:6, 0] * (1 - 2j), mode=mode)):
            want = bits(f(jax.device_put(z, CPU), jax.device_put(u, CPU)))
            for d in staging:
                for g in (f, jax.jit(f)):
                    got = g(jax.device_put(z, d), jax.device_put(u, d))
                    assert got.device == d and bits(got) == want, (d, mode)
    zs, us = smooth(rng, (8,)), smooth(rng, (300,))
    many = rng.integers(0, 8, 300).astype(np.int32)
    f = jax.jit(lambda a, b: getattr(a.at[many], name)(b))
    want = np.asarray(f(jax.device_put(zs, CPU), jax.device_put(us, CPU)))
    for d in staging:
        got = np.asarray(f(jax.device_put(zs, d), jax.device_put(us, d)))
        if name == "multiply":
            assert_close(got, want, rtol=1e-5, atol=1e-6)
        else:
            assert bits(got) == bits(want)


def test_vmap_of_scatter_max(staging):
    rng = np.random.default_rng(6)
    zs, us = messy(rng, (3, 6)), messy(rng, (3, 5))
    small = np.array([1, 3, 1, 0, 5], np.int32)

    def f(a, b):
        return a.at[small].max(b)
    loop = np.stack([np.asarray(f(jax.device_put(zs[k], CPU), jax.device_put(us[k], CPU))) for k in range(3)])
    for d in staging:
        assert bits(jax.jit(jax.vmap(f))(jax.device_put(zs, d), jax.device_put(us, d))) == bits(loop)


@needs_jax
@pytest.mark.parametrize("name", SCATTERS)
def test_scatters_as_jax(name, staging):
    rng = np.random.default_rng(7)
    z, idx, u = _scatter_case(rng)
    for mode in ("fill", "clip"):
        f = _scatter(name, idx, mode)
        want = bits(f(real_jnp.asarray(z), real_jnp.asarray(u)))
        for d in [CPU, *staging]:
            assert bits(jax.jit(f)(jax.device_put(z, d), jax.device_put(u, d))) == want


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cpu_device_max_min_scans_place_nans_as_xla(name):
    """The cpu device (the reference, and the wasm device's host scans) folds complex max/min in
    XLA's order with its lexicographic rule; numpy's accumulate propagated every NaN."""
    rng = np.random.default_rng(5)
    for shape, axis in CASES:
        for reverse in (False, True):
            x = messy(rng, shape)
            got = getattr(lax, name)(jax.device_put(x, CPU), axis=axis, reverse=reverse)
            assert bits(got) == bits(xla_scan(name, x, axis, reverse)), (shape, axis, reverse)
