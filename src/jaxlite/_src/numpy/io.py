"""jaxlite.numpy printing and .npy/.npz files, through numpy on the host (as in JAX)."""

from __future__ import annotations

import numpy as np

from jaxlite._src.numpy.util import asarray

save = np.save
savez = np.savez
get_printoptions = np.get_printoptions
set_printoptions = np.set_printoptions
printoptions = np.printoptions
array_str = np.array_str


def array_repr(arr, max_line_width=None, precision=None, suppress_small=None):
    """A jaxlite Array prints as JAX's (`Array([0, 1], dtype=int32)`) whatever numpy's version."""
    if not hasattr(arr, "aval"):
        return np.array_repr(arr, max_line_width, precision, suppress_small)
    opts = dict(linewidth=max_line_width, precision=precision, suppress=suppress_small)
    with np.printoptions(**{k: v for k, v in opts.items() if v is not None}):
        return repr(arr)


def load(file, *args, **kwargs):
    """numpy.load, with a plain array result returned as a jaxlite Array."""
    out = np.load(file, *args, **kwargs)
    if isinstance(out, np.ndarray) and out.dtype != object:
        try:
            return asarray(out)
        except TypeError:  # a dtype jaxlite cannot hold (strings, records): stays a numpy array
            return out
    return out
