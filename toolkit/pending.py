"""A value that another thread works out, and a way to take several as they become ready.

The reading threads hand each sheet to the main thread through one of these.
``concurrent.futures`` does the same, but importing it (and the logging
package it needs) took about 6 ms of the start of every ``check`` and ``due``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator

_WAITING, _RUNNING, _CANCELLED, _FINISHED = range(4)


class Pending:
    """A result that a worker thread sets once, and that other threads wait for.

    A worker calls ``start`` before working on it, which returns False when
    the result was cancelled in the meantime, and then ``set_result`` or
    ``set_exception``. ``result`` waits, then returns the value or raises the
    exception.
    """

    __slots__ = ("_state", "_value", "_error", "_lock", "_ready", "_watchers")

    def __init__(self) -> None:
        self._state = _WAITING
        self._value = None
        self._error: BaseException | None = None
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._watchers: list[queue.SimpleQueue] = []

    def start(self) -> bool:
        """Mark the result as being worked out. Return False when it was cancelled, so it must not be."""
        with self._lock:
            if self._state == _CANCELLED:
                return False
            self._state = _RUNNING
            return True

    def cancel(self) -> bool:
        """Cancel the result if no worker has started on it, and return whether it is cancelled."""
        with self._lock:
            if self._state != _WAITING:
                return self._state == _CANCELLED
            self._state = _CANCELLED
        self._finish()
        return True

    def set_result(self, value) -> None:
        with self._lock:
            self._value, self._state = value, _FINISHED
        self._finish()

    def set_exception(self, error: BaseException) -> None:
        with self._lock:
            self._error, self._state = error, _FINISHED
        self._finish()

    def done(self) -> bool:
        return self._ready.is_set()

    def cancelled(self) -> bool:
        return self._state == _CANCELLED

    def result(self):
        """Wait for the result and return it, or raise what the worker raised."""
        self._ready.wait()
        if self._state == _CANCELLED:
            raise LookupError("the result was cancelled")
        if self._error is not None:
            raise self._error
        return self._value

    def _finish(self) -> None:
        with self._lock:
            watchers, self._watchers = self._watchers, []
            self._ready.set()
        for watcher in watchers:
            watcher.put(self)

    def _watch(self, watcher: queue.SimpleQueue) -> bool:
        """Have ``watcher`` receive this result when it is ready. Return False when it already is."""
        with self._lock:
            if self._ready.is_set():
                return False
            self._watchers.append(watcher)
            return True


def as_ready(results: Iterable[Pending]) -> Iterator[Pending]:
    """Yield each of ``results`` once it is set or cancelled, the ready ones first."""
    watcher: queue.SimpleQueue = queue.SimpleQueue()
    waiting = 0
    for result in dict.fromkeys(results):
        if result._watch(watcher):
            waiting += 1
        else:
            yield result
    for _ in range(waiting):
        yield watcher.get()
