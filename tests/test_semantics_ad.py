"""Issue 12, items 9, 10, 12, 14: Python control flow on concrete jvp values, grad of grad of a
custom_vjp whose forward loops, jit results as Arrays, bounded jit caches."""

import gc

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import lax
from conftest import assert_close, needs_jax, real_jax, real_jnp


def _abs_branch(np_):
    return lambda x: x if x > 0 else -x


@needs_jax
@pytest.mark.parametrize("x", [-2.0, 3.0])
def test_grad_python_branch_on_concrete_input(x):
    # JVP tracers of concrete values are concrete outside jit, so `if x > 0` works.
    assert_close(jax.grad(_abs_branch(jnp))(x), real_jax.grad(_abs_branch(real_jnp))(x))
    cube = lambda x: x ** 3 if x > 0 else -x
    assert_close(jax.hessian(cube)(x), real_jax.hessian(cube)(x))
    out, tangent = jax.jvp(_abs_branch(jnp), (x,), (1.0,))
    r_out, r_tangent = real_jax.jvp(_abs_branch(real_jnp), (x,), (1.0,))
    assert_close(out, r_out)
    assert float(tangent) == float(r_tangent)


@needs_jax
def test_concrete_conversions_match_jax():
    def convert(jx, how):
        seen = []

        def f(x):
            seen.append(how(x))
            return x * 2.0
        jx.grad(f)(3.0)
        return seen[0]

    for how in (lambda x: bool(x > 0), int, lambda x: x.item(), lambda x: [1, 2, 3, 4, 5][x.astype(int)]):
        assert convert(jax, how) == convert(real_jax, how)
    # As JAX: float() and complex() still refuse (they would silently drop the derivative).
    for how in (float, complex):
        with pytest.raises(jax.errors.ConcretizationTypeError):
            convert(jax, how)
        with pytest.raises(real_jax.errors.ConcretizationTypeError):
            convert(real_jax, how)


def test_branch_on_traced_value_still_raises():
    f = _abs_branch(jnp)
    with pytest.raises(jax.errors.TracerBoolConversionError):
        jax.jit(jax.grad(f))(1.0)
    with pytest.raises(jax.errors.TracerBoolConversionError):
        jax.vmap(jax.grad(f))(jnp.ones(2))


def _newton_sqrt(np_, jx):
    @jx.custom_vjp
    def sqrt(a):
        return jx.lax.while_loop(lambda x: np_.abs(x * x - a) > 1e-6, lambda x: 0.5 * (x + a / x), a)

    def fwd(a):
        y = sqrt(a)
        return y, y

    def bwd(y, g):
        return (g / (2 * y),)

    sqrt.defvjp(fwd, bwd)
    return sqrt


@needs_jax
def test_grad_of_grad_custom_vjp_with_while_loop_forward():
    mine, theirs = _newton_sqrt(jnp, jax), _newton_sqrt(real_jnp, real_jax)
    for tr, rtr in [(lambda f: jax.grad(jax.grad(f)), lambda f: real_jax.grad(real_jax.grad(f))),
                    (lambda f: jax.jit(jax.grad(jax.grad(f))), lambda f: real_jax.jit(real_jax.grad(real_jax.grad(f)))),
                    (lambda f: jax.grad(jax.grad(jax.grad(f))),
                     lambda f: real_jax.grad(real_jax.grad(real_jax.grad(f))))]:
        assert_close(tr(mine)(2.0), rtr(theirs)(2.0), rtol=1e-4)


def test_grad_of_grad_custom_vjp_matches_closed_form():
    sqrt = _newton_sqrt(jnp, jax)
    assert_close(jax.grad(jax.grad(sqrt))(2.0), np.float32(-0.25 * 2.0 ** -1.5), rtol=1e-4)


@needs_jax
@pytest.mark.parametrize("f, arg", [
    (lambda x: x, 1.0), (lambda x: x, 1), (lambda x: x, True), (lambda x: (x, 2.0, 3), 1),
    (lambda x: x, np.ones(2)), (lambda x: {"a": x}, np.int8(3)),
])
def test_jit_returns_arrays_with_jax_types(f, arg):
    out, ref = jax.jit(f)(arg), real_jax.jit(f)(arg)
    leaves, ref_leaves = jax.tree_util.tree_leaves(out), real_jax.tree_util.tree_leaves(ref)
    for a, b in zip(leaves, ref_leaves, strict=True):
        assert isinstance(a, jax.Array)
        assert_close(a, b)
        assert a.weak_type == b.weak_type


@needs_jax
def test_grad_keeps_weak_type_of_python_scalar_input():
    for f, rf in ((lambda x: x * 2, lambda x: x * 2), (jnp.sin, real_jnp.sin)):
        g, rg = jax.grad(f)(1.0), real_jax.grad(rf)(1.0)
        assert g.weak_type == rg.weak_type
    assert not jax.grad(lambda x: x * 2)(jnp.float32(1)).weak_type


def test_jit_cache_is_bounded_and_frees_evicted_entries():
    f = jax.jit(lambda x: x * 2.0 + 1.0)
    old = jax.config.read("jaxlite_jit_cache_size")
    jax.config.update("jaxlite_jit_cache_size", 8)
    try:
        for n in range(1, 41):
            assert_close(f(jnp.ones(n)), np.full(n, 3.0, np.float32))
        assert f._cache_size() <= 8 and len(f._flat_cache) <= 8
        # The most recent shapes stay cached: calling them again traces nothing.
        traces = []
        g = jax.jit(lambda x: (traces.append(1), x + 1)[1])
        for n in (1, 2, 1, 2, 3):
            g(jnp.ones(n))
        assert len(traces) == 3
        gc.collect()
        buffers = jax.live_buffers()
        h = jax.jit(lambda x: x + jnp.arange(x.shape[0], dtype=np.float32))
        for n in range(100, 120):
            h(jnp.ones(n))
        del n
        gc.collect()
        assert jax.live_buffers() <= buffers + 8 * 2  # evicted traces dropped their constants
    finally:
        jax.config.update("jaxlite_jit_cache_size", old)


def test_jit_cache_default_bound():
    f = jax.jit(lambda x: x)
    for n in range(300):
        f(np.zeros(n, np.float32))
    assert f._cache_size() <= jax.config.read("jaxlite_jit_cache_size") < 300


@needs_jax
@pytest.mark.parametrize("name", ["jax_remat3", "jax_explain_cache_misses", "jax_log_compiles",
                                  "jax_compilation_cache_dir", "jax_threefry_partitionable"])
def test_config_options_jax_accepts(name):
    value = real_jax.config.values[name]
    jax.config.update(name, value)
    assert jax.config.read(name) == value
    with pytest.raises(AttributeError):
        jax.config.update("jax_not_an_option", True)


def test_jaxpr_fields_have_jax_names():
    closed = jax.make_jaxpr(lambda x, y: x * 2.0 + y)(1.0, np.ones(3, np.float32))
    jaxpr = closed.jaxpr
    assert closed.literals == closed.consts
    assert len(jaxpr.invars) == 2 and jaxpr.constvars == [] and jaxpr.outvars == jaxpr.outs
    assert [e.primitive.name for e in closed.eqns] == [e.primitive.name for e in jaxpr.eqns]
    assert jaxpr.eqns[0].invars[0] is jaxpr.invars[0] and jaxpr.eqns[-1].outvars == jaxpr.outvars
    const = np.arange(3.0, dtype=np.float32)
    with_const = jax.make_jaxpr(lambda x: x + jnp.asarray(const) * 2)(np.ones(3, np.float32))
    assert len(with_const.jaxpr.constvars) == len(with_const.literals)
    assert len(with_const.jaxpr.invars) == 1


def test_dict_keys_that_do_not_sort_raise_value_error():
    with pytest.raises(ValueError, match="sorting pytree dictionary keys"):
        jax.tree_util.tree_flatten({1: 2, "a": 3})
