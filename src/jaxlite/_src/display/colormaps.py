"""A few colormaps as small tables of anchor colours, interpolated to 256 entries.

viridis and magma are matplotlib's (sampled at i/10), coolwarm is Moreland's diverging map
(sampled at i/8); linear interpolation between anchors is close enough for looking at arrays.
"""

from __future__ import annotations

import numpy as np

_ANCHORS = {
    "viridis": [
        (0.267004, 0.004874, 0.329415), (0.282623, 0.140926, 0.457517), (0.253935, 0.265254, 0.529983),
        (0.206756, 0.371758, 0.553117), (0.163625, 0.471133, 0.558148), (0.127568, 0.566949, 0.550556),
        (0.134692, 0.658636, 0.517649), (0.266941, 0.748751, 0.440573), (0.477504, 0.821444, 0.318195),
        (0.741388, 0.873449, 0.149561), (0.993248, 0.906157, 0.143936)],
    "magma": [
        (0.001462, 0.000466, 0.013866), (0.078815, 0.054184, 0.211667), (0.232077, 0.059889, 0.437695),
        (0.390384, 0.100379, 0.501864), (0.550287, 0.161158, 0.505719), (0.716387, 0.214982, 0.475855),
        (0.868793, 0.287728, 0.409303), (0.967671, 0.439703, 0.359828), (0.994738, 0.624470, 0.427397),
        (0.995891, 0.812325, 0.572470), (0.987053, 0.991438, 0.749504)],
    "coolwarm": [
        (59 / 255, 76 / 255, 192 / 255), (98 / 255, 130 / 255, 234 / 255), (141 / 255, 176 / 255, 254 / 255),
        (184 / 255, 208 / 255, 249 / 255), (221 / 255, 221 / 255, 221 / 255), (245 / 255, 196 / 255, 173 / 255),
        (244 / 255, 154 / 255, 123 / 255), (222 / 255, 96 / 255, 77 / 255), (180 / 255, 4 / 255, 38 / 255)],
    "gray": [(0.0, 0.0, 0.0), (1.0, 1.0, 1.0)],
}
_ALIASES = {"grey": "gray", "greys_r": "gray"}

_tables: dict[str, np.ndarray] = {}


def colormap_names() -> list[str]:
    return sorted(_ANCHORS)


def lookup_table(name: str) -> np.ndarray:
    """The (256, 3) uint8 table of a colormap; a name ending in "_r" reverses it."""
    reverse = name.endswith("_r") and name not in _ALIASES
    base = _ALIASES.get(name[:-2] if reverse else name, name[:-2] if reverse else name)
    if base not in _ANCHORS:
        raise ValueError(f"unknown colormap {name!r}; choose one of {colormap_names()} (or add '_r')")
    if base not in _tables:
        anchors = np.asarray(_ANCHORS[base])
        at = np.linspace(0.0, 1.0, len(anchors))
        t = np.linspace(0.0, 1.0, 256)
        channels = [np.interp(t, at, anchors[:, c]) for c in range(3)]
        _tables[base] = np.round(np.stack(channels, axis=1) * 255).astype(np.uint8)
    return _tables[base][::-1] if reverse else _tables[base]
