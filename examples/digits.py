"""Train a small MLP on handwritten 8x8 digits with jaxlite: jit, value_and_grad and Adam written out.

Runs as it is in CPython (`python examples/digits.py`, any JAXLITE_DEFAULT_DEVICE) and in the
browser, where /demos/digits/ loads this same file into its worker and calls `train` step by step.
The data is scikit-learn's digits (intensities 0..16), made by `make setup` (tools/digits_data.py).
"""

import io
import time
from pathlib import Path

import numpy as np

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import lax

SIZES = (64, 128, 10)
BATCH = 128
LEARNING_RATE = 3e-3


def load(source):
    """The npz written by tools/digits_data.py (a path, or its bytes in the browser)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(source)
    with np.load(source) as f:
        to_x = lambda a: jnp.asarray(a, jnp.float32) / 16.0
        to_y = lambda a: jnp.asarray(a, jnp.int32)
        return to_x(f["x_train"]), to_y(f["y_train"]), to_x(f["x_test"]), to_y(f["y_test"])


def init_params(key):
    params = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        key, sub = jax.random.split(key)
        params.append({"w": jax.random.normal(sub, (n_in, n_out)) * jnp.sqrt(2.0 / n_in), "b": jnp.zeros(n_out)})
    return params


def predict(params, x):
    """Logits for a batch of flattened images scaled to [0, 1]."""
    for layer in params[:-1]:
        x = jax.nn.relu(x @ layer["w"] + layer["b"])
    return x @ params[-1]["w"] + params[-1]["b"]


def loss_fn(params, x, y):
    logp = jax.nn.log_softmax(predict(params, x))
    return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))


def adam_init(params):
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
    return {"m": zeros, "v": zeros, "t": jnp.zeros((), jnp.int32)}


def adam_update(params, grads, state, lr=LEARNING_RATE, b1=0.9, b2=0.999, eps=1e-8):
    """Adam (Kingma and Ba, 2015) over any pytree of parameters, its bias corrections folded into the step size."""
    t = state["t"] + 1
    m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, state["m"], grads)
    v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, state["v"], grads)
    scale = lr * jnp.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    params = jax.tree_util.tree_map(lambda p, m, v: p - scale * m / (jnp.sqrt(v) + eps), params, m, v)
    return params, {"m": m, "v": v, "t": t}


@jax.jit
def train_step(params, opt_state, x_train, y_train):
    """One Adam step on the next minibatch of the (shuffled) training set."""
    start = opt_state["t"] % (x_train.shape[0] // BATCH) * BATCH
    x, y = (lax.dynamic_slice_in_dim(a, start, BATCH) for a in (x_train, y_train))
    loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
    params, opt_state = adam_update(params, grads, opt_state)
    return params, opt_state, loss


@jax.jit
def accuracy(params, x, y):
    return jnp.mean(jnp.argmax(predict(params, x), axis=1) == y)


def predict_digit(params, image):
    """Class probabilities for one 8x8 image of 0..16 intensities (a drawing, downsampled)."""
    x = jnp.asarray(image, jnp.float32).reshape(1, 64) / 16.0
    return jax.nn.softmax(predict(params, x))[0]


def train(data, steps=300, seed=0, every=25):
    """Yields (step, loss, test accuracy, params) every `every` steps."""
    x_train, y_train, x_test, y_test = data
    key, init_key = jax.random.split(jax.random.PRNGKey(seed))
    params = init_params(init_key)
    opt_state = adam_init(params)
    per_epoch = x_train.shape[0] // BATCH
    for step in range(1, steps + 1):
        if (step - 1) % per_epoch == 0:  # a new epoch: a new order of the training set
            order = jax.random.permutation(jax.random.fold_in(key, step), x_train.shape[0])
            x_epoch, y_epoch = x_train[order], y_train[order]
        params, opt_state, loss = train_step(params, opt_state, x_epoch, y_epoch)
        if step % every == 0 or step == steps:
            yield step, float(loss), float(accuracy(params, x_test, y_test)), params


def main():
    data = load(Path(__file__).resolve().parent.parent / "website" / "demos" / "digits" / "digits.npz")
    t0 = time.perf_counter()
    for step, loss, acc, _ in train(data):
        print(f"step {step:4d}  loss {loss:.4f}  test accuracy {acc:.1%}")
    print(f"{time.perf_counter() - t0:.1f} s on {jax.default_backend()}")


if __name__ == "__main__":
    main()
