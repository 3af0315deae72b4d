"""jaxlite.loaders tokenizers: the same ids as the Rust `tokenizers` library (where installed) on a
few thousand varied strings, for BERT's WordPiece, CLIP's and a GPT-2-style byte-level BPE, loaded
from tokenizer.json and from the older vocab/merges files; plus recorded ids that also run in
Pyodide."""

import gzip
import json
import random
import time
import unicodedata
from pathlib import Path

import pytest

from jaxlite import loaders
from jaxlite._src.loaders.tokenizers import unicode as uni

try:
    import tokenizers as hf
except ImportError:  # Pyodide: the Rust reference is absent
    hf = None
needs_ref = pytest.mark.skipif(hf is None, reason="the reference tokenizers package is not installed")

FIXTURES = Path(__file__).resolve().parent.parent / "build" / "fixtures"
MINILM = FIXTURES / "minilm"
CLIP_BPE = FIXTURES / "clip" / "bpe_simple_vocab_16e6.txt.gz"
needs_minilm = pytest.mark.skipif(not (MINILM / "tokenizer.json").exists(),
                                  reason="build/fixtures/minilm is made by `make setup`")

WORDS = ("the quick brown fox jumps over lazy dog don't I'M we'll they've she's you'd HELLO World "
         "tokenization naïve café résumé Ångström façade coöperate über straße ΣΊΣΥΦΟΣ Οδυσσεύς "
         "İstanbul ıi Дмитрий москва עברית العربية हिन्दी 한국어 日本語のテキスト 中文分词 ไทย "
         "3.14159 1,000,000 2024-01-01 $5 100% #hashtag @user e-mail x_y foo/bar a+b=c "
         "unbelievably antidisestablishmentarianism ﬁne Ⅻ ½ ² ① ｆｕｌｌｗｉｄｔｈ ").split()
PIECES = ["😀", "👍🏽", "👨‍👩‍👧", "🇫🇷", "\u200b", "\ufeff", "\u00ad", "\x00", "\x07", "\x1c", "\x7f", "\x85",
          "\u2028", "\t", "\n", "\r\n", "  ", "\u3000", "\xa0", "   \n\n  ", "...", "?!", "'", "'s", "«»",
          "“quoted”", "e\u0301", "n\u0303", "a\u0308\u0304", "[CLS]", "[SEP]", "[MASK]", "<|endoftext|>",
          "<|startoftext|>", "\ufffd", "\U0001d400", "\U00020000", "ｱｲｳ", "ⓐ", "\u0301start"]


def assigned(c):
    # Code points this Python's Unicode database does not know yet may be letters to the Rust
    # library's newer tables; they are left out (see the module docstring of unicode.py).
    return unicodedata.category(c) != "Cn"


def varied_strings(n, seed=0):
    rnd = random.Random(seed)
    out = ["", " ", "a", "\n", "   ", "x" * 150, "ab" * 300, "🙂" * 40, "日本" * 60, "Hello, world!"]
    while len(out) < n:
        parts = []
        for _ in range(rnd.randint(1, 12)):
            r = rnd.random()
            if r < 0.55:
                parts.append(rnd.choice(WORDS))
            elif r < 0.8:
                parts.append(rnd.choice(PIECES))
            elif r < 0.9:
                chars = (chr(rnd.choice([rnd.randint(0x20, 0x7e), rnd.randint(0xa0, 0x2fff),
                                         rnd.randint(0x3000, 0xd7ff), rnd.randint(0x1f300, 0x1faff)]))
                         for _ in range(rnd.randint(1, 8)))
                parts.append("".join(c for c in chars if assigned(c)))
            else:
                parts.append(rnd.choice(WORDS) * rnd.randint(2, 30))
        out.append("".join(p + rnd.choice([" ", " ", "", "  ", "\t", "\n"]) for p in parts))
    return out


STRINGS = varied_strings(2500)


def assert_same_ids(ours, ref, strings=STRINGS, add_special_tokens=True):
    expected = [e.ids for e in ref.encode_batch(strings, add_special_tokens=add_special_tokens)]
    got = ours.encode_batch(strings, add_special_tokens=add_special_tokens)
    bad = [(s, g, e) for s, g, e in zip(strings, got, expected) if g != e]
    assert not bad, f"{len(bad)} of {len(strings)} differ; first: {bad[0]!r}"
    return expected


def assert_same_decode(ours, ref, ids_list):
    for ids in ids_list[:300]:
        assert ours.decode(ids) == ref.decode(ids), ids


# ---- BERT WordPiece (all-MiniLM-L6-v2) ------------------------------------------------------

@needs_ref
@needs_minilm
def test_bert_tokenizer_json_matches_reference():
    ours = loaders.Tokenizer.from_file(MINILM / "tokenizer.json")
    ref = hf.Tokenizer.from_file(str(MINILM / "tokenizer.json"))  # truncates and pads to 128
    ids = assert_same_ids(ours, ref)
    assert_same_ids(ours, ref, STRINGS[:500], add_special_tokens=False)
    assert_same_decode(ours, ref, ids)
    got, mask = ours.encode("hello world", return_attention_mask=True)
    ref_enc = ref.encode("hello world")
    assert got == ref_enc.ids and mask == ref_enc.attention_mask


@needs_ref
@needs_minilm
def test_bert_vocab_txt_matches_reference():
    ours = loaders.Tokenizer.from_vocab_txt(MINILM / "vocab.txt")
    ref = hf.BertWordPieceTokenizer(str(MINILM / "vocab.txt"))
    ids = assert_same_ids(ours, ref, STRINGS[:800])
    assert_same_decode(ours, ref, ids)


@needs_minilm
def test_bert_recorded_ids():
    tok = loaders.load_tokenizer(MINILM)
    assert tok.encode("Hello, world! Naïve café.", add_special_tokens=True, return_attention_mask=False)[:12] == \
        [101, 7592, 1010, 2088, 999, 15743, 7668, 1012, 102, 0, 0, 0]
    assert tok.decode(tok.encode("Don't stop 日本")) == "don ' t stop 日 本"


# ---- CLIP byte-level BPE (open_clip's merges) ----------------------------------------------

@pytest.fixture(scope="module")
def clip_files(tmp_path_factory):
    """vocab.json and merges.txt built from open_clip's merge list the way open_clip builds them."""
    if not CLIP_BPE.exists():
        pytest.skip("build/fixtures/clip is made by `make setup`")
    tmp_path = tmp_path_factory.mktemp("clip")
    merges = gzip.open(CLIP_BPE).read().decode("utf-8").split("\n")[1:49152 - 256 - 2 + 1]
    base = list(uni.bytes_to_unicode().values())
    vocab = base + [v + "</w>" for v in base] + ["".join(m.split()) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    (tmp_path / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(vocab)}))
    (tmp_path / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    return tmp_path / "vocab.json", tmp_path / "merges.txt"


def reference_clip(vocab_path, merges_path):
    from tokenizers import normalizers, pre_tokenizers, processors, decoders, Regex
    from tokenizers.models import BPE
    vocab = json.loads(Path(vocab_path).read_text())
    tok = hf.Tokenizer(BPE.from_file(str(vocab_path), str(merges_path), end_of_word_suffix="</w>",
                                     continuing_subword_prefix="", unk_token="<|endoftext|>"))
    tok.add_special_tokens(["<|startoftext|>", "<|endoftext|>"])
    tok.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "),
                                           normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"),
                             behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.post_processor = processors.RobertaProcessing(("<|endoftext|>", vocab["<|endoftext|>"]),
                                                      ("<|startoftext|>", vocab["<|startoftext|>"]))
    tok.decoder = decoders.BPEDecoder(suffix="</w>")
    return tok


@pytest.fixture(scope="module")
def clip(clip_files):
    return loaders.Tokenizer.from_bpe_files(*clip_files, flavour="clip")


@needs_ref
def test_clip_matches_reference(clip_files, clip, tmp_path):
    ref = reference_clip(*clip_files)
    (tmp_path / "tokenizer.json").write_text(ref.to_str())
    from_json = loaders.Tokenizer.from_file(tmp_path / "tokenizer.json")
    ids = assert_same_ids(from_json, ref, STRINGS[:1500])
    assert_same_ids(clip, ref, STRINGS[1500:1800])
    assert_same_decode(from_json, ref, ids)


def test_clip_recorded_ids(clip):
    assert clip.encode("a photo of a CAT!") == [49406, 320, 1125, 539, 320, 2368, 256, 49407]


# ---- GPT-2-style byte-level BPE, trained here -------------------------------------------------

@pytest.fixture(scope="module")
def gpt2_files(tmp_path_factory):
    if hf is None:
        pytest.skip("training needs the reference tokenizers package")
    tok = hf.ByteLevelBPETokenizer()
    corpus = varied_strings(1500, seed=1) + [" ".join(WORDS)] * 20
    tok.train_from_iterator(corpus, vocab_size=1500, min_frequency=2, special_tokens=["<|endoftext|>"],
                            show_progress=False)
    out = tmp_path_factory.mktemp("gpt2")
    tok.save_model(str(out))
    tok.save(str(out / "tokenizer.json"))
    return out


@needs_ref
def test_gpt2_bpe_matches_reference(gpt2_files):
    ref_files = hf.ByteLevelBPETokenizer(str(gpt2_files / "vocab.json"), str(gpt2_files / "merges.txt"))
    ours_files = loaders.Tokenizer.from_bpe_files(gpt2_files / "vocab.json", gpt2_files / "merges.txt")
    ids = assert_same_ids(ours_files, ref_files)
    assert_same_decode(ours_files, ref_files, ids)
    ref_json = hf.Tokenizer.from_file(str(gpt2_files / "tokenizer.json"))
    ours_json = loaders.load_tokenizer(gpt2_files / "tokenizer.json")
    assert_same_ids(ours_json, ref_json, STRINGS[:500])
    text = "round trip: naïve 日本 👨‍👩‍👧 \x00\t end"
    assert ours_json.decode(ours_json.encode(text)) == text


# ---- the other normalizers, pre-tokenizers and decoders of tokenizer.json ----------------------

def component_pipelines():
    from tokenizers import normalizers as n, pre_tokenizers as p, decoders as d, Regex
    return {
        "nfkc_strip_digits": (n.Sequence([n.NFKC(), n.Strip(), n.Replace("  ", "_")]),
                              p.Sequence([p.WhitespaceSplit(), p.Digits(individual_digits=True)]), d.WordPiece()),
        "nfd_accents_punct": (n.Sequence([n.NFD(), n.StripAccents(), n.Lowercase()]),
                              p.Sequence([p.Whitespace(), p.Punctuation("contiguous"), p.Digits()]), None),
        "merged_splits": (n.NFKD(), p.Sequence([p.Split(Regex(r"\s+"), "merged_with_previous"),
                                                p.Split(Regex(r"\p{N}+"), "merged_with_next"),
                                                p.Split("-", "contiguous"),
                                                p.Punctuation("merged_with_previous")]), d.WordPiece(cleanup=False)),
    }


@needs_ref
@needs_minilm
@pytest.mark.parametrize("name", ["nfkc_strip_digits", "nfd_accents_punct", "merged_splits"])
def test_other_components_match_reference(name):
    from tokenizers.models import WordPiece
    normalizer, pre_tokenizer, decoder = component_pipelines()[name]
    ref = hf.Tokenizer(WordPiece.from_file(str(MINILM / "vocab.txt"), unk_token="[UNK]"))
    ref.normalizer, ref.pre_tokenizer = normalizer, pre_tokenizer
    if decoder is not None:
        ref.decoder = decoder
    ours = loaders.Tokenizer.from_str(ref.to_str())
    strings = STRINGS[:400] + ["a--b  -c 12x3 4-5", "  x  ", "ﬁ½²", "e\u0301 ǟ"]
    ids = assert_same_ids(ours, ref, strings)
    assert_same_decode(ours, ref, ids)


# ---- the Unicode classes behind the regexes --------------------------------------------------

def test_translated_classes_match_unicodedata():
    import re
    rx = re.compile(uni.translate(r"\p{L}|\p{N}|\s"))
    for cp in list(range(0, 0x3000)) + list(range(0x1F000, 0x1F700)):
        c = chr(cp)
        cat = unicodedata.category(c)
        assert bool(rx.fullmatch(c)) == (cat[0] in "LN" or c in uni.WHITESPACE), hex(cp)
    assert uni.compile_pattern(r"[^\s\p{L}\p{N}]+").findall("ab, 12 ¿x\x1c!") == [",", "¿", "\x1c!"]
    with pytest.raises(ValueError, match="unsupported"):
        uni.translate(r"\p{Greek}")


def test_errors():
    with pytest.raises(ValueError, match="unsupported tokenizer model"):
        loaders.Tokenizer.from_dict({"model": {"type": "Unigram", "vocab": []}})
    with pytest.raises(ValueError, match="unsupported pre-tokenizer"):
        loaders.Tokenizer.from_dict({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0}},
                                     "pre_tokenizer": {"type": "Metaspace"}})
    with pytest.raises(ValueError, match="missing from the vocabulary"):
        loaders.Tokenizer.from_dict({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}})


@needs_minilm
def test_speed_report(capsys):
    tok = loaders.Tokenizer.from_file(MINILM / "tokenizer.json")
    tok.truncation = tok.padding = None
    text = " ".join(STRINGS)[:200_000]
    t = time.perf_counter()
    n = len(tok.encode(text, add_special_tokens=False))
    dt = time.perf_counter() - t
    with capsys.disabled():
        print(f"\nWordPiece: {n / dt:,.0f} tokens/s on {len(text):,} characters of varied text")
