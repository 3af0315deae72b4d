"""The `webgpu` device: arrays live in GPU buffers; primitives run as WGSL compute shaders.

Eager dispatch and jit plans come from KernelDevice (as for wasm). What is WebGPU's own:
- every element is stored as a 32-bit word (bool and 8/16-bit integers widened; WGSL has no
  narrower storage), converted on the way in and out; float16 is stored as float32 and computed
  in float32 registers, rounded after every operation; 64-bit dtypes raise (WGSL has no float64);
- a compiled kernel chooses its launch shape per call: one invocation per output, or one
  workgroup per output (and per chunk, with a second pass) for reductions (render.py);
- kernels with more inputs than the adapter binds get them packed into one buffer by copies.
"""

from __future__ import annotations

import struct

import numpy as np

from jaxlite._src.backends.kernel_device import KernelDevice, LazyConst, renderable
from jaxlite._src.backends.webgpu import render, routines
from jaxlite._src.backends.webgpu.runtime import WebGPURuntime, run_blocking
import dataclasses

from jaxlite._src.kernel import ir, legalize
from jaxlite._src.kernel import math as kmath

_F32, _U32 = struct.Struct("<f"), struct.Struct("<I")

_STORAGE = {"b1": np.uint32, "i1": np.int32, "i2": np.int32, "u1": np.uint32, "u2": np.uint32,
            "f4": np.float32, "i4": np.int32, "u4": np.uint32, "f2": np.float32,
            "c8": np.complex64}  # complex64: two float32 words (re, im), numpy's layout (the FFT routine's)


_storage_of: dict = {}  # dtype -> its storage dtype (eager ops ask for every scalar)


def storage_dtype(dtype) -> np.dtype:
    st = _storage_of.get(dtype)
    if st is None:
        st = _storage_of[dtype] = _storage_dtype(dtype)
    return st


def _storage_dtype(dtype) -> np.dtype:
    dt = np.dtype(dtype)
    st = _STORAGE.get(ir.dtype_code(dt))
    if st is None:
        raise TypeError(f"The webgpu device cannot hold {dt.name} arrays: WGSL has no {dt.name}. Keep them on "
                        f"the wasm or cpu device (jax.device_put(x, jax.devices('wasm')[0]))"
                        + (" or turn jax_enable_x64 off." if dt.itemsize == 8 else "."))
    return np.dtype(st)


class WebGPUBuffer:
    __slots__ = ("id", "cap", "nbytes", "device", "host")

    def __init__(self, device, nbytes: int, for_kernel: bool = True):
        self.id = None
        self.device = device
        self.nbytes = nbytes
        self.host = None  # the values, once read back (buffers are never written twice)
        self.id, self.cap = device.runtime.alloc(nbytes, for_kernel)
        device._live += 1
        device.buffers_made += 1

    def __del__(self):
        if self.id is not None:
            self.device.runtime.free(self.id, self.cap)
            self.device._live -= 1


class WebGPUConst(LazyConst):
    """A constant not on the GPU yet (LazyConst): eager kernels get its value as a word of the
    launch's uniform; anything that binds it as a buffer uploads it once (`id`)."""
    __slots__ = ()
    id = property(lambda self: self.buffer().id)
    nbytes = property(lambda self: self.n * storage_dtype(self.value.dtype).itemsize)  # as its WebGPUBuffer


# Launch policy (GPUKernel.strategy). A kernel without a reduction runs one invocation per output
# ("map"), or per four outputs with vec4 memory access ("map4") where its inputs are read at the
# output position. A reduction runs as a loop inside one invocation per output ("map") when that
# keeps the GPU busy, else as one workgroup per output ("wg"), split into chunks per output (and a
# second pass over the partials) when there are few outputs over a long axis. The thresholds:
SHORT_AXIS = 64        # shorter reductions loop inside the invocation: a workgroup's tree costs more
MANY_OUTPUTS = 2048    # this many invocations fill the GPU with a loop per output ...
MAP_AXIS = 128         # ... when the loop is short, or its loads are strided anyway (neighbouring
#                        invocations then read neighbouring elements; a workgroup would not)
FEW_OUTPUTS = 1024     # fewer outputs than this and ...
LONG_AXIS = 16384      # ... a longer axis: split each output's reduction into chunks
WG_CHUNK = 8192        # elements per chunk at least (a workgroup's 256 invocations read 32 each) ...
TARGET_GROUPS = 4096   # ... and about this many workgroups in all, enough for every SM of a big GPU
# Software adapters (SwiftShader, llvmpipe) run invocations on a few CPU cores and pay dearly for
# workgroup barriers: reductions loop per invocation, in chunks when there are few outputs.
CPU_PARALLEL = 256     # invocations that keep a CPU adapter's threads busy
CPU_MIN_CHUNK = 1024   # elements per chunk at least: shorter chunks cost more in the second pass


def expand_math(kernel: ir.Kernel) -> ir.Kernel:
    """The kernel with its math ops replaced by the math table's float32 expansions."""
    if kernel.scatter is None:
        return dataclasses.replace(kernel, outs=kmath.expand(kernel.outs, float64=False))
    *outs, index = kmath.expand((*kernel.outs, kernel.scatter.index), float64=False)
    return dataclasses.replace(kernel, outs=tuple(outs), scatter=ir.Scatter(index, kernel.scatter.op))


def _grid(groups: int, limit: int) -> tuple[int, int, int]:
    gx = min(groups, limit)
    return gx, -(-groups // gx), 1


def _index_value(e, env):
    """Evaluate an i32 index expression (no loads) at the given Index/RIndex values; None if it
    reads memory."""
    if isinstance(e, ir.Const):
        return int(e.value)
    if isinstance(e, (ir.Index, ir.RIndex)):
        return env.get(e, 0)
    if isinstance(e, ir.Binary) and e.op in _INT_OPS:
        a, b = _index_value(e.a, env), _index_value(e.b, env)
        return None if a is None or b is None else _INT_OPS[e.op](a, b)
    return None


_INT_OPS = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
            "idiv": lambda a, b: a // b if b else 0, "irem": lambda a, b: a % b if b else 0, "min": min, "max": max}


def _contiguous_in(red: ir.Reduce) -> bool:
    """Whether the loads that move with the reduction's counter step by one element."""
    r = ir.RIndex(ir.I32, red.level)
    moving = [e for e in ir.nodes([red.body]) if isinstance(e, ir.Load) and r in ir.nodes([e.index])]
    for e in moving:
        a, b = _index_value(e.index, {r: 0}), _index_value(e.index, {r: 1})
        if a is None or b is None or b - a != 1:
            return False
    return bool(moving)


class GPUKernel:
    """A kernel and its pipelines, one per launch shape (strategy, split, packing)."""

    def __init__(self, device, kernel: ir.Kernel):
        self.device = device
        # math ops as float32 IR (the math table), then XLA's semantics as raw WGSL operations
        self.kernel = kernel = legalize.kernel(expand_math(kernel))
        self.pipelines: dict = {}
        self._shapes: dict = {}  # (n, policy) -> launch_shape(n)
        self.second_passes: dict[int, GPUKernel] = {}  # split -> the kernel that combines the partials
        outs = kernel.outs
        self.reduce = (outs[0] if len(outs) == 1 and isinstance(outs[0], ir.Reduce) and kernel.scatter is None
                       else None)
        self.contiguous = self.reduce is not None and _contiguous_in(self.reduce)
        self.packed = len(kernel.in_dtypes) + len(outs) > device.runtime.max_storage_buffers
        self.vec_args = None if self.packed or kernel.scatter is not None else render.vector_args(kernel)

    def strategy(self, n: int) -> tuple[str, int]:
        """The launch shape for n outputs: (strategy, split), split = chunks per output (the launch
        policy above)."""
        if self.kernel.scatter is not None:
            return "scatter", 1
        red = self.reduce
        if red is None and self.vec_args is not None:
            return "map4", 1
        if red is None or red.size < SHORT_AXIS:
            return "map", 1
        if self.device.runtime.cpu_adapter:
            if n >= CPU_PARALLEL:
                return "map", 1
            split = min(-(-red.size // CPU_MIN_CHUNK), -(-CPU_PARALLEL // n))
            return ("map", 1) if split == 1 else ("chunks", split)
        if n >= MANY_OUTPUTS and (not self.contiguous or red.size <= MAP_AXIS):
            return "map", 1
        split = 1
        if n < FEW_OUTPUTS and red.size > LONG_AXIS:
            split = min(-(-red.size // WG_CHUNK), max(1, TARGET_GROUPS // n))
        return "wg", split

    def pipeline(self, strategy: str, split: int) -> int:
        subgroups = strategy == "wg" and self.device.use_subgroups
        key = (strategy, split, subgroups)
        pid = self.pipelines.get(key)
        if pid is None:
            k = self.kernel
            if strategy == "scatter":
                if self.packed:
                    raise NotImplementedError(f"a scatter kernel with {len(k.in_dtypes)} inputs")
                wgsl = render.render_scatter(k)
            elif strategy == "map4":
                wgsl = render.render_map4(k, self.vec_args)
            elif strategy == "map":
                wgsl = render.render_map(k, self.packed)
            elif strategy == "chunks":
                wgsl = render.render_chunk_reduce(k, split, self.packed)
            else:
                wgsl = render.render_wg_reduce(k, split, self.packed, subgroups)
            n_in = 1 if self.packed else len(k.in_dtypes)
            label = f"{k.name}:{strategy}" + (f"/{split}" if split > 1 else "")
            n_out = 1 if strategy == "scatter" else len(k.outs)  # a scatter's outs are parts of one buffer
            pid = self.pipelines[key] = self.device.runtime.pipeline(wgsl, n_in, n_out, label)
        return pid

    def launch_shape(self, n: int) -> tuple:
        """(pipeline, grid, leading uniform words, work, split, units) for n outputs: computed once
        per n (and launch policy), since an eager op or a plan step launches the same kernel over the
        same n again."""
        key = (n, self.device.runtime.cpu_adapter, self.device.use_subgroups)
        got = self._shapes.get(key)
        if got is None:
            strategy, split = self.strategy(n)
            if strategy == "map4":  # four outputs per invocation
                count, work = -(-n // 4), n * len(self.kernel.outs)
            elif strategy in ("map", "scatter"):
                count, work = n, n * (self.reduce.size if self.reduce is not None else len(self.kernel.outs))
            else:  # "wg", "chunks": one workgroup or one invocation per (output, chunk)
                count, work = n * split, n * self.reduce.size
            # p.n counts the launch's units (invocations, or workgroups for "wg") and p.stride is the
            # grid row width in those units: a grid dimension holds at most max_groups workgroups.
            per_group = 1 if strategy == "wg" else render.WG
            grid = _grid(-(-count // per_group), self.device.runtime.max_groups)
            if len(self._shapes) >= 64:
                self._shapes.clear()
            got = self._shapes[key] = (self.pipeline(strategy, split), grid, (count, grid[0] * per_group, 0, 0),
                                     work, split, count)
        return got

    def run(self, bufs, outs: list, n: int, params=()) -> None:
        dev, rt = self.device, self.device.runtime
        pid, grid, words, work, split, count = self.launch_shape(n)
        ins = [b.id for b in bufs]
        packed = None
        if self.packed:  # one buffer of 32-bit words; offsets travel in the uniform
            total = sum(b.nbytes for b in bufs)
            packed = WebGPUBuffer(dev, max(total, 4))
            offsets, offset = [], 0
            for b in bufs:
                if b.nbytes:
                    rt.copy(b.id, 0, packed.id, offset, b.nbytes)
                offsets.append(offset // 4)
                offset += b.nbytes
            words = (*words, *offsets, *[0] * (-len(offsets) % 4))
            ins = [packed.id]
        if params:  # words of p.prm, after p.off (the runtime rounds the block up to whole vec4s)
            words = (*words, *params)
        targets = [WebGPUBuffer(dev, count * 4)] if split > 1 else outs
        rt.dispatch(pid, grid, words, [*ins, *(t.id for t in targets)], work)
        if split > 1:
            self.partials(split).run(targets, outs, n)

    def partials(self, split: int) -> "GPUKernel":
        """The second pass of a split reduction: out[i] = op over partials[i * split + c]. Kept
        here, so that a launch does not build and hash a kernel each time."""
        second = self.second_passes.get(split)
        if second is None:
            red = self.reduce
            level = ir.RIndex(ir.I32, red.level)
            idx = ir.binary("add", ir.binary("mul", ir.Index(ir.I32), ir.i32(split)), level)
            kernel = ir.Kernel("partials", (red.dtype,),
                               (ir.Reduce(red.dtype, red.op, ir.Load(red.dtype, 0, idx), split, red.level),))
            second = self.second_passes[split] = self.device.compile(kernel)
        return second


class WebGPUDevice(KernelDevice):
    platform = device_kind = "webgpu"
    math_ops = kmath.ops(float64=False)
    prim_routines: dict = {}  # filled by the modules that define routines (see KernelDevice)
    const_type = WebGPUConst
    complex_kernels = True  # complex64 as float32 pairs (kernel/complex.py); complex128 has no WGSL type

    def __init__(self, runtime: WebGPURuntime, id: int = 0):
        super().__init__(id)
        self.runtime = runtime
        self._tuned: dict = {}  # (batch, m, n, k) -> MatmulConfig measured by autotuning
        # Reductions combine within subgroups where the device has them (tests switch it off to
        # check the workgroup-memory path too).
        self.use_subgroups = "subgroups" in runtime.features

    def __repr__(self):
        return f"WebGPUDevice(id={self.id}, {self.runtime.info.get('description') or self.runtime.info.get('vendor')})"

    def supports_dtype(self, dtype) -> bool:
        return renderable(render.code, dtype)

    def holds(self, dtype, explain: bool = False) -> bool:
        """Whether arrays of this dtype can live here (explain=True raises the reason instead)."""
        if np.dtype(dtype).itemsize <= 4 and np.dtype(dtype).kind in "biuf" or np.dtype(dtype) == np.complex64:
            return True
        if explain:
            storage_dtype(dtype)
        return False

    # -- data movement ---------------------------------------------------------------------------

    def put(self, value) -> WebGPUBuffer | WebGPUConst:
        value = np.asarray(value)
        st = storage_dtype(value.dtype)  # raises for dtypes the GPU cannot hold
        if value.ndim == 0:  # uploaded only if a kernel binds it as a buffer (LazyConst)
            return WebGPUConst(self, value.copy(), 1)
        return self.put_dense(value)

    def put_dense(self, value) -> WebGPUBuffer:
        value = np.asarray(value)
        st = storage_dtype(value.dtype)
        words = value.astype(st, copy=False) if value.dtype != st else value
        buf = WebGPUBuffer(self, words.nbytes, for_kernel=False)
        self.runtime.write(buf.id, words)
        return buf

    def _from_words(self, raw: np.ndarray, aval) -> np.ndarray:
        words = raw.view(storage_dtype(aval.dtype))[:aval.size]
        if aval.dtype == np.bool_:
            return (words != 0).reshape(aval.shape)
        return words.astype(aval.dtype, copy=False).reshape(aval.shape)

    def scalar_arg(self, value: np.ndarray) -> int | None:
        """The value as the uniform word its kernel's ir.Param reads: the bits of its 32-bit
        storage type (float16 as float32, bool and narrow integers widened); None for values of
        two words (complex64), which stay buffers."""
        st = storage_dtype(value.dtype)
        if st.itemsize != 4:
            return None
        return int((value if value.dtype == st else value.astype(st)).view(np.uint32))

    def param_converter(self, dtype):
        """A Python float as its float32 bits and an int32 as its two's-complement word with struct
        and a mask: numpy's scalar conversions cost about a microsecond each in Pyodide, which made
        `a + 1` slower than `a + b` (other dtypes, and floats beyond float32's range, go through
        scalar_arg)."""
        dtype = np.dtype(dtype)
        if dtype == np.float32:
            slow = super().param_converter(dtype)

            def bits(v, pack=_F32.pack, unpack=_U32.unpack):
                try:
                    return unpack(pack(v))[0]
                except OverflowError:  # (numpy rounds it to inf)
                    return slow(v)
            return bits
        if dtype == np.int32:
            return lambda v: v & 0xFFFFFFFF
        return super().param_converter(dtype)

    def get(self, buf: WebGPUBuffer | WebGPUConst, aval) -> np.ndarray:
        if type(buf) is WebGPUConst:
            return buf.host(aval)
        if buf.host is None:
            nbytes = aval.size * storage_dtype(aval.dtype).itemsize
            raw = self.runtime.read_sync(buf.id, nbytes) if aval.size else np.empty(0, np.uint8)
            buf.host = self._from_words(raw, aval)
        return buf.host

    async def get_async(self, buf: WebGPUBuffer | WebGPUConst, aval) -> np.ndarray:
        if type(buf) is WebGPUConst:
            return buf.host(aval)
        if buf.host is None:
            nbytes = aval.size * storage_dtype(aval.dtype).itemsize
            raw = await self.runtime.read(buf.id, nbytes) if aval.size else np.empty(0, np.uint8)
            buf.host = self._from_words(raw, aval)
        return buf.host

    def synchronize(self) -> None:
        """Wait until the GPU has finished everything submitted (through JSPI)."""
        run_blocking(self.runtime.done())

    # -- kernels ---------------------------------------------------------------------------------

    def compile(self, kernel: ir.Kernel) -> GPUKernel:
        return self.compile_cached(kernel, lambda: GPUKernel(self, kernel))

    def launcher(self, kern: GPUKernel, n: int, dtype):
        """The eager op's launch prepared once: its launch shape for n and the dispatch's fixed
        arguments, so that a call makes the output buffer and one JS call (what stays in
        GPUKernel.run is each launch's work: a shape lookup, argument lists, the uniform words)."""
        if not n or kern.packed:
            return super().launcher(kern, n, dtype)
        pid, grid, words, work, split, _ = kern.launch_shape(n)
        if split > 1:
            return super().launcher(kern, n, dtype)
        dev, rt, nbytes = self, self.runtime, n * 4
        plain, with_one = rt.prepared(pid, grid, words, work, 0), rt.prepared(pid, grid, words, work, 1)

        def run(bufs, params=()):
            out = WebGPUBuffer(dev, nbytes)
            if not params:
                plain(*[b.id for b in bufs], out.id)
            elif len(params) == 1:
                with_one(params[0], *[b.id for b in bufs], out.id)
            else:
                rt.prepared(pid, grid, words, work, len(params))(*params, *[b.id for b in bufs], out.id)
            return [out]

        def pair(a, b):
            out = WebGPUBuffer(dev, nbytes)
            plain(a.id, b.id, out.id)
            return out

        def one(a):
            out = WebGPUBuffer(dev, nbytes)
            plain(a.id, out.id)
            return out

        def one_param(a, p):
            out = WebGPUBuffer(dev, nbytes)
            with_one(p, a.id, out.id)
            return out
        run.pair, run.one, run.one_param = pair, one, one_param
        return run

    def launch(self, kern: GPUKernel, bufs, n, dtype, params=()):
        out = WebGPUBuffer(self, n * 4)
        if n:
            kern.run(bufs, [out], n, params)
        return out

    def launch_many(self, kern: GPUKernel, bufs, n, dtypes):
        outs = [WebGPUBuffer(self, n * 4) for _ in dtypes]
        if n:
            kern.run(bufs, outs, n)
        return outs

    def launch_scatter(self, kern: GPUKernel, bufs, base, n, dtype, inplace=False):
        """The scatter kernel over n updates into a copy of base (a GPU copy), or into base itself
        when the plan owns it and nothing reads it later."""
        if inplace:
            out = base
        else:
            out = WebGPUBuffer(self, base.nbytes)
            if base.nbytes:
                self.runtime.copy(base.id, 0, out.id, 0, base.nbytes)
        if n:
            kern.run(bufs, [out], n)
        return out

    def matmul(self, batch, m, n, k):
        cfg = self._matmul_config(batch, m, n, k)
        key = ("matmul_f32", batch, m, n, k, cfg)
        return self.compile_cached(key, lambda: (
            self.runtime.pipeline(routines.matmul_f32(batch, m, n, k, cfg), 2, 1, "matmul"),
            routines.grid(cfg, batch, m, n), batch * m * n * k // 64))

    def _matmul_config(self, batch, m, n, k) -> routines.MatmulConfig:
        from jaxlite._src.config import config
        from jaxlite._src.backends.webgpu.runtime import can_run_sync
        if not config.jaxlite_webgpu_autotune or batch * m * n * k < (1 << 24) or not can_run_sync():
            return routines.choose(batch, m, n, k)
        key = (batch, m, n, k)
        cfg = self._tuned.get(key)
        if cfg is None:
            cfg = self._tuned[key] = self._load_tuned(key) or self._autotune(batch, m, n, k)
        return cfg

    _STORE = "jaxlite-webgpu-matmul"

    def _storage_key(self, key) -> str:
        info = self.runtime.info
        return f"{self._STORE}:{info.get('vendor')}:{info.get('architecture')}:{info.get('description')}:{key}"

    def _load_tuned(self, key):
        """A winner saved by an earlier page (localStorage), if the page has storage."""
        try:
            import js
            saved = js.localStorage.getItem(self._storage_key(key))
        except Exception:
            return None
        return routines.MatmulConfig(*map(int, saved.split(","))) if saved else None

    def _autotune(self, batch, m, n, k) -> routines.MatmulConfig:
        """Time every candidate tile on this adapter (GPU timestamps when the device has them,
        else the wall clock until the queue is done) and keep the fastest."""
        import time
        rt = self.runtime
        rng = np.random.default_rng(0)
        a = self.put(rng.standard_normal(batch * m * k).astype(np.float32))
        b = self.put(rng.standard_normal(batch * k * n).astype(np.float32))
        c = WebGPUBuffer(self, batch * m * n * 4)
        profiled = rt.set_profiling(True)
        times = {}
        for cfg in routines.CANDIDATES:
            pid = rt.pipeline(routines.matmul_f32(batch, m, n, k, cfg), 2, 1, f"tune{cfg}")
            grid = routines.grid(cfg, batch, m, n)
            run_blocking(rt.done())
            if profiled:
                run_blocking(rt.profile())
            t0 = time.perf_counter()
            for _ in range(3):
                rt.dispatch(pid, grid, [0, 0, 0, 0], [a.id, b.id, c.id])
            run_blocking(rt.done())
            wall = time.perf_counter() - t0
            gpu = [s for _, s in run_blocking(rt.profile())] if profiled else []
            times[cfg] = min(gpu) if gpu else wall
        rt.set_profiling(False)
        best = min(times, key=times.get)
        try:
            import js
            js.localStorage.setItem(self._storage_key((batch, m, n, k)),
                                    ",".join(str(v) for v in (best.bm, best.bn, best.bk, best.tm, best.tn)))
        except Exception:
            pass  # no storage here (Node, workers): the in-memory choice stands
        return best

    def launch_routine(self, routine, bufs, nbytes):
        pid, grid, work = routine
        if nbytes and min(b.nbytes for b in bufs) == 0:  # K = 0: the product is all zeros
            return self.put(np.zeros(nbytes // 4, np.float32))
        out = WebGPUBuffer(self, nbytes)
        if nbytes:
            self.runtime.dispatch(pid, grid, [0, 0, 0, 0], [*(b.id for b in bufs), out.id], work)
        return out

async def create_device():
    """Request an adapter and a device (asynchronous in every WebGPU implementation); None where
    there is no WebGPU. Limits are raised to what the adapter offers."""
    import js
    from pyodide.ffi import to_js

    gpu = getattr(getattr(js, "navigator", None), "gpu", None)
    if gpu is None:
        return None
    opts = lambda d: to_js(d, dict_converter=js.Object.fromEntries)  # noqa: E731
    adapter = await gpu.requestAdapter(opts({"powerPreference": "high-performance"}))
    if adapter is None:
        return None
    wanted = ("maxStorageBufferBindingSize", "maxBufferSize", "maxStorageBuffersPerShaderStage",
              "maxComputeWorkgroupStorageSize", "maxComputeInvocationsPerWorkgroup", "maxComputeWorkgroupSizeX")
    limits = {k: getattr(adapter.limits, k) for k in wanted}
    # timestamp-query for profiling, subgroups for reductions
    features = [f for f in ("timestamp-query", "subgroups") if adapter.features.has(f)]
    gpu_device = await adapter.requestDevice(opts({"requiredLimits": limits, "requiredFeatures": features}))
    return WebGPUDevice(WebGPURuntime(gpu_device, adapter))
