"""Codecs: each archive section is one independent zstd frame / gzip member / plain run.

Concatenated frames are what `zstd -dc` and `gzip -dc` read as one stream, so an
unencrypted archive decompresses with standard tools into JSON Lines. Each codec also
writes the fixed-size trailer that points at the manifest, in a form those tools skip
(a zstd skippable frame, an empty gzip member with an extra field, a JSON line).
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO, Protocol, cast

import zstandard

from ..errors import IntegrityError, InvalidInput

TRAILER_MAGIC = b"DINOBKT1"
_PAYLOAD = struct.Struct(">8sQQ")  # magic, manifest offset, manifest length


class Compressor(Protocol):
    def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...


class Codec:
    name = "none"
    extension = "jsonl"
    trailer_size = 0

    def locate_manifest(self, data: bytes) -> tuple[int, int]:
        """(offset, length) of the manifest from the trailer, which must be exactly as written.

        Comparing every byte (not just the fields that are read) means no bit of the
        trailer can be corrupted unnoticed, including those standard tools would skip.
        """
        offset, length = self.parse_trailer(data)
        if self.trailer(offset, length) != data:
            raise IntegrityError("archive trailer is corrupted")
        return offset, length

    def compressor(self, out: BinaryIO) -> Compressor:
        return _Passthrough(out)

    def decompress(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        yield from chunks

    def trailer(self, offset: int, length: int) -> bytes:
        raise NotImplementedError

    def parse_trailer(self, data: bytes) -> tuple[int, int]:
        raise NotImplementedError


class _Passthrough:
    def __init__(self, out: BinaryIO) -> None:
        self._out = out

    def write(self, data: bytes) -> None:
        self._out.write(data)

    def close(self) -> None:
        pass


def _unpack(payload: bytes) -> tuple[int, int]:
    magic, offset, length = _PAYLOAD.unpack(payload)
    if magic != TRAILER_MAGIC:
        raise IntegrityError("archive trailer missing: not a dino-backup archive, or truncated")
    return offset, length


_WRITE_SIZE = 4 << 20  # compressed bytes a zstd writer gathers before writing them
OUTPUT_BLOCK = 1 << 20  # decompressed bytes handed out at a time: memory stays bounded
_READ_SIZE = 1 << 18  # compressed bytes zstd asks for at a time


def _broken(exc: Exception) -> IntegrityError:
    return IntegrityError(f"archive section does not decompress: {exc}")


class _ChunkFile(io.RawIOBase):
    """A readable file over an iterator of byte chunks (what zstd's stream reader wants)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = memoryview(b"")  # a view: handing out a part copies nothing else

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, b"")
            if not chunk:
                return 0
            self._pending = memoryview(chunk)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


class PlainCodec(Codec):
    """No compression; the trailer is a fixed-width JSON line."""

    _LINE = '{{"dino_backup_trailer": [{:>20}, {:>20}]}}\n'
    trailer_size = len(_LINE.format(0, 0))
    _PARSE = re.compile(rb'\A\{"dino_backup_trailer": \[ *([0-9]+), *([0-9]+)\]\}\n\Z')

    def trailer(self, offset: int, length: int) -> bytes:
        return self._LINE.format(offset, length).encode()

    def parse_trailer(self, data: bytes) -> tuple[int, int]:
        m = self._PARSE.match(data)
        if not m:
            raise IntegrityError("archive trailer missing: not a dino-backup archive, or truncated")
        return int(m.group(1)), int(m.group(2))


class ZstdCodec(Codec):
    name = "zstd"
    extension = "jsonl.zst"
    trailer_size = 8 + _PAYLOAD.size
    _SKIPPABLE = 0x184D2A5D

    # Level 1: on DINO's data 1.5% larger than level 3 for 30% less CPU, and compression is
    # what a backup's second thread spends its time on.
    def __init__(self, level: int = 1) -> None:
        # Frame checksums: a flipped bit in compressed data fails decompression itself.
        self._cctx = zstandard.ZstdCompressor(level=level, write_checksum=True)

    def compressor(self, out: BinaryIO) -> Compressor:
        # A large output buffer: each flush into `out` costs the writer thread the GIL.
        writer = self._cctx.stream_writer(out, write_size=_WRITE_SIZE, closefd=False)
        return writer  # type: ignore[return-value]

    def decompress(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        # A stream reader hands out at most OUTPUT_BLOCK bytes per read, however well the
        # data compressed. A frame cut short ends early: the section's SHA-256 catches it.
        reader = zstandard.ZstdDecompressor().stream_reader(
            cast(BinaryIO, _ChunkFile(chunks)), read_size=_READ_SIZE, read_across_frames=False
        )
        try:
            while block := reader.read(OUTPUT_BLOCK):
                yield block
        except zstandard.ZstdError as exc:
            raise _broken(exc) from None

    def trailer(self, offset: int, length: int) -> bytes:
        payload = _PAYLOAD.pack(TRAILER_MAGIC, offset, length)
        return struct.pack("<II", self._SKIPPABLE, len(payload)) + payload

    def parse_trailer(self, data: bytes) -> tuple[int, int]:
        magic, size = struct.unpack("<II", data[:8])
        if magic != self._SKIPPABLE or size != _PAYLOAD.size:
            raise IntegrityError("archive trailer missing: not a dino-backup archive, or truncated")
        return _unpack(data[8:])


class _ZlibWriter:
    def __init__(self, out: BinaryIO, level: int) -> None:
        self._out = out
        self._cobj = zlib.compressobj(level, zlib.DEFLATED, 31)

    def write(self, data: bytes) -> None:
        self._out.write(self._cobj.compress(data))

    def close(self) -> None:
        self._out.write(self._cobj.flush())


class GzipCodec(Codec):
    name = "gzip"
    extension = "jsonl.gz"
    # header(10) + XLEN(2) + subfield id/len(4) + payload + empty deflate(2) + CRC/ISIZE(8)
    trailer_size = 10 + 2 + 4 + _PAYLOAD.size + 2 + 8
    _HEADER = b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff"

    def __init__(self, level: int = 6) -> None:
        self._level = level

    def compressor(self, out: BinaryIO) -> Compressor:
        return _ZlibWriter(out, self._level)

    def decompress(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        dobj = zlib.decompressobj(31)
        try:
            for chunk in chunks:
                while chunk:
                    yield dobj.decompress(chunk, OUTPUT_BLOCK)
                    chunk = dobj.unconsumed_tail
        except zlib.error as exc:
            raise _broken(exc) from None
        if not dobj.eof:
            raise IntegrityError("archive section is truncated")

    def trailer(self, offset: int, length: int) -> bytes:
        payload = _PAYLOAD.pack(TRAILER_MAGIC, offset, length)
        extra = b"DB" + struct.pack("<H", len(payload)) + payload
        return self._HEADER + struct.pack("<H", len(extra)) + extra + b"\x03\x00" + bytes(8)

    def parse_trailer(self, data: bytes) -> tuple[int, int]:
        # header(10), XLEN(2), then the subfield: id "DB"(2), length(2), payload
        if not data.startswith(self._HEADER) or data[12:14] != b"DB":
            raise IntegrityError("archive trailer missing: not a dino-backup archive, or truncated")
        return _unpack(data[16 : 16 + _PAYLOAD.size])


CODEC_NAMES = ("zstd", "gzip", "none")


def get_codec(name: str) -> Codec:
    if name == "zstd":
        return ZstdCodec()
    if name == "gzip":
        return GzipCodec()
    if name == "none":
        return PlainCodec()
    raise InvalidInput(f"unknown compression {name!r}: choose one of {', '.join(CODEC_NAMES)}")


def sniff_codec(head: bytes) -> Codec:
    """Recognise the codec from the first bytes of the (decrypted) archive."""
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return ZstdCodec()
    if head.startswith(b"\x1f\x8b"):
        return GzipCodec()
    if head.startswith(b'{"dino_backup"'):
        return PlainCodec()
    raise IntegrityError("not a dino-backup archive (unknown leading bytes)")
