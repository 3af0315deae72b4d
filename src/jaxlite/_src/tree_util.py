"""Pytrees: nested tuples, lists, dicts, None, namedtuples and registered classes."""

from __future__ import annotations

import collections
import functools
from typing import Any, Callable, NamedTuple


class _NodeType(NamedTuple):
    to_iterable: Callable   # node -> (children, aux_data)
    from_iterable: Callable  # (aux_data, children) -> node


_registry: dict[type, _NodeType] = {}


def register_pytree_node(nodetype: type, flatten_func: Callable, unflatten_func: Callable) -> None:
    if nodetype in _registry:
        raise ValueError(f"Duplicate custom PyTreeDef type registration for {nodetype}.")
    _registry[nodetype] = _NodeType(flatten_func, unflatten_func)


def register_pytree_node_class(cls):
    register_pytree_node(cls, lambda x: x.tree_flatten(), cls.tree_unflatten)
    return cls


def register_pytree_with_keys(nodetype, flatten_with_keys, unflatten_func, flatten_func=None):
    def flat(x):
        kids, aux = flatten_with_keys(x)
        return [c for _, c in kids], aux
    register_pytree_node(nodetype, flatten_func or flat, unflatten_func)


def register_static(cls):
    register_pytree_node(cls, lambda x: ((), x), lambda aux, _: aux)
    return cls


register_pytree_node(tuple, lambda t: (t, None), lambda _, xs: tuple(xs))
register_pytree_node(list, lambda l: (l, None), lambda _, xs: list(xs))
register_pytree_node(dict, lambda d: ([d[k] for k in sorted(d)], tuple(sorted(d))),
                     lambda keys, xs: dict(zip(keys, xs)))
register_pytree_node(type(None), lambda _: ((), None), lambda _, __: None)
register_pytree_node(collections.OrderedDict, lambda d: (list(d.values()), tuple(d.keys())),
                     lambda keys, xs: collections.OrderedDict(zip(keys, xs)))
register_pytree_node(collections.defaultdict,
                     lambda d: ([d[k] for k in sorted(d)], (d.default_factory, tuple(sorted(d)))),
                     lambda aux, xs: collections.defaultdict(aux[0], zip(aux[1], xs)))


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields") and type(x) is not tuple


def _node_of(x):
    t = type(x)
    nt = _registry.get(t)
    if nt is not None:
        return t, nt
    if _is_namedtuple(x):
        return t, _NodeType(lambda n: (tuple(n), None), lambda _, xs, t=t: t(*xs))
    return None, None


class PyTreeDef:
    """The structure of a pytree: a node type with aux data and child treedefs, or a leaf (*)."""
    __slots__ = ("node_type", "node_data", "children", "num_leaves", "_hash")

    def __init__(self, node_type, node_data, children):
        self.node_type, self.node_data, self.children = node_type, node_data, tuple(children)
        self.num_leaves = 1 if node_type is None else sum(c.num_leaves for c in self.children)
        self._hash = None

    @property
    def num_nodes(self) -> int:
        return 1 + sum(c.num_nodes for c in self.children)

    def unflatten(self, leaves):
        return tree_unflatten(self, leaves)

    def flatten_up_to(self, tree):
        return _flatten_up_to(self, tree)

    def __eq__(self, other):
        return (isinstance(other, PyTreeDef) and self.node_type is other.node_type
                and _data_eq(self.node_data, other.node_data) and self.children == other.children)

    def __hash__(self):
        if self._hash is None:
            try:
                h = hash(self.node_data)
            except TypeError:
                h = 0
            self._hash = hash((self.node_type, h, self.children))
        return self._hash

    def __repr__(self):
        return f"PyTreeDef({self._str()})"

    def _str(self):
        if self.node_type is None:
            return "*"
        kids = [c._str() for c in self.children]
        if self.node_type is tuple:
            return "(" + ", ".join(kids) + ("," if len(kids) == 1 else "") + ")"
        if self.node_type is list:
            return "[" + ", ".join(kids) + "]"
        if self.node_type is dict:
            return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(self.node_data, kids)) + "}"
        if self.node_type is type(None):
            return "None"
        return f"CustomNode({self.node_type.__name__}[{self.node_data!r}], [{', '.join(kids)}])"


def _data_eq(a, b) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return a is b


LEAF = PyTreeDef(None, None, ())


# The recursions below are module-level functions with explicit state: a recursive closure refers to
# itself through its own cell, and that cycle would keep the leaves (device arrays) alive until
# Python's cycle collector happens to run.


def tree_flatten(tree, is_leaf: Callable | None = None):
    leaves: list = []
    treedef = _flatten(tree, is_leaf, leaves)
    return leaves, treedef


def _flatten(x, is_leaf, leaves: list) -> PyTreeDef:
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return LEAF
    t, nt = _node_of(x)
    if nt is None:
        leaves.append(x)
        return LEAF
    children, aux = nt.to_iterable(x)
    return PyTreeDef(t, aux, [_flatten(c, is_leaf, leaves) for c in children])


def tree_unflatten(treedef: PyTreeDef, leaves):
    it = iter(leaves)
    out = _unflatten(treedef, it)
    rest = list(it)
    if rest:
        raise ValueError(f"Too many leaves for PyTreeDef; expected {treedef.num_leaves}.")
    return out


def _unflatten(td: PyTreeDef, it):
    if td.node_type is None:
        return next(it)
    children = [_unflatten(c, it) for c in td.children]
    t = td.node_type
    nt = _registry.get(t)
    if nt is None:  # namedtuple
        return t(*children)
    return nt.from_iterable(td.node_data, children)


def _flatten_up_to(treedef: PyTreeDef, tree):
    out: list = []
    _flatten_up_to_rec(treedef, tree, out, treedef, tree)
    return out


def _flatten_up_to_rec(td: PyTreeDef, x, out: list, treedef: PyTreeDef, tree) -> None:
    if td.node_type is None:
        out.append(x)
        return
    t, nt = _node_of(x)
    if t is not td.node_type:
        raise ValueError(f"Tree structure mismatch: expected {td.node_type.__name__}, got {type(x).__name__}: {x!r}")
    children, aux = nt.to_iterable(x)
    if len(children) != len(td.children) or not _data_eq(aux, td.node_data):
        raise ValueError(f"Tree structure mismatch: {treedef} vs {tree_structure(tree)}")
    for c, k in zip(td.children, children):
        _flatten_up_to_rec(c, k, out, treedef, tree)


def tree_leaves(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[1]


def treedef_is_leaf(treedef: PyTreeDef) -> bool:
    return treedef.node_type is None


def tree_map(f: Callable, tree, *rest, is_leaf=None):
    leaves, treedef = tree_flatten(tree, is_leaf)
    all_leaves = [leaves] + [treedef.flatten_up_to(r) for r in rest]
    return treedef.unflatten(f(*xs) for xs in zip(*all_leaves))


def tree_reduce(f: Callable, tree, initializer: Any = ..., is_leaf=None):
    leaves = tree_leaves(tree, is_leaf)
    return functools.reduce(f, leaves) if initializer is ... else functools.reduce(f, leaves, initializer)


def tree_all(tree) -> bool:
    return all(tree_leaves(tree))


def tree_transpose(outer_treedef, inner_treedef, pytree_to_transpose):
    flat = outer_treedef.flatten_up_to(pytree_to_transpose)
    inner = [inner_treedef.flatten_up_to(x) for x in flat]
    transposed = list(zip(*inner))
    return inner_treedef.unflatten([outer_treedef.unflatten(col) for col in transposed])


def all_leaves(iterable) -> bool:
    return all(tree_structure(x) == LEAF for x in iterable)


class Partial(functools.partial):
    """functools.partial that is a pytree (its args are leaves), as jax.tree_util.Partial."""

    def __new__(klass, func, *args, **kw):
        return super().__new__(klass, func, *args, **kw)


register_pytree_node(
    Partial,
    lambda p: ((p.args, p.keywords), p.func),
    lambda func, xs: Partial(func, *xs[0], **xs[1]),
)


# jax.tree.* aliases
class _TreeNamespace:
    map = staticmethod(tree_map)
    leaves = staticmethod(tree_leaves)
    structure = staticmethod(tree_structure)
    flatten = staticmethod(tree_flatten)
    unflatten = staticmethod(tree_unflatten)
    reduce = staticmethod(tree_reduce)
    all = staticmethod(tree_all)
    transpose = staticmethod(tree_transpose)


tree = _TreeNamespace()
