"""`restore --at T`: the newest backup taken at or before T that passes verification."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..errors import BackupError, InvalidInput, NotFound
from .context import Context
from .verify import verify_backup


def parse_instant(text: str) -> dt.datetime:
    """ISO 8601; a value without a zone is taken as UTC."""
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"a point in time must be ISO 8601, such as 2026-11-20T10:00:00Z; got {text[:40]!r}"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _taken(meta: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(meta["timestamp"].replace("Z", "+00:00"))


def _state_of_the_database(meta: dict[str, Any]) -> bool:
    """Emergency backups (a few tables) and anonymized copies are not what it held."""
    return meta.get("kind") != "emergency" and not meta.get("anonymized")


def pick_backup(ctx: Context, at: dt.datetime) -> tuple[str, list[str]]:
    """(backup id, warnings naming newer candidates that failed verification)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)  # as parse_instant reads a time without a zone
    warnings = []
    candidates = [m for m in ctx.catalog.all() if _taken(m) <= at and _state_of_the_database(m)]
    for meta in candidates:  # newest first
        try:
            verify_backup(ctx, meta["id"])
        except BackupError as exc:
            warnings.append(f"skipped {meta['id']}: {exc}")
            continue
        return meta["id"], warnings
    raise NotFound(f"no verified backup taken at or before {at.isoformat()}")
