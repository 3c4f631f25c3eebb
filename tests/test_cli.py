"""Every `dino-backup` command end to end, through the real command table.

Most runs use typer's CliRunner (same app, same process, fast); a few go through the
installed script in a process of its own, with no terminal. With --json each command
prints the seed's result object; the exit code is 0 on success and non-zero otherwise,
including a backup that fails verification.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from failure_support import (
    assert_clean_failure,
    assert_json_failure,
    cli_env,
    db_contents,
    files_in,
    invoke_cli,
    json_out,
    listed,
    mutate_dino,
    run_cli,
)

from dino_backup.archive import crypto

Env = dict[str, str]


def ok(args: list[str], env: Env) -> dict[str, Any]:
    """Run with --json; expect exit 0 and a successful result object."""
    proc = invoke_cli([*args, "--json"], env)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    result = json_out(proc)
    assert result["success"] is True
    return dict(result)


@pytest.fixture
def env(tmp_path: Path) -> Env:
    """A DINO database made by the CLI itself (init-db, demo-data)."""
    env = cli_env(f"sqlite:///{tmp_path / 'dino.db'}", tmp_path / "backups")
    assert ok(["init-db"], env)["message"]
    counts = ok(["demo-data", "--users", "8", "--visits", "30", "--seed", "3"], env)
    assert counts["recordCounts"]["User"] == 8 and counts["recordCounts"]["CountryVisit"] == 30
    return env


def _create(env: Env, *extra: str) -> dict[str, Any]:
    return ok(["create", *extra], env)


def _backups(env: Env) -> Path:
    return Path(env["BACKUP_DIR"])


def _corrupt(env: Env, backup_id: str) -> None:
    archive = next(_backups(env).glob(f"{backup_id}.*"))
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))


def test_help_through_the_installed_script(env: Env) -> None:
    proc = run_cli(["--help"], env)
    assert proc.returncode == 0
    for command in (
        "create",
        "list",
        "stats",
        "show",
        "verify",
        "restore",
        "delete",
        "cleanup",
        "health",
        "keygen",
        "init-db",
        "demo-data",
    ):
        assert command in proc.stdout


def test_create_through_the_installed_script(env: Env) -> None:
    proc = run_cli(["create", "--include-sessions", "--json"], env)
    assert proc.returncode == 0, proc.stderr
    result = json_out(proc)
    assert set(result) >= {"success", "backupId", "message", "warnings", "metadata"}
    meta = result["metadata"]
    assert set(meta) >= {
        "id",
        "timestamp",
        "version",
        "tables",
        "recordCounts",
        "size",
        "checksum",
        "environment",
    }
    assert meta["id"] == result["backupId"] and meta["recordCounts"]["User"] == 8
    assert "Session" in meta["tables"]
    assert [b["id"] for b in listed(_backups(env))] == [result["backupId"]]


@pytest.mark.parametrize("compression", ["zstd", "gzip", "none"])
def test_create_each_compression_and_verify(env: Env, compression: str) -> None:
    created = _create(env, "--compression", compression)
    assert created["metadata"]["compression"] == compression
    verified = ok(["verify", created["backupId"]], env)
    assert verified["valid"] is True and verified["backupId"] == created["backupId"]
    assert verified["recordCounts"] == created["metadata"]["recordCounts"]


def test_create_encrypted_and_verify(env: Env) -> None:
    env = {**env, "BACKUP_ENCRYPTION_KEY": crypto.generate_key()}
    created = _create(env, "--encrypt", "--tables", "User,CountryVisit")
    assert created["metadata"]["encrypted"] is True
    assert created["metadata"]["tables"] == ["User", "CountryVisit"]
    assert ok(["verify", created["backupId"]], env)["valid"] is True
    without_key = {k: v for k, v in env.items() if k != "BACKUP_ENCRYPTION_KEY"}
    assert_clean_failure(invoke_cli(["verify", created["backupId"]], without_key), 5)


def test_human_output(env: Env) -> None:
    created = invoke_cli(["create"], env)
    assert created.returncode == 0 and "created" in created.stdout
    backup_id = listed(_backups(env))[0]["id"]
    for args in (
        ["list"],
        ["stats"],
        ["show", backup_id],
        ["verify", backup_id],
        ["restore", backup_id, "--dry-run"],
    ):
        proc = invoke_cli(args, env)
        assert proc.returncode == 0, (args, proc.stderr)
        assert proc.stdout.strip() and "Traceback" not in proc.stderr


def test_list_stats_show(env: Env) -> None:
    assert ok(["list"], env)["backups"] == []
    empty = ok(["stats"], env)["stats"]
    assert empty == {
        "totalBackups": 0,
        "totalSize": 0,
        "latestBackup": None,
        "oldestBackup": None,
        "averageSize": 0,
    }
    first, second = _create(env), _create(env, "--no-user-data")
    backups = ok(["list"], env)["backups"]
    assert [b["id"] for b in backups] == [second["backupId"], first["backupId"]]
    stats = ok(["stats"], env)["stats"]
    assert stats["totalBackups"] == 2
    assert stats["totalSize"] == first["metadata"]["size"] + second["metadata"]["size"]
    assert stats["latestBackup"] == second["metadata"]["timestamp"]
    shown = ok(["show", first["backupId"]], env)["backup"]
    assert shown["id"] == first["backupId"] and shown["checksum"] == first["metadata"]["checksum"]
    assert "CountryVisit" not in ok(["show", second["backupId"]], env)["backup"]["tables"]


def test_verify_fails_on_a_damaged_backup(env: Env) -> None:
    backup_id = _create(env)["backupId"]
    _corrupt(env, backup_id)
    error = assert_json_failure(invoke_cli(["verify", backup_id, "--json"], env), 4)
    assert backup_id in error
    assert_clean_failure(invoke_cli(["verify", backup_id], env), 4)


def test_verify_all(env: Env) -> None:
    good, bad = _create(env)["backupId"], _create(env)["backupId"]
    assert ok(["verify", "--all"], env)["message"] == "2 of 2 backups verified"
    _corrupt(env, bad)
    proc = invoke_cli(["verify", "--all", "--json"], env)
    assert proc.returncode != 0
    result = json_out(proc)
    assert result["success"] is False
    by_id = {r["backupId"]: r for r in result["results"]}
    assert by_id[good]["valid"] is True and by_id[bad]["valid"] is False
    assert "SHA-256" in by_id[bad]["error"]
    human = invoke_cli(["verify", "--all"], env)
    assert human.returncode != 0 and "FAIL" in human.stdout


def test_verify_all_reports_unreadable_metadata(env: Env) -> None:
    good, unreadable = _create(env)["backupId"], _create(env)["backupId"]
    (_backups(env) / "metadata" / f"{unreadable}.meta.json").write_bytes(b"{truncated")
    result = json_out(invoke_cli(["verify", "--all", "--json"], env))
    assert result["success"] is False and result["message"] == "1 of 2 backups verified"
    by_id = {r["backupId"]: r for r in result["results"]}
    assert by_id[good]["valid"] is True
    assert "not valid JSON" in by_id[unreadable]["error"]


def test_verify_needs_an_id_or_all(env: Env) -> None:
    assert_clean_failure(invoke_cli(["verify"], env))
    backup_id = _create(env)["backupId"]
    assert_json_failure(invoke_cli(["verify", backup_id, "--all", "--json"], env))


def test_restore_dry_run_and_real(env: Env) -> None:
    url = env["DATABASE_URL"]
    backup_id = _create(env, "--include-sessions")["backupId"]
    original = db_contents(url)
    mutate_dino(url)
    changed = db_contents(url)
    dry = ok(["restore", backup_id, "--dry-run"], env)
    assert dry["dryRun"] is True and dry["plan"]["tables"]["User"]["update"] == 8
    assert set(dry) >= {
        "success",
        "backupId",
        "restoredTables",
        "recordCounts",
        "warnings",
        "message",
    }
    assert db_contents(url) == changed
    real = ok(["restore", backup_id, "--yes"], env)
    assert real["dryRun"] is False and real["plan"]["tables"]["User"]["update"] == 8
    assert db_contents(url) == original


def test_restore_without_yes_and_no_terminal_is_refused(env: Env) -> None:
    url = env["DATABASE_URL"]
    backup_id = _create(env)["backupId"]
    mutate_dino(url)
    before = db_contents(url)
    proc = run_cli(["restore", backup_id], env)  # stdin is /dev/null: nobody to ask
    assert "--yes" in assert_clean_failure(proc)
    assert_json_failure(invoke_cli(["restore", backup_id, "--json"], env))
    assert db_contents(url) == before


def test_delete(env: Env) -> None:
    keep, gone = _create(env)["backupId"], _create(env)["backupId"]
    proc = run_cli(["delete", gone], env)  # no --yes, no terminal
    assert "--yes" in assert_clean_failure(proc)
    assert_json_failure(invoke_cli(["delete", gone, "--json"], env))
    assert {b["id"] for b in listed(_backups(env))} == {keep, gone}
    result = ok(["delete", gone, "--yes"], env)
    assert gone in result["message"]
    assert [b["id"] for b in listed(_backups(env))] == [keep]
    assert not [f for f in files_in(_backups(env)) if gone in f]
    assert_clean_failure(invoke_cli(["delete", gone, "--yes"], env), 3)


def test_cleanup(env: Env) -> None:
    backup_id = _create(env)["backupId"]
    leftover = _backups(env) / ".tmp-123456789abc-backup_0000000000000_000000000.jsonl.zst"
    leftover.write_bytes(b"half a backup")
    orphan = _backups(env) / "backup_0000000000001_000000000.jsonl.zst"
    orphan.write_bytes(b"an archive whose metadata was never written")
    assert_clean_failure(run_cli(["cleanup"], env))  # no --yes, no terminal
    assert leftover.exists() and orphan.exists()
    result = ok(["cleanup", "--yes"], env)
    assert result["deleted"] == [] and result["orphansRemoved"] == [orphan.name]
    assert not leftover.exists() and not orphan.exists()
    assert [b["id"] for b in listed(_backups(env))] == [backup_id]
    old = {**env, "BACKUP_RETENTION_DAYS": "0"}
    assert ok(["cleanup", "--yes"], old)["deleted"] == [backup_id]
    assert listed(_backups(env)) == [] and files_in(_backups(env)) == []


def test_health(env: Env) -> None:
    proc = invoke_cli(["health", "--json"], env)
    assert proc.returncode == 1  # no backup yet: an alert
    assert json_out(proc)["healthy"] is False
    backup_id = _create(env)["backupId"]
    result = ok(["health"], env)
    assert result["healthy"] is True and result["alerts"] == []
    assert result["health"]["integrityStatus"] == {"verified": 1, "failed": []}
    _corrupt(env, backup_id)
    proc = invoke_cli(["health", "--json"], env)
    assert proc.returncode == 1
    failed = json_out(proc)["health"]["integrityStatus"]["failed"]
    assert [f["id"] for f in failed] == [backup_id]


def test_keygen(env: Env) -> None:
    result = ok(["keygen"], env)
    assert len(crypto.parse_key(result["key"])) == 32
    assert result["fingerprint"] == crypto.key_fingerprint(crypto.parse_key(result["key"]))
    plain = invoke_cli(["keygen"], env)
    assert plain.returncode == 0 and crypto.parse_key(plain.stdout.strip())


def test_json_output_is_one_object(env: Env) -> None:
    """--json prints exactly one JSON document on stdout and nothing on stderr."""
    proc = invoke_cli(["create", "--json"], env)
    assert proc.stderr == ""
    assert isinstance(orjson.loads(proc.stdout), dict)


def test_unknown_command_and_option(env: Env) -> None:
    for args in (["frobnicate"], ["create", "--no-such-option"]):
        proc = invoke_cli(args, env)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
