"""The webgpu device's FFT routine (backends/webgpu/fft.py): fft_p over one power-of-two axis as
staged WGSL passes, not on the host. Values against numpy in float64 for every FftType, batched
rows, lengths from 1 through the workgroup-memory kernel (up to 2048) and the per-stage passes
(odd and even numbers of stages), under jit and grad, fft2/fftn through the one-axis
decomposition (complex transposes on the device too), other lengths by Bluestein's algorithm.
webgpu exists only inside Pyodide."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import lax

if "webgpu" not in [d.platform for d in jax.devices()]:
    pytest.skip("no webgpu device", allow_module_level=True)

GPU = jax.devices("webgpu")[0]
CPU = jax.devices("cpu")[0]
RNG = np.random.default_rng(0)


def _complex(shape):
    return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(np.complex64)


def _close(got, ref, rtol=6e-7):
    """float32 accuracy, scaled by log2(n) as an FFT's rounding grows."""
    got = np.asarray(got)
    scale = max(float(np.abs(ref).max()), 1e-30)
    assert got.shape == ref.shape, (got.shape, ref.shape)
    assert float(np.abs(got - ref).max()) <= rtol * scale * max(1, np.log2(max(ref.shape[-1], 2)))


def _on_gpu(fn, *args):
    """fn's result on the webgpu device; asserts that nothing ran on the host meanwhile."""
    before = dict(GPU.host_fallbacks)
    out = fn(*[jax.device_put(a, GPU) for a in args])
    host = np.asarray(out)
    assert out.device == GPU
    assert dict(GPU.host_fallbacks) == before, f"host fallbacks: {dict(GPU.host_fallbacks)} vs {before}"
    return out, host


@pytest.mark.parametrize("n", [1, 2, 8, 32, 512, 2048, 16384])
def test_complex_transforms_match_numpy(n):
    x = _complex((3, n) if n <= 2048 else (n,))
    for fn, ref in ((jnp.fft.fft, np.fft.fft), (jnp.fft.ifft, np.fft.ifft)):
        out, host = _on_gpu(fn, x)
        assert out.dtype == np.complex64
        _close(host, ref(x.astype(np.complex128)))


@pytest.mark.parametrize("n", [1, 2, 4, 16, 1024, 8192])
def test_real_transforms_match_numpy(n):
    x = RNG.standard_normal((2, 3, n) if n <= 1024 else (n,)).astype(np.float32)
    out, host = _on_gpu(jnp.fft.rfft, x)
    assert out.dtype == np.complex64 and out.shape == (*x.shape[:-1], n // 2 + 1)
    _close(host, np.fft.rfft(x.astype(np.float64)))
    half = np.fft.rfft(x).astype(np.complex64)
    half[..., 0] += 0.5j  # imaginary parts at DC (and Nyquist) are ignored, as numpy and JAX do
    half[..., -1] += 0.25j
    out, host = _on_gpu(lambda h: jnp.fft.irfft(h, n=n), half)
    assert out.dtype == np.float32 and out.shape == x.shape
    _close(host, np.fft.irfft(half.astype(np.complex128), n=n))


@pytest.mark.parametrize("width", [3, 9, 12])
def test_irfft_crops_or_pads_the_half_spectrum(width):
    half = _complex((2, width))  # fft_p itself with n // 2 + 1 != width: numpy's crop / zero padding
    out, host = _on_gpu(lambda h: lax.fft(h, lax.FftType.IRFFT, (16,)), half)
    assert out.shape == (2, 16)
    _close(host, np.fft.irfft(half.astype(np.complex128), n=16))


def test_under_jit_and_grad():
    x = _complex((4, 64))
    out, host = _on_gpu(jax.jit(lambda a: jnp.fft.ifft(jnp.fft.fft(a))), x)
    _close(host, x.astype(np.complex128))
    xr = RNG.standard_normal(16).astype(np.float32)
    loss = lambda a: jnp.sum(jnp.real(jnp.fft.rfft(a)) * jnp.arange(9.0))  # noqa: E731
    got = jax.grad(loss)(jax.device_put(xr, GPU))
    ref = jax.grad(loss)(jax.device_put(xr, CPU))
    np.testing.assert_allclose(np.asarray(got), np.asarray(ref), rtol=1e-4, atol=1e-4)


def test_fft2_fftn_through_the_one_axis_decomposition():
    x = _complex((2, 8, 16))
    for fn, ref in ((jnp.fft.fft2, np.fft.fft2), (jnp.fft.ifftn, np.fft.ifftn)):
        _, host = _on_gpu(fn, x)
        _close(host, ref(x.astype(np.complex128)))
    _, host = _on_gpu(jax.jit(jnp.fft.fftn), x)
    _close(host, np.fft.fftn(x.astype(np.complex128)))
    xr = RNG.standard_normal((4, 32)).astype(np.float32)
    _, host = _on_gpu(jnp.fft.rfft2, xr)
    _close(host, np.fft.rfft2(xr.astype(np.float64)))
    half = np.fft.rfft2(xr).astype(np.complex64)
    _, host = _on_gpu(lambda h: jnp.fft.irfft2(h, s=(4, 32)), half)
    _close(host, np.fft.irfft2(half.astype(np.complex128), s=(4, 32)))


def test_complex64_lives_on_the_device_and_empty_batches():
    x = _complex((3, 5))
    a = jax.device_put(x, GPU)
    assert a.device == GPU and a.dtype == np.complex64
    np.testing.assert_array_equal(np.asarray(a), x)
    np.testing.assert_array_equal(np.asarray(a.T), x.T)  # a complex transpose on the device
    out, host = _on_gpu(jnp.fft.fft, np.zeros((0, 8), np.complex64))
    assert host.shape == (0, 8) and out.dtype == np.complex64


@pytest.mark.parametrize("n", [3, 12, 4097])
def test_other_lengths_by_bluestein(n):
    """Any length as Bluestein's chirp convolution of power-of-two FFTs, all on the device."""
    x = _complex((2, n))
    for fn, ref in ((jnp.fft.fft, np.fft.fft), (jnp.fft.ifft, np.fft.ifft)):
        out, host = _on_gpu(fn, x)
        assert out.dtype == np.complex64 and out.shape == x.shape
        _close(host, ref(x.astype(np.complex128)), rtol=1e-6)
    xr = RNG.standard_normal((3, n)).astype(np.float32)
    out, host = _on_gpu(jnp.fft.rfft, xr)
    _close(host, np.fft.rfft(xr.astype(np.float64)), rtol=1e-6)
    half = np.fft.rfft(xr).astype(np.complex64)
    half[:, 0] += 0.5j
    out, host = _on_gpu(lambda h: jnp.fft.irfft(h, n=n), half)
    assert out.dtype == np.float32 and out.shape == (3, n)
    _close(host, np.fft.irfft(half.astype(np.complex128), n=n), rtol=1e-6)
