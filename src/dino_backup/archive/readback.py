"""Reading a section back while it is written: its compressed bytes are decompressed in a
thread of their own, hashed and counted, so checking a new archive needs no second pass
over it (the stored file's SHA-256 then ties the file to the bytes that were checked).
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Iterator

from ..errors import IntegrityError
from .compression import Codec

_DEPTH = 8  # compressed writes waiting at most (each up to the codec's write size)


class Tally:
    """SHA-256 and line count of a section's decompressed bytes."""

    def __init__(self) -> None:
        self.sha = hashlib.sha256()
        self.lines = 0

    def add(self, block: bytes) -> None:
        self.sha.update(block)
        self.lines += block.count(b"\n")


class ReadBack:
    """Decompresses one section's compressed bytes as they are fed, in its own thread."""

    def __init__(self, codec: Codec, name: str) -> None:
        self.name = name
        self.tally = Tally()
        self._incoming: queue.Queue[bytes | None] = queue.Queue(maxsize=_DEPTH)
        self._ended = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(codec,), name="dino-archive-readback", daemon=True
        )
        self._thread.start()

    def _chunks(self) -> Iterator[bytes]:
        while (chunk := self._incoming.get()) is not None:
            yield chunk
        self._ended = True

    def _run(self, codec: Codec) -> None:
        try:
            for block in codec.decompress(self._chunks()):
                self.tally.add(block)
        except BaseException as exc:  # raised in the writing thread by finish()
            self._error = exc
        finally:
            if not self._ended:  # the feeder must never block on a full queue
                for _ in self._chunks():
                    pass

    def write(self, data: bytes) -> None:
        """Feed compressed bytes (a file-like `write`, so a compressor can tee into it)."""
        if data:
            self._incoming.put(bytes(data))

    def stop(self) -> None:
        """End the thread once it has read what was fed. Safe to call more than once."""
        if self._thread.is_alive():
            self._incoming.put(None)
            self._thread.join()

    def finish(self, sha256: str, lines: int) -> None:
        """Wait for the rest; the decompressed bytes must be exactly what was written."""
        self.stop()
        if self._error is not None:
            raise IntegrityError(
                f"table {self.name!r}: section does not read back: {self._error}"
            ) from self._error
        if self.tally.sha.hexdigest() != sha256 or self.tally.lines != lines:
            raise IntegrityError(f"table {self.name!r}: section does not read back as written")
