"""Shared set-up for the HTTP API tests: a small DINO database with an admin, a non-admin and
their sessions; apps and clients over it; a live uvicorn server on loopback."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI

from dino_backup.api import create_app
from dino_backup.api.config import ApiConfig
from dino_backup.api.csrf import CSRF_COOKIE, CSRF_HEADER
from dino_backup.api.sessions import SessionStore
from dino_backup.core.manager import BackupManager
from dino_backup.demo import generate_demo_data
from dino_backup.dialects import create_engine
from dino_backup.schema import dino
from dino_backup.settings import Settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx2; httpx is what we ship
    from fastapi.testclient import TestClient

ADMIN = "Admin.User@Example.com"  # mixed case on purpose: ADMIN_EMAILS is case-insensitive
OTHER = "traveller@example.com"
SESSION_COOKIE = "next-auth.session-token"
REQUIRE_REDIS = os.environ.get("DINO_REQUIRE_SERVICES") == "1"
GENEROUS = {"read": "10000/minute", "mutation": "10000/minute", "restore": "10000/minute"}


@dataclass
class World:
    url: str
    backup_dir: Path
    engine: sa.Engine
    admin: str  # tokens
    admin_expired: str
    other: str

    def settings(self) -> Settings:
        return Settings(database_url=self.url, backup_dir=self.backup_dir,
                        admin_emails=(" admin.user@example.com",))

    def config(self, **changes: Any) -> ApiConfig:
        settings = self.settings()
        config = ApiConfig(
            settings=settings,
            admin_emails=frozenset(e.strip().lower() for e in settings.admin_emails),
            rate_limits=dict(GENEROUS),
            csrf_secret=b"test-secret",
        )
        return replace(config, **changes)

    def manager(self) -> BackupManager:
        return BackupManager.from_settings(self.settings())

    def app(self, manager: BackupManager | None = None, **changes: Any) -> FastAPI:
        return create_app(self.config(**changes), manager or self.manager())

    def client(self, **changes: Any) -> TestClient:
        return TestClient(self.app(**changes))


def expired_session(engine: sa.Engine, user_id: str, token: str) -> None:
    """Stored as Prisma's SQLite driver stores DateTime: integer epoch milliseconds."""
    past_ms = int((time.time() - 3600) * 1000)
    row = {"id": "c-expired", "sessionToken": token, "userId": user_id, "expires": past_ms}
    with engine.begin() as conn:
        conn.execute(sa.text('INSERT INTO "Session" ("id", "sessionToken", "userId", "expires") '
                             "VALUES (:id, :sessionToken, :userId, :expires)"), row)


def make_world(tmp_path: Path, url: str | None = None) -> World:
    url = url or f"sqlite:///{tmp_path / 'dino.db'}"
    engine = create_engine(url)
    generate_demo_data(engine, users=3, visits=12)
    store = SessionStore(engine)
    admin_id = store.ensure_user(ADMIN, "Admin")
    store.ensure_user(OTHER, "Traveller")
    admin, _ = store.create(ADMIN.lower(), dt.timedelta(hours=1))
    other, _ = store.create(OTHER, dt.timedelta(hours=1))
    expired = "expired-" + admin[:20]
    expired_session(engine, admin_id, expired)
    return World(url, tmp_path / "backups", engine, admin, expired, other)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in_by_cookie(client: TestClient, token: str) -> str:
    """Set the session cookie and fetch a CSRF token (the cookie is kept by the client)."""
    client.cookies.set(SESSION_COOKIE, token)
    response = client.get("/api/csrf")
    assert response.status_code == 200, response.text
    assert client.cookies.get(CSRF_COOKIE)
    return str(response.json()["csrfToken"])


def csrf_header(token: str) -> dict[str, str]:
    return {CSRF_HEADER: token}


def audit_entries(world: World) -> list[dict[str, Any]]:
    from dino_backup.audit import audit_log_for

    return audit_log_for(world.backup_dir).tail(10_000)


def user_count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(dino.user)).scalar_one())


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """The app under uvicorn on a free loopback port, in a thread; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
