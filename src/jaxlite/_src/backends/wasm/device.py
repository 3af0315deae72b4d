"""The `wasm` device: arrays live in one WebAssembly memory; primitives run as rendered kernels.

Eager ops run single-op kernels, cached per (primitive, params, input types). `jit` compiles a
jaxpr once per input signature into a schedule: chains of elementwise ops, views and the
reductions/contractions they feed fuse into one kernel each; results that open loops
(reductions, dot_general) are stored, and contraction inputs are stored before use so nothing
expensive is recomputed per output element. Primitives without a kernel lowering yet run on the
host with numpy (read, compute, write back) so every program works while lowerings are added.
"""

from __future__ import annotations

import weakref

import numpy as np

from jaxlite._src import core, dispatch
from jaxlite._src.backends import cpu
from jaxlite._src.backends.wasm.assembler import assemble
from jaxlite._src.backends.wasm import routines
from jaxlite._src.backends.wasm.render import _WTYPE, Unsupported, _code, render
from jaxlite._src.backends.wasm.runtime import Runtime
from jaxlite._src.kernel import ir, lower
from jaxlite._src.lax import lax
from jaxlite._src.lax.convolution import conv_general_dilated_p
from jaxlite._src.lax.dot import dot_general_p


class WasmBuffer:
    __slots__ = ("ptr", "nbytes", "device")

    def __init__(self, device, nbytes: int):
        self.ptr = None
        self.device = device
        self.nbytes = nbytes
        self.ptr = device.runtime.alloc(nbytes)  # MemoryError leaves ptr None: nothing to free
        device._live += 1

    def __del__(self):
        if self.ptr is not None:
            self.device.runtime.free(self.ptr, self.nbytes)
            self.device._live -= 1


def _renderable_dtype(dt) -> bool:
    try:
        return _code(dt) in _WTYPE
    except Unsupported:
        return False


def can_lower(prim, in_avals, out_avals) -> bool:
    if prim not in lower.lowerings or len(out_avals) != 1:
        return False
    if not all(_renderable_dtype(a.dtype) for a in (*in_avals, *out_avals)):
        return False
    if prim is lax.rem_p and in_avals[0].dtype.kind == "f":
        return False  # fmod needs an exact routine (not yet written)
    if in_avals and prim.name == "gather" and in_avals[1].dtype.itemsize > 4:
        return False  # 64-bit indices: not in kernels yet
    return True


def matmul_layout(in_avals, out_avals, params):
    """For a float32 dot_general: (lhs perm, rhs perm, batch, m, n, k) that puts the operands in
    row-major [B, M, K] and [B, K, N] order for the matmul routine; None if it does not apply."""
    if len(in_avals) != 2 or any(a.dtype != np.float32 for a in (*in_avals, *out_avals)):
        return None
    (lc, rc), (lb, rb) = params["dimension_numbers"]
    lhs, rhs = in_avals
    lfree = [d for d in range(lhs.ndim) if d not in lc and d not in lb]
    rfree = [d for d in range(rhs.ndim) if d not in rc and d not in rb]
    size = lambda a, dims: int(np.prod([a.shape[d] for d in dims], dtype=np.int64))  # noqa: E731
    batch, m, k, n = size(lhs, lb), size(lhs, lfree), size(lhs, lc), size(rhs, rfree)
    return (tuple(lb) + tuple(lfree) + tuple(lc), tuple(rb) + tuple(rc) + tuple(rfree), batch, m, n, k)


EXPENSIVE = 24  # IR nodes per element above which a shared value is stored, not recomputed


def _cost(val) -> int:
    """Distinct IR nodes evaluated per element of a lazy value (Reduce bodies count fully)."""
    return len(set(ir.walk(val.at(ir.Index(ir.I32)))))


def _conv_as_matmul_ok(in_avals, out_avals, params) -> bool:
    return (all(a.dtype == np.float32 for a in (*in_avals, *out_avals)) and params["feature_group_count"] == 1
            and params["batch_group_count"] == 1)


def _canonical(exprs):
    """Renumber Load tokens to 0..k-1 by first appearance; returns (exprs, tokens in arg order)."""
    order: dict[int, int] = {}
    memo: dict = {}

    def rw(e):
        if e in memo:
            return memo[e]
        if isinstance(e, ir.Load):
            k = order.setdefault(e.arg, len(order))
            out = ir.Load(e.dtype, k, rw(e.index))
        elif isinstance(e, (ir.Unary,)):
            out = ir.Unary(e.dtype, e.op, rw(e.x))
        elif isinstance(e, ir.Cast):
            out = ir.Cast(e.dtype, rw(e.x))
        elif isinstance(e, ir.Bitcast):
            out = ir.Bitcast(e.dtype, rw(e.x))
        elif isinstance(e, ir.Binary):
            out = ir.Binary(e.dtype, e.op, rw(e.a), rw(e.b))
        elif isinstance(e, ir.Select):
            out = ir.Select(e.dtype, rw(e.cond), rw(e.on_true), rw(e.on_false))
        elif isinstance(e, ir.Reduce):
            out = ir.Reduce(e.dtype, e.op, rw(e.body), e.size, e.level)
        else:
            out = e
        memo[e] = out
        return out

    new = tuple(rw(e) for e in exprs)
    return new, list(order)


class WasmDevice:
    platform = "wasm"
    device_kind = "wasm"

    def __init__(self, runtime: Runtime, id: int = 0):
        self.id = id
        self.runtime = runtime
        self._live = 0
        self._kernels: dict = {}     # Kernel -> compiled callable
        self._prim_cache: dict = {}  # (prim, params, in types) -> (callable, out size) or None (host)
        self._plans = weakref.WeakKeyDictionary()  # ClosedJaxpr -> _Plan

    def __repr__(self):
        return f"WasmDevice(id={self.id})"

    def live_buffers(self) -> int:
        return self._live

    # -- data movement ---------------------------------------------------------------------------

    def put(self, value: np.ndarray) -> WasmBuffer:
        value = np.asarray(value)
        buf = WasmBuffer(self, value.nbytes)
        if value.nbytes:
            self.runtime.write(buf.ptr, value)
        return buf

    def get(self, buf: WasmBuffer, aval) -> np.ndarray:
        raw = self.runtime.read(buf.ptr, buf.nbytes) if buf.nbytes else np.empty(0, np.uint8)
        return raw.view(aval.dtype).reshape(aval.shape)

    # -- kernels ---------------------------------------------------------------------------------

    def compile(self, kernel: ir.Kernel):
        fn = self._kernels.get(kernel)
        if fn is None:
            fn = self._kernels[kernel] = self.runtime.instantiate(assemble(render(kernel)))
        return fn

    def compile_routine(self, key, make_wat):
        fn = self._kernels.get(key)
        if fn is None:
            fn = self._kernels[key] = self.runtime.instantiate(assemble(make_wat()))
        return fn

    def executor(self, prim, in_avals, params, out_avals):
        """A prepared runner for one primitive signature (eager dispatch caches it)."""
        if prim is dot_general_p and matmul_layout(in_avals, out_avals, params) is not None:
            plan = self._single_eqn_plan(prim, in_avals, params, out_avals)
            return lambda bufs: plan.execute(list(bufs))
        entry = self._build_prim(prim, in_avals, params, out_avals)
        if entry is None:
            return lambda bufs: self._host(prim, bufs, in_avals, params, out_avals)
        fn, n = entry
        nbytes = n * out_avals[0].dtype.itemsize

        def run(bufs):
            out = WasmBuffer(self, nbytes)
            if n:
                fn(*[b.ptr for b in bufs], out.ptr, n)
            return [out]
        return run

    def run_primitive(self, prim, bufs, in_avals, params, out_avals):
        if prim is dot_general_p and matmul_layout(in_avals, out_avals, params) is not None:
            return self._single_eqn_plan(prim, in_avals, params, out_avals).execute(list(bufs))
        key = (prim, tuple(sorted(params.items())), tuple((a.shape, a.dtype) for a in in_avals))
        try:
            entry = self._prim_cache.get(key, False)
        except TypeError:  # unhashable params: no caching
            key, entry = None, False
        if entry is False:
            entry = self._build_prim(prim, in_avals, params, out_avals)
            if key is not None:
                self._prim_cache[key] = entry
        if entry is None:
            return self._host(prim, bufs, in_avals, params, out_avals)
        fn, n = entry
        out = WasmBuffer(self, n * out_avals[0].dtype.itemsize)
        if n:
            fn(*(b.ptr for b in bufs), out.ptr, n)
        return [out]

    def _single_eqn_plan(self, prim, in_avals, params, out_avals):
        key = ("plan", prim, tuple(sorted(params.items())), tuple((a.shape, a.dtype) for a in in_avals))
        plan = self._prim_cache.get(key)
        if plan is None:
            ins = [core.Var(a) for a in in_avals]
            outs = [core.Var(a) for a in out_avals]
            jaxpr = core.Jaxpr(ins, [core.JaxprEqn(prim, ins, params, outs)], outs)
            plan = self._prim_cache[key] = _Plan(self, core.ClosedJaxpr(jaxpr, []))
        return plan

    def _build_prim(self, prim, in_avals, params, out_avals):
        if not can_lower(prim, in_avals, out_avals):
            return None
        vals = [lower.leaf(k, a.shape, a.dtype) for k, a in enumerate(in_avals)]
        out = lower.lowerings[prim](out_avals[0], *vals, **params)
        kernel = ir.Kernel(prim.name, tuple(a.dtype for a in in_avals), (out.at(ir.Index(ir.I32)),))
        return self.compile(kernel), out_avals[0].size

    def _host(self, prim, bufs, in_avals, params, out_avals):
        """No kernel yet: compute with the numpy reference and store the result."""
        args = [self.get(b, a) for b, a in zip(bufs, in_avals)]
        outs = cpu.kernels[prim](*args, **params)
        if not prim.multiple_results:
            outs = [outs]
        return [self.put(cpu._as_dtype(o, a)) for o, a in zip(outs, out_avals)]

    # -- jit: fused schedules -----------------------------------------------------------------

    def run_jaxpr(self, closed: core.ClosedJaxpr, args):
        from jaxlite._src.array import ArrayImpl
        # A ClosedJaxpr fixes its input types, so it alone keys its plan.
        plan = self._plans.get(closed)
        if plan is None:
            plan = self._plans[closed] = _Plan(self, closed)
        bufs = [x._buf if type(x) is ArrayImpl and x._device is self else dispatch.to_buffer(x, self, a)
                for x, a in zip((*closed.consts, *args), closed.jaxpr.in_avals)]
        outs = plan.execute(bufs)
        return [ArrayImpl(v.aval, b, self) for v, b in zip(closed.jaxpr.outs, outs)]


class _Plan:
    """A jaxpr compiled to steps over numbered slots: fused kernels, single primitives (kernel or
    host), and higher-order primitives (control flow, nested jit) run by binding."""

    def __init__(self, device: WasmDevice, closed: core.ClosedJaxpr):
        self.device = device
        jaxpr = closed.jaxpr
        self.nslots = 0
        self.steps: list = []
        self.const_bufs: list = []  # (slot, buffer) for literals that primitives need stored
        env: dict = {}  # Var -> ("slot", k) | ("val", Val)
        self._env = env
        slot_dtype: dict = {}

        def new_slot(dtype):
            self.nslots += 1
            slot_dtype[self.nslots - 1] = np.dtype(dtype)
            return self.nslots - 1

        self.in_slots = [new_slot(v.aval.dtype) for v in jaxpr.in_binders]
        for v, k in zip(jaxpr.in_binders, self.in_slots):
            env[v] = ("slot", k)

        def as_val(x):
            if isinstance(x, core.Literal):
                c = ir.Const(x.aval.dtype, np.asarray(x.val).item())
                return lower.Val((), x.aval.dtype, lambda i: c, True)
            kind, what = env[x]
            if kind == "slot":
                return lower.leaf(what, x.aval.shape, x.aval.dtype)
            return what

        def materialize(x) -> int:
            if isinstance(x, core.Literal):
                k = new_slot(x.aval.dtype)
                self.const_bufs.append((k, device.put(np.asarray(x.val, dtype=x.aval.dtype))))
                return k
            kind, what = env[x]
            if kind == "slot":
                return what
            exprs, tokens = _canonical((what.at(ir.Index(ir.I32)),))
            fn = device.compile(ir.Kernel("fused", tuple(slot_dtype[t] for t in tokens), exprs))
            k = new_slot(what.dtype)
            self.steps.append(("kernel", fn, tokens, k, what.size, what.size * np.dtype(what.dtype).itemsize))
            env[x] = ("slot", k)
            return k

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
                        and _cost(env[x][1]) > EXPENSIVE):
                    materialize(x)
            if prim is conv_general_dilated_p and _conv_as_matmul_ok(in_avals, out_avals, eqn.params):
                env[eqn.out_binders[0]] = ("val", self._conv(eqn, as_val, materialize, new_slot, device))
                continue
            layout = matmul_layout(in_avals, out_avals, eqn.params) if prim is dot_general_p else None
            if layout is not None:
                lperm, rperm, batch, m, n, k = layout
                ins = []
                for x, perm, shape in ((eqn.inputs[0], lperm, (batch, m, k)), (eqn.inputs[1], rperm, (batch, k, n))):
                    if perm == tuple(range(len(perm))) and not isinstance(x, core.Literal) and env[x][0] == "slot":
                        ins.append(env[x][1])  # already stored row-major in this order
                        continue
                    v = as_val(x)
                    t = lower._transpose(core.ShapedArray(tuple(v.shape[d] for d in perm), v.dtype), v, perm)
                    tmp = core.Var(core.ShapedArray(shape, v.dtype))
                    env[tmp] = ("val", lower.Val(shape, v.dtype, t.at, t.is_view))
                    ins.append(materialize(tmp))
                out = new_slot(np.float32)
                fn = device.compile_routine(("matmul_f32", batch, m, n, k), lambda: routines.matmul_f32(batch, m, n, k))
                self.steps.append(("routine", fn, ins, out, 4 * batch * m * n))
                env[eqn.out_binders[0]] = ("slot", out)
                continue
            if prim not in dispatch.impl_rules and can_lower(prim, in_avals, out_avals):
                if prim in lower.materialize_inputs:
                    for x in eqn.inputs:
                        if isinstance(x, core.Var) and env[x][0] == "val" and not env[x][1].is_view:
                            materialize(x)
                out = lower.lowerings[prim](out_avals[0], *(as_val(x) for x in eqn.inputs), **eqn.params)
                env[eqn.out_binders[0]] = ("val", out)
                if prim in lower.materialize_after:
                    materialize(eqn.out_binders[0])
                continue
            ins = [materialize(x) for x in eqn.inputs]
            outs = [new_slot(v.aval.dtype) for v in eqn.out_binders]
            for v, k in zip(eqn.out_binders, outs):
                env[v] = ("slot", k)
            kind = "bind" if prim in dispatch.impl_rules else "prim"
            self.steps.append((kind, prim, eqn.params, ins, in_avals, outs, out_avals))
        self.out_slots = [materialize(x) for x in jaxpr.outs]
        # Free each intermediate after its last use (Python refcounts release the memory).
        last: dict[int, int] = {}
        for n, step in enumerate(self.steps):
            for k in (step[2] if step[0] in ("kernel", "routine") else step[3]):
                last[k] = n
        keep = set(self.out_slots)
        self.frees = [[] for _ in self.steps]
        for k, n in last.items():
            if k not in keep:
                self.frees[n].append(k)

    def _conv(self, eqn, as_val, materialize, new_slot, device):
        """conv_general_dilated as im2col (one fused kernel) and the matmul routine."""
        p = eqn.params
        lhs_spec, rhs_spec, out_spec = p["dimension_numbers"]
        lhs, rhs = (as_val(x) for x in eqn.inputs)
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

        slots = []
        for shape, at in (((rows, depth), patch_at), ((depth, o), weight_at)):
            tmp = core.Var(core.ShapedArray(shape, np.float32))
            self._env[tmp] = ("val", lower.Val(shape, np.dtype(np.float32), at))
            slots.append(materialize(tmp))
        res = new_slot(np.float32)
        fn = device.compile_routine(("matmul_f32", 1, rows, o, depth), lambda: routines.matmul_f32(1, rows, o, depth))
        self.steps.append(("routine", fn, slots, res, 4 * rows * o))
        stored = lower.leaf(res, (n, *out_sp, o), np.float32)  # row-major (n, out positions, o)

        def out_at(i):
            m = ir.unravel(i, out_aval.shape)
            return stored.at(ir.ravel([m[out_spec[0]]] + [m[d] for d in out_spec[2:]] + [m[out_spec[1]]],
                                      stored.shape))
        return lower.Val(out_aval.shape, out_aval.dtype, out_at, True)

    def execute(self, bufs):
        from jaxlite._src.array import ArrayImpl
        dev = self.device
        slots = [None] * self.nslots
        for k, b in zip(self.in_slots, bufs):
            slots[k] = b
        for k, b in self.const_bufs:
            slots[k] = b
        for step, frees in zip(self.steps, self.frees):
            kind = step[0]
            if kind == "kernel":
                _, fn, ins, out, n, nbytes = step
                buf = WasmBuffer(dev, nbytes)
                if n:
                    fn(*(slots[k].ptr for k in ins), buf.ptr, n)
                slots[out] = buf
            elif kind == "routine":
                _, fn, ins, out, nbytes = step
                buf = WasmBuffer(dev, nbytes)
                fn(*(slots[k].ptr for k in ins), buf.ptr, 0)
                slots[out] = buf
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
