"""Pytree utilities (jax.tree_util)."""

from jaxlite._src.tree_util import (Partial, PyTreeDef, all_leaves, register_pytree_node,  # noqa: F401
                                    register_pytree_node_class, register_pytree_with_keys, register_static,
                                    tree_all, tree_flatten, tree_leaves, tree_map, tree_reduce,
                                    tree_structure, tree_transpose, tree_unflatten, treedef_is_leaf)
