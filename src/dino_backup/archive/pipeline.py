"""A second thread for the work that does not need the interpreter: hashing, compression,
encryption and writing release the GIL, so they overlap with reading and encoding rows.

Tasks run one at a time in submission order; the queue is short, so memory stays bounded
(at most `depth` batches wait). A task's error is raised in the submitting thread at its
next call, and every task after a failed one is skipped.

While a worker runs, the interpreter's switch interval is cut to half a millisecond: each
time a C call returns, this thread must win the GIL back from a thread busy with rows, and
at the default 5 ms those waits took more time than the compression itself.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable
from typing import Any

_STOP = None
_SWITCH_INTERVAL = 0.0005


class _SwitchInterval:
    """Lowered while any worker runs; the interpreter's own value back after the last."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._saved = sys.getswitchinterval()

    def lower(self) -> None:
        with self._lock:
            if self._users == 0:
                self._saved = sys.getswitchinterval()
                sys.setswitchinterval(min(self._saved, _SWITCH_INTERVAL))
            self._users += 1

    def restore(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0:
                sys.setswitchinterval(self._saved)


_SWITCHING = _SwitchInterval()


class SerialWorker:
    def __init__(self, depth: int = 4) -> None:
        self._tasks: queue.Queue[tuple[Callable[..., Any], tuple[Any, ...]] | None] = (
            queue.Queue(maxsize=depth)
        )
        self._error: BaseException | None = None
        _SWITCHING.lower()
        self._thread = threading.Thread(target=self._run, name="dino-archive-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (task := self._tasks.get()) is not _STOP:
            try:
                if self._error is None:
                    fn, args = task
                    fn(*args)
            except BaseException as exc:  # handed to the submitting thread
                self._error = exc
            finally:
                self._tasks.task_done()
        self._tasks.task_done()

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        self._raise_if_failed()
        self._tasks.put((fn, args))

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run `fn` after everything submitted, and wait for it."""
        self.submit(fn, *args)
        self.drain()

    def drain(self) -> None:
        """Wait for every submitted task; raise the first error among them."""
        self._tasks.join()
        self._raise_if_failed()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Stop the thread (after the tasks already queued). Safe to call more than once."""
        if self._thread.is_alive():
            self._tasks.put(_STOP)
            self._thread.join()
            _SWITCHING.restore()
