"""Implementations behind jaxlite.scipy."""
