"""Commands that change backups or the database leave an audit entry, as API requests do:
who (the OS user), what, which backup, and whether it went through, was refused or failed."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Any

from failure_support import cli_env, invoke_cli, seed_dino

from dino_backup.audit import audit_log_for


def _entries(backup_dir: Path) -> list[dict[str, Any]]:
    log = audit_log_for(backup_dir)
    assert log.verify().ok
    return log.tail(100)


def _ok(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    result = invoke_cli([*args, "--json"], env)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_create_restore_delete_cleanup_are_audited(sqlite_url: str, tmp_path: Path) -> None:
    seed_dino(sqlite_url)
    env = cli_env(sqlite_url, tmp_path / "b")
    backup_id = _ok(["create"], env)["backupId"]
    _ok(["restore", backup_id, "--dry-run"], env)
    restored = _ok(["restore", backup_id, "--tables", "CountryVisit", "--yes"], env)
    _ok(["delete", backup_id, "--yes"], env)
    _ok(["cleanup", "--yes"], env)
    entries = _entries(tmp_path / "b")
    emergency = restored["emergencyBackupId"]
    assert [(e["action"], e["backupId"], e["outcome"], e["exitCode"]) for e in entries] == [
        ("backup.create", backup_id, "ok", 0),
        ("backup.restore", backup_id, "ok", 0),
        ("backup.restore", backup_id, "ok", 0),
        ("backup.delete", backup_id, "ok", 0),
        ("backup.cleanup", None, "ok", 0),
    ]
    assert [e["dryRun"] for e in entries[1:3]] == [True, False]
    assert entries[2]["tables"] == ["CountryVisit"]
    assert entries[2]["emergencyBackupId"] == emergency
    assert all(e["actor"] == {"cli": getpass.getuser()} for e in entries)
    assert all(e["client"] == "cli" and e["error"] is None for e in entries)
    shown = invoke_cli(["audit", "tail", "-n", "1"], env).stdout
    assert f"ok:exit 0  backup.cleanup  -  {getpass.getuser()}  cli" in shown


def test_refusals_and_failures_are_audited_with_their_reason(
    sqlite_url: str, tmp_path: Path
) -> None:
    seed_dino(sqlite_url)
    env = cli_env(sqlite_url, tmp_path / "b")
    refused = invoke_cli(["create", "--tables", "NoSuchTable"], env)
    assert refused.returncode == 3  # NotFound
    broken = cli_env("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path / "b")
    failed = invoke_cli(["create"], broken)
    assert failed.returncode == 9
    first, second = _entries(tmp_path / "b")
    assert (first["action"], first["outcome"], first["exitCode"]) == ("backup.create", "refused", 3)
    assert "NoSuchTable" in first["error"]
    assert (second["outcome"], second["exitCode"]) == ("failed", 9)
    assert second["error"] and "\n" not in second["error"]


def test_a_declined_confirmation_is_no_operation(sqlite_url: str, tmp_path: Path) -> None:
    seed_dino(sqlite_url)
    env = cli_env(sqlite_url, tmp_path / "b")
    backup_id = _ok(["create"], env)["backupId"]
    assert invoke_cli(["delete", backup_id], env).returncode != 0  # no terminal: not confirmed
    assert [e["action"] for e in _entries(tmp_path / "b")] == ["backup.create"]


def test_an_unwritable_audit_log_is_reported_not_hidden(sqlite_url: str, tmp_path: Path) -> None:
    seed_dino(sqlite_url)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "audit").write_text("a file where the audit directory belongs")
    result = invoke_cli(["create"], cli_env(sqlite_url, tmp_path / "b"))
    assert result.returncode == 0
    assert "audit log not written" in result.stderr
