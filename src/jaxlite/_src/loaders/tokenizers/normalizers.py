"""Normalizers of tokenizer.json: each a function str -> str, built by `build(spec)`."""

from __future__ import annotations

import re
import unicodedata

from jaxlite._src.loaders.tokenizers.unicode import WHITESPACE, bert_patterns, compile_pattern, is_mark


def _strip_accents(text: str) -> str:
    """Drops combining marks; the Rust StripAccents expects decomposed text (NFD) already."""
    return "".join(c for c in text if not is_mark(c))


def lowercase(text: str) -> str:
    """Per character, as the Rust library lowercases: no final-sigma rule (Python's str.lower
    writes a word-final capital sigma as 'ς')."""
    return text.lower() if "\u03a3" not in text else "".join(c.lower() for c in text)


def bert(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True):
    if strip_accents is None:
        strip_accents = lowercase
    rx = bert_patterns()
    spaces = re.compile("[" + re.escape("".join(sorted(WHITESPACE - {" "}))) + "]")
    lower = globals()["lowercase"]

    def normalize(text: str) -> str:
        if clean_text:
            text = spaces.sub(" ", rx["control"].sub("", text))
        if handle_chinese_chars:
            text = rx["chinese"].sub(r" \g<0> ", text)
        if strip_accents:
            text = rx["nonspacing"].sub("", unicodedata.normalize("NFD", text))
        return lower(text) if lowercase else text
    return normalize


def _pattern(spec) -> re.Pattern:
    if "Regex" in spec:
        return compile_pattern(spec["Regex"])
    return re.compile(re.escape(spec["String"]))


def replace(pattern, content):
    rx = _pattern(pattern)
    return lambda text: rx.sub(lambda _: content, text)


def sequence(normalizers):
    fns = [build(n) for n in normalizers]

    def normalize(text):
        for f in fns:
            text = f(text)
        return text
    return normalize


def strip(strip_left=True, strip_right=True):
    ws = "".join(WHITESPACE)
    return lambda t: t.lstrip(ws).rstrip(ws) if strip_left and strip_right else (
        t.lstrip(ws) if strip_left else t.rstrip(ws) if strip_right else t)


_BUILDERS = {
    "BertNormalizer": bert,
    "Lowercase": lambda: lowercase,
    "StripAccents": lambda: _strip_accents,
    "NFC": lambda: lambda t: unicodedata.normalize("NFC", t),
    "NFD": lambda: lambda t: unicodedata.normalize("NFD", t),
    "NFKC": lambda: lambda t: unicodedata.normalize("NFKC", t),
    "NFKD": lambda: lambda t: unicodedata.normalize("NFKD", t),
    "Replace": replace,
    "Sequence": sequence,
    "Strip": strip,
    "Prepend": lambda prepend: lambda t: prepend + t if t else t,
}


def build(spec):
    """The normalizer for a tokenizer.json spec (None: identity)."""
    if spec is None:
        return None
    kind = spec.get("type")
    if kind not in _BUILDERS:
        raise ValueError(f"unsupported normalizer {kind!r} in tokenizer.json")
    return _BUILDERS[kind](**{k: v for k, v in spec.items() if k != "type"})
