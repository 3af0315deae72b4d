"""`jax.config`: the few flags jaxlite honours, read with `config.<name>` or `config.read(name)`."""

from __future__ import annotations

import contextlib
import os


class Config:
    _defaults = {
        "jax_enable_x64": False,
        "jax_default_device": None,
        "jax_platform_name": "",
        "jax_platforms": "",
        "jax_debug_nans": False,  # FloatingPointError at the first primitive that makes a NaN
        "jax_debug_infs": False,  # the same for infinities
        "jax_disable_jit": False,
        "jax_softmax_custom_jvp": False,  # as JAX 0.10.2: softmax differentiated through its ops
        # jaxlite's own: time the matmul tile sizes on this WebGPU adapter (first use of each
        # shape; needs synchronous waits, i.e. JSPI) instead of using the built-in choice
        "jaxlite_webgpu_autotune": False,
    }

    def __init__(self):
        self._values = dict(self._defaults)
        # JAXLITE_DEFAULT_DEVICE=wasm runs everything on that device (the test suite uses it).
        self._values["jax_default_device"] = os.environ.get("JAXLITE_DEFAULT_DEVICE") or None
        self._values["jaxlite_webgpu_autotune"] = os.environ.get("JAXLITE_WEBGPU_AUTOTUNE", "") not in ("", "0")

    def update(self, name: str, value) -> None:
        if name not in self._values:
            raise AttributeError(f"Unrecognized config option: {name}")
        self._values[name] = value

    def read(self, name: str):
        return self._values[name]

    def __getattr__(self, name: str):
        try:
            return self.__dict__["_values"][name]
        except KeyError:
            raise AttributeError(name) from None

    @contextlib.contextmanager
    def _override(self, name: str, value):
        old = self._values[name]
        self._values[name] = value
        try:
            yield
        finally:
            self._values[name] = old


config = Config()


def enable_x64(on: bool = True):
    """Context manager (as jax.experimental.enable_x64)."""
    return config._override("jax_enable_x64", on)


def disable_jit(disable: bool = True):
    return config._override("jax_disable_jit", disable)
