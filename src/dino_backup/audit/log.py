"""The audit log file: appends under an exclusive lock (several processes may write), reads
from either end, and verification of the whole chain."""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from .chain import GENESIS, ChainReport, seal, verify_lines

AUDIT_DIR = "audit"
AUDIT_FILE = "audit.jsonl"
_BLOCK = 8192


def utc_now_iso() -> str:
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def audit_log_for(backup_dir: Path) -> AuditLog:
    return AuditLog(Path(backup_dir) / AUDIT_DIR / AUDIT_FILE)


def _lines_backwards(fd: int) -> Iterator[bytes]:
    """Non-empty lines of an open file, last first, reading blocks from the end."""
    pos = os.lseek(fd, 0, os.SEEK_END)
    tail = b""
    while pos > 0:
        step = min(_BLOCK, pos)
        pos -= step
        chunk = os.pread(fd, step, pos) + tail
        parts = chunk.split(b"\n")
        tail = parts[0]
        for line in reversed(parts[1:]):
            if line.strip():
                yield line
    if tail.strip():
        yield tail


def _link_after(last: bytes | None) -> tuple[str, int]:
    """(prev, seq) for the entry that follows `last`; a damaged last line still links."""
    if last is None:
        return GENESIS, 1
    try:
        entry = orjson.loads(last)
        return str(entry["hash"]), int(entry["seq"]) + 1
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return hashlib.sha256(last).hexdigest(), 0


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Add one entry (a timestamp is added when missing); returns it as stored."""
        self._make_dirs()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            prev, seq = _link_after(next(_lines_backwards(fd), None))
            stored = seal({"ts": entry.get("ts") or utc_now_iso(), **entry}, prev, seq)
            os.write(fd, orjson.dumps(stored) + b"\n")
            os.fsync(fd)
            return stored
        finally:
            os.close(fd)  # also releases the lock

    def _make_dirs(self) -> None:
        # mkdir(parents=True) ignores `mode` for the parents: create each level ourselves.
        missing = [p for p in (self.path.parent, *self.path.parent.parents) if not p.exists()]
        for folder in reversed(missing):
            folder.mkdir(mode=0o700, exist_ok=True)

    def newest_first(self) -> Iterator[dict[str, Any]]:
        """Entries from the end of the file; lines that do not parse are skipped."""
        if not self.path.exists():
            return
        fd = os.open(self.path, os.O_RDONLY)
        try:
            for line in _lines_backwards(fd):
                try:
                    entry = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                if isinstance(entry, dict):
                    yield entry
        finally:
            os.close(fd)

    def tail(self, count: int) -> list[dict[str, Any]]:
        """The last `count` entries, oldest first."""
        found: list[dict[str, Any]] = []
        for entry in self.newest_first():
            if len(found) >= count:
                break
            found.append(entry)
        return found[::-1]

    def verify(self) -> ChainReport:
        if not self.path.exists():
            return verify_lines([])
        with open(self.path, "rb") as f:
            return verify_lines(line.rstrip(b"\n") for line in f if line.strip())

    def refused_since(self, since: dt.datetime, statuses: tuple[int, ...] = (401, 403)) -> int:
        """How many requests were refused with these statuses since `since` (UTC)."""
        cutoff = since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        count = 0
        for entry in self.newest_first():
            if str(entry.get("ts", "")) < cutoff:
                break
            if entry.get("status") in statuses:
                count += 1
        return count
