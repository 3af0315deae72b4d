"""jax.scipy.signal (fftconvolve, stft, istft, csd and welch need jnp.fft, issue 15)."""

from jaxlite._src.scipy.signal import convolve, convolve2d, correlate, correlate2d, detrend  # noqa: F401
from jaxlite._src.scipy.signal_fft import csd, fftconvolve, istft, stft, welch  # noqa: F401,E402
