"""Results handed from worker threads to the main thread (toolkit.pending)."""

from __future__ import annotations

import threading

import pytest

from toolkit.pending import Pending, as_ready


def test_result_waits_for_the_worker():
    pending = Pending()
    release = threading.Event()

    def work():
        release.wait()
        assert pending.start()
        pending.set_result("grid")

    worker = threading.Thread(target=work)
    worker.start()
    assert not pending.done()
    release.set()
    assert pending.result() == "grid"
    worker.join()
    assert pending.done()


def test_exception_raised_on_result():
    pending = Pending()
    assert pending.start()
    pending.set_exception(ValueError("sheet unreadable"))
    with pytest.raises(ValueError, match="sheet unreadable"):
        pending.result()


def test_cancelled_before_start_skipped():
    pending = Pending()
    assert pending.cancel()
    assert pending.cancelled()
    assert not pending.start()
    with pytest.raises(LookupError):
        pending.result()


def test_cancel_after_start_ignored():
    started, finished = Pending(), Pending()
    assert started.start()
    finished.start()
    finished.set_result(3)
    assert not started.cancel()
    assert not finished.cancel()
    assert finished.result() == 3
    started.set_result(4)
    assert started.result() == 4


def test_as_ready_in_set_order():
    first, second, third = Pending(), Pending(), Pending()
    third.set_result("already there")
    order = []
    gates = {first: threading.Event(), second: threading.Event()}

    def work(pending, value):
        gates[pending].wait()
        pending.set_result(value)

    workers = [threading.Thread(target=work, args=(pending, value)) for pending, value in ((first, 1), (second, 2))]
    for worker in workers:
        worker.start()
    ready = as_ready([first, second, third])
    order.append(next(ready))  # the one set before as_ready was called comes at once
    gates[second].set()
    order.append(next(ready))
    gates[first].set()
    order.append(next(ready))
    assert order == [third, second, first]
    assert list(ready) == []
    for worker in workers:
        worker.join()


def test_as_ready_yields_each_result_once():
    pending = Pending()
    pending.set_result(1)
    assert list(as_ready([pending, pending])) == [pending]
