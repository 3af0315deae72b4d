"""Implementations behind jaxlite.scipy.stats."""
