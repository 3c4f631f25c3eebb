"""Audit entries for the commands that change backups or the database (create, restore,
delete, cleanup, import), like those the API appends for its requests: who (the OS user),
what, which backup, and whether it went through, was refused or failed."""

from __future__ import annotations

import getpass
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..audit import audit_log_for
from ..settings import Settings
from .errors import exit_code, one_line, refused
from .output import err


class Trail:
    """What a command adds to its entry as it learns it."""

    def __init__(self, action: str, backup_id: str | None, detail: dict[str, Any]) -> None:
        self.entry: dict[str, Any] = {
            "action": action,
            **cli_origin(),
            "backupId": backup_id,
            **detail,
        }

    def done(self, result: dict[str, Any]) -> None:
        """The result object: its backup ID, and whether it reports success."""
        self.entry["backupId"] = result.get("backupId") or self.entry["backupId"]
        if result.get("emergencyBackupId"):
            self.entry["emergencyBackupId"] = result["emergencyBackupId"]
        if not result.get("success", False):
            self.entry["outcome"], self.entry["exitCode"] = "failed", 1
            self.entry["error"] = result.get("error") or result.get("message")


@contextmanager
def audited(action: str, backup_id: str | None = None, **detail: Any) -> Iterator[Trail]:
    """Append one entry when the block ends, however it ends (the error re-raised)."""
    trail = Trail(action, backup_id, detail)
    started = time.monotonic()
    try:
        yield trail
    except BaseException as exc:
        outcome = "refused" if refused(exc) else "failed"
        code = 130 if isinstance(exc, KeyboardInterrupt) else exit_code(exc)
        _append(trail.entry | {"outcome": outcome, "exitCode": code, "error": one_line(exc)},
                started)  # fmt: skip
        raise
    _append({"outcome": "ok", "exitCode": 0, "error": None} | trail.entry, started)


def _append(entry: dict[str, Any], started: float) -> None:
    entry["durationMs"] = int((time.monotonic() - started) * 1000)
    try:
        audit_log_for(Settings.from_env().backup_dir).append(entry)
    except OSError as exc:  # the operation itself is done; say so, do not hide it
        err.print(f"[yellow]warning:[/yellow] audit log not written: {exc.strerror}")


def cli_origin() -> dict[str, Any]:
    """Who and where, for an audit entry written by a command."""
    return {"actor": {"cli": _os_user()}, "client": "cli"}


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        return "unknown"
