"""jax.lib: empty in JAX 0.10 (its jaxlib bindings are private), and so here."""
