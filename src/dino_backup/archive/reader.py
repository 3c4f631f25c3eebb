"""Archive reader with per-table random access; decrypts transparently when keyed."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

import orjson

from ..errors import IntegrityError, NotFound, WrongKey
from . import crypto
from .compression import Codec, sniff_codec
from .pgcopy import ENCODING, LineDecoder
from .pipeline import SerialWorker
from .readback import Tally
from .values import decode_row
from .writer import FORMAT_VERSION, MANIFEST_PREFIX

_MANIFEST_END = re.compile(rb',"sha256":"([0-9a-f]{64})"\}\n\Z')
_HEX64 = re.compile(r"\A[0-9a-f]{64}\Z")

_READ = 1 << 20
_SNIFF = 16  # enough for every codec's leading bytes (b'{"dino_backup"' is 14)


class ArchiveReader:
    """Reads a plaintext (decrypted) archive stream of known size."""

    def __init__(self, f: BinaryIO, size: int) -> None:
        self._f = f
        self.size = size
        self._f.seek(0)
        self.codec: Codec = sniff_codec(self._f.read(_SNIFF))
        self.manifest = self._read_manifest()
        self.tables: dict[str, dict[str, Any]] = {t["name"]: t for t in self.manifest["tables"]}

    # -- low level -------------------------------------------------------------
    def _chunks(self, offset: int, length: int) -> Iterator[bytes]:
        if offset < 0 or length < 0 or offset + length > self.size:
            raise IntegrityError("archive section lies outside the file (truncated or corrupt)")
        self._f.seek(offset)
        remaining = length
        while remaining:
            chunk = self._f.read(min(_READ, remaining))
            if not chunk:
                raise IntegrityError("archive is truncated")
            remaining -= len(chunk)
            yield chunk

    def _section_bytes(self, offset: int, length: int) -> Iterator[bytes]:
        return self.codec.decompress(self._chunks(offset, length))

    def _section_data(self, offset: int, length: int) -> bytes:
        return b"".join(self._section_bytes(offset, length))

    def _read_manifest(self) -> dict[str, Any]:
        size = self.codec.trailer_size
        if self.size < size:
            raise IntegrityError("archive is truncated")
        self._f.seek(self.size - size)
        offset, length = self.codec.locate_manifest(self._f.read(size))
        if offset + length != self.size - size:
            raise IntegrityError("archive trailer does not match the manifest position")
        manifest = _parse_manifest(self._section_data(offset, length))
        if manifest.get("format") != FORMAT_VERSION:
            raise IntegrityError(f"unsupported archive format version {manifest.get('format')!r}")
        _check_manifest_shape(manifest)
        self.manifest_offset = offset
        return manifest

    # -- tables ----------------------------------------------------------------
    def table_entry(self, name: str) -> dict[str, Any]:
        try:
            return self.tables[name]
        except KeyError:
            raise NotFound(f"table {name!r} is not in this backup") from None

    def iter_blocks(
        self, name: str, rows_read: Callable[[int], None] | None = None
    ) -> Iterator[bytes]:
        """Row lines of one table, in blocks of whole lines (each ends with a newline);
        the count and SHA-256 are checked when exhausted. `rows_read` hears the running
        count after each block."""
        entry = self.table_entry(name)
        sha = hashlib.sha256()
        rows = 0
        pending = b""
        first = True
        for block in self._section_bytes(entry["offset"], entry["length"]):
            sha.update(block)
            data = pending + block
            end = data.rfind(b"\n") + 1
            data, pending = data[:end], data[end:]
            if first and data:
                head, _, data = data.partition(b"\n")
                self._check_table_header(head, name)
                first = False
            if data:
                rows += data.count(b"\n")
                yield data
                if rows_read is not None:
                    rows_read(rows)
        if pending or first:
            raise IntegrityError(f"table {name!r}: section ends mid-line")
        self._check_digest(name, entry, sha.hexdigest(), rows)

    def iter_lines(self, name: str) -> Iterator[bytes]:
        """Row lines of one table (without their newline), checked as iter_blocks."""
        for block in self.iter_blocks(name):
            lines = block.split(b"\n")
            lines.pop()  # empty: the block ends with a newline
            yield from lines

    def encoding(self, name: str) -> str:
        """How the table's rows are written: "json" (JSON Lines) or "pgcopy" (COPY text)."""
        encoding = self.table_entry(name).get("encoding", "json")
        if encoding not in ("json", ENCODING):
            raise IntegrityError(f"table {name!r}: unknown row encoding {encoding!r}")
        return str(encoding)

    def _check_table_header(self, line: bytes, name: str) -> None:
        try:
            head = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise IntegrityError(f"table {name!r}: section header is not JSON") from None
        if not isinstance(head, dict) or head.get("table") != name:
            raise IntegrityError(f"table {name!r}: section belongs to another table")

    @staticmethod
    def _check_digest(name: str, entry: dict[str, Any], digest: str, rows: int) -> None:
        if digest != entry["sha256"]:
            raise IntegrityError(f"table {name!r}: SHA-256 mismatch (archive corrupted)")
        if rows != entry["rows"]:
            raise IntegrityError(
                f"table {name!r}: {rows} rows found, manifest says {entry['rows']}"
            )

    def iter_batches(self, name: str, batch_size: int = 5000) -> Iterator[list[list[Any]]]:
        decode: Callable[[bytes], list[Any]] = decode_row
        if self.encoding(name) == ENCODING:
            decode = LineDecoder(self.table_entry(name).get("kinds") or [])
        batch: list[list[Any]] = []
        for line in self.iter_lines(name):
            batch.append(decode(line))
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def verify(self, sections: bool = True) -> dict[str, int]:
        """Read every section: layout, per-table SHA-256 and counts. Returns rows per table.
        sections=False checks the layout and the header only (the tables' sections are then
        checked as they are read: iter_blocks)."""
        self._check_layout()
        if not sections:
            return {name: int(entry["rows"]) for name, entry in self.tables.items()}
        counts: dict[str, int] = {}
        worker = SerialWorker()  # hashes and counts while this thread decompresses
        try:
            for name, entry in self.tables.items():
                tally = Tally()
                for block in self._section_bytes(entry["offset"], entry["length"]):
                    worker.submit(tally.add, block)
                worker.drain()
                rows = tally.lines - 1  # the section header line is not a row
                self._check_digest(name, entry, tally.sha.hexdigest(), rows)
                counts[name] = rows
        finally:
            worker.close()
        return counts

    def _check_layout(self) -> None:
        """Sections must tile the file exactly: nothing inserted, nothing missing."""
        position = self.manifest["header_length"]
        header = self._section_data(0, position)
        if hashlib.sha256(header).hexdigest() != self.manifest["header_sha256"]:
            raise IntegrityError("archive header section is corrupted (SHA-256 mismatch)")
        for entry in self.manifest["tables"]:
            if entry["offset"] != position:
                raise IntegrityError(f"table {entry['name']!r}: section is not where expected")
            position += entry["length"]
        if position != self.manifest_offset:
            raise IntegrityError("archive has unexpected bytes before the manifest")


def _parse_manifest(data: bytes) -> dict[str, Any]:
    """The manifest line, after checking the SHA-256 over its exact bytes."""
    end = _MANIFEST_END.search(data)
    if not data.startswith(MANIFEST_PREFIX) or end is None:
        raise IntegrityError("archive manifest section is malformed")
    body = data[len(MANIFEST_PREFIX) : end.start()]
    if hashlib.sha256(body).hexdigest().encode() != end.group(1):
        raise IntegrityError("archive manifest is corrupted (SHA-256 mismatch)")
    try:
        manifest = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise IntegrityError("archive manifest section is not valid JSON") from None
    if not isinstance(manifest, dict):
        raise IntegrityError("archive manifest section is malformed")
    return manifest


def _is_count(value: Any) -> bool:
    return type(value) is int and value >= 0


def _check_manifest_shape(manifest: dict[str, Any]) -> None:
    """Types of the fields the reader relies on, so a bad archive never raises KeyError."""
    tables = manifest.get("tables")
    ok = (
        _is_count(manifest.get("header_length"))
        and isinstance(manifest.get("header_sha256"), str)
        and isinstance(tables, list)
    )
    for entry in tables if ok and isinstance(tables, list) else []:
        ok = ok and (
            isinstance(entry, dict)
            and isinstance(entry.get("name"), str)
            and all(_is_count(entry.get(k)) for k in ("offset", "length", "rows"))
            and isinstance(entry.get("sha256"), str)
            and bool(_HEX64.match(entry["sha256"]))
            and isinstance(entry.get("schema"), dict)
        )
    if not ok:
        raise IntegrityError("archive manifest lacks required fields")


def open_archive(f: BinaryIO, size: int, key: bytes | None) -> ArchiveReader:
    """Open a raw archive file (encrypted or not) for reading."""
    f.seek(0)
    head = f.read(len(crypto.MAGIC))
    if crypto.is_encrypted(head):
        if key is None:
            raise WrongKey("archive is encrypted: set BACKUP_ENCRYPTION_KEY or _KEY_FILE")
        plain = crypto.DecryptingReader(f, key)
        return ArchiveReader(plain, plain.size)  # type: ignore[arg-type]
    return ArchiveReader(f, size)
