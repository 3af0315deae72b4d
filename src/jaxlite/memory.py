"""jax.memory: memory spaces that refs and arrays may be placed in."""

import enum


class Space(enum.Enum):
    """Where a value lives: device memory, host memory, or wherever the compiler chooses."""
    Device = enum.auto()
    Host = enum.auto()
    Any = enum.auto()


_FEATURE_NOTES = {
    "Space": ("partial", "accepted (new_ref(memory_space=...)) and ignored: jaxlite keeps each array in its "
              "device's one memory"),
}
__jaxlite_status__ = _FEATURE_NOTES["Space"]
