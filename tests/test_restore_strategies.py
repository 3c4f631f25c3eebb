"""Conflict strategies (replace | merge | skip | fail) on every engine, with hand-made
conflicts: a row whose primary key exists with other values, rows only in the backup,
rows only in the database, and values of the unique columns `"User".email` and
`"Session".sessionToken` taken by other rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from roundtrip_support import (
    Rows,
    backup,
    column_by_id,
    dino_database,
    execute,
    manager,
    restore,
    snapshot,
    update_where_id,
)

from dino_backup.core.manager import BackupManager
from dino_backup.core.options import RestoreOptions
from dino_backup.errors import IncompatibleSchema, RestoreConflict

# Column holding each table's key in `SELECT *` order (VerificationToken: its token).
KEY_COLUMN = {"User": 0, "Account": 0, "Session": 0, "VerificationToken": 1, "CountryVisit": 0}


def _delete_user(engine: sa.Engine, user_id: str) -> None:
    """Delete a user and its rows explicitly (SQLite's raw connections do not cascade)."""
    children = ("Account", "Session", "CountryVisit")
    execute(
        engine,
        *(f'DELETE FROM "{t}" WHERE "userId" = \'{user_id}\'' for t in children),
        f'DELETE FROM "User" WHERE "id" = \'{user_id}\'',
    )


def make_conflicts(engine: sa.Engine, unique: bool) -> dict[str, Any]:
    """Change a DINO database after its backup; returns the keys involved.

    changed: exists in both, other name (a primary-key conflict);
    gone:    only in the backup (deleted with its rows);
    only:    only in the database;
    with `unique`: a new user holding the email of a deleted backup user, and a new
    session holding the token of a deleted backup session."""
    emails = column_by_id(engine, "User", "email")
    ids = sorted(emails)
    changed, gone, taken = ids[0], ids[1], ids[2]
    execute(engine, f'UPDATE "User" SET "name" = \'Edited by hand\' WHERE "id" = \'{changed}\'')
    _delete_user(engine, gone)
    execute(
        engine,
        'INSERT INTO "User" ("id", "email", "createdAt", "updatedAt") VALUES '
        "('zz_only', 'only@example.com', '2025-01-01 00:00:00', '2025-01-01 00:00:00')",
    )
    found: dict[str, Any] = {"changed": changed, "gone": gone, "only": "zz_only"}
    if unique:
        _delete_user(engine, taken)
        tokens = column_by_id(engine, "Session", "sessionToken")
        session = sorted(tokens)[0]
        owner = ids[3]
        execute(
            engine,
            'INSERT INTO "User" ("id", "email", "createdAt", "updatedAt") VALUES '
            f"('zz_taker', '{emails[taken]}', '2025-01-01 00:00:00', '2025-01-01 00:00:00')",
            f'DELETE FROM "Session" WHERE "id" = \'{session}\'',
            'INSERT INTO "Session" ("id", "sessionToken", "userId", "expires") VALUES '
            f"('zz_session', '{tokens[session]}', '{owner}', '2030-01-01 00:00:00')",
        )
        found.update(taken=taken, taker="zz_taker", session=session)
    return found


def combined(first: dict[str, Rows], then: dict[str, Rows]) -> dict[str, Rows]:
    """Rows keyed per table: those of `first`, overridden by `then` where keys match."""
    out = {}
    for table in first:
        k = KEY_COLUMN[table]
        rows = {r[k]: r for r in first[table]}
        rows.update({r[k]: r for r in then[table]})
        out[table] = sorted(rows.values(), key=repr)
    return out


def _setup(db_url: str, tmp_path: Path, unique: bool) -> tuple[Any, ...]:
    engine = dino_database(db_url, users=8, visits=40)
    mgr = manager(db_url, tmp_path / "b")
    backup_id = backup(mgr, include_sessions=True)
    in_backup = snapshot(engine)
    keys = make_conflicts(engine, unique)
    return engine, mgr, backup_id, in_backup, snapshot(engine), keys


def _refused(mgr: BackupManager, backup_id: str, error: type[Exception], **options: Any) -> str:
    with pytest.raises(error) as raised:
        mgr.restore_from_backup(RestoreOptions(backup_id=backup_id, **options))
    return str(raised.value)


def test_replace_makes_the_tables_exactly_the_backup(db_url: str, tmp_path: Path) -> None:
    engine, mgr, backup_id, in_backup, _, keys = _setup(db_url, tmp_path, unique=True)
    result = restore(mgr, backup_id, conflict="replace")
    assert snapshot(engine) == in_backup
    user = result["plan"]["tables"]["User"]
    assert (user["insert"], user["update"], user["delete"]) == (2, 1, 2)
    assert user["changedColumns"] == ["name"]
    assert user["samples"]["update"] == [keys["changed"]]
    assert sorted(user["samples"]["delete"]) == ["zz_only", "zz_taker"]
    assert user["uniqueConflicts"] == []
    assert result["conflict"] == "replace"


def test_replace_is_the_default(db_url: str, tmp_path: Path) -> None:
    engine, mgr, backup_id, in_backup, _, _ = _setup(db_url, tmp_path, unique=False)
    assert RestoreOptions(backup_id=backup_id).conflict == "replace"
    assert restore(mgr, backup_id)["conflict"] == "replace"
    assert snapshot(engine) == in_backup


def test_merge_overwrites_matching_rows_and_keeps_the_others(db_url: str, tmp_path: Path) -> None:
    engine, mgr, backup_id, in_backup, edited, keys = _setup(db_url, tmp_path, unique=False)
    result = restore(mgr, backup_id, conflict="merge")
    assert snapshot(engine) == combined(edited, in_backup)
    user = result["plan"]["tables"]["User"]
    assert (user["insert"], user["update"], user["delete"], user["conflicting"]) == (1, 1, 0, 0)
    assert user["samples"]["update"] == [keys["changed"]]
    assert "delete" not in user["samples"]
    names = column_by_id(engine, "User", "name")
    assert names.get(keys["changed"]) != "Edited by hand"
    assert "zz_only" in column_by_id(engine, "User", "email")


def test_skip_inserts_absent_rows_and_leaves_existing_ones(db_url: str, tmp_path: Path) -> None:
    engine, mgr, backup_id, in_backup, edited, keys = _setup(db_url, tmp_path, unique=False)
    result = restore(mgr, backup_id, conflict="skip")
    assert snapshot(engine) == combined(in_backup, edited)
    user = result["plan"]["tables"]["User"]
    assert (user["insert"], user["update"], user["delete"], user["conflicting"]) == (1, 0, 0, 1)
    assert user["samples"]["conflicting"] == [keys["changed"]]
    assert column_by_id(engine, "User", "name")[keys["changed"]] == "Edited by hand"
    visits = result["plan"]["tables"]["CountryVisit"]
    assert visits["insert"] == len(in_backup["CountryVisit"]) - len(edited["CountryVisit"])


def test_fail_refuses_a_row_that_exists_with_other_values(db_url: str, tmp_path: Path) -> None:
    engine, mgr, backup_id, _, edited, keys = _setup(db_url, tmp_path, unique=False)
    message = _refused(mgr, backup_id, RestoreConflict, conflict="fail")
    assert "User: 1 row(s)" in message and keys["changed"] in message
    assert snapshot(engine) == edited
    assert len(mgr.list_backups()["backups"]) == 1  # no emergency backup left behind


def _undo_edit(engine: sa.Engine, in_backup: dict[str, Rows], user_id: str) -> None:
    name = next(r[1] for r in in_backup["User"] if r[0] == user_id)
    update_where_id(engine, "User", "name", {user_id: name})


def test_fail_inserts_when_no_existing_row_differs(db_url: str, tmp_path: Path) -> None:
    engine, mgr, backup_id, in_backup, edited, keys = _setup(db_url, tmp_path, unique=False)
    _undo_edit(engine, in_backup, keys["changed"])
    result = restore(mgr, backup_id, conflict="fail")
    assert snapshot(engine) == combined(edited, in_backup)  # zz_only stays
    assert result["plan"]["totals"]["conflicting"] == 0
    assert result["plan"]["tables"]["User"]["insert"] == 1


def test_unique_columns_are_conflicts_reported_by_name(db_url: str, tmp_path: Path) -> None:
    """A backup row whose email (or session token) another row holds: merge, skip and fail
    refuse it by the index's name and change nothing; the preview shows it."""
    engine, mgr, backup_id, in_backup, _, keys = _setup(db_url, tmp_path, unique=True)
    _undo_edit(engine, in_backup, keys["changed"])  # only the unique conflicts remain
    edited = snapshot(engine)
    for strategy in ("merge", "skip", "fail"):
        preview = restore(mgr, backup_id, conflict=strategy, dry_run=True)["plan"]["tables"]
        assert preview["User"]["uniqueConflicts"] == [
            {"columns": ["email"], "rows": 1, "name": "User_email_key"}
        ]
        assert preview["Session"]["uniqueConflicts"] == [
            {"columns": ["sessionToken"], "rows": 1, "name": "Session_sessionToken_key"}
        ]
        message = _refused(mgr, backup_id, RestoreConflict, conflict=strategy)
        assert "User_email_key (1 row(s))" in message
        assert "Session_sessionToken_key (1 row(s))" in message
        assert snapshot(engine) == edited
    assert len(mgr.list_backups()["backups"]) == 1  # no emergency backups left behind
    restore(mgr, backup_id, conflict="replace")  # replace removes the rows holding them
    assert snapshot(engine) == in_backup


def test_rows_exchanging_unique_values_are_no_conflict(db_url: str, tmp_path: Path) -> None:
    """Two users swapped emails after the backup: merge and replace swap them back (the
    database checks its unique index row by row, half-way through the update)."""
    engine, mgr, backup_id, in_backup, edited, _ = _setup(db_url, tmp_path, unique=False)
    emails = column_by_id(engine, "User", "email")
    a, b = sorted(emails)[4:6]

    def swap() -> None:
        update_where_id(engine, "User", "email", {a: "swapping@example.com"})
        update_where_id(engine, "User", "email", {b: emails[a]})
        update_where_id(engine, "User", "email", {a: emails[b]})

    swap()
    swapped = snapshot(engine)
    preview = restore(mgr, backup_id, conflict="merge", dry_run=True)
    assert preview["plan"]["tables"]["User"]["uniqueConflicts"] == []
    result = restore(mgr, backup_id, conflict="merge")
    assert result["plan"] == preview["plan"]
    assert result["plan"]["tables"]["User"]["update"] == 3  # both, and the edited one
    assert snapshot(engine) == combined(swapped, in_backup) == combined(edited, in_backup)
    swap()
    restore(mgr, backup_id, conflict="replace")
    assert snapshot(engine) == in_backup


def test_table_without_primary_key_only_with_replace(db_url: str, tmp_path: Path) -> None:
    engine = dino_database(db_url, users=4, visits=10)
    execute(
        engine,
        'CREATE TABLE "Note" ("body" VARCHAR(50), "n" INTEGER)',
        "INSERT INTO \"Note\" VALUES ('a', 1), ('b', 2), ('b', 2)",
    )
    mgr = manager(db_url, tmp_path / "b")
    backup_id = backup(mgr)
    execute(engine, "INSERT INTO \"Note\" VALUES ('c', 3)", 'DELETE FROM "Note" WHERE "n" = 1')
    edited = snapshot(engine, ("Note", "User"))
    for strategy in ("merge", "skip", "fail"):
        for dry_run in (True, False):
            message = _refused(
                mgr, backup_id, IncompatibleSchema, conflict=strategy, dry_run=dry_run
            )
            assert "Note" in message and "primary key" in message and "replace" in message
        assert snapshot(engine, ("Note", "User")) == edited
    assert len(mgr.list_backups()["backups"]) == 1
    assert restore(mgr, backup_id, conflict="merge", tables=["User"])["restoredTables"] == ["User"]
    note = restore(mgr, backup_id, tables=["Note"])["plan"]["tables"]["Note"]
    assert (note["insert"], note["update"], note["delete"]) == (3, 0, 3)
    assert snapshot(engine, ("Note",))["Note"] == [("a", 1), ("b", 2), ("b", 2)]
