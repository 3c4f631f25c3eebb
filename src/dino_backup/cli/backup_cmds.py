"""create, list, stats, show, verify, delete, cleanup, health."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Column, Table

from ..core.options import BackupOptions
from ..core.selection import parse_table_list
from ..errors import BackupError
from .audit_trail import audited
from .output import confirm, emit, handled, human_size, out, progress_bar
from .state import manager

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result object as JSON.")]


def create(
    no_user_data: Annotated[
        bool, typer.Option("--no-user-data", help="Leave out user travel data.")
    ] = False,
    include_sessions: Annotated[
        bool, typer.Option("--include-sessions", help="Include sessions, accounts and tokens.")
    ] = False,
    compression: Annotated[str, typer.Option(help="zstd, gzip or none.")] = "zstd",
    encrypt: Annotated[
        bool, typer.Option("--encrypt", help="AES-256-GCM with BACKUP_ENCRYPTION_KEY.")
    ] = False,
    tables: Annotated[
        str | None, typer.Option(help="Exactly these tables, comma-separated.")
    ] = None,
    anonymize: Annotated[
        bool,
        typer.Option("--anonymize", help="Hash emails, clear names; never tokens (staging copy)."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Take a consistent, compressed, verified backup."""
    with handled(as_json), audited("backup.create") as trail:
        options = BackupOptions(
            include_user_data=not no_user_data,
            include_sessions=include_sessions,
            compress=compression != "none",
            compression=compression,
            encrypt=encrypt,
            tables=parse_table_list(tables),
            anonymize=anonymize,
        )
        with progress_bar(not as_json) as progress:
            result = manager().create_backup(options, progress)
        trail.done(result)
    emit(result, as_json, _render_created)


def _render_created(result: dict[str, Any]) -> None:
    meta = result["metadata"]
    out.print(f"[green]{result['message']}[/green]")
    out.print(
        f"  file: {meta['file']} ({human_size(meta['size'])}, {meta['compression']}"
        f"{', encrypted' if meta['encrypted'] else ''})"
    )
    for w in result["warnings"]:
        out.print(f"  [yellow]warning:[/yellow] {w}")


def list_cmd(as_json: JsonOpt = False) -> None:
    """List backups, newest first."""
    with handled(as_json):
        result = manager().list_backups()
    emit(result, as_json, _render_list)


def _render_list(result: dict[str, Any]) -> None:
    if not result["backups"]:
        out.print("no backups yet")
        return
    id_column = Column("ID", no_wrap=True)
    table = Table(id_column, "Taken (UTC)", "Tables", "Records", "Size", "Comp.", "Enc.", "Kind")
    for b in result["backups"]:
        table.add_row(
            b["id"],
            b["timestamp"],
            str(len(b["tables"])),
            str(sum(b["recordCounts"].values())),
            human_size(b["size"]),
            b.get("compression", "?"),
            "yes" if b.get("encrypted") else "no",
            b.get("kind", "manual"),
        )
    out.print(table)


def stats(as_json: JsonOpt = False) -> None:
    """Totals over all backups (the seed's getBackupStats)."""
    with handled(as_json):
        result = manager().get_backup_stats()
    emit(result, as_json, lambda r: _render_mapping(r["stats"]))


def _render_mapping(data: dict[str, Any]) -> None:
    for k, v in data.items():
        out.print(f"{k:>16}: {v}")


def show(backup_id: str, as_json: JsonOpt = False) -> None:
    """Show one backup's metadata."""
    with handled(as_json):
        result = manager().get_backup(backup_id)
    emit(result, as_json, _render_show)


def _render_show(result: dict[str, Any]) -> None:
    meta = result["backup"]
    for k in (
        "id",
        "timestamp",
        "kind",
        "environment",
        "sourceDialect",
        "file",
        "size",
        "compression",
        "encrypted",
        "keyFingerprint",
        "checksum",
        "durationMs",
    ):
        out.print(f"{k:>16}: {meta.get(k)}")
    table = Table("Table", "Records", "SHA-256")
    for name in meta["tables"]:
        table.add_row(
            name, str(meta["recordCounts"][name]), meta["tableChecksums"][name][:16] + "…"
        )
    out.print(table)


def verify(
    backup_id: Annotated[str | None, typer.Argument()] = None,
    all_: Annotated[bool, typer.Option("--all", help="Verify every backup.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Re-read a backup completely: checksums, decryption, decompression, counts."""
    with handled(as_json):
        if all_ == (backup_id is not None):
            raise BackupError("give either a backup ID or --all")
        mgr = manager()
        if backup_id is not None:
            result = mgr.verify_backup(backup_id)
        else:
            result = mgr.verify_all_backups()
    emit(result, as_json, _render_verify)


def _render_verify(result: dict[str, Any]) -> None:
    for r in result.get("results", [result]):
        if r["success"]:
            out.print(f"[green]ok[/green]   {r['message']}")
        else:
            out.print(f"[red]FAIL[/red] {r['backupId']}: {r['error']}")
    if "results" in result:
        out.print(result["message"])


def delete(
    backup_id: str,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete a backup: archive, checksum and metadata."""
    with handled(as_json):
        mgr = manager()
        mgr.get_backup(backup_id)  # existence first, so a typo is not met with a question
        confirm(f"Delete backup {backup_id}?", yes, as_json)
        with audited("backup.delete", backup_id) as trail:
            result = mgr.delete_backup(backup_id)
            trail.done(result)
    emit(result, as_json, lambda r: out.print(r["message"]))


def cleanup(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete backups older than BACKUP_RETENTION_DAYS and leftovers of crashed runs."""
    with handled(as_json):
        mgr = manager()
        confirm(f"Delete backups older than {mgr.ctx.settings.retention_days} days?", yes, as_json)
        with audited("backup.cleanup") as trail:
            result = mgr.cleanup_old_backups()
            trail.done(result)
    emit(result, as_json, lambda r: out.print(r["message"]))


def health(as_json: JsonOpt = False) -> None:
    """Health check; exits 1 when any alert is raised."""
    with handled(as_json):
        result = manager().perform_health_check()
    emit(result, as_json, _render_health)
    if not result["healthy"]:
        raise typer.Exit(1)


def _render_health(result: dict[str, Any]) -> None:
    h = result["health"]
    out.print(
        f"backups: {h['totalBackups']}, latest {h['latestBackup']}, "
        f"storage {human_size(h['storageUsed'])}"
    )
    integ = h["integrityStatus"]
    out.print(f"integrity: {integ['verified']} verified, {len(integ['failed'])} failed")
    for alert in result["alerts"]:
        out.print(f"[red]alert:[/red] {alert}")
    if result["healthy"]:
        out.print("[green]healthy[/green]")
