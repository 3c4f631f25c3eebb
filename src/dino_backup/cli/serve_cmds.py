"""serve, admin-session, demo: the HTTP API and what it takes to try it."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import sqlalchemy as sa
import typer

from ..api.config import ApiConfig
from ..api.sessions import SessionStore
from ..audit import audit_log_for, mask_email
from ..core.manager import BackupManager
from ..core.options import RestoreOptions
from ..demo import generate_demo_data
from ..schema import dino
from ..settings import Settings
from .audit_trail import cli_origin
from .backup_cmds import JsonOpt
from .output import emit, err, handled
from .state import manager

if TYPE_CHECKING:  # the web stack is imported only by the commands that serve
    import uvicorn
    from fastapi import FastAPI

DEMO_DIR = Path("demo")
DEMO_ADMIN = "admin@example.com"
Host = Annotated[str, typer.Option(help="Address to listen on (loopback by default).")]
Port = Annotated[int, typer.Option(min=0, max=65535, help="Port (0 picks a free one).")]


def _say(line: str = "") -> None:
    typer.echo(line)  # plain and flushed: scripts read these lines


def _announce(server: uvicorn.Server, host: str, on_ready: Callable[[str], None]) -> None:
    while not server.started:
        if server.should_exit:
            return
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    on_ready(f"http://{host}:{port}")


def run_server(app: FastAPI, host: str, port: int, on_ready: Callable[[str], None]) -> None:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, server_header=False))
    threading.Thread(target=_announce, args=(server, host, on_ready), daemon=True).start()
    server.run()


def serve(host: Host = "127.0.0.1", port: Port = 8000) -> None:
    """Start the HTTP API (configured by DATABASE_URL, BACKUP_DIR, ADMIN_EMAILS, ...)."""
    with handled(False):
        config = ApiConfig.from_env()
        from ..api import create_app

        app = create_app(config)
    if not config.admin_emails:
        err.print("[yellow]warning:[/yellow] ADMIN_EMAILS is empty: every /api request gets 403")
    run_server(app, host, port, lambda url: _say(f"DINO Backup API ready at {url}"))


def _audit_session(settings: Settings, email: str, user_id: str) -> None:
    audit_log_for(settings.backup_dir).append(
        {
            "action": "session.create",
            **cli_origin(),
            "subject": {"userId": user_id, "email": mask_email(email)},
            "outcome": "ok",
        }
    )


def admin_session(
    email: Annotated[str, typer.Option("--email", help="Email of an existing DINO user.")],
    hours: Annotated[int, typer.Option(min=1, max=24 * 90, help="Lifetime in hours.")] = 24,
    as_json: JsonOpt = False,
) -> None:
    """Create a session for an existing user and print its token (shown only this once)."""
    with handled(as_json):
        mgr = manager()
        lifetime = dt.timedelta(hours=hours)
        token, user_id = SessionStore(mgr.ctx.engine).create(email, lifetime)
        _audit_session(mgr.ctx.settings, email, user_id)
    expires = (dt.datetime.now(dt.UTC) + lifetime).isoformat(timespec="seconds")
    result = {
        "success": True,
        "token": token,
        "userId": user_id,
        "expires": expires,
        "message": f"session for {email} valid until {expires}",
    }
    emit(result, as_json, lambda r: _say(r["token"]))
    if email.strip().lower() not in mgr.ctx.settings.admin_emails:
        err.print(f"[yellow]warning:[/yellow] {email} is not in ADMIN_EMAILS: the API answers 403")


# --- demo -------------------------------------------------------------------------


def demo_config(admin_email: str, env: dict[str, str] | None = None) -> ApiConfig:
    """The environment, with ./demo defaults for the database and backups, and the admin."""
    env = dict(os.environ if env is None else env)
    if not env.get("DATABASE_URL", "").strip():
        DEMO_DIR.mkdir(mode=0o700, exist_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{DEMO_DIR / 'dino.db'}"
    if not env.get("BACKUP_DIR", "").strip():
        env["BACKUP_DIR"] = str(DEMO_DIR / "backups")
    env["ADMIN_EMAILS"] = ",".join(e for e in (env.get("ADMIN_EMAILS", ""), admin_email) if e)
    return ApiConfig.from_env(env)


def demo_setup(mgr: BackupManager, admin_email: str, users: int, visits: int) -> str:
    """Tables, demo data (only into an empty database), the admin user; returns a token."""
    engine = mgr.ctx.engine
    dino.create_schema(engine)
    with engine.connect() as conn:
        existing = conn.execute(sa.select(sa.func.count()).select_from(dino.user)).scalar_one()
    if existing == 0:
        counts = generate_demo_data(engine, users=users, visits=visits)
        _say(f"demo data: {sum(counts.values())} rows in {len(counts)} tables")
    store = SessionStore(engine)
    store.ensure_user(admin_email, "Demo Admin")
    token, user_id = store.create(admin_email, dt.timedelta(hours=24))
    _audit_session(mgr.ctx.settings, admin_email, user_id)
    return token


def _print_try(url: str, token: str) -> None:
    auth = f"-H 'Authorization: Bearer {token}'"
    _say(f"DINO Backup API ready at {url}  (OpenAPI docs: {url}/docs)")
    _say(f"bearer token (demo admin, valid 24 h): {token}")
    _say("try:")
    _say(f"  curl {auth} {url}/api/backup")
    _say(
        f"  curl {auth} -H 'Content-Type: application/json' "
        f"-d '{{\"includeUserData\": true}}' {url}/api/backup"
    )
    _say(f"  curl {auth} '{url}/api/backup?action=stats'")


def _demo_round(mgr: BackupManager) -> dict[str, Any]:
    created = mgr.create_backup()
    _say(created["message"])
    backup_id = created["backupId"]
    _say(mgr.verify_backup(backup_id)["message"])
    restored = mgr.restore_from_backup(RestoreOptions(backup_id, dry_run=True))
    _say(restored["message"])
    return {"success": True, "backupId": backup_id, "message": "demo round done"}


def demo(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    no_serve: Annotated[
        bool,
        typer.Option("--no-serve", help="Set up, back up, verify, dry-run a restore, print, exit."),
    ] = False,
    users: Annotated[int, typer.Option(min=1, help="Demo users (empty database only).")] = 100,
    visits: Annotated[int, typer.Option(min=0, help="Demo country visits.")] = 1000,
    admin_email: Annotated[str, typer.Option(help="The demo admin's email.")] = DEMO_ADMIN,
) -> None:
    """The main job: an embedded SQLite DINO database with demo data, a demo admin, the API."""
    with handled(False):
        config = demo_config(admin_email)
        mgr = BackupManager.from_settings(config.settings)
        _say(f"database: {sa.make_url(config.settings.database_url).render_as_string()}")
        _say(f"backups:  {config.settings.backup_dir}")
        token = demo_setup(mgr, admin_email, users, visits)
        if no_serve:
            _demo_round(mgr)
            _print_try(f"http://{host}:{port}", token)
            return
        from ..api import create_app

        app = create_app(config, mgr)
    run_server(app, host, port, lambda url: _print_try(url, token))
