"""Primitives with side effects: never removed by dead-code elimination (debug callbacks, ...)."""

effectful: set = set()
