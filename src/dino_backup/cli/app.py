"""`dino-backup`: the command table. Each command lives in a small module of its own."""

from __future__ import annotations

import typer

from . import backup_cmds, db_cmds, restore_cmd
from .audit_cmds import app as audit_app
from .serve_cmds import admin_session, demo, serve

app = typer.Typer(
    name="dino-backup",
    help="Backups of the DINO database (and any SQLAlchemy database). "
    "Configured by DATABASE_URL and BACKUP_DIR.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.command("init-db")(db_cmds.init_db)
app.command("demo-data")(db_cmds.demo_data)
app.command("create")(backup_cmds.create)
app.command("list")(backup_cmds.list_cmd)
app.command("stats")(backup_cmds.stats)
app.command("show")(backup_cmds.show)
app.command("verify")(backup_cmds.verify)
app.command("restore")(restore_cmd.restore)
app.command("delete")(backup_cmds.delete)
app.command("cleanup")(backup_cmds.cleanup)
app.command("health")(backup_cmds.health)
app.command("keygen")(db_cmds.keygen)
app.command("import")(db_cmds.import_cmd)
app.command("serve")(serve)
app.command("demo")(demo)
app.command("admin-session")(admin_session)
app.add_typer(audit_app, name="audit")


def main() -> None:
    app()
