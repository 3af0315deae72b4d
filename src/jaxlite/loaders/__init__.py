"""jaxlite.loaders: model weights (safetensors, .npy/.npz), cached downloads and tokenizers.

    params = jaxlite.loaders.load(await jaxlite.loaders.cached_fetch(url, sha256=...))
    tok = jaxlite.loaders.Tokenizer.from_file("tokenizer.json")
    ids = tok.encode("Hello world")

Not a JAX module: the names follow the `safetensors` and `tokenizers` packages.
"""

from jaxlite._src.loaders.safetensors import load, load_file, load_url, safe_open, save, save_file  # noqa: F401
from jaxlite._src.loaders.npy import load_npy, load_npz, save_npy, save_npz  # noqa: F401
from jaxlite._src.loaders.fetch import ChecksumError, cached_fetch  # noqa: F401
from jaxlite._src.loaders.tokenizers import Tokenizer, load_tokenizer  # noqa: F401
