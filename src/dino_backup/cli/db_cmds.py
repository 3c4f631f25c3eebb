"""init-db, demo-data, keygen: setting up a database and keys."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..archive import crypto
from ..demo import generate_demo_data
from ..schema.dino import create_schema
from .audit_trail import audited
from .backup_cmds import JsonOpt
from .output import emit, handled, out
from .state import manager


def init_db(as_json: JsonOpt = False) -> None:
    """Create the DINO tables (as the app's Prisma schema does) if they are missing."""
    with handled(as_json):
        mgr = manager()
        create_schema(mgr.ctx.engine)
        result = {"success": True, "message": "DINO tables ready"}
    emit(result, as_json, lambda r: out.print(r["message"]))


def demo_data(
    users: Annotated[int, typer.Option(min=0, help="Users to create.")] = 100,
    visits: Annotated[int, typer.Option(min=0, help="Country visits to create.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Fill the DINO tables with realistic demo data."""
    with handled(as_json):
        counts = generate_demo_data(manager().ctx.engine, users=users, visits=visits, seed=seed)
        result = {
            "success": True,
            "recordCounts": counts,
            "message": f"demo data: {sum(counts.values())} rows",
        }
    emit(result, as_json, lambda r: out.print(r["message"]))


def keygen(as_json: JsonOpt = False) -> None:
    """Print a new random encryption key (store it safely; it is never saved by us)."""
    key = crypto.generate_key()
    result = {
        "success": True,
        "key": key,
        "fingerprint": crypto.key_fingerprint(crypto.parse_key(key)),
    }
    emit(result, as_json, lambda r: out.print(r["key"]))


def import_cmd(
    file: Annotated[Path, typer.Argument(help="A backup file of the TypeScript system.")],
    as_json: JsonOpt = False,
) -> None:
    """Store a backup written by the original TypeScript system as a native backup."""
    with handled(as_json), audited("backup.import", file=file.name) as trail:
        result = manager().import_legacy(file)
        trail.done(result)
    emit(result, as_json, _render_import)


def _render_import(result: dict[str, Any]) -> None:
    out.print(f"[green]{result['message']}[/green]")
    for w in result["warnings"]:
        out.print(f"  [yellow]warning:[/yellow] {w}")
