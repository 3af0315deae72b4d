"""The MiniLM benchmark page (website/bench/minilm/) in headless Chromium: jaxlite's wasm device and
onnxruntime-web's wasm provider both embed a batch of one 128-token sentence, their embeddings
agree, every request stays on the site (onnxruntime-web's wasm files are served locally), and the
console shows no error. The quick test stops after the first embeddings (`first=only`: a short
sentence, batch 1); the slow one also runs the timed batch-1 loop of both systems at 128 tokens."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-results"
QUERY = "systems=jaxlite-wasm,ort-wasm&batches=1&runs=1"


def open_page(chromium, site_url, query):
    """window.minilmResults of the page with this query, after checking errors and requests."""
    for need in ("website/models/minilm/model.onnx", "website/vendor/onnxruntime-web/ort.webgpu.min.mjs",
                 "website/models/minilm/model.safetensors"):
        if not (ROOT / need).exists():
            pytest.fail(f"{need} is missing: run `make setup`")
    context = chromium.new_context()
    page = context.new_page()
    errors, foreign = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith((site_url, "data:", "blob:")) else None)
    try:
        page.goto(f"{site_url}/bench/minilm/?{query}")
        page.wait_for_function("window.minilmResults || window.minilmError", timeout=150_000)
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "bench_minilm.png"), full_page=True)
        assert page.evaluate("window.minilmError || null") is None
        results = page.evaluate("window.minilmResults")
    finally:
        context.close()
    assert errors == []
    assert foreign == []
    assert results["meta"]["threads"] == results["meta"]["jaxliteThreads"] >= 1
    first = results["first"]
    assert first["cosine"] >= 0.999 and first["jaxlite"]["seconds"] > 0 and first["ort"]["seconds"] > 0
    return results


@pytest.mark.slow  # a benchmark page: `make test-all` (keeps `make test` near 30 minutes)
def test_first_embeddings_agree(chromium, site_url):
    results = open_page(chromium, site_url, "first=only&" + QUERY)
    assert results["systems"] == {}


@pytest.mark.slow
def test_timed_batch_of_one_agrees(chromium, site_url):
    results = open_page(chromium, site_url, QUERY)
    ours, theirs = results["systems"]["jaxlite-wasm"]["1"], results["systems"]["ort-wasm"]["1"]
    assert results["reference"] == "jaxlite-wasm"
    assert theirs["cosine"] >= 0.999 and ours["cosine"] > 0.99999
    assert ours["median"] > 0 and theirs["median"] > 0 and len(ours["times"]) == len(theirs["times"]) == 1
