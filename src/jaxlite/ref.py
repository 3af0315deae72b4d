"""jax.ref: mutable array references."""

from jaxlite._src.features import not_applicable as _na
from jaxlite._src.ref_ops import addupdate, get, set, swap  # noqa: F401,A004
from jaxlite._src.refs import Ref, empty_ref, free_ref, freeze, new_ref  # noqa: F401

AbstractRef = _na("jax.ref.AbstractRef", "refs have no abstract type of their own in jaxlite: a Ref is a Python "
                  "box, and typeof(ref) is the ShapedArray of its value")

from jaxlite._src.refs import _REF_NOTE  # noqa: E402

__jaxlite_status__ = ("partial", _REF_NOTE)

__all__ = ["Ref", "addupdate", "empty_ref", "free_ref", "freeze", "get", "new_ref", "set", "swap"]
