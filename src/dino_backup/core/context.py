"""Everything an operation needs, built once from Settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import sqlalchemy as sa

from ..archive import crypto
from ..dialects import Dialect, create_engine, dialect_for
from ..errors import InvalidInput
from ..settings import Settings
from ..storage import LocalStorage, Storage
from .catalog import Catalog
from .selection import TableGroups

# (table, rows done in that table, rows in that table): called as work advances.
ProgressFn = Callable[[str, int, int], None]


def no_progress(table: str, done: int, total: int) -> None:
    pass


def utc_iso(ms: int) -> str:
    stamp = dt.datetime.fromtimestamp(ms / 1000, dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


@dataclass
class Context:
    settings: Settings
    storage: Storage
    groups: TableGroups = field(default_factory=TableGroups)

    @classmethod
    def from_settings(cls, settings: Settings) -> Context:
        return cls(settings, LocalStorage(settings.backup_dir), TableGroups.from_settings(settings))

    @cached_property
    def engine(self) -> sa.Engine:
        return create_engine(self.settings.database_url)

    @cached_property
    def dialect(self) -> Dialect:
        return dialect_for(self.engine)

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.storage)

    @cached_property
    def key(self) -> bytes | None:
        return crypto.load_key(self.settings.encryption_key, self.settings.encryption_key_file)

    def require_key(self) -> bytes:
        if self.key is None:
            raise InvalidInput("encryption needs a key: set BACKUP_ENCRYPTION_KEY or _KEY_FILE")
        return self.key

    @property
    def lock_path(self) -> Path:
        return self.settings.backup_dir / ".lock"
