"""jnp.add, jnp.maximum and the other functions JAX makes `jnp.ufunc` objects: calls, and their
reduce/accumulate/at/outer/reduceat methods, against real JAX (values, dtypes, error types)."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from conftest import assert_close, needs_jax, real_jnp

X = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
I = np.array([[1, 0, 3], [5, 6, 2]], np.int32)
B = np.array([True, False, True])
NAMES = ["add", "multiply", "subtract", "maximum", "minimum", "bitwise_and", "bitwise_or", "bitwise_xor",
         "logical_and", "logical_or", "logical_xor", "logaddexp", "logaddexp2", "negative"]

CASES = {
    "add.reduce": lambda m: m.add.reduce(X, axis=1),
    "add.reduce_all": lambda m: m.add.reduce(X, axis=None),
    "add.reduce_where": lambda m: m.add.reduce(X, axis=1, where=np.array([True, False, True])),
    "add.accumulate": lambda m: m.add.accumulate(X, axis=1),
    "add.at": lambda m: m.add.at(np.zeros(4, np.float32), np.array([0, 0, 2]), 1.0, inplace=False),
    "add.at_bool": lambda m: m.add.at(np.zeros(3, bool), np.array([0, 0]), True, inplace=False),
    "add.reduceat": lambda m: m.add.reduceat(np.arange(8.0, dtype=np.float32), np.array([0, 4, 1, 5])),
    "multiply.outer": lambda m: m.multiply.outer(np.arange(3), np.arange(2)),
    "multiply.reduce": lambda m: m.multiply.reduce(X, axis=0),
    "multiply.accumulate": lambda m: m.multiply.accumulate(X),
    "multiply.at": lambda m: m.multiply.at(np.ones(3, np.float32), np.array([1, 1]), 3.0, inplace=False),
    "subtract.at": lambda m: m.subtract.at(np.ones(3, np.float32), np.array([1, 1]), 3.0, inplace=False),
    "subtract.accumulate": lambda m: m.subtract.accumulate(X, axis=1),
    "maximum.reduce": lambda m: m.maximum.reduce(X, axis=1, keepdims=True),
    "maximum.initial": lambda m: m.maximum.reduce(X, axis=0, initial=4.0),
    "minimum.accumulate": lambda m: m.minimum.accumulate(X, axis=1),
    "bitwise_and.reduce": lambda m: m.bitwise_and.reduce(I, axis=1),
    "bitwise_or.reduce": lambda m: m.bitwise_or.reduce(I, axis=0),
    "bitwise_xor.reduce": lambda m: m.bitwise_xor.reduce(I, axis=1),
    "logical_and.reduce": lambda m: m.logical_and.reduce(B),
    "logical_and.initial": lambda m: m.logical_and.reduce(B, initial=False),
    "logical_or.reduce": lambda m: m.logical_or.reduce(B),
    "logical_xor.reduce": lambda m: m.logical_xor.reduce(B),
    "logaddexp.reduce": lambda m: m.logaddexp.reduce(X, axis=1),
    "logaddexp2.reduce": lambda m: m.logaddexp2.reduce(X, axis=1),
    "logaddexp.accumulate": lambda m: m.logaddexp.accumulate(X, axis=1),
    "negative.call": lambda m: m.negative(X),
}
ERRORS = {
    "negative.reduce": lambda m: m.negative.reduce(X),  # not binary
    "add.at_inplace": lambda m: m.add.at(np.zeros(3), np.array([0]), 1.0),  # arrays are immutable
    "maximum.empty": lambda m: m.maximum.reduce(np.zeros((0,), np.float32)),  # no identity
}


@needs_jax
@pytest.mark.parametrize("case", list(CASES))
def test_ufunc_methods_match_jax(case):
    assert_close(CASES[case](jnp), CASES[case](real_jnp), rtol=1e-5)


@needs_jax
@pytest.mark.parametrize("case", list(ERRORS))
def test_ufunc_method_errors_match_jax(case):
    with pytest.raises(Exception) as theirs:
        ERRORS[case](real_jnp)
    with pytest.raises(type(theirs.value)):
        ERRORS[case](jnp)


def test_the_functions_are_ufuncs_with_numpys_attributes():
    for name in NAMES:
        f = getattr(jnp, name)
        assert isinstance(f, jnp.ufunc), name
        assert f.__name__ == name and repr(f) == f"<jnp.ufunc '{name}'>"
    assert (jnp.add.nin, jnp.add.nout, jnp.negative.nin) == (2, 1, 1)
    assert (jnp.add.identity, jnp.multiply.identity, jnp.bitwise_and.identity, jnp.maximum.identity) == (0, 1, -1, None)
    assert jnp.logaddexp.identity == -np.inf


def test_ufunc_calls_under_transformations():
    x = jnp.asarray(X)
    assert_close(jax.jit(jnp.add)(x, 1.0), X + 1)
    assert_close(jax.jit(lambda v: jnp.add.reduce(v, axis=0))(x), X.sum(0))
    assert_close(jax.vmap(jnp.maximum, (0, None))(x, 3.0), np.maximum(X, 3.0))
    assert_close(jax.grad(lambda v: jnp.multiply.reduce(v, axis=None))(x), X.prod() / X)
    assert_close(jax.grad(lambda v: jnp.add.at(v, np.array([0, 0]), v[1], inplace=False).sum())(jnp.arange(3.0)),
                 np.array([1.0, 3.0, 1.0], np.float32))
