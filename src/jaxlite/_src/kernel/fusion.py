"""jit schedules: a jaxpr becomes a list of steps over numbered buffer slots, for any device that
renders kernel IR (wasm, webgpu).

Equations with a lowering compose lazily into `Val`s; a value is stored (one fused kernel) when a
jaxpr output or an unlowered primitive needs it, when it is a reduction or contraction result,
when it feeds a contraction, or when it is costly and read by several consumers. float32
dot_general (and convolutions, as im2col) run the device's matmul routine on operands laid out as
[B, M, K] and [B, K, N] by fused copy kernels, with any elementwise epilogue fused into the next
kernel. Control flow and nested jit run by binding (their bodies get plans of their own).

The device supplies: can_lower / can_stage / can_scatter(prim, in_avals, out_avals) and
matmul_ok(), compile(Kernel), launch(compiled, in_bufs, n, dtype), launch_many(compiled, in_bufs,
n, dtypes), launch_scatter(compiled, in_bufs, base, n, dtype, inplace), matmul(batch, m, n, k) and
launch_routine(routine, in_bufs, nbytes), run_primitive(...), put(ndarray).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from jaxlite._src import core, dispatch
from jaxlite._src.kernel import ir, lower
from jaxlite._src.lax.convolution import conv_general_dilated_p
from jaxlite._src.lax.dot import dot_general_p
from jaxlite._src.lax.structural import reshape_p

EXPENSIVE = 24  # IR nodes per element above which a shared value is stored, not recomputed
MATH_COST = 30  # a transcendental op counts as this many nodes (it expands to a polynomial)


def cost(val) -> int:
    """IR nodes evaluated per element of a lazy value (Reduce bodies count fully)."""
    return sum(MATH_COST if isinstance(e, (ir.Unary, ir.Binary)) and (e.op in ir.MATH_UNARY or e.op in ir.MATH_BINARY)
               else 1 for e in ir.nodes([val.at(ir.Index(ir.I32))]))


def matmul_layout(in_avals, out_avals, params):
    """For a float32 dot_general: (lhs perm, rhs perm, batch, m, n, k) that puts the operands in
    row-major [B, M, K] and [B, K, N] order for a matmul routine; None if it does not apply."""
    if len(in_avals) != 2 or any(a.dtype != np.float32 for a in (*in_avals, *out_avals)):
        return None
    (lc, rc), (lb, rb) = params["dimension_numbers"]
    lhs, rhs = in_avals
    lfree = [d for d in range(lhs.ndim) if d not in lc and d not in lb]
    rfree = [d for d in range(rhs.ndim) if d not in rc and d not in rb]
    size = lambda a, dims: int(np.prod([a.shape[d] for d in dims], dtype=np.int64))  # noqa: E731
    batch, m, k, n = size(lhs, lb), size(lhs, lfree), size(lhs, lc), size(rhs, rfree)
    return (tuple(lb) + tuple(lfree) + tuple(lc), tuple(rb) + tuple(rc) + tuple(rfree), batch, m, n, k)


def needs_plan(device, prim, in_avals, out_avals, params) -> bool:
    """Whether a primitive run alone still takes several steps (a matmul routine with layout
    kernels, im2col), so that eager dispatch runs it as a one-equation plan."""
    if prim in lower.staged:
        return device.can_stage(prim, in_avals, out_avals)
    if prim in lower.SCATTER_OPS:
        return device.can_scatter(prim, in_avals, out_avals)
    if not device.matmul_ok():
        return False
    if prim is dot_general_p:
        return matmul_layout(in_avals, out_avals, params) is not None
    return prim is conv_general_dilated_p and _conv_as_matmul_ok(in_avals, out_avals, params)


def _conv_as_matmul_ok(in_avals, out_avals, params) -> bool:
    return (all(a.dtype == np.float32 for a in (*in_avals, *out_avals)) and params["feature_group_count"] == 1
            and params["batch_group_count"] == 1)


def canonical(exprs):
    """Renumber Load tokens to 0..k-1 by first appearance; returns (exprs, tokens in arg order)."""
    order: dict[int, int] = {}

    def fn(e, kids):
        if isinstance(e, ir.Load):
            return ir.Load(e.dtype, order.setdefault(e.arg, len(order)), kids[0])
        return None

    for e in ir.nodes(exprs):  # number by first appearance
        if isinstance(e, ir.Load):
            order.setdefault(e.arg, len(order))
    return ir.rewrite(exprs, fn), list(order)


def _shared(val):
    """The value with at(i) built once per index: an expression that reads a value twice (x * x)
    then holds one subtree twice instead of building it twice, so chains of such reads (repeated
    squaring) build linearly many nodes, not exponentially many."""
    memo: dict = {}
    at = val.at

    def shared_at(i):
        e = memo.get(i)
        if e is None:
            e = memo[i] = at(i)
        return e
    return dataclasses.replace(val, at=shared_at)


def _step_inputs(step) -> list:
    kind = step[0]
    if kind in ("kernel", "kernels", "routine"):
        return list(step[2])
    if kind == "scatter":
        return [*step[2], step[3]]
    return list(step[3])


# Call primitives whose bodies join the enclosing plan: a nested jit or a custom_jvp function
# (relu, softmax, the special functions) then fuses with its neighbours instead of running as a
# plan of its own. Only execution is planned here, so the custom rule is not needed.
_INLINED = {"pjit": "jaxpr", "custom_jvp_call": "call_jaxpr"}


def inline_calls(jaxpr: core.Jaxpr):
    """The jaxpr with inlinable calls replaced by their bodies, and the (Var, value) pairs that
    bind the inlined bodies' constants."""
    if not any(e.primitive.name in _INLINED for e in jaxpr.eqns):
        return jaxpr, []
    eqns, consts, subst = [], [], {}
    _inline_into(jaxpr.eqns, subst, eqns, consts)
    outs = [subst.get(x, x) if isinstance(x, core.Var) else x for x in jaxpr.outs]
    return core.Jaxpr(jaxpr.in_binders, eqns, outs), consts


def _inline_into(eqns, subst, out_eqns, consts):
    for eqn in eqns:
        ins = [subst.get(x, x) if isinstance(x, core.Var) else x for x in eqn.inputs]
        key = _INLINED.get(eqn.primitive.name)
        if key is None:
            out_eqns.append(eqn._replace(inputs=ins))
            continue
        closed = eqn.params[key]
        inner = closed.jaxpr
        cvars = [core.Var(v.aval) for v in inner.in_binders[:len(closed.consts)]]
        consts.extend(zip(cvars, closed.consts))
        inner_subst = dict(zip(inner.in_binders, [*cvars, *ins]))
        _inline_into(inner.eqns, inner_subst, out_eqns, consts)
        for v, o in zip(eqn.out_binders, inner.outs):
            subst[v] = inner_subst.get(o, o) if isinstance(o, core.Var) else o


class Plan:
    """A jaxpr compiled to steps over numbered slots: fused kernels, routines, single primitives
    (the device's kernel or host fallback), and higher-order primitives run by binding."""

    def __init__(self, device, closed: core.ClosedJaxpr):
        self.device = device
        jaxpr = closed.jaxpr
        self.nslots = 0
        self.steps: list = []
        self.const_bufs: list = []  # (slot, buffer) for literals that primitives need stored
        self._env: dict = {}  # Var -> ("slot", k) | ("val", Val)
        self._slot_dtype: dict = {}
        env = self._env

        self.in_slots = [self._new_slot(v.aval.dtype) for v in jaxpr.in_binders]
        for v, k in zip(jaxpr.in_binders, self.in_slots):
            env[v] = ("slot", k)
        jaxpr, inner_consts = inline_calls(jaxpr)
        for v, c in inner_consts:
            k = self._new_slot(v.aval.dtype)
            self.const_bufs.append((k, dispatch.to_buffer(c, device, v.aval)))
            env[v] = ("slot", k)

        uses: dict = {}
        for eqn in jaxpr.eqns:
            for x in eqn.inputs:
                if isinstance(x, core.Var):
                    uses[x] = uses.get(x, 0) + 1
        for x in jaxpr.outs:
            if isinstance(x, core.Var):
                uses[x] = uses.get(x, 0) + 1

        for eqn in jaxpr.eqns:
            prim = eqn.primitive
            in_avals = [x.aval for x in eqn.inputs]
            out_avals = [v.aval for v in eqn.out_binders]
            # A costly lazy value read by several consumers is stored once rather than recomputed
            # inside each of them (e.g. softmax's exp(x - max) feeding both the sum and the divide).
            for x in eqn.inputs:
                if (isinstance(x, core.Var) and uses.get(x, 0) > 1 and env[x][0] == "val"
                        and cost(env[x][1]) > EXPENSIVE):
                    self._materialize(x)
            if (prim is conv_general_dilated_p and _conv_as_matmul_ok(in_avals, out_avals, eqn.params)
                    and device.matmul_ok()):
                env[eqn.out_binders[0]] = ("val", _shared(self._conv(eqn)))
                continue
            layout = matmul_layout(in_avals, out_avals, eqn.params) if prim is dot_general_p else None
            if layout is not None and device.matmul_ok():
                self._matmul(eqn, layout)
                continue
            if prim is reshape_p and not isinstance(eqn.inputs[0], core.Literal) and env[eqn.inputs[0]][0] == "slot":
                env[eqn.out_binders[0]] = env[eqn.inputs[0]]  # same bytes: alias the stored buffer
                continue
            if prim in lower.SCATTER_OPS and device.can_scatter(prim, in_avals, out_avals):
                self._scatter(eqn)
                continue
            if prim in lower.staged and device.can_stage(prim, in_avals, out_avals):
                outs = lower.staged[prim](out_avals, *(self._as_val(x) for x in eqn.inputs), store=self._store,
                                          **eqn.params)
                for v, val in zip(eqn.out_binders, outs):
                    env[v] = ("val", _shared(val))
                    if not val.is_view:  # it loops: store it rather than recompute it per use
                        self._materialize(v)
                continue
            if prim not in dispatch.impl_rules and device.can_lower(prim, in_avals, out_avals):
                if prim in lower.materialize_inputs:
                    for x in eqn.inputs:
                        if isinstance(x, core.Var) and env[x][0] == "val" and not env[x][1].is_view:
                            self._materialize(x)
                out = lower.lowerings[prim](out_avals[0], *(self._as_val(x) for x in eqn.inputs), **eqn.params)
                env[eqn.out_binders[0]] = ("val", _shared(out))
                if prim in lower.materialize_after:
                    self._materialize(eqn.out_binders[0])
                continue
            ins = [self._materialize(x) for x in eqn.inputs]
            outs = [self._new_slot(v.aval.dtype) for v in eqn.out_binders]
            for v, k in zip(eqn.out_binders, outs):
                env[v] = ("slot", k)
            kind = "bind" if prim in dispatch.impl_rules else "prim"
            self.steps.append((kind, prim, eqn.params, ins, in_avals, outs, out_avals))
        self.out_slots = [self._materialize(x) for x in jaxpr.outs]
        # Free each intermediate after its last use (Python refcounts release the memory).
        last: dict[int, int] = {}
        for n, step in enumerate(self.steps):
            for k in _step_inputs(step):
                last[k] = n
        keep = set(self.out_slots)
        # A scatter may update its base in place when nothing else sees that buffer: an intermediate
        # of this plan (not an input, constant or output) that no later step reads.
        owned = keep | set(self.in_slots) | {k for k, _ in self.const_bufs}
        for n, step in enumerate(self.steps):
            if step[0] == "scatter" and step[3] not in owned and last.get(step[3]) == n and step[3] not in step[2]:
                self.steps[n] = (*step[:-1], True)
        self.frees = [[] for _ in self.steps]
        for k, n in last.items():
            if k not in keep:
                self.frees[n].append(k)
        del self._env

    # -- building --------------------------------------------------------------------------------

    def _new_slot(self, dtype) -> int:
        self.nslots += 1
        self._slot_dtype[self.nslots - 1] = np.dtype(dtype)
        return self.nslots - 1

    def _as_val(self, x):
        if isinstance(x, core.Literal):
            c = ir.Const(x.aval.dtype, np.asarray(x.val).item())
            return lower.Val((), x.aval.dtype, lambda i: c, True)
        kind, what = self._env[x]
        if kind == "slot":
            return lower.leaf(what, x.aval.shape, x.aval.dtype)
        return what

    def _materialize(self, x) -> int:
        if isinstance(x, core.Literal):
            k = self._new_slot(x.aval.dtype)
            self.const_bufs.append((k, self.device.put(np.asarray(x.val, dtype=x.aval.dtype))))
            return k
        kind, what = self._env[x]
        if kind == "slot":
            return what
        exprs, tokens = canonical((what.at(ir.Index(ir.I32)),))
        fn = self.device.compile(ir.Kernel("fused", tuple(self._slot_dtype[t] for t in tokens), exprs))
        k = self._new_slot(what.dtype)
        self.steps.append(("kernel", fn, tokens, k, what.size, np.dtype(what.dtype)))
        self._env[x] = ("slot", k)
        return k

    def _store(self, *vals):
        """Materialise lazy values of one size in one kernel; their stored leaves, in order."""
        n = vals[0].size
        assert all(v.size == n for v in vals)
        exprs, tokens = canonical(tuple(v.at(ir.Index(ir.I32)) for v in vals))
        fn = self.device.compile(ir.Kernel("staged", tuple(self._slot_dtype[t] for t in tokens), exprs))
        slots = [self._new_slot(v.dtype) for v in vals]
        self.steps.append(("kernels", fn, tokens, slots, n, tuple(np.dtype(v.dtype) for v in vals)))
        return [lower.leaf(k, v.shape, v.dtype) for k, v in zip(slots, vals)]

    def _scatter(self, eqn):
        """Copy of the operand, then one invocation per update element (indices and updates fuse in)."""
        operand, indices, updates = eqn.inputs
        p = eqn.params
        op = lower.SCATTER_OPS[eqn.primitive]
        base = self._materialize(operand)
        index, value = lower.scatter_exprs(operand.aval.shape, self._as_val(indices), self._as_val(updates),
                                           p["dimension_numbers"], p["mode"])
        (value, index), tokens = canonical((value, index))
        kernel = ir.Kernel(eqn.primitive.name, tuple(self._slot_dtype[t] for t in tokens), (value,),
                           ir.Scatter(index, op))
        out = self._new_slot(operand.aval.dtype)
        self.steps.append(("scatter", self.device.compile(kernel), tokens, base, out, updates.aval.size,
                           np.dtype(operand.aval.dtype), False))  # last: may update base in place
        self._env[eqn.out_binders[0]] = ("slot", out)

    def _stored(self, shape, dtype, at) -> int:
        """Materialise a lazy value given by its element function."""
        tmp = core.Var(core.ShapedArray(tuple(shape), dtype))
        self._env[tmp] = ("val", lower.Val(tuple(shape), np.dtype(dtype), at))
        return self._materialize(tmp)

    def _matmul(self, eqn, layout):
        lperm, rperm, batch, m, n, k = layout
        ins = []
        for x, perm, shape in ((eqn.inputs[0], lperm, (batch, m, k)), (eqn.inputs[1], rperm, (batch, k, n))):
            if perm == tuple(range(len(perm))) and not isinstance(x, core.Literal) and self._env[x][0] == "slot":
                ins.append(self._env[x][1])  # already stored row-major in this order
                continue
            v = self._as_val(x)
            t = lower._transpose(core.ShapedArray(tuple(v.shape[d] for d in perm), v.dtype), v, perm)
            ins.append(self._stored(shape, v.dtype, t.at))
        out = self._new_slot(np.float32)
        self.steps.append(("routine", self.device.matmul(batch, m, n, k), ins, out, 4 * batch * m * n))
        self._env[eqn.out_binders[0]] = ("slot", out)

    def _conv(self, eqn):
        """conv_general_dilated as im2col (one fused kernel) and the matmul routine."""
        p = eqn.params
        lhs_spec, rhs_spec, out_spec = p["dimension_numbers"]
        lhs, rhs = (self._as_val(x) for x in eqn.inputs)
        out_aval = eqn.out_binders[0].aval
        nsp = len(lhs.shape) - 2
        n, c = lhs.shape[lhs_spec[0]], lhs.shape[lhs_spec[1]]
        o = rhs.shape[rhs_spec[0]]
        in_sp = [lhs.shape[d] for d in lhs_spec[2:]]
        k_sp = [rhs.shape[d] for d in rhs_spec[2:]]
        out_sp = [out_aval.shape[d] for d in out_spec[2:]]
        rows = n * int(np.prod(out_sp, dtype=np.int64))
        depth = c * int(np.prod(k_sp, dtype=np.int64))
        dil_in = [(s - 1) * d + 1 if s else 0 for s, d in zip(in_sp, p["lhs_dilation"])]

        def patch_at(i):  # patches[(n, out position), (c, kernel position)]
            r, q = ir.binary("idiv", i, ir.i32(depth)), ir.binary("irem", i, ir.i32(depth))
            rm = ir.unravel(r, [n] + out_sp)
            qm = ir.unravel(q, [c] + k_sp)
            full = [None] * len(lhs.shape)
            full[lhs_spec[0]], full[lhs_spec[1]] = rm[0], qm[0]
            valid = None
            for s in range(nsp):
                lo = p["padding"][s][0]
                pos = ir.binary("sub", ir.binary("add", ir.binary("mul", rm[1 + s], ir.i32(p["window_strides"][s])),
                                                  ir.binary("mul", qm[1 + s], ir.i32(p["rhs_dilation"][s]))), ir.i32(lo))
                ok = ir.binary("and", ir.binary("ge", pos, ir.i32(0)), ir.binary("lt", pos, ir.i32(dil_in[s])))
                safe = ir.Binary(ir.I32, "min", ir.Binary(ir.I32, "max", pos, ir.i32(0)), ir.i32(max(dil_in[s] - 1, 0)))
                ld = p["lhs_dilation"][s]
                if ld != 1:
                    ok = ir.binary("and", ok, ir.binary("eq", ir.binary("irem", safe, ir.i32(ld)), ir.i32(0)))
                    safe = ir.binary("idiv", safe, ir.i32(ld))
                full[lhs_spec[2 + s]] = safe
                valid = ok if valid is None else ir.binary("and", valid, ok)
            v = lhs.at(ir.ravel(full, lhs.shape))
            return v if valid is None else ir.Select(v.dtype, valid, v, ir.Const(v.dtype, 0.0))

        def weight_at(i):  # weights[(c, kernel position), o]
            q, oo = ir.binary("idiv", i, ir.i32(o)), ir.binary("irem", i, ir.i32(o))
            qm = ir.unravel(q, [c] + k_sp)
            full = [None] * len(rhs.shape)
            full[rhs_spec[0]], full[rhs_spec[1]] = oo, qm[0]
            for s in range(nsp):
                full[rhs_spec[2 + s]] = qm[1 + s]
            return rhs.at(ir.ravel(full, rhs.shape))

        slots = [self._stored((rows, depth), np.float32, patch_at), self._stored((depth, o), np.float32, weight_at)]
        res = self._new_slot(np.float32)
        self.steps.append(("routine", self.device.matmul(1, rows, o, depth), slots, res, 4 * rows * o))
        stored = lower.leaf(res, (n, *out_sp, o), np.float32)  # row-major (n, out positions, o)

        def out_at(i):
            m = ir.unravel(i, out_aval.shape)
            return stored.at(ir.ravel([m[out_spec[0]]] + [m[d] for d in out_spec[2:]] + [m[out_spec[1]]],
                                      stored.shape))
        return lower.Val(out_aval.shape, out_aval.dtype, out_at, True)

    # -- running ---------------------------------------------------------------------------------

    def execute(self, bufs):
        from jaxlite._src.array import ArrayImpl
        dev = self.device
        launch, launch_routine = dev.launch, dev.launch_routine
        slots = [None] * self.nslots
        for k, b in zip(self.in_slots, bufs):
            slots[k] = b
        for k, b in self.const_bufs:
            slots[k] = b
        for step, frees in zip(self.steps, self.frees):
            kind = step[0]
            if kind == "kernel":
                _, fn, ins, out, n, dtype = step
                slots[out] = launch(fn, [slots[k] for k in ins], n, dtype)
            elif kind == "kernels":
                _, fn, ins, outs, n, dtypes = step
                for k, b in zip(outs, dev.launch_many(fn, [slots[k] for k in ins], n, dtypes)):
                    slots[k] = b
            elif kind == "scatter":
                _, fn, ins, base, out, n, dtype, inplace = step
                slots[out] = dev.launch_scatter(fn, [slots[k] for k in ins], slots[base], n, dtype, inplace)
            elif kind == "routine":
                _, fn, ins, out, nbytes = step
                slots[out] = launch_routine(fn, [slots[k] for k in ins], nbytes)
            elif kind == "prim":
                _, prim, params, ins, in_avals, outs, out_avals = step
                results = dev.run_primitive(prim, [slots[k] for k in ins], in_avals, params, out_avals)
                for k, b in zip(outs, results):
                    slots[k] = b
            else:
                _, prim, params, ins, in_avals, outs, out_avals = step
                arrays = [ArrayImpl(a, slots[k], dev) for k, a in zip(ins, in_avals)]
                results = core.bind(prim, *arrays, **params)
                for k, r, a in zip(outs, results, out_avals):
                    slots[k] = dispatch.to_buffer(r, dev, a)
            for k in frees:
                slots[k] = None
        return [slots[k] for k in self.out_slots]
