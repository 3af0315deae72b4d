"""jax.debug: printing and callbacks from inside transformed code."""

from __future__ import annotations

import logging
import string
import sys

import numpy as np

from jaxlite._src.callback import debug_callback
from jaxlite._src.features import not_applicable, partial


def callback(callback=None, *args, ordered: bool = False, partitioned: bool = False, **kwargs):
    """jax.debug.callback; with no callback it returns the function to call later (two-call form)."""
    if callback is not None:
        debug_callback(callback, *args, ordered=ordered, partitioned=partitioned, **kwargs)
        return None
    if args or kwargs:
        raise TypeError(f"debug_callback received unexpected arguments in the two-call form: {args=} {kwargs=}")
    return lambda cb, *a, **k: debug_callback(cb, *a, ordered=ordered, partitioned=partitioned, **k)


class _FormatChecker(string.Formatter):
    """Formats nothing; checks that every argument is used (an f-string passed by mistake is not)."""

    def format_field(self, value, format_spec):
        return ""

    def check_unused_args(self, used_args, args, kwargs):
        unused = [a for i, a in enumerate(args) if i not in used_args]
        if unused:
            raise ValueError(f"Unused positional arguments to `jax.debug.print`: {unused}")
        unused_kw = [k for k in kwargs if k not in used_args]
        if unused_kw:
            raise ValueError(f"Unused keyword arguments to `jax.debug.print`: {unused_kw}. You may be passing an "
                             "f-string (i.e, `f\"{x}\"`) into `jax.debug.print` and instead should pass in a "
                             "regular string.")


_checker = _FormatChecker()


_logger = logging.getLogger(__name__)


class DebugEffect:
    """The effect of jax.debug.callback/print (jax.debug.DebugEffect)."""


class OrderedDebugEffect:
    """The effect of an ordered jax.debug.callback/print (jax.debug.OrderedDebugEffect)."""


debug_effect, ordered_debug_effect = DebugEffect(), OrderedDebugEffect()


def _print_now(fmt, printoptions, has_placeholders, use_logging, *args, **kwargs):
    if has_placeholders:
        with np.printoptions(**printoptions):
            msg = fmt.format(*args, **kwargs)
    else:
        msg = " ".join((fmt, *(str(a) for a in args)))
    if use_logging:
        _logger.info(msg)
    else:
        sys.stdout.write(msg + "\n")


def _debug_print(fmt: str, *args, ordered=False, partitioned=False, skip_format_check=False, _use_logging=False,
                 **kwargs):
    if not skip_format_check:
        _checker.format(fmt, *args, **kwargs)
    has_placeholders = bool(fmt) and next(iter(string.Formatter().parse(fmt)))[1] is not None
    # numpy's print options as they are now, when the print is traced (as JAX does)
    printoptions = {k: v for k, v in np.get_printoptions().items() if k != "override_repr"}
    debug_callback(lambda *a, **k: _print_now(fmt, printoptions, has_placeholders, _use_logging, *a, **k), *args,
                   ordered=ordered, **kwargs)


def print(fmt: str | None = None, *args, ordered: bool = False, partitioned: bool = False,  # noqa: A001
          skip_format_check: bool = False, _use_logging: bool = False, **kwargs):
    """Print values from inside jit, vmap (once per element) and grad (primal values), formatted
    as `fmt.format(*args, **kwargs)`."""
    opts = dict(ordered=ordered, skip_format_check=skip_format_check, _use_logging=_use_logging)
    if fmt is not None:
        _debug_print(fmt, *args, **opts, **kwargs)
        return None
    if args or kwargs:
        raise TypeError(f"debug_print received unexpected arguments in the two-call form: {args=} {kwargs=}")
    return lambda f, *a, **k: _debug_print(f, *a, **opts, **k)


def log(fmt: str | None = None, *args, ordered: bool = False, partitioned: bool = False,
        skip_format_check: bool = False, **kwargs):
    """jax.debug.print's values and formatting, written to the `logging` module (logger
    jaxlite._src.debugging, level INFO) instead of stdout."""
    return print(fmt, *args, ordered=ordered, partitioned=partitioned, skip_format_check=skip_format_check,
                 _use_logging=True, **kwargs)


@partial("enters Python's pdb at the caller's frame once the values before it are computed; JAX's "
         "debugger over the traced frames is not offered, and a page without a terminal cannot use pdb")
def breakpoint(*, backend=None, filter_frames=True, num_frames=None, ordered=False, token=None, **kwargs):
    """Enter pdb where this is called, after the values it depends on are computed."""
    import pdb

    def enter():
        frame = sys._getframe(2)
        pdb.Pdb().set_trace(frame)

    debug_callback(enter, ordered=ordered)
    return token


visualize_array_sharding = not_applicable(
    "jax.debug.visualize_array_sharding", "arrays live whole on one device in one browser process; there "
    "are no shards to draw")
visualize_sharding = not_applicable(
    "jax.debug.visualize_sharding", "arrays live whole on one device in one browser process; there are no "
    "shards to draw")
inspect_array_sharding = not_applicable(
    "jax.debug.inspect_array_sharding", "arrays live whole on one device in one browser process; there is "
    "no sharding to inspect")
