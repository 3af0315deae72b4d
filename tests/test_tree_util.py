import collections

import pytest

import jaxlite as jax
from jaxlite import tree_util

Point = collections.namedtuple("Point", "x y")


@tree_util.register_pytree_node_class
class Box:
    def __init__(self, a, b, tag):
        self.a, self.b, self.tag = a, b, tag

    def tree_flatten(self):
        return (self.a, self.b), self.tag

    @classmethod
    def tree_unflatten(cls, tag, children):
        return cls(*children, tag)


def test_flatten_unflatten_roundtrip():
    tree = {"b": [1, (2, None)], "a": Point(3, {"z": 4}), "c": Box(5, [6], "t")}
    leaves, treedef = tree_util.tree_flatten(tree)
    assert leaves == [3, 4, 1, 2, 5, 6]  # dict keys sorted, None is no leaf
    back = tree_util.tree_unflatten(treedef, leaves)
    assert back["a"] == Point(3, {"z": 4}) and back["c"].tag == "t" and back["b"] == [1, (2, None)]
    assert treedef.num_leaves == 6


def test_tree_map_multiple_and_structure_errors():
    assert tree_util.tree_map(lambda a, b: a + b, (1, [2]), (10, [20])) == (11, [22])
    with pytest.raises(ValueError):
        tree_util.tree_map(lambda a, b: a + b, (1, [2]), (10, (20,)))
    assert jax.tree.map(lambda x: x * 2, {"a": 1}) == {"a": 2}
    assert jax.tree.leaves([1, [2, 3]]) == [1, 2, 3]


def test_is_leaf_and_treedef_repr():
    leaves = tree_util.tree_leaves([(1, 2), (3, 4)], is_leaf=lambda x: isinstance(x, tuple))
    assert leaves == [(1, 2), (3, 4)]
    assert str(tree_util.tree_structure((1, [2, 3]))) == "PyTreeDef((*, [*, *]))"


def test_register_pytree_node_duplicate():
    class A:
        pass
    tree_util.register_pytree_node(A, lambda a: ((), None), lambda _, __: A())
    with pytest.raises(ValueError):
        tree_util.register_pytree_node(A, lambda a: ((), None), lambda _, __: A())


def test_tree_transpose_and_partial():
    outer = tree_util.tree_structure([0, 0])
    inner = tree_util.tree_structure((0, 0))
    assert tree_util.tree_transpose(outer, inner, [(1, 2), (3, 4)]) == ([1, 3], [2, 4])
    p = tree_util.Partial(lambda a, b: a + b, 1)
    leaves, td = tree_util.tree_flatten(p)
    assert leaves == [1] and tree_util.tree_unflatten(td, [5])(1) == 6
