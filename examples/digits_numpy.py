"""The digits MLP of digits.py trained with plain numpy: backpropagation and Adam written by hand.

The baseline for jaxlite's training speed (numpy in Pyodide against jaxlite wasm/webgpu in the same
page): the same network (64-128-10, ReLU, softmax cross-entropy), minibatches (shuffled every epoch),
optimizer and data.
`python examples/digits_numpy.py` trains it in CPython.
"""

import io
import time
from pathlib import Path

import numpy as np

SIZES = (64, 128, 10)
BATCH = 128
LEARNING_RATE = 3e-3


def load(source):
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(source)
    with np.load(source) as f:
        return (f["x_train"].astype(np.float32) / 16, f["y_train"].astype(np.int64),
                f["x_test"].astype(np.float32) / 16, f["y_test"].astype(np.int64))


def init_params(rng):
    return [{"w": (rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(np.float32),
             "b": np.zeros(n_out, np.float32)} for n_in, n_out in zip(SIZES[:-1], SIZES[1:])]


def predict(params, x):
    h = np.maximum(x @ params[0]["w"] + params[0]["b"], 0)
    return h @ params[1]["w"] + params[1]["b"], h


def loss_and_grads(params, x, y):
    logits, h = predict(params, x)
    logits = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(len(y)), y]))
    d_logits = p
    d_logits[np.arange(len(y)), y] -= 1
    d_logits /= len(y)
    d_h = (d_logits @ params[1]["w"].T) * (h > 0)
    grads = [{"w": x.T @ d_h, "b": d_h.sum(0)}, {"w": h.T @ d_logits, "b": d_logits.sum(0)}]
    return loss, grads


def adam_step(params, grads, state, lr=LEARNING_RATE, b1=0.9, b2=0.999, eps=1e-8):
    state["t"] += 1
    t = state["t"]
    scale = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    for p, g, m, v in zip(params, grads, state["m"], state["v"]):
        for k in p:
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            v[k] = b2 * v[k] + (1 - b2) * g[k] * g[k]
            p[k] = p[k] - (scale * m[k] / (np.sqrt(v[k]) + eps)).astype(np.float32)


def train(data, steps=300, seed=0, every=25):
    """Yields (step, loss, test accuracy, params) every `every` steps, like digits.train."""
    x_train, y_train, x_test, y_test = data
    rng = np.random.default_rng(seed)
    params = init_params(rng)
    zeros = lambda: [{k: np.zeros_like(a) for k, a in layer.items()} for layer in params]
    state = {"m": zeros(), "v": zeros(), "t": 0}
    per_epoch = len(y_train) // BATCH
    for step in range(1, steps + 1):
        if (step - 1) % per_epoch == 0:
            order = rng.permutation(len(y_train))
        idx = order[(step - 1) % per_epoch * BATCH:][:BATCH]
        loss, grads = loss_and_grads(params, x_train[idx], y_train[idx])
        adam_step(params, grads, state)
        if step % every == 0 or step == steps:
            accuracy = float(np.mean(predict(params, x_test)[0].argmax(1) == y_test))
            yield step, float(loss), accuracy, params


def main():
    data = load(Path(__file__).resolve().parent.parent / "website" / "demos" / "digits" / "digits.npz")
    t0 = time.perf_counter()
    for step, loss, acc, _ in train(data):
        print(f"step {step:4d}  loss {loss:.4f}  test accuracy {acc:.1%}")
    print(f"{time.perf_counter() - t0:.2f} s with numpy")


if __name__ == "__main__":
    main()
