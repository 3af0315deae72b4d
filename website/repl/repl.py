"""The REPL's runner, loaded into the worker's Pyodide as the module `jaxlite_repl`.

Runs a cell like a notebook does: the statements, then the value of a last expression (unless it is
None or ends with ';'): a picture (anything with _repr_png_ or _repr_svg_, as jaxlite.display's
Image and Chart) goes to the page through jaxlite.display.show, anything else prints its repr. Tracebacks start at the user's code: the frames of Pyodide's own runner are
dropped and consecutive frames inside jaxlite are folded into one line.
"""

import linecache
import sys
import time
import traceback

from pyodide.code import eval_code_async

FILENAME = "<repl>"
_JAXLITE = ("/jaxlite/",)


def _is_jaxlite(filename: str) -> bool:
    return any(part in filename for part in _JAXLITE)


def format_exception(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    # everything before the first frame of the user's code is the REPL's own machinery
    start = next((i for i, f in enumerate(frames) if f.filename == FILENAME), len(frames))
    frames = frames[start:]
    lines = []
    hidden = 0
    for frame in frames:
        if _is_jaxlite(frame.filename):
            hidden += 1
            continue
        if hidden:
            lines.append(f"  [{hidden} jaxlite internal frame{'s' if hidden > 1 else ''}]\n")
            hidden = 0
        lines.extend(traceback.format_list([frame]))
    if hidden:
        lines.append(f"  [{hidden} jaxlite internal frame{'s' if hidden > 1 else ''}]\n")
    head = ["Traceback (most recent call last):\n"] if lines else []
    return "".join(head + lines + traceback.format_exception_only(type(exc), exc))


async def run(code: str, namespace: dict | None = None) -> dict:
    """Run one cell in `namespace` (the __main__ globals by default); prints the last value's repr to
    stdout and a readable traceback to stderr. Returns {"ok": bool, "ms": float}."""
    if namespace is None:
        namespace = sys.modules["__main__"].__dict__
    linecache.cache[FILENAME] = (len(code), None, code.splitlines(True), FILENAME)
    t0 = time.perf_counter()
    try:
        value = await eval_code_async(code, namespace, filename=FILENAME)
        if not isinstance(value, type) and (hasattr(value, "_repr_png_") or hasattr(value, "_repr_svg_")):
            from jaxlite.display import show
            show(value)
        elif value is not None:
            print(repr(value))
        ok = True
    except BaseException as exc:  # KeyboardInterrupt (Stop) and SystemExit too: the REPL lives on
        sys.stdout.flush()
        sys.stderr.write(format_exception(exc))
        ok = False
    sys.stdout.flush()
    sys.stderr.flush()
    return {"ok": ok, "ms": (time.perf_counter() - t0) * 1e3}
