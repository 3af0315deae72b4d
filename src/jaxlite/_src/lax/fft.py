"""The `fft` primitive: FFT, IFFT, RFFT and IRFFT over the last 1-3 axes, with JAX's rules.

It is linear, so its JVP is the transform of the tangent. The transposes follow JAX's
conventions: a complex FFT is its own transpose (the DFT matrix is symmetric); RFFT and IRFFT
keep only half the spectrum, so their transposes weigh the bins that stand for two (all but DC
and, for even n, Nyquist) by 2. On wasm and webgpu, one-axis complex64 transforms are device
routines (backends/wasm/fft.py, backends/webgpu/fft.py; other lengths by backends/bluestein.py) and
transforms over several axes decompose into one-axis ones; complex128 is a device routine on wasm
and runs on the host (counted) on webgpu.
"""

from __future__ import annotations

import enum
import math

import numpy as np

from jaxlite._src import ad, batching, core, dispatch, dtypes
from jaxlite._src import partial_eval as pe
from jaxlite._src.backends import cpu
from jaxlite._src.core import Primitive, ShapedArray, abstract_eval_rules, get_aval
from jaxlite._src.lax import lax, structural

__all__ = ["FftType", "fft", "fft_p"]


class FftType(enum.IntEnum):
    "Describes which FFT operation to perform."

    FFT = 0
    "Forward complex-to-complex FFT."

    IFFT = 1
    "Inverse complex-to-complex FFT."

    RFFT = 2
    "Forward real-to-complex FFT."

    IRFFT = 3
    "Inverse real-to-complex FFT."


_BY_NAME = {name: typ for typ in FftType for name in (typ.name, typ.name.lower())}


def _to_inexact(dt: np.dtype) -> np.dtype:
    return dt if dtypes.is_inexact(dt) else dtypes.canonicalize_dtype(np.float64)


def _to_complex(dt: np.dtype) -> np.dtype:
    wide = _to_inexact(dt) in (np.dtype(np.float64), np.dtype(np.complex128))
    return dtypes.canonicalize_dtype(np.complex128 if wide else np.complex64)


def _complex_of(dt):
    return np.dtype(np.complex128 if dt == np.float64 else np.complex64)


def _real_of(dt):
    return np.dtype(np.float64 if dt == np.complex128 else np.float32)


def fft(x, fft_type, fft_lengths):
    if isinstance(fft_type, FftType):
        typ = fft_type
    elif isinstance(fft_type, str):
        typ = _BY_NAME.get(fft_type)
        if typ is None:
            raise ValueError(f"Unknown FFT type '{fft_type}'")
    else:
        raise TypeError(f"Unknown FFT type value '{fft_type}'")
    x = lax._as_array(x)
    dt = get_aval(x).dtype
    if typ == FftType.RFFT:
        if dt.kind == "c":
            raise ValueError("only real valued inputs supported for rfft")
        x = lax.convert_element_type(x, _to_inexact(dt))
    else:
        x = lax.convert_element_type(x, _to_complex(dt))
    fft_lengths = tuple(int(n) for n in fft_lengths)
    if not fft_lengths:  # XLA has no rank-0 FFT
        return x
    return fft_p.bind(x, fft_type=typ, fft_lengths=fft_lengths)


fft_p = Primitive("fft")


def _fft_abstract(x, fft_type, fft_lengths):
    k = len(fft_lengths)
    if k > x.ndim:
        raise ValueError(f"FFT input shape {x.shape} must have at least as many input dimensions as "
                         f"fft_lengths {fft_lengths}.")
    if fft_type == FftType.RFFT:
        if x.dtype not in (np.float32, np.float64):
            raise ValueError(f"RFFT input must be float32 or float64, got {x.dtype}")
        if x.shape[-k:] != fft_lengths:
            raise ValueError(f"RFFT input shape {x.shape} minor dimensions must be equal to fft_lengths "
                             f"{fft_lengths}")
        shape = x.shape[:-k] + fft_lengths[:-1] + (fft_lengths[-1] // 2 + 1,)
        dtype = _complex_of(x.dtype)
    elif fft_type == FftType.IRFFT:
        if x.dtype.kind != "c":
            raise ValueError(f"IRFFT input must be complex64 or complex128, got {x.dtype}")
        if x.shape[-k:-1] != fft_lengths[:-1]:
            raise ValueError(f"IRFFT input shape {x.shape} minor dimensions must be equal to all except the "
                             f"last fft_length, got {fft_lengths=}")
        shape = x.shape[:-k] + fft_lengths
        dtype = _real_of(x.dtype)
    else:
        if x.dtype.kind != "c":
            raise ValueError(f"FFT input must be complex64 or complex128, got {x.dtype}")
        if x.shape[-k:] != fft_lengths:
            raise ValueError(f"FFT input shape {x.shape} minor dimensions must be equal to fft_lengths "
                             f"{fft_lengths}")
        shape, dtype = x.shape, x.dtype
    return [ShapedArray(shape, dtype, x.weak_type)]


def _fft_kernel(x, fft_type, fft_lengths):
    axes = tuple(range(x.ndim - len(fft_lengths), x.ndim))
    if fft_type == FftType.IRFFT:
        # The last axis is cropped or zero-padded to n//2+1 bins, as numpy and XLA do.
        if 0 in fft_lengths:
            return np.zeros(x.shape[:axes[0]] + fft_lengths, _real_of(x.dtype))
        return np.fft.irfftn(x, s=fft_lengths, axes=axes)
    if x.size == 0:  # numpy refuses zero-point transforms; XLA returns the empty result
        return x if fft_type != FftType.RFFT else np.zeros(_fft_abstract(x, fft_type, fft_lengths)[0].shape,
                                                           _complex_of(x.dtype))
    fn = {FftType.FFT: np.fft.fftn, FftType.IFFT: np.fft.ifftn, FftType.RFFT: np.fft.rfftn}[fft_type]
    return fn(x, axes=axes)


def _half_spectrum_weights(shape, n: int, dtype, scale=1.0):
    """scale times the weights of an RFFT's n//2+1 bins along the last axis of `shape`: 1 for DC (and
    Nyquist when n is even), 2 for the bins that also stand for their conjugate twins."""
    w = np.full((shape[-1],), 2 * scale, np.float64)
    w[0] = scale
    if n % 2 == 0:
        w[-1] = scale
    return structural.broadcast_in_dim(dispatch.make_array(w.astype(dtype)), shape, (len(shape) - 1,))


def _rfft_transpose(t, fft_lengths):
    aval = get_aval(t)
    weights = _half_spectrum_weights(aval.shape, fft_lengths[-1], aval.dtype)
    out = fft(lax.div(lax.conj(t), weights), FftType.IRFFT, fft_lengths)
    out_aval = get_aval(out)
    return lax.mul(out, lax.full(out_aval.shape, math.prod(fft_lengths), out_aval.dtype))


def _irfft_transpose(t, fft_lengths):
    x = fft(t, FftType.RFFT, fft_lengths)
    aval = get_aval(x)
    weights = _half_spectrum_weights(aval.shape, fft_lengths[-1], aval.dtype, 1 / math.prod(fft_lengths))
    return lax.conj(lax.mul(x, weights))  # conj: JAX's convention for complex cotangents


def _fft_transpose(ct, x, fft_type, fft_lengths):
    if fft_type == FftType.RFFT:
        return [_rfft_transpose(ct, fft_lengths)]
    if fft_type == FftType.IRFFT:
        return [_irfft_transpose(ct, fft_lengths)]
    return [fft_p.bind(ct, fft_type=fft_type, fft_lengths=fft_lengths)]


def _fft_jvp(primals, tangents, fft_type, fft_lengths):
    return ([fft_p.bind(primals[0], fft_type=fft_type, fft_lengths=fft_lengths)],
            [fft_p.bind(tangents[0], fft_type=fft_type, fft_lengths=fft_lengths)])


def _fft_vmap(axis_size, vals, dims, fft_type, fft_lengths):
    x = batching.moveaxis(vals[0], dims[0], 0)
    return [fft_p.bind(x, fft_type=fft_type, fft_lengths=fft_lengths)], [0]


def _one_axis(x, fft_type, n, axis):
    """fft_p over one axis, moved last and back (a device's one-axis routine then runs it)."""
    nd = len(get_aval(x).shape)
    if axis != nd - 1:
        perm = [d for d in range(nd) if d != axis] + [axis]
        x = structural.transpose(x, perm)
    x = fft_p.bind(x, fft_type=fft_type, fft_lengths=(n,))
    if axis != nd - 1:
        x = structural.transpose(x, [*range(axis), nd - 1, *range(axis, nd - 1)])
    return x


_decompositions: dict = {}


def _fft_decompose(in_avals, *, fft_type, fft_lengths):
    """An FFT over k > 1 axes as k one-axis FFTs, in plans: the wasm device has a routine for one
    axis (backends/wasm/fft.py). RFFT transforms the last axis first, IRFFT last, as their
    definitions need; None (run the primitive itself) for one axis."""
    x = in_avals[0]
    k = len(fft_lengths)
    if k <= 1 or (fft_type == FftType.IRFFT and x.shape[-1] != fft_lengths[-1] // 2 + 1):
        return None
    key = (core.raise_to_shaped(x), fft_type, fft_lengths)
    closed = _decompositions.get(key)
    if closed is None:
        axes = range(len(x.shape) - k, len(x.shape))
        inner = FftType.IFFT if fft_type in (FftType.IFFT, FftType.IRFFT) else FftType.FFT

        def fn(y):
            if fft_type == FftType.RFFT:
                y = _one_axis(y, FftType.RFFT, fft_lengths[-1], axes[-1])
            for axis, n in zip(axes[:-1], fft_lengths[:-1]):
                y = _one_axis(y, inner, n, axis)
            if fft_type in (FftType.FFT, FftType.IFFT):
                y = _one_axis(y, inner, fft_lengths[-1], axes[-1])
            if fft_type == FftType.IRFFT:
                y = _one_axis(y, FftType.IRFFT, fft_lengths[-1], axes[-1])
            return [y]
        closed = _decompositions[key] = pe.make_closed_jaxpr(fn, [core.raise_to_shaped(x)])
    return closed


abstract_eval_rules[fft_p] = _fft_abstract
core.decomposition_rules[fft_p] = _fft_decompose
cpu.kernels[fft_p] = _fft_kernel
ad.jvp_rules[fft_p] = _fft_jvp
ad.transpose_rules[fft_p] = _fft_transpose
batching.vmap_rules[fft_p] = _fft_vmap
