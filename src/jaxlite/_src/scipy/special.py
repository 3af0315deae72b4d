"""jax.scipy.special: special functions over jaxlite.numpy's promotion rules, built from lax
(the incomplete gamma/beta, zeta and Bessel pieces come from lax/special.py)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from jaxlite._src.core import get_aval
from jaxlite._src.custom_derivatives import custom_jvp
from jaxlite._src.lax import lax
from jaxlite._src.lax import special as lsp
from jaxlite._src.nn.functions import log_softmax as _nn_log_softmax, logsumexp, softmax as _nn_softmax
from jaxlite._src.numpy import lax_numpy as jnp
from jaxlite._src.numpy.util import asarray, promote_args_inexact

__all__ = ["logsumexp"]


def _one(name, x):
    (x,) = promote_args_inexact(name, x)
    return x


def _where(c, t, f):
    return jnp.where(c, t, f)


def _const(x, v):
    return lax.full(get_aval(x).shape, v, get_aval(x).dtype)


# ---- gamma family ------------------------------------------------------------------------------


def gammaln(x):
    """Elementwise log of the absolute value of the gamma function, log|Gamma(x)|."""
    return lsp._lgamma(_one("gammaln", x))


def gammasgn(x):
    """Elementwise sign of the gamma function (NaN at its poles, the non-positive integers)."""
    x = _one("gammasgn", x)
    floor_x = lax.floor(x)
    # Gamma is negative on (-2k-1, -2k); +-0 keep their sign; poles and nan give nan.
    # floor_x is odd: written without float rem, which has no wasm kernel (exact for floats).
    odd = lax.ne(floor_x, lax.mul(_const(x, 2.0), lax.floor(lax.mul(floor_x, _const(x, 0.5)))))
    neg = lax.bitwise_and(lax.lt(x, _const(x, 0.0)), odd)
    out = _where(neg, _const(x, -1.0), _const(x, 1.0))
    out = _where(lax.eq(x, _const(x, 0.0)), jnp.copysign(_const(x, 1.0), x), out)
    pole = lax.bitwise_and(lax.lt(x, _const(x, 0.0)), lax.eq(x, floor_x))
    return _where(lax.bitwise_or(pole, lax.ne(x, x)), _const(x, np.nan), out)


def loggamma(x):
    """Elementwise principal log of the gamma function for real x: NaN for x <= 0, as JAX's (the
    real log is undefined where Gamma is negative, and JAX gives NaN on the whole half-line)."""
    x = _one("loggamma", x)
    return jnp.where(x <= 0, np.nan, lsp._lgamma(x))


def gamma(x):
    """Elementwise gamma function Gamma(x)."""
    x = _one("gamma", x)
    return gammasgn(x) * lax.exp(lsp._lgamma(x))


def betaln(a, b):
    """Elementwise log of the absolute value of the beta function B(a, b)."""
    a, b = promote_args_inexact("betaln", a, b)
    # lgamma(a) + lgamma(b) - lgamma(a + b) loses digits when one argument is large; the same
    # reordering JAX uses (smaller first) keeps float32 accuracy for moderate sizes.
    lo, hi = jnp.minimum(a, b), jnp.maximum(a, b)
    return lsp._lgamma(lo) + (lsp._lgamma(hi) - lsp._lgamma(lo + hi))


def beta(a, b):
    """Elementwise beta function B(a, b) = Gamma(a) Gamma(b) / Gamma(a + b)."""
    a, b = promote_args_inexact("beta", a, b)
    sign = gammasgn(a) * gammasgn(b) * gammasgn(a + b)
    return sign * lax.exp(betaln(a, b))


def betainc(a, b, x):
    """Elementwise regularized incomplete beta function I_x(a, b)."""
    a, b, x = promote_args_inexact("betainc", a, b, x)
    return lsp._betainc(a, b, x)


def digamma(x):
    """Elementwise digamma function psi(x), the derivative of log Gamma(x)."""
    return lsp._digamma(_one("digamma", x))


def polygamma(n, x):
    """Elementwise polygamma function psi^(n)(x), the n-th derivative of digamma, for integer n >= 0."""
    n = asarray(n)
    if get_aval(n).dtype.kind not in "iu":
        raise ValueError(f"Argument `n` to polygamma must be of integer type. Got dtype {get_aval(n).dtype}.")
    n_f, x = promote_args_inexact("polygamma", n, x)
    return lsp._polygamma(lax.convert_element_type(n_f, get_aval(x).dtype), x)


def gammainc(a, x):
    """Elementwise regularized lower incomplete gamma function P(a, x)."""
    a, x = promote_args_inexact("gammainc", a, x)
    return lsp._igamma(a, x)


def gammaincc(a, x):
    """Elementwise regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    a, x = promote_args_inexact("gammaincc", a, x)
    return lsp._igammac(a, x)


def zeta(x, q=None):
    """Elementwise Hurwitz zeta function sum over k >= 0 of 1 / (k + q)**x (q is required, as in JAX)."""
    if q is None:
        raise NotImplementedError("Riemann zeta function not implemented; pass q != None to compute the Hurwitz Zeta function.")
    x, q = promote_args_inexact("zeta", x, q)
    return lsp._zeta(x, q)


def multigammaln(a, d):
    """Log of the multivariate gamma function of dimension `d` at `a`."""
    d = int(d)
    (a,) = promote_args_inexact("multigammaln", a)
    constant = 0.25 * d * (d - 1) * math.log(math.pi)
    res = _const(a, 0.0)
    for i in range(d):
        res = res + lsp._lgamma(a - 0.5 * i)
    return res + constant


def factorial(n, exact: bool = False):
    """Elementwise n! through the gamma function (0 for negative n); `exact=True` is not supported, as in JAX."""
    if exact:
        raise NotImplementedError("factorial with exact=True")
    n = _one("factorial", n)
    return _where(lax.lt(n, _const(n, 0.0)), _const(n, 0.0), lax.exp(lsp._lgamma(n + 1.0)))


def comb(N, k, *, repetition: bool = False):
    """Elementwise number of combinations N choose k (with `repetition`, multisets), as floats."""
    N, k = promote_args_inexact("comb", N, k)
    if repetition:
        return comb(N + k - 1, k)
    one = _const(N, 1.0)
    out = lax.exp(lsp._lgamma(N + one) - lsp._lgamma(N - k + one) - lsp._lgamma(k + one))
    return _where(lax.bitwise_or(lax.bitwise_or(lax.lt(N, k), lax.lt(k, _const(k, 0.0))), lax.lt(N, _const(N, 0.0))),
                  _const(N, 0.0), out)


@custom_jvp
def poch(z, m):
    """Elementwise Pochhammer symbol (rising factorial) Gamma(z + m) / Gamma(z)."""
    z, m = promote_args_inexact("poch", z, m)
    return _where(lax.eq(m, _const(m, 0.0)), _const(z, 1.0), gamma(z + m) / gamma(z))


@poch.defjvp
def _poch_jvp(primals, tangents):
    z, m = promote_args_inexact("poch", *primals)
    tz, tm = tangents
    p = poch(z, m)
    dz = p * (digamma(z + m) - digamma(z))
    dm = p * digamma(z + m)
    return p, tz * dz + tm * dm


def bernoulli(n: int):
    """The first n + 1 Bernoulli numbers B_0 ... B_n (with B_1 = -1/2)."""
    n = int(n)
    if n < 0:
        raise ValueError("n must be a non-negative integer.")
    values = lsp._bernoulli(n)
    values = [v if i != 1 else Fraction(-1, 2) for i, v in enumerate(values)]
    return jnp.array([float(v) for v in values], dtype=jnp.float32 if not _x64() else jnp.float64)


def _x64():
    from jaxlite._src.config import config
    return bool(config.jax_enable_x64)


# ---- error function family ---------------------------------------------------------------------


def erf(x):
    """Elementwise error function 2 / sqrt(pi) * integral of exp(-t**2) from 0 to x."""
    return lax.erf(_one("erf", x))


def erfc(x):
    """Elementwise complementary error function 1 - erf(x), accurate for large x."""
    return lax.erfc(_one("erfc", x))


def erfinv(x):
    """Elementwise inverse error function on (-1, 1)."""
    return lsp._erf_inv(_one("erfinv", x))


def ndtr(x):
    """Elementwise standard normal cumulative distribution function Phi(x)."""
    x = asarray(x)
    if get_aval(x).dtype not in (np.float32, np.float64):
        raise TypeError(f"x.dtype={get_aval(x).dtype} is not supported, see docstring for supported types.")
    return _ndtr(x)


def _ndtr(x):
    half_sqrt2 = 0.5 * math.sqrt(2.0)
    w = x * half_sqrt2
    z = lax.abs(w)
    y = _where(lax.lt(z, _const(z, half_sqrt2)), 1.0 + lax.erf(w),
               _where(lax.gt(w, _const(w, 0.0)), 2.0 - lax.erfc(z), lax.erfc(z)))
    return 0.5 * y


def _norm_logpdf(x):
    return -0.5 * x * x - math.log(math.sqrt(2 * math.pi))


def _log_ndtr(x, series_order):
    dt = get_aval(x).dtype
    lower, upper = (-20.0, 8.0) if dt == np.float64 else (-10.0, 5.0)
    above = lax.gt(x, _const(x, upper))
    res = _ndtr(_where(above, -x, lax.max(x, _const(x, lower))))
    # Asymptotic series for x << -1 (JAX's), with series_order terms.
    xl = lax.min(x, _const(x, lower))
    x2 = xl * xl
    even, odd, x2n = _const(x, 0.0), _const(x, 0.0), x2
    for n in range(1, series_order + 1):
        y = float(np.prod(np.arange(2 * n - 1, 1, -2))) / x2n
        if n % 2:
            odd = odd + y
        else:
            even = even + y
        x2n = x2n * x2
    log_scale = -0.5 * x2 - lax.log(-xl) - 0.5 * math.log(2 * math.pi)
    tail = log_scale + lax.log(1.0 + even - odd)
    return _where(above, -res, _where(lax.gt(x, _const(x, lower)), lax.log(res), tail))


def log_ndtr(x, series_order: int = 3):
    """Elementwise log of the standard normal CDF, accurate far into the lower tail (asymptotic series of
    `series_order` terms).
    """
    if not isinstance(series_order, int):
        raise TypeError("series_order must be a Python integer.")
    if series_order < 0:
        raise ValueError("series_order must be non-negative.")
    if series_order > 30:
        raise ValueError("series_order must be <= 30.")
    x = asarray(x)
    if get_aval(x).dtype not in (np.float32, np.float64):
        raise TypeError(f"x.dtype={get_aval(x).dtype} is not supported.")
    return _log_ndtr_wrapped(x, series_order)


_LOG_NDTR = {}


def _log_ndtr_wrapped(x, series_order):
    # one custom_jvp per series order (a static argument)
    f = _LOG_NDTR.get(series_order)
    if f is None:
        f = _LOG_NDTR[series_order] = custom_jvp(lambda x: _log_ndtr(x, series_order))

        def jvp(primals, tangents):
            ans = f(primals[0])
            return ans, tangents[0] * lax.exp(_norm_logpdf(primals[0]) - ans)
        f.defjvp(jvp)
    return f(x)


def ndtri(p):
    """Elementwise inverse of the standard normal CDF (the quantile function) for p in (0, 1)."""
    p = asarray(p)
    if get_aval(p).dtype not in (np.float32, np.float64):
        raise TypeError(f"x.dtype={get_aval(p).dtype} is not supported.")
    # Centre: sqrt(2) erfinv(2p - 1). Tails (where 2p - 1 rounds away the digits of p): Newton
    # steps on log_ndtr(y) = log(p) from the asymptotic start, symmetric for p > 1/2.
    centre = math.sqrt(2.0) * lsp._erf_inv(2.0 * p - 1.0)
    q = jnp.minimum(p, 1.0 - p)
    tail_q = lax.max(q, _const(q, float(np.finfo(get_aval(p).dtype).tiny)))
    log_q = lax.log(tail_q)
    t = lax.sqrt(-2.0 * log_q)
    y = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1.0 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t))
    for _ in range(3):
        ln = _log_ndtr(y, 3)
        y = y - (ln - log_q) / lax.exp(_norm_logpdf(y) - ln)
    tail = _where(lax.gt(p, _const(p, 0.5)), -y, y)
    out = _where(lax.lt(q, _const(q, 0.05)), tail, centre)
    out = _where(lax.eq(p, _const(p, 0.0)), _const(p, -np.inf), out)
    out = _where(lax.eq(p, _const(p, 1.0)), _const(p, np.inf), out)
    bad = lax.bitwise_or(lax.bitwise_or(lax.lt(p, _const(p, 0.0)), lax.gt(p, _const(p, 1.0))), lax.ne(p, p))
    return _where(bad, _const(p, np.nan), out)


# ---- logistic, entropy ---------------------------------------------------------------------------


@custom_jvp
def logit(x):
    """Elementwise log-odds log(x / (1 - x)), the inverse of expit."""
    x = _one("logit", x)
    return lax.log(x / (1.0 - x))


@logit.defjvp
def _logit_jvp(primals, tangents):
    x = _one("logit", primals[0])
    t = tangents[0]
    return logit(x), t / (x * (1.0 - x))


def expit(x):
    """Elementwise logistic sigmoid 1 / (1 + exp(-x))."""
    x = _one("expit", x)
    return lax.logistic(x)


@custom_jvp
def xlogy(x, y):
    """Elementwise x * log(y), defined as 0 where x == 0 (also for its gradient)."""
    x, y = promote_args_inexact("xlogy", x, y)
    x_ok = lax.ne(x, _const(x, 0.0))
    return _where(x_ok, lax.mul(x, lax.log(y)), _const(x, 0.0))


@xlogy.defjvp
def _xlogy_jvp(primals, tangents):
    x, y = promote_args_inexact("xlogy", *primals)
    tx, ty = tangents
    return xlogy(x, y), tx * lax.log(y) + ty * (x / y)


@custom_jvp
def xlog1py(x, y):
    """Elementwise x * log1p(y), defined as 0 where x == 0."""
    x, y = promote_args_inexact("xlog1py", x, y)
    x_ok = lax.ne(x, _const(x, 0.0))
    return _where(x_ok, lax.mul(x, lax.log1p(y)), _const(x, 0.0))


@xlog1py.defjvp
def _xlog1py_jvp(primals, tangents):
    x, y = promote_args_inexact("xlog1py", *primals)
    tx, ty = tangents
    return xlog1py(x, y), tx * lax.log1p(y) + ty * (x / (1.0 + y))


@custom_jvp
def _xlogx(x):
    return xlogy(x, x)


@_xlogx.defjvp
def _xlogx_jvp(primals, tangents):
    x, = primals
    return _xlogx(x), tangents[0] * (lax.log(x) + 1.0)


def entr(x):
    """Elementwise entropy term -x log(x) for x > 0, 0 at x = 0 and -inf for x < 0."""
    x = _one("entr", x)
    return _where(lax.lt(x, _const(x, 0.0)), _const(x, -np.inf), -_xlogx(x))


def rel_entr(p, q):
    """Elementwise relative entropy p log(p / q), with scipy's conventions at 0 and inf for invalid inputs."""
    p, q = promote_args_inexact("rel_entr", p, q)
    zero = _const(p, 0.0)
    both_gt = lax.bitwise_and(lax.gt(p, zero), lax.gt(q, zero))
    one_zero = lax.bitwise_and(lax.eq(p, zero), lax.ge(q, zero))
    safe_p = _where(both_gt, p, _const(p, 1.0))
    safe_q = _where(both_gt, q, _const(q, 1.0))
    log_val = lax.sub(_xlogx(safe_p), xlogy(safe_p, safe_q))
    result = _where(both_gt, log_val, _where(one_zero, zero, _const(p, np.inf)))
    return result


def kl_div(p, q):
    """Elementwise Kullback-Leibler term p log(p / q) - p + q."""
    p, q = promote_args_inexact("kl_div", p, q)
    return rel_entr(p, q) - p + q


def softmax(x, /, *, axis=None):
    """Softmax exp(x) / sum(exp(x)) over `axis` (all axes if None)."""
    return _nn_softmax(x, axis=axis)


def log_softmax(x, /, *, axis=None):
    """Log of the softmax over `axis` (all axes if None): x - logsumexp(x)."""
    return _nn_log_softmax(x, axis=axis)


def boxcox(x, lmbda):
    """Elementwise Box-Cox transform (x**lmbda - 1) / lmbda, or log(x) for lmbda == 0."""
    x, lmbda = promote_args_inexact("boxcox", x, lmbda)
    zero = lax.eq(lmbda, _const(lmbda, 0.0))
    safe = _where(zero, _const(lmbda, 1.0), lmbda)
    return _where(zero, lax.log(x), lax.expm1(safe * lax.log(x)) / safe)


def boxcox1p(x, lmbda):
    """Elementwise Box-Cox transform of 1 + x, accurate for small x."""
    x, lmbda = promote_args_inexact("boxcox1p", x, lmbda)
    zero = lax.eq(lmbda, _const(lmbda, 0.0))
    safe = _where(zero, _const(lmbda, 1.0), lmbda)
    return _where(zero, lax.log1p(x), lax.expm1(safe * lax.log1p(x)) / safe)


# ---- Bessel --------------------------------------------------------------------------------------


def i0e(x):
    """Elementwise exponentially scaled I0: exp(-|x|) I0(x)."""
    return lsp._i0e(_one("i0e", x))


def i0(x):
    """Elementwise modified Bessel function of the first kind of order 0, I0(x)."""
    x = _one("i0", x)
    return lax.exp(lax.abs(x)) * lsp._i0e(x)


def i1e(x):
    """Elementwise exponentially scaled I1: exp(-|x|) I1(x)."""
    return lsp._i1e(_one("i1e", x))


def i1(x):
    """Elementwise modified Bessel function of the first kind of order 1, I1(x)."""
    x = _one("i1", x)
    return lax.exp(lax.abs(x)) * lsp._i1e(x)
