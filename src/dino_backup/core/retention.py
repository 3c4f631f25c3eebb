"""Retention: the seed's cleanupOldBackups (BACKUP_RETENTION_DAYS) plus leftover removal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..ids import ID_PATTERN
from .context import Context


def expired(backups: list[dict[str, Any]], days: int, now: dt.datetime) -> list[dict[str, Any]]:
    cutoff = now - dt.timedelta(days=days)
    return [b for b in backups if _parse(b["timestamp"]) < cutoff]


def _parse(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def orphan_files(ctx: Context) -> list[str]:
    """Archives and checksum files whose backup has no metadata file (a crash between steps).

    A metadata file that exists but cannot be read still protects its archive: the archive
    is self-describing and may be all that is left of that backup.
    """
    listed = set(ctx.catalog.metadata_ids())
    orphans = []
    for name in ctx.storage.list("") + ctx.storage.list("checksums"):
        stem = name.rsplit("/", 1)[-1].split(".", 1)[0]
        if ID_PATTERN.match(stem) and stem not in listed:
            orphans.append(name)
    return orphans
