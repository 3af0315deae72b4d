"""Structured control flow: cond/switch, scan (fori_loop, map), while_loop, associative_scan.

Bodies are traced to closed jaxprs once; the primitives carry them as parameters. Rules beside
each primitive: abstract eval, impl (runs the jaxprs by binding, so any device works), jvp,
vmap, transpose (cond, scan) and partial eval (cond, scan), as in JAX. while_loop is
forward-mode differentiable only, as in JAX.
"""

from __future__ import annotations

import numpy as np

from jaxlite._src import ad, batching, core, dispatch, dtypes, partial_eval as pe, tree_util
from jaxlite._src.api_util import flatten_fun
from jaxlite._src.core import ClosedJaxpr, Jaxpr, JaxprEqn, Primitive, ShapedArray, Var, get_aval
from jaxlite._src.jit import pjit_p
from jaxlite._src.lax import lax, structural
from jaxlite._src.lax.reductions import reduce_or


def _avals(xs):
    return [core.raise_to_shaped(get_aval(x)) for x in xs]


def _trace(fun, in_avals) -> ClosedJaxpr:
    return pe.make_closed_jaxpr(fun, in_avals)


def _call(closed: ClosedJaxpr, args):
    return pe.closed_call(closed, args)


def _run(closed: ClosedJaxpr, args):
    """A branch or loop body in an impl rule (concrete arguments): on a compiling device it runs as
    one cached plan of fused kernels, as a jitted function would, rather than op by op."""
    if getattr(dispatch._device_of(args), "run_jaxpr", None) is not None:
        return dispatch.impl_rules[pjit_p](*args, jaxpr=closed, name="loop_body")
    return pe.closed_call(closed, args)


def _same_types(what, avals1, avals2, names=("true_fun", "false_fun")):
    for a, b in zip(avals1, avals2):
        if a.shape != b.shape or a.dtype != b.dtype:
            raise TypeError(f"{what} must have identical types, got\n{[x.str_short() for x in avals1]}\nand\n"
                            f"{[x.str_short() for x in avals2]}.")


def _strip(avals):
    return [a.strip_weak_type() for a in avals]


def _with_common_consts(closed_list: list[ClosedJaxpr]) -> tuple[list[ClosedJaxpr], list]:
    """Make every jaxpr take all the jaxprs' consts as leading inputs (unused ones ignored)."""
    all_consts = [c for cj in closed_list for c in cj.consts]
    out = []
    for i, cj in enumerate(closed_list):
        before = sum(len(c.consts) for c in closed_list[:i])
        after = len(all_consts) - before - len(cj.consts)
        pre = [Var(core.raise_to_shaped(get_aval(c))) for c in all_consts[:before]]
        post = [Var(core.raise_to_shaped(get_aval(c))) for c in all_consts[before + len(cj.consts):]]
        j = cj.jaxpr
        nc = len(cj.consts)
        out.append(ClosedJaxpr(Jaxpr(pre + j.in_binders[:nc] + post + j.in_binders[nc:], j.eqns, j.outs), []))
        assert len(post) == after
    return out, all_consts


# ---- cond / switch --------------------------------------------------------------------------------


def _bind_cond(index, branches, ops):
    """Bind cond for branch jaxprs that may close over constants (hoisted into operands)."""
    jaxprs, consts = _with_common_consts(list(branches))
    return cond_p.bind(index, *consts, *ops, branches=tuple(jaxprs))


cond_p = Primitive("cond", multiple_results=True)


def _cond_abstract(index, *ops, branches):
    if index.shape != () or index.dtype != dtypes.int32:
        raise TypeError(f"cond index must be an int32 scalar, got {index.str_short()}")
    return list(branches[0].out_avals)


def _cond_impl(index, *ops, branches):
    i = int(np.clip(int(index), 0, len(branches) - 1))
    return _run(branches[i], ops)


def switch(index, branches, *operands):
    branches = tuple(branches)
    if not branches:
        raise ValueError("Empty branch sequence")
    for b in branches:
        if not callable(b):
            raise TypeError("lax.switch: branches argument should be a sequence of callables.")
    index = lax._as_array(index)
    if get_aval(index).shape != ():
        raise TypeError(f"Branch index must be scalar, got {index} of shape {get_aval(index).shape}.")
    if get_aval(index).dtype.kind not in "iub":
        raise TypeError(f"Index type must be an integer, got {get_aval(index).dtype}.")
    index = lax.convert_element_type(index, dtypes.int32)
    index = lax.min(lax.max(index, 0), len(branches) - 1)
    if len(branches) == 1:
        return branches[0](*operands)
    ops_flat, in_tree = tree_util.tree_flatten(operands)
    avals = _avals(ops_flat)
    closed, trees = [], []
    for b in branches:
        f, out_tree, _ = flatten_fun(b, in_tree)
        closed.append(_trace(f, avals))
        trees.append(out_tree())
    for t, cj in zip(trees[1:], closed[1:]):
        if t != trees[0]:
            raise TypeError(f"branch outputs must have same type structure, got {trees[0]} and {t}.")
        _same_types("branches outputs", closed[0].out_avals, cj.out_avals)
    jaxprs, consts = _with_common_consts(closed)
    outs = cond_p.bind(index, *consts, *ops_flat, branches=tuple(jaxprs))
    return tree_util.tree_unflatten(trees[0], outs)


def cond(pred, true_fun, false_fun, *operands, operand=None):
    if operand is not None:
        operands = (operand,)
    if not (callable(true_fun) and callable(false_fun)):
        raise TypeError("lax.cond: true_fun and false_fun arguments should be callable.")
    pred = lax._as_array(pred)
    pa = get_aval(pred)
    if pa.shape != ():
        raise TypeError(f"Pred must be a scalar, got {pred} of shape {pa.shape}.")
    if pa.dtype != dtypes.bool_:
        pred = lax.ne(pred, 0)
    index = lax.convert_element_type(pred, dtypes.int32)
    ops_flat, in_tree = tree_util.tree_flatten(operands)
    avals = _avals(ops_flat)
    closed, trees = [], []
    for b in (false_fun, true_fun):
        f, out_tree, _ = flatten_fun(b, in_tree)
        closed.append(_trace(f, avals))
        trees.append(out_tree())
    if trees[0] != trees[1]:
        raise TypeError(f"true_fun and false_fun output must have same type structure, got {trees[1]} and "
                        f"{trees[0]}.")
    _same_types("true_fun and false_fun output", closed[1].out_avals, closed[0].out_avals)
    jaxprs, consts = _with_common_consts(closed)
    outs = cond_p.bind(index, *consts, *ops_flat, branches=tuple(jaxprs))
    return tree_util.tree_unflatten(trees[0], outs)


def _cond_jvp(primals, tangents, branches):
    index, *ops = primals
    t_ops = tangents[1:]
    n = len(ops)
    avals = _avals(ops) + _avals(t_ops)

    def jvp_branch(b):
        def f(*pt):
            po, to = ad.jvp_flat(lambda *a: _call(b, a), pt[:n], pt[n:])
            return [*po, *to]
        return _trace(f, avals)

    outs = _bind_cond(index, [jvp_branch(b) for b in branches], [*ops, *t_ops])
    m = len(outs) // 2
    return outs[:m], outs[m:]


def _cond_vmap(axis_size, vals, dims, branches):
    index, *ops = vals
    idx_dim, *op_dims = dims

    def vmap_branch(b):
        def f(*args):
            outs, odims = batching.vmap_flat(lambda *a: _call(b, a), op_dims, axis_size, args)
            return [batching.move_batch_axis(axis_size, d, 0, o) for o, d in zip(outs, odims)]
        return _trace(f, _avals(ops))

    if idx_dim is batching.not_mapped:
        return _bind_cond(index, [vmap_branch(b) for b in branches], ops), [0] * len(branches[0].out_avals)
    # A batched predicate: every branch runs on the whole batch and the results are selected.
    index = batching.moveaxis(index, idx_dim, 0)
    results = [_call(vmap_branch(b), ops) for b in branches]
    outs = []
    for per_branch in zip(*results):
        shape = get_aval(per_branch[0]).shape
        which = structural.broadcast_in_dim(index, shape, (0,))
        outs.append(lax.select_n(which, *per_branch))
    return outs, [0] * len(outs)


def _cond_transpose(cts, index, *ops, branches):
    lin = [ad.is_undefined_primal(x) for x in ops]
    res = [x for x in ops if not ad.is_undefined_primal(x)]
    cts = [ad.instantiate_zeros(c, a) for c, a in zip(cts, branches[0].out_avals)]

    arg_avals = [x.aval if u else get_aval(x) for x, u in zip(ops, lin)]

    def transpose_branch(b):
        return _trace(ad.transposed_fn(b, lin, arg_avals), _avals(res) + _avals(cts))

    outs = iter(_bind_cond(index, [transpose_branch(b) for b in branches], [*res, *cts]))
    return [None] + [next(outs) if u else None for u in lin]


def _cond_partial_eval_jaxpr(eqn, unks_in):
    index_uk, *ops_uk = unks_in
    branches = eqn.params["branches"]
    if index_uk:
        res = [x for x, uk in zip(eqn.inputs, unks_in) if not uk and isinstance(x, Var)]
        return None, eqn, [True] * len(eqn.out_binders), res
    out_uks = [False] * len(eqn.out_binders)
    for b in branches:
        _, _, uks, _ = pe.partial_eval_jaxpr(b.jaxpr, ops_uk)
        out_uks = [a or b_ for a, b_ in zip(out_uks, uks)]
    splits = [pe.partial_eval_jaxpr(b.jaxpr, ops_uk, instantiate=out_uks) for b in branches]
    res_avals = [[v.aval for v in j1.outs[len(j1.outs) - nres:]] for j1, _, _, nres in splits]
    all_res = [a for r in res_avals for a in r]
    known_ops = [x for x, uk in zip(eqn.inputs[1:], ops_uk) if not uk]
    unknown_ops = [x for x, uk in zip(eqn.inputs[1:], ops_uk) if uk]
    known_avals = [x.aval for x in known_ops]
    n_known_out = out_uks.count(False)

    known_branches, unknown_branches = [], []
    for i, (j1, j2, _, nres) in enumerate(splits):
        before = sum(len(r) for r in res_avals[:i])

        def known_f(*ins, j1=j1, nres=nres, before=before):
            outs = core.eval_jaxpr(j1, ins)
            mine = outs[len(outs) - nres:] if nres else []
            zeros_before = [lax.full(a.shape, 0, a.dtype) for a in all_res[:before]]
            zeros_after = [lax.full(a.shape, 0, a.dtype) for a in all_res[before + nres:]]
            return outs[:len(outs) - nres] + zeros_before + mine + zeros_after

        def unknown_f(*ins, j2=j2, nres=nres, before=before):
            res_all, rest = ins[:len(all_res)], ins[len(all_res):]
            return core.eval_jaxpr(j2, [*res_all[before:before + nres], *rest])

        known_branches.append(_trace(known_f, known_avals))
        unknown_branches.append(_trace(unknown_f, all_res + [x.aval for x in unknown_ops]))
    res_vars = [Var(a) for a in all_res]
    outs1, outs2 = core.partition_list(out_uks, eqn.out_binders)
    index = eqn.inputs[0]
    known_j, known_c = _with_common_consts(known_branches)
    unknown_j, unknown_c = _with_common_consts(unknown_branches)
    eqn1 = JaxprEqn(cond_p, [index] + [core.Literal(c) for c in known_c] + known_ops,
                    dict(branches=tuple(known_j)), outs1 + res_vars)
    eqn2 = JaxprEqn(cond_p, [index] + [core.Literal(c) for c in unknown_c] + res_vars + unknown_ops,
                    dict(branches=tuple(unknown_j)), outs2)
    assert len(outs1) == n_known_out
    return eqn1, eqn2, out_uks, ([index] if isinstance(index, Var) else []) + res_vars


core.abstract_eval_rules[cond_p] = _cond_abstract
dispatch.impl_rules[cond_p] = _cond_impl
ad.jvp_rules[cond_p] = _cond_jvp
ad.transpose_rules[cond_p] = _cond_transpose
batching.vmap_rules[cond_p] = _cond_vmap
pe.register_partial_eval(cond_p, _cond_partial_eval_jaxpr)

# ---- scan -----------------------------------------------------------------------------------------

scan_p = Primitive("scan", multiple_results=True)


def _scan_abstract(*args, jaxpr, num_consts, num_carry, length, reverse):
    carry_avals = args[num_consts:num_consts + num_carry]
    out = jaxpr.out_avals
    ys = [ShapedArray((length,) + a.shape, a.dtype, a.weak_type) for a in out[num_carry:]]
    return list(carry_avals) + ys


def _scan_impl(*args, jaxpr, num_consts, num_carry, length, reverse):
    consts, carry, xs = args[:num_consts], list(args[num_consts:num_consts + num_carry]), args[num_consts + num_carry:]
    ys = []
    for k in range(length):
        i = length - 1 - k if reverse else k
        x = [structural.index_in_dim(a, i, 0, keepdims=False) for a in xs]
        outs = _run(jaxpr, [*consts, *carry, *x])
        carry, y = outs[:num_carry], outs[num_carry:]
        ys.append(y)
    if reverse:
        ys = ys[::-1]
    y_avals = jaxpr.out_avals[num_carry:]
    stacked = []
    for j, a in enumerate(y_avals):
        if length == 0:
            stacked.append(lax.full((0,) + a.shape, 0, a.dtype))
        else:
            stacked.append(structural.concatenate([structural.expand_dims(y[j], (0,)) for y in ys], 0))
    return list(carry) + stacked


def _promote_weak_carries(init_flat, in_avals, out_avals):
    """JAX's promotion of a loop's weakly typed initial carries (`fori_loop(0, n, body, 0)` with a
    float body): each weak one whose dtype or shape differs from the body's output for it is
    converted to the type of both together (strongly typed, as convert_element_type makes it);
    the caller re-traces the body. Whether anything changed."""
    changed = False
    for k, (x, a, b) in enumerate(zip(init_flat, in_avals, out_avals)):
        if a.weak_type and (a.shape != b.shape or a.dtype != b.dtype):
            dt = dtypes.result_type_with_weak((a.dtype, True), (b.dtype, b.weak_type))[0]
            init_flat[k] = lax.convert_element_type(x, dt)
            changed = True
    return changed


def scan(f, init, xs=None, length=None, reverse=False, unroll=1, _split_transpose=False):
    if not callable(f):
        raise TypeError("lax.scan: f argument should be a callable.")
    xs_flat, xs_tree = tree_util.tree_flatten(xs)
    lengths = {get_aval(x).shape[0] if get_aval(x).ndim else None for x in xs_flat}
    if None in lengths:
        raise ValueError("scan got value with no leading axis to scan over: "
                         + ", ".join(str(get_aval(x).shape) for x in xs_flat if not get_aval(x).ndim))
    if length is not None:
        length = int(core.concrete_or_error(length, "scan length must be static"))
        lengths.add(length)
    if len(lengths) > 1:
        raise ValueError("scan got values with different leading axis sizes: "
                         + ", ".join(str(get_aval(x).shape[0]) for x in xs_flat))
    if not lengths:
        raise ValueError("scan got no values to scan over and `length` not provided.")
    length = lengths.pop()
    init_flat, init_tree = tree_util.tree_flatten(init)
    init_flat = [lax._as_array(x) for x in init_flat]
    carry_avals = _avals(init_flat)
    x_avals = [ShapedArray(a.shape[1:], a.dtype, a.weak_type) for a in _avals(xs_flat)]
    store = {}

    def body(*args):
        c = tree_util.tree_unflatten(init_tree, args[:len(init_flat)])
        x = tree_util.tree_unflatten(xs_tree, args[len(init_flat):])
        out = f(c, x)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TypeError("scan body output must be a pair (carry, y)")
        new_c, y = out
        c_flat, c_tree = tree_util.tree_flatten(new_c)
        if c_tree != init_tree:
            raise TypeError(f"scan body function carry input and carry output must have the same pytree "
                            f"structure, but they differ:\n  input carry: {init_tree}\n  output carry: {c_tree}")
        y_flat, store["y_tree"] = tree_util.tree_flatten(y)
        return [*c_flat, *y_flat]

    closed = _trace(body, carry_avals + x_avals)
    out_carry = closed.out_avals[:len(init_flat)]
    if _promote_weak_carries(init_flat, carry_avals, out_carry):
        carry_avals = _avals(init_flat)
        closed = _trace(body, carry_avals + x_avals)
        out_carry = closed.out_avals[:len(init_flat)]
    for a, b in zip(carry_avals, out_carry):
        if a.shape != b.shape or a.dtype != b.dtype:
            raise TypeError(f"scan body function carry input and carry output must have equal types, "
                            f"but the carry has type {a.str_short()} on input and {b.str_short()} on output. "
                            "The input carry component may need to be cast (e.g. with .astype) to match.")
    # Weak-typed carries take the body's output type so the jaxpr's input and output agree.
    init_flat = [lax.convert_element_type(x, b.dtype, b.weak_type) if get_aval(x).weak_type != b.weak_type else x
                 for x, b in zip(init_flat, out_carry)]
    closed = _trace(body, _avals(init_flat) + x_avals) if any(
        a.weak_type != b.weak_type for a, b in zip(carry_avals, out_carry)) else closed
    consts = closed.consts
    jaxpr = ClosedJaxpr(closed.jaxpr, [])
    outs = scan_p.bind(*consts, *init_flat, *xs_flat, jaxpr=jaxpr, num_consts=len(consts),
                       num_carry=len(init_flat), length=length, reverse=bool(reverse))
    carry, ys = outs[:len(init_flat)], outs[len(init_flat):]
    return tree_util.tree_unflatten(init_tree, carry), tree_util.tree_unflatten(store["y_tree"], ys)


def _scan_jvp(primals, tangents, jaxpr, num_consts, num_carry, length, reverse):
    nc, nk = num_consts, num_carry
    consts, carry, xs = primals[:nc], primals[nc:nc + nk], primals[nc + nk:]
    tc, tk, tx = tangents[:nc], tangents[nc:nc + nk], tangents[nc + nk:]

    def f(*args):
        # layout: [consts, tconsts] [carry, tcarry] [xs, txs]
        c, t_c = args[:nc], args[nc:2 * nc]
        k, t_k = args[2 * nc:2 * nc + nk], args[2 * nc + nk:2 * nc + 2 * nk]
        x, t_x = args[2 * nc + 2 * nk:2 * nc + 2 * nk + len(xs)], args[2 * nc + 2 * nk + len(xs):]
        po, to = ad.jvp_flat(lambda *a: _call(jaxpr, a), [*c, *k, *x], [*t_c, *t_k, *t_x])
        return [*po[:nk], *to[:nk], *po[nk:], *to[nk:]]

    ia = list(jaxpr.in_avals)
    ca, ka, xa = ia[:nc], ia[nc:nc + nk], ia[nc + nk:]
    jvp_jaxpr = _trace(f, ca + _strip(ca) + ka + _strip(ka) + xa + _strip(xa))
    outs = _bind_scan(jvp_jaxpr, [*consts, *tc], [*carry, *tk], [*xs, *tx], length, reverse)
    ny = len(jaxpr.out_avals) - nk
    c_out, tc_out = outs[:nk], outs[nk:2 * nk]
    y_out, ty_out = outs[2 * nk:2 * nk + ny], outs[2 * nk + ny:]
    return [*c_out, *y_out], [*tc_out, *ty_out]


def _bind_scan(closed: ClosedJaxpr, consts, carry, xs, length, reverse):
    """Bind scan for a closed jaxpr, turning its own consts into leading scan consts."""
    c = list(closed.consts)
    return scan_p.bind(*c, *consts, *carry, *xs, jaxpr=ClosedJaxpr(closed.jaxpr, []), num_consts=len(c) + len(consts),
                       num_carry=len(carry), length=length, reverse=reverse)


def _scan_vmap(axis_size, vals, dims, jaxpr, num_consts, num_carry, length, reverse):
    nc, nk = num_consts, num_carry
    consts, carry, xs = vals[:nc], vals[nc:nc + nk], vals[nc + nk:]
    cd, kd, xd = dims[:nc], dims[nc:nc + nk], dims[nc + nk:]
    consts = [batching.moveaxis(c, d, 0) if d is not None else c for c, d in zip(consts, cd)]
    cd = [0 if d is not None else None for d in cd]
    xs = [batching.moveaxis(x, d, 1) if d is not None else x for x, d in zip(xs, xd)]
    xd_body = [0 if d is not None else None for d in xd]
    carry_b = [d is not None for d in kd]
    # Fixpoint: a carry becomes batched if the body makes it so.
    for _ in range(nk + 1):
        body_dims = cd + [0 if b else None for b in carry_b] + xd_body
        _, out_dims = _vmap_body_dims(jaxpr, body_dims, axis_size)
        new_b = [b or (d is not None) for b, d in zip(carry_b, out_dims[:nk])]
        if new_b == carry_b:
            break
        carry_b = new_b
    carry = [batching.move_batch_axis(axis_size, d, 0, c) if b else c for c, d, b in zip(carry, kd, carry_b)]
    body_dims = cd + [0 if b else None for b in carry_b] + xd_body

    def f(*args):
        outs, odims = batching.vmap_flat(lambda *a: _call(jaxpr, a), body_dims, axis_size, args)
        res = []
        for i, (o, d) in enumerate(zip(outs, odims)):
            if i < nk and not carry_b[i]:
                res.append(o)
            else:
                res.append(batching.move_batch_axis(axis_size, d, 0, o))
        return res

    body_avals = ([get_aval(c) for c in consts] + [get_aval(c) for c in carry]
                  + [ShapedArray(get_aval(x).shape[1:], get_aval(x).dtype, get_aval(x).weak_type) for x in xs])
    new = _trace(f, _avals_from(body_avals))
    outs = _bind_scan(new, consts, carry, xs, length, reverse)
    out_dims = [0 if b else None for b in carry_b] + [1] * (len(outs) - nk)
    return outs, out_dims


def _avals_from(avals):
    return [core.raise_to_shaped(a) for a in avals]


def _vmap_body_dims(jaxpr, body_dims, axis_size):
    avals = []
    for a, d in zip(jaxpr.in_avals, body_dims):
        if d is None:
            avals.append(a)
        else:
            avals.append(a.update(shape=(axis_size,) + a.shape))
    store = {}

    def f(*args):
        outs, odims = batching.vmap_flat(lambda *x: _call(jaxpr, x), body_dims, axis_size, args)
        store["dims"] = odims
        return outs

    _trace(f, avals)
    return None, store["dims"]


def _scan_transpose(cts, *args, jaxpr, num_consts, num_carry, length, reverse):
    nc, nk = num_consts, num_carry
    consts, carry, xs = args[:nc], args[nc:nc + nk], args[nc + nk:]
    c_lin = [ad.is_undefined_primal(c) for c in consts]
    x_lin = [ad.is_undefined_primal(x) for x in xs]
    # A known initial carry (say a zero tangent) still enters the loop linearly: the affine part
    # it contributes does not change the cotangents of the linear inputs, so treat it as linear.
    carry_known = [not ad.is_undefined_primal(c) for c in carry]
    carry = [ad.UndefPrimal(core.get_aval(c)) if k else c for c, k in zip(carry, carry_known)]
    res_consts = [c for c, lin in zip(consts, c_lin) if not lin]
    res_xs = [x for x, lin in zip(xs, x_lin) if not lin]
    lin_const_avals = [c.aval for c, lin in zip(consts, c_lin) if lin]
    carry_avals = [c.aval for c in carry]
    lin_x_avals = [ShapedArray(x.aval.shape[1:], x.aval.dtype) for x, lin in zip(xs, x_lin) if lin]
    ny = len(jaxpr.out_avals) - nk
    ct_carry = [ad.instantiate_zeros(c, a) for c, a in zip(cts[:nk], carry_avals)]
    y_avals = [ShapedArray((length,) + a.shape, a.dtype) for a in jaxpr.out_avals[nk:]]
    ct_ys = [ad.instantiate_zeros(c, a) for c, a in zip(cts[nk:], y_avals)]
    nrc, nlc = len(res_consts), len(lin_const_avals)

    def body_t(*a):
        rc = a[:nrc]
        acc, ctc = a[nrc:nrc + nlc], a[nrc + nlc:nrc + nlc + nk]
        cty, rx = a[nrc + nlc + nk:nrc + nlc + nk + ny], a[nrc + nlc + nk + ny:]
        it_rc, it_rx = iter(rc), iter(rx)
        body_args = ([ad.UndefPrimal(aval) if lin else next(it_rc) for lin, aval in
                      zip(c_lin, jaxpr.in_avals[:nc])]
                     + [ad.UndefPrimal(a_) for a_ in jaxpr.in_avals[nc:nc + nk]]
                     + [ad.UndefPrimal(aval) if lin else next(it_rx) for lin, aval in
                        zip(x_lin, jaxpr.in_avals[nc + nk:])])
        out = ad.backward_pass(jaxpr.jaxpr, [*jaxpr.consts, *body_args], [*ctc, *cty])
        lin_avals = ([a_ for lin, a_ in zip(c_lin, jaxpr.in_avals[:nc]) if lin] + list(jaxpr.in_avals[nc:nc + nk])
                     + [a_ for lin, a_ in zip(x_lin, jaxpr.in_avals[nc + nk:]) if lin])
        out = [ad.instantiate_zeros(o, a_) for o, a_ in zip(out, lin_avals)]
        ct_c, ct_k, ct_x = out[:nlc], out[nlc:nlc + nk], out[nlc + nk:]
        new_acc = [lax.add(x, y) for x, y in zip(acc, ct_c)]
        return [*new_acc, *ct_k, *ct_x]

    acc0 = [lax.full(a.shape, 0, a.dtype) for a in lin_const_avals]
    t_avals = (_avals(res_consts) + [a.strip_weak_type() for a in lin_const_avals] + carry_avals
               + [ShapedArray(a.shape[1:], a.dtype) for a in y_avals]
               + [ShapedArray(get_aval(x).shape[1:], get_aval(x).dtype, get_aval(x).weak_type) for x in res_xs])
    t_jaxpr = _trace(body_t, _avals_from(t_avals))
    outs = _bind_scan(t_jaxpr, res_consts, [*acc0, *ct_carry], [*ct_ys, *res_xs], length, not reverse)
    ct_consts, ct_init, ct_xs = outs[:nlc], outs[nlc:nlc + nk], outs[nlc + nk:]
    it_c, it_x = iter(ct_consts), iter(ct_xs)
    return ([next(it_c) if lin else None for lin in c_lin] + [None if k else c for c, k in zip(ct_init, carry_known)]
            + [next(it_x) if lin else None for lin in x_lin])


def _scan_partial_eval_jaxpr(eqn, unks_in):
    p = eqn.params
    nc, nk, length, reverse = p["num_consts"], p["num_carry"], p["length"], p["reverse"]
    closed = p["jaxpr"]
    body = closed.jaxpr
    ncc = len(closed.consts)
    c_uk, k_uk, x_uk = unks_in[:nc], list(unks_in[nc:nc + nk]), unks_in[nc + nk:]
    for _ in range(nk + 1):
        _, _, out_uks, _ = pe.partial_eval_jaxpr(body, [False] * ncc + list(c_uk) + k_uk + list(x_uk))
        new = [a or b for a, b in zip(k_uk, out_uks[:nk])]
        if new == k_uk:
            break
        k_uk = new
    ny = len(body.outs) - nk
    j1, j2, out_uks, nres = pe.partial_eval_jaxpr(body, [False] * ncc + list(c_uk) + k_uk + list(x_uk),
                                                 instantiate=k_uk + [False] * ny)
    y_uk = out_uks[nk:]
    ins = eqn.inputs
    consts_in, carry_in, xs_in = ins[:nc], ins[nc:nc + nk], ins[nc + nk:]
    kc = [x for x, u in zip(consts_in, c_uk) if not u]
    kk = [x for x, u in zip(carry_in, k_uk) if not u]
    kx = [x for x, u in zip(xs_in, x_uk) if not u]
    uc = [x for x, u in zip(consts_in, c_uk) if u]
    uk = [x for x, u in zip(carry_in, k_uk) if u]
    ux = [x for x, u in zip(xs_in, x_uk) if u]
    # Known scan: consts = closed consts + known consts; carry = known carry; xs = known xs.
    # j1 inputs: [closed consts, known consts, known carry, known xs]; outputs: [known carry, known ys, res]
    res_avals = [v.aval for v in j1.outs[len(j1.outs) - nres:]]
    consts_lits = [core.Literal(c) for c in closed.consts]
    eqn1_outs_carry = [v for v, u in zip(eqn.out_binders[:nk], k_uk) if not u]
    eqn1_outs_ys = [v for v, u in zip(eqn.out_binders[nk:], y_uk) if not u]
    res_vars = [Var(ShapedArray((length,) + a.shape, a.dtype)) for a in res_avals]
    eqn1 = JaxprEqn(scan_p, consts_lits + kc + kk + kx,
                    dict(jaxpr=ClosedJaxpr(j1, []), num_consts=ncc + len(kc), num_carry=len(kk), length=length,
                         reverse=reverse),
                    eqn1_outs_carry + eqn1_outs_ys + res_vars)
    # Unknown scan: j2 inputs are [res, unknown consts, unknown carry, unknown xs]; reorder so the
    # residuals are scanned over (xs) after the unknown carry.
    r = j2.in_binders[:nres]
    rest = j2.in_binders[nres:]
    j2r = Jaxpr(rest[:len(uc)] + rest[len(uc):len(uc) + len(uk)] + r + rest[len(uc) + len(uk):], j2.eqns, j2.outs)
    eqn2_outs = [v for v, u in zip(eqn.out_binders[:nk], k_uk) if u] + [v for v, u in zip(eqn.out_binders[nk:], y_uk) if u]
    eqn2 = JaxprEqn(scan_p, uc + uk + res_vars + ux,
                    dict(jaxpr=ClosedJaxpr(j2r, []), num_consts=len(uc), num_carry=len(uk), length=length,
                         reverse=reverse), eqn2_outs)
    # Known initial carries that the loop makes unknown are residuals of the outer split.
    extra_res = [x for x, u0, u in zip(carry_in, unks_in[nc:nc + nk], k_uk) if u and not u0 and isinstance(x, Var)]
    return eqn1, eqn2, k_uk + list(y_uk), res_vars + extra_res


core.abstract_eval_rules[scan_p] = _scan_abstract
dispatch.impl_rules[scan_p] = _scan_impl
ad.jvp_rules[scan_p] = _scan_jvp
ad.transpose_rules[scan_p] = _scan_transpose
batching.vmap_rules[scan_p] = _scan_vmap
pe.register_partial_eval(scan_p, _scan_partial_eval_jaxpr)


def fori_loop(lower, upper, body_fun, init_val, *, unroll=None):
    lo, hi = lax._as_array(lower), lax._as_array(upper)
    concrete = not isinstance(lower, core.Tracer) and not isinstance(upper, core.Tracer)
    dt = dtypes.result_type(lower, upper)
    if concrete:
        # Static trip count: a scan, which reverse-mode differentiation supports (as in JAX).
        lo_i, hi_i = int(lo), int(hi)

        def step(carry, _):
            i, x = carry
            return (lax.add(i, 1), body_fun(i, x)), None

        (_, out), _ = scan(step, (lax.convert_element_type(lo, dt), init_val), None, length=max(hi_i - lo_i, 0))
        return out

    def cond_fn(c):
        return lax.lt(c[0], lax.convert_element_type(hi, dt))

    def body_fn(c):
        return (lax.add(c[0], 1), body_fun(c[0], c[1]))

    return while_loop(cond_fn, body_fn, (lax.convert_element_type(lo, dt), init_val))[1]


def map(f, xs, *, batch_size=None):
    if batch_size is not None:
        from jaxlite._src.batching import vmap
        leaves = tree_util.tree_leaves(xs)
        n = get_aval(leaves[0]).shape[0]
        nb = n // batch_size
        main = tree_util.tree_map(lambda x: structural.reshape(
            structural.slice_in_dim(x, 0, nb * batch_size), (nb, batch_size) + get_aval(x).shape[1:]), xs)
        _, ys = scan(lambda c, x: (c, vmap(f)(x)), (), main)
        ys = tree_util.tree_map(lambda y: structural.reshape(y, (nb * batch_size,) + get_aval(y).shape[2:]), ys)
        if nb * batch_size < n:
            rest = tree_util.tree_map(lambda x: structural.slice_in_dim(x, nb * batch_size, n), xs)
            ys2 = vmap(f)(rest)
            ys = tree_util.tree_map(lambda a, b: structural.concatenate([a, b], 0), ys, ys2)
        return ys
    _, ys = scan(lambda c, x: (c, f(x)), (), xs)
    return ys


# ---- while_loop -----------------------------------------------------------------------------------

while_p = Primitive("while", multiple_results=True)


def _while_abstract(*args, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    return list(args[cond_nconsts + body_nconsts:])


def _while_impl(*args, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    cc = args[:cond_nconsts]
    bc = args[cond_nconsts:cond_nconsts + body_nconsts]
    carry = list(args[cond_nconsts + body_nconsts:])
    while bool(_run(cond_jaxpr, [*cc, *carry])[0]):
        carry = _run(body_jaxpr, [*bc, *carry])
    return carry


def while_loop(cond_fun, body_fun, init_val):
    if not (callable(cond_fun) and callable(body_fun)):
        raise TypeError("lax.while_loop: body_fun and cond_fun arguments should be callable.")
    init_flat, tree = tree_util.tree_flatten(init_val)
    init_flat = [lax._as_array(x) for x in init_flat]
    avals = _avals(init_flat)

    def cond_flat(*c):
        out = cond_fun(tree_util.tree_unflatten(tree, c))
        return [out]

    def body_flat(*c):
        out = body_fun(tree_util.tree_unflatten(tree, c))
        out_flat, out_tree = tree_util.tree_flatten(out)
        if out_tree != tree:
            raise TypeError(f"body_fun output and input must have identical types, got\n{out_tree}\nand\n{tree}.")
        return out_flat

    cond_j = _trace(cond_flat, avals)
    ca = cond_j.out_avals[0]
    if ca.shape != () or ca.dtype != dtypes.bool_:
        raise TypeError(f"cond_fun must return a boolean scalar, but got output type(s) [{ca.str_short()}].")
    body_j = _trace(body_flat, avals)
    if _promote_weak_carries(init_flat, avals, body_j.out_avals):
        avals = _avals(init_flat)
        cond_j, body_j = _trace(cond_flat, avals), _trace(body_flat, avals)
    for a, b in zip(avals, body_j.out_avals):
        if a.shape != b.shape or a.dtype != b.dtype:
            raise TypeError(f"body_fun output and input must have identical types, got\n{b.str_short()}\n"
                            f"and\n{a.str_short()}.")
    if any(a.weak_type != b.weak_type for a, b in zip(avals, body_j.out_avals)):
        init_flat = [lax.convert_element_type(x, b.dtype, b.weak_type) for x, b in zip(init_flat, body_j.out_avals)]
        avals = _avals(init_flat)
        cond_j, body_j = _trace(cond_flat, avals), _trace(body_flat, avals)
    outs = while_p.bind(*cond_j.consts, *body_j.consts, *init_flat, cond_jaxpr=ClosedJaxpr(cond_j.jaxpr, []),
                        body_jaxpr=ClosedJaxpr(body_j.jaxpr, []), cond_nconsts=len(cond_j.consts),
                        body_nconsts=len(body_j.consts))
    return tree_util.tree_unflatten(tree, outs)


def _while_jvp(primals, tangents, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    cc = primals[:cond_nconsts]
    bc = primals[cond_nconsts:cond_nconsts + body_nconsts]
    tbc = tangents[cond_nconsts:cond_nconsts + body_nconsts]
    carry = primals[cond_nconsts + body_nconsts:]
    tcarry = tangents[cond_nconsts + body_nconsts:]
    nb, nk = len(bc), len(carry)

    def body(*a):
        b, tb, k, tk = a[:nb], a[nb:2 * nb], a[2 * nb:2 * nb + nk], a[2 * nb + nk:]
        po, to = ad.jvp_flat(lambda *x: _call(body_jaxpr, x), [*b, *k], [*tb, *tk])
        return [*po, *to]

    def cond(*a):
        c, k = a[:len(cc)], a[len(cc):len(cc) + nk]
        return _call(cond_jaxpr, [*c, *k])

    body_j = _trace(body, _avals(bc) + _avals(tbc) + _avals(carry) + _avals(tcarry))
    cond_j = _trace(cond, _avals(cc) + _avals(carry) + _avals(tcarry))
    outs = while_p.bind(*cond_j.consts, *cc, *body_j.consts, *bc, *tbc, *carry, *tcarry,
                        cond_jaxpr=ClosedJaxpr(cond_j.jaxpr, []), body_jaxpr=ClosedJaxpr(body_j.jaxpr, []),
                        cond_nconsts=len(cond_j.consts) + len(cc), body_nconsts=len(body_j.consts) + 2 * nb)
    return outs[:nk], outs[nk:]


def _while_vmap(axis_size, vals, dims, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    cc = [batching.move_batch_axis(axis_size, d, 0, v) if d is not None else v
          for v, d in zip(vals[:cond_nconsts], dims[:cond_nconsts])]
    ccd = [0 if d is not None else None for d in dims[:cond_nconsts]]
    bc = [batching.moveaxis(v, d, 0) if d is not None else v
          for v, d in zip(vals[cond_nconsts:cond_nconsts + body_nconsts], dims[cond_nconsts:cond_nconsts + body_nconsts])]
    bcd = [0 if d is not None else None for d in dims[cond_nconsts:cond_nconsts + body_nconsts]]
    carry = list(vals[cond_nconsts + body_nconsts:])
    kd = list(dims[cond_nconsts + body_nconsts:])
    # Batched predicates force every carry to be batched: each row stops on its own.
    carry_b = [d is not None for d in kd]
    for _ in range(len(carry) + 1):
        _, od = _vmap_body_dims(body_jaxpr, bcd + [0 if b else None for b in carry_b], axis_size)
        new = [b or d is not None for b, d in zip(carry_b, od)]
        if new == carry_b:
            break
        carry_b = new
    _, pd = _vmap_body_dims(cond_jaxpr, ccd + [0 if b else None for b in carry_b], axis_size)
    pred_batched = pd[0] is not None
    if pred_batched:
        carry_b = [True] * len(carry)
    carry = [batching.move_batch_axis(axis_size, d, 0, c) if b else c for c, d, b in zip(carry, kd, carry_b)]
    k_dims = [0 if b else None for b in carry_b]

    def cond_b(*a):
        outs, od = batching.vmap_flat(lambda *x: _call(cond_jaxpr, x), ccd + k_dims, axis_size, a)
        p = outs[0]
        return [reduce_or(batching.move_batch_axis(axis_size, od[0], 0, p), (0,))] if pred_batched else [p]

    def body_b(*a):
        c_args, k_args = a[:len(bc)], a[len(bc):]
        outs, od = batching.vmap_flat(lambda *x: _call(body_jaxpr, x), bcd + k_dims, axis_size, [*c_args, *k_args])
        outs = [batching.move_batch_axis(axis_size, d, 0, o) if b else o for o, d, b in zip(outs, od, carry_b)]
        if not pred_batched:
            return outs
        # Rows whose predicate is already false keep their carry.
        cc_args = a[len(bc) + len(carry):]
        pouts, pod = batching.vmap_flat(lambda *x: _call(cond_jaxpr, x), ccd + k_dims, axis_size, [*cc_args, *k_args])
        p = batching.move_batch_axis(axis_size, pod[0], 0, pouts[0])
        res = []
        for new, old in zip(outs, k_args):
            shape = get_aval(new).shape
            res.append(lax.select_n(structural.broadcast_in_dim(p, shape, (0,)), old, new))
        return res

    k_avals = _avals(carry)
    cond_j = _trace(cond_b, _avals(cc) + k_avals)
    if pred_batched:
        body_j = _trace(body_b, _avals(bc) + k_avals + _avals(cc))
        outs = _bind_batched_while(cond_j, body_j, cc, bc, carry)
    else:
        body_j = _trace(body_b, _avals(bc) + k_avals)
        outs = while_p.bind(*cond_j.consts, *cc, *body_j.consts, *bc, *carry, cond_jaxpr=ClosedJaxpr(cond_j.jaxpr, []),
                            body_jaxpr=ClosedJaxpr(body_j.jaxpr, []), cond_nconsts=len(cond_j.consts) + len(cc),
                            body_nconsts=len(body_j.consts) + len(bc))
    return outs, k_dims


def _bind_batched_while(cond_j, body_j, cc, bc, carry):
    """The batched body also reads the cond consts (to freeze finished rows): pass them as body
    consts by reordering the body's inputs to [consts, bc, cc, carry]."""
    j = body_j.jaxpr
    nconst = len(body_j.consts)
    binders = j.in_binders
    consts_b, bc_b = binders[:nconst], binders[nconst:nconst + len(bc)]
    carry_b = binders[nconst + len(bc):nconst + len(bc) + len(carry)]
    cc_b = binders[nconst + len(bc) + len(carry):]
    body = Jaxpr(consts_b + bc_b + cc_b + carry_b, j.eqns, j.outs)
    return while_p.bind(*cond_j.consts, *cc, *body_j.consts, *bc, *cc, *carry,
                        cond_jaxpr=ClosedJaxpr(cond_j.jaxpr, []), body_jaxpr=ClosedJaxpr(body, []),
                        cond_nconsts=len(cond_j.consts) + len(cc),
                        body_nconsts=nconst + len(bc) + len(cc))


core.abstract_eval_rules[while_p] = _while_abstract
dispatch.impl_rules[while_p] = _while_impl
ad.jvp_rules[while_p] = _while_jvp
batching.vmap_rules[while_p] = _while_vmap


def _while_partial_eval_jaxpr(eqn, unks_in):
    """Known carries (the primal loop, when the predicate depends on nothing unknown) run in a loop
    of their own; the whole loop goes to the unknown side, whose transpose raises as in JAX."""
    p = eqn.params
    cn, bn = p["cond_nconsts"], p["body_nconsts"]
    cond_j, body_j = p["cond_jaxpr"].jaxpr, p["body_jaxpr"].jaxpr
    cc_uk, bc_uk, k_uk = list(unks_in[:cn]), list(unks_in[cn:cn + bn]), list(unks_in[cn + bn:])
    all_res = [x for x, uk in zip(eqn.inputs, unks_in) if not uk and isinstance(x, Var)]
    for _ in range(len(k_uk) + 1):
        _, _, out_uks, _ = pe.partial_eval_jaxpr(body_j, bc_uk + k_uk)
        new = [a or b for a, b in zip(k_uk, out_uks)]
        if new == k_uk:
            break
        k_uk = new
    _, _, pred_uk, _ = pe.partial_eval_jaxpr(cond_j, cc_uk + k_uk)
    if pred_uk[0] or all(k_uk):
        return None, eqn, [True] * len(eqn.out_binders), all_res
    n_known = k_uk.count(False)
    j1, _, _, nres = pe.partial_eval_jaxpr(body_j, bc_uk + k_uk, instantiate=k_uk)
    body_known, _ = pe.dce_jaxpr(j1, [True] * n_known + [False] * nres)
    c1, _, _, cres = pe.partial_eval_jaxpr(cond_j, cc_uk + k_uk)
    cond_known, _ = pe.dce_jaxpr(c1, [True] + [False] * cres)
    ins = eqn.inputs
    kcc = [x for x, u in zip(ins[:cn], cc_uk) if not u]
    kbc = [x for x, u in zip(ins[cn:cn + bn], bc_uk) if not u]
    kk = [x for x, u in zip(ins[cn + bn:], k_uk) if not u]
    known_outs = [v for v, u in zip(eqn.out_binders, k_uk) if not u]
    eqn1 = JaxprEqn(while_p, kcc + kbc + kk,
                    dict(cond_jaxpr=ClosedJaxpr(cond_known, []), body_jaxpr=ClosedJaxpr(body_known, []),
                         cond_nconsts=len(kcc), body_nconsts=len(kbc)), known_outs)
    # The unknown side recomputes everything; its known results are discarded (fresh binders).
    outs2 = [v if u else Var(v.aval) for v, u in zip(eqn.out_binders, k_uk)]
    eqn2 = JaxprEqn(while_p, eqn.inputs, eqn.params, outs2)
    return eqn1, eqn2, k_uk, all_res


pe.register_partial_eval(while_p, _while_partial_eval_jaxpr)


def _while_transpose(*args, **params):
    raise ValueError("Reverse-mode differentiation does not work for lax.while_loop or lax.fori_loop with "
                     "dynamic start/stop values. Try using lax.scan, or using fori_loop with static "
                     "start/stop.")


ad.transpose_rules[while_p] = _while_transpose


# ---- associative_scan -----------------------------------------------------------------------------


def associative_scan(fn, elems, reverse=False, axis=0):
    """Parallel prefix scan (Blelloch-style odd/even recursion) of an associative fn."""
    flat, tree = tree_util.tree_flatten(elems)
    if reverse:
        flat = [structural.rev(x, (axis,)) for x in flat]
    n = get_aval(flat[0]).shape[axis]

    def combine(a, b):
        out = fn(tree_util.tree_unflatten(tree, a), tree_util.tree_unflatten(tree, b))
        return tree_util.tree_leaves(out)

    out = _prefix_scan(flat, combine, axis) if n else flat
    if reverse:
        out = [structural.rev(x, (axis,)) for x in out]
    return tree_util.tree_unflatten(tree, out)


def _slice_each(xs, axis, start, stop=None, step=1):
    return [structural.slice_in_dim(x, start, stop, step, axis) for x in xs]


def _prefix_scan(xs, combine, axis):
    """Blelloch-style: combine neighbouring pairs, scan the half recursively, fill in the rest."""
    m = get_aval(xs[0]).shape[axis]
    if m < 2:
        return xs
    reduced = combine(_slice_each(xs, axis, 0, m - 1, 2), _slice_each(xs, axis, 1, m, 2))
    odd = _prefix_scan(reduced, combine, axis)
    if m % 2 == 0:
        even = combine(_slice_each(odd, axis, 0, -1), _slice_each(xs, axis, 2, m, 2))
    else:
        even = combine(odd, _slice_each(xs, axis, 2, m, 2))
    first = _slice_each(xs, axis, 0, 1)
    even = [structural.concatenate([f, e], axis) for f, e in zip(first, even)]
    return [_interleave(e, o, axis) for e, o in zip(even, odd)]


def _interleave(a, b, axis):
    """[a0, b0, a1, b1, ...] along axis (a has as many or one more elements than b)."""
    na, nb = get_aval(a).shape[axis], get_aval(b).shape[axis]
    nd = get_aval(a).ndim
    cfg_a = [(0, 0, 0)] * nd
    cfg_b = [(0, 0, 0)] * nd
    cfg_a[axis] = (0, 1 if na == nb else 0, 1)
    cfg_b[axis] = (1, 0 if na == nb else 1, 1)
    z = np.zeros((), get_aval(a).dtype)
    pa, pb = structural.pad(a, z, cfg_a), structural.pad(b, z, cfg_b)
    shape = get_aval(pa).shape
    odd = lax.eq(lax.rem(structural.broadcasted_iota(dtypes.int32, shape, axis), 2), 1)
    return lax.select_n(odd, pa, pb)
