import jaxlite as jax
import jaxlite.numpy as jnp

key = jax.random.key(42)
k1, k2, k3 = jax.random.split(key, 3)

# Monte Carlo estimate of pi
pts = jax.random.uniform(k1, (100_000, 2))
print("pi ~", 4 * jnp.mean(jnp.sum(pts ** 2, axis=1) < 1))

# normal samples: mean and std
z = jax.random.normal(k2, (10_000,))
print("mean", z.mean(), "std", z.std())

# draw from a categorical distribution and count
logits = jnp.log(jnp.array([0.1, 0.2, 0.7]))
draws = jax.random.categorical(k3, logits, shape=(5_000,))
jnp.bincount(draws, length=3) / 5_000
