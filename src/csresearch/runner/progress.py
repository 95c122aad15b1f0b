"""Plain-text progress of a run on stderr.

One line per notebook state change (``running``, ``ok``, ``FAILED``) with its
duration. When the stream is a terminal, a live status line below shows the
notebooks still running and their elapsed time. Errors go through ``redact``
(the privacy gate's), so a message quoting an account id prints ``<id>``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Report notebook states.

    Parameters
    ----------
    names : list of str
        Notebooks of the run, in order.
    stream : file, optional
        Defaults to ``sys.stderr``.
    live : bool, optional
        Show a live-updating line; default: whether ``stream`` is a TTY.
    redact : callable, optional
        Applied to error messages before they are printed.
    """

    def __init__(self, names: list[str], stream: TextIO | None = None, live: bool | None = None,
                 redact: Callable[[str | None], str | None] | None = None):
        self.redact = redact if redact is not None else (lambda text: text)
        self.stream = stream if stream is not None else sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.total = len(names)
        self.width = max((len(n) for n in names), default=10)
        self.started: dict[str, float] = {}
        self.done = 0
        self._live_shown = False

    def _clear_live(self) -> None:
        if self._live_shown:
            self.stream.write("\r\x1b[2K")
            self._live_shown = False

    def _line(self, name: str, state: str, detail: str = "") -> None:
        self._clear_live()
        self.stream.write(f"[{self.done:>{len(str(self.total))}}/{self.total}] {name:<{self.width}}  {state}{detail}\n")
        self.stream.flush()
        self.tick()

    def start(self, name: str) -> None:
        """Mark ``name`` as running."""
        self.started[name] = time.perf_counter()
        self._line(name, "running")

    def finish(self, name: str, status: str, duration_s: float, error: str | None = None) -> None:
        """Mark ``name`` as finished with ``status`` (``ok`` or ``failed``)."""
        self.started.pop(name, None)
        self.done += 1
        state = "ok" if status == "ok" else "FAILED"
        error = self.redact(error)
        self._line(name, state, f"  {duration_s:6.1f} s" + (f"  {error}" if error else ""))

    def message(self, text: str) -> None:
        """Print a free-text line."""
        self._clear_live()
        self.stream.write(text + "\n")
        self.stream.flush()
        self.tick()

    def tick(self) -> None:
        """Redraw the live line (no-op when not live)."""
        if not self.live or not self.started:
            self._clear_live()
            return
        now = time.perf_counter()
        running = ", ".join(f"{n} {now - t:.0f}s" for n, t in self.started.items())
        self.stream.write(f"\r\x1b[2K  running: {running}"[:200])
        self.stream.flush()
        self._live_shown = True

    def close(self) -> None:
        """Remove the live line."""
        self._clear_live()
        self.stream.flush()
