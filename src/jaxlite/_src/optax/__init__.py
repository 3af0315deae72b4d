"""optax (gradient transformations, schedules, losses) on jaxlite pytrees; `jaxlite.optax` re-exports it."""
