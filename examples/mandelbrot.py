"""The Mandelbrot and Julia sets with jaxlite: an escape-time loop compiled by jit, colored on the device.

Runs as it is in CPython (`python examples/mandelbrot.py` writes mandelbrot.ppm, any
JAXLITE_DEFAULT_DEVICE) and in the browser, where /demos/mandelbrot/ loads this same file into its
worker and calls `render` for every frame. Complex numbers are written as pairs of float32 arrays.
"""

import sys
from functools import partial

import numpy as np

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import lax

# Steps per loop trip: a frame needs max_iter / UNROLL kernel launches.
UNROLL = 8


def pixel_grid(center_x, center_y, scale, width, height):
    """The points at the pixel centres: x grows to the right, y grows upwards; `scale` is one pixel."""
    xs = center_x + (jnp.arange(width, dtype=jnp.float32) - (width / 2 - 0.5)) * scale
    ys = center_y - (jnp.arange(height, dtype=jnp.float32) - (height / 2 - 0.5)) * scale
    return jnp.broadcast_to(xs, (height, width)), jnp.broadcast_to(ys[:, None], (height, width))


def step(x, y, n, cx, cy):
    """One step of z -> z*z + c for the points still inside |z| <= 2; n counts their steps."""
    x2, y2 = x * x, y * y
    inside = x2 + y2 <= 4.0
    return jnp.where(inside, x2 - y2 + cx, x), jnp.where(inside, 2 * x * y + cy, y), n + inside


# A loop body runs as its own compiled program: jit makes the unrolled steps one fused kernel.
@jax.jit
def steps(x, y, n, cx, cy):
    for _ in range(UNROLL):
        x, y, n = step(x, y, n, cx, cy)
    return x, y, n


def escape_time(zx, zy, cx, cy, max_iter):
    """How many steps keep |z| <= 2 (at most max_iter, a multiple of UNROLL), starting from z and
    adding c."""
    if max_iter % UNROLL:
        raise ValueError(f"max_iter must be a multiple of {UNROLL}, not {max_iter}")
    count = jnp.zeros(jnp.shape(zx), jnp.int32)
    trip = lambda _, state: steps(*state, cx, cy)
    return lax.fori_loop(0, max_iter // UNROLL, trip, (zx, zy, count))[2]


def palette(max_iter):
    """RGBA colours for 0..max_iter escape counts (plain numpy, built once): points that never
    escape are black."""
    t = np.sqrt(np.arange(max_iter + 1) / max_iter)[:, None]
    rgb = 0.5 + 0.5 * np.cos(2 * np.pi * (t + np.array([0.55, 0.65, 0.75])))
    rgba = np.concatenate([np.round(255 * rgb), np.full((max_iter + 1, 1), 255.0)], axis=1).astype(np.uint8)
    rgba[max_iter] = (0, 0, 0, 255)
    return rgba


@partial(jax.jit, static_argnames=("width", "height", "max_iter", "julia"))
def counts(center_x, center_y, scale, c_x, c_y, *, width, height, max_iter, julia=False):
    """Escape counts [height, width]: the Mandelbrot set, or the Julia set of c = c_x + i c_y."""
    x, y = pixel_grid(center_x, center_y, scale, width, height)
    if julia:
        return escape_time(x, y, c_x, c_y, max_iter)
    return escape_time(jnp.zeros_like(x), jnp.zeros_like(y), x, y, max_iter)


@partial(jax.jit, static_argnames=("width", "height", "max_iter", "julia"))
def render(center_x, center_y, scale, c_x=0.0, c_y=0.0, *, width, height, max_iter=256, julia=False):
    """An RGBA image [height, width, 4] (uint8), ready for a canvas's ImageData."""
    n = counts(center_x, center_y, scale, c_x, c_y, width=width, height=height, max_iter=max_iter, julia=julia)
    return jnp.asarray(palette(max_iter))[n]


def main(path="mandelbrot.ppm", width=640, height=480):
    image = render(-0.6, 0.0, 3.2 / width, width=width, height=height)
    with open(path, "wb") as f:
        f.write(b"P6 %d %d 255\n" % (width, height) + np.asarray(image)[..., :3].tobytes())
    print(f"wrote {path} ({width}x{height}) on {jax.default_backend()}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
