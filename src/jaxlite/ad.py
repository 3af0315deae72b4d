"""jax.ad: JAX 0.10's experimental gradient-ref markers (DontWant, DidntWant, GradRef, GradValue)."""

from jaxlite._src.features import not_applicable as _na

_REASON = ("markers of JAX's experimental grad-through-mutable-refs API; jaxlite's refs are Python boxes that "
           "grad does not track")
DontWant = _na("jax.ad.DontWant", _REASON)
DidntWant = _na("jax.ad.DidntWant", _REASON)
GradRef = _na("jax.ad.GradRef", _REASON)
GradValue = _na("jax.ad.GradValue", _REASON)

__jaxlite_status__ = ("n/a", _REASON)
