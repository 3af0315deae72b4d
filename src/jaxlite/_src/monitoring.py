"""jax.monitoring: named events that code records and in-process listeners receive.

Four kinds of record (a plain event, a duration, a time span, a scalar), each with its own
listener list; recording calls every listener of its kind in registration order.
"""

from __future__ import annotations

from jaxlite._src.features import partial

_NO_INTERNAL = ("listeners get every event user code records; jaxlite itself records none of JAX's own "
                "events (trace, lowering and compile durations)")

_listeners: dict[str, list] = {"event": [], "duration": [], "time_span": [], "scalar": []}


def _notify(kind: str, /, *args, **kwargs) -> None:
    for callback in list(_listeners[kind]):
        callback(*args, **kwargs)


def record_event(event: str, **kwargs) -> None:
    """Record that `event` happened; keyword arguments are passed to the listeners."""
    _notify("event", event, **kwargs)


def record_event_duration_secs(event: str, duration: float, **kwargs) -> None:
    """Record that `event` took `duration` seconds."""
    _notify("duration", event, duration, **kwargs)


def record_event_time_span(event: str, start_time: float, end_time: float, **kwargs) -> None:
    """Record that `event` ran from start_time to end_time (seconds)."""
    _notify("time_span", event, start_time, end_time, **kwargs)


def record_scalar(event: str, value, **kwargs) -> None:
    """Record a scalar summary value."""
    _notify("scalar", event, value, **kwargs)


@partial(_NO_INTERNAL)
def register_event_listener(callback) -> None:
    _listeners["event"].append(callback)


@partial(_NO_INTERNAL)
def register_event_duration_secs_listener(callback) -> None:
    _listeners["duration"].append(callback)


@partial(_NO_INTERNAL)
def register_event_time_span_listener(callback) -> None:
    _listeners["time_span"].append(callback)


@partial(_NO_INTERNAL)
def register_scalar_listener(callback) -> None:
    _listeners["scalar"].append(callback)


def _unregister(kind: str, callback) -> None:
    # JAX asserts that the callback was registered.
    assert callback in _listeners[kind]
    _listeners[kind].remove(callback)


def unregister_event_listener(callback) -> None:
    _unregister("event", callback)


def unregister_event_duration_listener(callback) -> None:
    _unregister("duration", callback)


def unregister_event_time_span_listener(callback) -> None:
    _unregister("time_span", callback)


def unregister_scalar_listener(callback) -> None:
    _unregister("scalar", callback)


def get_event_listeners() -> list:
    return list(_listeners["event"])


def get_event_duration_listeners() -> list:
    return list(_listeners["duration"])


def get_event_time_span_listeners() -> list:
    return list(_listeners["time_span"])


def get_scalar_listeners() -> list:
    return list(_listeners["scalar"])


def clear_event_listeners() -> None:
    for callbacks in _listeners.values():
        callbacks.clear()
