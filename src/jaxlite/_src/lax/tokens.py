"""Tokens: JAX threads them through side-effecting ops to order them. jaxlite runs every program in
order on one device, so a token carries nothing; it is a pytree with no leaves, which jit, vmap and
scan pass through as structure."""

from __future__ import annotations

from jaxlite._src import tree_util
from jaxlite._src.features import partial

_REASON = ("a token is a pytree with no leaves (JAX's is a leaf of its own abstract type); jaxlite needs no "
           "ordering effects, and no token primitive appears in jaxprs")


class Token:
    def __repr__(self):
        return "Token()"


tree_util.register_pytree_node(Token, lambda t: ((), None), lambda aux, children: Token())


@partial(_REASON)
def create_token(_=None):
    return Token()


@partial(_REASON)
def after_all(*operands):
    if not all(isinstance(o, Token) for o in operands):
        raise TypeError("Arguments to after_all must be tokens")
    return Token()
