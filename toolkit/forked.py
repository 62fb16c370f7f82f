"""Run part of a command's work in a forked process, on the other core.

Python runs one thread's code at a time, so CPU-bound work only spreads over
two cores in two processes. A forked child starts with a copy of everything
already loaded, and sends back what it computes through a pipe.

Forking is used only on Linux with two or more cores, and only while this
process runs a single thread. A child forked beside another thread may find a
lock held forever, and Python 3.12 warns about it. Callers keep a way to do
the same work in this process, used when forking is not allowed, fails, or
the child stops early.
"""

from __future__ import annotations

import functools
import os
import signal
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator

_FRAME_SIZE = struct.Struct(">I")


def fork_allowed() -> bool:
    """Return True when this process may fork a child to work beside it.

    A thread that Python has joined can still be ending in the operating
    system for a moment, so its count is read a few times before giving up.
    """
    if not sys.platform.startswith("linux") or threading.active_count() != 1:
        return False
    try:
        if len(os.sched_getaffinity(0)) < 2:
            return False
    except OSError:
        return False
    for _ in range(_THREAD_COUNT_READS):
        count = _thread_count()
        if count is None or count == 1:
            return count == 1
        time.sleep(0.001)
    return False


# How often fork_allowed reads the thread count, 1 ms apart, while threads are ending. A
# process that keeps other threads (a numerical library's, say) loses 10 ms per call.
_THREAD_COUNT_READS = 10


def _thread_count() -> int | None:
    """Return how many threads the operating system counts in this process, or None when unknown."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"Threads:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def start(produce: Callable[..., Iterable], duplex: bool = False) -> Forked | None:
    """Return a forked child running ``produce``, or None when forking is not allowed or fails."""
    if not fork_allowed():
        return None
    try:
        return Forked(produce, duplex)
    except OSError:  # no process to spare
        return None


class Forked:
    """A forked child that runs ``produce`` and sends back each value it yields, in order.

    Iterating gives the values as they arrive and ends when the child has
    finished; ``take`` gives them one at a time. The values of a child that
    fails or is killed part-way end early, and the caller then does the rest
    itself. Creating one raises OSError when no process can be forked.

    With ``duplex``, ``produce`` is called with a function that returns the
    next value the parent passes to ``send``. The parent sends only while the
    child waits for it, after taking what the child sent before, so neither
    side can block the other on a full pipe.
    """

    def __init__(self, produce: Callable[..., Iterable], duplex: bool = False):
        read_end, write_end = os.pipe()
        child_read = parent_write = None
        parent = os.getpid()
        try:
            if duplex:
                child_read, parent_write = os.pipe()
            self.pid = os.fork()
        except OSError:
            for descriptor in (read_end, write_end, child_read, parent_write):
                if descriptor is not None:
                    os.close(descriptor)
            raise
        if self.pid == 0:
            _run_child(produce, write_end, child_read, (read_end, parent_write), parent)
        os.close(write_end)
        self.to_child = None
        if duplex:
            os.close(child_read)
            self.to_child = parent_write
        self.pipe = os.fdopen(read_end, "rb")
        self.finished = False

    def take(self):
        """Return the child's next value; raise EOFError when it has sent its last one or stopped.

        On EOFError the child is reaped, and any values still to come are lost.
        """
        import pickle  # here and below rather than at the top: see _frame

        if self.pipe.closed:
            raise EOFError
        try:
            return _read_frame(self.pipe)
        except EOFError:
            self.finished = True
            self.close()
            raise
        except (OSError, pickle.UnpicklingError):  # a broken pipe or a cut-short frame ends the values
            self.close()
            raise EOFError from None

    def send(self, value) -> None:
        """Pass a value to a duplex child, which receives it when it reads the next one.

        Raises EOFError, after reaping the child, when the child has stopped.
        """
        if self.to_child is None:
            raise EOFError
        try:
            _write_all(self.to_child, _frame(value))
        except OSError:  # the child has stopped, and its end of the pipe is closed
            self.close()
            raise EOFError from None

    def __iter__(self) -> Iterator:
        try:
            while True:
                yield self.take()
        except EOFError:
            return
        finally:
            self.close()

    def close(self) -> None:
        """Stop reading, end the child if it has not finished (after an interrupt, say), and reap it."""
        if self.pipe.closed:
            return
        self.pipe.close()
        if self.to_child is not None:
            os.close(self.to_child)
            self.to_child = None
        try:
            if not self.finished:
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def _run_child(produce: Callable[..., Iterable], write_end: int, read_end: int | None, parents_ends: tuple,
               parent: int) -> None:
    """Send each value ``produce`` yields to ``write_end``, then end the process.

    With a ``read_end`` (a duplex child), ``produce`` is called with a
    function that reads the parent's next value from it. ``parents_ends`` are
    the parent's ends of the pipes, closed here. The child ends without
    running any clean-up of the parent's (exit handlers, buffered output),
    and on any error, an interrupt included, it simply stops.
    """
    try:
        for descriptor in parents_ends:
            if descriptor is not None:
                os.close(descriptor)
        _end_with_parent(parent)
        write_end = _above_standard_streams(write_end)
        if read_end is not None:
            inbound = os.fdopen(_above_standard_streams(read_end), "rb")
            receive = functools.partial(_read_frame, inbound)
            produce = functools.partial(produce, receive)
        null = os.open(os.devnull, os.O_RDWR)
        for stream in (0, 1, 2):
            os.dup2(null, stream)
        for value in produce():
            _write_all(write_end, _frame(value))
    except BaseException:  # noqa: BLE001 - the parent does the rest itself
        pass
    finally:
        os._exit(0)


def _above_standard_streams(descriptor: int) -> int:
    """Return ``descriptor``, moved to 3 or above when it is 0, 1 or 2.

    A process started with its standard streams closed gets a pipe there, and
    the child points those numbers at /dev/null.
    """
    if descriptor > 2:
        return descriptor
    import fcntl  # forking is used only on Linux, and fcntl exists only on POSIX systems

    moved = fcntl.fcntl(descriptor, fcntl.F_DUPFD, 3)
    os.close(descriptor)
    return moved


# prctl's option that sends the child a signal when its parent ends (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


def _end_with_parent(parent: int) -> None:
    """Have Linux kill this child when the parent ends, so an interrupted command leaves no process behind.

    Done through the C library with ctypes. Where that fails, the child still
    ends at its next write to the closed pipe.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent ended before the request was in place
        os._exit(0)


def _frame(value) -> bytes:
    # Imported when first used: this module is imported before reading starts (see
    # toolkit.start), and the scanning helper's results are read on another thread.
    import pickle

    frame = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _FRAME_SIZE.pack(len(frame)) + frame


def _read_frame(pipe) -> object:
    """Return the value of the next frame in ``pipe``; raise EOFError at its end or a cut-short frame."""
    head = pipe.read(_FRAME_SIZE.size)
    if len(head) < _FRAME_SIZE.size:
        raise EOFError
    size = _FRAME_SIZE.unpack(head)[0]
    frame = pipe.read(size)
    if len(frame) < size:
        raise EOFError
    import pickle

    # The frames come from the process forked here, or its parent, which run this same code.
    return pickle.loads(frame)


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view):]
