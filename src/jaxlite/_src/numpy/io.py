"""jaxlite.numpy printing and .npy/.npz files, through numpy on the host (as in JAX)."""

from __future__ import annotations

import numpy as np

from jaxlite._src.numpy.util import asarray

save = np.save
savez = np.savez
get_printoptions = np.get_printoptions
set_printoptions = np.set_printoptions
printoptions = np.printoptions
array_repr = np.array_repr
array_str = np.array_str


def load(file, *args, **kwargs):
    """numpy.load, with a plain array result returned as a jaxlite Array."""
    out = np.load(file, *args, **kwargs)
    if isinstance(out, np.ndarray) and out.dtype != object:
        try:
            return asarray(out)
        except TypeError:  # a dtype jaxlite cannot hold (strings, records): stays a numpy array
            return out
    return out
