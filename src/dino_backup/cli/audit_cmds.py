"""audit verify, audit tail: the hash-chained audit log under BACKUP_DIR/audit/."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..audit import AuditLog, audit_log_for
from ..errors import IntegrityError
from ..settings import Settings
from .backup_cmds import JsonOpt
from .errors import exit_code
from .output import emit, err, handled, out, print_json

app = typer.Typer(
    help="The audit log: verify its hash chain, show recent entries.",
    no_args_is_help=True,
)


def _log() -> AuditLog:
    return audit_log_for(Settings.from_env().backup_dir)


@app.command("verify")
def verify(as_json: JsonOpt = False) -> None:
    """Check the whole chain; report the first entry where it breaks (exit 4)."""
    with handled(as_json):
        log = _log()
        report = log.verify()
    result: dict[str, Any] = {"success": report.ok, "file": str(log.path)}
    result["entries"] = report.entries
    if report.ok:
        result["message"] = f"audit log intact: {report.entries} entries"
        emit(result, as_json, lambda r: out.print(f"[green]{r['message']}[/green]"))
        return
    brk = report.first_break
    assert brk is not None
    result["firstBreak"] = {"line": brk.line, "seq": brk.seq, "reason": brk.reason}
    result["error"] = f"audit log broken at line {brk.line}: {brk.reason}"
    if as_json:
        print_json(result)
    else:
        err.print(
            f"[red]{result['error']}[/red] ({report.entries} entries before it verify)",
            soft_wrap=True,
        )
    raise typer.Exit(exit_code(IntegrityError()))


def _status(entry: dict[str, Any]) -> str:
    """An HTTP status (API requests) or an exit code (commands)."""
    if "exitCode" in entry and "status" not in entry:
        return f"exit {entry['exitCode']}"
    return str(entry.get("status", "-"))


def _line(entry: dict[str, Any]) -> str:
    actor = entry.get("actor") or {}
    who = actor.get("email") or actor.get("cli") or entry.get("credential") or "anonymous"
    parts = [
        str(entry.get("ts", "?")),
        f"#{entry.get('seq', '?')}",
        f"{entry.get('outcome', '?')}:{_status(entry)}",
        str(entry.get("action", "?")),
        str(entry.get("backupId") or "-"),
        str(who),
        str(entry.get("client", "-")),
    ]
    if entry.get("error"):
        parts.append(f"({entry['error']})")
    return "  ".join(parts)


@app.command("tail")
def tail(
    lines: Annotated[int, typer.Option("--lines", "-n", min=1, help="How many entries.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Show the most recent entries, oldest first."""
    with handled(as_json):
        entries = _log().tail(lines)
    result = {"success": True, "entries": entries}
    emit(result, as_json, _render_tail)


def _render_tail(result: dict[str, Any]) -> None:
    for entry in result["entries"]:
        out.print(_line(entry), soft_wrap=True, markup=False)
