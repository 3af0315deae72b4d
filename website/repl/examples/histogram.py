import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite.display import plot

# draws from two samplers, binned, against the densities they should follow
kn, kg = jax.random.split(jax.random.key(7))
normal = jax.random.normal(kn, (20_000,))
gamma = jax.random.gamma(kg, 3.0, (20_000,))
print("normal: mean", normal.mean(), "std", normal.std())
print("gamma(3): mean", gamma.mean(), "var", gamma.var())

edges = jnp.linspace(-4.0, 10.0, 57)
x = (edges[1:] + edges[:-1]) / 2
h_normal, _ = jnp.histogram(normal, bins=edges, density=True)
h_gamma, _ = jnp.histogram(gamma, bins=edges, density=True)

chart = plot(x, h_normal, label="normal", title="samples against their densities", xlabel="x")
chart.plot(x, jnp.exp(-x ** 2 / 2) / jnp.sqrt(2 * jnp.pi), label="pdf")
chart.plot(x, h_gamma, label="gamma(3)")
chart.plot(x, jnp.where(x > 0, x ** 2 * jnp.exp(-x) / 2, 0.0), label="pdf")
