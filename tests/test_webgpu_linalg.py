"""The webgpu device's Cholesky routine (backends/webgpu/linalg.py): cholesky_p for float32 as
staged WGSL kernels, batched, not on the host; JAX's NaN for matrices that are not positive
definite. webgpu exists only inside Pyodide."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp

if "webgpu" not in [d.platform for d in jax.devices()]:
    pytest.skip("no webgpu device", allow_module_level=True)

GPU = jax.devices("webgpu")[0]
CPU = jax.devices("cpu")[0]
RNG = np.random.default_rng(0)


def _spd(shape, n):
    a = RNG.standard_normal((*shape, n, n))
    return (a @ np.swapaxes(a, -1, -2) / n + np.eye(n)).astype(np.float32)


def _on_gpu(fn, *args):
    before = dict(GPU.host_fallbacks)
    out = fn(*[jax.device_put(a, GPU) for a in args])
    host = np.asarray(out)
    assert out.device == GPU and out.dtype == np.float32
    assert dict(GPU.host_fallbacks) == before, f"host fallbacks: {dict(GPU.host_fallbacks)} vs {before}"
    return host


@pytest.mark.parametrize("shape,n", [((), 1), ((), 5), ((3,), 16), ((2, 2), 33), ((), 130)])
def test_cholesky_matches_numpy(shape, n):
    a = _spd(shape, n)
    got = _on_gpu(jnp.linalg.cholesky, a)
    want = np.linalg.cholesky(a.astype(np.float64))
    np.testing.assert_allclose(got, want, rtol=2e-5 * np.sqrt(n), atol=2e-5 * np.sqrt(n))
    assert np.all(np.triu(got, 1) == 0)


def test_not_positive_definite_is_nan_as_in_jax():
    a = _spd((3,), 6)
    a[1, 4, 4] = -50.0  # fails at the 5th column: the whole lower triangle of that matrix is NaN
    a[2, 5, 5] = -1.0  # fails at the last column
    got = _on_gpu(lambda x: jax.lax.linalg.cholesky(x, symmetrize_input=False), a)
    want = np.asarray(jax.lax.linalg.cholesky(jax.device_put(a, CPU), symmetrize_input=False))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    assert np.isnan(got[1:, 5, 0]).all() and not np.isnan(got[0]).any()
    assert np.isnan(got[1][np.tril_indices(6)]).all() and np.all(np.triu(got[1], 1) == 0)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-5)


def test_one_dispatch_per_column_for_large_matrices(monkeypatch):
    from jaxlite._src.backends.webgpu import linalg  # the routine's two launch shapes give one answer
    monkeypatch.setattr(linalg, "MATRIX_MAX", 4)
    a = _spd((2,), 24)
    a[1, 7, 7] = -3.0
    got = _on_gpu(lambda x: jax.lax.linalg.cholesky(x, symmetrize_input=False), a)
    np.testing.assert_allclose(got[0], np.linalg.cholesky(a[0].astype(np.float64)), rtol=1e-5, atol=1e-5)
    assert np.isnan(got[1][np.tril_indices(24)]).all()


def test_under_jit_vmap_and_empty():
    a = _spd((4,), 8)
    got = _on_gpu(jax.jit(jax.vmap(jnp.linalg.cholesky)), a)
    np.testing.assert_allclose(got, np.linalg.cholesky(a.astype(np.float64)), rtol=1e-5, atol=1e-5)
    assert _on_gpu(jnp.linalg.cholesky, np.zeros((2, 0, 0), np.float32)).shape == (2, 0, 0)
