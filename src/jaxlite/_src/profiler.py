"""jax.profiler without XLA's profiler: annotations are timed on the host and, while a trace is
running, collected and written to log_dir as a Chrome trace-event file that Perfetto
(ui.perfetto.dev) and chrome://tracing open. In a page each span is also sent to the browser's
`performance.measure`, so it shows in the devtools performance panel.

The device memory profile is a pprof protocol buffer with one sample per live array.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import threading
import time

from jaxlite._src.features import partial

try:  # Pyodide: the page's performance timeline
    from js import performance as _performance
except ImportError:
    _performance = None

_NO_XLA = ("no XLA profiler: only TraceAnnotation/annotate_function spans (host wall time) are recorded, "
           "written as a Chrome trace-event JSON (perfetto_trace.json.gz), not TensorBoard's xplane.pb; "
           "device kernels are not traced")


class _Session:
    def __init__(self):
        self.lock = threading.Lock()
        self.log_dir = None
        self.events: list[dict] = []


_session = _Session()


class ProfileOptions:
    """Options of a profiling session; jaxlite keeps them but has nothing they configure."""

    def __init__(self):
        self.host_tracer_level = 2
        self.python_tracer_level = 0
        self.enable_hlo_proto = True
        self.start_timestamp_ns = 0
        self.duration_ms = 0
        self.repository_path = ""
        self.raise_error_on_start_failure = False
        self.advanced_configuration = {}


@partial(_NO_XLA)
def start_trace(log_dir, create_perfetto_link=False, create_perfetto_trace=False, profiler_options=None):
    with _session.lock:
        if _session.log_dir is not None:
            raise RuntimeError("Profile has already been started. Only one profile may be run at a time.")
        _session.log_dir, _session.events = os.fspath(log_dir), []


@partial(_NO_XLA)
def stop_trace():
    with _session.lock:
        if _session.log_dir is None:
            raise RuntimeError("No profile started")
        run = time.strftime("%Y_%m_%d_%H_%M_%S")
        out_dir = os.path.join(_session.log_dir, "plugins", "profile", run)
        os.makedirs(out_dir, exist_ok=True)
        with gzip.open(os.path.join(out_dir, "perfetto_trace.json.gz"), "wt") as f:
            json.dump({"displayTimeUnit": "ns", "traceEvents": _session.events}, f)
        _session.log_dir, _session.events = None, []


@partial(_NO_XLA)
def trace(log_dir, create_perfetto_link=False, create_perfetto_trace=False, profiler_options=None):
    return _Trace(log_dir)


class _Trace:
    def __init__(self, log_dir):
        self.log_dir = log_dir

    def __enter__(self):
        start_trace(self.log_dir)

    def __exit__(self, *exc):
        stop_trace()


class TraceAnnotation:
    """Context manager that marks its span as a named event on the trace timeline."""

    def __init__(self, name: str, **kwargs):
        self.name, self.args = name, {k: str(v) for k, v in kwargs.items()}

    def __enter__(self):
        self._start = time.perf_counter_ns()
        return self

    def __exit__(self, *exc):
        end = time.perf_counter_ns()
        if _session.log_dir is not None:
            event = {"name": self.name, "ph": "X", "ts": self._start / 1e3, "dur": (end - self._start) / 1e3,
                     "pid": os.getpid(), "tid": threading.get_ident(), "args": self.args}
            with _session.lock:
                _session.events.append(event)
        if _performance is not None:
            now = _performance.now()
            _performance.measure(self.name, start=now - (end - self._start) / 1e6, end=now)
        return False


class StepTraceAnnotation(TraceAnnotation):
    """A TraceAnnotation for one training step (pass step_num=...)."""


def annotate_function(func=None, name=None, **decorator_kwargs):
    """Decorator: each call of `func` is a TraceAnnotation named after it."""
    if func is None:
        return functools.partial(annotate_function, name=name, **decorator_kwargs)
    label = name or getattr(func, "__qualname__", None) or func.__name__

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with TraceAnnotation(label, **decorator_kwargs):
            return func(*args, **kwargs)
    return wrapper


# ---- device memory profile: a minimal pprof (profile.proto) encoder ------------------------------


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, payload) -> bytes:
    if isinstance(payload, int):
        return _varint(number << 3) + _varint(payload)
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _packed(number: int, values) -> bytes:
    return _field(number, b"".join(_varint(v) for v in values))


@partial("a pprof profile of the live jaxlite arrays (count and bytes, grouped by shape and dtype); "
         "there are no allocation stack traces and executables are not counted")
def device_memory_profile(backend=None) -> bytes:
    from jaxlite._src.api_util import live_arrays
    strings = ["", "allocations", "count", "space", "bytes"]

    def intern(s: str) -> int:
        if s not in strings:
            strings.append(s)
        return strings.index(s)

    groups: dict[str, list[int]] = {}
    for a in live_arrays(backend):
        key = f"{a.dtype.name}{list(a.shape)} on {a._device.platform}"
        count_bytes = groups.setdefault(key, [0, 0])
        count_bytes[0] += 1
        count_bytes[1] += a.nbytes
    msg = _field(1, _field(1, 1) + _field(2, 2)) + _field(1, _field(1, 3) + _field(2, 4))
    for i, (key, (count, nbytes)) in enumerate(sorted(groups.items()), start=1):
        # One sample per group, at a location whose only function is named after the group.
        msg += _field(2, _packed(1, [i]) + _packed(2, [count, nbytes]))
        msg += _field(4, _field(1, i) + _field(4, _field(1, i)))
        msg += _field(5, _field(1, i) + _field(2, intern(key)))
    msg += b"".join(_field(6, s.encode()) for s in strings)
    return gzip.compress(msg)


@partial("see device_memory_profile")
def save_device_memory_profile(filename, backend=None) -> None:
    with open(filename, "wb") as f:
        f.write(device_memory_profile(backend))
