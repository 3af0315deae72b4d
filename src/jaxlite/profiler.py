"""jax.profiler: trace annotations and a device memory profile, without XLA's profiler."""

from jaxlite._src.features import not_applicable as _na
from jaxlite._src.profiler import (ProfileOptions, StepTraceAnnotation, TraceAnnotation,  # noqa: F401
                                   annotate_function, device_memory_profile, save_device_memory_profile,
                                   start_trace, stop_trace, trace)

_NO_SERVER = "there is no profiler server in a page for TensorBoard or another process to connect to"
start_server = _na("jax.profiler.start_server", _NO_SERVER)
stop_server = _na("jax.profiler.stop_server", _NO_SERVER)
register_subprocess = _na("jax.profiler.register_subprocess", "a page is one process; " + _NO_SERVER)
_NO_XSPACE = "it reads XLA's XSpace profiles; jaxlite writes Chrome trace-event JSON instead"
ProfileData = _na("jax.profiler.ProfileData", _NO_XSPACE)
ProfileEvent = _na("jax.profiler.ProfileEvent", _NO_XSPACE)
ProfilePlane = _na("jax.profiler.ProfilePlane", _NO_XSPACE)

_FEATURE_NOTES = {
    "ProfileOptions": ("partial", "accepted and kept; nothing in jaxlite's profiler is configurable"),
    "TraceAnnotation": ("partial", "a host-timed span recorded while a trace runs (and sent to the page's "
                        "performance.measure); no device events"),
    "StepTraceAnnotation": ("partial", "as TraceAnnotation; no per-step analysis"),
}

__jaxlite_status__ = ("partial", "no XLA profiler: host-timed annotation spans written as a Chrome "
                      "trace-event file; memory profile of live arrays without stack traces")

__all__ = ["ProfileOptions", "StepTraceAnnotation", "TraceAnnotation", "annotate_function", "device_memory_profile",
           "save_device_memory_profile", "start_trace", "stop_trace", "trace"]
