"""Pytrees: nested tuples, lists, dicts, None, namedtuples and registered classes."""

from __future__ import annotations

import collections
import dataclasses
import functools
from typing import Any, Callable, Hashable, NamedTuple, TypeVar


# ---- key paths: how a leaf is reached from the root (jax.tree_util.DictKey, ...) ----------------


@dataclasses.dataclass(frozen=True)
class DictKey:
    """A dict entry in a key path (`['a']`)."""
    key: Hashable

    def __str__(self):
        return f"[{self.key!r}]"


@dataclasses.dataclass(frozen=True)
class SequenceKey:
    """A tuple or list position in a key path (`[0]`)."""
    idx: int

    def __str__(self):
        return f"[{self.idx!r}]"


@dataclasses.dataclass(frozen=True)
class GetAttrKey:
    """An attribute in a key path (`.name`)."""
    name: str

    def __str__(self):
        return f".{self.name}"


@dataclasses.dataclass(frozen=True)
class FlattenedIndexKey:
    """The position of a child of a node registered without keys."""
    key: int

    def __str__(self):
        return f"[<flat index {self.key}>]"


KeyEntry = TypeVar("KeyEntry", bound=Hashable)
KeyPath = tuple[KeyEntry, ...]


def _simple_entrystr(key) -> str:
    for cls, field in ((DictKey, "key"), (SequenceKey, "idx"), (GetAttrKey, "name"), (FlattenedIndexKey, "key")):
        if isinstance(key, cls):
            return str(getattr(key, field))
    return str(key)


def keystr(keys, *, simple: bool = False, separator: str = "") -> str:
    """A key path as text: `['a'][0].b`, or `a/0/b` with simple=True, separator='/'."""
    return separator.join(map(_simple_entrystr if simple else str, keys))


# ---- the registry ---------------------------------------------------------------------------------


class _NodeType(NamedTuple):
    to_iterable: Callable   # node -> (children, aux_data)
    from_iterable: Callable  # (aux_data, children) -> node
    with_keys: Callable | None = None  # node -> ([(key, child), ...], aux_data)


_registry: dict[type, _NodeType] = {}


def register_pytree_node(nodetype: type, flatten_func: Callable, unflatten_func: Callable,
                         flatten_with_keys_func: Callable | None = None) -> None:
    """Register `nodetype` as a pytree node with functions flatten(x) -> (children, aux_data) and
    unflatten(aux_data, children).
    """
    if nodetype in _registry:
        raise ValueError(f"Duplicate custom PyTreeDef type registration for {nodetype}.")
    _registry[nodetype] = _NodeType(flatten_func, unflatten_func, flatten_with_keys_func)


def register_pytree_node_class(cls):
    """Class decorator: register a class as a pytree node through its `tree_flatten` method and
    `tree_unflatten` classmethod.
    """
    register_pytree_node(cls, lambda x: x.tree_flatten(), cls.tree_unflatten)
    return cls


def register_pytree_with_keys(nodetype, flatten_with_keys, unflatten_func, flatten_func=None):
    """Register `nodetype` with a flatten function that also returns a key for each child, so key paths name
    them.
    """
    def flat(x):
        kids, aux = flatten_with_keys(x)
        return [c for _, c in kids], aux
    register_pytree_node(nodetype, flatten_func or flat, unflatten_func, flatten_with_keys)


def register_pytree_with_keys_class(cls):
    """Class decorator: register through `tree_flatten_with_keys` (and `tree_flatten` if present) plus
    `tree_unflatten`.
    """
    flatten = getattr(cls, "tree_flatten", None)
    register_pytree_with_keys(cls, lambda x: x.tree_flatten_with_keys(), cls.tree_unflatten,
                              None if flatten is None else (lambda x: x.tree_flatten()))
    return cls


def register_static(cls):
    """Class decorator: register a class as a pytree node with no children (its instances are static data, not
    leaves).
    """
    register_pytree_node(cls, lambda x: ((), x), lambda aux, _: aux)
    return cls


def register_dataclass(nodetype, data_fields=None, meta_fields=None, drop_fields=()):
    """A dataclass as a node: data fields are children (keyed by GetAttrKey), meta fields are
    static aux data. Without field lists, fields whose metadata has `static=True` are meta."""
    if data_fields is None or meta_fields is None:
        if (data_fields is None) != (meta_fields is None):
            raise TypeError("register_dataclass: data_fields and meta_fields must both be specified"
                            f" when either is specified. Got {data_fields=} {meta_fields=}.")
        if not dataclasses.is_dataclass(nodetype):
            raise TypeError("register_dataclass: data_fields and meta_fields are required when"
                            f" nodetype is not a dataclass. Got {nodetype=}.")
        fields = dataclasses.fields(nodetype)
        data_fields = [f.name for f in fields if not f.metadata.get("static", False)]
        meta_fields = [f.name for f in fields if f.metadata.get("static", False)]
    data_fields, meta_fields = tuple(data_fields), tuple(meta_fields)
    if dataclasses.is_dataclass(nodetype):
        init_fields = {f.name for f in dataclasses.fields(nodetype) if f.init} - set(drop_fields)
        if {*meta_fields, *data_fields} != init_fields:
            msg = "data_fields and meta_fields must include all dataclass fields with ``init=True`` and only them."
            if missing := init_fields - {*meta_fields, *data_fields}:
                msg += f" Missing fields: {missing}. Add them to drop_fields to suppress this error."
            if unexpected := {*meta_fields, *data_fields} - init_fields:
                msg += f" Unexpected fields: {unexpected}."
            raise ValueError(msg)
    if overlap := set(data_fields) & set(meta_fields):
        raise ValueError(f"data_fields and meta_fields must not overlap. Overlapping fields: {overlap}.")

    def flatten(x):
        return tuple(getattr(x, n) for n in data_fields), tuple(getattr(x, n) for n in meta_fields)

    def flatten_with_keys(x):
        return ([(GetAttrKey(n), getattr(x, n)) for n in data_fields], tuple(getattr(x, n) for n in meta_fields))

    def unflatten(meta, data):
        return nodetype(**dict(zip(meta_fields, meta)), **dict(zip(data_fields, data)))

    register_pytree_node(nodetype, flatten, unflatten, flatten_with_keys)
    return nodetype


def static(**kwargs):
    """A dataclasses.field marked static, for register_dataclass (as jax.tree.static)."""
    metadata = dict(kwargs.pop("metadata", None) or {}, static=True)
    return dataclasses.field(metadata=metadata, **kwargs)


register_pytree_node(tuple, lambda t: (t, None), lambda _, xs: tuple(xs),
                     lambda t: ([(SequenceKey(i), c) for i, c in enumerate(t)], None))
register_pytree_node(list, lambda l: (l, None), lambda _, xs: list(xs),
                     lambda l: ([(SequenceKey(i), c) for i, c in enumerate(l)], None))
def _sorted_keys(d):
    """A dict's keys in the order pytrees flatten them (sorted, as JAX does)."""
    try:
        return sorted(d)
    except TypeError as e:  # e.g. mixed str and int keys: say why, as JAX does
        raise ValueError(f"Comparator raised exception while sorting pytree dictionary keys: {e}") from e


register_pytree_node(dict, lambda d: ([d[k] for k in _sorted_keys(d)], tuple(_sorted_keys(d))),
                     lambda keys, xs: dict(zip(keys, xs)),
                     lambda d: ([(DictKey(k), d[k]) for k in _sorted_keys(d)], tuple(_sorted_keys(d))))
register_pytree_node(type(None), lambda _: ((), None), lambda _, __: None, lambda _: ((), None))
register_pytree_node(collections.OrderedDict, lambda d: (list(d.values()), tuple(d.keys())),
                     lambda keys, xs: collections.OrderedDict(zip(keys, xs)),
                     lambda d: ([(DictKey(k), v) for k, v in d.items()], tuple(d.keys())))
register_pytree_node(collections.defaultdict,
                     lambda d: ([d[k] for k in _sorted_keys(d)], (d.default_factory, tuple(_sorted_keys(d)))),
                     lambda aux, xs: collections.defaultdict(aux[0], zip(aux[1], xs)),
                     lambda d: ([(DictKey(k), d[k]) for k in _sorted_keys(d)],
                                (d.default_factory, tuple(_sorted_keys(d)))))


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields") and type(x) is not tuple


def _namedtuple_node(t) -> _NodeType:
    return _NodeType(lambda n: (tuple(n), None), lambda _, xs: t(*xs),
                     lambda n: ([(GetAttrKey(f), c) for f, c in zip(t._fields, n)], None))


def _node_of(x):
    t = type(x)
    nt = _registry.get(t)
    if nt is not None:
        return t, nt
    if _is_namedtuple(x):
        return t, _namedtuple_node(t)
    return None, None


def _keyed_children(nt: _NodeType, x):
    """([(key, child)], aux) for a node: its registered keys, else FlattenedIndexKey positions."""
    if nt.with_keys is not None:
        kids, aux = nt.with_keys(x)
        return list(kids), aux
    kids, aux = nt.to_iterable(x)
    return [(FlattenedIndexKey(i), c) for i, c in enumerate(kids)], aux


def is_tree_node(typ) -> bool:
    """Whether values of this type are pytree nodes (not leaves)."""
    return typ in _registry or (isinstance(typ, type) and issubclass(typ, tuple) and hasattr(typ, "_fields"))


def flatten_one_level(tree):
    """The immediate children of a pytree node and its aux data (ValueError for a leaf)."""
    t, nt = _node_of(tree)
    if nt is None:
        raise ValueError(f"can't tree-flatten type: {type(tree)}")
    kids, aux = nt.to_iterable(tree)
    return tuple(kids), aux


def flatten_one_level_with_keys(tree):
    """The immediate (key, child) pairs of a pytree node and its aux data (ValueError for a leaf)."""
    t, nt = _node_of(tree)
    if nt is None:
        raise ValueError(f"can't tree-flatten type: {type(tree)}")
    kids, aux = _keyed_children(nt, tree)
    return tuple(kids), aux


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
        if self.node_type not in _registry:  # a namedtuple
            return f"CustomNode(namedtuple[{self.node_type.__name__}], [{', '.join(kids)}])"
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
    """Flatten a pytree into its list of leaves and a PyTreeDef describing its structure; `is_leaf` stops the
    descent early.
    """
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


def tree_flatten_with_path(tree, is_leaf: Callable | None = None, is_leaf_takes_path: bool = False):
    """([(key path, leaf)], treedef): the leaves in tree_flatten's order, each with its path."""
    pairs: list = []
    treedef = _flatten_with_path(tree, (), is_leaf, is_leaf_takes_path, pairs)
    return pairs, treedef


def _flatten_with_path(x, path, is_leaf, takes_path, pairs: list) -> PyTreeDef:
    if is_leaf is not None and (is_leaf(path, x) if takes_path else is_leaf(x)):
        pairs.append((path, x))
        return LEAF
    t, nt = _node_of(x)
    if nt is None:
        pairs.append((path, x))
        return LEAF
    kids, aux = _keyed_children(nt, x)
    return PyTreeDef(t, aux, [_flatten_with_path(c, (*path, k), is_leaf, takes_path, pairs) for k, c in kids])


def tree_leaves_with_path(tree, is_leaf: Callable | None = None, is_leaf_takes_path: bool = False):
    """The (key path, leaf) pairs of a pytree, in flattening order."""
    return tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)[0]


def tree_map_with_path(f: Callable, tree, *rest, is_leaf=None, is_leaf_takes_path: bool = False):
    """Like tree_map, but `f` also gets each leaf's key path as its first argument."""
    pairs, treedef = tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)
    others = [treedef.flatten_up_to(r) for r in rest]
    return treedef.unflatten(f(path, x, *xs) for (path, x), *xs in zip(pairs, *others))


def tree_unflatten(treedef: PyTreeDef, leaves):
    """Rebuild a pytree with the structure `treedef` from a sequence of leaves."""
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
    """The leaves of a pytree, in flattening order."""
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None):
    """The PyTreeDef describing the structure of a pytree."""
    return tree_flatten(tree, is_leaf)[1]


def treedef_is_leaf(treedef: PyTreeDef) -> bool:
    """True if `treedef` describes a single leaf."""
    return treedef.node_type is None


def tree_map(f: Callable, tree, *rest, is_leaf=None):
    """Apply `f` to the leaves of `tree` (and the matching leaves of each tree in `rest`), keeping the
    structure.
    """
    leaves, treedef = tree_flatten(tree, is_leaf)
    all_leaves = [leaves] + [treedef.flatten_up_to(r) for r in rest]
    return treedef.unflatten(f(*xs) for xs in zip(*all_leaves))


def tree_reduce(f: Callable, tree, initializer: Any = ..., is_leaf=None):
    """Fold the leaves of a pytree with the binary function `f`, starting from `initializer` if given."""
    leaves = tree_leaves(tree, is_leaf)
    return functools.reduce(f, leaves) if initializer is ... else functools.reduce(f, leaves, initializer)


def tree_all(tree, *, is_leaf=None) -> bool:
    """True if every leaf of the pytree is truthy."""
    return all(tree_leaves(tree, is_leaf))


class _Unspecified:
    def __repr__(self):
        return "Unspecified()"


_UNSPECIFIED = _Unspecified()


def tree_reduce_associative(operation: Callable, tree, *, identity=_UNSPECIFIED, is_leaf=None):
    """Reduce the leaves pairwise as a balanced tree (operation must be associative)."""
    return _parallel_reduce(tree_leaves(tree, is_leaf), operation, identity)


def _parallel_reduce(seq, operation, identity):
    if not seq:
        if identity is _UNSPECIFIED:
            raise TypeError("Must specify identity for parallel reduction of empty sequence.")
        return identity
    if len(seq) == 1:
        return seq[0]
    half = len(seq) // 2
    return operation(_parallel_reduce(seq[:half], operation, identity),
                     _parallel_reduce(seq[half:], operation, identity))


def tree_broadcast(prefix_tree, full_tree, is_leaf=None):
    """prefix_tree with each of its leaves repeated over the matching subtree of full_tree."""
    treedef = tree_structure(prefix_tree, is_leaf)
    subtrees = treedef.flatten_up_to(full_tree)
    leaves = tree_leaves(prefix_tree, is_leaf)
    return treedef.unflatten(tree_map(lambda _: x, sub) for x, sub in zip(leaves, subtrees))


def treedef_children(treedef: PyTreeDef) -> list:
    """The PyTreeDefs of the immediate children of `treedef`."""
    return list(treedef.children)


def treedef_tuple(treedefs) -> PyTreeDef:
    """A PyTreeDef for a tuple whose children have the given treedefs."""
    return PyTreeDef(tuple, None, list(treedefs))


def tree_transpose(outer_treedef, inner_treedef, pytree_to_transpose):
    """Turn a tree with structure outer of trees with structure inner into a tree inner of trees outer."""
    flat = outer_treedef.flatten_up_to(pytree_to_transpose)
    inner = [inner_treedef.flatten_up_to(x) for x in flat]
    transposed = list(zip(*inner))
    return inner_treedef.unflatten([outer_treedef.unflatten(col) for col in transposed])


def all_leaves(iterable) -> bool:
    """True if every element of `iterable` is a leaf (not a pytree node).

    Differs from JAX: no `is_leaf` argument.
    """
    return all(tree_structure(x) == LEAF for x in iterable)


class Partial(functools.partial):
    """functools.partial that is a pytree (its args are leaves), as jax.tree_util.Partial."""

    def __new__(klass, func, *args, **kw):
        if isinstance(func, functools.partial) and not isinstance(func, Partial):
            # functools.partial would merge func's own arguments into ours, making them leaves.
            func = _CallableShim(func)
        return super().__new__(klass, func, *args, **kw)


class _CallableShim:
    """Hides a functools.partial from Partial's constructor; equal and hashed as what it wraps."""
    __slots__ = ("fun",)

    def __init__(self, fun):
        self.fun = fun

    def __call__(self, *args, **kwargs):
        return self.fun(*args, **kwargs)

    def __hash__(self):
        return hash(self.fun)

    def __eq__(self, other):
        return self.fun == (other.fun if isinstance(other, _CallableShim) else other)

    def __repr__(self):
        return repr(self.fun)


register_pytree_node(
    Partial,
    lambda p: ((p.args, p.keywords), p.func),
    lambda func, xs: Partial(func, *xs[0], **xs[1]),
)


class _Registry:
    """What jax.tree_util.default_registry stands for: the node types known here."""

    def is_node(self, typ) -> bool:
        return is_tree_node(typ)

    def __repr__(self):
        return f"<PyTreeRegistry with {len(_registry)} node types>"


default_registry = _Registry()


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
    flatten_with_path = staticmethod(tree_flatten_with_path)
    leaves_with_path = staticmethod(tree_leaves_with_path)
    map_with_path = staticmethod(tree_map_with_path)
    broadcast = staticmethod(tree_broadcast)
    reduce_associative = staticmethod(tree_reduce_associative)
    static = staticmethod(static)


tree = _TreeNamespace()
