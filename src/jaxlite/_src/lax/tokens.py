"""Tokens: JAX threads them through side-effecting ops to order them. A token is a leaf of its own
abstract type (`AbstractToken`, printed `Tok` in jaxprs); `create_token` and `after_all` bind
primitives, and eagerly they return `Token` objects. jaxlite runs every program in order on one device,
so a token carries no data: where a device must hold one (inside a compiled plan) it is a bool scalar,
and jit turns token outputs back into `Token`s (`AbstractToken.make_value`)."""

from __future__ import annotations

import numpy as np

from jaxlite._src import ad, core, dispatch, partial_eval as pe
from jaxlite._src.backends import cpu
from jaxlite._src.core import Primitive, ShapedArray, abstract_eval_rules, get_aval
from jaxlite._src.lax import lax


class AbstractToken(ShapedArray):
    """The abstract value of a token: a ShapedArray of no data (a bool scalar to the devices)."""
    __slots__ = ()

    def __init__(self):
        super().__init__((), np.bool_)

    def str_short(self) -> str:
        return "Tok"

    def __repr__(self):
        return "AbstractToken()"

    def update(self, shape=None, dtype=None, weak_type=None):
        return self

    @staticmethod
    def make_value():
        return Token()


abstract_token = AbstractToken()


class Token:
    """A concrete token (JAX's jax.core.Token)."""
    aval = abstract_token

    def __array__(self, dtype=None, copy=None):
        return np.zeros((), np.bool_)

    def __repr__(self):
        return "Token()"


def _token_eqn_rule(in_avals, **params):
    return pe.make_closed_jaxpr(lambda *args: [lax.full((), False, np.bool_)], in_avals)


create_token_p = Primitive("create_token")
after_all_p = Primitive("after_all")
for _p in (create_token_p, after_all_p):
    abstract_eval_rules[_p] = lambda *avals: [abstract_token]
    dispatch.impl_rules[_p] = lambda *args: Token()
    cpu.kernels[_p] = lambda *args: np.zeros((), np.bool_)
    core.decomposition_rules[_p] = _token_eqn_rule
    ad.nondiff.add(_p)


def create_token(_=None):
    """A new token (the argument is ignored, as in JAX)."""
    return create_token_p.bind()


def after_all(*operands):
    """A token that depends on the tokens given."""
    if not all(isinstance(get_aval(o), AbstractToken) if hasattr(o, "aval") or isinstance(o, core.Tracer)
               else False for o in operands):
        raise TypeError("Arguments to after_all must be tokens")
    return after_all_p.bind(*operands)
