"""QR, eigh and SVD on the webgpu device run by the wasm device's routines (backends/webgpu/
via_wasm.py): JAX's values (up to the vectors' signs, as on wasm), eagerly and under jit, counted
in `via_wasm.routed` and never as host fallbacks; float64 under x64 goes to the host as before.
webgpu exists only inside Pyodide."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp

if "webgpu" not in [d.platform for d in jax.devices()] or "wasm" not in [d.platform for d in jax.devices()]:
    pytest.skip("needs the webgpu and the wasm devices", allow_module_level=True)

from jaxlite._src.backends.webgpu import via_wasm  # noqa: E402

GPU = jax.devices("webgpu")[0]
RNG = np.random.default_rng(3)


def _run(name, fn, *args):
    """fn on webgpu operands: its results as numpy, after checking that `name` was routed to wasm
    (once per call of the primitive) and nothing ran on the host."""
    before, routed = dict(GPU.host_fallbacks), via_wasm.routed[name]
    outs = fn(*[jax.device_put(a, GPU) for a in args])
    outs = outs if isinstance(outs, tuple) else (outs,)
    assert all(o.device == GPU for o in outs)
    assert dict(GPU.host_fallbacks) == before
    assert via_wasm.routed[name] > routed
    return [np.asarray(o) for o in outs]


def _matches_up_to_sign(got, want, atol):
    """Columns of got equal those of want times +-1."""
    signs = np.sign(np.sum(got * want, axis=-2, keepdims=True))
    np.testing.assert_allclose(got * signs, want, atol=atol)


@pytest.mark.parametrize("shape", [(5, 5), (7, 4), (4, 7), (3, 6, 6)])
@pytest.mark.parametrize("jit", [False, True])
def test_qr(shape, jit):
    a = RNG.standard_normal(shape).astype(np.float32)
    f = jax.jit(jnp.linalg.qr) if jit else jnp.linalg.qr
    q, r = _run("qr", f, a)
    np.testing.assert_allclose(q @ r, a, atol=2e-5)
    np.testing.assert_allclose(np.swapaxes(q, -1, -2) @ q, np.broadcast_to(np.eye(q.shape[-1]), q.shape[:-2] + (q.shape[-1],) * 2), atol=2e-5)
    assert np.allclose(np.tril(r, -1), 0)
    assert q.dtype == r.dtype == np.float32


@pytest.mark.parametrize("shape", [(6, 6), (2, 9, 9)])
def test_eigh(shape):
    x = RNG.standard_normal(shape).astype(np.float32)
    a = (x + np.swapaxes(x, -1, -2)) / 2
    w, v = _run("eigh", lambda m: tuple(jnp.linalg.eigh(m)), a)
    w64, v64 = np.linalg.eigh(a.astype(np.float64))
    np.testing.assert_allclose(w, w64, atol=1e-4)
    _matches_up_to_sign(v, v64, 1e-3)
    (wj,) = _run("eigh", jax.jit(jnp.linalg.eigvalsh), a)
    np.testing.assert_allclose(wj, w64, atol=1e-4)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (2, 5, 5)])
def test_svd(shape):
    a = RNG.standard_normal(shape).astype(np.float32)
    u, s, vt = _run("svd", lambda m: tuple(jnp.linalg.svd(m, full_matrices=False)), a)
    np.testing.assert_allclose(s, np.linalg.svd(a.astype(np.float64), compute_uv=False), atol=1e-4)
    np.testing.assert_allclose((u * s[..., None, :]) @ vt, a, atol=1e-4)
    (sj,) = _run("svd", jax.jit(lambda m: jnp.linalg.svd(m, compute_uv=False)), a)
    np.testing.assert_allclose(sj, s, atol=1e-5)


def test_grad_through_eigh_on_webgpu():
    x = RNG.standard_normal((5, 5)).astype(np.float32)
    a = (x + x.T) / 2
    g = jax.grad(lambda m: jnp.linalg.eigvalsh(m)[-1])(jax.device_put(a, GPU))
    w, v = np.linalg.eigh(a.astype(np.float64))
    np.testing.assert_allclose(np.asarray(g), np.outer(v[:, -1], v[:, -1]), atol=1e-4)
