"""progress: a tqdm-like bar that draws as a text line, as HTML in Jupyter, or through the REPL's hook."""

from __future__ import annotations

import html
import sys
import time

from jaxlite._src.display.show import ipython_shell

_progress_handler = None
_clock = time.monotonic          # a module attribute, so tests can drive time


def set_progress_handler(fn) -> None:
    """Register fn(n, total, desc, elapsed), called at most ~10 times a second by every progress bar
    (and once more when it finishes); the jaxlite REPL draws its own bar with it. None removes it."""
    global _progress_handler
    if fn is not None and not callable(fn):
        raise TypeError(f"the progress handler must be callable or None, got {fn!r}")
    _progress_handler = fn


def format_seconds(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def format_line(n: int, total, desc, elapsed: float, width: int = 20) -> str:
    """`desc: 40%|########            | 4/10 [00:02<00:03, 2.00it/s]`, or `desc: 4it [...]` without a total."""
    rate = n / elapsed if elapsed > 0 else 0.0
    speed = f"{rate:.2f}it/s" if rate >= 1 or rate == 0 else f"{1 / rate:.2f}s/it"
    prefix = f"{desc}: " if desc else ""
    if total is None:
        return f"{prefix}{n}it [{format_seconds(elapsed)}, {speed}]"
    frac = min(n / total, 1.0) if total > 0 else 1.0
    filled = int(frac * width)
    eta = format_seconds((total - n) / rate) if rate > 0 else "?"
    return (f"{prefix}{frac:4.0%}|{'#' * filled}{' ' * (width - filled)}| {n}/{total} "
            f"[{format_seconds(elapsed)}<{eta}, {speed}]")


def _html_bar(n: int, total, desc, elapsed: float) -> str:
    frac = min(n / total, 1.0) if total else 0.0
    text = html.escape(format_line(n, total, None, elapsed))
    label = f"<span>{html.escape(str(desc))}</span> " if desc else ""
    meter = f'<progress value="{frac:.4f}" max="1" style="width: 20em"></progress> ' if total else ""
    return f'<div style="font-family: monospace">{label}{meter}<span>{text}</span></div>'


class progress:
    """Wrap an iterable (or count by hand with ``update``) and show how far it has got.

    Where it draws is decided when it starts: a handler from ``set_progress_handler`` (the jaxlite
    REPL), else an updating HTML bar when IPython can display rich output (Jupyter, JupyterLite),
    else one text line on ``file`` (default stderr) rewritten with carriage returns.
    """

    def __init__(self, iterable=None, total=None, desc=None, file=None, mininterval: float = 0.1):
        if total is None and iterable is not None:
            try:
                total = len(iterable)
            except TypeError:
                total = None
        self.iterable, self.total, self.desc = iterable, total, desc
        self.n = 0
        self.mininterval = mininterval
        self._handler = _progress_handler
        self._file = file
        self._display = None
        if self._handler is None and file is None and ipython_shell() is not None:
            from IPython.display import HTML, display
            self._display = display(HTML(_html_bar(0, total, desc, 0.0)), display_id=True)
        self._start = self._last = _clock()
        self._closed = False
        self._last_len = 0
        self._draw(force=True)

    def __len__(self):
        if self.total is None:
            raise TypeError("this progress bar has no total")
        return self.total

    def __iter__(self):
        if self.iterable is None:
            raise TypeError("progress() was given nothing to iterate over; call update() instead")
        try:
            for item in self.iterable:
                yield item
                self.update(1)
        finally:
            self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def update(self, n: int = 1) -> None:
        self.n += n
        self._draw(force=False)

    def set_description(self, desc) -> None:
        self.desc = desc
        self._draw(force=False)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._draw(force=True)
        if self._handler is None and self._display is None:
            file = self._file if self._file is not None else sys.stderr
            file.write("\n")
            file.flush()

    def _draw(self, force: bool) -> None:
        now = _clock()
        if not force and now - self._last < self.mininterval:
            return
        self._last = now
        elapsed = now - self._start
        if self._handler is not None:
            self._handler(self.n, self.total, self.desc, elapsed)
        elif self._display is not None:
            from IPython.display import HTML
            self._display.update(HTML(_html_bar(self.n, self.total, self.desc, elapsed)))
        else:
            file = self._file if self._file is not None else sys.stderr
            line = format_line(self.n, self.total, self.desc, elapsed)
            # Pad over the tail of a longer previous line (the rate can shrink in width).
            file.write("\r" + line + " " * max(0, self._last_len - len(line)))
            file.flush()
            self._last_len = len(line)
