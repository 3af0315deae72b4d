"""jax.monitoring: record named events and listen to them."""

from jaxlite._src.monitoring import (  # noqa: F401
    clear_event_listeners, get_event_duration_listeners, get_event_listeners, get_event_time_span_listeners,
    get_scalar_listeners, record_event, record_event_duration_secs, record_event_time_span, record_scalar,
    register_event_duration_secs_listener, register_event_listener, register_event_time_span_listener,
    register_scalar_listener, unregister_event_duration_listener, unregister_event_listener,
    unregister_event_time_span_listener, unregister_scalar_listener)

from jaxlite._src.monitoring import _NO_INTERNAL  # noqa: E402

__jaxlite_status__ = ("partial", _NO_INTERNAL)

__all__ = [
    "clear_event_listeners", "record_event", "record_event_duration_secs", "record_event_time_span", "record_scalar",
    "register_event_duration_secs_listener", "register_event_listener", "register_event_time_span_listener",
    "register_scalar_listener", "unregister_event_duration_listener", "unregister_event_listener",
    "unregister_event_time_span_listener", "unregister_scalar_listener",
]
