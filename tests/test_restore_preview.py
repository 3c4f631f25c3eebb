"""The dry run is a preview of what a restore will do, table by table, computed by the
database; the real restore then does exactly that and reports it in the same shape."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from failure_support import assert_clean_failure, cli_env, invoke_cli, json_out, run_cli
from roundtrip_support import (
    Rows,
    backup,
    column_by_id,
    dino_database,
    execute,
    manager,
    quote,
    restore,
    snapshot,
)
from test_restore_strategies import KEY_COLUMN, make_conflicts

from dino_backup.core.options import RestoreOptions
from dino_backup.core.restore import staging_name
from dino_backup.errors import BackupError, IncompatibleSchema, RestoreConflict
from dino_backup.schema.dino import DINO_TABLES, metadata


def what_happened(table: str, before: Rows, after: Rows, in_backup: Rows) -> dict[str, Any]:
    """The preview's categories, counted from the rows before and after a restore."""
    k = KEY_COLUMN[table]
    pre, post, src = ({r[k]: r for r in rows} for rows in (before, after, in_backup))
    both = pre.keys() & post.keys()
    updated = {key for key in both if pre[key] != post[key]}
    names = [c.name for c in metadata.tables[table].columns]
    changed = {
        n for key in updated for n, a, b in zip(names, pre[key], post[key], strict=True) if a != b
    }
    kept = {key for key in both & src.keys() if pre[key] != src[key] and post[key] == pre[key]}
    return {
        "insert": len(post.keys() - pre.keys()),
        "update": len(updated),
        "unchanged": sum(1 for key in both & src.keys() if pre[key] == src[key]),
        "delete": len(pre.keys() - post.keys()),
        "conflicting": len(kept),
        "changedColumns": sorted(changed),
        "keys": {
            "insert": post.keys() - pre.keys(),
            "update": updated,
            "delete": pre.keys() - post.keys(),
            "conflicting": kept,
        },
    }


def assert_did_what_it_said(
    plan: dict[str, Any], before: dict[str, Rows], after: dict[str, Rows], src: dict[str, Rows]
) -> None:
    for table, p in plan["tables"].items():
        did = what_happened(table, before[table], after[table], src[table])
        counts = ("insert", "update", "unchanged", "delete", "conflicting")
        assert {c: p[c] for c in counts} == {c: did[c] for c in counts}, table
        assert sorted(p["changedColumns"]) == did["changedColumns"], table
        if p["conflicting"]:
            assert p["conflictingColumns"], table
        for category, keys in p["samples"].items():
            assert len(keys) <= 5 and keys == sorted(keys), (table, category)
            assert set(keys) <= did["keys"][category], (table, category)
            assert len(keys) == min(5, did[category]), (table, category)
    for name in ("insert", "update", "unchanged", "delete", "conflicting"):
        assert plan["totals"][name] == sum(p[name] for p in plan["tables"].values())


def test_preview_counts_are_what_the_restore_then_does(db_url: str, tmp_path: Path) -> None:
    """Each strategy: the preview changes nothing; the real restore reports the same plan
    and the rows really changed that way; its emergency backup undoes it for the next."""
    engine = dino_database(db_url, users=10, visits=60)
    mgr = manager(db_url, tmp_path / "b")
    backup_id = backup(mgr, include_sessions=True)
    src = snapshot(engine)
    make_conflicts(engine, unique=False)
    execute(
        engine, 'UPDATE "CountryVisit" SET "notes" = \'x\', "maxDays" = 1 WHERE "country" = \'JP\''
    )
    edited = snapshot(engine)
    for strategy in ("merge", "skip", "replace"):
        preview = restore(mgr, backup_id, conflict=strategy, dry_run=True)
        assert preview["dryRun"] is True and preview["emergencyBackupId"] is None
        assert snapshot(engine) == edited
        result = restore(mgr, backup_id, conflict=strategy)
        assert result["plan"] == preview["plan"], strategy
        assert (
            result["recordCounts"]
            == preview["recordCounts"]
            == {t: len(src[t]) for t in DINO_TABLES}
        )
        assert_did_what_it_said(result["plan"], edited, snapshot(engine), src)
        restore(mgr, result["emergencyBackupId"], emergency_backup=False)
        assert snapshot(engine) == edited
    visits = preview["plan"]["tables"]["CountryVisit"]
    assert visits["changedColumns"] == ["maxDays", "notes"] and visits["update"] > 0
    message = pytest.raises(
        RestoreConflict, mgr.restore_from_backup, RestoreOptions(backup_id, conflict="fail")
    ).value
    fail_preview = restore(mgr, backup_id, conflict="fail", dry_run=True)["plan"]
    assert f"User: {fail_preview['tables']['User']['conflicting']} row(s)" in str(message)
    assert snapshot(engine) == edited


def test_preview_of_an_unchanged_database(db_url: str, tmp_path: Path) -> None:
    engine = dino_database(db_url, users=5, visits=20)
    mgr = manager(db_url, tmp_path / "b")
    src = snapshot(engine)
    result = restore(mgr, backup(mgr, include_sessions=True), dry_run=True)
    totals = result["plan"]["totals"]
    assert totals == {
        "insert": 0,
        "update": 0,
        "unchanged": sum(len(rows) for rows in src.values()),
        "delete": 0,
        "conflicting": 0,
    }
    assert "nothing changed" in result["message"]


def _delete_user_with_visits(engine: sa.Engine) -> tuple[str, int]:
    owners = column_by_id(engine, "CountryVisit", "userId")
    victim = sorted(owners.values())[0]
    visits = sum(1 for u in owners.values() if u == victim)
    execute(
        engine,
        f'DELETE FROM "CountryVisit" WHERE "userId" = \'{victim}\'',
        f'DELETE FROM "Session" WHERE "userId" = \'{victim}\'',
        f'DELETE FROM "Account" WHERE "userId" = \'{victim}\'',
        f'DELETE FROM "User" WHERE "id" = \'{victim}\'',
    )
    return victim, visits


def test_foreign_key_problems_are_previewed_and_refused(db_url: str, tmp_path: Path) -> None:
    """Restoring only the visits of a user that no longer exists."""
    engine = dino_database(db_url, users=6, visits=30)
    mgr = manager(db_url, tmp_path / "b")
    backup_id = backup(mgr)
    _, visits = _delete_user_with_visits(engine)
    edited = snapshot(engine)
    for strategy in ("replace", "merge", "skip"):
        options = {"tables": ["CountryVisit"], "conflict": strategy}
        preview = restore(mgr, backup_id, dry_run=True, **options)["plan"]["tables"]
        assert preview["CountryVisit"]["foreignKeyProblems"] == [
            {"columns": ["userId"], "references": "User", "rows": visits}
        ]
        with pytest.raises(IncompatibleSchema, match=f"CountryVisit.userId -> User: {visits} row"):
            mgr.restore_from_backup(RestoreOptions(backup_id, **options))
        assert snapshot(engine) == edited
    both = restore(mgr, backup_id, tables=["User", "CountryVisit"], conflict="merge")
    assert all(not p["foreignKeyProblems"] for p in both["plan"]["tables"].values())
    assert both["plan"]["tables"]["CountryVisit"]["insert"] == visits


def test_cascades_into_tables_not_restored_are_previewed(db_url: str, tmp_path: Path) -> None:
    engine = dino_database(db_url, users=6, visits=30)
    mgr = manager(db_url, tmp_path / "b")
    backup_id = backup(mgr)
    execute(
        engine,
        'INSERT INTO "User" ("id", "email", "createdAt", "updatedAt") VALUES '
        "('zz_new', 'new@example.com', '2025-01-01 00:00:00', '2025-01-01 00:00:00')",
        'INSERT INTO "CountryVisit" ("id", "userId", "country", "entryDate", "createdAt", '
        "\"updatedAt\") VALUES ('v1', 'zz_new', 'FR', '2025-01-02 00:00:00', "
        "'2025-01-02 00:00:00', '2025-01-02 00:00:00'), ('v2', 'zz_new', 'JP', "
        "'2025-02-02 00:00:00', '2025-02-02 00:00:00', '2025-02-02 00:00:00')",
    )
    before = snapshot(engine)
    preview = restore(mgr, backup_id, tables=["User"], dry_run=True)["plan"]["tables"]["User"]
    assert preview["delete"] == 1 and preview["samples"]["delete"] == ["zz_new"]
    assert preview["cascades"] == [{"table": "CountryVisit", "rows": 2, "onDelete": "CASCADE"}]
    restore(mgr, backup_id, tables=["User"])
    after = snapshot(engine)
    assert len(after["CountryVisit"]) == len(before["CountryVisit"]) - 2


def test_a_restore_that_cannot_do_what_it_planned_changes_nothing(tmp_path: Path) -> None:
    """A trigger silently drops rows: the restore sees that it did not do its plan."""
    url = f"sqlite:///{tmp_path / 'dino.db'}"
    engine = dino_database(url, users=5, visits=20)
    mgr = manager(url, tmp_path / "b")
    backup_id = backup(mgr)
    with sqlite3.connect(tmp_path / "dino.db") as db:
        db.execute(
            'CREATE TRIGGER "drop_some" BEFORE INSERT ON "CountryVisit" '
            "WHEN NEW.\"country\" < 'H' BEGIN SELECT RAISE(IGNORE); END"
        )
    execute(engine, 'DELETE FROM "CountryVisit"')
    before = snapshot(engine)
    with pytest.raises(BackupError, match="its plan said .*rolled back, nothing changed"):
        mgr.restore_from_backup(RestoreOptions(backup_id))
    assert snapshot(engine) == before
    assert len(mgr.list_backups()["backups"]) == 1  # the emergency backup is discarded


def test_dry_run_leaves_nothing_behind(db_url: str, tmp_path: Path) -> None:
    engine = dino_database(db_url, users=5, visits=20)
    mgr = manager(db_url, tmp_path / "b")
    backup_id = backup(mgr, include_sessions=True)
    make_conflicts(engine, unique=True)
    tables = set(sa.inspect(engine).get_table_names())
    for strategy in ("replace", "merge", "skip", "fail"):
        restore(mgr, backup_id, dry_run=True, conflict=strategy)
    with pytest.raises(RestoreConflict):  # and neither does a refused restore
        mgr.restore_from_backup(RestoreOptions(backup_id, conflict="merge"))
    assert set(sa.inspect(engine).get_table_names()) == tables
    assert [b["id"] for b in mgr.list_backups()["backups"]] == [backup_id]
    assert _staging_tables_left(mgr.ctx.engine) == []


def _staging_tables_left(engine: sa.Engine) -> list[str]:
    """Staging tables that any pooled connection still sees (temporary tables belong to
    a session, and MySQL's survive a rollback)."""
    names = [staging_name(t) for t in DINO_TABLES]
    held = [engine.connect() for _ in range(max(1, engine.pool.checkedin()))]  # type: ignore[attr-defined]
    found = []
    try:
        for conn in held:
            for name in names:
                try:
                    conn.exec_driver_sql(f"SELECT 1 FROM {quote(engine, name)} WHERE 1=0").close()
                    found.append(name)
                except sa.exc.DBAPIError:
                    pass
                conn.rollback()
    finally:
        for conn in held:
            conn.close()
    return found


# -- the CLI ------------------------------------------------------------------------------


def test_cli_prints_the_preview_as_a_table_and_as_json(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dino.db'}"
    env = cli_env(url, tmp_path / "b")
    engine = dino_database(url, users=6, visits=30)
    created = json_out(invoke_cli(["create", "--include-sessions", "--json"], env))
    backup_id = created["backupId"]
    keys = make_conflicts(engine, unique=False)
    proc = run_cli(["restore", backup_id, "--dry-run", "--conflict", "merge"], env)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    for heading in ("Preview", "Insert", "Update", "Unchanged", "Delete", "Columns that differ"):
        assert heading in text
    assert f"User update: e.g. {keys['changed']}" in text
    assert "nothing changed" in text
    proc = invoke_cli(["restore", backup_id, "--dry-run", "--conflict", "merge", "--json"], env)
    preview = json_out(proc)
    assert preview["plan"]["tables"]["User"]["changedColumns"] == ["name"]
    assert preview["conflict"] == "merge" and preview["dryRun"] is True
    proc = invoke_cli(["restore", backup_id, "--conflict", "merge", "--yes", "--json"], env)
    real = json_out(proc)
    assert real["plan"] == preview["plan"] and real["emergencyBackupId"]
    bad = invoke_cli(["restore", backup_id, "--conflict", "overwrite", "--dry-run"], env)
    assert "replace, merge, skip, fail" in assert_clean_failure(bad, 2)
    refused = invoke_cli(["restore", backup_id, "--conflict", "fail", "--yes"], env)
    assert refused.returncode == 0  # merge made the rows equal: nothing conflicts any more
