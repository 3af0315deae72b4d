"""jaxlite.numpy.fft and lax.fft: values against numpy.fft (so they also run in Pyodide), dtypes,
shapes, errors and gradients against JAX (the transpose rules), vmap and jit."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import lax
from conftest import assert_close, needs_jax, numerical_grad, real_jax, real_jnp

X = np.random.default_rng(0).standard_normal((3, 4, 5)).astype(np.float32)
XC = (X + 1j * X[::-1]).astype(np.complex64)
TOL = dict(rtol=2e-4, atol=2e-4)


def _expected(out):
    out = np.asarray(out)
    return out.astype(np.complex64 if out.dtype.kind == "c" else np.float32)


# name, input, kwargs: odd and even lengths, cropping and padding, axes, norms, more than three axes
CASES = [
    ("fft", X, {}), ("fft", XC, dict(n=3, axis=0)), ("fft", X, dict(n=8, norm="ortho")),
    ("ifft", XC, dict(axis=1, norm="forward")), ("rfft", X, {}), ("rfft", X, dict(n=4, axis=1)),
    ("rfft", X, dict(n=9, norm="ortho")), ("irfft", XC, {}), ("irfft", XC, dict(n=7, axis=0)),
    ("irfft", XC, dict(n=3, norm="forward")), ("hfft", XC, dict(n=6)), ("ihfft", X, dict(axis=0)),
    ("fft2", XC, dict(axes=(0, 2))), ("ifft2", XC, dict(s=(3, 6), norm="ortho")), ("rfft2", X, {}),
    ("irfft2", XC, dict(s=(5, 5))), ("fftn", X, {}), ("ifftn", XC, dict(axes=(0, 1))),
    ("rfftn", X, dict(s=(2, 4, 6))), ("irfftn", XC, dict(axes=(2, 0), norm="ortho")),
    ("fftn", X.reshape(1, 3, 2, 2, 5), {}), ("rfftn", X.reshape(3, 2, 2, 5), dict(norm="forward")),
    ("irfftn", XC.reshape(3, 2, 2, 5), {}), ("ifftn", XC.reshape(1, 3, 2, 2, 5), dict(s=(2, 3, 1, 2, 4))),
]


@pytest.mark.parametrize("name,x,kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_values_match_numpy(name, x, kwargs):
    out = getattr(jnp.fft, name)(x, **kwargs)
    if "s" in kwargs and "axes" not in kwargs:  # numpy 2 deprecates s without axes; JAX means the last len(s)
        kwargs = dict(kwargs, axes=tuple(range(x.ndim - len(kwargs["s"]), x.ndim)))
    expected = getattr(np.fft, name)(x, **kwargs)
    assert_close(out, _expected(expected), rtol=2e-4, atol=2e-4 * max(1.0, float(np.abs(expected).max())))


def test_lax_fft_types_shapes_and_errors():
    x = np.arange(12, dtype=np.float32).reshape(2, 6)
    r = lax.fft(x, lax.FftType.RFFT, (6,))
    assert r.shape == (2, 4) and r.dtype == np.complex64
    assert_close(lax.fft(r, "irfft", (6,)), x, **TOL)
    assert_close(lax.fft(x, "FFT", (2, 6)), np.fft.fft2(x).astype(np.complex64), **TOL)
    c = lax.fft(np.arange(4, dtype=np.int32), "ifft", (4,))  # integers become complex64
    assert c.dtype == np.complex64
    assert lax.fft(x, "fft", ()).dtype == np.complex64  # no transform, but still converted
    assert [t.name for t in lax.FftType] == ["FFT", "IFFT", "RFFT", "IRFFT"] and lax.FftType.IRFFT == 3
    with pytest.raises(ValueError, match="Unknown FFT type 'bad'"):
        lax.fft(x, "bad", (6,))
    with pytest.raises(TypeError, match="Unknown FFT type value"):
        lax.fft(x, 3, (6,))
    with pytest.raises(ValueError, match="minor dimensions must be equal to fft_lengths"):
        lax.fft(x, "fft", (5,))
    with pytest.raises(ValueError, match="only real valued inputs supported for rfft"):
        lax.fft(XC, "rfft", (5,))
    with pytest.raises(ValueError, match="at least as many input dimensions"):
        lax.fft(x, "fft", (1, 2, 6))


def test_api_dtypes_edges_and_errors():
    assert jnp.fft.fft(jnp.arange(4)).dtype == np.complex64
    assert jnp.fft.fft(jnp.ones(4, jnp.float16)).dtype == np.complex64
    assert jnp.fft.fft(jnp.ones(0)).shape == (0,)
    assert jnp.fft.irfft(jnp.ones(1)).shape == (0,)
    with pytest.raises(ValueError, match="RFFT input must be float32 or float64, got float16"):
        jnp.fft.rfft(jnp.ones(4, jnp.float16))
    with pytest.raises(ValueError, match="out of bounds"):
        jnp.fft.fft(jnp.float32(3.0))
    with pytest.raises(TypeError, match="requires ndarray or scalar arguments"):
        jnp.fft.fft([1.0, 2.0])
    with pytest.raises(ValueError, match="Shape should be positive"):
        jnp.fft.fft(X, n=0)
    with pytest.raises(ValueError, match="does not support multiple axes"):
        jnp.fft.fft(X, axis=(0,))
    with pytest.raises(ValueError, match="only supports 2 axes"):
        jnp.fft.fft2(X, axes=(0, 1, 2))
    with pytest.raises(ValueError, match="does not support repeated axes"):
        jnp.fft.fftn(X, axes=(0, 0))
    with pytest.raises(ValueError, match="Shape and axes have different lengths"):
        jnp.fft.fftn(X, s=(2,), axes=(0, 1))
    with pytest.raises(ValueError, match="Invalid norm value bad"):
        jnp.fft.fft(X, norm="bad")


def test_complex128_under_x64():
    jax.config.update("jax_enable_x64", True)
    x = X.astype(np.float64)
    r = jnp.fft.rfft(x)
    assert r.dtype == np.complex128 and jnp.fft.irfft(r).dtype == np.float64
    np.testing.assert_allclose(np.asarray(r), np.fft.rfft(x), rtol=1e-12, atol=1e-12)
    assert jnp.fft.fft(X).dtype == np.complex64  # float32 stays single precision


def test_freqs_and_shifts():
    for n, d in ((5, 1.0), (6, 0.1)):
        assert_close(jnp.fft.fftfreq(n, d), np.fft.fftfreq(n, d).astype(np.float32))
        assert_close(jnp.fft.rfftfreq(n, d), np.fft.rfftfreq(n, d).astype(np.float32))
    assert jnp.fft.fftfreq(5, dtype=jnp.int32).dtype == np.int32
    assert jnp.fft.fftfreq(4, dtype=jnp.complex64).dtype == np.complex64
    assert jnp.fft.rfftfreq(5, dtype=jnp.int32).dtype == np.float32  # int / int divides to float
    with pytest.raises(ValueError, match="only takes an int"):
        jnp.fft.fftfreq([4])
    a = np.arange(30, dtype=np.int32).reshape(5, 6)
    for axes in (None, 0, (1,), (0, 1)):
        assert_close(jnp.fft.fftshift(a, axes), np.fft.fftshift(a, axes))
        assert_close(jnp.fft.ifftshift(a, axes), np.fft.ifftshift(a, axes))


def _loss(mod, name, kwargs):
    def f(x):
        y = getattr(mod.fft, name)(x, **kwargs)
        w = mod.arange(1.0, 1.0 + y.shape[-1])  # unequal weights per bin, so masking errors show
        return mod.sum(mod.sin(mod.real(y)) * w + mod.cos(mod.imag(y)) ** 2)
    return f


GRAD_CASES = [("fft", X, dict(n=3)), ("ifft", XC, dict(n=8, axis=0)), ("rfft", X, {}), ("rfft", X, dict(n=8)),
              ("rfft", X, dict(n=7, axis=1)), ("irfft", XC, {}), ("irfft", XC, dict(n=7)),
              ("irfft", XC, dict(n=4, axis=1)), ("rfftn", X, dict(norm="ortho")), ("irfft2", XC, dict(s=(3, 5))),
              ("hfft", XC, {}), ("ihfft", X, {}), ("fftn", XC, dict(axes=(0, 2), norm="forward"))]


@needs_jax
def test_grads_match_jax():
    # JAX's conventions for the transposes of RFFT and IRFFT (the half-spectrum weights) and for
    # complex cotangents (conjugated), for real- and complex-valued inputs.
    def grads(mod, grad):  # one program for all cases: JAX compiles once
        return lambda: [grad(_loss(mod, name, kwargs))(x) for name, x, kwargs in GRAD_CASES]
    assert_close(jax.jit(grads(jnp, jax.grad))(), real_jax.jit(grads(real_jnp, real_jax.grad))(), rtol=1e-3, atol=1e-3)


def test_grads_match_finite_differences():
    x = X[0, :2]
    for name, kwargs in (("rfft", dict(n=7)), ("rfft", dict(n=4)), ("irfft", {}), ("irfft", dict(n=5))):
        f = jax.jit(_loss(jnp, name, kwargs))
        np.testing.assert_allclose(np.asarray(jax.grad(f)(x)), numerical_grad(f, x), rtol=2e-2, atol=2e-2)


@needs_jax
def test_jvp_vjp_vmap_and_jit_match_jax():
    ours = jax.jvp(lambda x: jnp.fft.irfft(x, n=6), (XC,), (2 * XC,))
    theirs = real_jax.jvp(lambda x: real_jnp.fft.irfft(x, n=6), (XC,), (2 * XC,))
    assert_close(ours, theirs, **TOL)
    ours = jax.vjp(lambda x: jnp.fft.rfft(x), X)[1](XC[..., :3])
    theirs = real_jax.vjp(lambda x: real_jnp.fft.rfft(x), X)[1](XC[..., :3])
    assert_close(ours, theirs, **TOL)


def test_vmap_and_jit():
    f = lambda x: jnp.fft.irfft(jnp.fft.rfft2(x, axes=(0, 1)) * 2.0, n=5)
    batched = jax.vmap(f, in_axes=1)(X)
    assert_close(batched, np.stack([np.asarray(f(X[:, i])) for i in range(X.shape[1])]), **TOL)
    assert_close(jax.jit(f)(X), f(X), **TOL)
    # vmap over a transformed axis' neighbour of a lax-level call
    g = jax.vmap(lambda x: lax.fft(x, "fft", (4, 5)), in_axes=0, out_axes=1)
    assert_close(g(XC), np.moveaxis(np.fft.fft2(XC), 0, 1).astype(np.complex64), **TOL)


# ---- jax.scipy.signal's FFT-based names -----------------------------------------------------------

from jaxlite.scipy import signal  # noqa: E402

S = np.random.default_rng(1).standard_normal((2, 50)).astype(np.float32)
SIGNAL_CASES = [
    ("fftconvolve", (X[0], X[1, :3, :2]), dict(mode="same")), ("fftconvolve", (S, S[:, :7]), dict(axes=1)),
    ("fftconvolve", (XC[0, 0], S[0, :3]), {}), ("stft", (S,), dict(nperseg=16)),
    ("stft", (S[0],), dict(fs=2.0, nperseg=15, noverlap=5, nfft=20, boundary="even", padded=False)),
    ("welch", (S,), dict(fs=10.0, nperseg=12, scaling="spectrum", average="median", detrend=False)),
    ("welch", (S.T,), dict(nperseg=16, axis=0)), ("csd", (S[0], S[1, :40]), dict(nperseg=11, nfft=13, average="median")),
]


@needs_jax
def test_signal_matches_jax():
    import jax.scipy.signal as real_signal
    z = np.asarray(real_signal.stft(S, nperseg=15, noverlap=10, nfft=15)[2])
    zt = np.moveaxis(z, -1, 0)
    inverse = [((z,), dict(nperseg=15, noverlap=10, nfft=15)), ((zt,), dict(time_axis=0, freq_axis=-1, nperseg=15,
                                                                             noverlap=10, nfft=15))]

    def everything(sig):  # JAX runs it as one compiled program: its eager dispatch is slow here
        return ([getattr(sig, name)(*args, **kwargs) for name, args, kwargs in SIGNAL_CASES]
                + [sig.istft(*args, **kwargs) for args, kwargs in inverse])
    assert_close(everything(signal), real_jax.jit(lambda: everything(real_signal))(), **TOL)


def test_signal_properties():
    a, b = S[0, :9], S[1, :4]
    assert_close(signal.fftconvolve(a, b), np.convolve(a, b), **TOL)
    assert_close(signal.fftconvolve(a, b, mode="valid"), np.convolve(a, b, mode="valid"), **TOL)
    _, _, z = jax.jit(lambda x: signal.stft(x, nperseg=16))(S)
    _, back = signal.istft(z, nperseg=16)
    assert_close(back[:, :S.shape[1]], S, **TOL)  # the STFT with a Hann window at half overlap inverts
    # Parseval: one boxcar segment, 'spectrum' scaling, the one-sided bins doubled: the sum is the mean square
    f, p = signal.welch(S[0], nperseg=50, window=np.ones(50, np.float32), detrend=False, scaling="spectrum")
    assert f.shape == p.shape == (26,)
    np.testing.assert_allclose(float(p.sum()), float(np.mean(S[0].astype(np.float64) ** 2)), rtol=1e-4)
