"""The semantic-search demo (/demos/search/) in headless Chromium: all-MiniLM-L6-v2 runs inside
Pyodide on the wasm device. The checkpoint comes through jaxlite.loaders.cached_fetch, the 300
sentences of corpus.json are embedded, a query finds a sentence of its topic, the page's embeddings
of fixed sentences equal tests/test_minilm.py's float64 numpy transcription of the model (computed
here in CPython), and a reload reads the weights back from the browser's storage.

This is where the full model runs in Pyodide: tests/test_minilm.py skips there, since the core
suite copies only tests/*.py into Pyodide and the 90 MB checkpoint is not mounted."""

import importlib.util
import json
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-results"
MODEL = ROOT / "build" / "fixtures" / "minilm"
BOOT_MS = 180_000
# Sentences that are not in the corpus: an accent, a long word split into pieces, a question.
FIXED = ["Grandma's crème brûlée recipe needs vanilla.", "Supercalifragilistic telescopes!", "Who won the match?"]


def float64_reference(sentences):
    """tests/test_minilm.py's numpy transcription of BertModel and sentence-transformers' pooling,
    in float64, one unpadded sentence at a time (token ids from the reference `tokenizers`)."""
    from safetensors.numpy import load_file
    tokenizers = pytest.importorskip("tokenizers")
    spec = importlib.util.spec_from_file_location("minilm_reference", ROOT / "tests" / "test_minilm.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tok = tokenizers.Tokenizer.from_file(str(MODEL / "tokenizer.json"))
    tok.no_padding()
    ids = [e.ids for e in tok.encode_batch(sentences)]
    params = load_file(str(MODEL / "model.safetensors"))
    return module._reference(params, json.loads((MODEL / "config.json").read_text()), ids)


@pytest.fixture(scope="module")
def search_page(chromium, site_url):
    if not (ROOT / "website/models/minilm/model.safetensors").exists():
        pytest.fail("website/models/minilm/ is missing: run `make setup`")
    context = chromium.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.goto(site_url + "/demos/search/")
    yield page
    context.close()


def wait_state(page, states, timeout=BOOT_MS):
    page.wait_for_function(f"{states!r}.includes(document.body.dataset.state)", timeout=timeout)
    state = page.evaluate("document.body.dataset.state")
    assert state != "error", page.inner_text("#error")
    return state


def timings(page):
    t = page.evaluate("demo.timings")
    return (f"worker ready at {t['boot'] / 1e3:.1f} s, weights at {t['weights'] / 1e3:.1f} s, "
            f"first batch {t['firstBatch'] / 1e3:.1f} s")


def test_search_page_embeds_the_corpus_on_wasm_and_matches_the_reference(search_page):
    page = search_page
    t0 = time.time()
    wait_state(page, ["ready", "error"])
    assert page.evaluate("crossOriginIsolated") is True
    assert page.inner_text("#backend") == "wasm"
    corpus = json.loads((ROOT / "website/demos/search/corpus.json").read_text())
    assert page.evaluate("demo.corpusSize") == sum(map(len, corpus.values())) == 300
    weights = page.evaluate("demo.weights")
    assert weights["from_cache"] is False and page.inner_text("#weights").startswith("downloaded")
    assert "def embed_corpus" in page.inner_text("#source")  # view source shows the example
    print(f"\n[search page, wasm, cold] weights downloaded in {weights['seconds']:.1f} s, first embedding "
          f"{page.evaluate('demo.firstEmbeddingMs') / 1e3:.1f} s after page load ({timings(page)}); corpus "
          f"in {page.evaluate('demo.corpusSeconds'):.1f} s, {page.evaluate('demo.rate'):.1f} sentences/s after the "
          f"first batch; ready after {time.time() - t0:.1f} s")

    # a query typed into the box: the nearest sentences are about cooking
    page.fill("#query", "What should I cook for dinner tonight?")
    page.press("#query", "Enter")
    page.wait_for_function("Number(document.body.dataset.queries || 0) >= 1", timeout=30_000)
    last = page.evaluate("demo.last")
    assert [h["topic"] for h in last["hits"][:3]] == ["cooking"] * 3, last["hits"]
    scores = [h["score"] for h in last["hits"]]
    assert len(scores) == 5 and scores == sorted(scores, reverse=True) and 0.2 < scores[0] <= 1.0
    assert page.locator("#results li").count() == 5
    assert last["hits"][0]["sentence"] in page.inner_text("#results")
    # an example button, another topic; a corpus sentence finds itself with cosine 1
    page.click("text=When is the next rocket launch?")
    page.wait_for_function("Number(document.body.dataset.queries || 0) >= 2", timeout=30_000)
    assert page.evaluate("demo.last.hits[0].topic") == "space"
    itself = page.evaluate("demo.search('Prune the roses in late winter.')")
    assert itself["hits"][0]["sentence"] == "Prune the roses in late winter." and itself["hits"][0]["score"] > 0.9999
    print(f"[search page, wasm] query latency {last['ms']:.0f} ms, then {itself['ms']:.0f} ms")

    ours = np.asarray(page.evaluate("(s) => demo.embed(s)", FIXED), np.float64)
    ref = float64_reference(FIXED)
    assert ours.shape == (3, 384)
    cosine = np.sum(ours * ref, axis=1) / np.linalg.norm(ours, axis=1)
    assert cosine.min() >= 0.9999, cosine
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "demo-search.png"))
    assert not page.errors, page.errors


def test_reload_reads_the_weights_from_the_cache(search_page):
    page = search_page
    page.reload()
    wait_state(page, ["embedding", "ready", "error"])
    weights = page.evaluate("demo.weights")
    assert weights["from_cache"] is True, weights
    assert page.inner_text("#weights").startswith("from cache")
    print(f"\n[search page, wasm, cached] weights read back in {weights['seconds']:.1f} s")
    assert not page.errors, page.errors


@pytest.mark.slow
def test_benchmark_numbers(search_page):
    """Prints time to first embedding (weights cached), corpus sentences/s and query latency on wasm,
    and the first batch on WebGPU (SwiftShader here, a CPU running the GPU's commands: minutes a
    batch, too slow for the whole corpus); asserts only correctness."""
    page = search_page
    results = {}
    wait_state(page, ["ready", "error"])
    for name, expression in [("first embedding after page load, weights cached (s)", "demo.firstEmbeddingMs / 1e3"),
                             ("of which booting the worker (s)", "demo.timings.boot / 1e3"),
                             ("first batch of 32, compiling (s)", "demo.timings.firstBatch / 1e3"),
                             ("corpus sentences/s after the first batch", "demo.rate"),
                             ("whole corpus (s)", "demo.corpusSeconds")]:
        results[f"wasm: {name}"] = page.evaluate(expression)
    latencies = [page.evaluate(f"demo.search({q!r})")["ms"]
                 for q in ("How do I make a good pizza?", "Will it snow this weekend?", "My program keeps crashing")]
    assert page.evaluate("demo.last.hits[0].topic") == "programming"
    results["wasm: query latency, median of 3 (ms)"] = sorted(latencies)[1]

    page.select_option("#device", "webgpu")
    page.wait_for_function("document.body.dataset.state === 'loading'", timeout=10_000)
    wait_state(page, ["embedding", "error"])
    assert page.inner_text("#backend") == "webgpu" and page.evaluate("demo.weights.from_cache") is True
    page.wait_for_function("demo.firstEmbeddingMs !== null || document.body.dataset.state === 'error'",
                           timeout=600_000)
    wait_state(page, ["embedding", "ready", "error"])
    results["webgpu: first embedding after the switch (s)"] = page.evaluate("demo.firstEmbeddingMs") / 1e3
    results["webgpu: of which booting the worker (s)"] = page.evaluate("demo.timings.boot") / 1e3
    results["webgpu: first batch of 32, compiling (s)"] = page.evaluate("demo.timings.firstBatch") / 1e3
    print()
    for name, value in results.items():
        print(f"[bench] {name}: {value:.4g}")
    assert not page.errors, page.errors
