"""The jaxlite side of the MiniLM benchmark page (website/bench/minilm/): the encoder loaded as the
semantic search example loads it (examples/semantic_search.py: cached_fetch, so a reload reads the
checkpoint from the browser's storage), the benchmark's token ids, and timed runs per device.
onnxruntime-web runs the same ids in minilm.js. Runs in CPython too (`python minilm.py`), on the
files of build/fixtures/minilm."""

from __future__ import annotations

import itertools
import statistics
import sys
import time
from pathlib import Path

import numpy as np

if __name__ == "__main__":  # in CPython the example is read from the repository
    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "examples"))

import jaxlite as jax
from jaxlite.models import SentenceEncoder
from semantic_search import load_encoder, token_ids

SEQ = 128
FIRST = "The quick brown fox jumps over the lazy dog."
# Rows of the timed batches: windows of 126 tokens over this text, so that every position holds a
# real token (the mask is all ones) and the rows differ.
TEXT = [
    "Semantic search ranks documents by the meaning of a query rather than by its exact words.",
    "A sentence encoder maps each sentence to a vector, and similar sentences land close together.",
    "The model has six transformer layers, twelve attention heads and a hidden width of 384.",
    "Mean pooling averages the token vectors over the attention mask before normalisation.",
    "WebAssembly runs compiled kernels at near-native speed inside every modern browser.",
    "WebGPU exposes compute shaders, so the same page can use the graphics card for matrix products.",
    "Tracing turns a Python function into a program that a compiler can fuse into few kernels.",
    "A man is eating food while a woman plays the violin and two children ride their bicycles.",
    "The girl carried a baby across the street, past the bakery that sells fresh bread every morning.",
    "Mountains, rivers and forests cover most of the northern part of the country.",
]

encoders: dict = {}  # device name -> SentenceEncoder with its parameters committed there


async def first_embedding(base: str) -> dict:
    """Load the checkpoint and the tokenizer, embed FIRST on the default device (what a page does
    to show its first result). Also says whether the 90 MB checkpoint came from the cache: a hit is
    reported in one progress call, a download in one per chunk."""
    calls = []
    encoder = await load_encoder(base, lambda name, done, total: calls.append(name))
    embedding = np.asarray(encoder.embed(token_ids(encoder, [FIRST])))
    encoders[jax.default_backend()] = encoder
    return {"embedding": embedding[0].tolist(), "ids": token_ids(encoder, [FIRST])[0],
            "cached": calls.count("model.safetensors") == 1, "device": jax.default_backend()}


def batch_ids(batch: int) -> np.ndarray:
    """(batch, SEQ) int32 token ids: [CLS], 126 tokens of TEXT from a row's own offset, [SEP]."""
    tok = next(iter(encoders.values())).tokenizer
    stream = [t for s in TEXT for t in tok.encode(s, add_special_tokens=False, return_attention_mask=True)[0] if t]
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    rows = []
    for r in range(batch):
        body = list(itertools.islice(itertools.cycle(stream), 37 * r, 37 * r + SEQ - 2))
        rows.append([cls] + body + [sep])
    return np.asarray(rows, np.int32)


def encoder_on(device: str) -> SentenceEncoder:
    if device not in encoders:
        base = next(iter(encoders.values()))
        params = {k: jax.device_put(v, device) for k, v in base.params.items()}
        encoders[device] = SentenceEncoder(params, base.config, base.max_length)
    return encoders[device]


def run(device: str, batch: int, runs: int, warmup: int) -> dict:
    """Median seconds of `runs` timed calls after `warmup` calls (the first one compiles), each
    reading the embeddings back; the first call's time; the embeddings."""
    encoder, ids = encoder_on(device), batch_ids(batch)
    rows = [list(r) for r in ids]
    t0 = time.perf_counter()
    out = np.asarray(encoder.embed(rows))
    first = time.perf_counter() - t0
    for _ in range(warmup - 1):
        np.asarray(encoder.embed(rows))
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = np.asarray(encoder.embed(rows))
        times.append(time.perf_counter() - t0)
    return {"median": statistics.median(times), "times": times, "first": first, "embeddings": out.tolist()}


if __name__ == "__main__":
    import asyncio
    import json
    first = asyncio.run(first_embedding(str(Path(__file__).resolve().parents[3] / "build" / "fixtures" / "minilm") + "/"))
    if sys.argv[1:2] == ["--ids"]:  # the inputs of ort_node.mjs, with jaxlite's embeddings to compare with
        batches = {str(b): {"ids": batch_ids(b).tolist(), "embeddings": run(jax.default_backend(), b, 1, 1)["embeddings"]}
                   for b in (1, 32)}
        Path(sys.argv[2]).write_text(json.dumps({"first": first, **batches}))
    else:
        r = run(jax.default_backend(), 1, 3, 1)
        print(f"batch 1: {r['median'] * 1e3:.1f} ms (first call {r['first'] * 1e3:.0f} ms)")
