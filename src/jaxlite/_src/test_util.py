"""jax.test_util: derivatives checked against central finite differences, along one random
direction per check (so big inputs stay cheap), recursively up to the requested order."""

from __future__ import annotations

import functools

import numpy as np

from jaxlite._src import ad, dtypes, tree_util

EPS = 1e-4

default_gradient_tolerance = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 2e-3, np.dtype(np.float64): 1e-5,
                              np.dtype(np.complex64): 1e-3, np.dtype(np.complex128): 1e-5}
_default_tolerance = {np.dtype(np.bool_): 0, np.dtype(np.int8): 0, np.dtype(np.int16): 0, np.dtype(np.int32): 0,
                      np.dtype(np.int64): 0, np.dtype(np.uint8): 0, np.dtype(np.uint16): 0, np.dtype(np.uint32): 0,
                      np.dtype(np.uint64): 0, np.dtype(np.float16): 1e-3, np.dtype(np.float32): 1e-6,
                      np.dtype(np.float64): 1e-15, np.dtype(np.complex64): 1e-6, np.dtype(np.complex128): 1e-15}


def _dtype(x) -> np.dtype:
    return getattr(x, "dtype", None) or dtypes.dtype_and_weak(x)[0]


def _is_python_scalar(x) -> bool:
    return isinstance(x, (bool, int, float, complex))


def _tolerance(dtype, tol) -> float:
    if not isinstance(tol, dict):
        return tol
    dtype = dtypes.canonicalize_dtype(np.dtype(dtype))
    return {np.dtype(k): v for k, v in tol.items()}.get(dtype, _default_tolerance.get(dtype, 0))


def _merge_tolerance(tol, default):
    if tol is None:
        return default
    if not isinstance(tol, dict):
        return tol
    return {**default, **{np.dtype(k): v for k, v in tol.items()}}


def _assert_close(a, b, atol, rtol, err_msg=""):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, f"{err_msg}: shapes {a.shape} and {b.shape} differ"
    atol = max(_tolerance(a.dtype, atol), _tolerance(b.dtype, atol))
    rtol = max(_tolerance(a.dtype, rtol), _tolerance(b.dtype, rtol))
    # Sums over many elements accumulate error: the tolerances scale with the size, as JAX's do.
    np.testing.assert_allclose(a.astype(np.result_type(a, np.float32)), b.astype(np.result_type(b, np.float32)),
                               atol=atol * a.size, rtol=rtol * b.size, err_msg=err_msg)


def check_close(xs, ys, atol=None, rtol=None, err_msg=""):
    tree_util.tree_map(functools.partial(_assert_close, atol=atol, rtol=rtol, err_msg=err_msg), xs, ys)


def _rand_like(rng, x):
    dtype = np.dtype(_dtype(x))
    shape = np.shape(x)
    out = np.asarray(rng.randn(*shape), dtype=dtype)
    if np.issubdtype(dtype, np.complexfloating):
        out = out + dtype.type(1j) * np.asarray(rng.randn(*shape), dtype=dtype)
    return out.item() if _is_python_scalar(x) else out


def _elementwise(op):
    def apply(x, y):
        dtype = np.dtype(_dtype(x))
        out = op(np.asarray(x, dtype), np.asarray(y, dtype)).astype(dtype)
        return out.item() if _is_python_scalar(x) else out
    return lambda xs, ys: tree_util.tree_map(apply, xs, ys)


_add, _sub = _elementwise(np.add), _elementwise(np.subtract)


def _scalar_mul(xs, a):
    def mul(x):
        dtype = np.dtype(_dtype(x))
        out = np.multiply(x, np.array(a, dtype=dtype), dtype=dtype)
        return out.item() if _is_python_scalar(x) else out
    return tree_util.tree_map(mul, xs)


def _safe_sub(xs, ys):
    def sub(x, y):
        x, y = np.asarray(x), np.asarray(y)
        with np.errstate(invalid="ignore"):
            return np.where(np.equal(x, y), np.zeros((), x.dtype), np.subtract(x, y, dtype=x.dtype))
    return tree_util.tree_map(sub, xs, ys)


def numerical_jvp(f, primals, tangents, eps=EPS):
    delta = _scalar_mul(tangents, eps)
    f_pos = f(*_add(primals, delta))
    f_neg = f(*_sub(primals, delta))
    return _scalar_mul(_safe_sub(f_pos, f_neg), 0.5 / eps)


def _inner_prod(xs, ys):
    def contract(x, y):
        return np.real(np.dot(np.conj(np.asarray(x)).reshape(-1), np.asarray(y).reshape(-1)))
    return tree_util.tree_reduce(np.add, tree_util.tree_map(contract, xs, ys))


def _check_dtypes_match(xs, ys):
    def check(x, y):
        assert dtypes.canonicalize_dtype(_dtype(x)) == dtypes.canonicalize_dtype(_dtype(y)), (_dtype(x), _dtype(y))
    tree_util.tree_map(check, xs, ys)


def check_jvp(f, f_jvp, args, atol=None, rtol=None, eps=EPS, err_msg=""):
    """The jvp of f at args, along a random tangent, against finite differences."""
    atol = _merge_tolerance(atol, default_gradient_tolerance)
    rtol = _merge_tolerance(rtol, default_gradient_tolerance)
    rng = np.random.RandomState(0)
    tangent = tree_util.tree_map(functools.partial(_rand_like, rng), args)
    v_out, t_out = f_jvp(args, tangent)
    _check_dtypes_match(v_out, t_out)
    v_expected = f(*args)
    _check_dtypes_match(v_out, v_expected)
    t_expected = numerical_jvp(f, args, tangent, eps=eps)
    check_close(v_out, v_expected, atol=atol, rtol=rtol, err_msg=f"{err_msg} primal" if err_msg else "primal")
    check_close(t_out, t_expected, atol=atol, rtol=rtol, err_msg=f"{err_msg} tangent" if err_msg else "tangent")


def check_vjp(f, f_vjp, args, atol=None, rtol=None, eps=EPS, err_msg=""):
    """<vjp(ct), t> against <ct, numerical jvp(t)> for random t and ct."""
    atol = _merge_tolerance(atol, default_gradient_tolerance)
    rtol = _merge_tolerance(rtol, default_gradient_tolerance)
    rand = functools.partial(_rand_like, np.random.RandomState(0))
    v_out, vjpfun = f_vjp(*args)
    check_close(v_out, f(*args), atol=atol, rtol=rtol, err_msg=f"{err_msg} primal" if err_msg else "primal")
    tangent = tree_util.tree_map(rand, args)
    tangent_out = numerical_jvp(f, args, tangent, eps=eps)
    cotangent = tree_util.tree_map(rand, v_out)
    conj = functools.partial(tree_util.tree_map, lambda x: np.conj(np.asarray(x)))
    cotangent_out = conj(vjpfun(conj(cotangent)))
    check_close(_inner_prod(tangent, cotangent_out), _inner_prod(tangent_out, cotangent), atol=atol, rtol=rtol,
                err_msg=f"{err_msg} cotangent projection" if err_msg else "cotangent projection")


def check_grads(f, args, order, modes=("fwd", "rev"), atol=None, rtol=None, eps=None):
    """Check forward and/or reverse derivatives of f at args up to `order` (AssertionError if off)."""
    args = tuple(args)
    eps = eps or EPS
    jvp_check = functools.partial(check_jvp, atol=atol, rtol=rtol, eps=eps)
    vjp_check = functools.partial(check_vjp, atol=atol, rtol=rtol, eps=eps)

    def check(f, args, order, err_msg=""):
        if "fwd" in modes:
            msg = f"JVP of {err_msg}" if err_msg else "JVP"
            jvp_check(f, functools.partial(ad.jvp, f), args, err_msg=msg)
            if order > 1:
                check(functools.partial(ad.jvp, f), (args, args), order - 1, msg)
        if "rev" in modes:
            msg = f"VJP of {err_msg}" if err_msg else "VJP"
            vjp_check(f, functools.partial(ad.vjp, f), args, err_msg=msg)
            if order > 1:
                def f_vjp(*a):
                    out, pullback = ad.vjp(f, *a)
                    return pullback(out)
                check(f_vjp, args, order - 1, msg)
        if "lin" in modes:
            msg = f"LIN of {err_msg}" if err_msg else "LIN"

            def jvp_from_lin(primals, tangents):
                out, f_lin = ad.linearize(f, *primals)
                return out, f_lin(*tangents)
            jvp_check(f, jvp_from_lin, args, err_msg=msg)

    check(f, args, order)
