"""show(obj): hand a picture to whoever can show it (the REPL's handler, IPython, or a print)."""

from __future__ import annotations

import base64
import sys

_display_handler = None


def set_display_handler(fn) -> None:
    """Register fn(bundle) to receive every show(); the jaxlite REPL renders the MIME bundle. None removes it."""
    global _display_handler
    if fn is not None and not callable(fn):
        raise TypeError(f"the display handler must be callable or None, got {fn!r}")
    _display_handler = fn


def mime_bundle(obj) -> dict:
    """The object's richest representations, keyed by MIME type (PNG as base64 text)."""
    bundle = {}
    if hasattr(obj, "_repr_png_"):
        bundle["image/png"] = base64.b64encode(obj._repr_png_()).decode("ascii")
    if hasattr(obj, "_repr_svg_"):
        bundle["image/svg+xml"] = obj._repr_svg_()
    bundle["text/plain"] = repr(obj)
    return bundle


def ipython_shell():
    """The running IPython shell when it draws rich output (Jupyter, JupyterLite), else None."""
    if "IPython" not in sys.modules:         # never import IPython just to ask
        return None
    try:
        shell = sys.modules["IPython"].get_ipython()
    except Exception:
        return None
    if shell is None or type(shell).__name__ == "TerminalInteractiveShell":
        return None
    return shell


def show(obj) -> None:
    if _display_handler is not None:
        _display_handler(mime_bundle(obj))
    elif ipython_shell() is not None:
        from IPython.display import display
        display(obj)
    else:
        print(repr(obj))
