"""imshow: an array as a PNG picture that the REPL, Jupyter and JupyterLite all know how to show."""

from __future__ import annotations

import base64

import numpy as np

from jaxlite._src.display.colormaps import lookup_table
from jaxlite._src.display.png import encode_png

# Small arrays (an 8x8 kernel, a 28x28 digit) would be specks at one pixel per element, so they are
# enlarged by a whole factor until the longer side reaches this many pixels.
_MIN_SIDE = 192
_MAX_SCALE = 32


class Image:
    """A PNG picture; displays itself in notebooks and saves to a file."""

    def __init__(self, pixels: np.ndarray):
        self.pixels = pixels
        self.png = encode_png(pixels)

    @property
    def height(self) -> int:
        return self.pixels.shape[0]

    @property
    def width(self) -> int:
        return self.pixels.shape[1]

    def _repr_png_(self) -> bytes:
        return self.png

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.png).decode("ascii")
        return (f'<img src="data:image/png;base64,{data}" width="{self.width}" height="{self.height}" '
                'style="image-rendering: pixelated" alt="image"/>')

    def save(self, path) -> None:
        with open(path, "wb") as f:
            f.write(self.png)

    def __repr__(self) -> str:
        channels = 1 if self.pixels.ndim == 2 else self.pixels.shape[2]
        kind = {1: "grey", 2: "grey+alpha", 3: "RGB", 4: "RGBA"}[channels]
        return f"<Image {self.width}x{self.height} {kind}>"


def _to_unit_bytes(x: np.ndarray) -> np.ndarray:
    """Colour channels as uint8: uint8 stays, other ints are 0..255, floats are 0..1 (clipped)."""
    if x.dtype == np.uint8:
        return x
    if x.dtype == np.bool_:
        return x.astype(np.uint8) * 255
    if np.issubdtype(x.dtype, np.integer):
        return np.clip(x, 0, 255).astype(np.uint8)
    x = np.nan_to_num(x.astype(np.float64), nan=0.0)
    return np.round(np.clip(x, 0.0, 1.0) * 255).astype(np.uint8)


def _colorize(x: np.ndarray, cmap: str, vmin, vmax) -> np.ndarray:
    x = x.astype(np.float64)
    finite = np.isfinite(x)
    lo = vmin if vmin is not None else (x[finite].min() if finite.any() else 0.0)
    hi = vmax if vmax is not None else (x[finite].max() if finite.any() else 1.0)
    span = hi - lo
    t = (x - lo) / span if span > 0 else np.zeros_like(x)
    index = np.round(np.clip(np.nan_to_num(t, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0) * 255).astype(np.intp)
    table = lookup_table(cmap)
    if cmap in ("gray", "grey"):
        rgb = table[index, 0]                # grey PNGs are a third the size
    else:
        rgb = table[index]
    if np.isnan(x).any():                    # NaN shows as a hole, as matplotlib draws it
        alpha = np.where(np.isnan(x), 0, 255).astype(np.uint8)
        rgb = np.concatenate([rgb[..., None] if rgb.ndim == 2 else rgb, alpha[..., None]], axis=-1)
    return rgb


def _enlarge(pixels: np.ndarray, scale) -> np.ndarray:
    if scale is None:
        scale = max(1, min(_MAX_SCALE, _MIN_SIDE // max(pixels.shape[:2])))
    if not isinstance(scale, (int, np.integer)) or scale < 1:
        raise ValueError(f"scale must be a positive whole number, got {scale!r}")
    return pixels if scale == 1 else pixels.repeat(scale, axis=0).repeat(scale, axis=1)


def imshow(array, cmap: str = "viridis", vmin=None, vmax=None, scale=None) -> Image:
    """Draw a 2-D array through a colormap, or an (H, W, 3|4) RGB(A) array as it is.

    2-D values map linearly from [vmin, vmax] (default: the finite data range) onto the colormap
    (viridis, magma, coolwarm, gray, each reversible with "_r"); NaNs are transparent. RGB(A)
    arrays are uint8 or floats in [0, 1], as in matplotlib. Small arrays are enlarged by a whole
    factor (``scale``; ``scale=1`` keeps one pixel per element).
    """
    x = np.asarray(array)
    if x.ndim == 3 and x.shape[2] == 1:
        x = x[:, :, 0]
    if np.iscomplexobj(x):
        raise TypeError("imshow cannot draw complex values; pass abs(x), x.real or an angle")
    if x.ndim == 2:
        pixels = _colorize(x, cmap, vmin, vmax)
    elif x.ndim == 3 and x.shape[2] in (3, 4):
        pixels = _to_unit_bytes(x)
    else:
        raise TypeError(f"imshow wants a 2-D array or an (H, W, 3|4) RGB(A) array, got shape {x.shape}")
    if 0 in x.shape[:2]:
        raise ValueError(f"imshow got an empty array of shape {x.shape}")
    return Image(_enlarge(np.ascontiguousarray(pixels), scale))
