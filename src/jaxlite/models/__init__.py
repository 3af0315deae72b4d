"""Ready-made models written in jaxlite (not part of JAX's API)."""

from jaxlite._src.models.bert import (BertConfig, SentenceEncoder, encode_tokens,  # noqa: F401
                                      mean_pool_normalize)
