"""complex128 FFTs on the wasm device under jax_enable_x64 (backends/wasm/fft.py's generator for
f64x2, one complex per v128; other lengths by Bluestein's convolution in float64): FFT, IFFT,
float64 RFFT and complex128 IRFFT run as WebAssembly with no host fallback, to float64 accuracy
(1e-12 relative to the largest magnitude: a complex64 kernel in disguise would miss by 1e-7), and
give numpy's and JAX's results, dtypes included."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from conftest import needs_jax, real_jax, real_jnp, x64_on_device

if "wasm" not in [d.platform for d in jax.devices()]:
    pytest.skip("no wasm device", allow_module_level=True)

from jaxlite._src.backends.wasm import fft as wasm_fft  # noqa: E402

WASM = jax.devices("wasm")[0]
CPU = jax.devices("cpu")[0]
RNG = np.random.default_rng(0)
RTOL = 1e-12
C128, F64 = np.dtype(np.complex128), np.dtype(np.float64)


@pytest.fixture(autouse=True)
def x64_on_the_device():
    """x64 on for jaxlite (and the oracle) in every test; every FFT stays on the device."""
    with x64_on_device(WASM):
        yield


def _complex(shape):
    return RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)


def _on(fn, *args):
    out = fn(*[jax.device_put(a, WASM) for a in args])
    return np.asarray(out)


def _close(got, want, dtype, rtol=RTOL):
    got = np.asarray(got)
    assert got.dtype == dtype and got.shape == want.shape, (got.dtype, got.shape, want.shape)
    scale = max(float(np.abs(want).max()), 1e-300)
    assert float(np.abs(got - want).max()) <= rtol * scale, float(np.abs(got - want).max()) / scale


def test_the_complex128_kernel_computes_in_float64_only():
    for mode, inverse in (("c2c", False), ("c2c", True), ("r2c", False), ("c2r", True)):
        text = wasm_fft.fft_c128(64, mode, inverse)
        assert "f64x2.mul" in text and "f32" not in text


def _all_modes(n, rows, rtol=RTOL):
    x, xr = _complex((rows, n)), RNG.standard_normal((rows, n))
    _close(_on(jnp.fft.fft, x), np.fft.fft(x), C128, rtol)
    _close(_on(jnp.fft.ifft, x), np.fft.ifft(x), C128, rtol)
    _close(_on(jnp.fft.rfft, xr), np.fft.rfft(xr), C128, rtol)
    half = np.fft.rfft(xr)
    half[:, 0] += 0.5j  # imaginary parts at DC (and Nyquist) are ignored, as numpy and JAX do
    if n > 1:
        _close(_on(lambda h: jnp.fft.irfft(h, n=n), half), np.fft.irfft(half, n=n), F64, rtol)


@pytest.mark.parametrize("n", [1, 2, 4, 8, 32, 256, 4096])
def test_power_of_two_lengths_match_numpy(n):
    """No stage, radix 2 only, odd and even numbers of radix-4 stages; 3 rows."""
    _all_modes(n, 3)


@pytest.mark.parametrize("n", [3, 5, 12, 100, 1000])
def test_other_lengths_by_bluestein(n):
    _all_modes(n, 2)


@pytest.mark.parametrize("width", [3, 9, 12])
def test_irfft_crops_or_pads_the_half_spectrum(width):
    half = _complex((2, width))  # fft_p itself with width != n // 2 + 1: numpy's crop / zero padding
    for n in (16, 15):
        got = _on(lambda h: jax.lax.fft(h, jax.lax.FftType.IRFFT, (n,)), half)
        _close(got, np.fft.irfft(half, n=n), F64)


@pytest.mark.parametrize("norm", ["backward", "ortho", "forward"])
def test_norm_modes(norm):
    x, xr = _complex((2, 24)), RNG.standard_normal((2, 32))
    _close(_on(lambda a: jnp.fft.fft(a, norm=norm), x), np.fft.fft(x, norm=norm), C128)
    _close(_on(lambda a: jnp.fft.ifft(a, norm=norm), x), np.fft.ifft(x, norm=norm), C128)
    _close(_on(lambda a: jnp.fft.rfft(a, norm=norm), xr), np.fft.rfft(xr, norm=norm), C128)
    half = np.fft.rfft(xr)
    _close(_on(lambda h: jnp.fft.irfft(h, n=32, norm=norm), half), np.fft.irfft(half, n=32, norm=norm), F64)


def test_transforms_over_several_axes_and_another_axis():
    x, xr = _complex((2, 4, 6, 16)), RNG.standard_normal((2, 4, 6, 16))
    _close(_on(jnp.fft.fftn, x), np.fft.fftn(x), C128)
    _close(_on(jnp.fft.ifft2, x), np.fft.ifft2(x), C128)
    _close(_on(jnp.fft.rfft2, xr), np.fft.rfft2(xr), C128)
    _close(_on(jnp.fft.rfftn, xr), np.fft.rfftn(xr), C128)
    half = np.fft.rfft2(xr)
    _close(_on(lambda h: jnp.fft.irfft2(h, s=(6, 16)), half), np.fft.irfft2(half, s=(6, 16)), F64)
    _close(_on(lambda a: jnp.fft.fft(a, axis=1), x), np.fft.fft(x, axis=1), C128)


def test_float64_input_and_empty_batches():
    xr = RNG.standard_normal((3, 8))
    _close(_on(jnp.fft.fft, xr), np.fft.fft(xr), C128)  # real input promoted to complex128
    for dtype in (np.complex128, np.complex64):
        got = _on(jnp.fft.fft, np.zeros((0, 8), dtype))
        assert got.shape == (0, 8) and got.dtype == dtype


def test_under_jit_vmap_and_grad():
    x = _complex((4, 64))
    _close(_on(jax.jit(lambda a: jnp.fft.ifft(jnp.fft.fft(a) * 2.0)), x), 2.0 * x, C128)
    _close(_on(jax.vmap(jnp.fft.fft, in_axes=1, out_axes=1), x.T[:, :3]), np.fft.fft(x[:3]).T, C128)
    for n in (16, 10):  # power of two and Bluestein
        xr = RNG.standard_normal(n)
        w = np.arange(n // 2 + 1.0)

        def loss(a):
            spec = jnp.fft.rfft(a)
            return jnp.sum(jnp.abs(spec) ** 2 * w) + jnp.sum(jnp.fft.irfft(spec * w, n=n) * a)
        got = _on(jax.jit(jax.grad(loss)), xr)
        want = np.asarray(jax.grad(loss)(jax.device_put(xr, CPU)))  # the cpu device: numpy's FFT
        _close(got, want, F64, 1e-11)
        eps, e = 1e-6, np.eye(n)  # and central differences in float64
        fd = np.array([(float(loss(xr + eps * e[i])) - float(loss(xr - eps * e[i]))) / (2 * eps) for i in range(n)])
        np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-6 * np.abs(fd).max())


@needs_jax
@pytest.mark.parametrize("n", [64, 100])
def test_matches_jax_under_x64(n):
    x, xr = _complex((2, n)), RNG.standard_normal((2, n))
    for name, a in (("fft", x), ("ifft", x), ("rfft", xr), ("fft2", x)):
        want = np.asarray(getattr(real_jnp.fft, name)(a))
        assert want.dtype == C128
        _close(_on(getattr(jnp.fft, name), a), want, C128)
    half = np.fft.rfft(xr)
    _close(_on(lambda h: jnp.fft.irfft(h, n=n), half), np.asarray(real_jnp.fft.irfft(half, n=n)), F64)
    assert real_jax.config.jax_enable_x64
