"""jax.ad_checkpoint: names for values, the checkpoint policies, and what a backward pass saves.

jaxlite's `checkpoint` always saves only the inputs of the checkpointed function and recomputes
the rest (what `nothing_saveable` asks for). Every policy below is a real JAX policy function and
is accepted by `checkpoint(policy=...)`, so results are the same under any of them; only the
memory/recompute trade-off differs from JAX's.
"""

from __future__ import annotations

import inspect
import types
from typing import NamedTuple

from jaxlite._src import ad, tree_util
from jaxlite._src.features import not_applicable, partial

_POLICY_NOTE = "accepted by checkpoint(policy=...); jaxlite's checkpoint recomputes as nothing_saveable does"


class _PolicyAnswer:
    """What a policy may return besides a bool (jax.ad_checkpoint.Saveable / Recompute)."""
    __slots__ = ("_name",)

    def __init__(self, name: str):
        self._name = name

    def __repr__(self):
        return self._name


Saveable = _PolicyAnswer("Saveable")
Recompute = _PolicyAnswer("Recompute")


class Offloadable(NamedTuple):
    """A policy's answer that moves a residual between memory kinds (src -> dst); a page has one
    memory per device, so jaxlite's checkpoint treats it as any other answer (it recomputes)."""
    src: str
    dst: str


def _policy(fn):
    return partial(_POLICY_NOTE)(fn)


@_policy
def everything_saveable(*_, **__) -> bool:
    return True


def nothing_saveable(*_, **__) -> bool:
    return False


@_policy
def dots_saveable(prim, *_, **__) -> bool:
    return prim.name == "dot_general"


@_policy
def dots_with_no_batch_dims_saveable(prim, *_, **params) -> bool:
    if prim.name != "dot_general":
        return False
    _, (lhs_batch, rhs_batch) = params["dimension_numbers"]
    return not lhs_batch and not rhs_batch


@_policy
def save_only_these_names(*names):
    names = frozenset(names)
    return lambda prim, *_, **params: prim.name == "name" and params.get("name") in names


@_policy
def save_any_names_but_these(*names):
    names = frozenset(names)
    return lambda prim, *_, **params: prim.name == "name" and params.get("name") not in names


@_policy
def save_anything_except_these_names(*names):
    names = frozenset(names)
    return lambda prim, *_, **params: not (prim.name == "name" and params.get("name") in names)


@_policy
def save_from_both_policies(policy_1, policy_2):
    return lambda *args, **params: policy_1(*args, **params) or policy_2(*args, **params)


_NO_HOST_MEMORY = ("offloading moves residuals to pinned host memory; a page has one memory per device and no "
                   "memory kinds to move between")

checkpoint_policies = types.SimpleNamespace(
    everything_saveable=everything_saveable,
    nothing_saveable=nothing_saveable,
    dots_saveable=dots_saveable,
    checkpoint_dots=dots_saveable,
    dots_with_no_batch_dims_saveable=dots_with_no_batch_dims_saveable,
    checkpoint_dots_with_no_batch_dims=dots_with_no_batch_dims_saveable,
    save_only_these_names=save_only_these_names,
    save_any_names_but_these=save_any_names_but_these,
    save_anything_except_these_names=save_anything_except_these_names,
    save_from_both_policies=save_from_both_policies,
    save_and_offload_only_these_names=not_applicable("jax.checkpoint_policies.save_and_offload_only_these_names",
                                                     _NO_HOST_MEMORY),
    offload_dot_with_no_batch_dims=not_applicable("jax.checkpoint_policies.offload_dot_with_no_batch_dims",
                                                  _NO_HOST_MEMORY),
)


@partial("returns x unchanged: the name is not recorded in the jaxpr, since policies do not select by it here")
def checkpoint_name(x, name: str):
    if not isinstance(name, str):
        raise TypeError(f"checkpoint_name expects a string name, got {type(name)}")
    return x


def saved_residuals(f, *args, **kwargs) -> list:
    """[(ShapedArray, description)] for every value the backward pass of f keeps."""
    from jaxlite._src.jit import make_jaxpr
    leaves, in_tree = tree_util.tree_flatten((args, kwargs))
    arg_names = _arg_names(f, args, kwargs)

    def residuals(*xs):
        a, kw = tree_util.tree_unflatten(in_tree, xs)
        flat, out_tree, _ = ad.flatten_fun(lambda *aa: f(*aa, **kw), tree_util.tree_structure(a))
        return ad.linearize_flat(flat, tree_util.tree_leaves(a))[3]

    closed = make_jaxpr(residuals)(*leaves)
    jaxpr = closed.jaxpr
    producer = {v: e for e in jaxpr.eqns for v in e.out_binders}
    inputs = jaxpr.in_binders[len(closed.consts):]
    out = []
    for v in jaxpr.outs:
        aval = v.aval
        if v in inputs:
            out.append((aval, f"from the argument {arg_names[inputs.index(v)]}"))
        elif v in producer:
            out.append((aval, f"output of {producer[v].primitive.name}"))
        else:
            out.append((aval, "from a constant"))
    return out


def _arg_names(f, args, kwargs) -> list[str]:
    try:
        bound = inspect.signature(f).bind(*args, **kwargs)
    except (TypeError, ValueError):
        bound = None
    names = []
    if bound is None:
        for i, a in enumerate(args):
            names += [f"args[{i}]"] * len(tree_util.tree_leaves(a))
        for k, a in kwargs.items():
            names += [k] * len(tree_util.tree_leaves(a))
        return names
    for name, val in bound.arguments.items():
        for path, _ in tree_util.tree_leaves_with_path(val):
            names.append(name + tree_util.keystr(path))
    return names


@partial("names the producing primitive but not its source line")
def print_saved_residuals(f, *args, **kwargs) -> None:
    for aval, what in saved_residuals(f, *args, **kwargs):
        print(f"{aval.str_short()} {what}")
