"""Unicode character classes for the stdlib `re`, as the Rust `tokenizers` sees them.

Tokenizer patterns use Oniguruma's `\\p{L}`, `\\p{N}`, `\\s`; `re` has no `\\p{..}` and its `\\s`
also matches U+001C..U+001F. We build each class once from `unicodedata` (a single pass over the
code points, on first use) and rewrite patterns to explicit ranges.
"""

from __future__ import annotations

import functools
import itertools
import re
import sys
import unicodedata

# Rust's char::is_whitespace and Oniguruma's Unicode \s: the White_Space property.
WHITESPACE = frozenset(map(chr, [*range(0x9, 0xE), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                                 0x2028, 0x2029, 0x202F, 0x205F, 0x3000]))


@functools.cache
def _runs() -> dict[str, list[tuple[int, int]]]:
    """Category letter (and two-letter category) -> its code points as [start, end) runs."""
    category = unicodedata.category
    cats = [category(chr(cp)) for cp in range(sys.maxunicode + 1)]
    runs: dict[str, list[tuple[int, int]]] = {}
    start = 0
    for cat, group in itertools.groupby(cats):
        end = start + sum(1 for _ in group)
        for name in (cat, cat[0]):
            spans = runs.setdefault(name, [])
            if spans and spans[-1][1] == start:
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
        start = end
    runs["s"] = _spans(WHITESPACE)
    return runs


def _spans(chars) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for cp in sorted(map(ord, chars)):
        if spans and spans[-1][1] == cp:
            spans[-1] = (spans[-1][0], cp + 1)
        else:
            spans.append((cp, cp + 1))
    return spans


def _body(spans) -> str:
    """A `re` character-class body (without brackets) of [start, end) runs."""
    return "".join(f"\\U{a:08x}" if b == a + 1 else f"\\U{a:08x}-\\U{b - 1:08x}" for a, b in spans)


@functools.cache
def _ranges() -> dict[str, str]:
    return {name: _body(spans) for name, spans in _runs().items()}


def _word_body() -> str:
    # Oniguruma's Unicode \w (UTS #18): Alphabetic, marks, decimal digits, connector punctuation and
    # the joiners. Alphabetic is the letters, letter numbers (Nl) and Other_Alphabetic, which outside
    # the marks is only the circled and squared Latin letters (So).
    r = _ranges()
    extra = _body([(0x200C, 0x200E), (0x24B6, 0x24EA), (0x1F130, 0x1F14A), (0x1F150, 0x1F16A), (0x1F170, 0x1F18A)])
    return r["L"] + r.get("Nl", "") + r["M"] + r["Nd"] + r["Pc"] + extra


_TOKEN = re.compile(r"\\[pP]\{(\^?)(\w+)\}|\\[sSwWdD]|\\.|\[|\]")


def translate(pattern: str) -> str:
    """An Oniguruma pattern as a `re` pattern with the same meaning on Unicode text."""
    r = _ranges()
    out, pos, depth = [], 0, 0
    for m in _TOKEN.finditer(pattern):
        out.append(pattern[pos:m.start()])
        pos = m.end()
        tok = m.group(0)
        if tok == "[":
            depth += 1
            out.append(tok)
            continue
        if tok == "]":
            depth = max(depth - 1, 0)
            out.append(tok)
            continue
        if m.group(2) is not None:
            name = {"Letter": "L", "Number": "N", "Punctuation": "P", "Mark": "M", "Symbol": "S",
                    "Separator": "Z", "Other": "C"}.get(m.group(2), m.group(2))
            if name not in r:
                raise ValueError(f"unsupported Unicode class {tok!r} in tokenizer pattern {pattern!r}")
            negate = tok[1] == "P" or m.group(1) == "^"
            body = r[name]
        elif tok[1] in "sSwWdD":
            body = {"s": r["s"], "w": _word_body(), "d": r["Nd"]}[tok[1].lower()]
            negate = tok[1].isupper()
        else:
            out.append(tok)
            continue
        if depth and negate:
            raise ValueError(f"a negated class {tok!r} inside [...] is not supported: {pattern!r}")
        out.append(body if depth else f"[{'^' if negate else ''}{body}]")
    out.append(pattern[pos:])
    return "".join(out)


@functools.cache
def compile_pattern(pattern: str) -> re.Pattern:
    return re.compile(translate(pattern))

# The Rust tokenizers classify characters with tables of older Unicode versions than Python's
# `unicodedata` (crate unicode_categories: Unicode 8.0, for BERT's punctuation and control
# characters; unicode-normalization-alignments: Unicode 9.0, for the marks that StripAccents drops).
# These are the characters whose class differs between those versions and Python 3.11-3.13's
# (assigned since, or recategorised): hexadecimal code points and ranges.
_OLD_PUNCTUATION = "166d 111c9"
_NEW_PUNCTUATION = ("61d 9fd a76 c77 c84 1b7d-1b7e 2e43-2e4f 2e52-2e5d 10ead 10f55-10f59 10f86-10f89 "
                    "1144b-1144f 1145a-1145b 1145d 11660-1166c 116b9 1183b 11944-11946 119e2 11a3f-11a46 "
                    "11a9a-11a9c 11a9e-11aa2 11b00-11b09 11c41-11c45 11c70-11c71 11ef7-11ef8 11f43-11f4f 11fff "
                    "12ff1-12ff2 16e97-16e9a 16fe2 1e95e-1e95f")
_NEW_FORMAT = "890-891 8e2 110cd 13430-1343f"
_NEW_MARKS = ("7fd 898-89f 8ca-8d3 9fe afa-aff b55 c04 c3c cf3 d00 d3b-d3c d81 eba ece 1715 180f 1abf-1ace "
              "1cf7 1df6-1dfa a82c a8ff 10d24-10d27 10eab-10eac 10efd-10eff 10f46-10f50 10f82-10f85 11070 "
              "11073-11074 110c2 11145-11146 111c9 111ce-111cf 11241 1133b 1145e 1182c-1183a 11930-11935 "
              "11937-11938 1193b-1193e 11940 11942-11943 119d1-119d7 119da-119e0 119e4 11a01-11a0a "
              "11a33-11a39 11a3b-11a3e 11a47 11a51-11a5b 11a8a-11a99 11d31-11d36 11d3a 11d3c-11d3d "
              "11d3f-11d45 11d47 11d8a-11d8e 11d90-11d91 11d93-11d97 11ef3-11ef6 11f00-11f01 11f03 "
              "11f34-11f3a 11f3e-11f42 13440 13447-13455 16f4f 16f7f-16f87 16fe4 16ff0-16ff1 1cf00-1cf2d "
              "1cf30-1cf46 1e08f 1e130-1e136 1e2ae 1e2ec-1e2ef 1e4ec-1e4ef")

# BertNormalizer's strip_accents drops only nonspacing marks (Mn), by the Unicode 8.0 table.
_OLD_NONSPACING = "1734"
_NEW_NONSPACING = ("7fd 898-89f 8ca-8e1 9fe afa-aff b55 c04 c3c d00 d3b-d3c d81 eba ece 180f 1885-1886 "
                   "1abf-1ace 1df6-1dfb a82c a8c5 a8ff a9bd 10d24-10d27 10eab-10eac 10efd-10eff 10f46-10f50 "
                   "10f82-10f85 11070 11073-11074 110c2 111c9 111cf 1123e 11241 1133b 11438-1143f "
                   "11442-11444 11446 1145e 1182f-11837 11839-1183a 1193b-1193c 1193e 11943 119d4-119d7 "
                   "119da-119db 119e0 11a01-11a0a 11a33-11a38 11a3b-11a3e 11a47 11a51-11a56 11a59-11a5b "
                   "11a8a-11a96 11a98-11a99 11c30-11c36 11c38-11c3d 11c3f 11c92-11ca7 11caa-11cb0 "
                   "11cb2-11cb3 11cb5-11cb6 11d31-11d36 11d3a 11d3c-11d3d 11d3f-11d45 11d47 11d90-11d91 "
                   "11d95 11d97 11ef3-11ef4 11f00-11f01 11f36-11f3a 11f40 11f42 13440 13447-13455 16f4f "
                   "16fe4 1cf00-1cf2d 1cf30-1cf46 1e000-1e006 1e008-1e018 1e01b-1e021 1e023-1e024 "
                   "1e026-1e02a 1e08f 1e130-1e136 1e2ae 1e2ec-1e2ef 1e4ec-1e4ef 1e944-1e94a")


def _chars(ranges: str) -> frozenset[str]:
    out = set()
    for item in ranges.split():
        a, _, b = item.partition("-")
        out.update(map(chr, range(int(a, 16), int(b or a, 16) + 1)))
    return frozenset(out)


OLD_PUNCTUATION, NEW_PUNCTUATION = _chars(_OLD_PUNCTUATION), _chars(_NEW_PUNCTUATION)
NEW_FORMAT, NEW_MARKS = _chars(_NEW_FORMAT), _chars(_NEW_MARKS)
OLD_NONSPACING, NEW_NONSPACING = _chars(_OLD_NONSPACING), _chars(_NEW_NONSPACING)


def is_punctuation(c: str) -> bool:
    """BERT's punctuation: ASCII punctuation (which includes symbols like $ and ^) or any P*."""
    o = ord(c)
    if 33 <= o <= 47 or 58 <= o <= 64 or 91 <= o <= 96 or 123 <= o <= 126:
        return True
    if o < 128:
        return False
    return c in OLD_PUNCTUATION or (unicodedata.category(c)[0] == "P" and c not in NEW_PUNCTUATION)


def is_mark(c: str) -> bool:
    """What StripAccents drops: any combining mark (Mn, Mc, Me)."""
    return unicodedata.category(c)[0] == "M" and c not in NEW_MARKS


def _members(*names) -> set[str]:
    runs = _runs()
    return {chr(cp) for name in names for a, b in runs.get(name, ()) for cp in range(a, b)}


_ASCII_PUNCTUATION = frozenset(map(chr, [*range(33, 48), *range(58, 65), *range(91, 97), *range(123, 127)]))
_CHINESE = [(0x4E00, 0xA000), (0x3400, 0x4DC0), (0x20000, 0x2A6E0), (0x2A700, 0x2B740), (0x2B740, 0x2B820),
            (0x2B920, 0x2CEB0), (0xF900, 0xFB00), (0x2F800, 0x2FA20)]


@functools.cache
def bert_patterns() -> dict[str, re.Pattern]:
    """The classes of BERT's normalizer and pre-tokenizer as compiled patterns, so the per-character
    rules run inside `re`: `control` (dropped), `chinese` (padded with spaces), `nonspacing`
    (dropped after NFD) and `words` (whitespace-separated runs with each punctuation mark alone)."""
    runs = _runs()
    control = (_members("Cc", "Cf") - NEW_FORMAT - set("\t\n\r")) | {"\0", "\ufffd"}
    punct = ((_members("P") | _ASCII_PUNCTUATION | OLD_PUNCTUATION) - NEW_PUNCTUATION)
    nonspacing = (_members("Mn") | OLD_NONSPACING) - NEW_NONSPACING
    punct_body, space_body = _body(_spans(punct)), _body(runs["s"])
    return {
        "control": re.compile(f"[{_body(_spans(control))}{_body(runs.get('Co', []) + runs.get('Cs', []))}]+"),
        "chinese": re.compile(f"[{_body(_CHINESE)}]"),
        "nonspacing": re.compile(f"[{_body(_spans(nonspacing))}]+"),
        "words": re.compile(f"[{punct_body}]|[^{punct_body}{space_body}]+"),
    }


@functools.cache
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte -> printable character table (byte-level BPE works on these characters), in
    GPT-2's order (printable bytes first), which is also the order of the base tokens in its vocab."""
    keep = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    table = {b: chr(b) for b in keep}
    for n, b in enumerate(b for b in range(256) if b not in table):
        table[b] = chr(256 + n)
    return table
