"""A new archive's sections are read back as they are written: a compressor or a store that
does not give back what it was given fails the backup, and nothing is listed."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from failure_support import files_in, listed, make_manager, seed_dino

from dino_backup.archive.compression import get_codec
from dino_backup.archive.readback import ReadBack
from dino_backup.archive.writer import ArchiveWriter
from dino_backup.errors import IntegrityError

DATA = b"".join(b'["row %d","%s"]\n' % (i, os.urandom(8).hex().encode()) for i in range(20000))


def _compressed(codec_name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    compressor = get_codec(codec_name).compressor(out)
    compressor.write(data)
    compressor.close()
    return out.getvalue()


def _fed(codec_name: str, compressed: bytes, piece: int = 4096) -> ReadBack:
    readback = ReadBack(get_codec(codec_name), "t")
    for start in range(0, len(compressed), piece):
        readback.write(compressed[start : start + piece])
    return readback


@pytest.mark.parametrize("codec", ["zstd", "gzip", "none"])
def test_what_was_written_reads_back(codec: str) -> None:
    readback = _fed(codec, _compressed(codec, DATA))
    readback.finish(hashlib.sha256(DATA).hexdigest(), DATA.count(b"\n"))


@pytest.mark.parametrize("codec", ["zstd", "gzip", "none"])
def test_other_bytes_do_not_read_back(codec: str) -> None:
    other = DATA.replace(b"row 1234", b"row 4321")
    readback = _fed(codec, _compressed(codec, other))
    with pytest.raises(IntegrityError, match="does not read back as written"):
        readback.finish(hashlib.sha256(DATA).hexdigest(), DATA.count(b"\n"))


@pytest.mark.parametrize("codec", ["zstd", "gzip"])
def test_garbage_fails_without_blocking_the_writer(codec: str) -> None:
    """Far more than the queue holds arrives after decompression failed: still no hang."""
    garbage = _compressed(codec, DATA)[:100] + os.urandom(1 << 20)
    readback = _fed(codec, garbage, piece=1024)
    with pytest.raises(IntegrityError, match="section does not read back"):
        readback.finish(hashlib.sha256(DATA).hexdigest(), DATA.count(b"\n"))


def test_a_writer_left_by_an_error_stops_its_read_back_threads() -> None:
    before = threading.active_count()
    with pytest.raises(RuntimeError), ArchiveWriter(io.BytesIO(), get_codec("zstd"), {}) as w:
        w.table("a", ["x"]).write_lines([b"[1]\n"])
        raise RuntimeError("the database went away")
    assert threading.active_count() == before


class _Flipping:
    """A file that changes one byte of what it is given (a bad disk, a bad driver)."""

    def __init__(self, f: BinaryIO, at: int) -> None:
        self._f, self._at, self._seen = f, at, 0

    def write(self, data: Any) -> int:
        data = bytearray(data)
        if self._seen <= self._at < self._seen + len(data):
            data[self._at - self._seen] ^= 0x01
        self._seen += len(data)
        return self._f.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)


@pytest.mark.parametrize("where", ["compressor", "storage"])
def test_bytes_changed_on_the_way_fail_the_backup(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    seed_dino(sqlite_url)
    mgr = make_manager(sqlite_url, tmp_path / "b")
    if where == "compressor":  # what the compressor hands on differs from what it was given
        codec = type(get_codec("zstd"))
        real = codec.compressor
        monkeypatch.setattr(codec, "compressor", lambda self, out: real(self, _Flipping(out, 40)))
        expected = "does not read back"
    else:  # the store keeps other bytes than it was given
        storage = mgr.ctx.storage
        real_open = storage.open_write

        @contextmanager
        def flipping_open(name: str) -> Iterator[Any]:
            with real_open(name) as f:
                yield _Flipping(f, 100)

        monkeypatch.setattr(storage, "open_write", flipping_open)
        expected = "does not match what was written"
    with pytest.raises(IntegrityError, match=expected):
        mgr.create_backup()
    assert listed(tmp_path / "b") == []
    assert not [f for f in files_in(tmp_path / "b") if "backup_" in f]
