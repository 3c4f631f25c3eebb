"""Streaming archive writer: header section, one section per table, manifest, trailer."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any, BinaryIO

import orjson

from .compression import Codec
from .pgcopy import ENCODING
from .pipeline import SerialWorker
from .readback import ReadBack

FORMAT_VERSION = 1
_LINE = orjson.OPT_APPEND_NEWLINE
_HANDOFF = 2 << 20  # bytes handed to the writer thread at a time: few GIL round trips


class _CountingWriter:
    """Counts bytes so section offsets are known without seeking (works on pipes too)."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.position = 0

    def write(self, data: bytes) -> int:
        self._out.write(data)
        self.position += len(data)
        return len(data)

    def flush(self) -> None:
        self._out.flush()


class _Tee:
    """Compressed bytes to the file and to the section's read-back."""

    def __init__(self, out: _CountingWriter, readback: ReadBack) -> None:
        self._out = out
        self._readback = readback

    def write(self, data: bytes) -> int:
        self._readback.write(data)
        return self._out.write(data)


class TableSection:
    """One table's rows, compressed as one independent frame (in the writer's thread) and
    read back as they are written (readback.py)."""

    def __init__(
        self,
        worker: SerialWorker,
        out: _CountingWriter,
        codec: Codec,
        name: str,
        columns: list[str],
        encoding: dict[str, Any],
    ) -> None:
        self._worker = worker
        self._out = out
        self.offset = out.position
        self.readback = ReadBack(codec, name)
        self._compressor = codec.compressor(_Tee(out, self.readback))  # type: ignore[arg-type]
        self._sha = hashlib.sha256()
        self.rows = 0
        self.encoding = encoding
        self._pending: list[bytes] = []
        self._pending_size = 0
        head = {"table": name, "columns": columns, **encoding}
        self._emit(orjson.dumps(head, option=_LINE))

    def _emit(self, data: bytes) -> None:
        # Hashed here, compressed in the writer's thread: compression is the longer job.
        self._sha.update(data)
        self._worker.submit(self._compressor.write, data)

    def write_lines(self, lines: Iterable[bytes]) -> None:
        """Append encoded row lines (see values.encode_row), preferably a batch at a time."""
        batch = b"".join(lines)
        self.rows += batch.count(b"\n")
        self._pending.append(batch)
        self._pending_size += len(batch)
        if self._pending_size >= _HANDOFF:
            self._hand_off()

    def _hand_off(self) -> None:
        if self._pending:
            self._emit(b"".join(self._pending))
            self._pending, self._pending_size = [], 0

    def close(self) -> dict[str, Any]:
        self._hand_off()
        self._worker.call(self._compressor.close)
        self.readback.finish(self._sha.hexdigest(), self.rows + 1)  # + the header line
        return {
            "offset": self.offset,
            "length": self._out.position - self.offset,
            "rows": self.rows,
            "sha256": self._sha.hexdigest(),
            **self.encoding,
        }


MANIFEST_PREFIX = b'{"manifest":'
MANIFEST_SUFFIX = b',"sha256":"%s"}\n'


def manifest_line(manifest: dict[str, Any]) -> bytes:
    """`{"manifest": {...},"sha256":"<hex>"}`: the hash covers the manifest's exact bytes."""
    body = orjson.dumps(manifest)
    digest = hashlib.sha256(body).hexdigest().encode()
    return MANIFEST_PREFIX + body + MANIFEST_SUFFIX % digest


class ArchiveWriter:
    """Writes an archive; a context manager, since compression and writing run in a
    second thread (see pipeline.py) that must end with the writer."""

    def __init__(self, out: BinaryIO, codec: Codec, header: dict[str, Any]) -> None:
        self._out = _CountingWriter(out)
        self._codec = codec
        self._worker = SerialWorker()
        self._sections: list[TableSection] = []
        line = orjson.dumps({"dino_backup": {"format": FORMAT_VERSION, **header}}, option=_LINE)
        self._header_sha256 = hashlib.sha256(line).hexdigest()
        _, self._header_length = self._write_section(line)

    def __enter__(self) -> ArchiveWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._worker.close()
        for section in self._sections:  # those a failure left open
            section.readback.stop()

    def _write_section(self, data: bytes) -> tuple[int, int]:
        start = self._out.position
        compressor = self._codec.compressor(self._out)  # type: ignore[arg-type]
        self._worker.submit(compressor.write, data)
        self._worker.call(compressor.close)
        return start, self._out.position - start

    def table(
        self, name: str, columns: list[str], copy_kinds: list[str] | None = None
    ) -> TableSection:
        """A table section: JSON Lines, or COPY text lines when `copy_kinds` are given."""
        encoding = {"encoding": ENCODING, "kinds": copy_kinds} if copy_kinds is not None else {}
        section = TableSection(self._worker, self._out, self._codec, name, columns, encoding)
        self._sections.append(section)
        return section

    def finish(self, manifest: dict[str, Any]) -> None:
        full = {
            "format": FORMAT_VERSION,
            "header_length": self._header_length,
            "header_sha256": self._header_sha256,
            **manifest,
        }
        offset, length = self._write_section(manifest_line(full))
        self._worker.call(self._out.write, self._codec.trailer(offset, length))
        self._worker.call(self._out.flush)
