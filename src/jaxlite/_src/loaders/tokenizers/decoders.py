"""Decoders of tokenizer.json: each maps the list of token strings to a list of strings, which
`Tokenizer.decode` joins."""

from __future__ import annotations

import re

from jaxlite._src.loaders.tokenizers.unicode import bytes_to_unicode


def byte_level(**_):
    to_byte = {c: b for b, c in bytes_to_unicode().items()}

    def decode(tokens):
        out = bytearray()
        for t in tokens:
            try:
                out += bytes(to_byte[c] for c in t)
            except KeyError:  # an added token written as plain text
                out += t.encode("utf-8")
        return [out.decode("utf-8", errors="replace")]
    return decode


_CLEANUPS = [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
             (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")]


def cleanup(text: str) -> str:
    for a, b in _CLEANUPS:
        text = text.replace(a, b)
    return text


def wordpiece(prefix="##", cleanup=True):
    clean = globals()["cleanup"]

    def decode(tokens):
        out = []
        for i, t in enumerate(tokens):
            if i:
                t = t.replace(prefix, "", 1) if t.startswith(prefix) else " " + t
            out.append(clean(t) if cleanup else t)
        return out
    return decode


def bpe(suffix="</w>"):
    def decode(tokens):
        n = len(tokens)
        return [t.replace(suffix, "" if i == n - 1 else " ") for i, t in enumerate(tokens)]
    return decode


def replace(pattern, content):
    rx = re.compile(re.escape(pattern["String"])) if "String" in pattern else re.compile(pattern["Regex"])
    return lambda tokens: [rx.sub(lambda _: content, t) for t in tokens]


def strip(content=" ", start=0, stop=0):
    def one(t):
        chars = list(t)
        a = 0
        while a < min(start, len(chars)) and chars[a] == content:
            a += 1
        b = len(chars)
        while stop and b > a and len(chars) - b < stop and chars[b - 1] == content:
            b -= 1
        return "".join(chars[a:b])
    return lambda tokens: [one(t) for t in tokens]


def byte_fallback():
    rx = re.compile(r"<0x([0-9A-F]{2})>")

    def decode(tokens):
        out, pending = [], bytearray()
        for t in tokens:
            m = rx.fullmatch(t)
            if m:
                pending.append(int(m.group(1), 16))
                continue
            if pending:
                out.append(pending.decode("utf-8", errors="replace"))
                pending = bytearray()
            out.append(t)
        if pending:
            out.append(pending.decode("utf-8", errors="replace"))
        return out
    return decode


def sequence(decoders):
    fns = [build(d) for d in decoders]

    def decode(tokens):
        for f in fns:
            tokens = f(tokens)
        return tokens
    return decode


_BUILDERS = {"ByteLevel": byte_level, "WordPiece": wordpiece, "BPEDecoder": bpe, "Replace": replace,
             "Strip": strip, "Fuse": lambda: lambda tokens: ["".join(tokens)], "ByteFallback": byte_fallback,
             "Sequence": sequence}


def build(spec):
    if spec is None:
        return None
    kind = spec.get("type")
    if kind not in _BUILDERS:
        raise ValueError(f"unsupported decoder {kind!r} in tokenizer.json")
    return _BUILDERS[kind](**{k: v for k, v in spec.items() if k != "type"})
