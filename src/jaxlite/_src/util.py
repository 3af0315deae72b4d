"""Small helpers of JAX's own util module that its public example libraries re-export."""

from __future__ import annotations

import builtins


def safe_zip(*args, strict: bool = True):
    """zip into a list, raising ValueError unless every argument has the same length."""
    args = [list(a) for a in args]
    n = len(args[0]) if args else 0
    if any(len(a) != n for a in args[1:]):
        bad = next(k for k, a in enumerate(args) if len(a) != n)
        raise ValueError(f"safe_zip() argument {bad} has length {len(args[bad])} but argument 0 has length {n}. "
                         f"All lengths: {tuple(len(a) for a in args)}")
    return list(builtins.zip(*args))


def safe_map(f, *args):
    """map into a list, raising ValueError unless every argument has the same length."""
    args = [list(a) for a in args]
    n = len(args[0]) if args else 0
    for k, a in enumerate(args[1:], 2):
        if len(a) != n:
            raise ValueError(f"safe_map() argument {k} is {'longer' if len(a) > n else 'shorter'} than argument 1")
    return list(builtins.map(f, *args))


def unzip2(pairs):
    """[(a, b), ...] -> ((a, ...), (b, ...))."""
    xs, ys = [], []
    for x, y in pairs:
        xs.append(x)
        ys.append(y)
    return tuple(xs), tuple(ys)
