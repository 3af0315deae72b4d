import jaxlite as jax
import jaxlite.numpy as jnp

# fit y = 3x - 1 (plus noise) with a tiny linear model
key = jax.random.key(0)
kx, kn = jax.random.split(key)
x = jax.random.uniform(kx, (256, 1), minval=-1.0, maxval=1.0)
y = 3.0 * x - 1.0 + 0.1 * jax.random.normal(kn, (256, 1))
params = {"w": jnp.zeros((1, 1)), "b": jnp.zeros(1)}

def loss(p, x, y):
    return jnp.mean((x @ p["w"] + p["b"] - y) ** 2)

@jax.jit
def step(p, x, y):
    l, g = jax.value_and_grad(loss)(p, x, y)
    return jax.tree.map(lambda a, b: a - 0.3 * b, p, g), l

for i in range(101):
    params, l = step(params, x, y)
    if i % 20 == 0:
        print(f"step {i:3d}  loss {float(l):.4f}")
params
