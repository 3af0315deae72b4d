"""Bluestein's FFT: `fft_p` over one axis of any length on a kernel device whose FFT routine
handles powers of two (wasm, webgpu), without the host.

With c_j = exp(-+ pi i j^2 / n) (forward / inverse), jk = (j^2 + k^2 - (k - j)^2) / 2 gives
    X_k = c_k sum_j (x_j c_j) conj(c_(k - j)),
a circular convolution once zero-padded to M, the power of two >= 2n - 1: a chirp multiply, the
M-point FFT, a pointwise product with B, the M-point FFT of the conjugate chirp (computed once per
length in float64 and kept on the device, as the chirp is), the inverse M-point FFT, and a chirp
multiply (times 1/n for the inverse). RFFT feeds real values in and keeps the first n//2 + 1
bins; IRFFT extends its half spectrum by Hermitian symmetry first (cropped or zero-padded to
n//2 + 1 bins, imaginary parts of DC and Nyquist ignored, as numpy and XLA do) and keeps the real
parts.

The pointwise steps are float32 (float64 for complex128) jaxprs over (re, im) pairs, run as the
device's fused plans: a complex64 buffer holds the same bytes as a float32 one with a trailing axis
of 2.
"""

from __future__ import annotations

import numpy as np

from jaxlite._src import core, dispatch
from jaxlite._src import partial_eval as pe
from jaxlite._src.core import ShapedArray
from jaxlite._src.kernel import fusion
from jaxlite._src.lax import lax, structural

C64 = np.dtype(np.complex64)
F32 = np.dtype(np.float32)
_COMPLEX = {F32: C64, np.dtype(np.float64): np.dtype(np.complex128)}  # the pairs' real dtype -> complex


def conv_length(n: int) -> int:
    return 1 << (2 * n - 2).bit_length()


def chirp(n: int, inverse: bool) -> np.ndarray:
    """c_j = exp(-+ pi i j^2 / n), j < n, in float64 (j^2 reduced mod 2n first: exact angles)."""
    j = np.arange(n, dtype=np.int64)
    return np.exp((1j if inverse else -1j) * np.pi * ((j * j) % (2 * n)) / n)


def chirp_spectrum(n: int, inverse: bool) -> np.ndarray:
    """B, the M-point DFT of b_d = conj(c_d) for |d| < n (wrapped modulo M), in float64."""
    m = conv_length(n)
    c = np.conj(chirp(n, inverse))
    b = np.zeros(m, np.complex128)
    b[:n] = c
    b[m - n + 1:] = c[1:][::-1]
    return np.fft.fft(b)


# ---- the pointwise steps, on (re, im) pairs of float32 or float64 ------------------------------------------------

def _parts(z):
    last = len(core.get_aval(z).shape) - 1
    return structural.index_in_dim(z, 0, last, False), structural.index_in_dim(z, 1, last, False)


def _pair(re, im):
    last = len(core.get_aval(re).shape)
    return structural.concatenate([structural.expand_dims(re, (last,)), structural.expand_dims(im, (last,))], last)


def _cmul(a, b):
    (ar, ai), (br, bi) = a, b
    return lax.sub(lax.mul(ar, br), lax.mul(ai, bi)), lax.add(lax.mul(ar, bi), lax.mul(ai, br))


def _rows(t, rows: int):
    """A table [L] broadcast over the rows: [rows, L]."""
    return structural.broadcast_in_dim(t, (rows, core.get_aval(t).shape[0]), (1,))


def _columns(x, start: int, stop: int):
    return structural.slice_in_dim(x, start, stop, axis=1)


def _hermitian(re, im, n: int, width: int):
    """The n bins of a real signal's spectrum from the first `width` of them."""
    h = n // 2 + 1
    rows, real = core.get_aval(re).shape[0], core.get_aval(re).dtype
    if width >= h:
        re, im = _columns(re, 0, h), _columns(im, 0, h)
    else:
        re, im = (structural.pad(v, real.type(0), [(0, 0, 0), (0, h - width, 0)]) for v in (re, im))
    zero = lax.full((rows, 1), 0.0, real)
    im = structural.concatenate([zero, _columns(im, 1, h - 1 + n % 2), *([zero] if n % 2 == 0 else [])], 1)
    mirror_re = structural.rev(_columns(re, 1, n - h + 1), (1,))
    mirror_im = lax.neg(structural.rev(_columns(im, 1, n - h + 1), (1,)))
    return structural.concatenate([re, mirror_re], 1), structural.concatenate([im, mirror_im], 1)


def _chirp_in(mode: str, rows: int, n: int, width: int, m: int, real=F32):
    """x (as pairs, or real values) times the chirp, zero-padded to m points."""
    def fn(x, c):
        cr, ci = (_rows(v, rows) for v in _parts(c))
        if mode == "r2c":
            a = lax.mul(x, cr), lax.mul(x, ci)
        else:
            re, im = _parts(x)
            if mode == "c2r":
                re, im = _hermitian(re, im, n, width)
            a = _cmul((re, im), (cr, ci))
        return [_pair(*(structural.pad(v, real.type(0), [(0, 0, 0), (0, m - n, 0)]) for v in a))]
    x = ShapedArray((rows, n), real) if mode == "r2c" else ShapedArray((rows, width, 2), real)
    return fn, [x, ShapedArray((n, 2), real)]


def _spectrum_product(rows: int, m: int, real=F32):
    def fn(a, b):
        return [_pair(*_cmul(_parts(a), tuple(_rows(v, rows) for v in _parts(b))))]
    return fn, [ShapedArray((rows, m, 2), real), ShapedArray((m, 2), real)]


def _chirp_out(mode: str, rows: int, n: int, m: int, real=F32):
    """The first bins of the convolution times the (scaled) chirp; IRFFT keeps the real parts."""
    keep = n // 2 + 1 if mode == "r2c" else n

    def fn(y, c):
        re, im = (_columns(v, 0, keep) for v in _parts(y))
        cr, ci = (_rows(structural.slice_in_dim(v, 0, keep), rows) for v in _parts(c))
        out = _cmul((re, im), (cr, ci))
        return [out[0] if mode == "c2r" else _pair(*out)]
    return fn, [ShapedArray((rows, m, 2), real), ShapedArray((n, 2), real)]


def _plan(dev, key, make):
    def build():
        fn, avals = make()
        closed = pe.make_closed_jaxpr(fn, avals)
        consts = [dispatch.to_buffer(c, dev, core.get_aval(c)) for c in closed.consts]
        return fusion.Plan(dev, closed), consts
    plan, consts = dev.compile_cached(("bluestein", *key), build)
    return lambda *bufs: plan.execute([*consts, *bufs])[0]


def _table(dev, key, make, real=F32):
    key = key if real == F32 else (*key, real.name)
    return dev.compile_cached(("bluestein_table", *key), lambda: dev.put(
        np.ascontiguousarray(make().astype(_COMPLEX[real]).view(real).reshape(-1, 2))))


_MODES = {0: ("c2c", False), 1: ("c2c", True), 2: ("r2c", False), 3: ("c2r", True)}  # FftType -> mode


def fft(dev, pow2_rule, bufs, in_avals, params, out_avals):
    """fft_p over one axis of length n (not a power of two) as Bluestein's algorithm on `dev`,
    with `pow2_rule` (the device's power-of-two FFT routine, the signature of prim_routines) for
    the M-point transforms; None where that routine declines them."""
    (n,), x_aval, out_aval = params["fft_lengths"], in_avals[0], out_avals[0]
    mode, inverse = _MODES[int(params["fft_type"])]
    rows, width = out_aval.size // out_aval.shape[-1], x_aval.shape[-1]
    m = conv_length(n)
    cdt = x_aval.dtype if x_aval.dtype.kind == "c" else out_aval.dtype
    real = F32 if cdt == C64 else np.dtype(np.float64)
    wide = () if real == F32 else (real.name,)  # complex64 keeps its cache keys
    c = _table(dev, ("chirp", n, inverse), lambda: chirp(n, inverse), real)
    b = _table(dev, ("spectrum", n, inverse), lambda: chirp_spectrum(n, inverse), real)
    c_out = _table(dev, ("chirp_out", n, inverse), lambda: chirp(n, inverse) / (n if inverse else 1), real)
    a = _plan(dev, ("in", mode, rows, n, width, *wide), lambda: _chirp_in(mode, rows, n, width, m, real))(bufs[0], c)
    spectrum = ShapedArray((rows, m), cdt)

    def transform(buf, inv):
        out = pow2_rule(dev, [buf], [spectrum], {"fft_type": int(inv), "fft_lengths": (m,)}, [spectrum])
        return None if out is None else out[0]
    a = transform(a, False)
    if a is None:
        return None
    a = _plan(dev, ("product", rows, m, *wide), lambda: _spectrum_product(rows, m, real))(a, b)
    a = transform(a, True)
    if a is None:
        return None
    return [_plan(dev, ("out", mode, rows, n, m, *wide), lambda: _chirp_out(mode, rows, n, m, real))(a, c_out)]
