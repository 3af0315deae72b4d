"""Pre-tokenizers of tokenizer.json: each maps a list of text pieces to a finer list, built by
`build(spec)`. Splitting follows the Rust library's `SplitDelimiterBehavior` exactly, since the
pieces decide the ids."""

from __future__ import annotations

import re
import unicodedata

from jaxlite._src.loaders.tokenizers.unicode import (WHITESPACE, bert_patterns, bytes_to_unicode,
                                                      compile_pattern, is_punctuation)

GPT2_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"


def split_spans(text: str, spans: list[tuple[int, int, bool]], behavior: str) -> list[str]:
    """Pieces of `text` from a cover of (start, end, is_delimiter) spans under a split behaviour."""
    if behavior == "Removed":
        return [text[a:b] for a, b, m in spans if not m and b > a]
    if behavior == "Isolated":
        return [text[a:b] for a, b, _ in spans if b > a]
    out: list[list[int]] = []
    if behavior == "Contiguous":
        prev = False
        for a, b, m in spans:
            if m == prev and out:
                out[-1][1] = b
            else:
                out.append([a, b])
            prev = m
    elif behavior == "MergedWithPrevious":
        prev = False
        for a, b, m in spans:
            if m and not prev and out:
                out[-1][1] = b
            else:
                out.append([a, b])
            prev = m
    elif behavior == "MergedWithNext":
        prev = False
        for a, b, m in reversed(spans):
            if m and not prev and out:
                out[-1][0] = a
            else:
                out.append([a, b])
            prev = m
        out.reverse()
    else:
        raise ValueError(f"unknown split behavior {behavior!r} in tokenizer.json")
    return [text[a:b] for a, b in out if b > a]


def regex_spans(rx: re.Pattern, text: str, invert: bool = False) -> list[tuple[int, int, bool]]:
    spans, prev = [], 0
    for m in rx.finditer(text):
        a, b = m.span()
        if a > prev:
            spans.append((prev, a, invert))
        spans.append((a, b, not invert))
        prev = b
    if prev < len(text):
        spans.append((prev, len(text), invert))
    return spans


def char_spans(text: str, is_delim) -> list[tuple[int, int, bool]]:
    spans, start = [], 0
    for i, c in enumerate(text):
        if is_delim(c):
            if i > start:
                spans.append((start, i, False))
            spans.append((i, i + 1, True))
            start = i + 1
    if start < len(text):
        spans.append((start, len(text), False))
    return spans


def _per_piece(fn):
    return lambda pieces: [out for piece in pieces for out in fn(piece)]


def byte_level(add_prefix_space=True, use_regex=True, trim_offsets=True):
    rx = compile_pattern(GPT2_PATTERN) if use_regex else None
    table = bytes_to_unicode()
    # str.translate over latin-1 text maps each byte to its printable stand-in in one C call.
    byte_map = {b: table[b] for b in range(256)}

    def split(piece):
        if add_prefix_space and not piece.startswith(" "):
            piece = " " + piece
        parts = rx.findall(piece) if rx is not None else [piece]
        # The GPT-2 pattern matches every character, so findall is the Isolated split.
        return [p.encode("utf-8").decode("latin-1").translate(byte_map) for p in parts if p]
    return _per_piece(split)


def split(pattern, behavior, invert=False):
    rx = compile_pattern(pattern["Regex"]) if "Regex" in pattern else re.compile(re.escape(pattern["String"]))
    if behavior == "Removed" and rx.groups == 0:
        # The common cases in one C call: keep the matches (CLIP's pattern) or the gaps.
        if invert:
            return _per_piece(lambda piece: [m for m in rx.findall(piece) if m])
        return _per_piece(lambda piece: [m for m in rx.split(piece) if m])
    return _per_piece(lambda piece: split_spans(piece, regex_spans(rx, piece, invert), behavior))


def _whitespace_split(piece):
    return split_spans(piece, char_spans(piece, WHITESPACE.__contains__), "Removed")


def bert():
    # Split on whitespace (removed), then each punctuation mark on its own: one findall.
    return _per_piece(bert_patterns()["words"].findall)


def punctuation(behavior="Isolated"):
    return _per_piece(lambda p: split_spans(p, char_spans(p, is_punctuation), behavior))


def digits(individual_digits=False):
    def is_digit(c):
        return unicodedata.category(c)[0] == "N"
    behavior = "Isolated" if individual_digits else "Contiguous"
    return _per_piece(lambda p: split_spans(p, char_spans(p, is_digit), behavior))


def whitespace():
    rx = compile_pattern(r"\w+|[^\w\s]+")
    return _per_piece(lambda p: split_spans(p, regex_spans(rx, p, invert=True), "Removed"))


def sequence(pretokenizers):
    fns = [build(p) for p in pretokenizers]

    def run(pieces):
        for f in fns:
            pieces = f(pieces)
        return pieces
    return run


_BUILDERS = {
    "ByteLevel": byte_level, "Split": split, "BertPreTokenizer": bert, "Punctuation": punctuation,
    "Digits": digits, "Whitespace": whitespace, "WhitespaceSplit": lambda: _per_piece(_whitespace_split),
    "Sequence": sequence,
}


def build(spec):
    """The pre-tokenizer for a tokenizer.json spec (None: the text is one piece)."""
    if spec is None:
        return None
    kind = spec.get("type")
    if kind not in _BUILDERS:
        raise ValueError(f"unsupported pre-tokenizer {kind!r} in tokenizer.json")
    return _BUILDERS[kind](**{k: v for k, v in spec.items() if k != "type"})
