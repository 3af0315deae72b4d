"""The WebGPU runtime: one GPUDevice reached through Pyodide's `js` FFI and the helper in
runtime.js (GPU objects stay on the JavaScript side, Python holds their indices).

- Buffers come from a pool of size classes. A buffer freed since the last submit sits in a limbo:
  a kernel may write it (dispatches in one encoder run in order), but `queue.writeBuffer` may not,
  since it runs before every unsubmitted command, one of which may still read the buffer.
- Dispatches are recorded into one command encoder and submitted when a result is read, when
  BATCH dispatches are pending, when the pending work passes WORK_FLUSH (so that the GPU starts on
  big kernels while Python issues the next ones, instead of idling until a read), or on `flush()`.
- A dispatch's uniform words (sizes, packed-input offsets, scalar parameters) go into a slot of
  one ring buffer, bound at a dynamic offset and written once per submit: bind groups name storage
  buffers only (cached), and a new scalar value costs no GPU object.
- Readback is a promise; `read_sync` blocks on it through JSPI (`pyodide.ffi.run_sync`) where the
  engine and the call stack allow, and otherwise raises SyncReadError saying what to do instead.
"""

from __future__ import annotations

import importlib.resources

import numpy as np

BATCH = 128  # dispatches per submit when nothing asks for results sooner
WORK_FLUSH = 1 << 27  # elements touched (or matmul flops / 64) after which pending work is submitted (H200: best of 2^22..2^40)
POOL_LIMIT = 1 << 30  # bytes of idle buffers kept for reuse


class SyncReadError(RuntimeError):
    pass


SYNC_HELP = (
    "Reading a webgpu array synchronously (np.asarray, float, print, block_until_ready) needs JavaScript "
    "Promise Integration: run the Python code with `await pyodide.runPythonAsync(code)` in an engine with "
    "JSPI (Chromium 137+, or Node with --experimental-wasm-stack-switching). Otherwise read asynchronously: "
    "`await x.copy_to_host_async()` before using the value, or `await jaxlite.device_get_async(tree)`.")


class WebGPUError(RuntimeError):
    """An error reported by the GPU (validation, out of memory, device lost)."""


_classes: dict[int, int] = {}


def size_class(nbytes: int) -> int:
    """Buffer capacity for nbytes: four classes per power of two (at most 25% unused), 256-aligned."""
    cap = _classes.get(nbytes)
    if cap is None:
        if len(_classes) > 65536:
            _classes.clear()
        cap = _classes[nbytes] = _size_class(nbytes)
    return cap


def _size_class(nbytes: int) -> int:
    n = max(int(nbytes), 16)
    if n <= 256:
        return 256
    top = 1 << (n - 1).bit_length()
    for cap in (top // 2 + top // 8, top // 2 + top // 4, top // 2 + 3 * top // 8, top):
        if cap >= n:
            return -(-cap // 256) * 256
    return top


def _js_error(e) -> str:
    return str(getattr(e, "message", None) or e)


class WebGPURuntime:
    def __init__(self, gpu_device, adapter):
        import pyodide_js
        from pyodide.code import run_js
        source = importlib.resources.files(__package__).joinpath("runtime.js").read_text()
        self.js = run_js(source)(gpu_device, pyodide_js._module)
        self._dispatch = self.js.dispatch  # (an attribute of a JS object is an FFI lookup per use)
        self.gpu = gpu_device
        limits = gpu_device.limits
        self.max_buffer = int(min(limits.maxStorageBufferBindingSize, limits.maxBufferSize))
        self.max_storage_buffers = int(limits.maxStorageBuffersPerShaderStage)
        self.max_groups = int(limits.maxComputeWorkgroupsPerDimension)
        self.features = sorted(str(f) for f in gpu_device.features)
        info = adapter.info
        self.info = {k: str(getattr(info, k, "") or "") for k in ("vendor", "architecture", "device", "description")}
        # A software adapter (Chromium's and Dawn's SwiftShader, Mesa's llvmpipe) runs shaders on
        # the CPU: launch shapes that suit a GPU (workgroup-wide reductions) are slow there.
        names = " ".join(self.info.values()).lower()
        self.cpu_adapter = bool(getattr(info, "isFallbackAdapter", False)) or any(
            s in names for s in ("swiftshader", "llvmpipe", "lavapipe"))
        self.pool: dict[int, list[int]] = {}
        self.limbo: dict[int, list[int]] = {}
        self.pooled_bytes = 0
        self.pending = 0
        self.pending_work = 0
        self.created = self.destroyed = 0

    # -- memory ------------------------------------------------------------------------------------

    def alloc(self, nbytes: int, for_kernel: bool = False) -> tuple[int, int]:
        """A buffer of at least nbytes: (id, capacity). Kernel outputs may reuse buffers freed
        since the last submit; buffers filled by write() may not."""
        cap = size_class(nbytes)
        if for_kernel:
            free = self.limbo.get(cap)
            if free:
                return free.pop(), cap
        free = self.pool.get(cap)
        if free:
            self.pooled_bytes -= cap
            return free.pop(), cap
        if cap > self.max_buffer:
            from jaxlite._src.core import ResourceExhaustedError
            raise ResourceExhaustedError(nbytes, f"webgpu: the device's largest storage buffer is "
                                                 f"{self.max_buffer} bytes")
        try:
            bid = self.js.createBuffer(cap)
        except Exception as e:  # device lost
            raise WebGPUError(_js_error(e)) from None
        self.created += 1
        return bid, cap

    def free(self, bid: int, cap: int) -> None:
        self.limbo.setdefault(cap, []).append(bid)

    def _recycle(self) -> None:
        for cap, ids in self.limbo.items():
            self.pool.setdefault(cap, []).extend(ids)
            self.pooled_bytes += cap * len(ids)
        self.limbo.clear()
        while self.pooled_bytes > POOL_LIMIT:  # drop the largest idle buffers
            cap = max(c for c, ids in self.pool.items() if ids)
            self.js.destroyBuffer(self.pool[cap].pop())
            self.pooled_bytes -= cap
            self.destroyed += 1

    def trim(self) -> None:
        """Give every idle buffer back to the GPU."""
        self.flush()
        for ids in self.pool.values():
            for bid in ids:
                self.js.destroyBuffer(bid)
                self.destroyed += 1
        self.pool.clear()
        self.pooled_bytes = 0

    # -- commands ----------------------------------------------------------------------------------

    def write(self, bid: int, arr: np.ndarray) -> None:
        arr = np.ascontiguousarray(arr)
        if arr.nbytes:
            self.js.write(bid, 0, arr.__array_interface__["data"][0], arr.nbytes)

    def pipeline(self, wgsl: str, n_in: int, n_out: int, label: str) -> int:
        try:
            pid = self.js.pipeline(wgsl, n_in, n_out, label)
        except Exception as e:
            raise WebGPUError(f"{_js_error(e)}\n--- WGSL ---\n{wgsl}") from None
        if can_run_sync():  # surface compile errors now, with the shader attached
            from pyodide.ffi import run_sync
            msg = run_sync(self.js.pipelineError(pid))
            if msg:
                raise WebGPUError(f"WGSL compilation failed: {msg}\n--- WGSL ---\n{wgsl}")
        return pid

    def dispatch(self, pid: int, grid, uniforms, ids, work: int = 0) -> None:
        try:
            self._dispatch(pid, grid[0], grid[1], grid[2], len(uniforms), *uniforms, *ids)
        except Exception as e:  # a JsException: device lost
            raise WebGPUError(_js_error(e)) from None
        self.pending += 1
        self.pending_work += work
        if self.pending >= BATCH or self.pending_work >= WORK_FLUSH:
            self.flush()

    def prepared(self, pid: int, grid, words, work: int, n_params: int):
        """dispatch(pid, grid, words + params, ids, work) as go(*params, *ids): the arguments that do
        not change between an eager op's launches flattened once."""
        js, head = self._dispatch, (pid, *grid, len(words) + n_params, *words)

        def go(*tail):
            try:
                js(*head, *tail)
            except Exception as e:  # a JsException: device lost
                raise WebGPUError(_js_error(e)) from None
            self.pending += 1
            self.pending_work += work
            if self.pending >= BATCH or self.pending_work >= WORK_FLUSH:
                self.flush()
        return go

    def copy(self, src: int, src_offset: int, dst: int, dst_offset: int, nbytes: int) -> None:
        self.js.copy(src, src_offset, dst, dst_offset, nbytes)

    def flush(self) -> None:
        self.js.flush()
        self.pending = self.pending_work = 0
        self._recycle()

    # -- readback ----------------------------------------------------------------------------------

    async def _submitted(self, promise) -> None:
        """Await a JS call that submitted the pending commands, raising GPU errors as Python ones."""
        self.pending = self.pending_work = 0
        self._recycle()
        try:
            await promise
        except Exception as e:
            raise _classify(_js_error(e)) from None

    async def read(self, bid: int, nbytes: int) -> np.ndarray:
        out = np.empty(max(nbytes, 1), np.uint8)
        await self._submitted(self.js.read(bid, 0, nbytes, out.__array_interface__["data"][0]))
        return out[:nbytes]

    def read_sync(self, bid: int, nbytes: int) -> np.ndarray:
        return run_blocking(self.read(bid, nbytes))

    def set_profiling(self, on: bool) -> bool:
        """Time every dispatch on the GPU (timestamp queries) until turned off; False if the device
        cannot. Costs a compute pass per dispatch, so only for measuring."""
        return bool(self.js.setProfiling(on))

    async def profile(self) -> list[tuple[str, float]]:
        """(kernel label, GPU seconds) of every dispatch timed since the last call."""
        text = await self.js.profile()
        return [(line.rsplit(" ", 1)[0], int(line.rsplit(" ", 1)[1]) * 1e-9) for line in text.splitlines() if line]

    async def done(self) -> None:
        await self._submitted(self.js.done())


def _classify(msg: str) -> Exception:
    if "OutOfMemory" in msg or "out of memory" in msg.lower():
        return MemoryError(f"webgpu: {msg}")
    return WebGPUError(msg)


def can_run_sync() -> bool:
    try:
        from pyodide.ffi import can_run_sync as check
    except ImportError:
        return False
    return check()


def run_blocking(awaitable):
    """Wait for an awaitable from synchronous code through JSPI, or raise SyncReadError."""
    if not can_run_sync():
        if hasattr(awaitable, "close"):
            awaitable.close()
        raise SyncReadError(SYNC_HELP)
    from pyodide.ffi import run_sync
    return run_sync(awaitable)
