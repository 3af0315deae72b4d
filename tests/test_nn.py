"""jaxlite.nn and jaxlite.nn.initializers against jax.nn (values, dtypes, weak types, gradients,
vmap/jit, masks, infinities, errors), plus oracle-free checks that also run in Pyodide."""

import numpy as np
import pytest

import jaxlite as jax
import jaxlite.numpy as jnp
import jaxlite.nn as nn
from backend_util import KERNEL_DEVICES, same
from conftest import assert_close, needs_jax, real_jax

rnn = real_jax.nn if real_jax is not None else None

# Kinks (0, ±1, 6, ±3), tails, infinities and nan.
EDGES = np.array([-np.inf, -30., -6., -3., -1., -0.5, 0., 0.25, 1., 3., 6., 7.5, 30., np.inf, np.nan], np.float32)

ELEMENTWISE = ["relu", "relu6", "squareplus", "softplus", "sparse_plus", "soft_sign", "sigmoid", "sparse_sigmoid",
               "silu", "swish", "mish", "log_sigmoid", "elu", "leaky_relu", "hard_tanh", "celu", "selu", "gelu",
               "hard_sigmoid", "hard_silu", "hard_swish", "tanh", "identity"]


def _same(actual, expected, rtol=2e-5, atol=2e-5):
    """Values, dtypes and weak types as JAX's."""
    assert_close(actual, expected, rtol=rtol, atol=atol)
    for a, e in zip(jax.tree_util.tree_leaves(actual), real_jax.tree_util.tree_leaves(expected)):
        assert jax.dtypes.is_weakly_typed(a) == e.weak_type, f"weak type {jax.dtypes.is_weakly_typed(a)} != {e.weak_type}"



# JAX accepts integer inputs for these (and promotes where the formula has a float constant).
INT_OK = {"relu", "relu6", "softplus", "elu", "leaky_relu", "hard_tanh", "celu", "gelu", "squareplus", "soft_sign",
          "sparse_plus", "hard_silu", "hard_swish", "mish", "sparse_sigmoid", "hard_sigmoid", "log_sigmoid", "selu",
          "identity"}


def _ref(fn, *args):
    """JAX's results, computed by one jitted call: XLA compiles per operation, so one compile per
    test keeps the oracle cheap (jit keeps weak types as eager does)."""
    return real_jax.jit(fn)(*args)


@needs_jax
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_matches_jax(name):
    f, g = getattr(nn, name), getattr(rnn, name)
    pts = EDGES[np.isfinite(EDGES)]
    ints = np.arange(-3, 8, dtype=np.int32)
    x16 = EDGES.astype(np.float16)

    def cases(mod, fn, x, x16, pts, ints):
        grads = mod.vmap(mod.grad(fn))(pts)  # at the kinks too: relu'(0) = 0, relu6'(6) = 0, ...
        return fn(x), fn(1.5), fn(x16), grads, (fn(ints) if name in INT_OK else None)

    want = _ref(lambda *a: cases(real_jax, g, *a), EDGES, x16, pts, ints)
    with np.errstate(all="ignore"):
        got = cases(jax, f, EDGES, x16, pts, ints)
        _same(got[0], want[0])
        _same(got[1], want[1])  # a Python scalar stays weakly typed where JAX's does
        _same(got[2], want[2], rtol=2e-3, atol=2e-3)
        assert_close(got[3], want[3])
        if name in INT_OK:
            _same(got[4], want[4])
        _same(jax.jit(f)(EDGES), want[0])


@needs_jax
def test_parameters_gelu_glu_log1mexp():
    x = EDGES[np.isfinite(EDGES)]
    y = np.array([0.01, 0.3, 0.69, 0.7, 2., 5., 0., -1., np.inf], np.float32)
    m = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)

    def cases(mod, x, y, m):
        n = mod.nn
        exact = lambda v: n.gelu(v, approximate=False)  # noqa: E731
        return (exact(x), exact(x.astype(np.float16)), n.elu(x, 0.3), n.celu(x, np.float32(2.5)),
                n.leaky_relu(x, 0.2), n.squareplus(x, 0.5), n.log1mexp(y), n.glu(m), n.glu(m, axis=0),
                mod.grad(lambda v: exact(v).sum())(x), mod.grad(lambda v: n.log1mexp(v).sum())(y[:6]),
                mod.grad(lambda v: n.glu(v).sum())(m))

    want = _ref(lambda *a: cases(real_jax, *a), x, y, m)
    with np.errstate(all="ignore"):
        got = cases(jax, x, y, m)
    for i, (a, e) in enumerate(zip(got, want)):
        tol = 2e-3 if i == 1 else 2e-5
        _same(a, e, rtol=tol, atol=tol)
    with pytest.raises(AssertionError, match="divisible by 2"):
        nn.glu(np.ones((3, 5), np.float32))


@needs_jax
def test_errors_match_jax():
    for name in ("sigmoid", "silu", "swish", "log_sigmoid", "hard_sigmoid"):
        try:
            getattr(rnn, name)(np.arange(3))
        except TypeError:
            with pytest.raises(TypeError):
                getattr(nn, name)(np.arange(3))
        else:
            getattr(nn, name)(np.arange(3))
    for name in ("relu", "silu", "soft_sign", "identity", "log_softmax"):
        with pytest.raises(TypeError):
            getattr(rnn, name)([1.0, 2.0])
        with pytest.raises(TypeError):
            getattr(nn, name)([1.0, 2.0])


# ---- softmax family -------------------------------------------------------------------------------

def _logits(rng, shape=(3, 5)):
    x = rng.standard_normal(shape).astype(np.float32) * 3
    x[0, 1] = -np.inf  # a -inf logit: probability 0, gradient 0 (not nan)
    return x


@needs_jax
@pytest.mark.parametrize("custom_jvp", [False, True])
def test_softmax_and_log_softmax_match_jax(rng, custom_jvp):
    """Axes, where= masks (one with a row that keeps nothing, one broadcast), gradients with a -inf
    logit; jax_softmax_custom_jvp picks JAX's custom rule for softmax."""
    x = _logits(rng, (4, 6))
    where = rng.random(x.shape) > 0.4
    where[2] = False
    w = rng.standard_normal(x.shape).astype(np.float32)

    def cases(mod, x, where, w):
        out = []
        # with the custom rule only softmax changes, so log_softmax is checked once
        for fn in (mod.nn.softmax,) + (() if custom_jvp else (mod.nn.log_softmax,)):
            for kw in (dict(axis=0), dict(axis=None), dict(where=where), dict(axis=0, where=where[:1])):
                out.append(fn(x, **kw))
                loss = lambda v: mod.numpy.where(kw.get("where", True), fn(v, **kw) * w, 0).sum()  # noqa: E731
                out.append(mod.grad(loss)(x))
            out.append(mod.vmap(lambda v, m: fn(v, where=m))(x, where))
        out.append(mod.jacfwd(mod.nn.softmax)(x[0]))
        return out

    real_jax.config.update("jax_softmax_custom_jvp", custom_jvp)
    jax.config.update("jax_softmax_custom_jvp", custom_jvp)
    try:
        want = _ref(lambda *a: cases(real_jax, *a), x, where, w)
        got = cases(jax, x, where, w)
        for a, e in zip(got, want):
            _same(a, e)
        _same(jax.jit(lambda *a: cases(jax, *a))(x, where, w), want)
    finally:
        real_jax.config.update("jax_softmax_custom_jvp", False)
        jax.config.update("jax_softmax_custom_jvp", False)


@needs_jax
def test_softmax_infinities_and_dtypes():
    rows = np.array([[-np.inf, -np.inf, -np.inf], [np.inf, 0., 1.], [np.nan, 0., 1.], [-np.inf, 0., 1e30]],
                    np.float32)

    def cases(mod, rows):
        return [(fn(rows), fn(rows[3].astype(np.float16)), fn(np.arange(4)), fn(rows, axis=(0, 1)))
                for fn in (mod.nn.softmax, mod.nn.log_softmax)]

    want = _ref(lambda r: cases(real_jax, r), rows)
    with np.errstate(all="ignore"):
        got = cases(jax, rows)
    _same(got, want, rtol=2e-3, atol=2e-3)
    for fn in (nn.softmax, nn.log_softmax):
        with pytest.raises(ValueError, match="out of bounds"):
            fn(2.0)  # a 0-d array has no axis -1, in JAX too


@needs_jax
def test_logsumexp_and_logmeanexp_match_jax(rng):
    x = _logits(rng, (3, 4))
    b = rng.standard_normal((3, 4)).astype(np.float32)
    where = rng.random((3, 4)) > 0.3
    special = np.array([[np.inf, 1.], [np.nan, 1.], [1e30, 1e30], [-np.inf, -np.inf]], np.float32)
    cases_kw = [dict(), dict(axis=1), dict(axis=0, keepdims=True), dict(b=b, axis=1), dict(b=b, axis=0, return_sign=True),
                dict(where=where, axis=1), dict(where=where, axis=0, keepdims=True), dict(b=2.0, axis=-1)]

    def cases(mod, x, b, where, special):
        n, out = mod.nn, []
        for kw in cases_kw:
            kw = {k: (b if k == "b" and not isinstance(v, float) else where if k == "where" else v) for k, v in kw.items()}
            out.append(n.logsumexp(x, **kw))
            if not kw.get("return_sign"):
                out.append(mod.grad(lambda v: n.logsumexp(v, **kw).sum())(x))
        out += [n.logsumexp(special, axis=1), mod.grad(lambda v: n.logsumexp(v, axis=1).sum())(special[3:]),
                n.logsumexp(np.arange(5)), n.logsumexp(1.0), n.logsumexp(x.astype(np.float16), axis=0),
                mod.vmap(n.logsumexp)(x)]
        for kw in (dict(), dict(axis=1), dict(axis=0, keepdims=True), dict(axis=1, where=where)):
            out.append(n.logmeanexp(x, **kw))
        out.append(mod.grad(lambda v: n.logmeanexp(v, axis=1).sum())(x))
        return out

    want = _ref(lambda *a: cases(real_jax, *a), x, b, where, special)
    with np.errstate(all="ignore"):
        got = cases(jax, x, b, where, special)
        for a, e in zip(got, want):
            tol = 2e-3 if np.asarray(e).dtype == np.float16 else 2e-5
            _same(a, e, rtol=tol, atol=tol)
        assert_close(jax.jit(lambda v, c: nn.logsumexp(v, b=c, axis=1))(x, b), want[6])


@needs_jax
def test_standardize(rng):
    x = (rng.standard_normal((4, 5)) * 3 + 1).astype(np.float32)
    where = rng.random((4, 5)) > 0.3
    kws = (dict(), dict(axis=0), dict(axis=None), dict(algorithm="stable"), dict(where=where), dict(mean=1.0, variance=4.0),
           dict(epsilon=0.5, axis=(0, 1)))

    def cases(mod, x):
        n = mod.nn
        return ([n.standardize(x, **kw) for kw in kws] + [n.standardize(np.arange(6))]
                + [mod.grad(lambda v: (n.standardize(v) ** 3).sum())(x)])

    want = _ref(lambda v: cases(real_jax, v), x)
    got = cases(jax, x)
    _same(got[:-1], want[:-1], rtol=1e-4, atol=1e-4)
    assert_close(got[-1], want[-1], rtol=1e-3, atol=1e-3)
    with pytest.raises(ValueError, match="Unknown algorithm"):
        nn.standardize(x, algorithm="slow")
    with pytest.raises(TypeError):
        nn.standardize([1.0, 2.0])


@needs_jax
def test_one_hot():
    idx = np.array([[0, 2, 5], [-1, 1, 3]], np.int32)
    kws = (dict(), dict(axis=0), dict(axis=1), dict(dtype=np.int32), dict(dtype=np.bool_, axis=-2))

    def cases(mod, i):
        n = mod.nn
        return [n.one_hot(i, 4, **kw) for kw in kws] + [n.one_hot(3, 5), mod.vmap(lambda r: n.one_hot(r, 6))(i)]

    want = _ref(lambda i: cases(real_jax, i), idx)
    _same(cases(jax, idx), want)
    assert_close(jax.jit(lambda i: nn.one_hot(i, 4))(idx), want[0])
    with pytest.warns(DeprecationWarning, match="integer-typed"):
        out = nn.one_hot(np.array([0.0, 2.0, 7.0]), 3)
    np.testing.assert_array_equal(np.asarray(out), [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    with pytest.raises(jax.errors.ConcretizationTypeError):
        jax.jit(lambda i, n: nn.one_hot(i, n))(idx, 3)
    with pytest.raises(ValueError):
        nn.one_hot(idx, 3, axis=3)
    # a named vmap axis: each member compares its value with its own index along the axis (as JAX)
    named = jax.vmap(lambda r: nn.one_hot(r, 2, axis="i"), axis_name="i")(np.array([[0, 2, 1], [1, 1, 0]], np.int32))
    np.testing.assert_array_equal(np.asarray(named), [[1, 0, 0], [1, 1, 0]])
    assert named.dtype == np.float32
    with pytest.raises(ValueError, match="num_classes to match the size of axis i"):
        jax.vmap(lambda r: nn.one_hot(r, 3, axis="i"), axis_name="i")(idx)


# ---- attention ------------------------------------------------------------------------------------

def _qkv(rng, B=2, T=4, S=5, N=4, K=2, H=8, dtype=np.float32):
    return tuple(rng.standard_normal(s).astype(dtype) for s in ((B, T, N, H), (B, S, K, H), (B, S, K, H)))


@needs_jax
def test_dot_product_attention_matches_jax(rng):
    q, k, v = _qkv(rng)
    B, T, N, _ = q.shape
    S = k.shape[1]
    bias = rng.standard_normal((B, N, T, S)).astype(np.float32)
    mask = rng.random((B, 1, T, S)) > 0.3
    qlen, kvlen = np.array([2, 4], np.int32), np.array([5, 1], np.int32)
    _, k1, v1 = _qkv(rng, K=1)
    _, k4, v4 = _qkv(rng, K=4)

    def cases(mod, q, k, v, bias, mask, qlen, kvlen, k1, v1, k4, v4):
        dpa = mod.nn.dot_product_attention
        lengths = dict(query_seq_lengths=qlen, key_value_seq_lengths=kvlen)
        loss = lambda *a: (dpa(*a, is_causal=True) ** 2).sum()  # noqa: E731
        return [dpa(q, k, v, bias[:1], mask=mask, local_window_size=1),
                dpa(q, k, v, is_causal=True, return_residual=True),
                dpa(q, k, v, bias=bias[0, :1], local_window_size=(0, 2), scale=0.5, implementation="xla"),
                dpa(q, k, v, is_causal=True, **lengths), dpa(q[0], k[0], v[0]),
                dpa(q, k1, v1, mask=mask), dpa(q, k4, v4, bias=bias),
                mod.grad(loss, argnums=(0, 1, 2, 3))(q, k, v, bias),
                mod.vmap(lambda a, b, c: dpa(a, b, c))(q, k, v)]

    args = (q, k, v, bias, mask, qlen, kvlen, k1, v1, k4, v4)
    want = _ref(lambda *a: cases(real_jax, *a), *args)
    got = cases(jax, *args)
    for i, (a, e) in enumerate(zip(got, want)):
        tol = 1e-4 if i == 7 else 1e-5
        _same(a, e, rtol=tol, atol=tol)
    jitted = jax.jit(lambda q, k, v, m, n: nn.dot_product_attention(q, k, v, mask=m, key_value_seq_lengths=n,
                                                                   is_causal=True))
    assert_close(jitted(q, k, v, mask, kvlen), nn.dot_product_attention(q, k, v, mask=mask, is_causal=True,
                                                                       key_value_seq_lengths=kvlen))
    # float16: logits and softmax in float32, as JAX (its float16 dot preset fails under jit on CPU: eager here)
    h = tuple(t.astype(np.float16) for t in (q, k, v))
    _same(nn.dot_product_attention(*h, is_causal=True), rnn.dot_product_attention(*h, is_causal=True),
          rtol=3e-3, atol=3e-3)


def test_dot_product_attention_errors(rng):
    q, k, v = _qkv(rng)
    with pytest.raises(NotImplementedError, match="cuDNN"):
        nn.dot_product_attention(q, k, v, implementation="cudnn")
    with pytest.raises(ValueError, match="Unsupported implementation"):
        nn.dot_product_attention(q, k, v, implementation="flash")
    with pytest.raises(ValueError, match="value shape"):
        nn.dot_product_attention(q, k, v[:, :3])
    with pytest.raises(ValueError, match="query dtype"):
        nn.dot_product_attention(q.astype(np.float16), k, v)
    with pytest.raises(ValueError, match="mask dtype"):
        nn.dot_product_attention(q, k, v, mask=np.ones((1, 1, 4, 5), np.int32))
    with pytest.raises(ValueError, match="query_seq_lengths"):
        nn.dot_product_attention(q, k, v, query_seq_lengths=np.array([1, 2, 3], np.int32))
    q3, k3, v3 = _qkv(rng, N=3, K=2)
    with pytest.raises(ValueError, match="multiple of key/value heads"):
        nn.dot_product_attention(q3, k3, v3)


def test_dot_product_attention_properties(rng):
    """Oracle-free (runs in Pyodide): a fully masked query row attends uniformly; causal row 0 sees
    only key 0; padded query rows are zero."""
    q, k, v = _qkv(rng, K=4, T=5)
    out = np.asarray(nn.dot_product_attention(q, k, v, is_causal=True))
    np.testing.assert_allclose(out[:, 0], v[:, 0], rtol=1e-6, atol=1e-6)
    mask = np.zeros((1, 1, 5, 5), bool)
    np.testing.assert_allclose(np.asarray(nn.dot_product_attention(q, k, v, mask=mask)),
                               np.broadcast_to(v.mean(1, keepdims=True), q.shape), rtol=1e-5, atol=1e-5)
    out = np.asarray(nn.dot_product_attention(q, k, v, query_seq_lengths=np.array([3, 5], np.int32)))
    assert not out[0, 3:].any() and out[1].all()


# ---- block-scaled matmuls -------------------------------------------------------------------------

def test_scaled_matmul_is_the_block_scaled_product(rng):
    a = rng.standard_normal((2, 3, 8)).astype(np.float32)
    b = rng.standard_normal((2, 5, 8)).astype(np.float32)
    sa = rng.random((2, 3, 2)).astype(np.float32)
    sb = rng.random((2, 5, 2)).astype(np.float32)
    want = np.einsum("bmk,bnk->bmn", a * np.repeat(sa, 4, -1), b * np.repeat(sb, 4, -1))
    assert_close(nn.scaled_matmul(a, b, sa, sb), want.astype(np.float32), rtol=1e-5, atol=1e-5)
    assert nn.scaled_matmul(a, b, sa, sb, preferred_element_type=jnp.float16).dtype == np.float16
    with pytest.raises(ValueError, match="3-dimensional"):
        nn.scaled_matmul(a[0], b, sa, sb)
    with pytest.raises(ValueError, match="matching batch"):
        nn.scaled_matmul(a, b[:1], sa, sb)
    with pytest.raises(NotImplementedError):
        nn.get_scaled_dot_general_config("mxfp8")
    with pytest.raises(NotImplementedError, match="float8"):
        nn.scaled_dot_general(a, b, (((2,), (2,)), ((0,), (0,))), configs=[object()] * 3)


@needs_jax
def test_scaled_dot_general_without_configs_is_dot_general(rng):
    a = rng.standard_normal((2, 3, 8)).astype(np.float32)
    b = rng.standard_normal((2, 5, 8)).astype(np.float32)
    dn = (((2,), (2,)), ((0,), (0,)))
    _same(nn.scaled_dot_general(a, b, dn), rnn.scaled_dot_general(a, b, dn), rtol=1e-5, atol=1e-5)


# ---- initializers ---------------------------------------------------------------------------------

# The named initializers are variance_scaling with fixed arguments (checked without the oracle
# below); the oracle checks the distributions, modes and axes of variance_scaling itself.
ORACLE_INITIALIZERS = [("constant", (-7,)), ("uniform", (10.0,)), ("normal", (5.0,)),
                       ("truncated_normal", (5.0, None, -1.0, 1.5)),
                       ("variance_scaling", (2.0, "fan_in", "truncated_normal")),
                       ("variance_scaling", (0.5, "fan_geo_avg", "normal", 0, (1, 2))),
                       ("variance_scaling", (3.0, "fan_out", "uniform", -2, -1, 0))]
NAMED = {"glorot_uniform": (1.0, "fan_avg", "uniform"), "glorot_normal": (1.0, "fan_avg", "truncated_normal"),
         "lecun_uniform": (1.0, "fan_in", "uniform"), "lecun_normal": (1.0, "fan_in", "truncated_normal"),
         "he_uniform": (2.0, "fan_in", "uniform"), "he_normal": (2.0, "fan_in", "truncated_normal"),
         "xavier_uniform": (1.0, "fan_avg", "uniform"), "xavier_normal": (1.0, "fan_avg", "truncated_normal"),
         "kaiming_uniform": (2.0, "fan_in", "uniform"), "kaiming_normal": (2.0, "fan_in", "truncated_normal")}
SHAPE = (2, 4, 5)


@needs_jax
def test_initializers_match_jax():
    """Same key, same numbers: within an ulp of JAX's jitted initializers (XLA may contract the
    scaling into the sampler under jit; jaxlite.random's normal is within an ulp of JAX's), and bit
    for bit with eager JAX for a uniform one."""

    def cases(mod, key, raw_key):
        inits = mod.nn.initializers
        out = [inits.zeros(key, SHAPE), inits.ones(key, SHAPE, np.int32)]
        out += [getattr(inits, name)(*args)(key, SHAPE) for name, args in ORACLE_INITIALIZERS]
        out += [inits.glorot_uniform()(raw_key, SHAPE, np.float16), inits.lecun_normal(dtype=np.float16)(key, SHAPE)]
        return out

    want = _ref(lambda k, r: cases(real_jax, k, r), real_jax.random.key(42), real_jax.random.PRNGKey(3))
    got = cases(jax, jax.random.key(42), jax.random.PRNGKey(3))
    for a, e in zip(got, want):
        _same(a, e, rtol=2e-3 if a.dtype == np.float16 else 2e-6, atol=1e-7)
    _same(nn.initializers.glorot_uniform()(jax.random.key(42), SHAPE),
          real_jax.nn.initializers.glorot_uniform()(real_jax.random.key(42), SHAPE), rtol=0, atol=0)
    he_normal = jax.jit(lambda k: nn.initializers.variance_scaling(2.0, "fan_in", "truncated_normal")(k, SHAPE))
    _same(he_normal(jax.random.key(42)), want[6], rtol=2e-6, atol=1e-7)


def test_named_initializers_are_variance_scaling():
    key = jax.random.key(7)
    for name, args in NAMED.items():
        init = getattr(nn.initializers, name)(in_axis=0, out_axis=2)
        assert isinstance(init, nn.initializers.Initializer)
        want = nn.initializers.variance_scaling(*args, in_axis=0, out_axis=2)(key, SHAPE)
        np.testing.assert_array_equal(np.asarray(init(key, SHAPE)), np.asarray(want))


def test_initializer_errors():
    key = jax.random.PRNGKey(0)
    with pytest.raises(ValueError, match="at least 2D or specify in_axis"):
        nn.initializers.glorot_uniform()(key, (5,))
    with pytest.raises(ValueError, match="invalid mode"):
        nn.initializers.variance_scaling(1.0, "fan_sideways", "normal")(key, (2, 3))
    with pytest.raises(ValueError, match="invalid distribution"):
        nn.initializers.variance_scaling(1.0, "fan_in", "cauchy")(key, (2, 3))
    with pytest.raises(ValueError, match="at least a 2D shape"):
        nn.initializers.orthogonal()(key, (3,))
    with pytest.raises(ValueError, match="3D, 4D or 5D"):
        nn.initializers.delta_orthogonal()(key, (3, 3))
    with pytest.raises(ValueError, match="fan_in"):
        nn.initializers.delta_orthogonal()(key, (3, 5, 2))
    x = nn.initializers.lecun_normal()(key, (64, 32))  # truncated at 2 std, rescaled to variance 1/64
    assert abs(float(jnp.std(x)) - 0.125) < 0.01 and float(jnp.abs(x).max()) <= 2 * 0.125 / 0.8796256610342398 + 1e-6
    np.testing.assert_array_equal(np.asarray(nn.initializers.orthogonal()(key, (0, 3))), np.zeros((0, 3)))


@needs_jax
@pytest.mark.parametrize("name,shape", [("orthogonal", (4, 3)), ("orthogonal", (2, 3, 5)), ("delta_orthogonal", (3, 3, 4))])
def test_orthogonal_initializers_match_jax(name, shape):
    got = getattr(nn.initializers, name)()(jax.random.PRNGKey(1), shape)
    _same(got, getattr(real_jax.nn.initializers, name)()(real_jax.random.PRNGKey(1), shape), rtol=1e-5, atol=1e-5)


# ---- oracle-free checks (run in Pyodide too) ------------------------------------------------------

@pytest.fixture
def quiet_numpy():
    # The cpu device computes with numpy, which warns about exp(-inf - -inf) and log(0); JAX does not.
    with np.errstate(all="ignore"):
        yield


def test_recorded_values_and_custom_derivatives(quiet_numpy):
    assert jax.nn is nn and jax.nn.initializers is nn.initializers  # reachable as attributes, as in JAX
    x = jnp.array([-2., -1., -0.5, 0., 0.5, 1., 2.])
    np.testing.assert_allclose(np.asarray(nn.relu(x)), [0, 0, 0, 0, 0.5, 1, 2])
    np.testing.assert_allclose(np.asarray(nn.gelu(x)),
                               [-0.04540231, -0.158808, -0.15428598, 0., 0.345714, 0.841192, 1.9545977], rtol=1e-5,
                               atol=1e-6)
    g = jax.grad(lambda v: nn.relu(v).sum())(x)
    np.testing.assert_array_equal(np.asarray(g), [0, 0, 0, 0, 1, 1, 1])  # relu'(0) = 0, not max's 0.5
    g6 = jax.vmap(jax.grad(nn.relu6))(jnp.array([0., 3., 6.]))
    np.testing.assert_array_equal(np.asarray(g6), [0, 1, 0])
    s = nn.softmax(jnp.array([[1., 2., 3.], [-np.inf, 0., 0.]]))
    np.testing.assert_allclose(np.asarray(s), [[0.09003057, 0.24472848, 0.66524094], [0, 0.5, 0.5]], rtol=1e-6)
    gs = jax.grad(lambda v: nn.softmax(v)[1] * 2)(jnp.array([-np.inf, 0., 0.]))
    np.testing.assert_allclose(np.asarray(gs), [0., 0.5, -0.5], rtol=1e-6)  # no nan from the -inf logit
    assert float(nn.logsumexp(jnp.array([-np.inf, -np.inf]))) == -np.inf
    r, sign = nn.logsumexp(jnp.array([0., 0.]), b=jnp.array([1., -3.]), return_sign=True)
    np.testing.assert_allclose([float(r), float(sign)], [np.log(2.), -1.], rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(nn.one_hot(jnp.array([1, 3, -1]), 3)), [[0, 1, 0], [0, 0, 0], [0, 0, 0]])


@pytest.mark.parametrize("dev", KERNEL_DEVICES or [None], ids=lambda d: getattr(d, "platform", "none"))
def test_mlp_under_jit_has_no_host_fallback(dev):
    """An MLP with these activations, jitted forward and with gradients, runs on a kernel device
    (wasm, webgpu) without host fallbacks, and agrees with the cpu device."""
    if dev is None:
        pytest.skip("no kernel device here")
    rng = np.random.default_rng(1)
    w1, w2 = (rng.standard_normal(s).astype(np.float32) * 0.3 for s in ((8, 16), (16, 4)))
    x = rng.standard_normal((5, 8)).astype(np.float32)
    labels = np.eye(4, dtype=np.float32)[[0, 3, 1, 2, 3]]

    def loss(w1, w2, x, labels):
        h = nn.gelu(x @ w1)
        h = (nn.silu(h) + nn.relu(h) + nn.relu6(h) + nn.leaky_relu(h) + nn.elu(h) + nn.softplus(h) + nn.sigmoid(h)
             + nn.mish(h) + nn.hard_swish(h) + nn.selu(h))
        h = nn.standardize(h)
        logits = h @ w2
        return -(nn.log_softmax(logits) * labels).sum() + nn.logsumexp(logits) + nn.softmax(logits).max()

    before = dict(dev.host_fallbacks)
    with np.errstate(all="ignore"):
        same(dev, jax.jit(loss), w1, w2, x, labels, rtol=1e-5, atol=1e-5)
        same(dev, jax.jit(jax.value_and_grad(loss, argnums=(0, 1))), w1, w2, x, labels, rtol=1e-4, atol=1e-5)
    assert dict(dev.host_fallbacks) == before, f"host fallbacks: {dict(dev.host_fallbacks)} vs {before}"
