"""restore: a preview (dry run) or the real thing, selective, with confirmation."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from ..core.options import RestoreOptions
from ..core.point_in_time import parse_instant
from ..core.selection import parse_table_list
from .audit_trail import audited
from .backup_cmds import JsonOpt
from .output import confirm, emit, handled, out, progress_bar
from .state import manager

Flag = Annotated[bool, typer.Option()]


def restore(
    backup_id: Annotated[str | None, typer.Argument(help="Backup to restore.")] = None,
    at: Annotated[
        str | None,
        typer.Option(help="Instead of an ID: the newest verified backup at or before this time."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Preview what would change; change nothing.")
    ] = False,
    skip_user_data: Annotated[bool, typer.Option("--skip-user-data")] = False,
    skip_sessions: Annotated[bool, typer.Option("--skip-sessions")] = False,
    tables: Annotated[str | None, typer.Option(help="Only these tables, comma-separated.")] = None,
    conflict: Annotated[
        str, typer.Option(help="replace (default), merge, skip or fail.")
    ] = "replace",
    create_missing: Annotated[
        bool, typer.Option("--create-missing", help="Create tables the database lacks.")
    ] = False,
    no_emergency_backup: Annotated[
        bool,
        typer.Option("--no-emergency-backup", help="Skip the safety backup taken before."),
    ] = False,
    allow_anonymized: Annotated[
        bool,
        typer.Option("--allow-anonymized", help="Allow an anonymized backup into production."),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Restore tables from a backup (after verifying it completely)."""
    with handled(as_json):
        options = RestoreOptions(
            backup_id=backup_id,
            at=parse_instant(at) if at else None,
            dry_run=dry_run,
            skip_user_data=skip_user_data,
            skip_sessions=skip_sessions,
            tables=parse_table_list(tables),
            conflict=conflict,
            create_missing=create_missing,
            emergency_backup=not no_emergency_backup,
            allow_anonymized=allow_anonymized,
        )
        mgr = manager()
        if backup_id is not None:
            mgr.get_backup(backup_id)
        if not dry_run:
            which = backup_id or f"the newest backup at or before {at}"
            confirm(f"Restore the selected tables from {which} ({conflict})?", yes, as_json)
        detail = {"dryRun": dry_run, "conflict": conflict, "tables": options.tables}
        with audited("backup.restore", backup_id, **detail) as trail:
            with progress_bar(not as_json) as progress:
                result = mgr.restore_from_backup(options, progress)
            trail.done(result)
    emit(result, as_json, render_restore)


def render_restore(result: dict[str, Any]) -> None:
    plan = result["plan"]["tables"]
    table = Table(
        "Table", "Backup rows", "Insert", "Update", "Unchanged", "Delete", "Conflicting",
        "Columns that differ", title="Preview" if result["dryRun"] else "Restored",
    )  # fmt: skip
    for name in result["restoredTables"]:
        p = plan[name]
        counts = (p["insert"], p["update"], p["unchanged"], p["delete"], p["conflicting"])
        table.add_row(
            name,
            str(result["recordCounts"][name]),
            *(str(n) for n in counts),
            ", ".join(p["changedColumns"] or p.get("conflictingColumns", [])) or "-",
        )
    out.print(table)
    for name in result["restoredTables"]:
        _render_problems(name, plan[name])
    if result.get("emergencyBackupId"):
        out.print(f"emergency backup of the previous state: {result['emergencyBackupId']}")
    for w in result["warnings"]:
        out.print(f"[yellow]warning:[/yellow] {w}")
    out.print(f"[green]{result['message']}[/green]")


def _render_problems(name: str, p: dict[str, Any]) -> None:
    for f in p["foreignKeyProblems"]:
        out.print(
            f"[red]{name}: {f['rows']} row(s) reference a missing {f['references']} "
            f"({', '.join(f['columns'])})[/red]"
        )
    for u in p["uniqueConflicts"]:
        out.print(f"[red]{name}: {u['rows']} row(s) conflict on {u['name']}[/red]")
    for c in p["cascades"]:
        out.print(
            f"{name}: {c['rows']} row(s) of {c['table']} affected (ON DELETE {c['onDelete']})"
        )
    for kind, keys in p["samples"].items():
        if keys:
            out.print(f"  {name} {kind}: e.g. {', '.join(map(str, keys))}")
