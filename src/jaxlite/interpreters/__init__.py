"""jax.interpreters: the rule tables of the transformations (for new primitives)."""

from jaxlite.interpreters import ad, batching  # noqa: F401
