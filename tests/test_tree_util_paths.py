"""Key paths and the newer tree_util / jax.tree names, against JAX's strings and structures."""

from __future__ import annotations

import collections
import dataclasses

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import tree_util as tu
from conftest import needs_jax, real_jax

Point = collections.namedtuple("Point", "x y")


class Box:
    """A node registered without keys: its children get FlattenedIndexKey paths."""

    def __init__(self, a, b):
        self.a, self.b = a, b


tu.register_pytree_node(Box, lambda b: ((b.a, b.b), None), lambda _, xs: Box(*xs))


class Keyed:
    def __init__(self, w, b):
        self.w, self.b = w, b


tu.register_pytree_with_keys(Keyed, lambda k: (((tu.GetAttrKey("w"), k.w), (tu.DictKey("bias"), k.b)), None),
                             lambda _, xs: Keyed(*xs))


@tu.register_dataclass
@dataclasses.dataclass
class Layer:
    weight: object
    bias: object
    name: str = dataclasses.field(default="dense", metadata=dict(static=True))


def _trees(j):
    """The same trees built from jaxlite's or JAX's classes (j is the tree_util module)."""
    box = Box(1, [2, 3]) if j is tu else _JaxBox(1, [2, 3])
    keyed = Keyed(4, 5) if j is tu else _JaxKeyed(4, 5)
    layer = Layer(6, 7) if j is tu else _JaxLayer(6, 7)
    return [
        {"b": [1, (2, None, Point(3, 4))], "a": {"z": 5, "y": ()}},
        [box, (keyed,)],
        {"layer": layer, "od": collections.OrderedDict(c=1, a=2)},
        collections.defaultdict(list, b=1, a=[2]),
        7,
        None,
        [],
    ]


if real_jax is not None:
    jtu = real_jax.tree_util

    class _JaxBox(Box):
        pass

    class _JaxKeyed(Keyed):
        pass

    @jtu.register_dataclass
    @dataclasses.dataclass
    class _JaxLayer:
        weight: object
        bias: object
        name: str = dataclasses.field(default="dense", metadata=dict(static=True))

    jtu.register_pytree_node(_JaxBox, lambda b: ((b.a, b.b), None), lambda _, xs: _JaxBox(*xs))
    jtu.register_pytree_with_keys(
        _JaxKeyed, lambda k: (((jtu.GetAttrKey("w"), k.w), (jtu.DictKey("bias"), k.b)), None),
        lambda _, xs: _JaxKeyed(*xs))


@needs_jax
@pytest.mark.parametrize("i", range(7))
def test_paths_and_keystr_match_jax(i):
    ours, theirs = tu.tree_leaves_with_path(_trees(tu)[i]), jtu.tree_leaves_with_path(_trees(jtu)[i])
    assert [leaf for _, leaf in ours] == [leaf for _, leaf in theirs]
    assert [repr(p) for p, _ in ours] == [repr(p) for p, _ in theirs]
    for (p, _), (q, _) in zip(ours, theirs):
        assert tu.keystr(p) == jtu.keystr(q)
        assert tu.keystr(p, simple=True, separator="/") == jtu.keystr(q, simple=True, separator="/")
    assert tu.tree_leaves(_trees(tu)[i]) == [leaf for _, leaf in ours]


def test_paths_known_strings():
    tree = {"params": [{"w": 1, "b": 2}], "state": Point(3, None)}
    strs = [tu.keystr(p) for p, _ in tu.tree_leaves_with_path(tree)]
    assert strs == ["['params'][0]['b']", "['params'][0]['w']", "['state'].x"]
    assert [tu.keystr(p, simple=True, separator=".") for p, _ in jax.tree.leaves_with_path(tree)] == [
        "params.0.b", "params.0.w", "state.x"]
    assert str(tu.FlattenedIndexKey(2)) == "[<flat index 2>]"
    assert repr(tu.SequenceKey(1)) == "SequenceKey(idx=1)" and tu.DictKey("a") == tu.DictKey("a")
    assert tu.keystr(()) == ""


def test_flatten_with_path_structure_and_map():
    tree = {"a": jnp.ones(2), "b": [jnp.zeros(()), Layer(1.0, 2.0, "x")]}
    pairs, treedef = tu.tree_flatten_with_path(tree)
    assert treedef == tu.tree_structure(tree)
    assert repr(treedef) == "PyTreeDef({'a': *, 'b': [*, CustomNode(Layer[('x',)], [*, *])]})"
    named = jax.tree.map_with_path(lambda p, x, y: (tu.keystr(p), y), tree, tree)
    assert named["b"][1].weight == ("['b'][1].weight", 1.0) and named["b"][1].name == "x"
    stop = jax.tree.map_with_path(lambda p, x: len(p), tree, is_leaf=lambda p, x: len(p) == 2,
                                  is_leaf_takes_path=True)
    assert stop == {"a": 1, "b": [2, 2]}


def test_paths_under_jit():
    @jax.jit
    def f(tree):
        return {tu.keystr(p, simple=True, separator="/"): x * 2 for p, x in tu.tree_leaves_with_path(tree)}

    out = f({"w": [jnp.ones(2), jnp.ones(())], "b": jnp.float32(3)})
    assert sorted(out) == ["b", "w/0", "w/1"]
    np.testing.assert_array_equal(out["w/0"], [2.0, 2.0])


def test_register_dataclass_rules():
    assert tu.tree_leaves(Layer(1, 2)) == [1, 2]
    assert tu.tree_unflatten(tu.tree_structure(Layer(1, 2, "n")), [5, 6]) == Layer(5, 6, "n")

    @dataclasses.dataclass
    class Missing:
        a: int
        b: int
    with pytest.raises(ValueError, match="Missing fields"):
        tu.register_dataclass(Missing, data_fields=["a"], meta_fields=[])
    with pytest.raises(TypeError):
        tu.register_dataclass(Missing, data_fields=["a"])

    @tu.register_dataclass
    @dataclasses.dataclass
    class WithStatic:
        x: object
        op: str = jax.tree.static(default="add")
    assert repr(jax.tree.structure(WithStatic(1))) == "PyTreeDef(CustomNode(WithStatic[('add',)], [*]))"


def test_register_with_keys_class():
    @tu.register_pytree_with_keys_class
    class Pair:
        def __init__(self, a, b):
            self.a, self.b = a, b

        def tree_flatten_with_keys(self):
            return ((tu.GetAttrKey("a"), self.a), (tu.GetAttrKey("b"), self.b)), None

        @classmethod
        def tree_unflatten(cls, aux, children):
            return cls(*children)

    assert [tu.keystr(p) for p, _ in tu.tree_leaves_with_path(Pair(1, [2]))] == [".a", ".b[0]"]
    assert jax.tree.map(lambda x: x + 1, Pair(1, 2)).b == 3


@needs_jax
def test_one_level_broadcast_reduce_match_jax():
    tree = {"a": 1, "b": [2, (3,)], "c": None}
    for fn in ("flatten_one_level", "flatten_one_level_with_keys"):
        assert repr(getattr(tu, fn)(tree)) == repr(getattr(jtu, fn)(tree))
    with pytest.raises(ValueError):
        tu.flatten_one_level(1)
    assert jax.tree.broadcast([1, {"k": 2}], [[3, 4], {"k": (5, 6)}]) == \
        real_jax.tree.broadcast([1, {"k": 2}], [[3, 4], {"k": (5, 6)}])
    with pytest.raises(ValueError):
        jax.tree.broadcast([1, 2], [3])
    pair = lambda a, b: (a, b)  # noqa: E731
    for n in range(1, 7):
        assert jax.tree.reduce_associative(pair, list(range(n))) == real_jax.tree.reduce_associative(pair, list(range(n)))
    assert jax.tree.reduce_associative(pair, [], identity=0) == 0
    with pytest.raises(TypeError, match="identity"):
        jax.tree.reduce_associative(pair, [])
    for typ in (int, list, type(None), Point, dict, Box):
        assert tu.is_tree_node(typ) == jtu.is_tree_node(typ if typ is not Box else _JaxBox)
    kids = tu.treedef_children(tu.tree_structure((1, [2, 3], {"a": 4})))
    assert [repr(k) for k in kids] == [repr(k) for k in jtu.treedef_children(jtu.tree_structure((1, [2, 3], {"a": 4})))]
    assert repr(tu.treedef_tuple(kids)) == repr(jtu.treedef_tuple(jtu.treedef_children(
        jtu.tree_structure((1, [2, 3], {"a": 4})))))
    assert repr(tu.tree_structure(Point(1, 2))) == repr(jtu.tree_structure(Point(1, 2)))
    assert tu.default_registry.is_node(list)


def test_partial_paths():
    p = tu.Partial(lambda a, b: a + b, 1, b=2)
    assert [tu.keystr(k) for k, _ in tu.tree_leaves_with_path(p)] == ["[<flat index 0>][0]", "[<flat index 1>]['b']"]
