"""Import a backup written by the original TypeScript system (the seed's saveBackupData).

That file is one JSON document, `{"data": {"users": [...], "countryVisits": [...],
"sessions": [...], "accounts": [...]}, "metadata": {...}}`, pretty-printed, optionally
gzipped, with Prisma field names and ISO date strings. The TypeScript system built it in
memory, so it is loaded whole here too. Its rows are put into a temporary SQLite DINO
database and backed up from there by the normal path: the result is an ordinary native
backup (verified, checksummed, restorable into any engine) that keeps the original ID and
timestamp where they are valid.
"""

from __future__ import annotations

import gzip
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from ..errors import InvalidInput
from ..ids import ID_PATTERN, new_backup_id
from ..schema.dino import create_schema
from ..schema.dino import metadata as dino_metadata
from .context import Context, ProgressFn, no_progress
from .create import BackupCreator
from .options import BackupOptions

# The seed's data keys -> DINO tables.
LEGACY_TABLES = {
    "users": "User",
    "countryVisits": "CountryVisit",
    "sessions": "Session",
    "accounts": "Account",
    "verificationTokens": "VerificationToken",
}
_BATCH = 5000


def read_legacy_file(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    try:
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        doc = orjson.loads(raw)
    except (OSError, EOFError, orjson.JSONDecodeError) as exc:
        raise InvalidInput(f"{path.name} is not a (gzipped) JSON backup: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), dict):
        raise InvalidInput(f"{path.name} has no 'data' object: not a DINO TypeScript backup")
    return doc


def _rows(records: list[Any], columns: list[str], dropped: set[str]) -> Iterator[tuple[Any, ...]]:
    known = set(columns)
    for record in records:
        if not isinstance(record, dict):
            raise InvalidInput("legacy records must be JSON objects")
        dropped.update(k for k in record if k not in known)
        yield tuple(_scalar(record.get(c)) for c in columns)


def _scalar(value: Any) -> Any:
    # Values are stored as the TypeScript system wrote them (ISO date strings stay text).
    return orjson.dumps(value).decode() if isinstance(value, dict | list) else value


def _load(engine: sa.Engine, data: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Insert the legacy records; returns (tables loaded, warnings)."""
    tables, warnings = [], []
    with engine.begin() as conn:
        for key, records in data.items():
            name = LEGACY_TABLES.get(key)
            if name is None or not isinstance(records, list):
                warnings.append(f"legacy data key {key!r} is not a DINO table; skipped")
                continue
            columns = list(dino_metadata.tables[name].columns.keys())
            dropped: set[str] = set()
            quoted = ", ".join(f'"{c}"' for c in columns)
            sql = f'INSERT INTO "{name}" ({quoted}) VALUES ({", ".join("?" * len(columns))})'
            rows = list(_rows(records, columns, dropped))
            for start in range(0, len(rows), _BATCH):
                conn.exec_driver_sql(sql, rows[start : start + _BATCH])
            tables.append(name)
            if dropped:
                warnings.append(
                    f"{name}: fields not in the table dropped: {', '.join(sorted(dropped))}"
                )
    return tables, warnings


def _origin_id(meta: dict[str, Any], taken: set[str]) -> str:
    legacy = meta.get("id")
    if isinstance(legacy, str) and ID_PATTERN.match(legacy) and legacy not in taken:
        return legacy
    return new_backup_id()


def import_legacy(ctx: Context, path: Path, progress: ProgressFn = no_progress) -> dict[str, Any]:
    doc = read_legacy_file(path)
    found = doc.get("metadata")
    legacy_meta: dict[str, Any] = found if isinstance(found, dict) else {}
    with tempfile.TemporaryDirectory(prefix="dino-import-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'legacy.db'}"
        engine = sa.create_engine(url)
        try:
            create_schema(engine)
            tables, warnings = _load(engine, doc["data"])
            staging = Context(replace(ctx.settings, database_url=url), ctx.storage, ctx.groups)
            backup_id = _origin_id(legacy_meta, ctx.catalog.ids())
            extra = {
                "importedFrom": {"file": path.name, "metadata": legacy_meta},
                "environment": legacy_meta.get("environment") or ctx.settings.environment,
            }
            extra["warnings"] = warnings
            options = BackupOptions(tables=tables or None, kind="import")
            meta = BackupCreator(staging, progress).run(options, backup_id, extra)
        finally:
            engine.dispose()
    return meta
