"""jaxlite.display: PNGs decode back to the pixels written, charts are well-formed SVG, progress bars
draw the expected text and call the REPL's hook at a limited rate."""

from __future__ import annotations

import base64
import io
import struct
import sys
import types
import xml.etree.ElementTree as ET
import zlib

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite._src.display import progress as progress_mod
from jaxlite.display import imshow, plot, progress, set_display_handler, set_progress_handler, show

SVG = "{http://www.w3.org/2000/svg}"


def decode_png(data: bytes):
    """A minimal PNG reader (8-bit, filter 0 rows, which is what the encoder writes), checking CRCs."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, kind
        chunks.append((kind, body))
        pos += 12 + length
    assert [k for k, _ in chunks][0] == b"IHDR" and chunks[-1] == (b"IEND", b"")
    width, height, depth, color_type, _, _, _ = struct.unpack(">IIBBBBB", chunks[0][1])
    assert depth == 8
    channels = {0: 1, 4: 2, 2: 3, 6: 4}[color_type]
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    rows = np.frombuffer(raw, np.uint8).reshape(height, 1 + width * channels)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(height, width, channels), color_type


def test_png_grey_float_and_uint8_rgb_roundtrip_exactly():
    grey = np.array([[0.0, 0.25, 0.5], [0.75, 1.0, 0.1]], np.float32)
    pixels, color_type = decode_png(imshow(grey, cmap="gray", vmin=0, vmax=1, scale=1).png)
    assert color_type == 0 and pixels.shape == (2, 3, 1)
    np.testing.assert_array_equal(pixels[..., 0], np.round(grey * 255).astype(np.uint8))

    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 13
    pixels, color_type = decode_png(imshow(rgb, scale=1).png)
    assert color_type == 2
    np.testing.assert_array_equal(pixels, rgb)

    rgba = np.array([[[0.0, 0.5, 1.0, 1.0], [2.0, -1.0, 0.2, 0.0]]])     # floats clip to [0, 1]
    pixels, color_type = decode_png(imshow(jnp.asarray(rgba, jnp.float32), scale=1).png)
    assert color_type == 6
    np.testing.assert_array_equal(pixels, [[[0, 128, 255, 255], [255, 0, 51, 0]]])


def test_colormap_range_nan_and_enlarging():
    x = jnp.linspace(-2.0, 3.0, 6).reshape(2, 3)
    pixels, color_type = decode_png(imshow(x, scale=1).png)        # viridis over the data range
    assert color_type == 2
    np.testing.assert_array_equal(pixels[0, 0], [68, 1, 84])       # viridis(0) in 8 bits
    np.testing.assert_array_equal(pixels[1, 2], [253, 231, 37])    # viridis(1)
    assert len({tuple(p) for p in pixels.reshape(-1, 3)}) == 6
    clipped, _ = decode_png(imshow(x, vmin=0.0, vmax=1.0, scale=1).png)
    np.testing.assert_array_equal(clipped[0, 0], [68, 1, 84])
    np.testing.assert_array_equal(clipped[1, 0], [253, 231, 37])
    cool, _ = decode_png(imshow(x, cmap="coolwarm_r", scale=1).png)
    np.testing.assert_array_equal(cool[0, 0], [180, 4, 38])

    with_nan = np.array([[0.0, np.nan], [1.0, 0.5]])
    pixels, color_type = decode_png(imshow(with_nan, cmap="magma", scale=1).png)
    assert color_type == 6
    np.testing.assert_array_equal(pixels[..., 3], [[255, 0], [255, 255]])

    img = imshow(np.eye(8))                                          # small arrays grow by a whole factor
    pixels, _ = decode_png(img.png)
    assert (img.height, img.width) == (192, 192) == pixels.shape[:2]
    np.testing.assert_array_equal(pixels[::24, ::24], decode_png(imshow(np.eye(8), scale=1).png)[0])


def test_image_reprs_save_and_errors(tmp_path):
    img = imshow(np.random.default_rng(0).random((5, 7)), scale=2)
    assert img._repr_png_() == img.png
    html = img._repr_html_()
    assert html.startswith('<img src="data:image/png;base64,')
    assert base64.b64decode(html.split("base64,")[1].split('"')[0]) == img.png
    img.save(tmp_path / "a.png")
    assert (tmp_path / "a.png").read_bytes() == img.png
    assert repr(img) == "<Image 14x10 RGB>"
    assert jax.display.imshow is imshow
    with pytest.raises(TypeError):
        imshow(np.zeros(5))
    with pytest.raises(ValueError, match="colormap"):
        imshow(np.zeros((2, 2)), cmap="jet")
    with pytest.raises(ValueError):
        imshow(np.zeros((0, 3)))


def test_plot_is_svg_with_one_polyline_per_series_and_round_ticks(tmp_path):
    from jaxlite._src.display.plot import nice_ticks
    assert nice_ticks(0.0, 1.0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(-3.7, 12.2) == [-5.0, 0.0, 5.0, 10.0, 15.0]
    assert nice_ticks(3.0, 3.0) == [1.0, 2.0, 3.0, 4.0, 5.0]          # a flat line gets room around it

    t = jnp.linspace(0.0, 6.0, 40)
    ys = jnp.stack([jnp.sin(t), jnp.cos(t), 0.5 * t - 1.0], axis=1)
    chart = plot(t, ys, label=["sin", "cos", "line"], title="waves <&>", xlabel="t")
    chart.plot(np.array([0.0, 2.0, np.nan, 4.0]), np.array([1.0, 1.5, 3.0, np.inf]), label="gappy")
    root = ET.fromstring(chart._repr_svg_())
    assert root.tag == SVG + "svg"
    lines = root.findall(SVG + "polyline")
    assert len(lines) == 4
    frame = [r for r in root.findall(SVG + "rect") if r.get("fill") == "none"][0]
    x0, y0 = float(frame.get("x")), float(frame.get("y"))
    x1, y1 = x0 + float(frame.get("width")), y0 + float(frame.get("height"))
    for line, count in zip(lines, [40, 40, 40, 2]):
        points = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
        assert len(points) == count
        assert all(x0 - 1e-6 <= px <= x1 + 1e-6 and y0 - 1e-6 <= py <= y1 + 1e-6 for px, py in points)
    texts = [e.text for e in root.iter(SVG + "text")]
    assert {"sin", "cos", "line", "gappy", "waves <&>", "t"} <= set(texts)
    assert {"0", "2", "4", "6", "-1", "1"} <= set(texts)              # x ticks 0..6 by 2, y -1..2 by 1
    assert "0.5" in ET.fromstring(plot([0.1, 0.3, 0.9])._repr_svg_()).itertext()
    assert len({line.get("stroke") for line in lines}) == 4
    assert chart._repr_html_() == chart._repr_svg_()
    chart.save(tmp_path / "c.svg")
    ET.parse(tmp_path / "c.svg")

    single = ET.fromstring(plot([3.0, 1.0, 2.0])._repr_svg_())
    assert len(single.findall(SVG + "polyline")) == 1
    with pytest.raises(ValueError):
        plot(np.arange(3), np.arange(4))


@pytest.fixture
def fake_clock(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(progress_mod, "_clock", lambda: now[0])
    return now


def test_progress_text_lines(fake_clock):
    buf = io.StringIO()
    bar = progress(total=4, desc="train", file=buf)
    fake_clock[0] = 1.0
    bar.update()
    fake_clock[0] = 1.05
    bar.update()                                    # within 0.1 s of the last draw: not drawn
    fake_clock[0] = 2.0
    bar.update(2)
    bar.close()
    out = buf.getvalue()
    assert out.endswith("\n") and out.count("\n") == 1
    lines = [line.rstrip() for line in out[:-1].split("\r")[1:]]
    assert lines == [
        "train:   0%|                    | 0/4 [00:00<?, 0.00it/s]",
        "train:  25%|#####               | 1/4 [00:01<00:03, 1.00it/s]",
        "train: 100%|####################| 4/4 [00:02<00:00, 2.00it/s]",
        "train: 100%|####################| 4/4 [00:02<00:00, 2.00it/s]",
    ]

    buf = io.StringIO()
    for _ in progress(iter(range(3)), file=buf, mininterval=0):
        fake_clock[0] += 2.0
    assert buf.getvalue().split("\r")[-1] == "3it [00:06, 2.00s/it]\n"     # slow steps show seconds per step


def test_progress_handler_is_rate_limited(fake_clock):
    calls = []
    set_progress_handler(lambda *args: calls.append(args))
    try:
        items = []
        for i in progress(range(100), desc="steps"):
            items.append(i)
            fake_clock[0] += 0.01
    finally:
        set_progress_handler(None)
    assert items == list(range(100))
    assert calls[0] == (0, 100, "steps", 0.0)
    assert calls[-1][:3] == (100, 100, "steps") and calls[-1][3] == pytest.approx(1.0)
    assert 10 <= len(calls) <= 13
    gaps = np.diff([c[3] for c in calls[:-1]])
    assert (gaps >= 0.1 - 1e-9).all()
    with pytest.raises(TypeError):
        set_progress_handler(42)


def test_progress_in_a_notebook_updates_one_html_display(fake_clock, monkeypatch):
    shown, updates = [], []

    class Handle:
        def update(self, obj):
            updates.append(obj.data)

    class ZMQInteractiveShell:
        pass

    ipython = types.ModuleType("IPython")
    ipython.get_ipython = ZMQInteractiveShell
    display_mod = types.ModuleType("IPython.display")
    display_mod.HTML = lambda data: types.SimpleNamespace(data=data)
    display_mod.display = lambda obj, display_id=False: shown.append((obj.data, display_id)) or Handle()
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display_mod)
    for _ in progress(range(3), desc="fit"):
        fake_clock[0] += 1.0
    assert len(shown) == 1 and shown[0][1] is True and "<progress" in shown[0][0]
    assert "fit" in updates[-1] and "3/3" in updates[-1] and 'value="1.0000"' in updates[-1]


def test_show_prefers_the_registered_handler(capsys):
    bundles = []
    img, chart = imshow(np.eye(3), scale=1), plot([1.0, 2.0])
    set_display_handler(bundles.append)
    try:
        show(img)
        show(chart)
    finally:
        set_display_handler(None)
    assert base64.b64decode(bundles[0]["image/png"]) == img.png and bundles[0]["text/plain"] == repr(img)
    assert bundles[1]["image/svg+xml"] == chart.to_svg() and "image/png" not in bundles[1]
    show(img)
    assert capsys.readouterr().out == "<Image 3x3 RGB>\n"
