"""Linear-algebra primitives (jax.lax.linalg): cholesky, triangular_solve, lu, qr, eigh, svd, eig,
tridiagonal_solve, lu_pivots_to_permutation, geqrf and schur.

Every primitive takes leading batch dimensions, so vmap moves the batch axis to the front. The cpu
kernels are numpy (LAPACK where numpy has the routine, small numpy loops where it has not: the
triangular solve and LU with LAPACK's pivots). On wasm, float32 cholesky, triangular_solve, lu,
lu_pivots_to_permutation (backends/wasm/linalg.py; float64 too, and complex64/complex128
cholesky, triangular_solve and lu in backends/wasm/linalg_complex.py), qr, eigh and svd (backends/wasm/eig.py; their
complex64/complex128 forms in backends/wasm/eig_complex.py) are routines of the device;
on webgpu float32 and complex64 cholesky, triangular_solve, lu and
lu_pivots_to_permutation (backends/webgpu/linalg.py), and qr, eigh and svd by the wasm device's
routines (backends/webgpu/via_wasm.py). The rest run as counted host fallbacks.
The derivative rules follow JAX's jax/_src/lax/linalg.py.
"""

from __future__ import annotations

import numpy as np

from jaxlite._src import ad, batching, dtypes
from jaxlite._src.backends import cpu
from jaxlite._src.core import Primitive, ShapedArray, abstract_eval_rules, get_aval
from jaxlite._src.lax import lax, structural
from jaxlite._src.lax.dot import dot_general

__all__ = ["cholesky", "triangular_solve", "lu", "lu_pivots_to_permutation", "qr", "eigh", "svd", "eig",
           "tridiagonal_solve", "cholesky_p", "triangular_solve_p", "lu_p", "lu_pivots_to_permutation_p", "qr_p",
           "eigh_p", "svd_p", "eig_p", "tridiagonal_solve_p"]


# ---- small lax helpers over the last two (matrix) axes ---------------------------------------------


def _is_complex(x) -> bool:
    return dtypes.issubdtype(get_aval(x).dtype, np.complexfloating)


def _T(x):
    nd = get_aval(x).ndim
    return structural.transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _H(x):
    x = _T(x)
    return lax.conj(x) if _is_complex(x) else x


def _mm(a, b):
    """Matrix product with equal leading batch dims, at full precision as JAX's rules ask."""
    nd = get_aval(a).ndim
    batch = tuple(range(nd - 2))
    return dot_general(a, b, (((nd - 1,), (nd - 2,)), (batch, batch)))


def _tri_mask(shape, k, lower):
    nd = len(shape)
    rows = structural.broadcasted_iota(np.int32, shape, nd - 2)
    cols = structural.broadcasted_iota(np.int32, shape, nd - 1)
    rows = lax.add(rows, lax.full(shape, k, np.int32))
    return lax.ge(rows, cols) if lower else lax.le(rows, cols)


def _tril(x, k=0):
    aval = get_aval(x)
    return lax.select_n(_tri_mask(aval.shape, k, True), lax.full(aval.shape, 0, aval.dtype), x)


def _triu(x, k=0):
    aval = get_aval(x)
    return lax.select_n(_tri_mask(aval.shape, k, False), lax.full(aval.shape, 0, aval.dtype), x)


def _eye(shape, dtype):
    """Identity matrices of shape (..., m, n)."""
    nd = len(shape)
    on = lax.eq(structural.broadcasted_iota(np.int32, shape, nd - 2), structural.broadcasted_iota(np.int32, shape, nd - 1))
    return lax.convert_element_type(on, dtype)


def _like(x, value, dtype=None):
    aval = get_aval(x)
    return lax.full(aval.shape, value, dtype or aval.dtype)


def _bcast(x, shape, dims):
    return structural.broadcast_in_dim(x, tuple(shape), tuple(dims))


def _row(v, n):  # (..., k) -> (..., n, k): v[..., None, :]
    s = get_aval(v).shape
    return _bcast(v, s[:-1] + (n, s[-1]), tuple(range(len(s) - 1)) + (len(s),))


def _col(v, n):  # (..., k) -> (..., k, n): v[..., :, None]
    s = get_aval(v).shape
    return _bcast(v, s + (n,), tuple(range(len(s))))


def _diag(x):  # (..., n, n) -> (..., n)
    from jaxlite._src.numpy.lax_numpy import diagonal
    return diagonal(x, 0, -2, -1)


def _real(x):
    return lax.real(x) if _is_complex(x) else x


def _check_matrix(name, aval, square=True):
    if aval.ndim < 2 or (square and aval.shape[-1] != aval.shape[-2]):
        what = "square matrices" if square else "matrices"
        raise ValueError(f"{name} requires {what} of shape [..., m, n], got {aval.shape}")
    if not dtypes.issubdtype(aval.dtype, np.inexact):
        raise TypeError(f"{name} requires a floating-point or complex operand, got {aval.dtype}")


def _batch_vmap(prim):
    """These primitives take leading batch dims: move every batch axis to the front."""
    def rule(axis_size, vals, dims, **params):
        vals = [batching.move_batch_axis(axis_size, d, 0, v) for v, d in zip(vals, dims)]
        out = prim.bind(*vals, **params)
        outs = out if prim.multiple_results else [out]
        return outs, [0] * len(outs)
    batching.vmap_rules[prim] = rule


def _per_matrix(fn, x, out_like):
    """Run a numpy routine on a stack; a matrix that LAPACK rejects (non-finite entries) gives NaNs
    as JAX's info != 0 path does, instead of numpy's LinAlgError."""
    with np.errstate(all="ignore"):
        try:
            return fn(x)
        except np.linalg.LinAlgError:
            pass
        flat = x.reshape((-1,) + x.shape[-2:])
        outs = []
        for m in flat:
            try:
                outs.append(fn(m))
            except np.linalg.LinAlgError:
                outs.append([np.full(s, np.nan, d) for s, d in out_like(m)])
        return [np.stack([o[i] for o in outs]).reshape(x.shape[:-2] + outs[0][i].shape) for i in range(len(outs[0]))]


# ---- cholesky ----------------------------------------------------------------------------------------

cholesky_p = Primitive("cholesky")


def _cholesky_abstract(x, *, symmetrize_input=False):
    _check_matrix("cholesky", x)
    return [ShapedArray(x.shape, x.dtype)]


def _cholesky_kernel(x, *, symmetrize_input=False):
    x = np.asarray(x)
    if symmetrize_input:
        x = (x + np.conj(np.swapaxes(x, -1, -2))) / x.dtype.type(2)
    if x.shape[-1] == 0:
        return x.copy()

    def one(m):
        return [np.linalg.cholesky(m)]
    out = _per_matrix(one, x, lambda m: [(m.shape, m.dtype)])[0]
    # JAX: a failed factorisation is NaN in the lower triangle, the upper stays zero.
    return np.where(np.tril(np.ones(x.shape[-2:], bool)), out, 0).astype(x.dtype)


def _symmetrize(x):
    return lax.div(lax.add(x, _H(x)), _like(x, 2))


def cholesky(x, *, symmetrize_input: bool = True):
    # The primitive symmetrises ((x + x^H) / 2) itself: a device routine reads both triangles in
    # blocks, where a separate elementwise kernel reads x^H column by column (slow on wasm).
    return cholesky_p.bind(lax._as_array(x), symmetrize_input=bool(symmetrize_input))


def symmetrized(dev, buf, aval):
    """(x + x^H) / 2 of a device buffer as the device's own kernels compute it, for a device
    routine of cholesky_p that does not symmetrise in its own kernels."""
    key = (tuple(aval.shape), np.dtype(aval.dtype))
    closed = _symmetrize_jaxprs.get(key)
    if closed is None:
        from jaxlite._src import partial_eval as pe  # above the lax modules
        closed = _symmetrize_jaxprs[key] = pe.make_closed_jaxpr(lambda y: [_symmetrize(y)], [ShapedArray(*key)])
    return dev.plan_for(closed)([buf])[0]


_symmetrize_jaxprs: dict = {}


def _cholesky_jvp(primals, tangents, *, symmetrize_input=False):
    (x,), (sigma_dot,) = primals, tangents
    L = _tril(cholesky_p.bind(x, symmetrize_input=symmetrize_input))
    if symmetrize_input:  # the derivative of cholesky(sym(x)): JAX's rule at sym(x_dot)
        sigma_dot = _symmetrize(sigma_dot)
    aval = get_aval(x)
    # Forward mode from arXiv:1602.07527: L_dot = L phi(L^-1 sigma_dot L^-H).
    tmp = triangular_solve(L, sigma_dot, left_side=False, transpose_a=True, conjugate_a=True, lower=True)
    inner = triangular_solve(L, tmp, left_side=True, transpose_a=False, lower=True)
    phi = lax.div(_tril(inner), lax.add(lax.full(aval.shape, 1, aval.dtype), _eye(aval.shape, aval.dtype)))
    return [L], [_mm(L, phi)]


abstract_eval_rules[cholesky_p] = _cholesky_abstract
cpu.kernels[cholesky_p] = _cholesky_kernel
ad.jvp_rules[cholesky_p] = _cholesky_jvp
_batch_vmap(cholesky_p)


# ---- triangular_solve ------------------------------------------------------------------------------

triangular_solve_p = Primitive("triangular_solve")


def _triangular_solve_abstract(a, b, *, left_side, lower, transpose_a, conjugate_a, unit_diagonal):
    _check_matrix("triangular_solve", a)
    if b.ndim < 2:
        raise TypeError(f"triangular_solve requires b to have at least 2 dimensions, got {b.shape}")
    if a.shape[:-2] != b.shape[:-2]:
        raise TypeError(f"triangular_solve requires both arguments to have the same number of dimensions and "
                        f"equal batch dimensions, got {a.shape} and {b.shape}.")
    common = b.shape[-2] if left_side else b.shape[-1]
    if a.shape[-1] != common:
        raise TypeError(f"Incompatible shapes for arguments to triangular_solve: {a.shape} and {b.shape}.")
    if a.dtype != b.dtype:
        raise TypeError(f"triangular_solve requires operands of the same dtype, got {a.dtype} and {b.dtype}")
    return [ShapedArray(b.shape, b.dtype)]


def _triangular_solve_kernel(a, b, *, left_side, lower, transpose_a, conjugate_a, unit_diagonal):
    a, b = np.asarray(a), np.asarray(b)
    n = a.shape[-1]
    t = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        t = np.where(np.eye(n, dtype=bool), np.ones((), a.dtype), t)
    if conjugate_a:
        t = np.conj(t)
    if transpose_a:
        t = np.swapaxes(t, -1, -2)
    low = lower != transpose_a
    if not left_side:  # x t = b  <=>  t^T x^T = b^T
        t, b, low = np.swapaxes(t, -1, -2), np.swapaxes(b, -1, -2), not low
    x = np.zeros(b.shape, np.result_type(t, b))
    order = range(n) if low else range(n - 1, -1, -1)
    with np.errstate(all="ignore"):
        for i in order:
            acc = b[..., i, :] - np.einsum("...k,...kj->...j", t[..., i, :], x)
            x[..., i, :] = acc / t[..., i, i][..., None]
    return np.swapaxes(x, -1, -2) if not left_side else x


def triangular_solve(a, b, *, left_side: bool = False, lower: bool = False, transpose_a: bool = False,
                     conjugate_a: bool = False, unit_diagonal: bool = False):
    """Solves op(a) @ x = b (left_side) or x @ op(a) = b for triangular a; b may be a vector."""
    a, b = lax._as_array(a), lax._as_array(b)
    if get_aval(a).dtype != get_aval(b).dtype:
        dt = dtypes.result_type(get_aval(a).dtype, get_aval(b).dtype)
        a, b = lax.convert_element_type(a, dt), lax.convert_element_type(b, dt)
    if conjugate_a and not _is_complex(a):
        conjugate_a = False
    singleton = get_aval(b).ndim == get_aval(a).ndim - 1
    if singleton:
        b = structural.expand_dims(b, (get_aval(b).ndim if left_side else get_aval(b).ndim - 1,))
    out = triangular_solve_p.bind(a, b, left_side=bool(left_side), lower=bool(lower), transpose_a=bool(transpose_a),
                                  conjugate_a=bool(conjugate_a), unit_diagonal=bool(unit_diagonal))
    if singleton:
        out = structural.squeeze(out, (get_aval(out).ndim - 1 if left_side else get_aval(out).ndim - 2,))
    return out


def _triangular_solve_jvp(primals, tangents, *, left_side, lower, transpose_a, conjugate_a, unit_diagonal):
    a, b = primals
    g_a, g_b = tangents
    params = dict(left_side=left_side, lower=lower, transpose_a=transpose_a, conjugate_a=conjugate_a,
                  unit_diagonal=unit_diagonal)
    ans = triangular_solve_p.bind(a, b, **params)
    m, n = get_aval(b).shape[-2:]
    k = 1 if unit_diagonal else 0
    g_a = lax.neg(_tril(g_a, -k) if lower else _triu(g_a, k))
    g_a = _T(g_a) if transpose_a else g_a
    g_a = lax.conj(g_a) if conjugate_a else g_a

    def a_inverse(rhs):
        return triangular_solve_p.bind(a, rhs, **params)
    # A triangular solve costs about a matrix product: take the cheaper order.
    if left_side:
        t_a = a_inverse(_mm(g_a, ans)) if m > n else _mm(a_inverse(g_a), ans)
    else:
        t_a = a_inverse(_mm(ans, g_a)) if m < n else _mm(ans, a_inverse(g_a))
    return [ans], [lax.add(t_a, triangular_solve_p.bind(a, g_b, **params))]


def _triangular_solve_transpose(ct, a, b, *, left_side, lower, transpose_a, conjugate_a, unit_diagonal):
    # Linear in b only (like div in its numerator); a is always a known primal here.
    assert not ad.is_undefined_primal(a) and ad.is_undefined_primal(b)
    ct_b = triangular_solve_p.bind(a, ct, left_side=left_side, lower=lower, transpose_a=not transpose_a,
                                   conjugate_a=conjugate_a, unit_diagonal=unit_diagonal)
    return [None, ct_b]


abstract_eval_rules[triangular_solve_p] = _triangular_solve_abstract
cpu.kernels[triangular_solve_p] = _triangular_solve_kernel
ad.jvp_rules[triangular_solve_p] = _triangular_solve_jvp
ad.transpose_rules[triangular_solve_p] = _triangular_solve_transpose
_batch_vmap(triangular_solve_p)


# ---- lu ------------------------------------------------------------------------------------------

lu_p = Primitive("lu", multiple_results=True)


def _lu_abstract(x):
    _check_matrix("lu", x, square=False)
    m, n = x.shape[-2:]
    batch = x.shape[:-2]
    return [ShapedArray(x.shape, x.dtype), ShapedArray(batch + (min(m, n),), np.dtype(np.int32)),
            ShapedArray(batch + (m,), np.dtype(np.int32))]


def _lu_kernel(x):
    """Right-looking LU with partial pivoting, pivots chosen as LAPACK's getrf does (first entry of
    largest magnitude: |re| + |im| for complex, icamax's measure; a zero pivot column is left unscaled)."""
    x = np.asarray(x)
    m, n = x.shape[-2:]
    k = min(m, n)
    a = x.reshape((-1, m, n)).copy()
    nb = a.shape[0]
    piv = np.zeros((nb, k), np.int32)
    perm = np.tile(np.arange(m, dtype=np.int32), (nb, 1))
    rows = np.arange(nb)
    with np.errstate(all="ignore"):
        for j in range(k):
            col = a[:, j:, j]
            p = j + np.argmax(np.abs(col.real) + np.abs(col.imag) if np.iscomplexobj(col) else np.abs(col), axis=1)
            piv[:, j] = p
            a[rows, j], a[rows, p] = a[rows, p].copy(), a[rows, j].copy()
            perm[rows, j], perm[rows, p] = perm[rows, p].copy(), perm[rows, j].copy()
            pivot = a[:, j, j]
            nz = pivot != 0
            scaled = a[:, j + 1:, j] / np.where(nz, pivot, 1)[:, None]
            a[:, j + 1:, j] = np.where(nz[:, None], scaled, a[:, j + 1:, j])
            a[:, j + 1:, j + 1:] -= a[:, j + 1:, j:j + 1] * a[:, j:j + 1, j + 1:]
    batch = x.shape[:-2]
    return [a.reshape(x.shape), piv.reshape(batch + (k,)), perm.reshape(batch + (m,))]


def lu(x):
    """LU with partial pivoting: (lu, pivots, permutation); a[permutation] = L @ U."""
    return tuple(lu_p.bind(lax._as_array(x)))


def _lu_jvp(primals, tangents):
    from jaxlite._src.lax.slicing import take_along_axis
    (a,), (a_dot,) = primals, tangents
    lu_, pivots, permutation = lu_p.bind(a)
    shape = get_aval(a).shape
    dtype = get_aval(a).dtype
    m, n = shape[-2:]
    k = min(m, n)
    batch = shape[:-2]
    nd = len(shape)
    idx = _bcast(permutation, batch + (m, n), tuple(range(nd - 1)))
    x = take_along_axis(a_dot, idx, nd - 2)
    zero = lax.full((), 0, dtype)
    lower_part = structural.slice(lu_, (0,) * nd, batch + (m, k))
    l_ = structural.pad(_tril(lower_part, -1), zero, [(0, 0, 0)] * (nd - 1) + [(0, m - k, 0)])
    l_ = lax.add(l_, _eye(batch + (m, m), dtype))
    upper_part = structural.slice(lu_, (0,) * nd, batch + (k, n))
    u_eye = structural.pad(_eye(batch + (n - k, n - k), dtype), zero, [(0, 0, 0)] * (nd - 2) + [(k, 0, 0)] * 2)
    u = lax.add(structural.pad(_triu(upper_part), zero, [(0, 0, 0)] * (nd - 2) + [(0, n - k, 0), (0, 0, 0)]), u_eye)
    la = triangular_solve(l_, x, left_side=True, transpose_a=False, lower=True, unit_diagonal=True)
    lau = triangular_solve(u, la, left_side=False, transpose_a=False, lower=False)
    l_dot = _mm(l_, _tril(lau, -1))
    u_dot = _mm(_triu(lau), u)
    lu_dot = lax.add(l_dot, u_dot)
    # l_dot is (m, m) @ (m, n); u_dot (m, n) @ (n, n): both (m, n).
    return [lu_, pivots, permutation], [lu_dot, lax.full(get_aval(pivots).shape, 0, np.int32),
                                        lax.full(get_aval(permutation).shape, 0, np.int32)]


abstract_eval_rules[lu_p] = _lu_abstract
cpu.kernels[lu_p] = _lu_kernel
ad.jvp_rules[lu_p] = _lu_jvp
_batch_vmap(lu_p)


lu_pivots_to_permutation_p = Primitive("lu_pivots_to_permutation")


def _pivots_to_perm_abstract(pivots, *, permutation_size):
    if not dtypes.issubdtype(pivots.dtype, np.integer):
        raise TypeError(f"pivots must be integers, got {pivots.dtype}")
    if pivots.ndim < 1 or pivots.shape[-1] > permutation_size:
        raise ValueError(f"Output permutation size {permutation_size} has to exceed the trailing dimension of "
                         f"the pivots. Got pivots size {pivots.shape[-1] if pivots.ndim else None}")
    return [ShapedArray(pivots.shape[:-1] + (permutation_size,), pivots.dtype)]


def _pivots_to_perm_kernel(pivots, *, permutation_size):
    piv = np.asarray(pivots).reshape((-1, pivots.shape[-1]))
    perm = np.tile(np.arange(permutation_size, dtype=pivots.dtype), (piv.shape[0], 1))
    rows = np.arange(piv.shape[0])
    for j in range(piv.shape[1]):
        p = np.clip(piv[:, j], 0, permutation_size - 1)
        perm[rows, j], perm[rows, p] = perm[rows, p].copy(), perm[rows, j].copy()
    return perm.reshape(pivots.shape[:-1] + (permutation_size,))


def lu_pivots_to_permutation(pivots, permutation_size: int):
    return lu_pivots_to_permutation_p.bind(lax._as_array(pivots), permutation_size=int(permutation_size))


abstract_eval_rules[lu_pivots_to_permutation_p] = _pivots_to_perm_abstract
cpu.kernels[lu_pivots_to_permutation_p] = _pivots_to_perm_kernel
ad.nondiff.add(lu_pivots_to_permutation_p)
_batch_vmap(lu_pivots_to_permutation_p)


# ---- qr ------------------------------------------------------------------------------------------

qr_p = Primitive("qr", multiple_results=True)


def _qr_abstract(x, *, pivoting, full_matrices, use_magma):
    _check_matrix("qr", x, square=False)
    m, n = x.shape[-2:]
    batch = x.shape[:-2]
    k = m if full_matrices else min(m, n)
    outs = [ShapedArray(batch + (m, k), x.dtype), ShapedArray(batch + (k, n), x.dtype)]
    if pivoting:
        outs.append(ShapedArray(batch + (n,), np.dtype(np.int32)))
    return outs


def _qr_kernel(x, *, pivoting, full_matrices, use_magma):
    x = np.asarray(x)
    m, n = x.shape[-2:]
    if pivoting:
        return _qr_pivoted(x, full_matrices)
    if x.size == 0:
        k = m if full_matrices else min(m, n)
        q = np.broadcast_to(np.eye(m, k, dtype=x.dtype), x.shape[:-2] + (m, k)).copy()
        return [q, np.zeros(x.shape[:-2] + (k, n), x.dtype)]
    with np.errstate(all="ignore"):
        q, r = np.linalg.qr(x, mode="complete" if full_matrices else "reduced")
    return [q, r]


def _qr_pivoted(x, full_matrices):
    """Column-pivoted QR (geqp3's choice: the remaining column of largest norm goes next)."""
    m, n = x.shape[-2:]
    flat = x.reshape((-1, m, n))
    qs, rs, ps = [], [], []
    for a in flat:
        a = a.astype(np.result_type(a.dtype, np.float64))
        perm = np.arange(n)
        resid = a.copy()  # the columns' parts orthogonal to the columns already chosen
        for j in range(min(m, n)):
            norms = np.linalg.norm(resid[:, j:], axis=0)
            p = j + int(np.argmax(norms))
            resid[:, [j, p]], perm[[j, p]] = resid[:, [p, j]], perm[[p, j]]
            if norms[p - j] > 0:
                e = resid[:, j] / norms[p - j]
                resid[:, j:] -= np.outer(e, np.conj(e) @ resid[:, j:])
        q, rr = np.linalg.qr(a[:, perm], mode="complete" if full_matrices else "reduced")
        qs.append(q), rs.append(rr), ps.append(perm)
    shape = x.shape[:-2]
    return [np.stack(qs).reshape(shape + qs[0].shape), np.stack(rs).reshape(shape + rs[0].shape),
            np.stack(ps).astype(np.int32).reshape(shape + (n,))]


def qr(x, *, pivoting: bool = False, full_matrices: bool = True, use_magma=None):
    """Householder QR: (q, r), plus the column permutation p when pivoting (x[..., p] = q @ r)."""
    out = qr_p.bind(lax._as_array(x), pivoting=bool(pivoting), full_matrices=bool(full_matrices), use_magma=use_magma)
    return tuple(out)


def _qr_jvp(primals, tangents, *, pivoting, full_matrices, use_magma):
    # j-towns.github.io/papers/qr-derivative.pdf
    from jaxlite._src.lax.slicing import take_along_axis
    (x,), (dx,) = primals, tangents
    q, r, *p = qr_p.bind(x, pivoting=pivoting, full_matrices=False, use_magma=use_magma)
    shape = get_aval(x).shape
    m, n = shape[-2:]
    if m < n or (full_matrices and m != n):
        raise NotImplementedError("Unimplemented case of QR decomposition derivative")
    if pivoting:
        dx = take_along_axis(dx, _row(p[0], m), len(shape) - 1)
    dx_rinv = triangular_solve(r, dx)
    qt_dx_rinv = _mm(_H(q), dx_rinv)
    low = _tril(qt_dx_rinv, -1)
    do = lax.sub(low, _H(low))  # skew-symmetric
    if _is_complex(x):
        eye = _eye(get_aval(do).shape, get_aval(do).dtype)
        im = lax.sub(qt_dx_rinv, lax.convert_element_type(lax.real(qt_dx_rinv), get_aval(do).dtype))
        do = lax.add(do, lax.mul(eye, im))
    dq = lax.add(_mm(q, lax.sub(do, qt_dx_rinv)), dx_rinv)
    dr = _mm(lax.sub(qt_dx_rinv, do), r)
    outs = [q, r] + p
    touts = [dq, dr] + [lax.full(get_aval(pp).shape, 0, np.int32) for pp in p]
    return outs, touts


abstract_eval_rules[qr_p] = _qr_abstract
cpu.kernels[qr_p] = _qr_kernel
ad.jvp_rules[qr_p] = _qr_jvp
_batch_vmap(qr_p)


# ---- eigh ----------------------------------------------------------------------------------------

eigh_p = Primitive("eigh", multiple_results=True)


def _real_dtype(dt):
    return np.dtype(np.finfo(dt).dtype)


def _eigh_abstract(x, *, lower, sort_eigenvalues, subset_by_index):
    _check_matrix("eigh", x)
    n = x.shape[-1]
    k = n if subset_by_index is None else subset_by_index[1] - subset_by_index[0]
    return [ShapedArray(x.shape[:-1] + (k,), x.dtype), ShapedArray(x.shape[:-2] + (k,), _real_dtype(x.dtype))]


def _eigh_kernel(x, *, lower, sort_eigenvalues, subset_by_index):
    x = np.asarray(x)
    n = x.shape[-1]
    if n == 0:
        return [x.copy(), np.zeros(x.shape[:-1], _real_dtype(x.dtype))]

    def one(m):
        w, v = np.linalg.eigh(m, UPLO="L" if lower else "U")
        return [v, w]
    v, w = _per_matrix(one, x, lambda m: [(m.shape, m.dtype), (m.shape[:-1], _real_dtype(m.dtype))])
    if subset_by_index is not None:
        lo, hi = subset_by_index
        v, w = v[..., lo:hi], w[..., lo:hi]
    return [v, w]


def eigh(x, *, lower: bool = True, symmetrize_input: bool = True, sort_eigenvalues: bool = True,
         subset_by_index=None):
    """Eigenvectors and eigenvalues (v, w) of Hermitian matrices, ascending."""
    x = lax._as_array(x)
    _check_matrix("eigh", get_aval(x))
    if symmetrize_input:
        x = _symmetrize(x)
    subset = None if subset_by_index is None else tuple(int(i) for i in subset_by_index)
    if subset == (0, get_aval(x).shape[-1]):
        subset = None
    v, w = eigh_p.bind(x, lower=bool(lower), sort_eigenvalues=bool(sort_eigenvalues), subset_by_index=subset)
    return v, w


def _eigh_jvp(primals, tangents, *, lower, sort_eigenvalues, subset_by_index):
    (a,), (a_dot,) = primals, tangents
    n = get_aval(a).shape[-1]
    if subset_by_index is not None and subset_by_index != (0, n):
        raise NotImplementedError("Derivatives not defined for partial eigen decomposition.")
    v, w_real = eigh_p.bind(a, lower=lower, sort_eigenvalues=sort_eigenvalues, subset_by_index=subset_by_index)
    dtype = get_aval(a).dtype
    w = lax.convert_element_type(w_real, dtype)
    shape = get_aval(a).shape
    eye = _eye(shape, dtype)
    # Reciprocal eigenvalue gaps with zeros on the diagonal, built without NaNs.
    f = lax.sub(lax.integer_pow(lax.sub(lax.add(eye, _row(w, n)), _col(w, n)), -1), eye)
    vdag_adot_v = _mm(_mm(_H(v), a_dot), v)
    dv = _mm(v, lax.mul(f, vdag_adot_v))
    dw = _real(_diag(vdag_adot_v))
    return [v, w_real], [dv, dw]


abstract_eval_rules[eigh_p] = _eigh_abstract
cpu.kernels[eigh_p] = _eigh_kernel
ad.jvp_rules[eigh_p] = _eigh_jvp
_batch_vmap(eigh_p)


# ---- svd -----------------------------------------------------------------------------------------

svd_p = Primitive("svd", multiple_results=True)


def _svd_abstract(x, *, full_matrices, compute_uv, subset_by_index, algorithm):
    _check_matrix("svd", x, square=False)
    m, n = x.shape[-2:]
    batch = x.shape[:-2]
    k = min(m, n)
    rank = k if subset_by_index is None else subset_by_index[1] - subset_by_index[0]
    s = ShapedArray(batch + (rank,), _real_dtype(x.dtype))
    if not compute_uv:
        return [s]
    if subset_by_index is not None:
        uc, vr = rank, rank
    else:
        uc, vr = (m, n) if full_matrices else (k, k)
    return [s, ShapedArray(batch + (m, uc), x.dtype), ShapedArray(batch + (vr, n), x.dtype)]


def _svd_kernel(x, *, full_matrices, compute_uv, subset_by_index, algorithm):
    x = np.asarray(x)
    m, n = x.shape[-2:]
    k = min(m, n)
    rdt = _real_dtype(x.dtype)
    if x.size == 0:
        s = np.zeros(x.shape[:-2] + (k,), rdt)
        if not compute_uv:
            return [s]
        uc, vr = (m, n) if full_matrices else (k, k)
        return [s, np.broadcast_to(np.eye(m, uc, dtype=x.dtype), x.shape[:-2] + (m, uc)).copy(),
                np.broadcast_to(np.eye(vr, n, dtype=x.dtype), x.shape[:-2] + (vr, n)).copy()]

    def one(a):
        if not np.all(np.isfinite(a)):
            raise np.linalg.LinAlgError("non-finite")
        if compute_uv:
            u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
            return [s, u, vh]
        return [np.linalg.svd(a, compute_uv=False)]

    def like(a):
        if not compute_uv:
            return [((k,), rdt)]
        uc, vr = (m, n) if full_matrices else (k, k)
        return [((k,), rdt), ((m, uc), a.dtype), ((vr, n), a.dtype)]
    outs = _per_matrix(one, x, like)
    if subset_by_index is not None:
        lo, hi = subset_by_index
        outs = [outs[0][..., lo:hi]] + ([outs[1][..., lo:hi], outs[2][..., lo:hi, :]] if compute_uv else [])
    return outs


def svd(x, *, full_matrices: bool = True, compute_uv: bool = True, subset_by_index=None, algorithm=None):
    """(u, s, vh) or s alone; singular values descending."""
    x = lax._as_array(x)
    subset = None if subset_by_index is None else tuple(int(i) for i in subset_by_index)
    aval = get_aval(x)
    if subset is not None and aval.ndim >= 2 and subset == (0, min(aval.shape[-2:])):
        subset = None
    out = svd_p.bind(x, full_matrices=bool(full_matrices), compute_uv=bool(compute_uv), subset_by_index=subset,
                     algorithm=algorithm)
    if compute_uv:
        s, u, vh = out
        return u, s, vh
    return out[0]


def _svd_jvp(primals, tangents, *, full_matrices, compute_uv, subset_by_index, algorithm):
    (A,), (dA,) = primals, tangents
    shape = get_aval(A).shape
    m, n = shape[-2:]
    if subset_by_index is not None:
        raise NotImplementedError("Singular value decomposition JVP not implemented for subset_by_index")
    s, U, Vt = svd_p.bind(A, full_matrices=False, compute_uv=True, subset_by_index=None, algorithm=algorithm)
    if compute_uv and full_matrices and m != n:  # square: full and reduced factors coincide, as JAX
        raise NotImplementedError("Singular value decomposition JVP not implemented for full matrices")
    dtype = get_aval(A).dtype
    k = get_aval(s).shape[-1]
    Ut, V = _H(U), _H(Vt)
    dS = _mm(_mm(Ut, dA), V)
    ds = _real(_diag(dS))
    if not compute_uv:
        return [s], [ds]
    s_row = _row(s, k)  # s_dim[..., j] = s_j
    s_col = _T(s_row)
    s_diffs = lax.mul(lax.add(s_row, s_col), lax.sub(s_row, s_col))
    eye_r = _eye(get_aval(s_diffs).shape, get_aval(s).dtype)
    F = lax.sub(lax.div(_like(s_diffs, 1), lax.add(s_diffs, eye_r)), eye_r)
    s_row_c = lax.convert_element_type(s_row, dtype)
    dSS = lax.mul(s_row_c, dS)
    SdS = lax.mul(_T(s_row_c), dS)
    s_zeros = lax.convert_element_type(lax.eq(s, _like(s, 0)), get_aval(s).dtype)
    s_inv = lax.sub(lax.div(_like(s, 1), lax.add(s, s_zeros)), s_zeros)
    s_inv_mat = lax.mul(_row(s_inv, k), eye_r)
    dUdV_diag = lax.mul(lax.mul(_like(dS, 0.5), lax.sub(dS, _H(dS))), lax.convert_element_type(s_inv_mat, dtype))
    Fc = lax.convert_element_type(F, dtype)
    dU = _mm(U, lax.add(lax.mul(Fc, lax.add(dSS, _H(dSS))), dUdV_diag))
    dV = _mm(V, lax.mul(Fc, lax.add(SdS, _H(SdS))))
    if m > n:
        dAV = _mm(dA, V)
        dU = lax.add(dU, lax.div(lax.sub(dAV, _mm(U, _mm(Ut, dAV))), _row(lax.convert_element_type(s, dtype), m)))
    if n > m:
        dAHU = _mm(_H(dA), U)
        dV = lax.add(dV, lax.div(lax.sub(dAHU, _mm(V, _mm(Vt, dAHU))), _row(lax.convert_element_type(s, dtype), n)))
    return [s, U, Vt], [ds, dU, _H(dV)]


abstract_eval_rules[svd_p] = _svd_abstract
cpu.kernels[svd_p] = _svd_kernel
ad.jvp_rules[svd_p] = _svd_jvp
_batch_vmap(svd_p)


# ---- eig (general matrices; JAX runs it on the CPU only) -------------------------------------------

eig_p = Primitive("eig", multiple_results=True)


def _complex_dtype(dt):
    return np.dtype(np.complex128) if np.dtype(dt) in (np.float64, np.complex128) else np.dtype(np.complex64)


def _eig_abstract(x, *, compute_left_eigenvectors, compute_right_eigenvectors):
    _check_matrix("eig", x)
    c = _complex_dtype(x.dtype)
    outs = [ShapedArray(x.shape[:-1], c)]
    outs += [ShapedArray(x.shape, c)] * (int(compute_left_eigenvectors) + int(compute_right_eigenvectors))
    return outs


def _eig_kernel(x, *, compute_left_eigenvectors, compute_right_eigenvectors):
    x = np.asarray(x)
    c = _complex_dtype(x.dtype)
    if x.shape[-1] == 0:
        return [np.zeros(x.shape[:-1], c)] + [np.zeros(x.shape, c)] * (compute_left_eigenvectors +
                                                                        compute_right_eigenvectors)

    def one(m):
        if not np.all(np.isfinite(m)):
            raise np.linalg.LinAlgError("non-finite")
        w, vr = np.linalg.eig(m)
        outs = [w.astype(c)]
        if compute_left_eigenvectors:
            # Left eigenvectors of a are the conjugated right eigenvectors of a^H, unit norm.
            wl, vl = np.linalg.eig(np.conj(np.swapaxes(m, -1, -2)))
            order = [int(np.argmin(np.abs(np.conj(wl) - wi))) for wi in w.ravel()] if w.ndim == 1 else None
            outs.append(vl[:, order].astype(c))
        if compute_right_eigenvectors:
            outs.append(vr.astype(c))
        return outs
    like = lambda m: [(m.shape[:-1], c)] + [(m.shape, c)] * (compute_left_eigenvectors + compute_right_eigenvectors)  # noqa: E731
    if x.ndim == 2:
        return _per_matrix(one, x, like)
    flat = x.reshape((-1,) + x.shape[-2:])
    outs = [_per_matrix(one, m, like) for m in flat]
    return [np.stack([o[i] for o in outs]).reshape(x.shape[:-2] + outs[0][i].shape) for i in range(len(outs[0]))]


def eig(x, *, compute_left_eigenvectors: bool = True, compute_right_eigenvectors: bool = True,
        use_magma=None, implementation=None):
    """Eigenvalues w and, as asked, left and right eigenvectors of a general square matrix."""
    return eig_p.bind(lax._as_array(x), compute_left_eigenvectors=bool(compute_left_eigenvectors),
                      compute_right_eigenvectors=bool(compute_right_eigenvectors))


def _eig_jvp(primals, tangents, *, compute_left_eigenvectors, compute_right_eigenvectors):
    if compute_left_eigenvectors or compute_right_eigenvectors:
        raise NotImplementedError("The derivatives of eigenvectors are not implemented, only eigenvalues. "
                                  "See https://github.com/jax-ml/jax/issues/2748 for discussion.")
    # Eigenvalue derivatives (simple eigenvalues): dw = diag(V^-1 dA V), arXiv:1701.00392.
    (a,), (da,) = primals, tangents
    w, v = eig_p.bind(a, compute_left_eigenvectors=False, compute_right_eigenvectors=True)
    c = get_aval(w).dtype
    from jaxlite._src.numpy.linalg import solve
    vinv_da_v = solve(v, _mm(lax.convert_element_type(da, c), v))
    return [w], [_diag(vinv_da_v)]


abstract_eval_rules[eig_p] = _eig_abstract
cpu.kernels[eig_p] = _eig_kernel
ad.jvp_rules[eig_p] = _eig_jvp
_batch_vmap(eig_p)


# ---- tridiagonal_solve -------------------------------------------------------------------------------

tridiagonal_solve_p = Primitive("tridiagonal_solve")


def _tridiagonal_abstract(dl, d, du, b):
    if not (dl.shape == d.shape == du.shape) or b.ndim < 2 or b.shape[:-1] != d.shape:
        raise ValueError(f"tridiagonal_solve: dl, d and du must have shape [..., m] and b [..., m, n], got "
                         f"{dl.shape}, {d.shape}, {du.shape} and {b.shape}")
    if not dl.dtype == d.dtype == du.dtype == b.dtype:
        raise ValueError(f"tridiagonal_solve: all operands must have one dtype, got {dl.dtype}, {d.dtype}, "
                         f"{du.dtype} and {b.dtype}")
    return [ShapedArray(b.shape, b.dtype)]


def _tridiagonal_kernel(dl, d, du, b):
    """The Thomas algorithm (no pivoting, as JAX's gtsv-free CPU path; dl[0] and du[-1] unused)."""
    dl, d, du, b = (np.asarray(t) for t in (dl, d, du, b))
    m = d.shape[-1]
    if m == 0:
        return b.copy()
    c = np.zeros_like(d)
    x = np.zeros_like(b)
    with np.errstate(all="ignore"):
        den = d[..., 0]
        c[..., 0] = du[..., 0] / den
        x[..., 0, :] = b[..., 0, :] / den[..., None]
        for i in range(1, m):
            den = d[..., i] - dl[..., i] * c[..., i - 1]
            c[..., i] = du[..., i] / den
            x[..., i, :] = (b[..., i, :] - dl[..., i, None] * x[..., i - 1, :]) / den[..., None]
        for i in range(m - 2, -1, -1):
            x[..., i, :] -= c[..., i, None] * x[..., i + 1, :]
    return x


def tridiagonal_solve(dl, d, du, b):
    return tridiagonal_solve_p.bind(*(lax._as_array(t) for t in (dl, d, du, b)))


def _tridiagonal_matmul(dl, d, du, x):
    """T @ x for the tridiagonal T, with lax ops (for the jvp)."""
    shape = get_aval(x).shape
    m = shape[-2]
    nd = len(shape)
    zero = lax.full((), 0, get_aval(x).dtype)
    pad_rows = lambda t, lo, hi: structural.pad(t, zero, [(0, 0, 0)] * (nd - 2) + [(lo, hi, 0), (0, 0, 0)])  # noqa: E731
    below = pad_rows(structural.slice_in_dim(x, 0, m - 1, axis=nd - 2), 1, 0)  # x[i-1]
    above = pad_rows(structural.slice_in_dim(x, 1, m, axis=nd - 2), 0, 1)  # x[i+1]
    col = lambda v: _col(v, shape[-1])  # noqa: E731
    return lax.add(lax.add(lax.mul(col(dl), below), lax.mul(col(d), x)), lax.mul(col(du), above))


def _tridiagonal_jvp(primals, tangents):
    dl, d, du, b = primals
    tdl, td, tdu, tb = tangents
    x = tridiagonal_solve_p.bind(dl, d, du, b)
    rhs = lax.sub(tb, _tridiagonal_matmul(tdl, td, tdu, x))
    return [x], [tridiagonal_solve_p.bind(dl, d, du, rhs)]


def _tridiagonal_transpose(ct, dl, d, du, b):
    assert ad.is_undefined_primal(b) and not any(ad.is_undefined_primal(t) for t in (dl, d, du))
    # T^T has sub-diagonal du shifted down and super-diagonal dl shifted up.
    m = get_aval(d).shape[-1]
    nd = get_aval(d).ndim
    zero = lax.full((), 0, get_aval(d).dtype)
    pad = lambda t, lo, hi: structural.pad(t, zero, [(0, 0, 0)] * (nd - 1) + [(lo, hi, 0)])  # noqa: E731
    dl_t = pad(structural.slice_in_dim(du, 0, m - 1, axis=nd - 1), 1, 0)
    du_t = pad(structural.slice_in_dim(dl, 1, m, axis=nd - 1), 0, 1)
    return [None, None, None, tridiagonal_solve_p.bind(dl_t, d, du_t, ct)]


abstract_eval_rules[tridiagonal_solve_p] = _tridiagonal_abstract
cpu.kernels[tridiagonal_solve_p] = _tridiagonal_kernel
ad.jvp_rules[tridiagonal_solve_p] = _tridiagonal_jvp
ad.transpose_rules[tridiagonal_solve_p] = _tridiagonal_transpose
_batch_vmap(tridiagonal_solve_p)


# ---- geqrf (LAPACK's compact Householder QR: jnp.linalg.qr(mode='raw'), slogdet(method='qr')) ------

geqrf_p = Primitive("geqrf", multiple_results=True)


def _geqrf_abstract(x):
    _check_matrix("geqrf", x, square=False)
    m, n = x.shape[-2:]
    return [ShapedArray(x.shape, x.dtype), ShapedArray(x.shape[:-2] + (min(m, n),), x.dtype)]


def _geqrf_kernel(x):
    x = np.asarray(x)
    m, n = x.shape[-2:]
    flat = x.reshape((int(np.prod(x.shape[:-2])), m, n))
    hs, taus = np.empty_like(flat), np.zeros((flat.shape[0], min(m, n)), x.dtype)
    with np.errstate(all="ignore"):
        for i, a in enumerate(flat):
            if a.size:
                h, tau = np.linalg.qr(a, mode="raw")  # h comes transposed (Fortran order)
                hs[i], taus[i] = h.T, tau
    return [hs.reshape(x.shape), taus.reshape(x.shape[:-2] + (min(m, n),))]


def geqrf(x):
    """LAPACK geqrf: (a, taus) with R in a's upper triangle and the Householder vectors below it
    (implicit unit diagonal), H_i = I - tau_i v_i v_i^H. Not differentiable, as in JAX."""
    return tuple(geqrf_p.bind(lax._as_array(x)))


abstract_eval_rules[geqrf_p] = _geqrf_abstract
cpu.kernels[geqrf_p] = _geqrf_kernel
_batch_vmap(geqrf_p)


# ---- schur (JAX runs it on CPU only, through LAPACK gees; here Hessenberg + shifted QR in numpy) ----

schur_p = Primitive("schur", multiple_results=True)


def _schur_abstract(x, *, output):
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"The input to schur must be a square matrix. Got shape {x.shape}.")
    if not dtypes.issubdtype(x.dtype, np.inexact):
        raise TypeError(f"schur requires a floating-point or complex operand, got {x.dtype}")
    dt = _complex_dtype(x.dtype) if output == "complex" else x.dtype
    return [ShapedArray(x.shape, dt), ShapedArray(x.shape, dt)]


def _householder_to_hessenberg(a):
    n = a.shape[0]
    t, z = a.copy(), np.eye(n, dtype=a.dtype)
    for k in range(n - 2):
        v = t[k + 1:, k].copy()
        norm = np.linalg.norm(v)
        if norm == 0:
            continue
        v[0] += (v[0] / abs(v[0]) if v[0] != 0 else 1) * norm
        v /= np.linalg.norm(v)
        t[k + 1:, :] -= 2 * np.outer(v, v.conj() @ t[k + 1:, :])
        t[:, k + 1:] -= 2 * np.outer(t[:, k + 1:] @ v, v.conj())
        z[:, k + 1:] -= 2 * np.outer(z[:, k + 1:] @ v, v.conj())
    return np.triu(t, -1), z


def _deflate_from(t, hi, eps):
    """The first row of the unreduced block ending at `hi`; negligible subdiagonals become zero."""
    lo = hi
    while lo > 0:
        scale = abs(t[lo - 1, lo - 1]) + abs(t[lo, lo]) or np.abs(t).max()
        if abs(t[lo, lo - 1]) <= eps * scale:
            t[lo, lo - 1] = 0
            break
        lo -= 1
    return lo


def _complex_schur(a):
    """Single-shift QR with Wilkinson shifts (exceptional shifts every 10 stalls), Givens rotations."""
    t, z = _householder_to_hessenberg(a)
    n, eps, hi, stall = a.shape[0], np.finfo(np.float64).eps, a.shape[0] - 1, 0
    while hi > 0:
        lo = _deflate_from(t, hi, eps)
        if lo == hi:
            hi, stall = hi - 1, 0
            continue
        p, q, r, s = t[hi - 1, hi - 1], t[hi - 1, hi], t[hi, hi - 1], t[hi, hi]
        disc = np.sqrt(((p - s) / 2) ** 2 + q * r)
        mu = min(((p + s) / 2 + disc, (p + s) / 2 - disc), key=lambda m: abs(m - s))
        if stall and stall % 10 == 0:
            mu = s + abs(r)
        x, y = t[lo, lo] - mu, t[lo + 1, lo]
        for k in range(lo, hi):
            if k > lo:
                x, y = t[k, k - 1], t[k + 1, k - 1]
            nrm = np.hypot(abs(x), abs(y))
            if nrm == 0:
                continue
            c, sn = x / nrm, y / nrm
            g = np.array([[np.conj(c), np.conj(sn)], [-sn, c]])
            t[k:k + 2, :] = g @ t[k:k + 2, :]
            t[:, k:k + 2] = t[:, k:k + 2] @ g.conj().T
            z[:, k:k + 2] = z[:, k:k + 2] @ g.conj().T
            if k > lo:
                t[k + 1, k - 1] = 0
        stall += 1
        if stall > 30 * n:
            return np.full_like(t, np.nan), np.full_like(z, np.nan)
    return np.triu(t), z


def _reflector(x):
    v = x.copy()
    v[0] += (1.0 if v[0] >= 0 else -1.0) * np.linalg.norm(x)
    nv = np.linalg.norm(v)
    return np.eye(len(x)) if nv == 0 else np.eye(len(x)) - 2 * np.outer(v, v) / nv ** 2


def _real_schur(a):
    """Francis double-shift QR (Golub & Van Loan 7.5), then 2x2 blocks with real eigenvalues split."""
    t, z = _householder_to_hessenberg(a)
    n, eps, hi, stall = a.shape[0], np.finfo(np.float64).eps, a.shape[0] - 1, 0
    while hi > 0:
        lo = _deflate_from(t, hi, eps)
        if lo >= hi - 1:
            hi, stall = lo - 1, 0
            continue
        m = hi - 1
        s, d = t[m, m] + t[hi, hi], t[m, m] * t[hi, hi] - t[m, hi] * t[hi, m]
        if stall and stall % 10 == 0:
            w = abs(t[hi, hi - 1]) + abs(t[hi - 1, hi - 2])
            s, d = 1.5 * w, w * w
        x = t[lo, lo] ** 2 + t[lo, lo + 1] * t[lo + 1, lo] - s * t[lo, lo] + d
        y = t[lo + 1, lo] * (t[lo, lo] + t[lo + 1, lo + 1] - s)
        zz = t[lo + 1, lo] * t[lo + 2, lo + 1]
        for k in range(lo, hi - 1):
            p = _reflector(np.array([x, y, zz]))
            c0 = lo if k == lo else k - 1
            t[k:k + 3, c0:] = p @ t[k:k + 3, c0:]
            r = min(k + 3, hi)
            t[:r + 1, k:k + 3] = t[:r + 1, k:k + 3] @ p
            z[:, k:k + 3] = z[:, k:k + 3] @ p
            x, y = t[k + 1, k], t[k + 2, k]
            if k < hi - 2:
                zz = t[k + 3, k]
        p = _reflector(np.array([x, y]))
        t[hi - 1:hi + 1, hi - 2:] = p @ t[hi - 1:hi + 1, hi - 2:]
        t[:hi + 1, hi - 1:hi + 1] = t[:hi + 1, hi - 1:hi + 1] @ p
        z[:, hi - 1:hi + 1] = z[:, hi - 1:hi + 1] @ p
        stall += 1
        if stall > 30 * n:
            return np.full_like(t, np.nan), np.full_like(z, np.nan)
    t = np.triu(t, -1)
    for i in range(n - 1):
        if abs(t[i + 1, i]) <= eps * (abs(t[i, i]) + abs(t[i + 1, i + 1])):
            t[i + 1, i] = 0  # round-off left by the rotations of the neighbouring blocks
            continue
        p, q, r, s = t[i, i], t[i, i + 1], t[i + 1, i], t[i + 1, i + 1]
        disc = ((p - s) / 2) ** 2 + q * r
        if disc < 0:
            continue
        lam = (p + s) / 2 + np.copysign(np.sqrt(disc), (p - s) / 2 or 1.0)
        v = max((np.array([q, lam - p]), np.array([lam - s, r])), key=np.linalg.norm)
        v = v / np.linalg.norm(v)
        g = np.array([[v[0], -v[1]], [v[1], v[0]]])
        t[i:i + 2, :] = g.T @ t[i:i + 2, :]
        t[:, i:i + 2] = t[:, i:i + 2] @ g
        z[:, i:i + 2] = z[:, i:i + 2] @ g
        t[i + 1, i] = 0
    return np.triu(t, -1), z


def _schur_kernel(x, *, output):
    x = np.asarray(x)
    n = x.shape[-1]
    cplx = output == "complex" or np.iscomplexobj(x)
    out_dt = _complex_dtype(x.dtype) if output == "complex" else x.dtype
    flat = x.reshape((int(np.prod(x.shape[:-2])), n, n)).astype(np.complex128 if cplx else np.float64)
    ts, zs = np.empty(flat.shape, out_dt), np.empty(flat.shape, out_dt)
    with np.errstate(all="ignore"):
        for i, a in enumerate(flat):
            if not np.isfinite(a).all():
                ts[i] = zs[i] = np.nan
            else:
                ts[i], zs[i] = (_complex_schur if cplx else _real_schur)(a)
    return [ts.reshape(x.shape), zs.reshape(x.shape)]


def schur(x, *, output: str = "real"):
    """Schur decomposition x = z @ t @ z^H: t upper triangular ('complex') or quasi-triangular with
    2x2 blocks for complex pairs ('real'). Not differentiable, as in JAX."""
    return tuple(schur_p.bind(lax._as_array(x), output=output))


abstract_eval_rules[schur_p] = _schur_abstract
cpu.kernels[schur_p] = _schur_kernel
_batch_vmap(schur_p)
