"""Progress reporting: the library calls a plain callback, the CLI draws the bar.

Library code takes an optional ``progress`` callable and calls
``progress(done, total, label)``; it never prints. ``terminal_progress``
returns such a callable that draws a bar on stderr, or does nothing when
stderr is not a terminal, when ``--quiet`` is given, or when the work ends
before ``delay`` seconds have passed (short runs stay silent).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

ProgressCallback = Callable[[int, int, str], None]

# Work expected to finish sooner than this shows no bar at all.
DEFAULT_DELAY_SECONDS = 2.0
BAR_WIDTH = 30


def no_progress(done: int, total: int, label: str = "") -> None:
    """Ignore progress; the default for library calls."""


# The bar drawn last and not yet finished, if any, so an error message can start on a new line.
_unfinished: TerminalProgress | None = None


def end_progress_line() -> None:
    """End an unfinished progress bar's line, so the next message starts on a line of its own."""
    global _unfinished
    if _unfinished is not None:
        try:
            _unfinished.stream.write("\n")
            _unfinished.stream.flush()
        except (OSError, ValueError):  # the stream is gone; there is no line to end
            pass
        _unfinished = None


class TerminalProgress:
    """Draws ``label [#####.....] done/total`` on one line of stderr."""

    def __init__(self, stream, delay: float = DEFAULT_DELAY_SECONDS, clock=time.monotonic):
        self.stream = stream
        self.delay = delay
        self.clock = clock
        self.started = clock()
        self.drawn = False
        self.last_draw = 0.0

    def __call__(self, done: int, total: int, label: str = "") -> None:
        now = self.clock()
        finished = total > 0 and done >= total
        if now - self.started < self.delay and not self.drawn:
            return
        if not finished and now - self.last_draw < 0.1:
            return
        self.last_draw = now
        self.drawn = True
        filled = BAR_WIDTH if total <= 0 else int(BAR_WIDTH * done / total)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        global _unfinished
        self.stream.write(f"\r{label:<20} [{bar}] {done}/{total}")
        if finished:
            self.stream.write("\n")
        _unfinished = None if finished else self
        self.stream.flush()


def terminal_progress(quiet: bool = False, stream=None) -> ProgressCallback:
    """Return a progress callback for the terminal, or one that does nothing.

    The bar is drawn only when the stream is a terminal, ``quiet`` is false
    and the NO_COLOR-style switch ``HANDOFF_NO_PROGRESS`` is unset.
    """
    stream = stream if stream is not None else sys.stderr
    interactive = hasattr(stream, "isatty") and stream.isatty()
    if quiet or not interactive or os.environ.get("HANDOFF_NO_PROGRESS"):
        return no_progress
    return TerminalProgress(stream)
