"""plot: line charts as SVG text, with axes ticked at round numbers."""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

import numpy as np

# matplotlib's default cycle ("tab10"), so charts look familiar.
_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
_MARGIN = {"left": 64, "right": 16, "top": 32, "bottom": 40}


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About `count` round tick values (1, 2 or 5 times a power of ten) covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"tick range must be finite, got [{lo}, {hi}]")
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        pad = abs(lo) * 0.5 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(count, 1)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [round(k * step, 12) for k in range(first, last + 1)]


def format_tick(value: float, step: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1e6 or step < 1e-4:
        return f"{value:.3g}"
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    return f"{value:.{decimals}f}"


def _series_from_args(args):
    """plot(y) or plot(x, y); a 2-D y gives one series per column, as in matplotlib."""
    if len(args) == 1:
        y = np.asarray(args[0], dtype=np.float64)
        x = np.arange(y.shape[0], dtype=np.float64)
    elif len(args) == 2:
        x, y = (np.asarray(a, dtype=np.float64) for a in args)
    else:
        raise TypeError(f"plot takes y or x, y; got {len(args)} positional arguments")
    if y.ndim == 0 or y.ndim > 2 or x.ndim != 1:
        raise ValueError(f"plot wants a 1-D x and a 1-D or 2-D y, got shapes {x.shape} and {y.shape}")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same first dimension, got {x.shape} and {y.shape}")
    return x, [y] if y.ndim == 1 else [y[:, j] for j in range(y.shape[1])]


class Chart:
    """A line chart; ``chart.plot(...)`` adds series, and it shows itself as SVG."""

    def __init__(self, title=None, xlabel=None, ylabel=None, width=640, height=400):
        self.title, self.xlabel, self.ylabel = title, xlabel, ylabel
        self.width, self.height = int(width), int(height)
        self.series: list[tuple[np.ndarray, np.ndarray, str | None]] = []

    def plot(self, *args, label=None) -> Chart:
        x, ys = _series_from_args(args)
        labels = list(label) if isinstance(label, (list, tuple)) else [label] * len(ys)
        if len(labels) != len(ys):
            raise ValueError(f"got {len(labels)} labels for {len(ys)} series")
        if len(ys) > 1 and label is not None and not isinstance(label, (list, tuple)):
            labels = [f"{label} {j}" for j in range(len(ys))]
        self.series += [(x, y, lab) for y, lab in zip(ys, labels)]
        return self

    def _limits(self):
        xs = [x[np.isfinite(x) & np.isfinite(y)] for x, y, _ in self.series]
        ys = [y[np.isfinite(x) & np.isfinite(y)] for x, y, _ in self.series]
        xs, ys = np.concatenate(xs or [np.zeros(0)]), np.concatenate(ys or [np.zeros(0)])
        if xs.size == 0:
            return nice_ticks(0.0, 1.0), nice_ticks(0.0, 1.0)
        return nice_ticks(xs.min(), xs.max()), nice_ticks(ys.min(), ys.max())

    def to_svg(self) -> str:
        xticks, yticks = self._limits()
        left, top = _MARGIN["left"], _MARGIN["top"]
        right, bottom = self.width - _MARGIN["right"], self.height - _MARGIN["bottom"]
        x0, x1, y0, y1 = xticks[0], xticks[-1], yticks[0], yticks[-1]

        def px(v):
            return left + (v - x0) / (x1 - x0) * (right - left)

        def py(v):
            return bottom - (v - y0) / (y1 - y0) * (bottom - top)

        out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
               f'viewBox="0 0 {self.width} {self.height}" font-family="sans-serif" font-size="11">',
               f'<rect width="{self.width}" height="{self.height}" fill="white"/>']
        xstep, ystep = xticks[1] - xticks[0], yticks[1] - yticks[0]
        for v in xticks:
            out.append(f'<line x1="{px(v):.1f}" y1="{top}" x2="{px(v):.1f}" y2="{bottom}" stroke="#e5e5e5"/>')
            out.append(f'<text x="{px(v):.1f}" y="{bottom + 16}" text-anchor="middle">'
                       f'{escape(format_tick(v, xstep))}</text>')
        for v in yticks:
            out.append(f'<line x1="{left}" y1="{py(v):.1f}" x2="{right}" y2="{py(v):.1f}" stroke="#e5e5e5"/>')
            out.append(f'<text x="{left - 6}" y="{py(v) + 4:.1f}" text-anchor="end">'
                       f'{escape(format_tick(v, ystep))}</text>')
        out.append(f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
                   'fill="none" stroke="#333"/>')
        for i, (x, y, _) in enumerate(self.series):
            keep = np.isfinite(x) & np.isfinite(y)   # gaps (NaN, inf) are skipped, not drawn to the edge
            points = " ".join(f"{px(a):.2f},{py(b):.2f}" for a, b in zip(x[keep], y[keep]))
            out.append(f'<polyline points="{points}" fill="none" stroke="{_COLORS[i % len(_COLORS)]}" '
                       'stroke-width="1.5" stroke-linejoin="round"/>')
        labelled = [(i, lab) for i, (_, _, lab) in enumerate(self.series) if lab is not None]
        for row, (i, lab) in enumerate(labelled):
            ly = top + 14 + 16 * row
            out.append(f'<line x1="{right - 120}" y1="{ly - 4}" x2="{right - 100}" y2="{ly - 4}" '
                       f'stroke="{_COLORS[i % len(_COLORS)]}" stroke-width="2"/>')
            out.append(f'<text x="{right - 95}" y="{ly}">{escape(str(lab))}</text>')
        if self.title is not None:
            out.append(f'<text x="{(left + right) / 2:.1f}" y="{top - 12}" text-anchor="middle" '
                       f'font-size="14">{escape(str(self.title))}</text>')
        if self.xlabel is not None:
            out.append(f'<text x="{(left + right) / 2:.1f}" y="{self.height - 6}" text-anchor="middle">'
                       f'{escape(str(self.xlabel))}</text>')
        if self.ylabel is not None:
            cy = (top + bottom) / 2
            out.append(f'<text x="14" y="{cy:.1f}" text-anchor="middle" transform="rotate(-90 14 {cy:.1f})">'
                       f'{escape(str(self.ylabel))}</text>')
        out.append("</svg>")
        return "\n".join(out)

    def _repr_svg_(self) -> str:
        return self.to_svg()

    def _repr_html_(self) -> str:
        return self.to_svg()

    def save(self, path) -> None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.to_svg())

    def __repr__(self) -> str:
        title = f" {self.title!r}" if self.title is not None else ""
        return f"<Chart{title} with {len(self.series)} series>"


def plot(*args, label=None, title=None, xlabel=None, ylabel=None, width=640, height=400) -> Chart:
    """A line chart of y (against its index) or of y against x; more series via ``.plot(...)``."""
    chart = Chart(title=title, xlabel=xlabel, ylabel=ylabel, width=width, height=height)
    return chart.plot(*args, label=label) if args else chart
