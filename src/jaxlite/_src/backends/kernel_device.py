"""What every kernel-compiling device (wasm, webgpu) shares: eager dispatch through cached
single-op kernels, jit through fused plans (kernel/fusion.py), and a host fallback (numpy) for
primitives that have no lowering on the device yet.

`KernelDevice` is the declared contract: a subclass implements the abstract methods below, the
renderer side (which dtypes and IR math ops it renders, `compile`) and the runtime side (buffers:
`put`/`get`; launches: `launch`, `launch_many`, `launch_scatter`, `launch_routine`; the float32
`matmul` routine). Buffers are opaque to this module and to fusion.Plan: a device's own objects,
freed by refcount (a buffer's `__del__` returns its memory and decrements `_live`).
"""

from __future__ import annotations

import abc
import weakref
from collections import Counter

import numpy as np

from jaxlite._src import core, dispatch
from jaxlite._src.backends import cpu
from jaxlite._src.kernel import complex as kcomplex
from jaxlite._src.kernel import fusion, ir, lower


# Primitives whose output, for an input holding one value everywhere, holds that value everywhere.
_SPLAT_PRESERVING = frozenset({"broadcast_in_dim", "reshape", "squeeze", "expand_dims", "transpose", "rev",
                               "slice", "copy", "copy_p"})


# Constants up to this size stay lazy when broadcast; bigger ones are allocated when made, as
# every other array (jnp.zeros of 8 GiB raises its MemoryError at once).
LAZY_BYTES = 1 << 16


class LazyConst:
    """A buffer of n copies of one value that is not on the device yet: what `put` gives for a
    0-d value (a Python scalar in `a + 1`), and what broadcasting or converting one gives. Eager
    kernels take its value as a launch parameter (KernelDevice.const_type), so most never
    reach device memory; anything else that needs the memory materialises it once
    (`buffer()`). A device subclasses it to look like its own buffers. It counts as one live
    buffer (its materialised buffer takes over that count)."""
    __slots__ = ("device", "value", "n", "arg", "_buf")

    def __init__(self, device, value: np.ndarray, n: int):
        self.device = device
        self.value = value  # 0-d, of the buffer's dtype
        self.n = n
        self.arg = device.scalar_arg(value)  # the launch parameter, or None where it cannot be one
        self._buf = None
        device._live += 1

    def __del__(self):
        if self._buf is None:
            self.device._live -= 1

    @property
    def nbytes(self) -> int:
        return self.n * self.value.dtype.itemsize

    def buffer(self):
        if self._buf is None:
            buf = self.device.put_dense(np.full(self.n, self.value))
            if self._buf is None:  # (another thread may have been first: its buffer stays)
                self._buf = buf
                self.device._live -= 1
        return self._buf

    def host(self, aval) -> np.ndarray:
        if self._buf is not None:
            return self.device.get(self._buf, aval)
        return np.full(self.n, self.value).view(aval.dtype).reshape(aval.shape)


class KernelDevice(abc.ABC):
    platform = device_kind = "?"
    math_ops: frozenset = frozenset()  # the math table's ops this device expands (kernel/math.py:ops)
    # Whole-primitive routines for primitives that no fused kernel expresses (factorisations,
    # FFT): primitive name -> rule(device, bufs, in_avals, params, out_avals) returning the output
    # buffers, or None for signatures it does not handle (those go to the host). Each subclass
    # holds its own table.
    prim_routines: dict = {}
    # The device's LazyConst class, when kernels take scalar launch parameters (ir.Param): eager
    # operations with a Python scalar then launch one kernel per signature, the value passed
    # along, and never upload it. None: scalars are ordinary buffers.
    const_type: type | None = None
    param_limit = 1 << 62  # outputs from which a kernel rather reads materialised constants (threads)
    complex_kernels = False  # kernels read and write complex buffers as interleaved float pairs (kernel/complex.py)

    def __init__(self, id: int = 0):
        self.id = id
        self._live = 0
        self._kernels: dict = {}     # Kernel (or routine key) -> compiled
        self._prim_cache: dict = {}  # (prim, params, in types) -> (compiled, n, dtype) or None (host)
        self._plans = weakref.WeakKeyDictionary()  # ClosedJaxpr -> Plan
        self.host_fallbacks: Counter = Counter()  # primitive name -> runs on the host (numpy)
        self.compiles = 0  # kernels and routines compiled so far (cache misses of compile_cached)
        self.buffers_made = 0  # device buffers allocated so far (freed ones included)

    def __repr__(self):
        return f"{type(self).__name__}(id={self.id})"

    def live_buffers(self) -> int:
        return self._live

    # -- what a subclass provides ----------------------------------------------------------------

    @abc.abstractmethod
    def supports_dtype(self, dtype) -> bool:
        """Whether the renderer has kernels for this dtype (others run on the host)."""

    @abc.abstractmethod
    def put(self, value: np.ndarray):
        """A new device buffer holding a copy of the host array `value` (from host to device)."""

    @abc.abstractmethod
    def get(self, buf, aval) -> np.ndarray:
        """The buffer's values as a host array of aval's shape and dtype (device to host; may wait
        for pending work)."""

    @abc.abstractmethod
    def compile(self, kernel: ir.Kernel):
        """The kernel rendered and compiled for this device (cached per kernel: `compile_cached`);
        the result is opaque here and goes back to `launch*`."""

    @abc.abstractmethod
    def launch(self, kern, bufs, n: int, dtype, params=()):
        """Run a compiled one-output kernel over n positions; returns a new buffer of n elements.
        `params`: the values of the kernel's scalar parameters (only where `const_type` is set)."""

    @abc.abstractmethod
    def launch_many(self, kern, bufs, n: int, dtypes) -> list:
        """Run a compiled kernel with len(dtypes) outputs over n positions; returns new buffers."""

    @abc.abstractmethod
    def launch_scatter(self, kern, bufs, base, n: int, dtype, inplace: bool = False):
        """Run a compiled scatter kernel (ir.Scatter) over n updates into a copy of `base`, or into
        `base` itself when `inplace` (the plan owns it and nothing reads it later)."""

    @abc.abstractmethod
    def matmul(self, batch: int, m: int, n: int, k: int):
        """A compiled float32 routine computing [batch, m, k] @ [batch, k, n] (opaque; for
        `launch_routine`)."""

    @abc.abstractmethod
    def launch_routine(self, routine, bufs, nbytes: int):
        """Run a routine from `matmul` on its two operand buffers; returns a new buffer of nbytes."""

    # -- optional refinements ------------------------------------------------------------------------

    def scalar_arg(self, value: np.ndarray):
        """The launch parameter that passes this 0-d value to a kernel's ir.Param, or None."""
        return None

    def param_converter(self, dtype):
        """f(Python scalar of a value in range for dtype) -> the launch parameter for it (as
        scalar_arg of the value converted to dtype), for eager ops that pass scalars directly."""
        dtype, arg = np.dtype(dtype), self.scalar_arg
        return lambda v: arg(np.asarray(v, dtype))

    def launcher(self, kern, n: int, dtype):
        """run(bufs, params=()) -> [output buffer]: the compiled one-output kernel launched over n
        positions, what eager dispatch calls on every op of its signature (a device may prepare
        it once)."""
        launch = self.launch

        def run(bufs, params=()):
            return [launch(kern, bufs, n, dtype, params)]
        # list-free forms for callers that know the arity (eager operators, jit's cached calls)
        run.pair = lambda a, b: launch(kern, [a, b], n, dtype, ())
        run.one = lambda a: launch(kern, [a], n, dtype, ())
        run.one_param = lambda a, p: launch(kern, [a], n, dtype, (p,))
        return run

    def put_dense(self, value: np.ndarray):
        """A device buffer holding `value` (put may return a LazyConst for 0-d values)."""
        return self.put(value)

    def prim_ok(self, prim, in_avals, out_avals) -> bool:
        """Backend-specific exclusions beyond dtypes and math ops."""
        return True

    def matmul_ok(self) -> bool:
        return True

    stages = True  # whether staged lowerings (scans, sorts as kernel sequences) run here

    def can_stage(self, prim, in_avals, out_avals) -> bool:
        if not self.stages:
            return False
        if not all(self.supports_dtype(a.dtype) for a in (*in_avals, *out_avals)):
            return self.complex_kernels and kcomplex.can_stage(self, prim, in_avals, out_avals)
        return True

    def can_scatter(self, prim, in_avals, out_avals) -> bool:
        if not all(self.supports_dtype(a.dtype) for a in (*in_avals, *out_avals)):
            return self.complex_kernels and kcomplex.can_scatter(self, prim, in_avals, out_avals)
        return in_avals[1].dtype.itemsize <= 4

    # -- capability --------------------------------------------------------------------------------

    def can_lower(self, prim, in_avals, out_avals) -> bool:
        if prim not in lower.lowerings or len(out_avals) != 1:
            return False
        if not all(self.supports_dtype(a.dtype) for a in (*in_avals, *out_avals)):
            return self.complex_kernels and kcomplex.can_lower(self, prim, in_avals, out_avals)
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
            self.compiles += 1
        return fn

    def executor(self, prim, in_avals, params, out_avals):
        """A prepared runner for one primitive signature (eager dispatch caches it)."""
        if fusion.needs_plan(self, prim, in_avals, out_avals, params):
            plan = self._single_eqn_plan(prim, in_avals, params, out_avals)
            return lambda bufs: plan.execute(list(bufs))
        if prim.name == "reshape" and params.get("dimensions") is None or (
                prim.name == "broadcast_in_dim" and len(in_avals) == 1 and in_avals[0].size == out_avals[0].size):
            return lambda bufs: [bufs[0]]  # the same bytes in the same order (only unit axes added): share
        entry = self._build_prim(prim, in_avals, params, out_avals)
        if entry is None:
            run = lambda bufs: self._host(prim, bufs, in_avals, params, out_avals)  # noqa: E731
        else:
            run = self.launcher(*entry)
        const = self.const_type
        if const is None or len(out_avals) != 1:
            return run
        return self._const_executor(prim, in_avals, params, out_avals, run, entry is not None)

    def _const_executor(self, prim, in_avals, params, out_avals, run, lowered):
        """`run` for buffers, and for inputs that are LazyConsts: splat-preserving primitives and
        conversions of constants give constants (nothing runs); a kernel gets their values as
        launch parameters (one variant per set of constant inputs, compiled once)."""
        const, out = self.const_type, out_avals[0]
        n, dtype = out.size, np.dtype(out.dtype)
        variants: dict = {}
        fold = None
        if n * dtype.itemsize > LAZY_BYTES:
            pass  # a big constant is made as before (allocated now: out of memory shows here)
        elif prim.name in _SPLAT_PRESERVING and len(in_avals) == 1:
            fold = lambda c: const(self, c.value, n)  # noqa: E731
        elif prim.name == "convert_element_type" and len(in_avals) == 1:
            kernel, scalar = cpu.kernels[prim], core.ShapedArray((), dtype, out.weak_type)

            def fold(c):
                with np.errstate(all="ignore"):
                    v = cpu._as_dtype(np.asarray(kernel(c.value, **params)), scalar)
                return const(self, np.asarray(v, dtype), n)
        use_params = lowered and n < self.param_limit

        def run_consts(bufs):
            for b in bufs:
                if type(b) is const:
                    break
            else:
                return run(bufs)
            if fold is not None:
                return [fold(bufs[0])]
            if not use_params:
                return run(bufs)
            mask = tuple(type(b) is const and b.arg is not None for b in bufs)
            args = [b.arg for b, m in zip(bufs, mask) if m]
            return with_params(mask)([b for b, m in zip(bufs, mask) if not m], args)

        def with_params(mask):
            """run(buffers, scalar arguments) for the variant whose inputs flagged in mask are
            launch parameters; None where constants do not become parameters."""
            if fold is not None or not use_params:
                return None
            launch = variants.get(mask)
            if launch is None:
                launch = variants[mask] = self.launcher(*self._build_prim(prim, in_avals, params, out_avals, mask))
            return launch
        run_consts.with_params = with_params
        # The launcher's list-free forms (see WasmDevice.launcher), behind the same constant check.
        inner_pair, inner_one = getattr(run, "pair", None), getattr(run, "one", None)
        if inner_pair is not None:
            def pair(a, b):
                if type(a) is const or type(b) is const:
                    return run_consts([a, b])[0]
                return inner_pair(a, b)
            run_consts.pair = pair
        if inner_one is not None:
            def one(a):
                if type(a) is const:
                    return run_consts([a])[0]
                return inner_one(a)
            run_consts.one = one
        return run_consts

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

    def _build_prim(self, prim, in_avals, params, out_avals, scalars=()):
        """The primitive as one kernel; inputs flagged in `scalars` become ir.Params (one value
        for every element, passed at launch) instead of loads."""
        if not self.can_lower(prim, in_avals, out_avals):
            return None
        vals, loads, kinds = [], [], []
        for k, a in enumerate(in_avals):
            if k < len(scalars) and scalars[k]:
                p = ir.Param(np.dtype(a.dtype), len(kinds))
                kinds.append(np.dtype(a.dtype))
                vals.append(lower.Val(tuple(a.shape), np.dtype(a.dtype), lambda i, p=p: p, True))
            else:
                vals.append(lower.leaf(len(loads), a.shape, a.dtype))
                loads.append(a.dtype)
        out = lower.lowerings[prim](out_avals[0], *vals, **params)
        exprs, scale = kcomplex.realify((out.at(ir.Index(ir.I32)),))
        exprs, _ = fusion.canonical(exprs, loads=False)
        kernel = ir.Kernel(prim.name, tuple(map(kcomplex.buffer_dtype, loads)), exprs, params=tuple(kinds))
        return self.compile(kernel), out_avals[0].size * scale, kcomplex.buffer_dtype(out_avals[0].dtype)

    def _host(self, prim, bufs, in_avals, params, out_avals):
        """No kernel: a routine of this device's if it has one, else compute with the numpy
        reference (counted) and store the result."""
        rule = self.prim_routines.get(prim.name)
        if rule is not None:
            outs = rule(self, list(bufs), in_avals, params, out_avals)
            if outs is not None:
                return outs
        self.host_fallbacks[prim.name] += 1
        args = [self.get(b, a) for b, a in zip(bufs, in_avals)]
        outs = cpu.kernels[prim](*args, **params)
        if not prim.multiple_results:
            outs = [outs]
        return [self.put(cpu._as_dtype(o, a)) for o, a in zip(outs, out_avals)]

    # -- jit ---------------------------------------------------------------------------------------

    def plan_for(self, closed: core.ClosedJaxpr):
        """run(argument buffers) -> output buffers: what run_jaxpr does for this jaxpr, prepared
        for jit's cached calls (the constants placed here once)."""
        plan = self._plans.get(closed)
        if plan is None:
            plan = self._plans[closed] = fusion.Plan(self, closed)
        if not closed.consts:
            return plan.runner()
        consts = [dispatch.to_buffer(c, self, a) for c, a in zip(closed.consts, closed.jaxpr.in_avals)]
        return lambda bufs: plan.execute(consts + bufs)

    def run_jaxpr(self, closed: core.ClosedJaxpr, args):
        """Run a jitted jaxpr as one fused plan (jit's `pjit` hands compiling devices the whole
        jaxpr): Arrays in, Arrays on this device out."""
        from jaxlite._src.array import ArrayImpl  # array sits above the devices: imported when first run
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
