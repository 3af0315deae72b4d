"""jax.nn's activations and normalisations, built from jaxlite.numpy and lax operations.

Where JAX pins a derivative with a custom jvp (relu at 0, relu6 at 0 and 6, log1mexp, softmax
under `jax_softmax_custom_jvp`), so do we, so gradients agree at kinks and with infinite inputs.
JAX wraps most of these in `jit`; we do not, because a nested jit is a fusion boundary for the
kernel devices while plain ops fuse into the caller's kernels (an eager call is a few single-op
kernels instead of one).
"""

from __future__ import annotations

import warnings

import numpy as np

from jaxlite._src import core, dtypes
from jaxlite._src.config import config
from jaxlite._src.ad_util import stop_gradient
from jaxlite._src.custom_derivatives import custom_jvp
from jaxlite._src.features import partial
from jaxlite._src.lax import lax, structural
from jaxlite._src.numpy import lax_numpy as jnp
from jaxlite._src.numpy.reductions import max as _max, mean as _mean, sum as _sum
from jaxlite._src.numpy.util import (asarray, canonicalize_axes, canonicalize_axis, check_arraylike,
                                     promote_args_inexact)


def _arraylike(name, *xs):
    check_arraylike(name, *xs)
    out = [asarray(x) for x in xs]
    return out[0] if len(out) == 1 else out


def _select(pred, on_true, on_false):
    return lax.select_n(pred, on_false, on_true)


# ---- activations --------------------------------------------------------------------------------

def identity(x):
    """The identity activation: returns `x` unchanged."""
    return _arraylike("identity", x)


@custom_jvp
def relu(x):
    """Rectified linear unit max(x, 0), with gradient 0 at x = 0 (as JAX)."""
    return jnp.maximum(_arraylike("relu", x), 0)


# max's own jvp splits the tangent at a tie (0.5 at x == 0); JAX pins relu'(0) = 0.
relu.defjvps(lambda g, ans, x: _select(x > 0, g, jnp.zeros_like(g)))


@custom_jvp
def relu6(x):
    """ReLU capped at 6: min(max(x, 0), 6)."""
    return jnp.minimum(jnp.maximum(_arraylike("relu6", x), 0), 6.)


relu6.defjvps(lambda g, ans, x: _select((x > 0) & (x < 6), g, jnp.zeros_like(g)))


def squareplus(x, b=4):
    """Squareplus activation (x + sqrt(x**2 + b)) / 2, a smooth ReLU."""
    x, b = _arraylike("squareplus", x, b)
    return (x + jnp.sqrt(jnp.square(x) + b)) / 2


def softplus(x):
    """Softplus activation log(1 + exp(x)), computed without overflow."""
    return jnp.logaddexp(_arraylike("softplus", x), 0)


def sparse_plus(x):
    """Sparse plus: 0 for x <= -1, (x + 1)**2 / 4 on (-1, 1), x for x >= 1."""
    x = _arraylike("sparse_plus", x)
    return jnp.where(x <= -1.0, 0.0, jnp.where(x >= 1.0, x, (x + 1.0) ** 2 / 4))


def soft_sign(x):
    """Softsign activation x / (|x| + 1)."""
    x = _arraylike("soft_sign", x)
    return x / (jnp.abs(x) + 1)


def sigmoid(x):
    """Logistic sigmoid 1 / (1 + exp(-x))."""
    return lax.logistic(_arraylike("sigmoid", x))


def sparse_sigmoid(x):
    """Sparse sigmoid: 0 for x <= -1, (x + 1) / 2 on (-1, 1), 1 for x >= 1."""
    return 0.5 * jnp.clip(_arraylike("sparse_sigmoid", x) + 1.0, 0.0, 2.0)


def silu(x):
    """SiLU (swish) activation x * sigmoid(x) (also `swish`)."""
    x = _arraylike("silu", x)
    return x * sigmoid(x)


swish = silu


def mish(x):
    """Mish activation x * tanh(softplus(x))."""
    x = _arraylike("mish", x)
    return x * jnp.tanh(softplus(x))


def log_sigmoid(x):
    """log(sigmoid(x)), computed as -softplus(-x) for stability."""
    x = _arraylike("log_sigmoid", x)
    return -softplus(-x)


def elu(x, alpha=1.0):
    """Exponential linear unit: x for x > 0, alpha * (exp(x) - 1) otherwise."""
    x = _arraylike("elu", x)
    positive = x > 0
    # expm1 only sees the non-positive side, so a huge x cannot make an inf that poisons the grad.
    return jnp.where(positive, x, alpha * jnp.expm1(jnp.where(positive, 0., x)))


def leaky_relu(x, negative_slope=1e-2):
    """Leaky ReLU: x for x >= 0, negative_slope * x otherwise."""
    x = _arraylike("leaky_relu", x)
    return jnp.where(x >= 0, x, negative_slope * x)


def hard_tanh(x):
    """Hard tanh: x clipped to [-1, 1]."""
    x = _arraylike("hard_tanh", x)
    return jnp.where(x > 1, 1, jnp.where(x < -1, -1, x))


def celu(x, alpha=1.0):
    """Continuously differentiable ELU: max(x, 0) + alpha * min(exp(x / alpha) - 1, 0)."""
    x = _arraylike("celu", x)
    return jnp.maximum(x, 0.0) + alpha * jnp.expm1(jnp.minimum(x, 0.0) / alpha)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x):
    """Scaled ELU with the fixed self-normalizing constants (alpha about 1.6733, scale about 1.0507)."""
    return _SELU_SCALE * elu(_arraylike("selu", x), _SELU_ALPHA)


def gelu(x, approximate: bool = True):
    """Gaussian error linear unit x * Phi(x); `approximate=True` (the default) uses the tanh approximation."""
    (x,) = promote_args_inexact("gelu", x)
    dt = x.dtype
    if approximate:
        # Constants in x's dtype (not weak Python floats), as JAX writes them: the result is never
        # weakly typed.
        c = np.sqrt(2 / np.pi).astype(dt)
        return x * (0.5 * (1.0 + jnp.tanh(c * (x + 0.044715 * (x ** 3)))))
    half = np.sqrt(0.5).astype(dt)
    return jnp.array(0.5 * x * lax.erfc(-x * half), dtype=dt)


def glu(x, axis: int = -1):
    """Gated linear unit: split `x` in two halves a, b along `axis` and return a * sigmoid(b)."""
    x = _arraylike("glu", x)
    if x.shape[axis] % 2 != 0:
        raise AssertionError("axis size must be divisible by 2")
    a, b = jnp.split(x, 2, axis)
    return a * sigmoid(b)


def hard_sigmoid(x):
    """Hard sigmoid relu6(x + 3) / 6."""
    return relu6(_arraylike("hard_sigmoid", x) + 3.) / 6.


def hard_silu(x):
    """Hard SiLU (hard swish) x * hard_sigmoid(x) (also `hard_swish`)."""
    x = _arraylike("hard_silu", x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu
tanh = jnp.tanh


@custom_jvp
def log1mexp(x):
    """log(1 - exp(-x)) for x > 0, accurate for both small and large x."""
    x = _arraylike("log1mexp", x)
    # Maechler's switch point: expm1 is accurate below log 2, log1p(-exp) above.
    return jnp.where(x < jnp.log(2.0), jnp.log(-jnp.expm1(-x)), jnp.log1p(-jnp.exp(-x)))


log1mexp.defjvps(lambda g, ans, x: g / jnp.expm1(x))


# ---- reductions over logits ---------------------------------------------------------------------

def _masked(x, where, fill):
    return x if where is None else jnp.where(where, x, fill)


def _masked_max(x, axis, where, keepdims):
    # max over the kept entries, -inf where none is kept (JAX's `initial=-inf`).
    x = _masked(x, where, -np.inf)
    return _max(x, axis=axis, keepdims=keepdims, initial=-np.inf)


def logsumexp(a, axis=None, b=None, keepdims: bool = False, return_sign: bool = False, where=None):
    """log(sum(b * exp(a))) along `axis`, shifted by the (gradient-stopped) max for stability."""
    if where is not None:
        a = jnp.where(where, a, 0)
    if b is not None:
        a, b = promote_args_inexact("logsumexp", a, b)
        a = jnp.where(b != 0, a, -np.inf)
    else:
        (a,) = promote_args_inexact("logsumexp", a)
    axes = canonicalize_axes(axis, a.ndim)
    amax = _masked_max(jnp.real(a), axes, where, keepdims)
    # An all -inf (or +inf, or nan) slice would make a - amax nan: shift by 0 there instead.
    amax = stop_gradient(_select(jnp.isfinite(amax), amax, jnp.zeros_like(amax)))
    amax_full = amax if keepdims else structural.expand_dims(amax, axes)
    exp_a = jnp.exp(jnp.subtract(a, amax_full.astype(a.dtype)))
    if b is not None:
        exp_a = jnp.multiply(exp_a, b)
    sumexp = _sum(_masked(exp_a, where, 0), axis=axes, keepdims=keepdims)
    sign = lax.sign(sumexp)
    complex_ = a.dtype.kind == "c"
    if return_sign or not complex_:
        sumexp = jnp.abs(sumexp)
    out = lax.add(lax.log(sumexp), amax.astype(sumexp.dtype))
    if return_sign:
        return out, sign
    if b is not None and not complex_:
        out = jnp.where(sign < 0, jnp.array(np.nan, dtype=out.dtype), out)
    return out


def logmeanexp(x, axis=None, where=None, keepdims: bool = False):
    """log(mean(exp(x))) over `axis`, computed stably like logsumexp; `where` masks elements out."""
    lse = logsumexp(x, axis=axis, where=where, keepdims=keepdims)
    x = asarray(x)
    axes = canonicalize_axes(axis, x.ndim)
    if where is None:
        count = jnp.array(int(np.prod([x.shape[i] for i in axes], dtype=np.int64)), dtype=lse.dtype)
    else:
        count = _sum(jnp.broadcast_to(where, x.shape), axis=axes, keepdims=keepdims, dtype=lse.dtype)
    return lse - jnp.log(count)


def softmax(x, axis=-1, where=None):
    """exp(x) / sum(exp(x)) along `axis`; masked-out entries are 0.

    As in JAX 0.10.2, it is differentiated through its operations (the max shift held constant);
    with `jax_softmax_custom_jvp` set, by the rule `y * (dx - sum(y * dx))` instead."""
    x = _float_logits(x)
    if config.read("jax_softmax_custom_jvp"):
        return _softmax(x, axis, where)
    return _softmax_fwd(x, axis, where, shift=stop_gradient)


def _float_logits(x):
    # Integer logits: JAX shifts them by an integer max (its -inf initial wraps to INT_MIN) and
    # exponentiates in float; converting first is the same for any int32 logits that exp can take.
    x = asarray(x)
    return x.astype(dtypes.default_float()) if x.dtype.kind in "biu" else x


def _softmax_fwd(x, axis, where, shift=lambda m: m):
    x_max = _masked_max(x, axis, where, keepdims=True)
    unnormalized = jnp.exp(_masked(x, where, -np.inf) - shift(x_max))
    result = unnormalized / _sum(_masked(unnormalized, where, 0), axis, keepdims=True)
    return result if where is None else jnp.where(where, result, 0)


def _softmax_jvp(axis, primals, tangents):
    (x, where), (x_dot, _) = primals, tangents
    y = _softmax(x, axis, where)
    return y, y * (x_dot - _sum(_masked(y * x_dot, where, 0), axis, keepdims=True))


_softmax = custom_jvp(_softmax_fwd, nondiff_argnums=(1,))
_softmax.defjvp(_softmax_jvp)


def log_softmax(x, axis=-1, where=None):
    """Log of the softmax along `axis`: x - logsumexp(x); `where` masks elements out."""
    check_arraylike("log_softmax", x)
    x = _float_logits(x)
    x_max = _masked_max(x, axis, where, keepdims=True)
    shifted = _masked(x, where, -np.inf) - stop_gradient(x_max)
    shifted_lse = jnp.log(_sum(_masked(jnp.exp(shifted), where, 0), axis, keepdims=True))
    result = shifted - shifted_lse
    return result if where is None else jnp.where(where, result, -np.inf)


def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5, where=None, *, algorithm: str = "fast"):
    """Normalize `x` to zero mean and unit variance along `axis` (given `mean`/`variance` are used if passed)."""
    check_arraylike("standardize", x)
    for name, v in (("mean", mean), ("variance", variance), ("where", where)):
        if v is not None:
            check_arraylike("standardize", v)
    if mean is None:
        mean = _mean(x, axis, keepdims=True, where=where)
    if variance is None:
        if algorithm == "stable":
            variance = _mean(jnp.square(jnp.subtract(x, mean)), axis, keepdims=True, where=where)
        elif algorithm == "fast":
            # E[x^2] - E[x]^2 can come out slightly negative; rsqrt needs it clipped at 0.
            variance = jnp.clip(_mean(jnp.square(x), axis, keepdims=True, where=where) - jnp.square(mean), 0)
        else:
            raise ValueError(f"Unknown algorithm '{algorithm}'. Expected 'fast' or 'stable'.")
    return jnp.subtract(x, mean) * lax.rsqrt(variance + epsilon)


def one_hot(x, num_classes: int, *, dtype=None, axis: int = -1):
    """One-hot encoding of the integers `x` over `num_classes` classes, as a new axis at `axis`; out-of-range
    values give all zeros. `axis` may name a vmap axis of size num_classes: each member of the batch then
    holds whether its value equals its own index along that axis."""
    num_classes = core.concrete_or_error(
        num_classes, "The error arose in jax.nn.one_hot argument `num_classes`.")
    num_classes = int(num_classes)
    x = asarray(x)
    if x.dtype.kind not in "iu":
        warnings.warn(f"jax.nn.one_hot input should be integer-typed; got dtype={x.dtype}",
                      DeprecationWarning, stacklevel=2)
    dtype = dtypes.default_float() if dtype is None else dtypes.check_user_dtype(dtype)
    if not isinstance(axis, (int, np.integer)):
        from jaxlite._src.lax import parallel
        size = parallel.axis_size(axis)
        if num_classes != size:
            raise ValueError(f"Expected num_classes to match the size of axis {axis}, but {num_classes} != {size}")
        return (x == parallel.axis_index(axis)).astype(dtype)
    out_axis = canonicalize_axis(axis, x.ndim + 1)
    classes_shape = [1] * x.ndim
    classes_shape.insert(out_axis, num_classes)
    classes = structural.broadcasted_iota(x.dtype, tuple(classes_shape), out_axis)
    # An index outside [0, num_classes) matches no class: an all-zero row.
    return (structural.expand_dims(x, (out_axis,)) == classes).astype(dtype)
