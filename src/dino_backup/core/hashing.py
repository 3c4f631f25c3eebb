"""Streams that hash what passes through them (whole-file SHA-256 in one pass)."""

from __future__ import annotations

import hashlib
from typing import BinaryIO

_READ = 1 << 20


class HashingWriter:
    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self._out.write(data)

    def flush(self) -> None:
        self._out.flush()


def file_sha256(f: BinaryIO) -> str:
    f.seek(0)
    sha = hashlib.sha256()
    while chunk := f.read(_READ):
        sha.update(chunk)
    return sha.hexdigest()
