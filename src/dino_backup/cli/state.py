"""The manager the commands share, built from the environment on first use."""

from __future__ import annotations

from functools import cache

from ..core.manager import BackupManager


@cache
def manager() -> BackupManager:
    return BackupManager.from_settings()
