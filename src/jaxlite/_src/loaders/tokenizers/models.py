"""The two token models: byte-pair encoding (GPT-2, CLIP, RoBERTa...) and WordPiece (BERT)."""

from __future__ import annotations

import heapq
from itertools import pairwise

_CACHE_LIMIT = 100_000


class BPE:
    """Merges the characters of a word by rank, lowest first, as the Rust `BPE` model does.

    Like the Rust library, one merge at a time from a priority queue: lowest rank first, and the
    leftmost pair among equal ranks.
    """

    def __init__(self, vocab: dict[str, int], merges: list, unk_token=None, continuing_subword_prefix=None,
                 end_of_word_suffix=None, fuse_unk=False, byte_fallback=False, ignore_merges=False,
                 dropout=None, **_):
        if dropout not in (None, 0, 0.0):
            raise ValueError("BPE dropout is random at encode time; jaxlite's tokenizer does not support it")
        self.vocab = vocab
        self.unk_token = unk_token
        self.prefix = continuing_subword_prefix or ""
        self.suffix = end_of_word_suffix or ""
        self.fuse_unk, self.byte_fallback, self.ignore_merges = fuse_unk, byte_fallback, ignore_merges
        self.ranks: dict[tuple[int, int], int] = {}
        self.merged: dict[tuple[int, int], int] = {}
        plen = len(self.prefix)
        for rank, merge in enumerate(merges):
            a, b = merge.split(" ", 1) if isinstance(merge, str) else merge
            new = a + (b[plen:] if plen and b.startswith(self.prefix) else b)
            try:
                pair = (vocab[a], vocab[b])
                self.merged[pair] = vocab[new]
            except KeyError as e:
                raise ValueError(f"BPE merge {a!r} {b!r} uses a token missing from the vocabulary: {e}") from None
            self.ranks[pair] = rank  # a repeated merge keeps its last rank, as in the Rust reader
        self.cache: dict[str, list[int]] = {}

    def _symbols(self, word: str) -> list[int]:
        ids, unk = [], None  # unk: a pending unknown run (fused when fuse_unk)
        vocab, last = self.vocab, len(word) - 1
        for i, c in enumerate(word):
            s = (self.prefix + c if i and self.prefix else c) + (self.suffix if i == last else "")
            tid = vocab.get(s)
            if tid is not None:
                if unk is not None:
                    ids.append(unk)
                    unk = None
                ids.append(tid)
                continue
            if self.byte_fallback:
                fallback = [vocab.get(f"<0x{b:02X}>") for b in s.encode("utf-8")]
                if None not in fallback:
                    ids.extend(fallback)
                    continue
            if self.unk_token is not None:
                unk_id = vocab.get(self.unk_token)
                if unk_id is None:
                    raise ValueError(f"BPE unk_token {self.unk_token!r} is not in the vocabulary")
                if unk is not None and not self.fuse_unk:
                    ids.append(unk)
                unk = unk_id
        if unk is not None:
            ids.append(unk)
        return ids

    def tokenize(self, word: str) -> list[int]:
        cached = self.cache.get(word)
        if cached is not None:
            return cached
        whole = self.vocab.get(word + self.suffix) if self.ignore_merges else None
        ids = [whole] if whole is not None else self._merge(self._symbols(word))
        if len(self.cache) >= _CACHE_LIMIT:
            self.cache.clear()
        self.cache[word] = ids
        return ids

    def _merge(self, ids: list[int]) -> list[int]:
        n = len(ids)
        if n < 2:
            return ids
        ranks, merged = self.ranks, self.merged
        # Symbols as a linked list over the first positions; a heap of (rank, left position)
        # pops the lowest rank, leftmost first. Entries whose pair has changed are skipped.
        nxt, prev = list(range(1, n + 1)), list(range(-1, n - 1))
        heap = [(r, i) for i, pair in enumerate(pairwise(ids)) if (r := ranks.get(pair)) is not None]
        if not heap:
            return ids
        heapq.heapify(heap)
        ids, alive = list(ids), [True] * n
        while heap:
            r, i = heapq.heappop(heap)
            j = nxt[i]
            if not alive[i] or j >= n or ranks.get((ids[i], ids[j])) != r:
                continue
            ids[i] = merged[ids[i], ids[j]]
            alive[j] = False
            k = nxt[i] = nxt[j]
            if k < n:
                prev[k] = i
                if (rk := ranks.get((ids[i], ids[k]))) is not None:
                    heapq.heappush(heap, (rk, i))
            p = prev[i]
            if p >= 0 and (rp := ranks.get((ids[p], ids[i]))) is not None:
                heapq.heappush(heap, (rp, p))
        return [t for t, keep in zip(ids, alive) if keep]


class WordPiece:
    """Greedy longest-match-first pieces; a word with any unmatched part is one unknown token."""

    def __init__(self, vocab: dict[str, int], unk_token="[UNK]", continuing_subword_prefix="##",
                 max_input_chars_per_word=100, **_):
        if unk_token not in vocab:
            raise ValueError(f"WordPiece unk_token {unk_token!r} is not in the vocabulary")
        self.vocab, self.unk = vocab, vocab[unk_token]
        self.prefix, self.max_chars = continuing_subword_prefix, max_input_chars_per_word
        self.longest = max(map(len, vocab), default=1)
        self.cache: dict[str, list[int]] = {}

    def tokenize(self, word: str) -> list[int]:
        cached = self.cache.get(word)
        if cached is not None:
            return cached
        ids = self._pieces(word)
        if len(self.cache) >= _CACHE_LIMIT:
            self.cache.clear()
        self.cache[word] = ids
        return ids

    def _pieces(self, word: str) -> list[int]:
        if len(word) > self.max_chars:
            return [self.unk]
        ids, start, n, vocab = [], 0, len(word), self.vocab
        while start < n:
            end = min(n, start + self.longest)
            while end > start:
                piece = word[start:end] if start == 0 else self.prefix + word[start:end]
                tid = vocab.get(piece)
                if tid is not None:
                    ids.append(tid)
                    break
                end -= 1
            else:
                return [self.unk]
            start = end
        return ids


def build(spec: dict):
    kind = spec.get("type")
    args = {k: v for k, v in spec.items() if k != "type"}
    if kind == "BPE" or (kind is None and "merges" in spec):
        return BPE(**args)
    if kind == "WordPiece" or (kind is None and "continuing_subword_prefix" in spec):
        return WordPiece(**args)
    raise ValueError(f"unsupported tokenizer model {kind!r} (jaxlite reads BPE and WordPiece)")
