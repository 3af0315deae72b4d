"""jax.numpy.fft: NumPy's FFT API on the `fft` primitive (jaxlite/_src/lax/fft.py).

As in JAX, the primitive transforms only the innermost 1-3 axes, so other axes are moved there
and back, `s=`/`n=` crop or zero-pad before the transform, and more than three axes are done as
several transforms.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from jaxlite._src import dtypes
from jaxlite._src.core import get_aval
from jaxlite._src.lax import lax, structural
from jaxlite._src.lax.fft import FftType
from jaxlite._src.lax.fft import fft as _lax_fft
from jaxlite._src.numpy.lax_numpy import arange, conj, moveaxis, roll
from jaxlite._src.numpy.util import asarray, check_arraylike

__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2", "fftn",
           "ifftn", "rfftn", "irfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]


def _norm_factor(s, func_name: str, norm: str) -> float | None:
    if norm == "backward":
        return None
    n = float(math.prod(s))
    inverse = func_name.startswith("i")
    if norm == "ortho":
        return math.sqrt(n) if inverse else 1 / math.sqrt(n)
    if norm == "forward":
        return n if inverse else 1 / n
    raise ValueError(f'Invalid norm value {norm}; should be "backward","ortho" or "forward".')


def _crop_or_pad(arr, shape):
    cur = get_aval(arr).shape
    if any(n < c for n, c in zip(shape, cur)):
        arr = structural.slice(arr, (0,) * len(cur), tuple(min(n, c) for n, c in zip(shape, cur)))
        cur = get_aval(arr).shape
    if any(n > c for n, c in zip(shape, cur)):
        zero = lax._as_array(np.zeros((), get_aval(arr).dtype))
        arr = structural.pad(arr, zero, [(0, n - c, 0) for n, c in zip(shape, cur)])
    return arr


def _fft_core(func_name, fft_type, a, s, axes, norm):
    full_name = f"jax.numpy.fft.{func_name}"
    check_arraylike(full_name, a)
    arr = asarray(a)
    if s is not None:
        s = tuple(map(operator.index, s))
        if any(n <= 0 for n in s):
            raise ValueError("Shape should be positive.")
    if s is not None and axes is not None and len(s) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    orig_axes = axes
    ndim = get_aval(arr).ndim
    if axes is None:
        axes = range(ndim) if s is None else range(ndim - len(s), ndim)
    if len(axes) != len(set(axes)):
        raise ValueError(f"{full_name} does not support repeated axes. Got axes {axes}.")
    if orig_axes is not None:  # the primitive transforms the innermost axes only
        axes = tuple(range(ndim - len(axes), ndim))
        arr = moveaxis(arr, tuple(orig_axes), axes)
    shape = get_aval(arr).shape
    if s is not None:
        in_s = list(shape)
        for axis, n in zip(axes, s):
            in_s[axis] = n
        if fft_type == FftType.IRFFT:
            in_s[-1] = in_s[-1] // 2 + 1
        arr = _crop_or_pad(arr, in_s)
    elif fft_type == FftType.IRFFT:
        s = [shape[axis] for axis in axes[:-1]]
        if len(axes):
            s += [max(0, 2 * (shape[axes[-1]] - 1))]
    else:
        s = [shape[axis] for axis in axes]
    out = _fft_core_nd(arr, fft_type, tuple(s))
    if norm is not None:
        factor = _norm_factor(s, func_name, norm)
        if factor is not None:
            aval = get_aval(out)
            out = lax.mul(out, lax.full(aval.shape, factor, aval.dtype))
    if orig_axes is not None:
        out = moveaxis(out, axes, tuple(orig_axes))
    return out


def _fft_core_nd(arr, fft_type, s):
    if len(s) <= 3:
        return _lax_fft(arr, fft_type, s)
    # More than three axes: transforms of at most three axes in turn (two 2-D ones for four axes).
    nd = get_aval(arr).ndim
    n = 2 if len(s) == 4 else 3
    src = tuple(range(nd - len(s), nd - n))
    dst = tuple(range(nd - len(s) + n, nd))
    if fft_type in (FftType.RFFT, FftType.FFT):
        arr = _lax_fft(arr, fft_type, s[-n:])
        arr = moveaxis(arr, src, dst)
        arr = _fft_core_nd(arr, FftType.FFT, s[:-n])
        return moveaxis(arr, dst, src)
    arr = moveaxis(arr, src, dst)
    arr = _fft_core_nd(arr, FftType.IFFT, s[:-n])
    arr = moveaxis(arr, dst, src)
    return _lax_fft(arr, fft_type, s[-n:])


def fftn(a, s=None, axes=None, norm=None):
    """N-D discrete Fourier transform over `axes` (all by default), with shape `s`.

    On wasm and webgpu, complex64 transforms run as device routines (any length); complex128 runs on
    the host (numpy), counted in the device's host_fallbacks.
    """
    return _fft_core("fftn", FftType.FFT, a, s, axes, norm)


def ifftn(a, s=None, axes=None, norm=None):
    """N-D inverse discrete Fourier transform over `axes`.

    On wasm and webgpu, complex64 transforms run as device routines (any length); complex128 runs on
    the host (numpy), counted in the device's host_fallbacks.
    """
    return _fft_core("ifftn", FftType.IFFT, a, s, axes, norm)


def rfftn(a, s=None, axes=None, norm=None):
    """N-D Fourier transform of real input (half spectrum along the last axis).

    On wasm and webgpu, complex64 transforms run as device routines (any length); complex128 runs on
    the host (numpy), counted in the device's host_fallbacks.
    """
    return _fft_core("rfftn", FftType.RFFT, a, s, axes, norm)


def irfftn(a, s=None, axes=None, norm=None):
    """Inverse of `rfftn`: a real N-D signal of shape `s`.

    On wasm and webgpu, complex64 transforms run as device routines (any length); complex128 runs on
    the host (numpy), counted in the device's host_fallbacks.
    """
    return _fft_core("irfftn", FftType.IRFFT, a, s, axes, norm)


def _axis_check_1d(func_name, axis):
    full_name = f"jax.numpy.fft.{func_name}"
    if isinstance(axis, (list, tuple)):
        raise ValueError(f"{full_name} does not support multiple axes. Please use {full_name}n. Got axis = {axis!r}.")


def _fft_core_1d(func_name, fft_type, a, n, axis, norm):
    _axis_check_1d(func_name, axis)
    return _fft_core(func_name, fft_type, a, None if n is None else [n], None if axis is None else [axis], norm)


def fft(a, n=None, axis=-1, norm=None):
    """1-D discrete Fourier transform along `axis`, cropping or zero-padding to length `n`; `norm` 'backward',
    'ortho' or 'forward'.

    On wasm and webgpu, complex64 transforms run as device routines (any length); complex128 runs on
    the host (numpy), counted in the device's host_fallbacks.
    """
    return _fft_core_1d("fft", FftType.FFT, a, n, axis, norm)


def ifft(a, n=None, axis=-1, norm=None):
    """1-D inverse discrete Fourier transform along `axis`, to length `n`.

    On wasm and webgpu, complex64 transforms run as device routines (any length); complex128 runs on
    the host (numpy), counted in the device's host_fallbacks.
    """
    return _fft_core_1d("ifft", FftType.IFFT, a, n, axis, norm)


def rfft(a, n=None, axis=-1, norm=None):
    """1-D Fourier transform of real input along `axis`: the n // 2 + 1 non-negative frequency terms.

    On wasm and webgpu, complex64 transforms run as device routines (any length); complex128 runs on
    the host (numpy), counted in the device's host_fallbacks.
    """
    return _fft_core_1d("rfft", FftType.RFFT, a, n, axis, norm)


def irfft(a, n=None, axis=-1, norm=None):
    """Inverse of `rfft`: a real signal of length `n` (default 2 * (m - 1)) from the non-negative frequency
    terms.

    On wasm and webgpu, complex64 transforms run as device routines (any length); complex128 runs on
    the host (numpy), counted in the device's host_fallbacks.
    """
    return _fft_core_1d("irfft", FftType.IRFFT, a, n, axis, norm)


def hfft(a, n=None, axis=-1, norm=None):
    """Fourier transform of a Hermitian-symmetric signal given by its first half: a real spectrum of length
    `n`.

    On wasm and webgpu, complex64 transforms run as device routines (any length); complex128 runs on
    the host (numpy), counted in the device's host_fallbacks.
    """
    conj_a = conj(a)
    _axis_check_1d("hfft", axis)
    nn = (get_aval(conj_a).shape[axis] - 1) * 2 if n is None else n
    return _fft_core_1d("hfft", FftType.IRFFT, conj_a, n, axis, norm) * nn


def ihfft(a, n=None, axis=-1, norm=None):
    """Inverse of `hfft`: the first half of the Hermitian spectrum of a real signal.

    On wasm and webgpu, complex64 transforms run as device routines (any length); complex128 runs on
    the host (numpy), counted in the device's host_fallbacks.
    """
    _axis_check_1d("ihfft", axis)
    arr = asarray(a)
    nn = get_aval(arr).shape[axis] if n is None else n
    return conj(_fft_core_1d("ihfft", FftType.RFFT, arr, n, axis, norm)) * (1 / nn)


def _fft_core_2d(func_name, fft_type, a, s, axes, norm):
    if len(axes) != 2:
        full_name = f"jax.numpy.fft.{func_name}"
        raise ValueError(f"{full_name} only supports 2 axes. Got axes = {axes!r}.")
    return _fft_core(func_name, fft_type, a, s, axes, norm)


def fft2(a, s=None, axes=(-2, -1), norm=None):
    """2-D discrete Fourier transform over `axes` (the last two by default), with shape `s`.

    On wasm and webgpu, complex64 transforms run as device routines (any length); complex128 runs on
    the host (numpy), counted in the device's host_fallbacks.
    """
    return _fft_core_2d("fft2", FftType.FFT, a, s, axes, norm)


def ifft2(a, s=None, axes=(-2, -1), norm=None):
    """2-D inverse discrete Fourier transform over `axes`.

    On wasm and webgpu, complex64 transforms run as device routines (any length); complex128 runs on
    the host (numpy), counted in the device's host_fallbacks.
    """
    return _fft_core_2d("ifft2", FftType.IFFT, a, s, axes, norm)


def rfft2(a, s=None, axes=(-2, -1), norm=None):
    """2-D Fourier transform of real input over `axes` (half spectrum along the last one).

    On wasm and webgpu, complex64 transforms run as device routines (any length); complex128 runs on
    the host (numpy), counted in the device's host_fallbacks.
    """
    return _fft_core_2d("rfft2", FftType.RFFT, a, s, axes, norm)


def irfft2(a, s=None, axes=(-2, -1), norm=None):
    """Inverse of `rfft2`: a real 2-D signal of shape `s`.

    On wasm and webgpu, complex64 transforms run as device routines (any length); complex128 runs on
    the host (numpy), counted in the device's host_fallbacks.
    """
    return _fft_core_2d("irfft2", FftType.IRFFT, a, s, axes, norm)


def _check_freq_args(name, n, d):
    if isinstance(n, (list, tuple)):
        raise ValueError(f"The n argument of jax.numpy.fft.{name} only takes an int. Got n = {list(n)}.")
    if isinstance(d, (list, tuple)):
        raise ValueError(f"The d argument of jax.numpy.fft.{name} only takes a single value. Got d = {list(d)}.")


def fftfreq(n, d=1.0, *, dtype=None, device=None):
    """Sample frequencies of an n-point FFT with sample spacing `d`: [0, 1, ..., -1] / (d * n)."""
    _check_freq_args("fftfreq", n, d)
    out_dtype = dtypes.check_user_dtype(dtype) or dtypes.default_float()
    dt = out_dtype if dtypes.is_inexact(out_dtype) else dtypes.default_float()
    if dt.kind == "c":
        dt = np.dtype(np.finfo(dt).dtype)
    i = arange(n, dtype=dt)
    k = (i + n // 2) % n - n // 2
    return (k / asarray(d * n, dtype=dt)).astype(out_dtype)


def rfftfreq(n, d=1.0, *, dtype=None, device=None):
    """Non-negative sample frequencies of an n-point rfft with spacing `d`: [0, 1, ..., n // 2] / (d * n)."""
    _check_freq_args("rfftfreq", n, d)
    dt = dtypes.check_user_dtype(dtype) or dtypes.default_float()
    k = arange(0, n // 2 + 1, dtype=dt)
    return k / asarray(d * n, dtype=dt)


def _shifted(name, x, axes, sign):
    check_arraylike(name, x)
    x = asarray(x)
    shape = get_aval(x).shape
    if axes is None:
        axes = tuple(range(len(shape)))
        shift = [sign * (dim // 2) for dim in shape]
    elif isinstance(axes, int):
        shift = sign * (shape[axes] // 2)
    else:
        shift = [sign * (shape[ax] // 2) for ax in axes]
    return roll(x, shift, axes)


def fftshift(x, axes=None):
    """Move the zero-frequency term to the center of the spectrum over `axes` (all if None)."""
    return _shifted("fftshift", x, axes, 1)


def ifftshift(x, axes=None):
    """Undo `fftshift`: move the center of the spectrum back to index 0 over `axes`."""
    return _shifted("ifftshift", x, axes, -1)
