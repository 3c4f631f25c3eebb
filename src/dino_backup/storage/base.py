"""The storage interface every backend implements; names are relative, '/'-separated."""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from typing import BinaryIO


class Storage(ABC):
    @abstractmethod
    def open_write(self, name: str) -> AbstractContextManager[BinaryIO]:
        """A writable stream that becomes `name` atomically when the block exits cleanly.

        On an exception nothing named `name` appears and partial bytes are removed.
        """

    @abstractmethod
    def open_read(self, name: str) -> BinaryIO:
        """A seekable binary stream; raises NotFound when absent."""

    @abstractmethod
    def size(self, name: str) -> int: ...

    @abstractmethod
    def exists(self, name: str) -> bool: ...

    @abstractmethod
    def delete(self, name: str) -> bool:
        """Remove `name`; returns False if it was not there."""

    @abstractmethod
    def list(self, prefix: str) -> list[str]:
        """Names directly under the folder `prefix` ('' for the top)."""

    @abstractmethod
    def free_space(self) -> int | None:
        """Bytes available for new archives, or None when unknown/unbounded."""

    def write_bytes(self, name: str, data: bytes) -> None:
        with self.open_write(name) as f:
            f.write(data)

    def read_bytes(self, name: str) -> bytes:
        with self.open_read(name) as f:
            return f.read()

    @property
    def description(self) -> str:
        return type(self).__name__
