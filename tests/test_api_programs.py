"""Small JAX programs of the kind users write, run unchanged (but for the imports) on jaxlite and on
real JAX: random keys and samplers, jax.nn, jax.scipy, the rest of jax.numpy and lax, pytree
paths. Each returns a pytree of results compared leaf by leaf (values and dtypes)."""

import importlib

import numpy as np
import pytest

from conftest import assert_close, needs_jax, real_jax

import jaxlite


def _modules(which):
    root = jaxlite if which == "jaxlite" else real_jax
    name = root.__name__
    return {m: importlib.import_module(f"{name}.{m}") for m in
            ("numpy", "lax", "nn", "random", "scipy.special", "scipy.stats", "tree_util")} | {"jax": root}


def mlp_training(m):
    jax, jnp, random, nn = m["jax"], m["numpy"], m["random"], m["nn"]
    key = random.PRNGKey(42)
    k1, k2, kx = random.split(key, 3)
    params = {"w1": random.normal(k1, (8, 16)) * 0.3, "b1": jnp.zeros(16),
              "w2": nn.initializers.glorot_normal()(k2, (16, 3)), "b2": jnp.zeros(3)}
    x = random.normal(kx, (32, 8))
    labels = jnp.argmax(x[:, :3], axis=1)

    def loss(p, x, y):
        h = nn.relu(x @ p["w1"] + p["b1"])
        logp = nn.log_softmax(h @ p["w2"] + p["b2"])
        return -jnp.mean(jnp.sum(logp * nn.one_hot(y, 3), axis=-1))

    @jax.jit
    def step(p, x, y):
        l, g = jax.value_and_grad(loss)(p, x, y)
        return jax.tree_util.tree_map(lambda a, b: a - 0.1 * b, p, g), l

    losses = []
    for _ in range(10):
        params, l = step(params, x, labels)
        losses.append(l)
    return params, jnp.stack(losses)


def reparameterised_elbo(m):
    jax, jnp, random, stats = m["jax"], m["numpy"], m["random"], m["scipy.stats"]
    data = jnp.array([0.3, -1.2, 2.0, 0.7])

    def elbo(mu_logsigma, key):
        mu, log_sigma = mu_logsigma
        eps = random.normal(key, (64,))
        z = mu + jnp.exp(log_sigma) * eps
        loglik = jax.vmap(lambda zi: jnp.sum(stats.norm.logpdf(data, zi, 1.0)))(z)
        prior = stats.norm.logpdf(z, 0.0, 3.0)
        entropy = jnp.sum(log_sigma)
        return jnp.mean(loglik + prior) + entropy

    key = random.key(0)
    grads = jax.grad(elbo)((jnp.array(0.5), jnp.array(-0.3)), key)
    return elbo((0.5, -0.3), key), grads


def logistic_regression(m):
    jax, jnp, special = m["jax"], m["numpy"], m["scipy.special"]
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 5)).astype(np.float32)
    y = (rng.random(40) < 0.5).astype(np.float32)

    def nll(w):
        p = special.expit(X @ w)
        return -jnp.sum(special.xlogy(y, p) + special.xlog1py(1 - y, -p))

    w = jnp.zeros(5)
    for _ in range(20):
        w = w - 0.05 * jax.grad(nll)(w)
    return w, nll(w), special.logsumexp(X, axis=0), special.erf(X[0]), special.gammaln(jnp.abs(X[1]) + 0.5)


def samplers_under_vmap(m):
    jax, jnp, random = m["jax"], m["numpy"], m["random"]
    keys = random.split(random.PRNGKey(7), 4)

    def draw(k):
        ka, kb, kc, kd, ke = random.split(k, 5)
        return {"uniform": random.uniform(ka, (3,), minval=-2.0, maxval=5.0),
                "randint": random.randint(kb, (5,), 0, 10),
                "bernoulli": random.bernoulli(kc, 0.3, (6,)),
                "categorical": random.categorical(kd, jnp.log(jnp.array([0.1, 0.2, 0.7])), shape=(4,)),
                "perm": random.permutation(ke, 6)}

    return jax.vmap(draw)(keys), jax.jit(jax.vmap(draw))(keys)


def gamma_family(m):
    random = m["random"]
    k = random.PRNGKey(1)
    k1, k2, k3, k4 = random.split(k, 4)
    return (random.gamma(k1, 2.5, (5,)), random.beta(k2, 2.0, 3.0, (5,)),
            random.dirichlet(k3, m["numpy"].array([1.0, 2.0, 3.0]), (2,)), random.poisson(k4, 3.0, (6,)))


def conv_and_pool(m):
    jax, jnp, lax, random, nn = m["jax"], m["numpy"], m["lax"], m["random"], m["nn"]
    kx, kw = random.split(random.PRNGKey(3))
    x = random.normal(kx, (2, 1, 8, 8))
    w = nn.initializers.he_normal(in_axis=1, out_axis=0)(kw, (4, 1, 3, 3))

    def net(w, x):
        y = lax.conv_general_dilated(x, w, (1, 1), "SAME")
        y = nn.relu(y)
        y = lax.reduce_window(y, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
        return jnp.mean(y ** 2)

    return net(w, x), jax.grad(net)(w, x)


def data_wrangling(m):
    jnp = m["numpy"]
    x = jnp.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5])
    v = jnp.array([0.5, 1.5, -0.25, 2.0, 3.0, 1.0])
    return (jnp.unique(x, size=8, fill_value=-1), jnp.diff(x), jnp.bincount(x, length=10),
            jnp.histogram(v, bins=4)[0], jnp.cov(jnp.stack([v, v ** 2])), jnp.cumsum(x)[-1],
            jnp.interp(jnp.array([0.0, 1.2, 2.7]), jnp.array([0.0, 1.0, 2.0, 3.0]), jnp.array([1.0, 3.0, 2.0, 0.0])))


def attention_block(m):
    jax, jnp, random, nn = m["jax"], m["numpy"], m["random"], m["nn"]
    kq, kk, kv = random.split(random.PRNGKey(5), 3)
    q, k, v = (random.normal(kk_, (2, 6, 4, 8)) for kk_ in (kq, kk, kv))

    def f(q):
        return jnp.sum(nn.dot_product_attention(q, k, v, is_causal=True) ** 2)

    return jax.jit(f)(q), jax.grad(f)(q)


def tree_paths(m):
    tu = m["tree_util"]
    tree = {"layer1": {"w": np.ones((2,), np.float32), "b": np.zeros((1,), np.float32)},
            "layer2": [np.ones((3,), np.float32), (np.ones((1,), np.float32), None)]}
    leaves, _ = tu.tree_flatten_with_path(tree)
    names = [tu.keystr(p) for p, _ in leaves]
    scaled = tu.tree_map_with_path(lambda p, x: x * len(tu.keystr(p)), tree)
    return names, scaled


PROGRAMS = [mlp_training, reparameterised_elbo, logistic_regression, samplers_under_vmap, gamma_family,
            conv_and_pool, data_wrangling, attention_block, tree_paths]


@needs_jax
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_program_matches_jax(program):
    expected = program(_modules("jax"))
    actual = program(_modules("jaxlite"))
    if program is tree_paths:
        assert actual[0] == expected[0]
        actual, expected = actual[1], expected[1]
    assert_close(actual, expected, rtol=2e-4, atol=2e-5)
