"""jax.random for jaxlite: threefry2x32 keys (prng.py) and the samplers built on its bits."""
