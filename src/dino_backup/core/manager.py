"""BackupManager: the library API. The CLI, the HTTP API and the scheduler all call these
methods and get the seed's result shapes back (dicts with the seed's JSON keys)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..settings import Settings
from ..storage.local import LocalStorage
from .context import Context, ProgressFn, no_progress
from .create import BackupCreator
from .legacy_import import import_legacy
from .lock import exclusive
from .options import BackupOptions, RestoreOptions
from .point_in_time import pick_backup
from .restore import Restorer
from .retention import expired, orphan_files
from .verify import verify_backup, verify_catalog

log = logging.getLogger(__name__)


class BackupManager:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> BackupManager:
        return cls(Context.from_settings(settings or Settings.from_env()))

    # -- the seed's methods ----------------------------------------------------
    def create_backup(
        self, options: BackupOptions | None = None, progress: ProgressFn = no_progress
    ) -> dict[str, Any]:
        options = options or BackupOptions()
        with exclusive(self.ctx.lock_path, "backup", self.ctx.engine):
            meta = BackupCreator(self.ctx, progress).run(options)
        log.info("backup %s created (%d bytes)", meta["id"], meta["size"])
        rows = sum(meta["recordCounts"].values())
        return {
            "success": True,
            "backupId": meta["id"],
            "message": f"Backup {meta['id']} created: {rows} records in {len(meta['tables'])} "
            "tables",
            "warnings": meta["warnings"],
            "metadata": meta,
        }

    def list_backups(self) -> dict[str, Any]:
        return {"success": True, "backups": self.ctx.catalog.all()}

    def get_backup_stats(self) -> dict[str, Any]:
        backups = self.ctx.catalog.all()
        total = sum(b["size"] for b in backups)
        return {
            "success": True,
            "stats": {
                "totalBackups": len(backups),
                "totalSize": total,
                "latestBackup": backups[0]["timestamp"] if backups else None,
                "oldestBackup": backups[-1]["timestamp"] if backups else None,
                "averageSize": round(total / len(backups)) if backups else 0,
            },
        }

    def get_backup(self, backup_id: str) -> dict[str, Any]:
        return {"success": True, "backup": self.ctx.catalog.load(backup_id)}

    def verify_backup(self, backup_id: str) -> dict[str, Any]:
        return verify_backup(self.ctx, backup_id)

    def verify_all_backups(self) -> dict[str, Any]:
        """Every listed backup, plus those whose metadata cannot be read (as failures)."""
        results = verify_catalog(self.ctx, *self.ctx.catalog.scan())
        bad = [r for r in results if not r["success"]]
        return {
            "success": not bad,
            "results": results,
            "message": f"{len(results) - len(bad)} of {len(results)} backups verified",
        }

    def delete_backup(self, backup_id: str) -> dict[str, Any]:
        meta = self.ctx.catalog.load(backup_id)
        with exclusive(self.ctx.lock_path, "delete"):
            left = self.ctx.catalog.remove(meta)
        message = f"Backup {backup_id} deleted"
        if left:
            message += f" (files left behind: {'; '.join(left)})"
        return {"success": True, "message": message}

    def restore_from_backup(
        self, options: RestoreOptions, progress: ProgressFn = no_progress
    ) -> dict[str, Any]:
        with exclusive(self.ctx.lock_path, "restore", self.ctx.engine):
            warnings: list[str] = []
            if options.at is not None:
                backup_id, warnings = pick_backup(self.ctx, options.at)
                options = replace(options, backup_id=backup_id, at=None)
            result = Restorer(self.ctx, progress).run(options)
        result["warnings"] = warnings + result["warnings"]
        return result

    def import_legacy(self, path: Path, progress: ProgressFn = no_progress) -> dict[str, Any]:
        """Store a TypeScript-system backup file as a native backup."""
        with exclusive(self.ctx.lock_path, "import", self.ctx.engine):
            meta = import_legacy(self.ctx, path, progress)
        return {
            "success": True,
            "backupId": meta["id"],
            "message": f"Imported {path.name} as {meta['id']}: "
            f"{sum(meta['recordCounts'].values())} records in {len(meta['tables'])} tables",
            "warnings": meta["warnings"],
            "metadata": meta,
        }

    def cleanup_old_backups(self, now: dt.datetime | None = None) -> dict[str, Any]:
        now = now or dt.datetime.now(dt.UTC)
        days = self.ctx.settings.retention_days
        with exclusive(self.ctx.lock_path, "cleanup"):
            old = expired(self.ctx.catalog.all(), days, now)
            for meta in old:
                self.ctx.catalog.remove(meta)
            leftovers = orphan_files(self.ctx)
            for name in leftovers:
                self.ctx.storage.delete(name)
            if isinstance(self.ctx.storage, LocalStorage):
                self.ctx.storage.remove_stale_temporaries()
        return {
            "success": True,
            "deleted": [m["id"] for m in old],
            "orphansRemoved": leftovers,
            "message": f"{len(old)} backup(s) older than {days} days deleted",
        }

    def perform_health_check(self, now: dt.datetime | None = None) -> dict[str, Any]:
        from .health import health_check

        return health_check(self.ctx, now or dt.datetime.now(dt.UTC))
