"""Tokenizers that give the same ids as the Rust `tokenizers` library, in pure Python."""

from jaxlite._src.loaders.tokenizers.tokenizer import Tokenizer, load_tokenizer  # noqa: F401
