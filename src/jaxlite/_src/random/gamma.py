"""The rejection samplers (gamma, poisson, binomial) and those built on gamma draws.

Each follows JAX 0.10 loop for loop and split for split: gamma draws element i with the i-th
key of `split(key, a.size)` by Marsaglia and Tsang's method; poisson uses Knuth's product of
uniforms for lam < 10 and transformed rejection (Hormann) above; binomial inverts geometric sums
for count * p <= 10 and uses BTRS above. Loops are `lax.while_loop`s, so they run under jit.
"""

from __future__ import annotations

import math

import numpy as np

import jaxlite.numpy as jnp
from jaxlite._src import dtypes
from jaxlite._src.ad_util import stop_gradient
from jaxlite._src.batching import vmap
from jaxlite._src.custom_derivatives import custom_jvp
from jaxlite._src.lax import control_flow, lax
from jaxlite._src.lax import special as lax_special
from jaxlite._src.numpy.util import broadcast_shapes, promote_dtypes_inexact
from jaxlite._src.random.prng import check_prng_key
from jaxlite._src.random.samplers import (_bcast, _broadcast_shape, _check_safe_cast, _check_shape,
                                          _exponential, _float_dtype, _float_sampler_args, _int_dtype, _normal,
                                          _rademacher, _shape, _split, _staged, _uniform)

_RANDOM_GAMMA_GRAD = getattr(lax_special, "random_gamma_grad", None)


# ---- gamma ---------------------------------------------------------------------------------------


def _gamma_one(key, alpha, log_space):
    """One Gamma(alpha) draw; alpha < 1 is boosted to alpha + 1 and scaled back by U**(1/alpha)."""
    dtype = alpha.dtype
    c_ = lambda v: lax.full((), v, dtype)
    zero, one, minus_one = c_(0), c_(1), c_(-1)
    one_over_three = c_(1.0 / 3.0)
    boost_mask = lax.ge(alpha, one)
    alpha_orig = alpha
    alpha = lax.select_n(boost_mask, lax.add(alpha, one), alpha)
    d = lax.sub(alpha, one_over_three)
    c = lax.div(one_over_three, lax.sqrt(d))

    def reject(kXVU):
        _, X, V, U = kXVU
        squeeze = lax.ge(U, lax.sub(one, lax.mul(c_(0.0331), lax.mul(X, X))))
        log_test = lax.ge(lax.log(U), lax.add(lax.mul(X, c_(0.5)), lax.mul(d, lax.add(lax.sub(one, V), lax.log(V)))))
        return lax.bitwise_and(squeeze, log_test)

    def next_xv(kxv):
        key, subkey = _split(kxv[0])
        x = _normal(subkey, (), dtype)
        return key, x, lax.add(one, lax.mul(x, c))

    def propose(kXVU):
        key, x_key, u_key = _split(kXVU[0], 3)
        _, x, v = control_flow.while_loop(lambda kxv: lax.le(kxv[2], zero), next_xv, (x_key, zero, minus_one))
        X = lax.mul(x, x)
        V = lax.mul(lax.mul(v, v), v)
        return key, X, V, _uniform(u_key, 0., 1., (), dtype)

    key, subkey = _split(key)
    _, _, V, _ = control_flow.while_loop(reject, propose, (key, zero, one, c_(2)))
    if log_space:
        log_samples = lax.neg(_exponential(subkey, (), dtype))
        log_boost = lax.select_n(lax.bitwise_or(boost_mask, lax.eq(log_samples, zero)),
                                 lax.mul(log_samples, lax.div(one, alpha_orig)), zero)
        return lax.add(lax.add(lax.log(d), lax.log(V)), log_boost)
    samples = lax.sub(one, _uniform(subkey, 0., 1., (), dtype))
    boost = lax.select_n(boost_mask, lax.pow(samples, lax.div(one, alpha_orig)), one)
    return lax.mul(lax.mul(d, V), boost)


def _gamma_draws(key, a, log_space):
    if a.size == 0:
        return jnp.zeros(a.shape, a.dtype)
    keys = _split(key, a.size)
    samples = vmap(lambda k, al: _gamma_one(k, al, log_space))(keys, jnp.ravel(a))
    return jnp.reshape(samples, a.shape)


def _gamma_grad(sample, a, log_space):
    """d sample / d a at fixed uniform noise (implicit reparameterisation), as JAX's."""
    if log_space:
        x = jnp.exp(sample)
        x = jnp.where(x == 0, np.finfo(x.dtype).tiny, x)
        return _RANDOM_GAMMA_GRAD(a, x) / x
    return _RANDOM_GAMMA_GRAD(a, sample)


def _make_gamma_sampler(log_space):
    if _RANDOM_GAMMA_GRAD is None:
        return lambda key, a: _gamma_draws(key, a, log_space)

    @custom_jvp
    def draw(key, a):
        return _gamma_draws(key, a, log_space)

    @draw.defjvp
    def draw_jvp(primals, tangents):
        key, a = primals
        _, a_dot = tangents
        out = _gamma_draws(key, a, log_space)
        return out, a_dot * _gamma_grad(out, a, log_space)
    return draw


_GAMMA_SAMPLERS = {False: _make_gamma_sampler(False), True: _make_gamma_sampler(True)}


def _gamma(key, a, shape, dtype, log_space=False):
    if shape is None:
        shape = np.shape(a)
    else:
        _check_shape("gamma", shape, np.shape(a))
    a = _bcast(lax.convert_element_type(a, dtype), shape)
    return _GAMMA_SAMPLERS[log_space](key, a)


_gamma_staged = _staged(2, 3, 4)(_gamma)


def _gamma_args(name, key, dtype, shape):
    key, _ = check_prng_key(name, key)
    dtype = _float_dtype("gamma", dtype)
    return key, dtype, None if shape is None else _shape(shape)


def gamma(key, a, shape=None, dtype=None):
    """Samples of the gamma distribution with shape `a` and scale 1 (differentiable in `a`)."""
    key, dtype, shape = _gamma_args("gamma", key, dtype, shape)
    return _gamma_staged(key, a, shape, dtype, False)


def loggamma(key, a, shape=None, dtype=None):
    """Logarithms of gamma samples with shape `a`, accurate for small `a`."""
    key, dtype, shape = _gamma_args("loggamma", key, dtype, shape)
    return _gamma_staged(key, a, shape, dtype, True)


def beta(key, a, b, shape=None, dtype=None):
    """Samples of the beta distribution with parameters `a` and `b`."""
    key, _ = check_prng_key("beta", key)
    dtype = _float_dtype("beta", dtype)
    _check_safe_cast("beta", dtype, a, b)
    shape = _broadcast_shape("beta", shape, a, b)
    return _beta_staged(key, a, b, shape, dtype)


def _beta(key, a, b, shape, dtype):
    key_a, key_b = _split(key)
    a = _bcast(lax.convert_element_type(a, dtype), shape)
    b = _bcast(lax.convert_element_type(b, dtype), shape)
    log_gamma_a = _gamma(key_a, a, shape, dtype, True)
    log_gamma_b = _gamma(key_b, b, shape, dtype, True)
    # gamma_a / (gamma_a + gamma_b) without overflow or underflow.
    log_max = lax.max(log_gamma_a, log_gamma_b)
    gamma_a_scaled = jnp.exp(log_gamma_a - log_max)
    gamma_b_scaled = jnp.exp(log_gamma_b - log_max)
    return gamma_a_scaled / (gamma_a_scaled + gamma_b_scaled)


_beta_staged = _staged(3, 4)(_beta)


def dirichlet(key, alpha, shape=None, dtype=None):
    """Samples of the Dirichlet distribution with concentration `alpha` (the last axis holds the categories)."""
    key, _ = check_prng_key("dirichlet", key)
    dtype = _float_dtype("dirichlet", dtype)
    if np.ndim(alpha) < 1:
        raise ValueError(f"dirichlet requires alpha.ndim >= 1, got alpha.ndim == {np.ndim(alpha)}")
    if shape is None:
        shape = np.shape(alpha)[:-1]
    else:
        shape = _shape(shape)
        _check_shape("dirichlet", shape, np.shape(alpha)[:-1])
    return _dirichlet_staged(key, alpha, tuple(shape), dtype)


def _dirichlet(key, alpha, shape, dtype):
    alpha = lax.convert_element_type(alpha, dtype)
    # In log space: small alpha would underflow the gamma draws.
    log_gamma = _gamma(key, alpha, shape + np.shape(alpha)[-1:], dtype, True)
    unnormalized = jnp.exp(log_gamma - stop_gradient(jnp.max(log_gamma, axis=-1, keepdims=True)))
    return unnormalized / jnp.sum(unnormalized, axis=-1, keepdims=True)


_dirichlet_staged = _staged(2, 3)(_dirichlet)


def t(key, df, shape=None, dtype=None):
    """Samples of Student's t distribution with `df` degrees of freedom."""
    key, shape, dtype = _float_sampler_args("t", key, shape, dtype, df)
    return _t_staged(key, df, shape, dtype)


def _t(key, df, shape, dtype):
    df = lax.convert_element_type(df, dtype)
    key_n, key_g = _split(key)
    n = _normal(key_n, shape, dtype)
    half_df = lax.div(df, lax.full(np.shape(df), 2, dtype))
    g = _gamma(key_g, half_df, shape, dtype)
    return n * jnp.sqrt(half_df / g)


_t_staged = _staged(2, 3)(_t)


def chisquare(key, df, shape=None, dtype=None):
    """Samples of the chi-square distribution with `df` degrees of freedom."""
    key, shape, dtype = _float_sampler_args("chisquare", key, shape, dtype, df)
    return _chisquare_staged(key, df, shape, dtype)


def _chisquare(key, df, shape, dtype):
    df = lax.convert_element_type(df, dtype)
    half_df = lax.div(df, lax.full(np.shape(df), 2, dtype))
    log_g = _gamma(key, half_df, shape, dtype, True)
    return lax.mul(jnp.exp(log_g), lax.full(shape, 2, dtype))


_chisquare_staged = _staged(2, 3)(_chisquare)


def f(key, dfnum, dfden, shape=None, dtype=None):
    """Samples of the F distribution with `dfnum` and `dfden` degrees of freedom."""
    key, shape, dtype = _float_sampler_args("f", key, shape, dtype, dfnum, dfden)
    return _f_staged(key, dfnum, dfden, shape, dtype)


def _f(key, dfnum, dfden, shape, dtype):
    dfden = lax.convert_element_type(dfden, dtype)
    dfnum = lax.convert_element_type(dfnum, dtype)
    key_dfd, key_dfn = _split(key)
    num = _chisquare(key_dfn, dfnum, shape, dtype) / dfnum
    den = _chisquare(key_dfd, dfden, shape, dtype) / dfden
    return num / den


_f_staged = _staged(3, 4)(_f)


def generalized_normal(key, p, shape=(), dtype=None):
    """Samples of the generalized normal distribution with shape `p` (p=2: a normal with variance 1/2)."""
    shape = _shape(shape)
    key, _ = check_prng_key("generalized_normal", key)
    dtype = dtypes.check_user_dtype(float if dtype is None else dtype)
    return _generalized_normal_staged(key, p, shape, dtype)


def _generalized_normal(key, p, shape, dtype):
    k_g, k_r = _split(key)
    g = _gamma(k_g, 1 / p, shape, dtype)
    r = _rademacher(k_r, shape, dtype)
    return r * g ** (1 / p)


_generalized_normal_staged = _staged(2, 3)(_generalized_normal)


def ball(key, d, p=2, shape=(), dtype=None):
    """Points uniform in the d-dimensional unit ball of the L-`p` norm, of shape (*shape, d)."""
    shape = _shape(shape)
    key, _ = check_prng_key("ball", key)
    dtype = dtypes.check_user_dtype(float if dtype is None else dtype)
    d = int(d)
    return _ball_staged(key, p, d, shape, dtype)


def _ball(key, p, d, shape, dtype):
    k1, k2 = _split(key)
    g = _generalized_normal(k1, p, (*shape, d), dtype)
    e = _exponential(k2, shape, dtype)
    return g / (((jnp.abs(g) ** p).sum(-1) + e) ** (1 / p))[..., None]


_ball_staged = _staged(2, 3, 4)(_ball)


# ---- poisson -------------------------------------------------------------------------------------


def _poisson_knuth(key, lam, shape, dtype, max_iters):
    def body(carry):
        i, k, rng, log_prod = carry
        rng, subkey = _split(rng)
        k = lax.select_n(log_prod > -lam, k, k + 1)
        u = _uniform(subkey, 0., 1., shape, np.dtype("float32"))
        return i + 1, k, rng, log_prod + jnp.log(u)

    def cond(carry):
        i, log_prod = carry[0], carry[3]
        return jnp.any(log_prod > -lam) & (i < max_iters)

    k_init = lax.full(shape, 0, dtype)
    log_init = lax.full(shape, 0, np.dtype("float32"))
    k = control_flow.while_loop(cond, body, (jnp.int32(0), k_init, key, log_init))[1]
    return (k - 1).astype(dtype)


def _poisson_rejection(key, lam, shape, dtype, max_iters):
    log_lam = lax.log(lam)
    b = 0.931 + 2.53 * lax.sqrt(lam)
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2)

    def body(carry):
        i, k_out, accepted, key = carry
        key, subkey_0, subkey_1 = _split(key, 3)
        u = _uniform(subkey_0, 0., 1., shape, lam.dtype) - 0.5
        v = _uniform(subkey_1, 0., 1., shape, lam.dtype)
        u_shifted = 0.5 - abs(u)
        k = lax.floor((2 * a / u_shifted + b) * u + lam + 0.43)
        s = lax.log(v * inv_alpha / (a / (u_shifted * u_shifted) + b))
        t_ = -lam + k * log_lam - lax.lgamma(k + 1)
        accept1 = (u_shifted >= 0.07) & (v <= v_r)
        reject = (k < 0) | ((u_shifted < 0.013) & (v > u_shifted))
        accept = accept1 | (~reject & (s <= t_))
        return i + 1, lax.select_n(accept, k_out, k), accepted | accept, key

    def cond(carry):
        return jnp.any(~carry[2]) & (carry[0] < max_iters)

    k_init = lax.full(shape, -1, lam.dtype)
    accepted = lax.full(shape, False, np.dtype("bool"))
    k = control_flow.while_loop(cond, body, (jnp.int32(0), k_init, accepted, key))[1]
    return k.astype(dtype)


def _poisson(key, lam, shape, dtype):
    use_knuth = jnp.isnan(lam) | (lam < 10)
    lam_knuth = lax.select_n(use_knuth, lax.full(shape, 0.0, lam.dtype), lam)
    lam_rejection = lax.select_n(use_knuth, lam, lax.full(shape, 100000.0, lam.dtype))
    max_iters = np.iinfo(dtype).max if np.iinfo(dtype).max < 2 ** 31 else 2 ** 31 - 1
    result = lax.select_n(use_knuth, _poisson_rejection(key, lam_rejection, shape, dtype, max_iters),
                          _poisson_knuth(key, lam_knuth, shape, dtype, max_iters))
    return lax.select_n(lam == 0, result, jnp.zeros_like(result))


_poisson_staged = _staged(2, 3)(_poisson)


def poisson(key, lam, shape=None, dtype=None):
    """Samples of the Poisson distribution with rate `lam`, as integers (the default int dtype unless `dtype`)."""
    key, _ = check_prng_key("poisson", key)
    dtype = _int_dtype(dtype)
    shape = np.shape(lam) if shape is None else _shape(shape)
    lam = lax.convert_element_type(jnp.broadcast_to(lam, shape), np.dtype("float32"))
    return _poisson_staged(key, lam, tuple(shape), dtype)


# ---- binomial and multinomial --------------------------------------------------------------------

_STIRLING_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
                  0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.010411265261972,
                  0.00925546218271273, 0.00833056343336287)


def _stirling_approx_tail(k):
    use_table = k <= 9
    k = lax.max(lax.min(k, lax.full(k.shape, 9.0, k.dtype)), lax.full(k.shape, 0.0, k.dtype))
    kp1sq = (k + 1) * (k + 1)
    approx = (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)
    table = jnp.array(_STIRLING_TAIL, dtype=k.dtype)[jnp.floor(k).astype("int32")]
    return lax.select_n(use_table, approx, table)


def _binomial_inversion(key, count, prob, shape, dtype, max_iters):
    log1minusprob = jnp.log1p(-prob)

    def body(carry):
        i, num_geom, geom_sum, key = carry
        subkey, key = _split(key)
        num_geom_out = lax.select_n(geom_sum <= count, num_geom, num_geom + 1)
        u = _uniform(subkey, 0., 1., shape, prob.dtype)
        geom = jnp.ceil(jnp.log(u) / log1minusprob)
        return i + 1, num_geom_out, geom_sum + geom, key

    def cond(carry):
        return jnp.any(carry[2] <= count) & (carry[0] < max_iters)

    zeros = lax.full(shape, 0, prob.dtype)
    k = control_flow.while_loop(cond, body, (jnp.int32(0), zeros, zeros, key))[1]
    return (k - 1).astype(dtype)


def _btrs(key, count, prob, shape, dtype, max_iters):
    stddev = jnp.sqrt(count * prob * (1 - prob))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = count * prob + 0.5
    v_r = 0.92 - 4.2 / b
    r = prob / (1 - prob)
    alpha = (2.83 + 5.1 / b) * stddev
    m = jnp.floor((count + 1) * prob)

    def body(carry):
        i, k_out, accepted, key = carry
        key, subkey_0, subkey_1 = _split(key, 3)
        u = _uniform(subkey_0, 0., 1., shape, prob.dtype)
        v = _uniform(subkey_1, 0., 1., shape, prob.dtype)
        u = u - 0.5
        us = 0.5 - jnp.abs(u)
        accept1 = (us >= 0.07) & (v <= v_r)
        k = jnp.floor((2 * a / us + b) * u + c)
        reject = (k < 0) | (k > count)
        v = jnp.log(v * alpha / (a / (us * us) + b))
        ub = ((m + 0.5) * jnp.log((m + 1) / (r * (count - m + 1)))
              + (count + 1) * jnp.log((count - m + 1) / (count - k + 1))
              + (k + 0.5) * jnp.log(r * (count - k + 1) / (k + 1))
              + _stirling_approx_tail(m) + _stirling_approx_tail(count - m)
              - _stirling_approx_tail(k) - _stirling_approx_tail(count - k))
        accept = accept1 | (~reject & (v <= ub))
        return i + 1, lax.select_n(accept, k_out, k), accepted | accept, key

    def cond(carry):
        return jnp.any(~carry[2]) & (carry[0] < max_iters)

    carry = (jnp.int32(0), lax.full(shape, -1, prob.dtype), lax.full(shape, False, np.dtype("bool")), key)
    return control_flow.while_loop(cond, body, carry)[1].astype(dtype)


def _binomial(key, count, prob, shape, dtype):
    if shape is None:
        shape = broadcast_shapes(np.shape(count), np.shape(prob))
    else:
        _check_shape("binomial", shape, np.shape(count), np.shape(prob))
    prob, = promote_dtypes_inexact(prob)
    count = _bcast(lax.convert_element_type(count, prob.dtype), shape)
    prob = _bcast(prob, shape)
    p_lt_half = prob < 0.5
    q = lax.select_n(p_lt_half, 1.0 - prob, prob)
    count_nan_or_neg = jnp.isnan(count) | (count < 0.0)
    count_inf = lax.eq(lax.abs(count), np.inf)  # jnp.isinf rejects arrays at the moment
    q_is_nan = jnp.isnan(q)
    q_l_0 = q < 0.0
    q = lax.select_n(q_is_nan | q_l_0, q, jnp.full_like(q, 0.01))
    use_inversion = count_nan_or_neg | (count * q <= 10.0)
    count = jnp.floor(count)
    count_inv = lax.select_n(use_inversion, jnp.full_like(count, 0.0), count)
    count_btrs = lax.select_n(use_inversion, count, jnp.full_like(count, 10000.0))
    q_btrs = lax.select_n(use_inversion, q, jnp.full_like(q, 0.5))
    max_iters = 2 ** 31 - 1  # JAX's float max: the loops end on acceptance, never on this bound
    samples = lax.select_n(use_inversion, _btrs(key, count_btrs, q_btrs, shape, dtype, max_iters),
                           _binomial_inversion(key, count_inv, q, shape, dtype, max_iters))
    invalid = q_l_0 | q_is_nan | count_nan_or_neg
    samples = lax.select_n(invalid, samples, jnp.full_like(samples, np.nan, dtype))
    samples = lax.select_n(count_inf & ~invalid, samples, jnp.full_like(samples, np.inf, dtype))
    return lax.select_n(p_lt_half | count_nan_or_neg | q_is_nan | count_inf, count.astype(dtype) - samples, samples)


_binomial_staged = _staged(3, 4)(_binomial)


def binomial(key, n, p, shape=None, dtype=None):
    """Samples of the binomial distribution: successes in `n` trials with probability `p` (as floats)."""
    key, _ = check_prng_key("binomial", key)
    dtype = _float_dtype("binomial", dtype)
    shape = None if shape is None else _shape(shape)
    return _binomial_staged(key, n, p, shape, dtype)


def multinomial(key, n, p, *, shape=None, dtype=None, unroll=1):
    """Counts of `n` draws over categories with probabilities `p` (the last axis), as floats."""
    key, _ = check_prng_key("multinomial", key)
    n, p = promote_dtypes_inexact(n, p)
    dtype = _float_dtype("multinomial", dtype)
    shape = p.shape if shape is None else _shape(shape)
    n = jnp.broadcast_to(n, shape[:-1])
    p = jnp.moveaxis(jnp.broadcast_to(p, shape), -1, 0)
    remaining = jnp.flip(jnp.cumsum(jnp.flip(p, 0), axis=0), 0)
    ratios = p / jnp.where(remaining == 0, 1, remaining)
    keys = _split(key, ratios.shape[0])

    def step(remainder, ratio_key):
        ratio, k = ratio_key
        count = _binomial(k, remainder, jnp.clip(ratio, 0, 1), remainder.shape, remainder.dtype)
        return remainder - count, count

    _, counts = control_flow.scan(step, n, (ratios, keys), unroll=unroll)
    return jnp.moveaxis(counts, 0, -1).astype(dtype)
