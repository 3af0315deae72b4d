import jaxlite as jax
import jaxlite.numpy as jnp

def predict(w, x):            # one example: a vector in, a number out
    return jnp.tanh(jnp.dot(w, x))

w = jnp.array([0.5, -1.0, 2.0])
xs = jnp.arange(12.0).reshape(4, 3) / 10

batched = jax.vmap(predict, in_axes=(None, 0))   # map over the rows of xs
print(batched(w, xs))
# per-example gradients, in one call
jax.vmap(jax.grad(predict), in_axes=(None, 0))(w, xs)
