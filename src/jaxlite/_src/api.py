"""Assembles the runtime: imports every primitive module (registering its rules) and attaches
the Array methods. Public modules import this first."""

from jaxlite._src.lax import bitcast, convolution, dot, lax, reductions, slicing, sorting, special, structural  # noqa: F401
from jaxlite._src.lax import control_flow  # noqa: F401
from jaxlite._src import array_methods, custom_derivatives  # noqa: F401

array_methods._install()

from jaxlite._src import dispatch  # noqa: E402

dispatch._register_wasm()
