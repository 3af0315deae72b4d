"""How a public name declares that it is partial or cannot apply in a page.

tools/features.py reads these marks to write FEATURES.md, so the status of a name lives next to
its definition: a function carries `__jaxlite_status__`; a name that cannot carry attributes (a
dtype, a constant) is listed in its public module's `_FEATURE_NOTES` dict instead.
"""

from __future__ import annotations


def partial(reason: str):
    """Decorator: the function works, but `reason` says what of JAX's behaviour is missing."""
    def mark(fn):
        fn.__jaxlite_status__ = ("partial", reason)
        return fn
    return mark


def not_applicable(qualname: str, reason: str):
    """A stand-in for a JAX name that cannot mean anything in one browser process (sharding,
    multi-host, ...): calling it raises NotImplementedError saying why."""
    def fn(*args, **kwargs):
        raise NotImplementedError(f"{qualname} is not available in jaxlite: {reason}")
    fn.__name__ = fn.__qualname__ = qualname.rsplit(".", 1)[-1]
    fn.__doc__ = f"Not available in jaxlite: {reason}"
    fn.__jaxlite_status__ = ("n/a", reason)
    return fn


def status(obj, notes: dict | None = None, name: str | None = None):
    """("supported" | "partial" | "n/a", reason) for a public object."""
    if notes and name in notes:
        return notes[name]
    mark = getattr(obj, "__jaxlite_status__", None)
    if isinstance(mark, tuple):
        return mark
    return ("supported", "")
