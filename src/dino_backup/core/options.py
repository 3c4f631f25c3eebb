"""The seed's BackupOptions and RestoreOptions, plus this project's additions."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..archive.compression import CODEC_NAMES
from ..errors import InvalidInput
from ..ids import validate_backup_id


@dataclass(frozen=True)
class BackupOptions:
    include_user_data: bool = True
    include_sessions: bool = False
    compress: bool = True
    compression: str = "zstd"
    encrypt: bool = False
    tables: list[str] | None = None
    kind: str = "manual"  # manual | emergency | import

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
        }


@dataclass(frozen=True)
class RestoreOptions:
    backup_id: str
    dry_run: bool = False
    skip_user_data: bool = False
    skip_sessions: bool = False
    tables: list[str] | None = field(default=None)

    def __post_init__(self) -> None:
        validate_backup_id(self.backup_id)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items()}
