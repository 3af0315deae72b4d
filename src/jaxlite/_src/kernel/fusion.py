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
from typing import Any, ClassVar

import numpy as np

from jaxlite._src import core, dispatch
from jaxlite._src.kernel import complex as kcomplex
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


def matmul_layout(in_avals, out_avals, params, dtypes=(np.float32,)):
    """For a float32 dot_general: (lhs perm, rhs perm, batch, m, n, k) that puts the operands in
    row-major [B, M, K] and [B, K, N] order for a matmul routine; None if it does not apply."""
    if len(in_avals) != 2 or any(a.dtype not in dtypes for a in (*in_avals, *out_avals)):
        return None
    (lc, rc), (lb, rb) = params["dimension_numbers"]
    lhs, rhs = in_avals
    lfree = [d for d in range(lhs.ndim) if d not in lc and d not in lb]
    rfree = [d for d in range(rhs.ndim) if d not in rc and d not in rb]
    size = lambda a, dims: int(np.prod([a.shape[d] for d in dims], dtype=np.int64))  # noqa: E731
    batch, m, k, n = size(lhs, lb), size(lhs, lfree), size(lhs, lc), size(rhs, rfree)
    return (tuple(lb) + tuple(lfree) + tuple(lc), tuple(rb) + tuple(rc) + tuple(rfree), batch, m, n, k)


def complex_matmul_layout(device, in_avals, out_avals, params):
    """matmul_layout for a complex64 dot_general (operands complex64 or float32) on a device whose
    kernels read complex buffers: it runs as real matmuls of the parts."""
    if not device.complex_kernels or out_avals[0].dtype != np.complex64:
        return None
    return matmul_layout(in_avals, out_avals, params, (np.float32, np.complex64))


def needs_plan(device, prim, in_avals, out_avals, params) -> bool:
    """Whether a primitive run alone still takes several steps (a matmul routine with layout
    kernels, im2col, a decomposition into other primitives), so that eager dispatch runs it as a
    one-equation plan."""
    rule = core.decomposition_rules.get(prim)
    if rule is not None and rule(list(in_avals), **params) is not None:
        return True
    if prim in lower.staged:
        return device.can_stage(prim, in_avals, out_avals)
    if prim in lower.SCATTER_OPS:
        return device.can_scatter(prim, in_avals, out_avals)
    if not device.matmul_ok():
        return False
    if prim is dot_general_p:
        return (matmul_layout(in_avals, out_avals, params) is not None
                or complex_matmul_layout(device, in_avals, out_avals, params) is not None)
    return prim is conv_general_dilated_p and _conv_as_matmul_ok(in_avals, out_avals, params)


def _conv_as_matmul_ok(in_avals, out_avals, params) -> bool:
    return (all(a.dtype == np.float32 for a in (*in_avals, *out_avals)) and params["feature_group_count"] == 1
            and params["batch_group_count"] == 1)


def canonical(exprs, loads: bool = True):
    """The expressions in a form that does not depend on how they were built: Load tokens
    renumbered 0..k-1 and reduction levels 0..r-1, each by first appearance. Reduction levels come
    from a process-wide counter, so without renumbering every re-trace or re-built plan would make
    a new kernel key and compile again. With loads=False the Load tokens stay as they are (eager
    kernels read their inputs in argument order). Returns (exprs, tokens in arg order)."""
    order: dict[int, int] = {}
    levels: dict[int, int] = {}
    for e in ir.nodes(exprs):  # number by first appearance
        if isinstance(e, ir.Load):
            order.setdefault(e.arg, len(order))
        elif isinstance(e, (ir.Reduce, ir.RIndex)):
            levels.setdefault(e.level, len(levels))

    def fn(e, kids):
        if isinstance(e, ir.Load):
            return ir.Load(e.dtype, order[e.arg] if loads else e.arg, kids[0])
        if isinstance(e, ir.Reduce):
            return ir.Reduce(e.dtype, e.op, kids[0], e.size, levels[e.level])
        if isinstance(e, ir.RIndex):
            return ir.RIndex(e.dtype, levels[e.level])
        return None

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


# -- steps -----------------------------------------------------------------------------------------
# Each step reads its inputs from numbered slots and writes its outputs to others; `run` is the hot
# path of every jit call, so it reads plain attributes and calls the device directly.

@dataclasses.dataclass(frozen=True, slots=True)
class KernelStep:
    """One fused kernel writing one buffer of n elements."""
    kind: ClassVar[str] = "kernel"
    fn: Any  # the device's compiled kernel
    ins: tuple[int, ...]
    out: int
    n: int
    dtype: np.dtype

    def inputs(self) -> tuple[int, ...]:
        return self.ins

    def run(self, dev, slots):
        slots[self.out] = dev.launch(self.fn, [slots[k] for k in self.ins], self.n, self.dtype)


@dataclasses.dataclass(frozen=True, slots=True)
class KernelsStep:
    """One kernel writing several buffers of n elements (a staged rule's outputs)."""
    kind: ClassVar[str] = "kernels"
    fn: Any
    ins: tuple[int, ...]
    outs: tuple[int, ...]
    n: int
    dtypes: tuple[np.dtype, ...]

    def inputs(self) -> tuple[int, ...]:
        return self.ins

    def run(self, dev, slots):
        for k, b in zip(self.outs, dev.launch_many(self.fn, [slots[k] for k in self.ins], self.n, self.dtypes)):
            slots[k] = b


@dataclasses.dataclass(frozen=True, slots=True)
class RoutineStep:
    """A device routine (the matmul) writing nbytes."""
    kind: ClassVar[str] = "routine"
    fn: Any
    ins: tuple[int, ...]
    out: int
    nbytes: int

    def inputs(self) -> tuple[int, ...]:
        return self.ins

    def run(self, dev, slots):
        slots[self.out] = dev.launch_routine(self.fn, [slots[k] for k in self.ins], self.nbytes)


@dataclasses.dataclass(frozen=True, slots=True)
class ScatterStep:
    """A copy of `base` into `out`, then one kernel invocation per update element (n of them).
    `inplace`: base is an intermediate no one reads afterwards, so the device may update it."""
    kind: ClassVar[str] = "scatter"
    fn: Any
    ins: tuple[int, ...]
    base: int
    out: int
    n: int
    dtype: np.dtype
    inplace: bool = False

    def inputs(self) -> tuple[int, ...]:
        return (*self.ins, self.base)

    def run(self, dev, slots):
        slots[self.out] = dev.launch_scatter(self.fn, [slots[k] for k in self.ins], slots[self.base], self.n,
                                             self.dtype, self.inplace)


@dataclasses.dataclass(frozen=True, slots=True)
class PrimStep:
    """A single primitive on the device's buffers (its own kernel or a counted host fallback)."""
    kind: ClassVar[str] = "prim"
    prim: core.Primitive
    params: dict
    ins: tuple[int, ...]
    in_avals: tuple
    outs: tuple[int, ...]
    out_avals: tuple

    def inputs(self) -> tuple[int, ...]:
        return self.ins

    def run(self, dev, slots):
        results = dev.run_primitive(self.prim, [slots[k] for k in self.ins], self.in_avals, self.params,
                                    self.out_avals)
        for k, b in zip(self.outs, results):
            slots[k] = b


@dataclasses.dataclass(frozen=True, slots=True)
class BindStep:
    """A higher-order primitive (control flow) bound on Arrays; its bodies get plans of their own."""
    kind: ClassVar[str] = "bind"
    prim: core.Primitive
    params: dict
    ins: tuple[int, ...]
    in_avals: tuple
    outs: tuple[int, ...]
    out_avals: tuple

    def inputs(self) -> tuple[int, ...]:
        return self.ins

    def run(self, dev, slots):
        from jaxlite._src.array import ArrayImpl
        results = core.bind(self.prim, *[ArrayImpl(a, slots[k], dev) for k, a in zip(self.ins, self.in_avals)],
                            **self.params)
        for k, r, a in zip(self.outs, results, self.out_avals):
            slots[k] = dispatch.to_buffer(r, dev, a)


Step = KernelStep | KernelsStep | RoutineStep | ScatterStep | PrimStep | BindStep


# Call primitives whose bodies join the enclosing plan: a nested jit or a custom_jvp function
# (relu, softmax, the special functions) then fuses with its neighbours instead of running as a
# plan of its own. Only execution is planned here, so the custom rule is not needed.
_INLINED = {"pjit": "jaxpr", "custom_jvp_call": "call_jaxpr"}


def _body(eqn):
    """The closed jaxpr that stands for `eqn` in a plan, or None: the body of a call primitive,
    or the decomposition of a primitive registered in `core.decomposition_rules`."""
    key = _INLINED.get(eqn.primitive.name)
    if key is not None:
        return eqn.params[key]
    rule = core.decomposition_rules.get(eqn.primitive)
    if rule is None:
        return None
    return rule([x.aval for x in eqn.inputs], **eqn.params)


def inline_calls(jaxpr: core.Jaxpr):
    """The jaxpr with inlinable calls replaced by their bodies, and the (Var, value) pairs that
    bind the inlined bodies' constants."""
    if not any(e.primitive.name in _INLINED or e.primitive in core.decomposition_rules
               for e in jaxpr.eqns):
        return jaxpr, []
    eqns, consts, subst = [], [], {}
    _inline_into(jaxpr.eqns, subst, eqns, consts)
    outs = [subst.get(x, x) if isinstance(x, core.Var) else x for x in jaxpr.outs]
    return core.Jaxpr(jaxpr.in_binders, eqns, outs), consts


def _inline_into(eqns, subst, out_eqns, consts, fresh=False):
    for eqn in eqns:
        ins = [subst.get(x, x) if isinstance(x, core.Var) else x for x in eqn.inputs]
        closed = _body(eqn)
        if closed is None:
            if fresh:
                # An inlined body's own variables are renamed: the same body inlined twice (two
                # calls of one jitted function) must not share them.
                outs = [core.Var(v.aval) for v in eqn.out_binders]
                subst.update(zip(eqn.out_binders, outs))
                out_eqns.append(eqn._replace(inputs=ins, out_binders=outs))
            else:
                out_eqns.append(eqn._replace(inputs=ins))
            continue
        inner = closed.jaxpr
        cvars = [core.Var(v.aval) for v in inner.in_binders[:len(closed.consts)]]
        consts.extend(zip(cvars, closed.consts))
        inner_subst = dict(zip(inner.in_binders, [*cvars, *ins]))
        _inline_into(inner.eqns, inner_subst, out_eqns, consts, fresh=True)
        for v, o in zip(eqn.out_binders, inner.outs):
            subst[v] = inner_subst.get(o, o) if isinstance(o, core.Var) else o


def count_uses(jaxpr: core.Jaxpr) -> dict:
    """Var -> how many times equations and the outputs read it."""
    uses: dict = {}
    for x in (*(x for eqn in jaxpr.eqns for x in eqn.inputs), *jaxpr.outs):
        if isinstance(x, core.Var):
            uses[x] = uses.get(x, 0) + 1
    return uses


class Plan:
    """A jaxpr compiled to steps over numbered slots: fused kernels, routines, scatters, single
    primitives (the device's kernel or host fallback), and higher-order primitives run by binding.

    Built in passes: inline nested calls, count uses, schedule each equation, then (over the
    finished steps) mark the scatters that may update their base in place and list the frees."""

    def __init__(self, device, closed: core.ClosedJaxpr):
        self.device = device
        self.nslots = 0
        self.steps: list[Step] = []
        self.const_bufs: list = []  # (slot, buffer) for literals and constants that steps read
        self._env: dict = {}  # Var -> ("slot", k) | ("val", Val)
        self._slot_dtype: dict = {}
        jaxpr = closed.jaxpr
        self.in_slots = [self._bind_slot(v) for v in jaxpr.in_binders]
        jaxpr, inner_consts = inline_calls(jaxpr)
        for v, c in inner_consts:
            self.const_bufs.append((self._bind_slot(v), dispatch.to_buffer(c, device, v.aval)))
        self._uses = count_uses(jaxpr)
        for eqn in jaxpr.eqns:
            self._schedule(eqn)
        self.out_slots = [self._materialize(x) for x in jaxpr.outs]
        del self._env, self._uses
        last = self._last_reads()
        self._mark_inplace_scatters(last)
        self.frees = self._frees(last)

    # -- passes ----------------------------------------------------------------------------------

    def _bind_slot(self, v) -> int:
        k = self._new_slot(v.aval.dtype)
        self._env[v] = ("slot", k)
        return k

    def _schedule(self, eqn):
        """Add one equation: as a lazy value that later kernels fuse, or as the steps it needs."""
        device, env = self.device, self._env
        prim = eqn.primitive
        in_avals = [x.aval for x in eqn.inputs]
        out_avals = [v.aval for v in eqn.out_binders]
        # A costly lazy value read by several consumers is stored once rather than recomputed
        # inside each of them (e.g. softmax's exp(x - max) feeding both the sum and the divide).
        for x in eqn.inputs:
            if (isinstance(x, core.Var) and self._uses.get(x, 0) > 1 and env[x][0] == "val"
                    and cost(env[x][1]) > EXPENSIVE):
                self._materialize(x)
        if (prim is conv_general_dilated_p and _conv_as_matmul_ok(in_avals, out_avals, eqn.params)
                and device.matmul_ok()):
            env[eqn.out_binders[0]] = ("val", _shared(self._conv(eqn)))
            return
        layout = matmul_layout(in_avals, out_avals, eqn.params) if prim is dot_general_p else None
        if layout is not None and device.matmul_ok():
            self._matmul(eqn, layout)
            return
        layout = complex_matmul_layout(device, in_avals, out_avals, eqn.params) if prim is dot_general_p else None
        if layout is not None and device.matmul_ok():
            self._complex_matmul(eqn, layout)
            return
        if prim is reshape_p and not isinstance(eqn.inputs[0], core.Literal) and env[eqn.inputs[0]][0] == "slot":
            env[eqn.out_binders[0]] = env[eqn.inputs[0]]  # same bytes: alias the stored buffer
            return
        if prim in lower.SCATTER_OPS and device.can_scatter(prim, in_avals, out_avals):
            self._scatter(eqn)
            return
        if prim in lower.staged and device.can_stage(prim, in_avals, out_avals):
            outs = lower.staged[prim](out_avals, *(self._as_val(x) for x in eqn.inputs), store=self._store,
                                      **eqn.params)
            for v, val in zip(eqn.out_binders, outs):
                env[v] = ("val", _shared(val))
                if not val.is_view:  # it loops: store it rather than recompute it per use
                    self._materialize(v)
            return
        if prim not in dispatch.impl_rules and device.can_lower(prim, in_avals, out_avals):
            if prim in lower.materialize_inputs:
                for x in eqn.inputs:
                    if isinstance(x, core.Var) and env[x][0] == "val" and not env[x][1].is_view:
                        self._materialize(x)
            out = lower.lowerings[prim](out_avals[0], *(self._as_val(x) for x in eqn.inputs), **eqn.params)
            env[eqn.out_binders[0]] = ("val", _shared(out))
            if prim in lower.materialize_after:
                self._materialize(eqn.out_binders[0])
            return
        ins = tuple(self._materialize(x) for x in eqn.inputs)
        outs = tuple(self._bind_slot(v) for v in eqn.out_binders)
        step = BindStep if prim in dispatch.impl_rules else PrimStep
        self.steps.append(step(prim, eqn.params, ins, tuple(in_avals), outs, tuple(out_avals)))

    def _last_reads(self) -> dict[int, int]:
        """slot -> index of the last step that reads it."""
        return {k: n for n, step in enumerate(self.steps) for k in step.inputs()}

    def _mark_inplace_scatters(self, last):
        """A scatter may update its base in place when nothing else sees that buffer: an
        intermediate of this plan (not an input, constant or output) that no later step reads."""
        owned = set(self.out_slots) | set(self.in_slots) | {k for k, _ in self.const_bufs}
        for n, step in enumerate(self.steps):
            if (type(step) is ScatterStep and step.base not in owned and last.get(step.base) == n
                    and step.base not in step.ins):
                self.steps[n] = dataclasses.replace(step, inplace=True)

    def _frees(self, last) -> list[list[int]]:
        """Per step, the slots to drop after it: each intermediate after its last read (Python
        refcounts then release the memory)."""
        keep = set(self.out_slots)
        frees = [[] for _ in self.steps]
        for k, n in last.items():
            if k not in keep:
                frees[n].append(k)
        return frees

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
        # complex values become float pairs here; a complex result is 2n floats (kernel/complex.py)
        exprs, scale = kcomplex.realify((what.at(ir.Index(ir.I32)),))
        exprs, tokens = canonical(exprs)
        fn = self.device.compile(ir.Kernel("fused", tuple(kcomplex.buffer_dtype(self._slot_dtype[t]) for t in tokens),
                                           exprs))
        k = self._new_slot(what.dtype)
        self.steps.append(KernelStep(fn, tuple(tokens), k, what.size * scale, kcomplex.buffer_dtype(what.dtype)))
        self._env[x] = ("slot", k)
        return k

    def _store(self, *vals):
        """Materialise lazy values of one size in one kernel; their stored leaves, in order."""
        n = vals[0].size
        assert all(v.size == n for v in vals)
        # complex values as float pairs, as in _materialize (one complex value: 2n floats)
        exprs, scale = kcomplex.realify(tuple(v.at(ir.Index(ir.I32)) for v in vals))
        exprs, tokens = canonical(exprs)
        fn = self.device.compile(ir.Kernel("staged", tuple(kcomplex.buffer_dtype(self._slot_dtype[t]) for t in tokens),
                                           exprs))
        slots = tuple(self._new_slot(v.dtype) for v in vals)
        self.steps.append(KernelsStep(fn, tuple(tokens), slots, n * scale,
                                      tuple(kcomplex.buffer_dtype(v.dtype) for v in vals)))
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
        kernel, scale = kcomplex.realify_scatter(ir.Kernel(
            eqn.primitive.name, tuple(self._slot_dtype[t] for t in tokens), (value,), ir.Scatter(index, op)))
        out = self._new_slot(operand.aval.dtype)
        self.steps.append(ScatterStep(self.device.compile(kernel), tuple(tokens), base, out, updates.aval.size * scale,
                                      kcomplex.buffer_dtype(operand.aval.dtype)))
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
        self.steps.append(RoutineStep(self.device.matmul(batch, m, n, k), tuple(ins), out, 4 * batch * m * n))
        self._env[eqn.out_binders[0]] = ("slot", out)

    def _complex_matmul(self, eqn, layout):
        """A complex product as real matmuls of the parts (re = ar br - ai bi, im = ar bi + ai br;
        a real operand or one whose imaginary part is zero by construction needs two), combined
        lazily so that the next kernel fuses the sums."""
        lperm, rperm, batch, m, n, k = layout
        f32 = np.dtype(np.float32)
        parts = []
        for x, perm, shape in ((eqn.inputs[0], lperm, (batch, m, k)), (eqn.inputs[1], rperm, (batch, k, n))):
            if (x.aval.dtype == f32 and perm == tuple(range(len(perm))) and not isinstance(x, core.Literal)
                    and self._env[x][0] == "slot"):
                parts.append((self._env[x][1], None))  # already stored row-major in this order
                continue
            v = self._as_val(x)
            t = lower._transpose(core.ShapedArray(tuple(v.shape[d] for d in perm), v.dtype), v, perm)
            if v.dtype == f32:
                parts.append((self._stored(shape, f32, t.at), None))
                continue
            re = self._stored(shape, f32, lambda i, t=t: ir.Unary(f32, "real", t.at(i)))
            im = (None if kcomplex.zero_imag(t)
                  else self._stored(shape, f32, lambda i, t=t: ir.Unary(f32, "imag", t.at(i))))
            parts.append((re, im))
        (ar, ai), (br, bi) = parts
        routine = self.device.matmul(batch, m, n, k)

        def product(a, b):
            out = self._new_slot(f32)
            self.steps.append(RoutineStep(routine, (a, b), out, 4 * batch * m * n))
            return lower.leaf(out, (batch * m * n,), f32)
        re = [(product(ar, br), 1)] + ([(product(ai, bi), -1)] if ai is not None and bi is not None else [])
        im = [(product(a, b), 1) for a, b in ((ar, bi), (ai, br)) if a is not None and b is not None]

        def combine(terms, i):
            if not terms:
                return ir.Const(f32, 0.0)
            acc = terms[0][0].at(i)
            for leaf, sign in terms[1:]:
                acc = ir.binary("add" if sign > 0 else "sub", acc, leaf.at(i))
            return acc
        out = eqn.out_binders[0].aval
        self._env[eqn.out_binders[0]] = ("val", lower.Val(out.shape, out.dtype, lambda i: ir.Binary(
            out.dtype, "complex", combine(re, i), combine(im, i))))

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
                safe, ok = lower.conv_tap(rm[1 + s], qm[1 + s], s, p, dil_in[s])
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
        self.steps.append(RoutineStep(self.device.matmul(1, rows, o, depth), tuple(slots), res, 4 * rows * o))
        stored = lower.leaf(res, (n, *out_sp, o), np.float32)  # row-major (n, out positions, o)

        def out_at(i):
            m = ir.unravel(i, out_aval.shape)
            return stored.at(ir.ravel([m[out_spec[0]]] + [m[d] for d in out_spec[2:]] + [m[out_spec[1]]],
                                      stored.shape))
        return lower.Val(out_aval.shape, out_aval.dtype, out_at, True)

    # -- running ---------------------------------------------------------------------------------

    def runner(self):
        """run(argument buffers) -> output buffers, as `execute`: for the common plan of one
        kernel reading only the arguments, the device's prepared launch of it (the launch eager
        dispatch calls), with no slots to fill."""
        if len(self.steps) == 1 and not self.const_bufs and type(self.steps[0]) is KernelStep:
            step = self.steps[0]
            if self.out_slots == [step.out] and all(k in self.in_slots for k in step.ins):
                launch = self.device.launcher(step.fn, step.n, step.dtype)
                order = [self.in_slots.index(k) for k in step.ins]
                if order == list(range(len(self.in_slots))):
                    return launch
                return lambda bufs: launch([bufs[i] for i in order])
        return self.execute

    def execute(self, bufs):
        dev = self.device
        slots = [None] * self.nslots
        for k, b in zip(self.in_slots, bufs):
            slots[k] = b
        for k, b in self.const_bufs:
            slots[k] = b
        for step, frees in zip(self.steps, self.frees):
            step.run(dev, slots)
            for k in frees:
                slots[k] = None
        return [slots[k] for k in self.out_slots]
