"""The seed's performHealthCheck, with its alert conditions evaluated."""

from __future__ import annotations

import datetime as dt
import shutil
from typing import Any

from .context import Context
from .retention import _parse, expired
from .verify import verify_catalog

STALE_AFTER = dt.timedelta(hours=24)
STORAGE_ALERT_RATIO = 0.8


def _integrity(
    ctx: Context, backups: list[dict[str, Any]], problems: dict[str, str]
) -> dict[str, Any]:
    results = verify_catalog(ctx, backups, problems)
    failed = [{"id": r["backupId"], "error": r["error"]} for r in results if not r["success"]]
    return {"verified": len(results) - len(failed), "failed": failed}


def _storage_ratio(ctx: Context) -> float | None:
    root = ctx.settings.backup_dir
    if not root.exists():
        return None
    usage = shutil.disk_usage(root)
    return usage.used / usage.total if usage.total else None


def health_check(ctx: Context, now: dt.datetime) -> dict[str, Any]:
    backups, problems = ctx.catalog.scan()
    integrity = _integrity(ctx, backups, problems)
    overdue = expired(backups, ctx.settings.retention_days, now)
    ratio = _storage_ratio(ctx)
    alerts = []
    if not backups or now - _parse(backups[0]["timestamp"]) > STALE_AFTER:
        alerts.append("no successful backup in the last 24 hours")
    if ratio is not None and ratio > STORAGE_ALERT_RATIO:
        alerts.append(f"backup storage is {ratio:.0%} full")
    if integrity["failed"]:
        alerts.append(f"{len(integrity['failed'])} backup(s) failed verification")
    return {
        "success": True,
        "healthy": not alerts,
        "health": {
            "totalBackups": len(backups),
            "latestBackup": backups[0]["timestamp"] if backups else None,
            "oldestBackup": backups[-1]["timestamp"] if backups else None,
            "storageUsed": sum(b["size"] for b in backups),
            "storageUsedRatio": ratio,
            "integrityStatus": integrity,
            "retentionCompliance": {
                "retentionDays": ctx.settings.retention_days,
                "compliant": not overdue,
                "overdue": [b["id"] for b in overdue],
            },
        },
        "alerts": alerts,
    }
