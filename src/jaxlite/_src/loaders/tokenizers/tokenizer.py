"""`Tokenizer`: the pipeline of a Hugging Face `tokenizer.json` in pure Python.

text -> split out added tokens -> normalizer -> pre-tokenizer -> model (BPE or WordPiece)
-> post-processor (special tokens) -> truncation and padding, as the Rust `tokenizers` library
runs it, so the ids are the same. Only single sequences are encoded (no sentence pairs).
"""

from __future__ import annotations

import json
import os
import re

from jaxlite._src.loaders.tokenizers import decoders, models, normalizers, pre_tokenizers
from jaxlite._src.loaders.tokenizers.unicode import WHITESPACE


def _read(source) -> str:
    if hasattr(source, "read"):
        data = source.read()
    else:
        with open(source, "rb") as f:
            data = f.read()
    return data.decode("utf-8") if isinstance(data, bytes) else data


class _AddedTokens:
    """Added (mostly special) tokens are cut out of the text before the model sees it: those
    marked `normalized: false` from the raw text, the others from the normalized text."""

    def __init__(self, specs: list[dict]):
        self.ids = {t["content"]: t["id"] for t in specs}
        self.special = {t["id"] for t in specs if t.get("special")}
        self.raw = self._pattern([t for t in specs if not t.get("normalized", not t.get("special"))])
        self.normalized = self._pattern([t for t in specs if t.get("normalized", not t.get("special"))])

    @staticmethod
    def _pattern(specs):
        if not specs:
            return None
        ws = "[" + re.escape("".join(sorted(WHITESPACE))) + "]*"
        alts = []
        # Longest first: at one position the longest token wins (the Rust library's leftmost-longest).
        for t in sorted(specs, key=lambda t: -len(t["content"])):
            body = re.escape(t["content"])
            if t.get("single_word"):
                body = rf"(?<!\w){body}(?!\w)"
            alts.append((ws if t.get("lstrip") else "") + f"({body})" + (ws if t.get("rstrip") else ""))
        return re.compile("|".join(alts))

    def split(self, text: str, rx) -> list[tuple[str, int | None]]:
        """(piece, id) pairs: id is the added token's id, or None for text still to tokenize."""
        if rx is None:
            return [(text, None)] if text else []
        out, prev = [], 0
        for m in rx.finditer(text):
            if m.start() > prev:
                out.append((text[prev:m.start()], None))
            content = next(g for g in m.groups() if g is not None)
            out.append((content, self.ids[content]))
            prev = m.end()
        if prev < len(text):
            out.append((text[prev:], None))
        return out


class Tokenizer:
    """A tokenizer.json pipeline: `encode(text) -> ids`, `encode_batch`, `decode`.

    Load with `Tokenizer.from_file("tokenizer.json")`, `from_str`, `from_dict`, or from the older
    files with `from_vocab_txt` (BERT WordPiece) and `from_bpe_files` (vocab.json + merges.txt,
    GPT-2 or CLIP flavour).
    """

    def __init__(self, spec: dict):
        self.spec = spec
        model_spec = dict(spec["model"])
        self.model = models.build(model_spec)
        self.vocab: dict[str, int] = dict(model_spec["vocab"])
        added = spec.get("added_tokens") or []
        for t in added:
            self.vocab.setdefault(t["content"], t["id"])
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        self.id_to_token.update({t["id"]: t["content"] for t in added})
        self.added = _AddedTokens(added)
        self.normalizer = normalizers.build(spec.get("normalizer"))
        self.pre_tokenizer = pre_tokenizers.build(spec.get("pre_tokenizer"))
        self.decoder = decoders.build(spec.get("decoder"))
        self._template = self._post_processor(spec.get("post_processor"))
        self.truncation = spec.get("truncation")
        self.padding = spec.get("padding")

    # ---- loading ---------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, spec: dict) -> Tokenizer:
        return cls(spec)

    @classmethod
    def from_str(cls, text: str) -> Tokenizer:
        return cls(json.loads(text))

    @classmethod
    def from_file(cls, source) -> Tokenizer:
        """From a tokenizer.json path or file object."""
        return cls.from_str(_read(source))

    @classmethod
    def from_vocab_txt(cls, source, lowercase: bool = True, strip_accents=None, handle_chinese_chars=True,
                       unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]") -> Tokenizer:
        """BERT's WordPiece from a vocab.txt (one token a line), set up as the reference
        `BertWordPieceTokenizer`."""
        vocab = {line.rstrip(): i for i, line in enumerate(_read(source).splitlines())}
        specials = [t for t in ("[PAD]", unk_token, cls_token, sep_token, "[MASK]") if t in vocab]
        return cls({
            "added_tokens": [{"id": vocab[t], "content": t, "special": True, "normalized": False}
                             for t in specials],
            "normalizer": {"type": "BertNormalizer", "clean_text": True, "lowercase": lowercase,
                           "handle_chinese_chars": handle_chinese_chars, "strip_accents": strip_accents},
            "pre_tokenizer": {"type": "BertPreTokenizer"},
            "model": {"type": "WordPiece", "vocab": vocab, "unk_token": unk_token},
            "post_processor": {"type": "BertProcessing", "sep": [sep_token, vocab[sep_token]],
                               "cls": [cls_token, vocab[cls_token]]},
            "decoder": {"type": "WordPiece", "prefix": "##"},
        })

    @classmethod
    def from_bpe_files(cls, vocab_json, merges_txt, flavour: str = "gpt2") -> Tokenizer:
        """Byte-level BPE from vocab.json and merges.txt. `flavour="gpt2"` is GPT-2's pipeline
        (the reference `ByteLevelBPETokenizer`); `"clip"` is CLIP's (NFC, collapsed whitespace,
        lowercase, words ending in `</w>`, `<|startoftext|>`/`<|endoftext|>` around each text)."""
        vocab = json.loads(_read(vocab_json))
        merges = [line for line in _read(merges_txt).splitlines()
                  if line and not line.startswith("#version")]
        if flavour == "gpt2":
            return cls({
                "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True},
                "model": {"type": "BPE", "vocab": vocab, "merges": merges},
                "decoder": {"type": "ByteLevel"},
            })
        if flavour == "clip":
            bos, eos = "<|startoftext|>", "<|endoftext|>"
            return cls({
                "added_tokens": [{"id": vocab[t], "content": t, "special": True, "normalized": False}
                                 for t in (bos, eos)],
                "normalizer": {"type": "Sequence", "normalizers": [
                    {"type": "NFC"}, {"type": "Replace", "pattern": {"Regex": r"\s+"}, "content": " "},
                    {"type": "Lowercase"}]},
                "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                    {"type": "Split", "pattern": {"Regex": CLIP_PATTERN}, "behavior": "Removed", "invert": True},
                    {"type": "ByteLevel", "add_prefix_space": False, "use_regex": False}]},
                "model": {"type": "BPE", "vocab": vocab, "merges": merges, "unk_token": eos,
                          "end_of_word_suffix": "</w>", "continuing_subword_prefix": ""},
                "post_processor": {"type": "RobertaProcessing", "sep": [eos, vocab[eos]], "cls": [bos, vocab[bos]]},
                "decoder": {"type": "Sequence", "decoders": [{"type": "BPEDecoder", "suffix": "</w>"}]},
            })
        raise ValueError(f"unknown BPE flavour {flavour!r}: 'gpt2' or 'clip'")

    # ---- post-processing -------------------------------------------------------------------

    def _post_processor(self, spec):
        """(ids before, ids after) the sequence for a single text, or None."""
        if spec is None:
            return None
        kind = spec.get("type")
        if kind in ("BertProcessing", "RobertaProcessing"):
            return [spec["cls"][1]], [spec["sep"][1]]
        if kind == "TemplateProcessing":
            before, after, seen = [], [], False
            for piece in spec["single"]:
                if "Sequence" in piece:
                    seen = True
                    continue
                ids = spec["special_tokens"][piece["SpecialToken"]["id"]]["ids"]
                (after if seen else before).extend(ids)
            return before, after
        if kind == "ByteLevel":
            return None
        if kind == "Sequence":
            before, after = [], []
            for p in spec["processors"]:
                got = self._post_processor(p)
                if got:
                    before, after = before + got[0], got[1] + after
            return before, after
        raise ValueError(f"unsupported post-processor {kind!r} in tokenizer.json")

    # ---- encoding --------------------------------------------------------------------------

    def _tokenize(self, text: str) -> list[int]:
        ids: list[int] = []
        for piece, tid in self.added.split(text, self.added.raw):
            if tid is not None:
                ids.append(tid)
                continue
            if self.normalizer is not None:
                piece = self.normalizer(piece)
            for sub, sid in self.added.split(piece, self.added.normalized):
                if sid is not None:
                    ids.append(sid)
                    continue
                words = self.pre_tokenizer([sub]) if self.pre_tokenizer is not None else [sub]
                tokenize = self.model.tokenize
                for word in words:
                    ids.extend(tokenize(word))
        return ids

    def _finish(self, ids: list[int], add_special_tokens: bool) -> list[int]:
        before, after = self._template if (add_special_tokens and self._template) else ([], [])
        if self.truncation:
            limit = max(self.truncation["max_length"] - len(before) - len(after), 0)
            if len(ids) > limit:
                ids = ids[len(ids) - limit:] if self.truncation.get("direction") == "Left" else ids[:limit]
        return before + ids + after

    def _pad(self, batch: list[list[int]]) -> tuple[list[list[int]], list[list[int]]]:
        masks = [[1] * len(ids) for ids in batch]
        if not self.padding or not batch:
            return batch, masks
        strategy = self.padding.get("strategy", "BatchLongest")
        target = strategy["Fixed"] if isinstance(strategy, dict) else max(map(len, batch))
        multiple = self.padding.get("pad_to_multiple_of")
        if multiple:
            target = -(-target // multiple) * multiple
        pad, left = self.padding.get("pad_id", 0), self.padding.get("direction") == "Left"
        out, out_masks = [], []
        for ids, mask in zip(batch, masks):
            n = max(target - len(ids), 0)
            out.append([pad] * n + ids if left else ids + [pad] * n)
            out_masks.append([0] * n + mask if left else mask + [0] * n)
        return out, out_masks

    def encode(self, text: str, add_special_tokens: bool = True, return_attention_mask: bool = False):
        """The ids of `text` (truncated and padded as the tokenizer.json asks), and with
        `return_attention_mask` also the mask (1 for tokens, 0 for padding)."""
        ids, masks = self._pad([self._finish(self._tokenize(text), add_special_tokens)])
        return (ids[0], masks[0]) if return_attention_mask else ids[0]

    def encode_batch(self, texts, add_special_tokens: bool = True, return_attention_mask: bool = False):
        ids, masks = self._pad([self._finish(self._tokenize(t), add_special_tokens) for t in texts])
        return (ids, masks) if return_attention_mask else ids

    def decode(self, ids, skip_special_tokens: bool = True) -> str:
        tokens = [self.id_to_token[int(i)] for i in ids
                  if not (skip_special_tokens and int(i) in self.added.special) and int(i) in self.id_to_token]
        if self.decoder is None:
            return " ".join(tokens)
        return "".join(self.decoder(tokens))

    def decode_batch(self, batch, skip_special_tokens: bool = True) -> list[str]:
        return [self.decode(ids, skip_special_tokens) for ids in batch]

    def token_to_id(self, token: str) -> int | None:
        return self.vocab.get(token)

    def get_vocab_size(self) -> int:
        return len(self.id_to_token)

    def __repr__(self):
        return f"Tokenizer({self.spec['model'].get('type', '?')}, vocab={self.get_vocab_size()})"


CLIP_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"


def load_tokenizer(path) -> Tokenizer:
    """A tokenizer from a tokenizer.json file, or from a folder holding tokenizer.json, vocab.txt
    or vocab.json + merges.txt."""
    if os.path.isdir(path):
        for names, make in ((("tokenizer.json",), Tokenizer.from_file),
                            (("vocab.json", "merges.txt"), Tokenizer.from_bpe_files),
                            (("vocab.txt",), Tokenizer.from_vocab_txt)):
            files = [os.path.join(path, n) for n in names]
            if all(map(os.path.exists, files)):
                return make(*files)
        raise FileNotFoundError(f"no tokenizer.json, vocab.json + merges.txt or vocab.txt in {path}")
    return Tokenizer.from_file(path)
