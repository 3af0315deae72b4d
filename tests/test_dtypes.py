"""Type promotion: every pair of dtypes (strong and weak) against JAX's lattice."""

import itertools

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite._src import dtypes

from conftest import needs_jax, real_jax, real_jnp

DTYPES = [np.bool_, np.int8, np.int16, np.int32, np.uint8, np.uint16, np.uint32, np.float16, np.float32]
PY_SCALARS = [True, 3, 2.5]


def _values(mod):
    vals = [mod.zeros((), dt) for dt in DTYPES]
    return vals + list(PY_SCALARS)


@needs_jax
@pytest.mark.parametrize("x64", [False, True])
def test_promotion_table_matches_jax(x64):
    jax.config.update("jax_enable_x64", x64)
    real_jax.config.update("jax_enable_x64", x64)
    try:
        ours, theirs = _values(jnp), _values(real_jnp)
        for (i, a), (j, b) in itertools.product(enumerate(ours), repeat=2):
            got = jnp.add(a, b) if not (isinstance(a, bool) and isinstance(b, bool)) else None
            want = real_jnp.add(theirs[i], theirs[j]) if got is not None else None
            if got is None:
                continue
            assert got.dtype == want.dtype, (a, b, got.dtype, want.dtype)
            assert got.weak_type == want.weak_type, (a, b, got.weak_type)
    finally:
        real_jax.config.update("jax_enable_x64", False)


def test_weak_types_keep_array_dtype():
    x = jnp.ones(3, jnp.float16)
    assert (2 * x).dtype == np.float16
    assert (x + 1.5).dtype == np.float16
    assert (jnp.ones(3, jnp.int8) + 3).dtype == np.int8
    assert (jnp.ones(3, jnp.int32) * 1.5).dtype == np.float32
    assert jnp.asarray(2.0).weak_type and not jnp.asarray(np.float32(2)).weak_type


def test_x64_off_canonicalizes():
    assert jnp.asarray(np.float64(1.0)).dtype == np.float32
    assert jnp.asarray(np.arange(3)).dtype == np.int32
    assert jnp.zeros(2, dtype=jnp.float64).dtype == np.float32


def test_x64_on():
    jax.config.update("jax_enable_x64", True)
    assert jnp.asarray(1.0).dtype == np.float64
    assert jnp.asarray(np.arange(3, dtype=np.int64)).dtype == np.int64
    assert jnp.arange(3).dtype == np.int64  # the default int, whatever numpy's is (int32 on wasm32)
    assert (jnp.ones(2, jnp.float32) + 1.0).dtype == np.float32
    x = jnp.linspace(0, 1, 5, dtype=jnp.float64)
    assert x.dtype == np.float64


def test_promote_types_and_result_type():
    assert jnp.promote_types(np.int8, np.uint8) == np.int16
    assert jnp.promote_types(np.float16, np.int32) == np.float16
    assert jnp.result_type(np.int32, 1.0) == np.float32
    assert dtypes.result_type(np.uint32(1), np.int32(1)) == np.int32  # int64 canonicalized with x64 off


def test_unsupported_dtype_is_type_error():
    with pytest.raises(TypeError, match="dtype"):
        jnp.asarray(np.array(["a"]))
