"""Tokenizer throughput (issue 17): jaxlite.loaders' WordPiece (all-MiniLM-L6-v2's tokenizer.json) and
CLIP's byte-level BPE on the parity test's 2,500 varied strings (tests/test_tokenizers.py: Unicode,
accents, CJK, emoji, whitespace runs, very long words), in tokens per second.

    python tools/bench_tokenizers.py                       # CPython: jaxlite and the Rust `tokenizers`
    node --experimental-wasm-stack-switching tools/pyodide_node.mjs tools/bench_tokenizers.py   # Pyodide

Each system prints one JSON line; `--write` (CPython) runs the Pyodide half through Node too and puts
both into BENCHMARKS.md between the tokenizer-bench markers. The files come from `make setup`
(build/fixtures/minilm, build/fixtures/clip).
"""

from __future__ import annotations

import gzip
import os
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path("/repo") if sys.platform == "emscripten" else Path(__file__).resolve().parent.parent  # tools/pyodide_node.mjs mounts it there
sys.path.insert(0, str(ROOT / "tests"))
from test_tokenizers import CLIP_BPE, MINILM, STRINGS  # noqa: E402  (the parity test's strings and files)

from jaxlite import loaders  # noqa: E402
from jaxlite._src.loaders.tokenizers import unicode as uni  # noqa: E402

START, END = "<!-- tokenizer-bench:start -->", "<!-- tokenizer-bench:end -->"
RUNS = 5


def clip_files(folder: Path) -> tuple[Path, Path]:
    """vocab.json and merges.txt from open_clip's merge list, as tests/test_tokenizers.py builds them."""
    merges = gzip.open(CLIP_BPE).read().decode("utf-8").split("\n")[1:49152 - 256 - 2 + 1]
    base = list(uni.bytes_to_unicode().values())
    vocab = base + [v + "</w>" for v in base] + ["".join(m.split()) for m in merges] + ["<|startoftext|>", "<|endoftext|>"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(vocab)}))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    return folder / "vocab.json", folder / "merges.txt"


def tokens_per_s(encode_batch) -> tuple[float, int]:
    """Median tokens/s of RUNS passes over STRINGS after one warm-up pass (which fills caches)."""
    n = sum(len(ids) for ids in encode_batch(STRINGS))
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        encode_batch(STRINGS)
        times.append(time.perf_counter() - t)
    return n / statistics.median(times), n


def ours() -> dict:
    bert = loaders.Tokenizer.from_file(MINILM / "tokenizer.json")
    bert.truncation = bert.padding = None
    clip = loaders.Tokenizer.from_bpe_files(*clip_files(Path("/tmp/jaxlite-bench-clip")), flavour="clip")
    return {"wordpiece": tokens_per_s(lambda s: bert.encode_batch(s, add_special_tokens=False)),
            "clip-bpe": tokens_per_s(lambda s: clip.encode_batch(s, add_special_tokens=False))}


def reference() -> dict:
    import tokenizers as hf
    sys.path.insert(0, str(ROOT / "tests"))
    from test_tokenizers import reference_clip
    bert = hf.Tokenizer.from_file(str(MINILM / "tokenizer.json"))
    bert.no_truncation()
    bert.no_padding()
    clip = reference_clip(*clip_files(Path("/tmp/jaxlite-bench-clip")))
    enc = lambda tok: lambda s: [e.ids for e in tok.encode_batch(s, add_special_tokens=False)]  # noqa: E731
    return {"wordpiece": tokens_per_s(enc(bert)), "clip-bpe": tokens_per_s(enc(clip))}


def pyodide() -> dict:
    out = subprocess.run(["node", "--experimental-wasm-stack-switching", "tools/pyodide_node.mjs", "tools/bench_tokenizers.py"],
                         cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin:/usr/local/bin", "PYODIDE_PACKAGES": "numpy,pytest,hypothesis"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    if sys.platform == "emscripten":
        print(json.dumps(ours()))
        return
    results = {"jaxlite in Pyodide (Node)": pyodide() if "--write" in sys.argv else None,
               "jaxlite in CPython": ours(), "Rust tokenizers in CPython (reference)": reference()}
    results = {k: v for k, v in results.items() if v}
    print(json.dumps(results))
    if "--write" not in sys.argv:
        return
    import platform
    rows = [f"| {name} | " + " | ".join(f"{r[k][0]:,.0f}" for k in ("wordpiece", "clip-bpe")) + " |"
            for name, r in results.items()]
    n = next(iter(results.values()))
    body = f"""{START}
## Tokenizers

Written by `python tools/bench_tokenizers.py --write` on {time.strftime('%Y-%m-%d')}: tokens per second over the
parity test's {len(STRINGS):,} varied strings ({n['wordpiece'][1]:,} WordPiece tokens, {n['clip-bpe'][1]:,} CLIP
tokens; the same ids as the Rust library, tests/test_tokenizers.py), `encode_batch` without special tokens,
median of {RUNS} passes after a warm-up pass. Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores;
Pyodide 0.27.7 in Node, one thread.

| system | WordPiece (all-MiniLM-L6-v2) tokens/s | CLIP BPE tokens/s |
|---|---|---|
{chr(10).join(rows)}
{END}"""
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text()
    if START in text:
        text = text[:text.index(START)] + body + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + body + "\n"
    path.write_text(text)
    print(body)


if __name__ == "__main__":  # pyodide_node.mjs runs the file as __main__ too
    main()
