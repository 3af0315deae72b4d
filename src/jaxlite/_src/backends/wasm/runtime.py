"""WebAssembly runtimes: one linear memory shared by every kernel, an allocator over it, and
instantiation of assembled modules. In the browser (Pyodide) through the `js` FFI; in CPython
through wasmtime, running the same modules (so the backend is tested in both places).
"""

from __future__ import annotations

import atexit
import bisect
import importlib.resources
import sys
import threading

import numpy as np

from jaxlite._src.core import ResourceExhaustedError

PAGE = 65536
MAX_PAGES = 65536  # 4 GiB, the wasm32 limit
ALIGN = 64  # cache lines, and v128 alignment
# Eager ops on small arrays allocate one block and free another per op: blocks up to SMALL bytes
# freed go to a stack per size (up to SMALL_KEEP each) and serve the next request of their size
# without a search of the free list, and return to it when memory runs out.
SMALL, SMALL_KEEP = 1024, 16


class Runtime:
    """Allocator and data movement over one growable linear memory. Subclasses provide the engine."""

    shared = False  # whether the memory is a shared one (threads); modules must import it so
    threads = 1
    parallel_runs = 0  # kernels run across threads so far

    def __init__(self, initial_pages: int = 16):
        self.pages = initial_pages
        self.top = ALIGN  # address 0 stays unused so that no buffer is null; above top all is free
        # Free blocks below top, coalesced: start -> size, and their starts in address order.
        self.free_blocks: dict[int, int] = {}
        self._free_starts: list[int] = []
        # size // ALIGN -> starts of freed blocks of that size kept for reuse (a list indexed by an
        # int: no method call in Pyodide, where each costs a few hundred nanoseconds)
        self._small: list[list[int]] = [[] for _ in range(SMALL // ALIGN + 1)]
        if not self.locking:  # the hot paths call the unlocked bodies directly (one frame less)
            self.alloc, self.free = self._alloc, self._free
        self.live_bytes = 0
        self.peak_bytes = 0  # the most live bytes at once (reset_peak() starts a new window)
        # Python threads share the memory, the allocator, the kernels' stack pointer and the
        # engine's store: every use holds this lock (re-entrant: a kernel launch allocates).
        self.lock = threading.RLock()

    # -- allocation ------------------------------------------------------------------------------
    # Best fit over coalesced free blocks, then the bump pointer; a block freed at the top lowers
    # it. Without coalescing, buffers of new sizes never reuse freed ones and the heap grew to
    # about 2.25x the live bytes.

    @property
    def memory_bytes(self) -> int:
        """The size of the linear memory (wasm memories only grow)."""
        return self.pages * PAGE

    def reset_peak(self) -> None:
        with self.lock:
            self.peak_bytes = self.live_bytes

    # Whether Python threads can share this runtime (the hot paths skip the lock where none can).
    locking = True

    def alloc(self, nbytes: int) -> int:  # (an unlocked runtime binds _alloc here instead)
        with self.lock:
            return self._alloc(nbytes)

    def _alloc(self, nbytes: int) -> int:
        # (arithmetic, not max(): builtin calls cost a microsecond each in Pyodide)
        size = (nbytes + ALIGN - 1) // ALIGN * ALIGN or ALIGN
        if size <= SMALL:
            kept = self._small[size // ALIGN]
            if kept:
                self.live_bytes += size
                return kept.pop()
        ptr = self._take_free(size) if self._free_starts else None
        if ptr is None:
            ptr = self.top
            end = ptr + size
            if end > self.pages * PAGE:
                need = -(-end // PAGE) - self.pages
                grow = max(need, self.pages // 2)  # amortised growth
                if self.pages + grow > MAX_PAGES:
                    grow = need
                if self.pages + grow > MAX_PAGES or not self._grow(grow):
                    if self._release_small():
                        return self._alloc(nbytes)
                    raise ResourceExhaustedError(nbytes, f"wasm memory: cannot allocate {nbytes} bytes (memory "
                                                         f"is {self.pages * PAGE} bytes, {self.live_bytes} in use)")
                self.pages += grow
            self.top = end
        live = self.live_bytes = self.live_bytes + size
        if live > self.peak_bytes:
            self.peak_bytes = live
        return ptr

    def _take_free(self, size: int) -> int | None:
        best = None
        for start in self._free_starts:
            have = self.free_blocks[start]
            if have >= size and (best is None or have < self.free_blocks[best]):
                best = start
                if have == size:
                    break
        if best is None:
            return None
        have = self._remove_free(best)
        if have > size:
            self._insert_free(best + size, have - size)
        return best

    def _insert_free(self, start: int, size: int) -> None:
        self.free_blocks[start] = size
        bisect.insort(self._free_starts, start)

    def _remove_free(self, start: int) -> int:
        del self._free_starts[bisect.bisect_left(self._free_starts, start)]
        return self.free_blocks.pop(start)

    def free(self, ptr: int, nbytes: int) -> None:  # (an unlocked runtime binds _free here instead)
        with self.lock:
            self._free(ptr, nbytes)

    def _free(self, ptr: int, nbytes: int) -> None:
        size = (nbytes + ALIGN - 1) // ALIGN * ALIGN or ALIGN
        self.live_bytes -= size
        if size <= SMALL:
            kept = self._small[size // ALIGN]
            if len(kept) < SMALL_KEEP:
                kept.append(ptr)
                return
        self._free_block(ptr, size)

    def _release_small(self) -> bool:
        """Return the kept small blocks to the free list (to coalesce); whether there were any."""
        kept = [(ptr, k * ALIGN) for k, ptrs in enumerate(self._small) for ptr in ptrs]
        for ptrs in self._small:
            ptrs.clear()  # in place: launchers may hold these lists
        for ptr, size in kept:
            self._free_block(ptr, size)
        return bool(kept)

    def _free_block(self, ptr: int, size: int) -> None:
        if self._free_starts:
            if ptr + size in self.free_blocks:  # merge with the free block after
                size += self._remove_free(ptr + size)
            i = bisect.bisect_left(self._free_starts, ptr)
            if i:  # and with the one before
                prev = self._free_starts[i - 1]
                if prev + self.free_blocks[prev] == ptr:
                    size += self._remove_free(prev)
                    ptr = prev
        if ptr + size == self.top:
            self.top = ptr
        else:
            self._insert_free(ptr, size)

    _relaxed = None

    @property
    def relaxed_simd(self) -> bool:
        """Whether the engine runs relaxed SIMD (fused multiply-add): probed once, on first use."""
        if self._relaxed is None:
            from jaxlite._src.backends.wasm.assembler import assemble
            probe = """(module (func (export "kernel") (result i32)
              v128.const f32x4 1 2 3 4
              v128.const f32x4 1 1 1 1
              v128.const f32x4 0 0 0 0
              f32x4.relaxed_madd
              f32x4.extract_lane 3
              i32.trunc_sat_f32_s))"""
            try:
                self._relaxed = self._instantiate_plain(assemble(probe))() == 4
            except Exception:  # an engine without relaxed SIMD rejects the module
                self._relaxed = False
        return self._relaxed

    # -- engine-specific -------------------------------------------------------------------------

    def _grow(self, pages: int) -> bool:
        raise NotImplementedError

    def write(self, ptr: int, arr: np.ndarray) -> None:
        raise NotImplementedError

    def read(self, ptr: int, nbytes: int) -> np.ndarray:
        """A copy (uint8) of nbytes at ptr."""
        raise NotImplementedError

    def read_scalar(self, ptr: int, dtype):
        """The element of dtype at ptr as a Python scalar, or None."""
        raw = self.read(ptr, np.dtype(dtype).itemsize)
        return raw.view(dtype)[0].item()

    def instantiate(self, wasm: bytes):
        """The module's exported `kernel` as a Python callable taking i32 arguments."""
        raise NotImplementedError


class WasmtimeRuntime(Runtime):
    def __init__(self, initial_pages: int = 16):
        super().__init__(initial_pages)
        import wasmtime
        self._wt = wasmtime
        config = wasmtime.Config()
        config.wasm_simd = True
        try:
            config.wasm_relaxed_simd = True
        except AttributeError:
            pass
        self.engine = wasmtime.Engine(config)
        self.store = wasmtime.Store(self.engine)
        self.memory = wasmtime.Memory(self.store, wasmtime.MemoryType(wasmtime.Limits(initial_pages, MAX_PAGES)))
        self._view = None
        # Release the engine before interpreter teardown, which otherwise unloads wasmtime's
        # library before its objects' finalizers run.
        atexit.register(self._close)

    def _close(self):
        self._view = None
        self.store.close()
        self.engine.close()

    def _grow(self, pages: int) -> bool:
        try:
            self.memory.grow(self.store, pages)
        except Exception:
            return False
        self._view = None
        return True

    def _bytes(self) -> np.ndarray:
        if self._view is None:  # re-derive after growth: the base address may move
            n = self.memory.data_len(self.store)
            self._view = np.ctypeslib.as_array(self.memory.data_ptr(self.store), shape=(n,))
        return self._view

    def write(self, ptr: int, arr: np.ndarray) -> None:
        flat = np.ascontiguousarray(arr).reshape(-1).view(np.uint8)
        self._bytes()[ptr:ptr + flat.size] = flat

    def read(self, ptr: int, nbytes: int) -> np.ndarray:
        return self._bytes()[ptr:ptr + nbytes].copy()

    def read_scalar(self, ptr: int, dtype):
        dtype = np.dtype(dtype)
        return self._bytes()[ptr:ptr + dtype.itemsize].view(dtype)[0].item()

    def _instantiate_plain(self, wasm: bytes):
        inst = self._wt.Instance(self.store, self._wt.Module(self.engine, wasm), [])
        fn = inst.exports(self.store)["kernel"]
        return lambda *args: fn(self.store, *args)

    def instantiate(self, wasm: bytes):
        module = self._wt.Module(self.engine, wasm)
        inst = self._wt.Instance(self.store, module, [self.memory])
        fn = inst.exports(self.store)["kernel"]
        store = self.store
        try:
            return _raw_caller(self._wt, store, fn)
        except (AttributeError, TypeError):  # another wasmtime-py layout: the checked call
            return lambda *args: fn(store, *args)


def _raw_caller(wt, store, fn):
    """fn as a Python callable through wasmtime's unchecked call on raw values: the checked
    `Func.__call__` asks for the function's type and converts every argument on each call, which
    cost more than the kernel itself for small arrays. The types are read once here; a trap or an
    error still raises as from the checked call."""
    import ctypes
    ffi = wt._ffi
    ty = fn.type(store)
    if ty.results:
        raise TypeError("kernels return nothing")
    fields = tuple({"i32": "i32", "i64": "i64", "f32": "f32", "f64": "f64"}[str(t)] for t in ty.params)
    nargs = len(fields)
    call, func, context = ffi.wasmtime_func_call_unchecked, ctypes.byref(fn._func), store._context()
    trap_t = ctypes.POINTER(ffi.wasm_trap_t)
    # One argument block and trap slot per kernel, reused: every call holds the runtime's lock.
    vals, trap = (ffi.wasmtime_val_raw_t * max(nargs, 1))(), trap_t()
    slots = tuple(zip(vals, fields))
    trap_ref = ctypes.byref(trap)

    def run(*args):
        if len(args) != nargs:
            raise TypeError(f"the kernel takes {nargs} arguments, got {len(args)}")
        for (v, name), f in zip(slots, args):
            setattr(v, name, f)
        error = call(context, func, vals, nargs, trap_ref)
        if error:
            raise wt.WasmtimeError._from_ptr(error)
        if trap:
            t = trap_t(trap.contents)
            ctypes.memset(ctypes.addressof(trap), 0, ctypes.sizeof(trap))
            raise wt.Trap._from_ptr(t)
    return run


class PyodideRuntime(Runtime):
    """The page's WebAssembly engine. On a cross-origin isolated page (SharedArrayBuffer exists)
    with several cores, the memory is shared and a pool of Web Workers runs slices of big kernels
    (threads.js); otherwise everything runs on the calling thread."""

    locking = False  # Pyodide's Python cannot start threads (its Web Workers run kernels only)

    def __init__(self, initial_pages: int = 16, threads: int | None = None):
        super().__init__(initial_pages)
        import js
        from pyodide.ffi import to_js
        self._js, self._to_js = js, to_js
        opts = lambda d: to_js(d, dict_converter=js.Object.fromEntries)  # noqa: E731
        self.threads = _thread_count(js) if threads is None else threads
        self.pool = None
        if self.threads > 1:
            try:
                self.memory = js.WebAssembly.Memory.new(opts({"initial": initial_pages, "maximum": MAX_PAGES,
                                                              "shared": True}))
                self.shared = True
                from pyodide.code import run_js
                source = importlib.resources.files(__package__).joinpath("threads.js").read_text()
                self.pool = run_js(source)(self.memory, self.threads - 1)
                self._module_ids: dict = {}  # id(kernel function) -> (function, module, pool id or None)
            except Exception:  # no shared memory or workers after all: one thread
                self.threads, self.shared, self.pool = 1, False, None
        if not self.shared:
            self.threads = 1
            self.memory = js.WebAssembly.Memory.new(opts({"initial": initial_pages, "maximum": MAX_PAGES}))
        self._imports = opts({"env": {"memory": self.memory}})

    def _grow(self, pages: int) -> bool:
        try:
            self.memory.grow(pages)
        except Exception:  # RangeError: the engine refused
            return False
        self._getters = None  # growth replaces memory.buffer
        return True

    _getters = None  # dtype -> (a DataView getter bound to memory.buffer, conversion), on first use

    def read_scalar(self, ptr: int, dtype):
        """One FFI call: DataView's typed getter (little-endian) returns the JS number."""
        getters = self._getters
        if getters is None:
            view = self._js.DataView.new(self.memory.buffer)
            getters = self._getters = {dt: (getattr(view, name), conv)
                                       for dt, (name, conv) in _DATAVIEW_GETTERS.items()}
        getter = getters.get(dtype)
        if getter is None:
            return super().read_scalar(ptr, dtype)
        v = getter[0](ptr, True)
        if v == 0 and getter[1] is float:  # Pyodide makes integral numbers ints: -0.0 would lose its sign
            return super().read_scalar(ptr, dtype)
        return getter[1](v)

    def write(self, ptr: int, arr: np.ndarray) -> None:
        flat = np.ascontiguousarray(arr).reshape(-1).view(np.uint8)
        self._js.Uint8Array.new(self.memory.buffer, ptr, flat.size).assign(flat)

    def read(self, ptr: int, nbytes: int) -> np.ndarray:
        out = np.empty(nbytes, np.uint8)
        self._js.Uint8Array.new(self.memory.buffer, ptr, nbytes).assign_to(out)
        return out

    def _instantiate_plain(self, wasm: bytes):
        module = self._js.WebAssembly.Module.new(self._to_js(wasm))
        return self._js.WebAssembly.Instance.new(module).exports.kernel

    def instantiate(self, wasm: bytes):
        module = self._js.WebAssembly.Module.new(self._to_js(wasm))
        inst = self._js.WebAssembly.Instance.new(module, self._imports)
        fn = inst.exports.kernel
        if self.pool is not None:
            self._module_ids[id(fn)] = [fn, module, None]
        return fn

    def run_parallel(self, fn, calls) -> None:
        """fn(*call) for every argument list in calls: the first here, the others on workers."""
        entry = self._module_ids[id(fn)]
        if entry[2] is None:
            entry[2] = self.pool.register(entry[1])
        self.parallel_runs += 1
        self.pool.run(fn, entry[2], len(calls[0]), *(v for call in calls for v in call))


_DATAVIEW_GETTERS = {np.dtype(k): v for k, v in {
    "float32": ("getFloat32", float), "float64": ("getFloat64", float), "int32": ("getInt32", int),
    "uint32": ("getUint32", int), "int16": ("getInt16", int), "uint16": ("getUint16", int),
    "int8": ("getInt8", int), "uint8": ("getUint8", int), "bool": ("getUint8", bool)}.items()}


def _thread_count(js) -> int:
    """Threads for big kernels: the cores the page reports (at most 8), where the page may share
    memory with workers (cross-origin isolation) and has Atomics.waitAsync for them to wait on."""
    try:
        if not (getattr(js, "crossOriginIsolated", False) and hasattr(js, "SharedArrayBuffer") and hasattr(js, "Worker")
                and hasattr(js.Atomics, "waitAsync")):
            return 1
        return max(1, min(int(js.navigator.hardwareConcurrency or 1), 8))
    except Exception:
        return 1


def default_runtime() -> Runtime | None:
    """The runtime for this interpreter: the browser's engine in Pyodide, wasmtime in CPython (when
    installed); None when neither is available."""
    if sys.platform == "emscripten":
        return PyodideRuntime()
    try:
        import wasmtime  # noqa: F401
    except ImportError:
        return None
    return WasmtimeRuntime()
