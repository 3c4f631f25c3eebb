"""The FastAPI application factory (`uvicorn --factory dino_backup.api:create_app`)."""

from __future__ import annotations

from fastapi import FastAPI

from .. import __version__
from ..core.manager import BackupManager
from . import errors, routes, system
from .bodylimit import BodyLimit
from .config import ApiConfig
from .openapi import install_openapi
from .services import Services

DESCRIPTION = """Backups of the DINO database over HTTP: the seed's endpoints and shapes.

Every `/api` endpoint needs a signed-in **admin** (in every environment): a NextAuth session
token from the `next-auth.session-token` / `__Secure-next-auth.session-token` cookie, or
`Authorization: Bearer <token>`, whose user's email is in `ADMIN_EMAILS`. Cookie-signed
POST and DELETE requests must send `X-CSRF-Token` (from `GET /api/csrf`). Errors are
`{"success": false, "error": "..."}`."""


def create_app(config: ApiConfig | None = None, manager: BackupManager | None = None) -> FastAPI:
    config = config or ApiConfig.from_env()
    app = FastAPI(
        title="DINO Backup API",
        version=__version__,
        description=DESCRIPTION,
    )
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes)
    app.state.services = Services.build(config, manager)
    errors.install(app)
    app.include_router(system.public)
    app.include_router(system.guarded)
    app.include_router(routes.router)
    install_openapi(app)
    return app
