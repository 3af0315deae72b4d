"""The `wasm` device: arrays live in one WebAssembly memory; primitives run as rendered kernels.

Eager ops run single-op kernels, jit runs fused plans (kernel/fusion.py); both come from
KernelDevice. This module holds what is WebAssembly's own: buffers as (pointer, size) in the
runtime's memory, kernels assembled from WAT and called with pointers, the SIMD matmul routine.
Primitives without a lowering run on the host with numpy (read, compute, write back).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from jaxlite._src.backends.kernel_device import KernelDevice, LazyConst, renderable
from jaxlite._src.backends.wasm import routines
from jaxlite._src.backends.wasm.assembler import assemble
from jaxlite._src.backends.wasm.render import _code, render
from jaxlite._src.backends.wasm.runtime import Runtime
from jaxlite._src.kernel import ir, lower
from jaxlite._src.kernel import math as kmath
from jaxlite._src.lax import lax


class WasmBuffer:
    __slots__ = ("ptr", "nbytes", "device")

    # An eager op makes one and drops one: every call here counts (a few hundred nanoseconds
    # each in Pyodide).
    def __init__(self, device, nbytes: int):
        self.ptr = None
        self.device = device
        self.nbytes = nbytes
        # (an error leaves ptr None: nothing to free)
        self.ptr = device.runtime.alloc(nbytes)
        device._live += 1
        device.buffers_made += 1

    def __del__(self):
        ptr = self.ptr
        if ptr is not None:
            device = self.device
            try:
                device.runtime.free(ptr, self.nbytes)
            except Exception:  # at interpreter exit the runtime may be half gone; so is the memory
                return
            device._live -= 1


class WasmConst(LazyConst):
    """A constant not in wasm memory yet (LazyConst); `ptr` puts it there on first use."""
    __slots__ = ()
    ptr = property(lambda self: self.buffer().ptr)


PARALLEL_WORK = 1 << 17  # element-operations from which a kernel is worth splitting across threads


class WasmKernel:
    """A compiled kernel: fn(in_ptrs..., out_ptrs..., scalar params..., start, end) and the work per
    output position (1 plus the trip counts of its loops), for deciding whether threads pay."""
    __slots__ = ("fn", "weight", "parallel")

    def __init__(self, fn, weight: int, parallel: bool):
        self.fn, self.weight, self.parallel = fn, weight, parallel


def _ranges(n: int, parts: int, align: int = 16) -> list[tuple[int, int]]:
    chunk = -(-n // (parts * align)) * align
    return [(lo, min(lo + chunk, n)) for lo in range(0, n, chunk)]


class WasmDevice(KernelDevice):
    platform = device_kind = "wasm"
    math_ops = kmath.ops(float64=True)
    stages = False  # numpy's sequential scans and sorts beat kernel networks on one core
    prim_routines: dict = {}  # filled by the modules that define routines (see KernelDevice)
    const_type = WasmConst
    complex_kernels = True

    def __init__(self, runtime: Runtime, id: int = 0):
        super().__init__(id)
        self.runtime = runtime
        # Kernels with scalar parameters run on one thread (the workers' argument block holds
        # i32s): big outputs read the materialised constant instead and may use threads.
        self.param_limit = PARALLEL_WORK if runtime.threads > 1 else 1 << 62

    def supports_dtype(self, dtype) -> bool:
        return renderable(_code, dtype)

    def prim_ok(self, prim, in_avals, out_avals) -> bool:
        if prim is lax.rem_p and in_avals[0].dtype.kind == "f":
            return False  # fmod needs an exact routine
        # float32-grade expansions: float64 keeps numpy's full precision on the host
        op = lower.math_ops.get(prim)
        return op is None or kmath.TABLE[op].f64_accurate or in_avals[0].dtype == np.float32

    # -- data movement ---------------------------------------------------------------------------

    def put(self, value: np.ndarray) -> WasmBuffer | WasmConst:
        value = np.asarray(value)
        if value.ndim == 0:  # written only if a kernel reads it from memory (LazyConst)
            return WasmConst(self, value.copy(), 1)
        return self.put_dense(value)

    def put_dense(self, value: np.ndarray) -> WasmBuffer:
        value = np.asarray(value)
        with self.runtime.lock:
            buf = WasmBuffer(self, value.nbytes)
            if value.nbytes:
                self.runtime.write(buf.ptr, value)
        return buf

    def get(self, buf: WasmBuffer | WasmConst, aval) -> np.ndarray:
        if type(buf) is WasmConst:
            return buf.host(aval)
        with self.runtime.lock:
            raw = self.runtime.read(buf.ptr, buf.nbytes) if buf.nbytes else np.empty(0, np.uint8)
        return raw.view(aval.dtype).reshape(aval.shape)

    def read_scalar(self, buf: WasmBuffer | WasmConst, dtype):
        """One element as a Python scalar read from linear memory (float(x), x.item()), or None
        for dtypes the runtime does not read this way."""
        if type(buf) is WasmConst:
            return buf.value.item() if buf._buf is None else self.read_scalar(buf._buf, dtype)
        rt = self.runtime
        if not rt.locking:
            return rt.read_scalar(buf.ptr, dtype)
        with rt.lock:
            return rt.read_scalar(buf.ptr, dtype)

    # -- kernels ---------------------------------------------------------------------------------

    def compile(self, kernel: ir.Kernel) -> WasmKernel:
        """The kernel assembled (math ops expanded to polynomials) and instantiated."""
        with self.runtime.lock:
            return self.compile_cached(kernel, lambda: self._compile(kernel))

    def _compile(self, kernel: ir.Kernel) -> WasmKernel:
        expanded = dataclasses.replace(kernel, outs=kmath.expand(kernel.outs))
        fn = self.runtime.instantiate(assemble(render(expanded, shared=self.runtime.shared)))
        weight = 1 + sum(e.size for e in ir.nodes(kernel.outs) if isinstance(e, ir.Reduce))
        parallel = (self.runtime.threads > 1 and kernel.scatter is None and not kernel.params
                    and len(kernel.in_dtypes) + len(kernel.outs) <= 12)
        return WasmKernel(fn, weight, parallel)

    def _run(self, k: WasmKernel, args, n: int) -> None:
        with self.runtime.lock:
            self._run_locked(k, args, n)

    def _run_locked(self, k: WasmKernel, args, n: int) -> None:
        if k.parallel and n >= 64 and n * k.weight >= PARALLEL_WORK:
            self.runtime.run_parallel(k.fn, [(*args, lo, hi) for lo, hi in _ranges(n, self.runtime.threads)])
        else:
            k.fn(*args, 0, n)

    def launcher(self, k, n, dtype):
        """The eager op's launch prepared once: one lock, the export called directly."""
        if not n or k.parallel and n >= 64 and n * k.weight >= PARALLEL_WORK:
            return super().launcher(k, n, dtype)
        fn, lock, nbytes, dev = k.fn, self.runtime.lock, n * dtype.itemsize, self

        def run(bufs, params=()):
            with lock:
                out = WasmBuffer(dev, nbytes)
                fn(*[b.ptr for b in bufs], out.ptr, *params, 0, n)
            return [out]

        if self.runtime.locking:
            return run

        # Without threads: no lock, and buffers in, buffer out for callers that know the arity
        # (eager operators, jit's cached calls): no argument or result lists.
        def pair(a, b):
            out = WasmBuffer(dev, nbytes)
            fn(a.ptr, b.ptr, out.ptr, 0, n)
            return out

        def one(a):
            out = WasmBuffer(dev, nbytes)
            fn(a.ptr, out.ptr, 0, n)
            return out

        def one_param(a, p):
            out = WasmBuffer(dev, nbytes)
            fn(a.ptr, out.ptr, p, 0, n)
            return out

        def run_unlocked(bufs, params=()):
            if not params:
                if len(bufs) == 2:
                    return [pair(*bufs)]
                if len(bufs) == 1:
                    return [one(bufs[0])]
            elif len(bufs) == 1 and len(params) == 1:
                return [one_param(bufs[0], params[0])]
            out = WasmBuffer(dev, nbytes)
            fn(*[b.ptr for b in bufs], out.ptr, *params, 0, n)
            return [out]
        run_unlocked.pair, run_unlocked.one, run_unlocked.one_param = pair, one, one_param
        return run_unlocked

    def launch(self, k, bufs, n, dtype, params=()):
        out = WasmBuffer(self, n * dtype.itemsize)
        if not n:
            return out
        if k.parallel and n >= 64 and n * k.weight >= PARALLEL_WORK:
            self._run(k, [*[b.ptr for b in bufs], out.ptr, *params], n)
        elif self.runtime.locking:
            with self.runtime.lock:
                k.fn(*[b.ptr for b in bufs], out.ptr, *params, 0, n)
        else:
            k.fn(*[b.ptr for b in bufs], out.ptr, *params, 0, n)
        return out

    def scalar_arg(self, value: np.ndarray):
        """A value as the kernel argument of its wasm type: a float, or an int holding an i32's bits
        (64-bit integers would need BigInts in the browser: they stay in memory)."""
        dt = value.dtype
        if dt.kind == "f" and dt.itemsize in (4, 8):
            return float(value)
        if dt.kind in "iub" and dt.itemsize <= 4:
            return int(value.astype(np.int32)) if dt == np.uint32 else int(value)
        return None

    def param_converter(self, dtype):
        """wasm parameters are the values themselves: floats (the engine rounds an f32 parameter
        as numpy rounds to float32) and int32s; other dtypes go through scalar_arg."""
        dtype = np.dtype(dtype)
        if dtype.kind == "f" and dtype.itemsize in (4, 8):
            return float
        if dtype == np.int32:
            return int
        return super().param_converter(dtype)

    def launch_many(self, k, bufs, n, dtypes):
        outs = [WasmBuffer(self, n * dt.itemsize) for dt in dtypes]
        if n:
            self._run(k, [*[b.ptr for b in bufs], *[o.ptr for o in outs]], n)
        return outs

    def launch_scatter(self, fn, bufs, base, n, dtype, inplace=False):
        """The scatter kernel over n updates, applied in order, into a copy of base (or into base
        itself when the plan owns it and nothing reads it later)."""
        with self.runtime.lock:
            if inplace:
                out = base
            else:
                copy = self.compile(ir.Kernel("copy", (dtype,), (ir.Load(dtype, 0, ir.Index(ir.I32)),)))
                out = self.launch(copy, [base], base.nbytes // dtype.itemsize, dtype)
            if n:  # updates in order, one thread: repeated indices combine exactly
                fn.fn(*[b.ptr for b in bufs], out.ptr, out.ptr, 0, n)
        return out

    def matmul(self, batch, m, n, k):
        fma, shared = self.runtime.relaxed_simd, self.runtime.shared
        with self.runtime.lock:
            fn = self.compile_cached(("matmul_f32", batch, m, n, k, fma, shared), lambda: self.runtime.instantiate(
                assemble(routines.matmul_f32(batch, m, n, k, fma, shared))))
        return fn, 32 * max(k, 1), m  # the routine's scratch: one packed strip of B

    def launch_routine(self, routine, bufs, nbytes):
        """The matmul over row ranges, one per thread when the product is big enough, each with a
        scratch panel of its own."""
        with self.runtime.lock:
            return self._launch_routine(routine, bufs, nbytes)

    def _launch_routine(self, routine, bufs, nbytes):
        fn, scratch_nbytes, m = routine
        out = WasmBuffer(self, nbytes)
        if not m:  # no rows: nothing to compute
            return out
        ptrs = [b.ptr for b in bufs]
        work = nbytes // 4 * (scratch_nbytes // 32)  # outputs x k
        parts = self.runtime.threads if work >= 8 * PARALLEL_WORK and m >= 2 * routines.MR else 1
        rows = _ranges(m, parts, routines.MR)
        scratch = [WasmBuffer(self, scratch_nbytes) for _ in rows]
        calls = [(*ptrs, out.ptr, s.ptr, lo, hi) for s, (lo, hi) in zip(scratch, rows)]
        if len(calls) > 1:
            self.runtime.run_parallel(fn, calls)
        else:
            fn(*calls[0])
        return out
