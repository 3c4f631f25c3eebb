"""The archive writer's second thread (archive/pipeline.py)."""

import sys
import threading

import pytest

from dino_backup.archive.pipeline import SerialWorker


def test_writer_threads_end_and_leave_the_switch_interval_as_found() -> None:
    """Two overlapping workers (a backup and a verify) hand the interval back once both end;
    a task's error reaches the caller, and later tasks are skipped."""
    before = sys.getswitchinterval()
    first, second = SerialWorker(), SerialWorker()
    assert sys.getswitchinterval() < before
    done: list[int] = []
    first.submit(lambda: 1 / 0)
    first.submit(done.append, 1)
    with pytest.raises(ZeroDivisionError):
        first.drain()
    assert done == []
    first.close()
    assert sys.getswitchinterval() < before
    second.call(done.append, 2)
    second.close()
    assert done == [2] and sys.getswitchinterval() == before
    assert not [t for t in threading.enumerate() if t.name == "dino-archive-writer"]
