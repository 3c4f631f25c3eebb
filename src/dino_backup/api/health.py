"""The engine's health check plus the seed's "unauthorized access attempts" alert, read from
the audit log (refused sign-ins and 403s of the last 24 hours)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .services import Services

WINDOW = dt.timedelta(hours=24)


def health_with_audit(svc: Services) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    result = svc.manager.perform_health_check(now)
    attempts = svc.audit.refused_since(now - WINDOW)
    result["health"]["unauthorizedAttempts24h"] = attempts
    if attempts:
        result["alerts"].append(f"{attempts} unauthorized access attempt(s) in the last 24 hours")
        result["healthy"] = False
    return result
