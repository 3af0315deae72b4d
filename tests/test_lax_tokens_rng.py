"""Tokens (create_token, after_all), lax.rng_bit_generator (XLA's CPU bits for Philox, three-fry and
the default), the collectives' axis_index_groups/`to` errors, dot_general's precision requests and the accuracy= argument: values,
dtypes and exceptions as JAX's. The bits are recorded from JAX 0.10.2 on CPU, so the checks also
run inside Pyodide."""

from __future__ import annotations


import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
from jaxlite import lax

from conftest import assert_close, needs_jax, real_jax

# (key words, algorithm, shape, dtype, new key, bits), from JAX 0.10.2 on CPU (x64 on for uint64).
_RECORDED = [((1, 2, 3, 4), 'RNG_DEFAULT', (), 'uint32', (1, 2, 4, 4), (512747620,)),
 ((1, 2, 3, 4), 'RNG_DEFAULT', (5,), 'uint32', (1, 2, 5, 4),
  (512747620, 1298009047, 1267190206, 761827841, 1383286907)),
 ((1, 2, 3, 4), 'RNG_DEFAULT', (2, 3), 'uint32', (1, 2, 5, 4),
  (512747620, 1298009047, 1267190206, 761827841, 1383286907, 1639995030)),
 ((1, 2, 3, 4), 'RNG_DEFAULT', (3,), 'uint8', (1, 2, 4, 4), (100, 215, 190)),
 ((1, 2, 3, 4), 'RNG_DEFAULT', (3,), 'uint64', (1, 2, 5, 4),
  (5574906407289874532, 3272025663544478142, 7043725020835825787)),
 ((1, 2, 3, 4), 'RNG_DEFAULT', (2, 3), 'uint64', (1, 2, 6, 4),
  (5574906407289874532, 3272025663544478142, 7043725020835825787, 9254853183523022196, 14929923424383677111,
   1344020101939626768)),
 ((1, 2, 3, 4), 'RNG_PHILOX', (), 'uint32', (1, 2, 4, 4), (512747620,)),
 ((1, 2, 3, 4), 'RNG_PHILOX', (5,), 'uint32', (1, 2, 5, 4),
  (512747620, 1298009047, 1267190206, 761827841, 1383286907)),
 ((1, 2, 3, 4), 'RNG_PHILOX', (2, 3), 'uint32', (1, 2, 5, 4),
  (512747620, 1298009047, 1267190206, 761827841, 1383286907, 1639995030)),
 ((1, 2, 3, 4), 'RNG_PHILOX', (3,), 'uint8', (1, 2, 4, 4), (100, 215, 190)),
 ((1, 2, 3, 4), 'RNG_PHILOX', (3,), 'uint64', (1, 2, 5, 4),
  (5574906407289874532, 3272025663544478142, 7043725020835825787)),
 ((1, 2, 3, 4), 'RNG_PHILOX', (2, 3), 'uint64', (1, 2, 6, 4),
  (5574906407289874532, 3272025663544478142, 7043725020835825787, 9254853183523022196, 14929923424383677111,
   1344020101939626768)),
 ((1, 2, 3, 4), 'RNG_THREE_FRY', (), 'uint32', (1, 2, 4, 4), (1576285164,)),
 ((1, 2, 3, 4), 'RNG_THREE_FRY', (5,), 'uint32', (1, 2, 6, 4),
  (1576285164, 2249660814, 740599976, 2425682526, 2436392515)),
 ((1, 2, 3, 4), 'RNG_THREE_FRY', (2, 3), 'uint32', (1, 2, 6, 4),
  (1576285164, 740599976, 2436392515, 2249660814, 2425682526, 1497962777)),
 ((1, 2, 3, 4), 'RNG_THREE_FRY', (3,), 'uint8', (1, 2, 5, 4), (236, 142, 168)),
 ((1, 2, 3, 4), 'RNG_THREE_FRY', (3,), 'uint64', (1, 2, 6, 4),
  (9662219624799024108, 10418227120389269672, 6433701140276733507)),
 ((1, 2, 3, 4), 'RNG_THREE_FRY', (2, 3), 'uint64', (1, 2, 9, 4),
  (9662219624799024108, 10418227120389269672, 6433701140276733507, 9707638358252452699, 16980371968582007637,
   8689340136409362794)),
 ((1, 2, 4294967295, 4294967295), 'RNG_DEFAULT', (), 'uint32', (1, 2, 0, 0), (875035680,)),
 ((1, 2, 4294967295, 4294967295), 'RNG_DEFAULT', (5,), 'uint32', (1, 2, 1, 0),
  (875035680, 2457449792, 952865925, 536199321, 67759320)),
 ((1, 2, 4294967295, 4294967295), 'RNG_DEFAULT', (2, 3), 'uint32', (1, 2, 1, 0),
  (875035680, 2457449792, 952865925, 536199321, 67759320, 265751716)),
 ((1, 2, 4294967295, 4294967295), 'RNG_DEFAULT', (3,), 'uint8', (1, 2, 0, 0), (32, 64, 133)),
 ((1, 2, 4294967295, 4294967295), 'RNG_DEFAULT', (3,), 'uint64', (1, 2, 1, 0),
  (10554666489077038112, 2302958548785271941, 1141394929143639256)),
 ((1, 2, 4294967295, 4294967295), 'RNG_DEFAULT', (2, 3), 'uint64', (1, 2, 2, 0),
  (10554666489077038112, 2302958548785271941, 1141394929143639256, 8801873739173198762, 8725846352409141144,
   248865970080811279)),
 ((1, 2, 4294967295, 4294967295), 'RNG_PHILOX', (), 'uint32', (1, 2, 0, 0), (875035680,)),
 ((1, 2, 4294967295, 4294967295), 'RNG_PHILOX', (5,), 'uint32', (1, 2, 1, 0),
  (875035680, 2457449792, 952865925, 536199321, 67759320)),
 ((1, 2, 4294967295, 4294967295), 'RNG_PHILOX', (2, 3), 'uint32', (1, 2, 1, 0),
  (875035680, 2457449792, 952865925, 536199321, 67759320, 265751716)),
 ((1, 2, 4294967295, 4294967295), 'RNG_PHILOX', (3,), 'uint8', (1, 2, 0, 0), (32, 64, 133)),
 ((1, 2, 4294967295, 4294967295), 'RNG_PHILOX', (3,), 'uint64', (1, 2, 1, 0),
  (10554666489077038112, 2302958548785271941, 1141394929143639256)),
 ((1, 2, 4294967295, 4294967295), 'RNG_PHILOX', (2, 3), 'uint64', (1, 2, 2, 0),
  (10554666489077038112, 2302958548785271941, 1141394929143639256, 8801873739173198762, 8725846352409141144,
   248865970080811279)),
 ((1, 2, 4294967295, 4294967295), 'RNG_THREE_FRY', (), 'uint32', (1, 2, 0, 0), (3850963268,)),
 ((1, 2, 4294967295, 4294967295), 'RNG_THREE_FRY', (5,), 'uint32', (1, 2, 2, 0),
  (3850963268, 2619805951, 629071667, 2343584484, 2271449651)),
 ((1, 2, 4294967295, 4294967295), 'RNG_THREE_FRY', (2, 3), 'uint32', (1, 2, 2, 0),
  (3850963268, 629071667, 2271449651, 2619805951, 2343584484, 1211544305)),
 ((1, 2, 4294967295, 4294967295), 'RNG_THREE_FRY', (3,), 'uint8', (1, 2, 1, 0), (68, 255, 51)),
 ((1, 2, 4294967295, 4294967295), 'RNG_THREE_FRY', (3,), 'uint64', (1, 2, 2, 0),
  (11251980885262141764, 10065618714822106931, 5203543169901498931)),
 ((1, 2, 4294967295, 4294967295), 'RNG_THREE_FRY', (2, 3), 'uint64', (1, 2, 5, 0),
  (11251980885262141764, 10065618714822106931, 5203543169901498931, 11906397916889494439, 3776481513594039979,
   11335101748860128185)),
 ((3735928559, 7, 4294967294, 0), 'RNG_DEFAULT', (), 'uint32', (3735928559, 7, 4294967295, 0), (615706951,)),
 ((3735928559, 7, 4294967294, 0), 'RNG_DEFAULT', (5,), 'uint32', (3735928559, 7, 0, 1),
  (615706951, 3885693305, 1787766110, 695326029, 1696221812)),
 ((3735928559, 7, 4294967294, 0), 'RNG_DEFAULT', (2, 3), 'uint32', (3735928559, 7, 0, 1),
  (615706951, 3885693305, 1787766110, 695326029, 1696221812, 4190854416)),
 ((3735928559, 7, 4294967294, 0), 'RNG_DEFAULT', (3,), 'uint8', (3735928559, 7, 4294967295, 0), (71, 121, 94)),
 ((3735928559, 7, 4294967294, 0), 'RNG_DEFAULT', (3,), 'uint64', (3735928559, 7, 0, 1),
  (16688925667876860231, 2986402556400313694, 17999582660713400948)),
 ((3735928559, 7, 4294967294, 0), 'RNG_DEFAULT', (2, 3), 'uint64', (3735928559, 7, 1, 1),
  (16688925667876860231, 2986402556400313694, 17999582660713400948, 4525920741391111510, 7175259088381020072,
   11564049755550770024)),
 ((3735928559, 7, 4294967294, 0), 'RNG_PHILOX', (), 'uint32', (3735928559, 7, 4294967295, 0), (615706951,)),
 ((3735928559, 7, 4294967294, 0), 'RNG_PHILOX', (5,), 'uint32', (3735928559, 7, 0, 1),
  (615706951, 3885693305, 1787766110, 695326029, 1696221812)),
 ((3735928559, 7, 4294967294, 0), 'RNG_PHILOX', (2, 3), 'uint32', (3735928559, 7, 0, 1),
  (615706951, 3885693305, 1787766110, 695326029, 1696221812, 4190854416)),
 ((3735928559, 7, 4294967294, 0), 'RNG_PHILOX', (3,), 'uint8', (3735928559, 7, 4294967295, 0), (71, 121, 94)),
 ((3735928559, 7, 4294967294, 0), 'RNG_PHILOX', (3,), 'uint64', (3735928559, 7, 0, 1),
  (16688925667876860231, 2986402556400313694, 17999582660713400948)),
 ((3735928559, 7, 4294967294, 0), 'RNG_PHILOX', (2, 3), 'uint64', (3735928559, 7, 1, 1),
  (16688925667876860231, 2986402556400313694, 17999582660713400948, 4525920741391111510, 7175259088381020072,
   11564049755550770024)),
 ((3735928559, 7, 4294967294, 0), 'RNG_THREE_FRY', (), 'uint32', (3735928559, 7, 4294967295, 0), (2141756104,)),
 ((3735928559, 7, 4294967294, 0), 'RNG_THREE_FRY', (5,), 'uint32', (3735928559, 7, 1, 1),
  (2141756104, 158276229, 4234382304, 4040785689, 254658854)),
 ((3735928559, 7, 4294967294, 0), 'RNG_THREE_FRY', (2, 3), 'uint32', (3735928559, 7, 1, 1),
  (2141756104, 4234382304, 254658854, 158276229, 4040785689, 2229249612)),
 ((3735928559, 7, 4294967294, 0), 'RNG_THREE_FRY', (3,), 'uint8', (3735928559, 7, 0, 1), (200, 133, 224)),
 ((3735928559, 7, 4294967294, 0), 'RNG_THREE_FRY', (3,), 'uint64', (3735928559, 7, 1, 1),
  (679791229430962888, 17355042388634209248, 9574554178415348006)),
 ((3735928559, 7, 4294967294, 0), 'RNG_THREE_FRY', (2, 3), 'uint64', (3735928559, 7, 4, 1),
  (679791229430962888, 17355042388634209248, 9574554178415348006, 14015169582380821676, 296816206876870242,
   9560940204764894518))]

_JIT_KEY = (1, 2, 0xFFFFFFFF, 0xFFFFFFFF)  # the counter wraps: the carry paths of the kernels run


def _run(case, jit):
    key, alg, shape, dt, _, _ = case
    if dt == "uint64":
        jax.config.update("jax_enable_x64", True)
    f = lambda k: lax.rng_bit_generator(k, shape, np.dtype(dt), algorithm=lax.RandomAlgorithm[alg])
    return (jax.jit(f) if jit else f)(jnp.array(key, jnp.uint32))


@pytest.mark.parametrize("case", _RECORDED, ids=lambda c: f"{c[0][0]:x}-{c[1]}-{c[2]}-{c[3]}")
def test_rng_bit_generator_recorded_bits(case):
    new_key, bits = _run(case, jit=False)
    assert new_key.dtype == np.uint32 and bits.dtype == np.dtype(case[3]) and bits.shape == case[2]
    assert tuple(int(v) for v in np.asarray(new_key)) == case[4]
    assert tuple(int(v) for v in np.asarray(bits).ravel()) == case[5]


@pytest.mark.parametrize("case", [c for c in _RECORDED if c[0] == _JIT_KEY],
                         ids=lambda c: f"{c[1]}-{c[2]}-{c[3]}")
def test_rng_bit_generator_jit_matches_recorded(case):
    if case[3] == "uint64" and jax.default_backend() == "webgpu":
        pytest.skip("webgpu has no 64-bit integers")
    new_key, bits = _run(case, jit=True)
    assert tuple(int(v) for v in np.asarray(new_key)) == case[4]
    assert tuple(int(v) for v in np.asarray(bits).ravel()) == case[5]


def test_rng_bit_generator_u64_key_and_truncation():
    jax.config.update("jax_enable_x64", True)
    k64 = jnp.array([0x200000001, 0x400000003], jnp.uint64)  # the bits of the uint32 key (1, 2, 3, 4)
    new_key, bits = lax.rng_bit_generator(k64, (3,), jnp.uint32, algorithm=lax.RandomAlgorithm.RNG_PHILOX)
    assert new_key.dtype == np.uint64 and new_key.tolist() == [0x200000001, 0x400000004]
    assert bits.tolist() == [512747620, 1298009047, 1267190206]
    jax.config.update("jax_enable_x64", False)
    with pytest.warns(UserWarning, match="truncated to dtype uint32"):
        _, bits = lax.rng_bit_generator(jnp.array([1, 2, 3, 4], jnp.uint32), (3,), np.uint64)
    assert bits.dtype == np.uint32 and bits.tolist() == [512747620, 1298009047, 1267190206]


def test_rng_bit_generator_transformations():
    keys = jnp.arange(8, dtype=jnp.uint32).reshape(4, 2)
    # As JAX's batching rule: the first key draws every lane's bits, and only it advances.
    new_keys, bits = jax.vmap(lambda k: lax.rng_bit_generator(k, (3,)), in_axes=1)(keys)
    assert new_keys.tolist() == [[0, 2, 6, 6], [1, 3, 5, 7]]
    assert bits.tolist() == [[3457800905, 1705318945, 2972220641], [3582604648, 3408005066, 2332029873]]
    jaxpr = jax.make_jaxpr(lambda k: lax.rng_bit_generator(k, (3,)))(jnp.zeros(4, jnp.uint32))
    assert [e.primitive for e in jaxpr.eqns] == [lax.rng_bit_generator_p]
    # The bits are constants to grad (integer outputs carry no tangent): d(x * sum(bits))/dx = sum(bits).
    g = jax.grad(lambda x: x * lax.rng_bit_generator(jnp.array([1, 2, 3, 4], jnp.uint32), (2,))[1]
                 .astype(jnp.float32).sum())(1.0)
    assert float(g) == float(np.float32(512747620) + np.float32(1298009047))
    empty_key, empty = lax.rng_bit_generator(jnp.array([5, 6, 7, 8], jnp.uint32), (0, 3))
    assert empty.shape == (0, 3) and empty_key.tolist() == [5, 6, 7, 8]


@pytest.mark.parametrize("key, dtype, exc", [
    (np.zeros(4, np.int32), np.uint32, AssertionError), (np.zeros(3, np.uint32), np.uint32, AssertionError),
    (np.zeros(4, np.uint32), np.int32, TypeError), (np.zeros(4, np.uint32), np.float32, TypeError)])
def test_rng_bit_generator_errors(key, dtype, exc):
    with pytest.raises(exc):
        lax.rng_bit_generator(jnp.asarray(key), (3,), dtype)


# ---- tokens ---------------------------------------------------------------------------------------

def test_tokens_are_leaves_of_their_own_type():
    t = lax.create_token()
    assert repr(t) == "Token()" and jax.tree_util.tree_leaves(t) == [t]
    assert repr(lax.after_all(t, lax.create_token(3))) == "Token()" and repr(lax.after_all()) == "Token()"
    jaxpr = jax.make_jaxpr(lambda x: lax.after_all(lax.create_token(x), lax.create_token()))(1.0)
    assert [e.primitive for e in jaxpr.eqns] == [lax.create_token_p, lax.create_token_p, lax.after_all_p]
    assert "Tok" in str(jaxpr)
    for bad in (1.0, jnp.ones(2)):
        with pytest.raises(TypeError, match="must be tokens"):
            lax.after_all(bad)


def test_tokens_through_jit_vmap_grad():
    t = lax.create_token()
    f = jax.jit(lambda t, x: (lax.after_all(t), x * 2))
    out_t, y = f(t, 1.0)
    assert repr(out_t) == "Token()" and float(y) == 2.0
    assert "a:Tok" in str(jax.make_jaxpr(f)(t, 1.0))
    ident = jax.jit(lambda v: v)
    assert repr(ident(t)) == "Token()" and ident(False).dtype == np.bool_  # a token is not a bool scalar
    assert repr(jax.jit(lambda x: lax.create_token(x))(1.0)) == "Token()"
    assert float(jax.grad(lambda x: (lax.create_token(x), x * 2)[1])(1.0)) == 2.0
    out = jax.vmap(lambda x: (lax.after_all(lax.create_token(x)), x * 3)[1])(jnp.arange(3.0))
    assert_close(out, np.array([0.0, 3.0, 6.0], np.float32))


# ---- collectives under vmap ----------------------------------------------------------------------

_GROUPS = [[0, 1], [2, 3]]


@pytest.mark.parametrize("fn", [
    lambda v: lax.psum(v, "i", axis_index_groups=_GROUPS), lambda v: lax.pmean(v, "i", axis_index_groups=_GROUPS),
    lambda v: lax.pmax(v, "i", axis_index_groups=_GROUPS), lambda v: lax.pmin(v, "i", axis_index_groups=_GROUPS),
    lambda v: lax.all_gather(v, "i", axis_index_groups=_GROUPS),
    lambda v: lax.psum_scatter(jnp.ones(4) * v, "i", axis_index_groups=_GROUPS),
    lambda v: lax.all_to_all(jnp.ones(4) * v, "i", 0, 0, axis_index_groups=_GROUPS),
    lambda v: lax.all_gather(v, "i", to="reduced")])
def test_collectives_refuse_groups_as_jax_vmap(fn):
    with pytest.raises(NotImplementedError):
        jax.vmap(fn, axis_name="i")(jnp.arange(4.0))


@pytest.mark.parametrize("to", ["invarying", "bogus"])
def test_all_gather_to_errors(to):
    with pytest.raises(ValueError):
        jax.vmap(lambda v: lax.all_gather(v, "i", to=to), axis_name="i")(jnp.arange(4.0))


def test_collectives_inside_jit_inside_vmap():
    x = jnp.arange(4.0)
    out = jax.vmap(lambda v: jax.jit(lambda u: lax.psum(u, "i") + lax.axis_index("i"))(v), axis_name="i")(x)
    assert_close(out, np.array([6.0, 7.0, 8.0, 9.0], np.float32))
    # A jit inside the vmap with no vmapped argument still sees the named axis (as JAX's).
    assert jax.vmap(lambda v: jax.jit(lambda: lax.axis_index("i"))(), axis_name="i")(x).tolist() == [0, 1, 2, 3]
    out = jax.vmap(lambda v: jax.jit(lambda c: lax.psum(c, "i") + lax.axis_index("i"))(1.0), axis_name="i")(x)
    assert_close(out, np.array([4.0, 5.0, 6.0, 7.0], np.float32))
    out = jax.vmap(lambda v: lax.cond(True, lambda: lax.axis_index("i") * 2, lambda: lax.axis_index("i")),
                   axis_name="i")(x)
    assert out.tolist() == [0, 2, 4, 6]
    gathered = jax.vmap(lambda v: lax.all_gather(v, "i", to="varying"), axis_name="i")(x)
    assert_close(gathered, np.tile(np.arange(4.0, dtype=np.float32), (4, 1)))


# ---- precision ------------------------------------------------------------------------------------

_A = np.random.default_rng(0).standard_normal((4, 16)).astype(np.float32) * 1.37
_B = np.random.default_rng(1).standard_normal((16, 3)).astype(np.float32)


@pytest.mark.parametrize("precision", [None, "highest", "bfloat16", lax.Precision.HIGH, ("high", "default"),
                                       "DEFAULT", lax.DotAlgorithmPreset.F32_F32_F32, "BF16_BF16_F32_X3"])
def test_precisions_that_compute_as_default(precision):
    assert_close(lax.dot(_A, _B, precision=precision), (_A.astype(np.float64) @ _B).astype(np.float32),
                 rtol=1e-5, atol=1e-5)


def test_f16_and_f64_presets():
    a16, b16 = _A.astype(np.float16).astype(np.float32), _B.astype(np.float16).astype(np.float32)
    want = (a16 @ b16).astype(np.float16).astype(np.float32)
    for f in (lambda a, b: lax.dot(a, b, precision="F16_F16_F16"),
              jax.jit(lambda a, b: jnp.matmul(a, b, precision=lax.DotAlgorithmPreset.F16_F16_F16))):
        got = f(_A, _B)
        assert got.dtype == np.float32
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-3, atol=1e-3)
    got = lax.dot(_A.astype(np.float16), _B.astype(np.float16), precision="F16_F16_F16")
    assert got.dtype == np.float16
    want64 = (_A.astype(np.float64) @ _B.astype(np.float64)).astype(np.float32)
    assert_close(lax.dot(_A, _B, precision="F64_F64_F64"), want64, rtol=1e-5, atol=1e-5)
    if jax.default_backend() == "cpu":  # float64 accumulation: JAX's CPU bits (wasm/webgpu: float32-grade)
        np.testing.assert_array_equal(np.asarray(lax.dot(_A, _B, precision="F64_F64_F64")), want64)
    preset = lax.DotAlgorithmPreset.F16_F16_F32
    assert preset.supported_lhs_types == (np.float16,) and preset.accumulation_type is np.float32
    assert preset.supported_output_types(np.float16, np.float16) == (np.float32, np.float16)
    assert lax.DotAlgorithmPreset.DEFAULT.supported_output_types(np.float32, np.float32) is None


@pytest.mark.parametrize("precision", ["F16_F16_F32", "BF16_BF16_BF16", "TF32_TF32_F32", "ANY_F8_ANY_F8_F32",
                                       lax.DotAlgorithm(np.float32, np.float32, np.float32), "nope", 3,
                                       ("high",), (lax.Precision.HIGH, lax.DotAlgorithmPreset.F32_F32_F32)])
def test_precision_errors(precision):
    with pytest.raises(ValueError):
        lax.dot(_A, _B, precision=precision)


def test_precision_values():
    assert lax.Precision("bfloat16") is lax.Precision.DEFAULT and lax.Precision("tensorfloat32") is lax.Precision.HIGH
    assert lax.Precision("float32") is lax.Precision.HIGHEST and str(lax.Precision.HIGH) == "HIGH"
    assert repr(lax.Precision.HIGHEST) == "Precision.HIGHEST"
    assert str(lax.DotAlgorithmPreset.F16_F16_F16) == "F16_F16_F16"
    algo = lax.DotAlgorithm(np.float16, np.float16, np.float32)
    assert algo.accumulation_type is np.float32 and algo.lhs_component_count == 1
    eqn = jax.make_jaxpr(lambda a: lax.dot(a, a, precision="highest"))(np.ones((2, 2), np.float32)).eqns[0]
    assert eqn.params["precision"] == (lax.Precision.HIGHEST, lax.Precision.HIGHEST)


@pytest.mark.parametrize("name", ["exp", "exp2", "log", "log1p", "expm1", "tanh", "logistic", "sin", "cos", "tan",
                                  "sqrt", "rsqrt", "cbrt"])
def test_accuracy_is_accepted(name):
    f = getattr(lax, name)
    x = jnp.linspace(0.1, 1.4, 5)
    for acc in (lax.AccuracyMode.HIGHEST, lax.Tolerance(atol=1e-3, rtol=0.0, ulps=0)):
        np.testing.assert_array_equal(np.asarray(f(x, accuracy=acc)), np.asarray(f(x)))
    if name != "logistic":  # JAX's logistic ignores any value
        with pytest.raises(NotImplementedError):
            f(x, accuracy="bad")
    with pytest.raises(ValueError):
        lax.Tolerance(atol=-1.0)


@needs_jax
def test_accuracy_grad_matches_jax():
    g = jax.grad(lambda x: lax.exp(x, accuracy=lax.AccuracyMode.HIGHEST))(1.0)
    assert_close(g, real_jax.grad(lambda x: real_jax.lax.exp(x, accuracy=real_jax.lax.AccuracyMode.HIGHEST))(1.0))
