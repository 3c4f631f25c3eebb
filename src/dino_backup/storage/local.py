"""Local disk: temporary name, fsync, rename; files 0600 and folders 0700."""

from __future__ import annotations

import errno
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from ..errors import BackupError, InvalidInput, NotFound, StorageFull
from .base import Storage

TMP_PREFIX = ".tmp-"


class LocalStorage(Storage):
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def description(self) -> str:
        return str(self.root)

    def _path(self, name: str) -> Path:
        parts = name.split("/")
        if not name or any(p in ("", ".", "..") or "\0" in p for p in parts):
            raise InvalidInput(f"invalid storage name {name[:60]!r}")
        return self.root.joinpath(*parts)

    def _ensure_dir(self, path: Path) -> None:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)

    @contextmanager
    def open_write(self, name: str) -> Iterator[BinaryIO]:
        final = self._path(name)
        tmp = final.with_name(f"{TMP_PREFIX}{secrets.token_hex(6)}-{final.name}")
        try:
            self._ensure_dir(final.parent)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise self._error(exc, name) from None
        try:
            with os.fdopen(fd, "wb", buffering=1 << 20) as f:
                yield f
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, final)
            self._fsync_dir(final.parent)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise self._error(exc, name) from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def _error(self, exc: OSError, name: str) -> BackupError:
        """An OSError as an engine error: one line, no traceback."""
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return StorageFull(f"no space left in {self.root} while writing {name}")
        return BackupError(f"cannot write {name} in {self.root}: {exc.strerror or exc}")

    @staticmethod
    def _fsync_dir(path: Path) -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def open_read(self, name: str) -> BinaryIO:
        try:
            return open(self._path(name), "rb")  # noqa: SIM115 - caller closes
        except FileNotFoundError:
            raise NotFound(f"{name} not found in {self.root}") from None
        except OSError as exc:
            raise BackupError(f"cannot read {name} in {self.root}: {exc.strerror}") from None

    def size(self, name: str) -> int:
        try:
            return self._path(name).stat().st_size
        except FileNotFoundError:
            raise NotFound(f"{name} not found in {self.root}") from None
        except OSError as exc:
            raise BackupError(f"cannot read {name} in {self.root}: {exc.strerror}") from None

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def delete(self, name: str) -> bool:
        try:
            self._path(name).unlink()
            return True
        except FileNotFoundError:
            return False

    def list(self, prefix: str) -> list[str]:
        folder = self._path(prefix) if prefix else self.root
        if not folder.is_dir():
            return []
        base = f"{prefix}/" if prefix else ""
        return sorted(
            base + p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
        )

    def free_space(self) -> int | None:
        probe = self.root
        while not probe.exists():
            probe = probe.parent
        return shutil.disk_usage(probe).free

    def remove_stale_temporaries(self) -> int:
        """Delete leftovers of writes that crashed (named .tmp-*)."""
        removed = 0
        for folder in (self.root, self.root / "metadata", self.root / "checksums"):
            if folder.is_dir():
                for p in folder.glob(f"{TMP_PREFIX}*"):
                    p.unlink(missing_ok=True)
                    removed += 1
        return removed
