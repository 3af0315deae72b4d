"""What every kernel-compiling device (wasm, webgpu) shares: eager dispatch through cached
single-op kernels, jit through fused plans (kernel/fusion.py), and a host fallback (numpy) for
primitives that have no lowering on the device yet.

A subclass provides the renderer side (which dtypes and IR ops it renders, `compile`), the runtime
side (`put`, `get`, `launch`, `launch_routine`), and a matmul routine.
"""

from __future__ import annotations

import weakref
from collections import Counter

import numpy as np

from jaxlite._src import core, dispatch
from jaxlite._src.backends import cpu
from jaxlite._src.kernel import fusion, ir, lower


class KernelDevice:
    platform = device_kind = "?"
    math_ops: frozenset = frozenset()  # the ir.MATH_UNARY/MATH_BINARY ops the renderer implements

    def __init__(self, id: int = 0):
        self.id = id
        self._live = 0
        self._kernels: dict = {}     # Kernel (or routine key) -> compiled
        self._prim_cache: dict = {}  # (prim, params, in types) -> (compiled, n, dtype) or None (host)
        self._plans = weakref.WeakKeyDictionary()  # ClosedJaxpr -> Plan
        self.host_fallbacks: Counter = Counter()  # primitive name -> runs on the host (numpy)

    def __repr__(self):
        return f"{type(self).__name__}(id={self.id})"

    def live_buffers(self) -> int:
        return self._live

    # -- what a subclass provides ----------------------------------------------------------------

    def supports_dtype(self, dtype) -> bool:
        raise NotImplementedError

    def prim_ok(self, prim, in_avals, out_avals) -> bool:
        """Backend-specific exclusions beyond dtypes and math ops."""
        return True

    def matmul_ok(self) -> bool:
        return True

    stages = True  # whether staged lowerings (scans, sorts as kernel sequences) run here

    def can_stage(self, prim, in_avals, out_avals) -> bool:
        return self.stages and all(self.supports_dtype(a.dtype) for a in (*in_avals, *out_avals))

    def can_scatter(self, prim, in_avals, out_avals) -> bool:
        return (all(self.supports_dtype(a.dtype) for a in (*in_avals, *out_avals))
                and in_avals[1].dtype.itemsize <= 4)

    # -- capability --------------------------------------------------------------------------------

    def can_lower(self, prim, in_avals, out_avals) -> bool:
        if prim not in lower.lowerings or len(out_avals) != 1:
            return False
        if not all(self.supports_dtype(a.dtype) for a in (*in_avals, *out_avals)):
            return False
        op = lower.math_ops.get(prim)
        if op is not None and op not in self.math_ops:
            return False
        if in_avals and prim.name == "gather" and in_avals[1].dtype.itemsize > 4:
            return False  # 64-bit indices: not in kernels
        if prim.name == "bitcast_convert_type" and not (in_avals[0].dtype.itemsize == out_avals[0].dtype.itemsize == 4):
            return False  # 32-bit reinterpretation only; other widths change shapes or narrow-int encodings
        return self.prim_ok(prim, in_avals, out_avals)

    # -- eager -----------------------------------------------------------------------------------

    def compile_cached(self, key, make):
        fn = self._kernels.get(key)
        if fn is None:
            fn = self._kernels[key] = make()
        return fn

    def executor(self, prim, in_avals, params, out_avals):
        """A prepared runner for one primitive signature (eager dispatch caches it)."""
        if fusion.needs_plan(self, prim, in_avals, out_avals, params):
            plan = self._single_eqn_plan(prim, in_avals, params, out_avals)
            return lambda bufs: plan.execute(list(bufs))
        entry = self._build_prim(prim, in_avals, params, out_avals)
        if entry is None:
            return lambda bufs: self._host(prim, bufs, in_avals, params, out_avals)
        fn, n, dtype = entry
        launch = self.launch
        return lambda bufs: [launch(fn, bufs, n, dtype)]

    def run_primitive(self, prim, bufs, in_avals, params, out_avals):
        if fusion.needs_plan(self, prim, in_avals, out_avals, params):
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
        fn, n, dtype = entry
        return [self.launch(fn, list(bufs), n, dtype)]

    def _single_eqn_plan(self, prim, in_avals, params, out_avals):
        key = ("plan", prim, tuple(sorted(params.items())), tuple((a.shape, a.dtype) for a in in_avals))
        plan = self._prim_cache.get(key)
        if plan is None:
            ins = [core.Var(a) for a in in_avals]
            outs = [core.Var(a) for a in out_avals]
            jaxpr = core.Jaxpr(ins, [core.JaxprEqn(prim, ins, params, outs)], outs)
            plan = self._prim_cache[key] = fusion.Plan(self, core.ClosedJaxpr(jaxpr, []))
        return plan

    def _build_prim(self, prim, in_avals, params, out_avals):
        if not self.can_lower(prim, in_avals, out_avals):
            return None
        vals = [lower.leaf(k, a.shape, a.dtype) for k, a in enumerate(in_avals)]
        out = lower.lowerings[prim](out_avals[0], *vals, **params)
        kernel = ir.Kernel(prim.name, tuple(a.dtype for a in in_avals), (out.at(ir.Index(ir.I32)),))
        return self.compile(kernel), out_avals[0].size, out_avals[0].dtype

    def _host(self, prim, bufs, in_avals, params, out_avals):
        """No kernel yet: compute with the numpy reference and store the result."""
        self.host_fallbacks[prim.name] += 1
        args = [self.get(b, a) for b, a in zip(bufs, in_avals)]
        outs = cpu.kernels[prim](*args, **params)
        if not prim.multiple_results:
            outs = [outs]
        return [self.put(cpu._as_dtype(o, a)) for o, a in zip(outs, out_avals)]

    # -- jit ---------------------------------------------------------------------------------------

    def run_jaxpr(self, closed: core.ClosedJaxpr, args):
        from jaxlite._src.array import ArrayImpl
        # A ClosedJaxpr fixes its input types, so it alone keys its plan.
        plan = self._plans.get(closed)
        if plan is None:
            plan = self._plans[closed] = fusion.Plan(self, closed)
        bufs = [x._buf if type(x) is ArrayImpl and x._device is self else dispatch.to_buffer(x, self, a)
                for x, a in zip((*closed.consts, *args), closed.jaxpr.in_avals)]
        outs = plan.execute(bufs)
        return [ArrayImpl(v.aval, b, self) for v, b in zip(closed.jaxpr.outs, outs)]


def renderable(render_code, dtype) -> bool:
    """Whether a renderer's dtype table has the dtype (its lookup raises for unknown ones)."""
    try:
        render_code(np.dtype(dtype))
        return True
    except (NotImplementedError, KeyError):
        return False
