import jaxlite as jax
import jaxlite.numpy as jnp

def f(x):
    return jnp.sum(jnp.sin(x) ** 2)

x = jnp.linspace(0.0, 1.0, 4)
print("f(x)      =", f(x))
print("grad f(x) =", jax.grad(f)(x))
print("2 sin cos =", 2 * jnp.sin(x) * jnp.cos(x))
jax.hessian(f)(x)
