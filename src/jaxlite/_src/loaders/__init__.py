"""jaxlite.loaders: safetensors, .npy/.npz, cached downloads, tokenizers (public names in jaxlite.loaders)."""
