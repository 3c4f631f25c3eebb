"""Request and response bodies: the seed's JSON shapes (camelCase), plus this project's extras."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.json_schema import SkipJsonSchema

# The engine's ID pattern (ids.ID_PATTERN) in a form JSON Schema and pydantic both read.
BACKUP_ID_REGEX = r"^backup_[0-9]{13}_[0-9a-z]{9}$"
BackupId = Annotated[str, StringConstraints(pattern=BACKUP_ID_REGEX, max_length=32)]
TableName = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f]+$")
]
TableList = Annotated[list[TableName], Field(max_length=256)]
Instant = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    Field(json_schema_extra={"format": "date-time"}),
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow")


def _opt(default: Any, description: str) -> Any:
    return Field(default=default, description=description)


class CreateBackupRequest(_Request):
    includeUserData: bool = _opt(True, "Include user travel data (CountryVisit).")
    includeSessions: bool = _opt(False, "Include sessions, accounts and tokens.")
    compress: bool = _opt(True, "Compress the archive.")
    compression: Literal["zstd", "gzip", "none"] = _opt("zstd", "Codec when compressing.")
    encrypt: bool = _opt(False, "AES-256-GCM with the server's BACKUP_ENCRYPTION_KEY.")
    tables: TableList | None = _opt(None, "Exactly these tables (overrides the groups).")
    anonymize: bool = _opt(False, "Hash emails, clear names, leave out token tables.")


class RestoreRequest(_Request):
    # Exactly one of the two (documented for clients and generated tests; the engine checks).
    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["backupId"]}, {"required": ["at"]}]}
    )
    backupId: BackupId | SkipJsonSchema[None] = _opt(None, "The backup to restore; or `at`.")
    at: Instant | SkipJsonSchema[None] = _opt(
        None,
        "Instead of backupId: restore the newest verified backup taken at or before this "
        "time (ISO 8601; UTC when no zone is given).",
    )
    dryRun: bool = _opt(False, "Check and report; change nothing.")
    skipUserData: bool = _opt(False, "Leave user travel data as it is.")
    skipSessions: bool = _opt(False, "Leave sessions, accounts and tokens as they are.")
    tables: TableList | None = _opt(None, "Only these tables from the backup.")
    conflict: Literal["replace", "merge", "skip", "fail"] = _opt(
        "replace", "What happens to rows that exist in both (see the README)."
    )
    createMissing: bool = _opt(False, "Create tables the database lacks.")
    emergencyBackup: bool = _opt(True, "Back up the tables about to change first.")
    allowAnonymized: bool = _opt(False, "Allow an anonymized backup into production.")


class ErrorResponse(BaseModel):
    success: Literal[False] = False
    error: str


class BackupMetadata(_Response):
    id: str
    timestamp: str
    version: str
    tables: list[str]
    recordCounts: dict[str, int]
    size: int
    checksum: str
    environment: str


class BackupListResponse(_Response):
    success: bool
    backups: list[BackupMetadata]


class BackupStats(_Response):
    totalBackups: int
    totalSize: int
    latestBackup: str | None
    oldestBackup: str | None
    averageSize: int


class StatsResponse(_Response):
    success: bool
    stats: BackupStats


class CreateBackupResponse(_Response):
    success: bool
    backupId: str
    message: str
    warnings: list[str] = []


class MessageResponse(_Response):
    success: bool
    message: str


class RestoreResponse(_Response):
    success: bool
    restoredTables: list[str]
    recordCounts: dict[str, int]
    warnings: list[str]
    message: str


class BackupDetailResponse(_Response):
    success: bool
    backup: BackupMetadata


class VerifyResponse(_Response):
    success: bool
    backupId: str
    valid: bool
    recordCounts: dict[str, int]
    message: str


class HealthResponse(_Response):
    success: bool
    healthy: bool
    health: dict[str, Any]
    alerts: list[str]


class CsrfResponse(BaseModel):
    success: bool
    csrfToken: str


class LivenessResponse(BaseModel):
    status: Literal["ok"] = "ok"
