"""A BERT encoder for sentence embeddings (sentence-transformers' all-MiniLM-L6-v2 and its kin), in
plain jaxlite: embeddings, post-norm transformer layers with exact-erf GELU, mean pooling over the
attention mask, L2 normalisation.

Parameters are the checkpoint's own tensors under their Hugging Face names (a dict name -> array,
as a safetensors file holds them), so no conversion step stands between the file and the model.
Inputs are padded to a few bucket shapes, so a new batch size or sentence length reuses a compiled
kernel plan instead of tracing and compiling again."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

import jaxlite.numpy as jnp
from jaxlite._src.jit import jit
from jaxlite._src.nn.functions import gelu, softmax


@dataclasses.dataclass(frozen=True)
class BertConfig:
    vocab_size: int = 30522
    hidden_size: int = 384
    num_hidden_layers: int = 6
    num_attention_heads: int = 12
    intermediate_size: int = 1536
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12

    @classmethod
    def from_dict(cls, config: dict) -> "BertConfig":
        if config.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"only hidden_act='gelu' (exact erf) is implemented, got {config['hidden_act']!r}")
        if config.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError("only absolute position embeddings are implemented")
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in config.items() if k in names})


def _layer_norm(x, p, prefix, eps):
    mean = jnp.mean(x, axis=-1, keepdims=True)
    var = jnp.mean(jnp.square(x - mean), axis=-1, keepdims=True)
    return (x - mean) / jnp.sqrt(var + eps) * p[prefix + ".weight"] + p[prefix + ".bias"]


def _dense(x, p, prefix):
    # torch's Linear stores (out, in); contracting on its last axis avoids a transposed copy.
    return jnp.einsum("...i,oi->...o", x, p[prefix + ".weight"]) + p[prefix + ".bias"]


def _attention(x, mask_bias, p, prefix, heads):
    batch, length, width = x.shape
    def split(t):
        return t.reshape(batch, length, heads, width // heads).transpose(0, 2, 1, 3)
    q = split(_dense(x, p, prefix + ".self.query"))
    k = split(_dense(x, p, prefix + ".self.key"))
    v = split(_dense(x, p, prefix + ".self.value"))
    scores = jnp.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(width // heads) + mask_bias
    context = jnp.einsum("bhqk,bhkd->bhqd", softmax(scores, axis=-1), v)
    return _dense(context.transpose(0, 2, 1, 3).reshape(batch, length, width), p, prefix + ".output.dense")


def encode_tokens(params: dict, config: BertConfig, input_ids, attention_mask, token_type_ids=None):
    """Last hidden states (batch, length, hidden) for padded token ids; padding is where mask is 0."""
    p, eps = params, config.layer_norm_eps
    batch, length = input_ids.shape
    if token_type_ids is None:
        token_type_ids = jnp.zeros_like(input_ids)
    x = (jnp.take(p["embeddings.word_embeddings.weight"], input_ids, axis=0)
         + p["embeddings.position_embeddings.weight"][:length]
         + jnp.take(p["embeddings.token_type_embeddings.weight"], token_type_ids, axis=0))
    x = _layer_norm(x, p, "embeddings.LayerNorm", eps)
    # Padded keys get a large negative bias (finite, so a row of padding never produces NaN).
    mask_bias = jnp.where(attention_mask[:, None, None, :] > 0, 0.0, -1e9).astype(x.dtype)
    for i in range(config.num_hidden_layers):
        layer = f"encoder.layer.{i}"
        attended = _attention(x, mask_bias, p, layer + ".attention", config.num_attention_heads)
        x = _layer_norm(x + attended, p, layer + ".attention.output.LayerNorm", eps)
        hidden = gelu(_dense(x, p, layer + ".intermediate.dense"), approximate=False)
        x = _layer_norm(x + _dense(hidden, p, layer + ".output.dense"), p, layer + ".output.LayerNorm", eps)
    return x


def mean_pool_normalize(hidden, attention_mask):
    """sentence-transformers' mean pooling over real tokens, then unit length."""
    mask = attention_mask[:, :, None].astype(hidden.dtype)
    pooled = jnp.sum(hidden * mask, axis=1) / jnp.maximum(jnp.sum(mask, axis=1), 1e-9)
    return pooled / jnp.maximum(jnp.linalg.norm(pooled, axis=-1, keepdims=True), 1e-12)


def _bucket(n: int, smallest: int) -> int:
    size = smallest
    while size < n:
        size *= 2
    return size


class SentenceEncoder:
    """Token ids in, unit-length sentence embeddings out, one compiled plan per (batch, length) bucket.

    encoder = SentenceEncoder(params, config)
    embeddings = encoder.embed(list_of_token_id_lists)   # (len(list), hidden) float32
    encoder = SentenceEncoder.from_pretrained("all-MiniLM-L6-v2/")
    embeddings = encoder.encode(["A sentence.", "Another one."])
    """

    tokenizer = None

    def __init__(self, params: dict, config: BertConfig | dict | None = None, max_length: int = 128):
        self.config = config if isinstance(config, BertConfig) else BertConfig.from_dict(config or {})
        self.params = {k: jnp.asarray(v) for k, v in params.items() if k != "embeddings.position_ids"}
        self.max_length = min(max_length, self.config.max_position_embeddings)
        cfg = self.config
        self._forward = jit(lambda p, ids, mask: mean_pool_normalize(encode_tokens(p, cfg, ids, mask), mask))

    @classmethod
    def from_pretrained(cls, folder, max_length: int = 128) -> "SentenceEncoder":
        """From a sentence-transformers folder: config.json, model.safetensors and tokenizer.json
        (or vocab.txt), read with jaxlite.loaders."""
        import json
        import os

        from jaxlite._src.loaders.safetensors import load_file
        from jaxlite._src.loaders.tokenizers import load_tokenizer
        with open(os.path.join(folder, "config.json")) as f:
            config = json.load(f)
        encoder = cls(load_file(os.path.join(folder, "model.safetensors")), config, max_length)
        encoder.tokenizer = load_tokenizer(folder)
        return encoder

    def encode(self, sentences: list[str]):
        """Unit-length embeddings of sentences (needs the tokenizer from from_pretrained)."""
        if getattr(self, "tokenizer", None) is None:
            raise ValueError("encode needs a tokenizer: build the encoder with from_pretrained, or call embed")
        ids, masks = self.tokenizer.encode_batch(list(sentences), return_attention_mask=True)
        return self.embed([row[: sum(mask)] for row, mask in zip(ids, masks)])

    def pad(self, token_ids: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Ids and mask padded to the bucket shape; sentences longer than max_length are cut."""
        if not token_ids:
            raise ValueError("embed needs at least one sentence")
        ids = [list(t)[: self.max_length] for t in token_ids]
        length = min(_bucket(max(len(t) for t in ids), 16), self.max_length)
        batch = _bucket(len(ids), 1)
        out = np.zeros((batch, length), np.int32)
        mask = np.zeros((batch, length), np.int32)
        for row, t in enumerate(ids):
            out[row, : len(t)] = t
            mask[row, : len(t)] = 1
        return out, mask

    def embed(self, token_ids: list[list[int]]):
        ids, mask = self.pad(token_ids)
        return self._forward(self.params, ids, mask)[: len(token_ids)]
