"""The few names JAX 0.10 still keeps in its deprecated jax.core and jax.api_util modules, mapped
onto jaxlite's tracing core (whose jaxprs hold their constants as leading input binders)."""

from __future__ import annotations

from jaxlite._src import core
from jaxlite._src.api_util import ensure_compile_time_eval


def eval_jaxpr(jaxpr, consts, *args, propagate_source_info=True) -> list:
    """Evaluate `jaxpr` (a ClosedJaxpr's .jaxpr) on its constants and arguments."""
    return core.eval_jaxpr(jaxpr, [*consts, *args])


def eval_context():
    """Evaluate operations eagerly inside the block even while tracing (ensure_compile_time_eval)."""
    return ensure_compile_time_eval()


def max_dim(d1, d2):
    """The larger of two dimension sizes (jaxlite's dimensions are always concrete ints)."""
    return max(d1, d2)


def min_dim(d1, d2):
    return min(d1, d2)


def safe_map(f, *args):
    """map that insists its arguments have equal lengths."""
    args = [list(a) for a in args]
    n = len(args[0])
    for a in args[1:]:
        if len(a) != n:
            raise AssertionError(f"length mismatch: {list(map(len, args))}")
    return list(map(f, *args))


def shaped_abstractify(x):
    """The ShapedArray of an array-like value (weak type included)."""
    return core.raise_to_shaped(core.get_aval(x))
