"""The wasm device's FFT routine (backends/wasm/fft.py): fft_p over one power-of-two axis runs
as WebAssembly, not on the host. Values against numpy in float64, every FftType, batched rows,
lengths from 1 (no stage) through radix-2-only, odd and even numbers of radix-4 stages, under jit
and grad; lengths and dtypes the routine leaves to the host still give the right answer."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp

if "wasm" not in [d.platform for d in jax.devices()]:
    pytest.skip("no wasm device", allow_module_level=True)

WASM = jax.devices("wasm")[0]
RNG = np.random.default_rng(0)


def _complex(shape):
    return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(np.complex64)


def _close(got, ref, rtol=4e-7):
    got = np.asarray(got)
    scale = max(float(np.abs(ref).max()), 1e-30)
    assert got.shape == ref.shape
    assert float(np.abs(got - ref).max()) <= rtol * scale * max(1, np.log2(max(ref.shape[-1], 2)))


def _on_device(fn, *args):
    """fn's result on the wasm device, and how many fft calls went to the host meanwhile."""
    before = WASM.host_fallbacks["fft"]
    out = fn(*[jax.device_put(a, WASM) for a in args])
    np.asarray(out)
    return out, WASM.host_fallbacks["fft"] - before


@pytest.mark.parametrize("n", [1, 2, 4, 8, 32, 128, 512, 2048])
def test_complex_transforms_match_numpy(n):
    x = _complex((3, n))
    for fn, ref in ((jnp.fft.fft, np.fft.fft), (jnp.fft.ifft, np.fft.ifft)):
        out, host = _on_device(fn, x)
        assert host == 0 and out.dtype == np.complex64
        _close(out, ref(x.astype(np.complex128)))


@pytest.mark.parametrize("n", [2, 4, 16, 64, 1024])
def test_real_transforms_match_numpy(n):
    x = RNG.standard_normal((2, 3, n)).astype(np.float32)
    out, host = _on_device(jnp.fft.rfft, x)
    assert host == 0 and out.dtype == np.complex64 and out.shape == (2, 3, n // 2 + 1)
    _close(out, np.fft.rfft(x.astype(np.float64)))
    half = np.fft.rfft(x).astype(np.complex64)
    half[..., 0] += 0.5j  # imaginary parts at DC (and Nyquist) are ignored, as numpy and JAX do
    out, host = _on_device(lambda h: jnp.fft.irfft(h, n=n), half)
    assert host == 0 and out.dtype == np.float32
    _close(out, np.fft.irfft(half.astype(np.complex128), n=n))


def test_under_jit_and_grad():
    x = _complex((4, 64))
    f = jax.jit(lambda a: jnp.fft.ifft(jnp.fft.fft(a) * 2.0))
    out, host = _on_device(f, x)
    assert host == 0
    _close(out, 2.0 * x.astype(np.complex128))
    xr = RNG.standard_normal(16).astype(np.float32)
    g = jax.grad(lambda a: jnp.sum(jnp.abs(jnp.fft.rfft(a)) ** 2))
    got, host = _on_device(g, xr)
    ref = jax.grad(lambda a: jnp.sum(jnp.abs(jnp.fft.rfft(a)) ** 2))(jax.device_put(xr, jax.devices("cpu")[0]))
    np.testing.assert_allclose(np.asarray(got), np.asarray(ref), rtol=1e-4, atol=1e-4)
    assert host == 0


@pytest.mark.parametrize("n", [3, 5, 7, 12, 100, 1000, 4097])
def test_other_lengths_by_bluestein(n):
    """Any length as Bluestein's chirp convolution of power-of-two FFTs, all on the device."""
    x = _complex((2, n))
    for fn, ref in ((jnp.fft.fft, np.fft.fft), (jnp.fft.ifft, np.fft.ifft)):
        out, host = _on_device(fn, x)
        assert host == 0 and out.dtype == np.complex64 and out.shape == x.shape
        _close(out, ref(x.astype(np.complex128)), rtol=1e-6)
    xr = RNG.standard_normal((3, n)).astype(np.float32)
    out, host = _on_device(jnp.fft.rfft, xr)
    assert host == 0 and out.dtype == np.complex64 and out.shape == (3, n // 2 + 1)
    _close(out, np.fft.rfft(xr.astype(np.float64)), rtol=1e-6)
    half = np.fft.rfft(xr).astype(np.complex64)
    half[:, 0] += 0.5j  # ignored at DC (and Nyquist for even n), as numpy and JAX do
    half[:, -1] += 0.25j
    out, host = _on_device(lambda h: jnp.fft.irfft(h, n=n), half)
    assert host == 0 and out.dtype == np.float32 and out.shape == (3, n)
    _close(out, np.fft.irfft(half.astype(np.complex128), n=n), rtol=1e-6)


@pytest.mark.parametrize("width", [3, 9, 12])
def test_irfft_crops_or_pads_the_half_spectrum(width):
    half = _complex((2, width))  # fft_p itself with width != n // 2 + 1: numpy's crop / zero padding
    out, host = _on_device(lambda h: jax.lax.fft(h, jax.lax.FftType.IRFFT, (16,)), half)
    assert host == 0 and out.shape == (2, 16)
    _close(out, np.fft.irfft(half.astype(np.complex128), n=16), rtol=1e-6)


def test_bluestein_under_jit_grad_and_vmap():
    x = _complex((4, 24))
    out, host = _on_device(jax.jit(lambda a: jnp.fft.ifft(jnp.fft.fft(a))), x)
    assert host == 0
    _close(out, x.astype(np.complex128), rtol=1e-6)
    out, host = _on_device(jax.vmap(jnp.fft.fft, in_axes=1, out_axes=1), x.T)
    assert host == 0
    _close(out, np.fft.fft(x.astype(np.complex128)).T, rtol=1e-6)
    xr = RNG.standard_normal(10).astype(np.float32)
    loss = lambda a: jnp.sum(jnp.real(jnp.fft.rfft(a)) * jnp.arange(6.0))  # noqa: E731
    got, _ = _on_device(jax.grad(loss), xr)
    want = jax.grad(loss)(jax.device_put(xr, jax.devices("cpu")[0]))
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-4, atol=1e-4)


def test_fft_over_another_axis():
    x = _complex((8, 16))
    out, host = _on_device(lambda a: jnp.fft.fft(a, axis=0), x)  # the axis moved last, then back
    assert host == 0
    _close(out, np.fft.fft(x.astype(np.complex128), axis=0))


@pytest.mark.parametrize("kind", ["fft2", "ifft2", "fftn", "rfft2", "irfft2", "rfftn"])
def test_transforms_over_several_axes_run_one_axis_at_a_time(kind):
    x = _complex((2, 4, 8, 16)) if kind in ("fft2", "ifft2", "fftn", "irfft2") else \
        RNG.standard_normal((2, 4, 8, 16)).astype(np.float32)
    fn, ref = getattr(jnp.fft, kind), getattr(np.fft, kind)
    if kind == "irfft2":
        x = x[..., :9]
        fn, ref = (lambda a: jnp.fft.irfft2(a, s=(8, 16))), (lambda a: np.fft.irfft2(a, s=(8, 16)))
    out, host = _on_device(fn, x)
    assert host == 0
    _close(out, ref(x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)), rtol=1e-6)
    ffts = [e.params["fft_lengths"] for e in jax.make_jaxpr(fn)(x).eqns if e.primitive.name == "fft"]
    assert any(len(n) > 1 for n in ffts)  # the jaxpr keeps JAX's several-axis primitive
    out, host = _on_device(lambda a: jnp.fft.fft(a, axis=0), x)  # the axis moved last, then back
    assert host == 0
    _close(out, np.fft.fft(x.astype(np.complex128), axis=0))
