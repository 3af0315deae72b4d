"""NumPy indexing and .at[] updates against numpy, with hypothesis-generated indices."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import jaxlite as jax
import jaxlite.numpy as jnp

from conftest import assert_close

SHAPE = (4, 5, 3)
X = np.arange(np.prod(SHAPE), dtype=np.float32).reshape(SHAPE)


def _slice(n):
    return st.builds(slice, st.one_of(st.none(), st.integers(-n - 1, n + 1)),
                     st.one_of(st.none(), st.integers(-n - 1, n + 1)),
                     st.one_of(st.none(), st.integers(-3, 3).filter(lambda s: s != 0)))


def _entry(n):
    return st.one_of(
        st.integers(-n, n - 1), _slice(n),
        st.lists(st.integers(-n, n - 1), min_size=1, max_size=3).map(lambda l: np.array(l)),
        st.just(None))


@st.composite
def index_tuples(draw):
    k = draw(st.integers(0, 3))
    # Sizes valid on every axis (the smallest is 3), wherever an Ellipsis shifts an entry to.
    entries = [draw(_entry(min(SHAPE))) for i in range(k)]
    if draw(st.booleans()) and k < 3:
        entries.insert(draw(st.integers(0, len(entries))), Ellipsis)
    return tuple(entries)


@settings(max_examples=150, deadline=None)
@given(index_tuples())
def test_getitem_matches_numpy(idx):
    try:
        want = X[idx]
    except IndexError:  # e.g. index arrays that do not broadcast
        with pytest.raises((IndexError, ValueError)):
            jnp.asarray(X)[idx]
        return
    got = jnp.asarray(X)[idx]
    assert got.shape == want.shape
    np.testing.assert_array_equal(np.asarray(got), want)


@settings(max_examples=80, deadline=None)
@given(index_tuples())
def test_at_set_and_add_match_numpy(idx):
    try:
        positions = np.arange(X.size).reshape(SHAPE)[idx]
    except IndexError:
        return
    vals = np.arange(np.size(positions), dtype=np.float32).reshape(np.shape(positions)) + 1000
    added = X.copy()
    np.add.at(added, idx, vals)  # accumulates duplicates, as .at[].add does
    np.testing.assert_array_equal(np.asarray(jnp.asarray(X).at[idx].add(vals)), added)
    if len(np.unique(positions)) == np.size(positions):  # .set with duplicates picks any writer
        want = X.copy()
        want[idx] = vals
        np.testing.assert_array_equal(np.asarray(jnp.asarray(X).at[idx].set(vals)), want)


def test_boolean_mask_indexing_and_errors():
    x = jnp.asarray(X)
    mask = X[..., 0] > 20
    assert_close(x[mask], X[mask])
    assert_close(x[X > 50], X[X > 50])
    with pytest.raises(jax.errors.NonConcreteBooleanIndexError):
        jax.jit(lambda v: v[v > 3])(x)
    assert_close(x[7], X[-1])  # out-of-bounds reads clamp in JAX (it used to raise here)
    with pytest.raises(IndexError, match="out of bounds"):
        jnp.zeros(0)[0]
    with pytest.raises(IndexError, match="Too many indices"):
        x[0, 0, 0, 0]
    with pytest.raises(TypeError, match="string indexing"):
        x["a"]


def test_at_accumulates_duplicates_and_drops_out_of_bounds():
    x = jnp.zeros(4)
    assert x.at[jnp.array([0, 0, 2])].add(1.0).tolist() == [2.0, 0.0, 1.0, 0.0]
    assert x.at[jnp.array([1, 9])].set(5.0).tolist() == [0.0, 5.0, 0.0, 0.0]
    assert jnp.ones(3).at[1].multiply(4.0).tolist() == [1.0, 4.0, 1.0]
    assert jnp.arange(4.0).at[jnp.array([0, 3])].max(2.0).tolist() == [2.0, 1.0, 2.0, 3.0]
    assert jnp.arange(4.0).at[:2].min(0.5).tolist() == [0.0, 0.5, 2.0, 3.0]
    assert jnp.arange(4.0).at[jnp.array([5])].get(mode="fill", fill_value=-1.0).tolist() == [-1.0]
    assert jnp.arange(4.0)[jnp.array([9])].tolist() == [3.0]  # gathers clamp


def test_traced_indices_under_jit_and_grad():
    f = jax.jit(lambda x, i: x[i, 1:] * 2)
    assert_close(f(jnp.asarray(X[:, :, 0]), 2), X[2, 1:, 0] * 2)
    g = jax.grad(lambda x: (x[jnp.array([0, 0, 2])] ** 2).sum())(jnp.arange(3.0))
    assert g.tolist() == [0.0, 0.0, 4.0]
    g = jax.grad(lambda x: x.at[1].set(0.0).sum() + x[1] * 3)(jnp.ones(3))
    assert g.tolist() == [1.0, 3.0, 1.0]
    vm = jax.vmap(lambda row, i: row[i])(jnp.asarray(X[:, :, 0]), jnp.array([0, 1, 2, 3]))
    assert vm.tolist() == [X[k, k, 0] for k in range(4)]


def test_dynamic_scalar_update_in_loop():
    def body(i, x):
        return x.at[i].set(i * 2.0)
    out = jax.lax.fori_loop(0, 4, body, jnp.zeros(4))
    assert out.tolist() == [0.0, 2.0, 4.0, 6.0]
