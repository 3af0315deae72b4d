"""jax.numpy's scalar types (jnp.float32, jnp.bool, jnp.double, ...: calling one gives an Array),
jnp.fromfunction's mapped keyword arguments, and weighted quantiles (method='inverted_cdf')."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite._src.array import Array

from conftest import assert_close, needs_jax, real_jnp

_NAMES = ["bool", "bool_", "single", "double", "uint", "csingle", "cdouble", "float32", "int8", "uint16",
          "float16", "complex64", "int64", "float_", "int_", "complex_"]


@pytest.mark.parametrize("name", _NAMES)
def test_scalar_type_call_gives_array(name):
    t = getattr(jnp, name)
    x = t(1)
    assert isinstance(x, Array) and x.shape == () and not x.weak_type
    assert x.dtype == jax.dtypes.canonicalize_dtype(t.dtype)
    assert t([1, 0]).shape == (2,)
    assert np.dtype(t) == t.dtype and jnp.dtype(t) == t.dtype
    assert t == t.dtype.type and hash(t) == hash(t.dtype.type)
    assert pickle.loads(pickle.dumps(t)) is t


def test_aliases_are_the_same_objects():
    assert jnp.bool is jnp.bool_ and jnp.single is jnp.float32 and jnp.double is jnp.float64
    assert jnp.uint is jnp.uint64 and jnp.csingle is jnp.complex64 and jnp.cdouble is jnp.complex128
    assert repr(jnp.double) == "<class 'jaxlite.numpy.float64'>" and jnp.bool.__name__ == "bool"


def test_double_follows_x64():
    assert jnp.double(1.5).dtype == np.float32 and jnp.uint(7).dtype == np.uint32
    assert jnp.array(1, jnp.double).dtype == np.float32 and jnp.ones(2).astype(jnp.uint).dtype == np.uint32
    jax.config.update("jax_enable_x64", True)
    assert jnp.double(1.5).dtype == np.float64 and jnp.cdouble(1j).dtype == np.complex128
    assert jnp.uint(7).dtype == np.uint64


def test_isinstance_and_issubdtype():
    assert isinstance(np.float32(1), jnp.single) and not isinstance(jnp.float32(1), jnp.single)
    assert not isinstance(True, jnp.bool) and isinstance(np.bool_(True), jnp.bool)  # as in JAX
    assert isinstance(np.float64(1), jnp.double)
    assert jnp.issubdtype(jnp.double, jnp.floating) and np.issubdtype(jnp.single, np.floating)
    assert jnp.issubdtype(jnp.uint, jnp.unsignedinteger) and not jnp.issubdtype(jnp.bool, jnp.number)
    assert jnp.zeros(2, jnp.csingle).dtype == np.complex64 and jnp.zeros(2).dtype == jnp.single
    assert {jnp.float32: 1}[np.float32] == 1
    assert jnp.finfo(jnp.single).bits == 32 and jnp.iinfo(jnp.uint8).max == 255


def test_scalar_types_under_transformations():
    assert_close(jax.jit(lambda x: jnp.double(x) * 2)(3), np.float32(6))
    assert_close(jax.grad(lambda x: jnp.single(x) * 2)(1.0), np.float32(2))
    assert_close(jax.vmap(lambda x: jnp.int32(x) + 1)(jnp.arange(3.0)), np.array([1, 2, 3], np.int32))
    assert jnp.bool([0, 2]).tolist() == [False, True] and jnp.float32("1.5") == 1.5
    with pytest.raises(OverflowError):
        jnp.uint8(300)


# ---- fromfunction ---------------------------------------------------------------------------------

def test_fromfunction_maps_keyword_arguments():
    k = jnp.arange(6.0).reshape(2, 3)
    out = jnp.fromfunction(lambda i, j, k: i + j * k, (2, 3), k=k)
    assert_close(out, np.array([[0.0, 1.0, 4.0], [1.0, 5.0, 11.0]], np.float32))
    out = jax.jit(lambda k: jnp.fromfunction(lambda i, j, k: i * k, (2, 3), k=k))(k)
    assert_close(out, np.array([[0, 0, 0], [3, 4, 5]], np.float32))
    for bad in (10, jnp.arange(6.0).reshape(3, 2)):
        with pytest.raises(ValueError):
            jnp.fromfunction(lambda i, j, k: i + j * k, (2, 3), k=bad)


# ---- weighted quantiles ---------------------------------------------------------------------------

_A = np.array([[1.0, 3.0, 2.0, 7.0], [4.0, np.nan, 0.0, 5.0]], np.float32)
_W = np.array([[1.0, 2.0, 1.0, 1.0], [3.0, 1.0, 0.5, 1.0]], np.float32)


def test_weighted_nanquantile_recorded():
    q = jnp.array([0.1, 0.5, 0.9])
    assert_close(jnp.nanquantile(_A, q, axis=1, method="inverted_cdf", weights=_W),
                 np.array([[1.0, 0.0], [3.0, 4.0], [7.0, 5.0]], np.float32))
    assert_close(jnp.nanpercentile(_A, q * 100, method="inverted_cdf", weights=_W),
                 np.array([1.0, 4.0, 7.0], np.float32))
    assert_close(jnp.quantile(_A, q, axis=1, method="inverted_cdf", weights=_W),
                 np.array([[1.0, np.nan], [3.0, np.nan], [7.0, np.nan]], np.float32))
    assert_close(jnp.nanquantile(_A, 0.5, axis=1, method="inverted_cdf", weights=_W[0]),
                 np.array([3.0, 4.0], np.float32))
    assert_close(jnp.nanquantile(_A, 0.5, axis=1, method="inverted_cdf", weights=-_W), np.full(2, np.nan, np.float32))
    f = jax.jit(lambda a, w: jnp.nanquantile(a, 0.5, axis=1, keepdims=True, method="inverted_cdf", weights=w))
    assert_close(f(_A, _W), np.array([[3.0], [4.0]], np.float32))


@pytest.mark.parametrize("call, exc", [
    (lambda: jnp.nanquantile(_A, 0.5, axis=1, weights=_W), NotImplementedError),
    (lambda: jnp.percentile(_A, 50, axis=1, method="nearest", weights=_W), NotImplementedError),
    (lambda: jnp.quantile(_A, 0.5, axis=1, method="closest_observation"), ValueError),
    (lambda: jnp.nanquantile(_A, 0.5, axis=1, method="inverted_cdf", weights=_W[:, :3]), ValueError),
    (lambda: jnp.quantile(_A, 0.5, method="inverted_cdf", weights=_W[0]), ValueError)])
def test_weighted_quantile_errors(call, exc):
    with pytest.raises(exc):
        call()


@needs_jax
@pytest.mark.parametrize("fn", ["quantile", "nanquantile", "percentile", "nanpercentile"])
@pytest.mark.parametrize("axis, keepdims", [(None, False), ((0, 2), True)])
def test_inverted_cdf_matches_jax(fn, axis, keepdims):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4, 5)).astype(np.float32)
    a[1, 2, 3] = np.nan
    w = rng.uniform(0, 2, a.shape).astype(np.float32)
    q = np.array([0.0, 0.3, 1.0], np.float32) * (100 if "per" in fn else 1)
    for weights in (None, w):
        got = getattr(jnp, fn)(a, q, axis=axis, keepdims=keepdims, method="inverted_cdf", weights=weights)
        want = getattr(real_jnp, fn)(a, q, axis=axis, keepdims=keepdims, method="inverted_cdf", weights=weights)
        assert_close(got, want)
