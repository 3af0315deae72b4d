"""The demo benchmark page (/bench/demos/) in quick mode: jaxlite wasm, numpy in Pyodide and jax-js
wasm each train the digits MLP (the loss falls) and render a Mandelbrot frame; the table fills with
plausible numbers and every system's escape counts equal numpy's float32 loop pixel for pixel.
`make bench-demos` runs the same page at full size (website/bench/demos/run_bench.py)."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-results"
SYSTEMS = ["jaxlite-wasm", "numpy", "jax-js-wasm"]


@pytest.mark.slow  # a benchmark page: `make test-all` (keeps `make test` near 30 minutes)
def test_quick_run_fills_the_table(chromium, site_url):
    context = chromium.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{site_url}/bench/demos/?quick=1&systems={','.join(SYSTEMS)}")
        page.wait_for_function("window.benchResults || window.benchError", timeout=85_000)
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "bench-demos.png"), full_page=True)
        assert not page.evaluate("window.benchError || null"), page.evaluate("window.benchError")
        results = page.evaluate("window.benchResults")
        meta = results["meta"]
        assert meta["quick"] and meta["crossOriginIsolated"]
        assert list(results["systems"]) == SYSTEMS
        for name, r in results["systems"].items():
            d, m = r["digits"], r["mandelbrot"]
            assert 1 <= d["steps_per_s"] < 1e5, (name, d["steps_per_s"])
            assert d["steps_per_run"] >= 11 and len(d["runs_steps_per_s"]) == meta["runs"], (name, d)
            # the loss falls from about ln(10) as training goes on, like the demo's
            assert 1.0 < d["first_loss"] < 3.0 and d["last_loss"] < 0.8 * d["first_loss"], (name, d["loss_curve"])
            assert d["accuracy"] > 0.5, (name, d["accuracy"])
            assert 1e-4 < m["frame_s"] < 30 and len(m["runs_s"]) == meta["frames"], (name, m)
            assert m["pixels"] == meta["size"] ** 2 and m["reference"] == "numpy"
            assert m["differ"] == 0, (name, m)  # wasm and numpy round float32 alike: the same counts
            assert 0.1 * m["pixels"] < m["inside"] < 0.5 * m["pixels"], (name, m)
        cells = page.locator("#table td").all_inner_texts()
        assert len(cells) == 7 * (len(SYSTEMS) + 1) and "…" not in cells, cells
        assert not errors, errors
    finally:
        context.close()
