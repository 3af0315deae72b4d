import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite.display import imshow, show

# a bumpy 2-D function on a grid, and the length of its gradient (vmap of grad, twice)
def f(p):
    x, y = p
    return jnp.sin(3 * x) * jnp.cos(2 * y) + 0.5 * jnp.exp(-(x ** 2 + y ** 2))

xs = jnp.linspace(-2.0, 2.0, 96)
grid = jnp.stack(jnp.meshgrid(xs, xs), axis=-1)         # (96, 96, 2)
values = jax.vmap(jax.vmap(f))(grid)
slopes = jax.vmap(jax.vmap(jax.grad(f)))(grid)

show(imshow(values, cmap="coolwarm"))
imshow(jnp.linalg.norm(slopes, axis=-1), cmap="magma")
