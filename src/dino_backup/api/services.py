"""What the routes share, built once per app: manager, config, sessions, CSRF, limits, audit."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from ..audit import AuditLog, audit_log_for
from ..core.manager import BackupManager
from .config import ApiConfig
from .csrf import CsrfSigner
from .ratelimit import RateLimits, make_storage
from .sessions import SessionStore


@dataclass
class Services:
    manager: BackupManager
    config: ApiConfig
    sessions: SessionStore
    csrf: CsrfSigner
    limits: RateLimits
    audit: AuditLog

    @classmethod
    def build(cls, config: ApiConfig, manager: BackupManager | None = None) -> Services:
        manager = manager or BackupManager.from_settings(config.settings)
        storage = make_storage(config.rate_limit_storage_url, config.rate_limit_prefix)
        return cls(
            manager=manager,
            config=config,
            sessions=SessionStore(manager.ctx.engine),
            csrf=CsrfSigner(config.csrf_secret),
            limits=RateLimits(config.rate_limits, storage),
            audit=audit_log_for(manager.ctx.settings.backup_dir),
        )


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found
