"""jax.example_libraries: the small neural-network (stax) and optimizer libraries of JAX's tutorials."""
