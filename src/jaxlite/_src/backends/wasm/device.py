"""The `wasm` device: arrays live in one WebAssembly memory; primitives run as rendered kernels.

Eager ops run single-op kernels, jit runs fused plans (kernel/fusion.py); both come from
KernelDevice. This module holds what is WebAssembly's own: buffers as (pointer, size) in the
runtime's memory, kernels assembled from WAT and called with pointers, the SIMD matmul routine.
Primitives without a lowering run on the host with numpy (read, compute, write back).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from jaxlite._src.backends.kernel_device import KernelDevice, renderable
from jaxlite._src.backends.wasm import routines
from jaxlite._src.backends.wasm.assembler import assemble
from jaxlite._src.backends.wasm.render import _code, render
from jaxlite._src.backends.wasm.runtime import Runtime
from jaxlite._src.kernel import ir
from jaxlite._src.kernel import math as kmath
from jaxlite._src.lax import lax


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


class WasmDevice(KernelDevice):
    platform = device_kind = "wasm"
    math_ops = frozenset(kmath.EXPANSIONS)
    stages = False  # numpy's sequential scans and sorts beat kernel networks on one core

    def __init__(self, runtime: Runtime, id: int = 0):
        super().__init__(id)
        self.runtime = runtime

    def supports_dtype(self, dtype) -> bool:
        return renderable(_code, dtype)

    def prim_ok(self, prim, in_avals, out_avals) -> bool:
        return not (prim is lax.rem_p and in_avals[0].dtype.kind == "f")  # fmod needs an exact routine

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
        """The kernel as a callable kernel(in_ptrs..., out_ptr, n); math ops expand to polynomials."""
        return self.compile_cached(kernel, lambda: self.runtime.instantiate(
            assemble(render(dataclasses.replace(kernel, outs=kmath.expand(kernel.outs))))))

    def launch(self, fn, bufs, n, dtype):
        out = WasmBuffer(self, n * dtype.itemsize)
        if n:
            fn(*[b.ptr for b in bufs], out.ptr, n)
        return out

    def launch_many(self, fn, bufs, n, dtypes):
        outs = [WasmBuffer(self, n * dt.itemsize) for dt in dtypes]
        if n:
            fn(*[b.ptr for b in bufs], *[o.ptr for o in outs], n)
        return outs

    def launch_scatter(self, fn, bufs, base, n, dtype, inplace=False):
        """The scatter kernel over n updates, applied in order, into a copy of base (or into base
        itself when the plan owns it and nothing reads it later)."""
        if inplace:
            out = base
        else:
            copy = self.compile(ir.Kernel("copy", (dtype,), (ir.Load(dtype, 0, ir.Index(ir.I32)),)))
            out = self.launch(copy, [base], base.nbytes // dtype.itemsize, dtype)
        if n:
            fn(*[b.ptr for b in bufs], out.ptr, out.ptr, n)
        return out

    def matmul(self, batch, m, n, k):
        fma = self.runtime.relaxed_simd
        fn = self.compile_cached(("matmul_f32", batch, m, n, k, fma), lambda: self.runtime.instantiate(
            assemble(routines.matmul_f32(batch, m, n, k, fma))))
        return fn, 32 * max(k, 1)  # the routine's scratch: one packed strip of B

    def launch_routine(self, routine, bufs, nbytes):
        fn, scratch_nbytes = routine
        out = WasmBuffer(self, nbytes)
        scratch = WasmBuffer(self, scratch_nbytes)
        fn(*[b.ptr for b in bufs], out.ptr, scratch.ptr)
        return out
