"""jax.image: resize and scale_and_translate.

As in JAX, each resized dimension gets a weight matrix (input size x output size) from a
sampling kernel evaluated at the distance between every output sample position and every input
pixel centre; the image is contracted with those matrices one dimension at a time (dot_general).
Everything is built from jnp/lax operations, so weights and contractions fuse into kernels under
jit and gradients flow to the image, the scale and the translation.
"""

from __future__ import annotations

import enum
import math

import numpy as np

from jaxlite._src import core, dtypes
from jaxlite._src.lax import dot as lax_dot
from jaxlite._src.lax.extras import Precision
from jaxlite import numpy as jnp
from jaxlite._src.numpy.util import canonicalize_axis, promote_dtypes_inexact


class ResizeMethod(enum.Enum):
    """Image resize method: NEAREST, LINEAR, LANCZOS3, LANCZOS5, CUBIC (Keys), CUBIC_PYTORCH, AREA."""
    NEAREST = 0
    LINEAR = 1
    LANCZOS3 = 2
    LANCZOS5 = 3
    CUBIC = 4
    CUBIC_PYTORCH = 5
    AREA = 6

    @staticmethod
    def from_string(s: str):
        for names, method in _NAMES:
            if s in names:
                return method
        raise ValueError(f'Unknown resize method "{s}"')


_NAMES = (
    (("nearest",), ResizeMethod.NEAREST),
    (("linear", "bilinear", "trilinear", "triangle"), ResizeMethod.LINEAR),
    (("lanczos3",), ResizeMethod.LANCZOS3),
    (("lanczos5",), ResizeMethod.LANCZOS5),
    (("cubic", "bicubic", "tricubic"), ResizeMethod.CUBIC),
    (("cubic-pytorch", "bicubic-pytorch"), ResizeMethod.CUBIC_PYTORCH),
    (("area",), ResizeMethod.AREA),
)


def _lanczos(radius):
    def kernel(x):
        y = radius * jnp.sin(np.pi * x) * jnp.sin(np.pi * x / radius)
        # Near 0 the ratio is 0/0; its limit is 1.
        out = jnp.where(x > 1e-3, y / jnp.where(x != 0, np.pi ** 2 * x ** 2, 1), 1)
        return jnp.where(x > radius, 0., out)
    return kernel


def _cubic(a):
    """The cubic convolution kernel with parameter a (Keys: -0.5; OpenCV/PyTorch: -0.75)."""
    def kernel(x):
        near = ((a + 2.) * x - (a + 3.)) * x * x + 1.
        far = ((a * x - 5. * a) * x + 8. * a) * x - 4. * a
        return jnp.where(x >= 2., 0., jnp.where(x >= 1., far, near))
    return kernel


def _triangle(x):
    return jnp.maximum(0, 1 - jnp.abs(x))


_AREA = object()  # the area kernel integrates pixel overlaps instead of sampling a function

# method -> (kernel radius in input pixels, kernel)
_KERNELS = {
    ResizeMethod.LINEAR: (1, _triangle),
    ResizeMethod.LANCZOS3: (3, _lanczos(3.)),
    ResizeMethod.LANCZOS5: (5, _lanczos(5.)),
    ResizeMethod.CUBIC: (2, _cubic(-0.5)),
    ResizeMethod.CUBIC_PYTORCH: (2, _cubic(-0.75)),
    ResizeMethod.AREA: (1, _AREA),
}

_EPS_SUM = 1000. * float(np.finfo(np.float32).eps)  # column sums below this give all-zero weights


def _normalize_columns(w):
    total = jnp.sum(w, axis=0, keepdims=True)
    return jnp.where(jnp.abs(total) > _EPS_SUM, w / jnp.where(total != 0, total, 1), 0)


def _weight_matrix(m: int, n: int, scale, translation, kernel, antialias: bool, edge_padding: bool, radius):
    """(m, n) weights: output sample j reads sum_i w[i, j] * input[i]."""
    dtype = dtypes.result_type(scale, translation)
    inv_scale = 1. / scale
    # Downsampling with antialiasing widens the kernel to the output pixel's footprint.
    kernel_scale = jnp.maximum(inv_scale, 1.) if antialias else 1.
    sample_f = (jnp.arange(n, dtype=dtype) + 0.5) * inv_scale - translation * inv_scale - 0.5
    if edge_padding:
        if antialias:
            s = float(core.concrete_or_error(scale, "Antialiasing with edge padding requires a static scale."))
            pad = math.ceil(radius * max(1. / s, 1.))
        else:
            pad = radius
    else:
        pad = 0
    positions = jnp.arange(-pad, m + pad, dtype=dtype)
    if kernel is _AREA:
        left = jnp.arange(n, dtype=dtype) * inv_scale - translation * inv_scale
        right = left + inv_scale
        lo = jnp.arange(m, dtype=dtype)
        w = jnp.maximum(0., jnp.minimum(right[None, :], (lo + 1.)[:, None]) - jnp.maximum(left[None, :], lo[:, None]))
    else:
        w = kernel(jnp.abs(sample_f[None, :] - positions[:, None]) / kernel_scale)
    if edge_padding:
        # Positions past the edges read the edge pixel: fold their weights onto it.
        rows = jnp.clip(positions.astype(np.int32), 0, m - 1)
        cols = jnp.broadcast_to(jnp.arange(n)[None, :], (positions.shape[0], n))
        w = jnp.zeros((m, n), dtype).at[rows[:, None], cols].add(w)
        return _normalize_columns(w)
    w = _normalize_columns(w)
    # Samples outside the input get zero, not an extrapolated value.
    inside = jnp.logical_and(sample_f >= -0.5, sample_f <= m - 0.5)
    return jnp.where(inside[None, :], w, 0)


def _contract(x, w, d: int):
    """Replace dimension d of x (size m) by the n outputs of the (m, n) weights w."""
    out = lax_dot.dot_general(x, w, (((d,), (0,)), ((), ())), precision=Precision.HIGHEST)
    return jnp.moveaxis(out, -1, d)


def _scale_and_translate(x, shape, spatial_dims, scale, translation, kernel, antialias, edge_padding, radius):
    for i, d in enumerate(spatial_dims):
        d = canonicalize_axis(d, x.ndim)
        w = _weight_matrix(x.shape[d], shape[d], scale[i], translation[i], kernel, antialias, edge_padding, radius)
        x = _contract(x, w.astype(x.dtype), d)
    return x


def _canonical_shape(shape, image):
    shape = tuple(int(core.concrete_or_error(s, "The shape argument of jax.image")) for s in shape)
    if len(shape) != image.ndim:
        raise ValueError("shape must have length equal to the number of dimensions of x; "
                         f" {shape} vs {image.shape}")
    return shape


def _method(method):
    method = ResizeMethod.from_string(method) if isinstance(method, str) else method
    if not isinstance(method, ResizeMethod):
        raise ValueError(f'Unknown resize method "{method}"')
    return method


def _kernel_for(method, antialias):
    # PyTorch's antialiased bicubic uses the Keys kernel; only plain bicubic pads the edges.
    if method == ResizeMethod.CUBIC_PYTORCH and antialias:
        method = ResizeMethod.CUBIC
    radius, kernel = _KERNELS[method]
    return radius, kernel, method == ResizeMethod.CUBIC_PYTORCH


def scale_and_translate(image, shape, spatial_dims, scale, translation, method, antialias=True,
                        precision=Precision.HIGHEST):
    """Resample `image` to `shape`, mapping input location x to x * scale + translation in each
    of `spatial_dims` (pixel centres at half-integers; samples outside the input give zero)."""
    image = jnp.asarray(image)
    shape = _canonical_shape(shape, image)
    method = _method(method)
    if method == ResizeMethod.NEAREST:
        raise ValueError("Nearest neighbor resampling is not currently supported for scale_and_translate.")
    radius, kernel, edge_padding = _kernel_for(method, antialias)
    image, = promote_dtypes_inexact(image)
    scale, translation = promote_dtypes_inexact(scale, translation)
    if len(spatial_dims) == 0:
        return image
    return _scale_and_translate(image, shape, tuple(spatial_dims), scale, translation, kernel, antialias,
                                edge_padding, radius)


def _resize_nearest(x, shape):
    for d, (m, n) in enumerate(zip(x.shape, shape)):
        if m == n:
            continue
        # float32 arithmetic as JAX does it, so ties round the same way.
        pos = (np.arange(n, dtype=np.float32) + np.float32(0.5)) * np.float32(m) / np.float32(n)
        src = np.floor(pos).astype(np.int32)
        x = jnp.take(x, jnp.asarray(src), axis=d)
    return x


def resize(image, shape, method, antialias=True, precision=Precision.HIGHEST):
    """Resize `image` to `shape` (every dimension may change) with the given method; antialias
    widens the kernel when downsampling. Non-nearest methods return a floating-point image."""
    image = jnp.asarray(image)
    shape = _canonical_shape(shape, image)
    method = _method(method)
    if method == ResizeMethod.NEAREST:
        return _resize_nearest(image, shape)
    image, = promote_dtypes_inexact(image)
    spatial_dims = tuple(d for d in range(image.ndim) if image.shape[d] != shape[d])
    radius, kernel, edge_padding = _kernel_for(method, antialias)
    scale = [1.0 if shape[d] == 0 else shape[d] / image.shape[d] for d in spatial_dims]
    return _scale_and_translate(image, shape, spatial_dims, scale, [0.] * len(spatial_dims), kernel, antialias,
                                edge_padding, radius)
