"""`.npy`/`.npz` files through `jaxlite.numpy.load`/`save` (numpy's format readers on the host)."""

from __future__ import annotations

import numpy as np

from jaxlite._src.numpy.io import load as load_npy, save as save_npy  # noqa: F401  (re-exported)
from jaxlite._src.numpy.util import asarray


def load_npz(file) -> dict:
    """Every array of an `.npz` archive as a jaxlite Array, by name."""
    with np.load(file, allow_pickle=False) as archive:
        return {name: asarray(archive[name]) for name in archive.files}


def save_npz(file, tensors: dict, compressed: bool = False) -> None:
    arrays = {name: np.asarray(x) for name, x in tensors.items()}
    (np.savez_compressed if compressed else np.savez)(file, **arrays)
