import time
import jaxlite as jax
import jaxlite.numpy as jnp

def gelu(x):
    return 0.5 * x * (1 + jnp.tanh(0.7978845608 * (x + 0.044715 * x ** 3)))

fast = jax.jit(gelu)          # one fused kernel on this device
x = jnp.linspace(-3.0, 3.0, 1_000_000)
fast(x).block_until_ready()   # the first call traces and compiles

t = time.perf_counter()
y = fast(x).block_until_ready()
print(f"jit: {(time.perf_counter() - t) * 1e3:.2f} ms on {jax.default_backend()}")
print(jax.make_jaxpr(gelu)(1.0))
y[:4]
