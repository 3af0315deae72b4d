import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite.display import plot, progress, show

# a small MLP learns sin(3x) on [-1, 1]
k1, k2 = jax.random.split(jax.random.key(1))
x = jnp.linspace(-1.0, 1.0, 128)[:, None]
y = jnp.sin(3 * x)
params = {"w1": jax.random.normal(k1, (1, 32)), "b1": jnp.zeros(32),
          "w2": jax.random.normal(k2, (32, 1)) / jnp.sqrt(32.0), "b2": jnp.zeros(1)}

def model(p, x):
    return jnp.tanh(x @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]

def loss(p):
    return jnp.mean((model(p, x) - y) ** 2)

@jax.jit
def step(p, v):                # gradient descent with momentum
    l, g = jax.value_and_grad(loss)(p)
    v = jax.tree.map(lambda v, g: 0.9 * v + g, v, g)
    return jax.tree.map(lambda a, v: a - 0.05 * v, p, v), v, l

velocity = jax.tree.map(jnp.zeros_like, params)
losses = []
for i in progress(range(600), desc="training"):   # a live bar in the REPL
    params, velocity, l = step(params, velocity)
    losses.append(float(l))

print(f"loss {losses[0]:.4f} -> {losses[-1]:.5f}")
show(plot(jnp.log10(jnp.array(losses)), title="training loss", xlabel="step", ylabel="log10 MSE"))
plot(x[:, 0], jnp.concatenate([y, model(params, x)], axis=1), label=["sin(3x)", "model"], title="the fit")
