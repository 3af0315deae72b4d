"""The FFT-based names of jax.scipy.signal: fftconvolve, stft, istft, csd, welch, as JAX computes
them (segments by vmapped dynamic slices, transforms by jnp.fft, overlap-add by reshapes), so they
trace under jit, vmap and grad."""

from __future__ import annotations

import math
import operator
import warnings
from functools import partial

import numpy as np

import jaxlite.numpy as jnp
from jaxlite._src import batching, core
from jaxlite._src.core import get_aval
from jaxlite._src.lax import lax, structural
from jaxlite._src.lax.fft import _to_complex
from jaxlite._src.numpy import fft as jnp_fft
from jaxlite._src.numpy.util import canonicalize_axis, check_arraylike, promote_dtypes_inexact
from jaxlite._src.scipy.signal import detrend

__all__ = ["fftconvolve", "stft", "istft", "csd", "welch"]


def _as_complex(x):
    return lax.convert_element_type(x, _to_complex(get_aval(x).dtype))


def fftconvolve(in1, in2, mode="full", axes=None):
    """N-D convolution through FFTs over `axes`; `mode` 'full', 'same' or 'valid'.

    On wasm and webgpu the complex64 FFTs are device kernels, and on wasm the complex128 ones (x64) too;
    on webgpu those run on the host, counted in the device's host_fallbacks.
    """
    check_arraylike("fftconvolve", in1, in2)
    in1, in2 = promote_dtypes_inexact(jnp.asarray(in1), jnp.asarray(in2))
    if in1.ndim != in2.ndim:
        raise ValueError("in1 and in2 should have the same dimensionality")
    if mode not in ["same", "full", "valid"]:
        raise ValueError("mode must be one of ['same', 'full', 'valid']")
    conv = partial(_fftconvolve_unbatched, mode=mode)
    if axes is None:
        return conv(in1, in2)
    axes = (axes,) if isinstance(axes, (int, np.integer)) else tuple(axes)
    axes = tuple(canonicalize_axis(ax, in1.ndim) for ax in axes)
    mapped_axes = set(range(in1.ndim)) - set(axes)
    if any(in1.shape[i] != in2.shape[i] for i in mapped_axes):
        raise ValueError(f"mapped axes must have same shape; got {in1.shape=} {in2.shape=} {axes=}")
    for ax in sorted(mapped_axes):  # the axes not convolved are batch axes
        conv = batching.vmap(conv, in_axes=ax, out_axes=ax)
    return conv(in1, in2)


def _fftconvolve_unbatched(in1, in2, mode):
    full_shape = tuple(s1 + s2 - 1 for s1, s2 in zip(in1.shape, in2.shape))
    if mode == "valid":
        no_swap = all(s1 >= s2 for s1, s2 in zip(in1.shape, in2.shape))
        swap = all(s1 <= s2 for s1, s2 in zip(in1.shape, in2.shape))
        if not (no_swap or swap):
            raise ValueError("For 'valid' mode, One input must be at least as large as the other in every "
                             "dimension.")
        if swap:
            in1, in2 = in2, in1
    if all(s1 == 1 or s2 == 1 for s1, s2 in zip(in1.shape, in2.shape)):
        conv = in1 * in2
    else:
        complex_in = jnp.iscomplexobj(in1)
        fwd, inv = (jnp_fft.fftn, jnp_fft.ifftn) if complex_in else (jnp_fft.rfftn, jnp_fft.irfftn)
        conv = inv(fwd(in1, full_shape) * fwd(in2, full_shape), full_shape)
    if mode == "full":
        out_shape = full_shape
    elif mode == "same":
        out_shape = in1.shape
    else:
        out_shape = tuple(s1 - s2 + 1 for s1, s2 in zip(in1.shape, in2.shape))
    start = tuple((f - o) // 2 for f, o in zip(full_shape, out_shape))
    return structural.slice(conv, start, tuple(s + o for s, o in zip(start, out_shape)))


# ---- windowed FFTs --------------------------------------------------------------------------------

def _hann(n: int):
    return jnp.array([1.0]) if n == 1 else jnp.sin(jnp.linspace(0, np.pi, n, endpoint=False)) ** 2


def _named_window(window, n: int):
    if window == "hann":
        return _hann(n)
    try:
        from scipy.signal import get_window
    except ImportError as err:
        raise ImportError(f"scipy must be available to use {window=}") from err
    return get_window(window, n)


def _triage_segments(window, nperseg, input_length: int, dtype):
    """(window array, nperseg) from a window name or array, as scipy's helper of the same name."""
    if isinstance(window, (str, tuple)):
        n = input_length if nperseg is None else int(nperseg)
        if n > input_length:
            warnings.warn(f"nperseg={n} is greater than {input_length=}, using nperseg={input_length}")
            n = input_length
        return jnp.array(_named_window(window, n), dtype=dtype), n
    win = jnp.asarray(window, dtype=dtype)
    n = win.size if nperseg is None else int(nperseg)
    if win.ndim != 1:
        raise ValueError("window must be 1-D")
    if input_length < win.size:
        raise ValueError("window is longer than input signal")
    if n != win.size:
        raise ValueError("value specified for nperseg is different from length of window")
    return win, n


def _fft_helper(x, win, detrend_func, nperseg, noverlap, nfft, sides):
    if x.dtype.kind == "i":
        x = x.astype(win.dtype)
    *batch_shape, signal_length = x.shape
    if nperseg == 1 and noverlap == 0:
        result = x[..., None]
    else:
        starts = jnp.arange(0, signal_length - nperseg + 1, nperseg - noverlap)
        segment = lambda start: structural.dynamic_slice_in_dim(x, start, nperseg, axis=-1 % x.ndim)
        result = batching.vmap(segment, out_axes=-2)(starts)
    result = detrend_func(result)
    if jnp.iscomplexobj(win):
        result = _as_complex(result)
    result = win.reshape((1,) * len(batch_shape) + (1, nperseg)) * result
    if sides == "twosided":
        return jnp_fft.fft(result, n=nfft)
    return jnp_fft.rfft(result.real, n=nfft)


def _odd_ext(x, n: int, axis: int = -1):
    if n < 1:
        return x
    if n > x.shape[axis] - 1:
        raise ValueError(f"The extension length n ({n}) is too big. It must not exceed x.shape[axis]-1, which is "
                         f"{x.shape[axis] - 1}.")
    axis = axis % x.ndim
    length = x.shape[axis]
    left_end = structural.slice_in_dim(x, 0, 1, axis=axis)
    left_ext = jnp.flip(structural.slice_in_dim(x, 1, n + 1, axis=axis), axis=axis)
    right_end = structural.slice_in_dim(x, length - 1, length, axis=axis)
    right_ext = jnp.flip(structural.slice_in_dim(x, length - n - 1, length - 1, axis=axis), axis=axis)
    return jnp.concatenate((2 * left_end - left_ext, x, 2 * right_end - right_ext), axis=axis)


def _padder(mode, **kwargs):
    def pad(x, n, axis=-1):
        width = [(0, 0)] * x.ndim
        width[axis] = (n, n)
        return jnp.pad(x, width, mode, **kwargs)
    return pad


_BOUNDARY = {"even": _padder("reflect"), "odd": _odd_ext, "constant": _padder("edge"),
             "zeros": _padder("constant", constant_values=0.0), None: lambda x, *args, **kwargs: x}


def _static_int(value, what):
    return int(core.concrete_or_error(value, f"{what} must be a static integer"))


def _spectral_helper(x, y, fs=1.0, window="hann", nperseg=None, noverlap=None, nfft=None, detrend_type="constant",
                     return_onesided=True, scaling="density", axis=-1, mode="psd", boundary=None, padded=False):
    if mode not in ("psd", "stft"):
        raise ValueError(f"Unknown value for mode {mode}, must be one of: ('psd', 'stft')")
    if boundary not in _BOUNDARY:
        raise ValueError(f"Unknown boundary option '{boundary}', must be one of: {list(_BOUNDARY.keys())}")
    axis = operator.index(_static_int(axis, "axis of windowed-FFT"))
    if y is None:
        check_arraylike("spectral_helper", x)
        (x,) = promote_dtypes_inexact(jnp.asarray(x))
        axis = canonicalize_axis(axis, x.ndim)
        y_arr = x
        outershape = x.shape[:axis] + x.shape[axis + 1:]
    else:
        if mode != "psd":
            raise ValueError("two-argument mode is available only when mode=='psd'")
        check_arraylike("spectral_helper", x, y)
        x, y_arr = promote_dtypes_inexact(jnp.asarray(x), jnp.asarray(y))
        axis = canonicalize_axis(axis, x.ndim)
        if x.ndim != y_arr.ndim:
            raise ValueError(f"two-arguments must have the same rank ({x.ndim} vs {y_arr.ndim}).")
        try:
            outershape = jnp.broadcast_shapes(x.shape[:axis] + x.shape[axis + 1:],
                                              y_arr.shape[:axis] + y_arr.shape[axis + 1:])
        except ValueError as err:
            raise ValueError("x and y cannot be broadcast together.") from err
    result_dtype = _to_complex(x.dtype)
    freq_dtype = np.finfo(result_dtype).dtype
    if nperseg is not None:
        nperseg = _static_int(nperseg, "nperseg of windowed-FFT")
        if nperseg < 1:
            raise ValueError("nperseg must be a positive integer")
    win, nperseg = _triage_segments(window, nperseg, input_length=x.shape[axis], dtype=x.dtype)
    noverlap = nperseg // 2 if noverlap is None else _static_int(noverlap, "noverlap of windowed-FFT")
    nfft = nperseg if nfft is None else _static_int(nfft, "nfft of windowed-FFT")
    if y is None:
        if x.size == 0:
            return jnp.zeros(x.shape, freq_dtype), jnp.zeros(x.shape, freq_dtype), jnp.zeros(x.shape, result_dtype)
    elif x.size == 0 or y_arr.size == 0:
        shape = outershape[:axis] + (min(x.shape[axis], y_arr.shape[axis]),) + outershape[axis:]
        return jnp.zeros(shape, freq_dtype), jnp.zeros(shape, freq_dtype), jnp.zeros(shape, result_dtype)
    x = jnp.moveaxis(x, axis, -1)
    if y is not None and y_arr.ndim > 1:
        y_arr = jnp.moveaxis(y_arr, axis, -1)
    if y is not None and x.shape[-1] != y_arr.shape[-1]:  # the shorter one is zero-padded
        if x.shape[-1] < y_arr.shape[-1]:
            x = jnp.concatenate((x, jnp.zeros(x.shape[:-1] + (y_arr.shape[-1] - x.shape[-1],), x.dtype)), -1)
        else:
            extra = jnp.zeros(y_arr.shape[:-1] + (x.shape[-1] - y_arr.shape[-1],), x.dtype)
            y_arr = jnp.concatenate((y_arr, extra), -1)
    if nfft < nperseg:
        raise ValueError("nfft must be greater than or equal to nperseg.")
    if noverlap >= nperseg:
        raise ValueError("noverlap must be less than nperseg.")
    nstep = nperseg - noverlap
    if boundary is not None:
        x = _BOUNDARY[boundary](x, nperseg // 2, axis=-1)
        if y is not None:
            y_arr = _BOUNDARY[boundary](y_arr, nperseg // 2, axis=-1)
    if padded:
        nadd = -(x.shape[-1] - nperseg) % nstep % nperseg
        x = jnp.concatenate((x, jnp.zeros((*x.shape[:-1], nadd), x.dtype)), axis=-1)
        if y is not None:
            y_arr = jnp.concatenate((y_arr, jnp.zeros((*y_arr.shape[:-1], nadd), x.dtype)), axis=-1)
    if isinstance(detrend_type, str):
        detrend_func = partial(detrend, type=detrend_type, axis=-1)
    elif callable(detrend_type):
        if axis != -1:
            def detrend_func(d):
                return jnp.moveaxis(detrend_type(jnp.moveaxis(d, axis, -1)), -1, axis)
        else:
            detrend_func = detrend_type
    elif not detrend_type:
        detrend_func = lambda d: d
    else:
        raise ValueError(f"Unsupported detrend type: {detrend_type}")
    if scaling == "density":
        scale = 1.0 / (fs * (win * win).sum())
    elif scaling == "spectrum":
        scale = 1.0 / win.sum() ** 2
    else:
        raise ValueError(f"Unknown scaling: {scaling}")
    if mode == "stft":
        scale = jnp.sqrt(scale)
    scale = _as_complex(jnp.asarray(scale))
    sides = "twosided"
    if return_onesided:
        if jnp.iscomplexobj(x) or (y is not None and jnp.iscomplexobj(y_arr)):
            warnings.warn("Input data is complex, switching to return_onesided=False")
        else:
            sides = "onesided"
    freqs = (jnp_fft.fftfreq if sides == "twosided" else jnp_fft.rfftfreq)(nfft, 1 / fs, dtype=freq_dtype)
    result = _fft_helper(x, win, detrend_func, nperseg, noverlap, nfft, sides)
    if y is not None:
        result = jnp.conjugate(result) * _fft_helper(y_arr, win, detrend_func, nperseg, noverlap, nfft, sides)
    elif mode == "psd":
        result = jnp.conjugate(result) * result
    result = result * scale
    if sides == "onesided" and mode == "psd":  # the dropped negative frequencies count twice
        end = None if nfft % 2 else -1
        result = result.at[..., 1:end].mul(2)
    time = jnp.arange(nperseg / 2, x.shape[-1] - nperseg / 2 + 1, nperseg - noverlap, dtype=freq_dtype) / fs
    if boundary is not None:
        time = time - nperseg / 2 / fs
    result = result.astype(result_dtype)
    if y is None and mode != "stft":
        result = result.real
    return freqs, time, jnp.moveaxis(result, -1, axis)


def stft(x, fs=1.0, window="hann", nperseg=256, noverlap=None, nfft=None, detrend=False, return_onesided=True,
         boundary="zeros", padded=True, axis=-1):
    """Short-time Fourier transform: (frequencies, segment times, spectra) of `x` with `window`, `nperseg` and
    `noverlap`.

    On wasm and webgpu the complex64 FFTs are device kernels, and on wasm the complex128 ones (x64) too;
    on webgpu those run on the host, counted in the device's host_fallbacks.
    """
    return _spectral_helper(x, None, fs, window, nperseg, noverlap, nfft, detrend, return_onesided,
                            scaling="spectrum", axis=axis, mode="stft", boundary=boundary, padded=padded)


def _median_bias(n: int) -> float:
    ii_2 = np.arange(2.0, n, 2)
    return 1 + float(np.sum(1.0 / (ii_2 + 1) - 1.0 / ii_2))


def csd(x, y, fs=1.0, window="hann", nperseg=None, noverlap=None, nfft=None, detrend="constant",
        return_onesided=True, scaling="density", axis=-1, average="mean"):
    """Cross power spectral density of x and y by Welch's method: (frequencies, Pxy).

    On wasm and webgpu the complex64 FFTs are device kernels, and on wasm the complex128 ones (x64) too;
    on webgpu those run on the host, counted in the device's host_fallbacks.
    """
    freqs, _, pxy = _spectral_helper(x, y, fs, window, nperseg, noverlap, nfft, detrend, return_onesided, scaling,
                                     axis, mode="psd")
    if y is not None:
        pxy = pxy + 0j
    if pxy.ndim >= 2 and pxy.size > 0:
        if pxy.shape[-1] > 1:
            if average == "median":
                bias = jnp.asarray(_median_bias(pxy.shape[-1]), dtype=pxy.dtype)
                if jnp.iscomplexobj(pxy):
                    pxy = jnp.median(jnp.real(pxy), axis=-1) + 1j * jnp.median(jnp.imag(pxy), axis=-1)
                else:
                    pxy = jnp.median(pxy, axis=-1)
                pxy = pxy / bias
            elif average == "mean":
                pxy = pxy.mean(axis=-1)
            else:
                raise ValueError(f'average must be "median" or "mean", got {average}')
        else:
            pxy = jnp.reshape(pxy, pxy.shape[:-1])
    return freqs, pxy


def welch(x, fs=1.0, window="hann", nperseg=None, noverlap=None, nfft=None, detrend="constant",
          return_onesided=True, scaling="density", axis=-1, average="mean"):
    """Power spectral density of `x` by Welch's method (averaged periodograms of overlapping segments):
    (frequencies, Pxx).

    On wasm and webgpu the complex64 FFTs are device kernels, and on wasm the complex128 ones (x64) too;
    on webgpu those run on the host, counted in the device's host_fallbacks.
    """
    freqs, pxx = csd(x, None, fs=fs, window=window, nperseg=nperseg, noverlap=noverlap, nfft=nfft, detrend=detrend,
                     return_onesided=return_onesided, scaling=scaling, axis=axis, average=average)
    return freqs, pxx.real


def _overlap_and_add(x, step_size: int):
    """Sum frames (..., nframes, frame_length) placed step_size apart, by reshapes and one sum."""
    *batch_shape, nframes, segment_len = x.shape
    flat = math.prod(batch_shape)
    x = x.reshape((flat, nframes, segment_len))
    output_size = step_size * (nframes - 1) + segment_len
    nstep_per_segment = 1 + (segment_len - 1) // step_size
    padded_len = nstep_per_segment * step_size
    x = jnp.pad(x, ((0, 0), (0, 0), (0, padded_len - segment_len)))
    x = x.reshape((flat, nframes, nstep_per_segment, step_size)).transpose((0, 2, 1, 3))
    x = jnp.pad(x, ((0, 0), (0, 0), (0, nframes), (0, 0)))
    shrunken = x.shape[2] - 1
    x = x.reshape((flat, -1))[:, :nstep_per_segment * shrunken * step_size]
    x = x.reshape((flat, nstep_per_segment, shrunken * step_size)).sum(axis=1)[:, :output_size]
    return x.reshape(tuple(batch_shape) + (-1,))


def istft(Zxx, fs=1.0, window="hann", nperseg=None, noverlap=None, nfft=None, input_onesided=True, boundary=True,
          time_axis=-1, freq_axis=-2):
    """Inverse short-time Fourier transform by overlap-add: (times, signal) from the spectra `Zxx`.

    On wasm and webgpu the complex64 FFTs are device kernels, and on wasm the complex128 ones (x64) too;
    on webgpu those run on the host, counted in the device's host_fallbacks.
    """
    check_arraylike("istft", Zxx)
    Zxx = jnp.asarray(Zxx)
    if Zxx.ndim < 2:
        raise ValueError("Input stft must be at least 2d!")
    freq_axis = canonicalize_axis(freq_axis, Zxx.ndim)
    time_axis = canonicalize_axis(time_axis, Zxx.ndim)
    if freq_axis == time_axis:
        raise ValueError("Must specify differing time and frequency axes!")
    Zxx = _as_complex(Zxx)
    n_default = 2 * (Zxx.shape[freq_axis] - 1) if input_onesided else Zxx.shape[freq_axis]
    nperseg = _static_int(nperseg or n_default, "nperseg: segment length of STFT")
    if nperseg < 1:
        raise ValueError("nperseg must be a positive integer")
    if nfft is None:
        nfft_int = n_default + (1 if input_onesided and nperseg == n_default + 1 else 0)
    else:
        nfft_int = _static_int(nfft, "nfft of STFT")
    if nfft_int < nperseg:
        raise ValueError(f"FFT length ({nfft_int}) must be longer than nperseg ({nperseg}).")
    noverlap = _static_int(noverlap or nperseg // 2, "noverlap of STFT")
    if noverlap >= nperseg:
        raise ValueError("noverlap must be less than nperseg.")
    nstep = nperseg - noverlap
    if time_axis != Zxx.ndim - 1 or freq_axis != Zxx.ndim - 2:
        outer = tuple(i for i in range(Zxx.ndim) if i not in {time_axis, freq_axis})
        Zxx = jnp.transpose(Zxx, outer + (freq_axis, time_axis))
    inverse = jnp_fft.irfft if input_onesided else jnp_fft.ifft
    xsubs = inverse(Zxx, axis=-2, n=nfft)[..., :nperseg, :]
    if isinstance(window, (str, tuple)):
        win = jnp.array(_named_window(window, nperseg), dtype=xsubs.dtype)
    else:
        win = jnp.asarray(window)
        if len(win.shape) != 1:
            raise ValueError("window must be 1-D")
        if win.shape[0] != nperseg:
            raise ValueError(f"window must have length of {nperseg}")
    xsubs = xsubs * win.sum()
    win = structural.expand_dims(win, (*range(xsubs.ndim - 2), -1))
    x = _overlap_and_add((xsubs * win).swapaxes(-2, -1), nstep)
    win_squared = jnp.repeat(win * win, xsubs.shape[-1], axis=-1)
    norm = _overlap_and_add(win_squared.swapaxes(-2, -1), nstep)
    if boundary:
        x = x[..., nperseg // 2:-(nperseg // 2)]
        norm = norm[..., nperseg // 2:-(nperseg // 2)]
    x = x / jnp.where(norm > 1e-10, norm, 1.0)
    if x.ndim > 1 and time_axis != Zxx.ndim - 1:
        if freq_axis < time_axis:
            time_axis -= 1
        x = jnp.moveaxis(x, -1, time_axis)
    time = jnp.arange(x.shape[0], dtype=np.finfo(x.dtype).dtype) / fs
    return time, x
