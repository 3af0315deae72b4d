"""jax.scipy.signal: direct N-d convolution and correlation as one lax.conv_general_dilated (so
a fused im2col + matmul kernel on wasm/webgpu), and detrend. The FFT-based names (fftconvolve,
stft, istft, csd, welch) live in signal_fft."""

from __future__ import annotations

import numpy as np

import jaxlite.numpy as jnp
from jaxlite._src.core import get_aval
from jaxlite._src.lax import convolution
from jaxlite._src.numpy.util import promote_dtypes_inexact

def _convolve_nd(in1, in2, mode, *, precision):
    if mode not in ("full", "same", "valid"):
        raise ValueError("mode must be one of ['full', 'same', 'valid']")
    in1, in2 = jnp.asarray(in1), jnp.asarray(in2)
    if in1.ndim != in2.ndim:
        raise ValueError("in1 and in2 must have the same number of dimensions")
    if in1.size == 0 or in2.size == 0:
        raise ValueError(f"zero-size arrays not supported in convolutions, got shapes {in1.shape} and {in2.shape}.")
    in1, in2 = promote_dtypes_inexact(in1, in2)
    no_swap = all(s1 >= s2 for s1, s2 in zip(in1.shape, in2.shape))
    swap = all(s1 <= s2 for s1, s2 in zip(in1.shape, in2.shape))
    if not (no_swap or swap):
        raise ValueError("One input must be smaller than the other in every dimension.")
    shape_o = in2.shape
    if swap:
        in1, in2 = in2, in1
    shape = in2.shape
    if mode == "valid":
        padding = [(0, 0)] * len(shape)
    elif mode == "same":
        # centred on in1's original extent, as scipy's 'same'
        padding = [(s - 1 - (so - 1) // 2, s - so + (so - 1) // 2) for s, so in zip(shape, shape_o)]
    else:
        padding = [(s - 1, s - 1) for s in shape]
    # the conv primitive correlates; flipping the kernel makes it a convolution
    out = convolution.conv_general_dilated(in1[None, None], jnp.flip(in2)[None, None], (1,) * len(shape), padding,
                                           precision=precision)
    return out[0, 0]


def convolve(in1, in2, mode="full", method="auto", precision=None):
    """N-D convolution of in1 with in2; `mode` 'full', 'same' or 'valid'; `method` 'direct', 'fft' or 'auto'
    (direct).
    """
    if method == "fft":
        # Imported late: signal_fft builds on this module (detrend).
        from jaxlite._src.scipy.signal_fft import fftconvolve
        return fftconvolve(in1, in2, mode=mode)
    if method not in ("direct", "auto"):
        raise ValueError(f"Got {method=}; expected 'auto', 'fft', or 'direct'.")
    return _convolve_nd(in1, in2, mode, precision=precision)


def correlate(in1, in2, mode="full", method="auto", precision=None):
    """N-D cross-correlation of in1 with in2; `mode` 'full', 'same' or 'valid'; `method` as in `convolve`."""
    return convolve(in1, jnp.flip(jnp.conj(jnp.asarray(in2))), mode, precision=precision, method=method)


def _check_2d(name, in1, in2, boundary, fillvalue):
    if boundary != "fill" or fillvalue != 0:
        raise NotImplementedError(f"{name}() only supports boundary='fill', fillvalue=0")
    if np.ndim(in1) != 2 or np.ndim(in2) != 2:
        raise ValueError(f"{name}() only supports 2-dimensional inputs.")


def convolve2d(in1, in2, mode="full", boundary="fill", fillvalue=0, precision=None):
    """2-D convolution of in1 with in2; `mode` 'full', 'same' or 'valid'; only boundary='fill' with fillvalue=0
    (as JAX).
    """
    _check_2d("convolve2d", in1, in2, boundary, fillvalue)
    return _convolve_nd(in1, in2, mode, precision=precision)


def correlate2d(in1, in2, mode="full", boundary="fill", fillvalue=0, precision=None):
    """2-D cross-correlation of in1 with in2; only boundary='fill' with fillvalue=0 (as JAX)."""
    _check_2d("correlate2d", in1, in2, boundary, fillvalue)
    in1, in2 = jnp.asarray(in1), jnp.asarray(in2)
    swap = all(s1 <= s2 for s1, s2 in zip(in1.shape, in2.shape))
    same_shape = in1.shape == in2.shape
    # which operand is flipped decides where scipy's 'same'/'valid' windows sit when in2 is larger
    if mode != "same" and swap and (mode == "full" or not same_shape):
        out = _convolve_nd(jnp.flip(in2), jnp.conj(in1), mode, precision=precision)
        return jnp.conj(out) if mode == "full" else out
    return jnp.flip(_convolve_nd(jnp.flip(in1), jnp.conj(in2), mode, precision=precision))


def detrend(data, axis=-1, type="linear", bp=0, overwrite_data=None):
    """Remove a linear (piecewise, split at breakpoints `bp`) or constant trend from `data` along `axis`."""
    if overwrite_data is not None:
        raise NotImplementedError("overwrite_data argument not implemented.")
    if type not in ("constant", "linear"):
        raise ValueError("Trend type must be 'linear' or 'constant'.")
    (x,) = promote_dtypes_inexact(jnp.asarray(data))
    if type == "constant":
        return x - jnp.mean(x, axis, keepdims=True)
    n = x.shape[axis]
    bps = np.sort(np.unique(np.r_[0, bp, n]))
    if bps[0] < 0 or bps[-1] > n:
        raise ValueError("Breakpoints must be non-negative and less than length of data along given axis.")
    x = jnp.moveaxis(x, axis, 0)
    dt = get_aval(x).dtype
    pieces = []
    for lo, hi in zip(bps[:-1], bps[1:]):
        y = x[lo:hi]
        m = int(hi - lo)
        if m == 1:  # one point: the least-squares line passes through it
            pieces.append(jnp.zeros_like(y))
            continue
        # least squares on [1, t]: the normal equations of two columns, centred
        t = (np.arange(1, m + 1) / m).astype(dt)
        tc = jnp.asarray((t - t.mean()).reshape((m,) + (1,) * (y.ndim - 1)))
        ybar = jnp.mean(y, axis=0, keepdims=True)
        slope = jnp.sum(tc * (y - ybar), axis=0, keepdims=True) / float(np.sum((t - t.mean()) ** 2))
        pieces.append(y - ybar - slope * tc)
    return jnp.moveaxis(jnp.concatenate(pieces, axis=0) if len(pieces) > 1 else pieces[0], 0, axis)
