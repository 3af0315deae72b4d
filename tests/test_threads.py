"""Threads (issue 12, item 3): the trace state is per thread and the wasm device serialises what
its kernels share, so jit, grad, vmap and eager ops run from several Python threads at once and
each gets the single-threaded answer."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp

DEVICES = [d for d in jax.devices() if d.platform in ("cpu", "wasm")]
pytestmark = pytest.mark.skipif(sys.platform == "emscripten", reason="no threads in Pyodide")


def _loss(w, x):
    return jnp.sum(jnp.tanh(x @ w) ** 2) + 0.1 * jnp.sum(w * w)


_step = jax.jit(lambda w, x: w - 0.1 * jax.grad(_loss)(w, x))


def _work(k, rounds):
    """Eager ops, jit, grad and vmap, with a fresh trace (new shape) now and then."""
    rng = np.random.default_rng(k)
    x = jnp.asarray(rng.standard_normal((8, 5)).astype(np.float32))
    w = jnp.asarray(rng.standard_normal((5, 3)).astype(np.float32))
    out = []
    for r in range(rounds):
        w = _step(w, x)  # jit of grad
        g = jax.grad(_loss)(w, x)  # eager grad
        v = jax.vmap(lambda row: jnp.sum(row * row))(x)  # eager vmap
        fresh = jax.jit(lambda a: jnp.cumsum(a * 2.0) + a.shape[0])(jnp.arange(float(3 + (k + r) % 4)))
        out.append((np.asarray(w), np.asarray(g), np.asarray(v), np.asarray(fresh)))
    return out


def _run_threads(n, fn):
    results, errors = [None] * n, []

    def target(k):
        try:
            results[k] = fn(k)
        except BaseException as e:  # noqa: BLE001 - reported below with its thread
            errors.append((k, e))

    threads = [threading.Thread(target=target, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert not errors, errors
    return results


@pytest.mark.parametrize("dev", DEVICES, ids=lambda d: d.platform)
@pytest.mark.parametrize("n", [2, 4])
def test_threads_match_single_thread(dev, n):
    with jax.default_device(dev):
        want = [_work(k, 3) for k in range(n)]
    got = _run_threads(n, lambda k: _with_device(dev, _work, k, 3))
    for w_thread, g_thread in zip(want, got):
        for a, b in zip(w_thread, g_thread):
            for x, y in zip(a, b):
                np.testing.assert_allclose(y, x, rtol=1e-5, atol=1e-5)


def _with_device(dev, fn, *args):
    with jax.default_device(dev):
        return fn(*args)


@pytest.mark.parametrize("dev", DEVICES, ids=lambda d: d.platform)
def test_tracing_in_one_thread_does_not_leak_into_another(dev):
    """One thread stays inside a jit trace while another runs grad eagerly (which needs concrete
    values): the other thread must not see the first one's trace."""
    inside, release = threading.Event(), threading.Event()

    def tracer_thread(_):
        def f(x):
            inside.set()
            release.wait(30)
            return x * 2.0
        with jax.default_device(dev):
            return np.asarray(jax.jit(f)(jnp.ones(3)))

    def grad_thread(_):
        inside.wait(30)
        try:
            with jax.default_device(dev):
                # a Python branch on a concrete value: fails if this thread saw the other's trace
                g = jax.grad(lambda x: x ** 3 if float(jnp.sum(jnp.ones(1))) > 0 else x)(2.0)
                return float(g)
        finally:
            release.set()

    results = _run_threads(2, lambda k: (tracer_thread, grad_thread)[k](k))
    assert results[0].tolist() == [2.0, 2.0, 2.0]
    assert results[1] == 12.0


def test_default_device_is_per_thread():
    base = jnp.ones(1).device
    others = [d for d in DEVICES if d != base]
    if not others:
        pytest.skip("needs two devices")
    seen = []
    with jax.default_device(others[0]):
        t = threading.Thread(target=lambda: seen.append(jnp.ones(2).device))
        t.start()
        t.join()
        assert jnp.ones(2).device == others[0]
    assert seen == [base]
