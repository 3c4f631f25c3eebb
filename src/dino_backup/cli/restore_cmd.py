"""restore: dry run or real, selective, with confirmation."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from ..core.options import RestoreOptions
from ..core.selection import parse_table_list
from .backup_cmds import JsonOpt
from .output import confirm, emit, handled, out, progress_bar
from .state import manager


def restore(
    backup_id: str,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and report; change nothing.")
    ] = False,
    skip_user_data: Annotated[bool, typer.Option("--skip-user-data")] = False,
    skip_sessions: Annotated[bool, typer.Option("--skip-sessions")] = False,
    tables: Annotated[str | None, typer.Option(help="Only these tables, comma-separated.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Restore tables from a backup (after verifying it completely)."""
    with handled(as_json):
        options = RestoreOptions(
            backup_id=backup_id,
            dry_run=dry_run,
            skip_user_data=skip_user_data,
            skip_sessions=skip_sessions,
            tables=parse_table_list(tables),
        )
        mgr = manager()
        mgr.get_backup(backup_id)
        if not dry_run:
            confirm(f"Replace the selected tables with backup {backup_id}?", yes, as_json)
        with progress_bar(not as_json) as progress:
            result = mgr.restore_from_backup(options, progress)
    emit(result, as_json, _render)


def _render(result: dict[str, Any]) -> None:
    table = Table("Table", "Records", "Inserted", "Updated", "Deleted")
    for name in result["restoredTables"]:
        change = result["changes"].get(name, {})
        table.add_row(
            name,
            str(result["recordCounts"][name]),
            *(str(change.get(k, "-")) for k in ("inserted", "updated", "deleted")),
        )
    out.print(table)
    for w in result["warnings"]:
        out.print(f"[yellow]warning:[/yellow] {w}")
    out.print(f"[green]{result['message']}[/green]")
