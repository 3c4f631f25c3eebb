"""The seed's BackupOptions and RestoreOptions, plus this project's additions."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from ..archive.compression import CODEC_NAMES
from ..errors import InvalidInput
from ..ids import validate_backup_id

CONFLICT_STRATEGIES = ("replace", "merge", "skip", "fail")


@dataclass(frozen=True)
class BackupOptions:
    include_user_data: bool = True
    include_sessions: bool = False
    compress: bool = True
    compression: str = "zstd"
    encrypt: bool = False
    tables: list[str] | None = None
    kind: str = "manual"  # manual | emergency | import
    anonymize: bool = False

    def __post_init__(self) -> None:
        if self.compression not in CODEC_NAMES:
            raise InvalidInput(
                f"unknown compression {self.compression!r}: choose one of {', '.join(CODEC_NAMES)}"
            )

    @property
    def codec_name(self) -> str:
        return self.compression if self.compress else "none"

    def to_json(self) -> dict[str, Any]:
        return {
            "includeUserData": self.include_user_data,
            "includeSessions": self.include_sessions,
            "compress": self.compress,
            "compression": self.codec_name,
            "encrypt": self.encrypt,
            "tables": self.tables,
            "anonymize": self.anonymize,
        }


@dataclass(frozen=True)
class RestoreOptions:
    backup_id: str | None = None
    dry_run: bool = False
    skip_user_data: bool = False
    skip_sessions: bool = False
    tables: list[str] | None = field(default=None)
    conflict: str = "replace"  # replace | merge | skip | fail
    create_missing: bool = False
    emergency_backup: bool = True
    allow_anonymized: bool = False  # an anonymized backup into a production database
    at: dt.datetime | None = None  # point in time instead of backup_id

    def __post_init__(self) -> None:
        if (self.backup_id is None) == (self.at is None):
            raise InvalidInput("give a backup ID or a point in time (at), exactly one of them")
        if self.backup_id is not None:
            validate_backup_id(self.backup_id)
        if self.conflict not in CONFLICT_STRATEGIES:
            raise InvalidInput(
                f"unknown conflict strategy {self.conflict!r}: "
                f"choose one of {', '.join(CONFLICT_STRATEGIES)}"
            )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat() if self.at else None
        return data
