"""Schema drift between a backup and the database, one case at a time: compared before
anything is written, each decision named in the warnings of the preview and of the
restore, and a refusal changes nothing (no row, no table, no emergency backup)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import make_database
from roundtrip_support import (
    backup,
    dino_database,
    dispose_all,
    engine_for,
    manager,
    restore,
    snapshot,
    table_rows,
)

from dino_backup.core.manager import BackupManager
from dino_backup.core.options import RestoreOptions
from dino_backup.errors import IncompatibleSchema
from dino_backup.schema.dino import metadata as dino_metadata

ROWS = [("g1", "Anvil", 3, "heavy"), ("g2", "Rope", 10, None), ("g3", "Rocket", 1, "fast")]



def gadget(*columns: sa.Column[Any]) -> sa.Table:
    """The table `Gadget` as one version of an application declares it."""
    return sa.Table(
        "Gadget", sa.MetaData(), sa.Column("id", sa.String(40), primary_key=True), *columns
    )


def columns_1() -> list[sa.Column[Any]]:
    return [
        sa.Column("name", sa.String(100)),
        sa.Column("qty", sa.Integer),
        sa.Column("note", sa.Text),
    ]


def version_1() -> sa.Table:
    return gadget(*columns_1())


def _backed_up(db_url: str, tmp_path: Path) -> tuple[sa.Engine, BackupManager, str]:
    """A database holding `Gadget` (version 1) and its backup, with the table then dropped."""
    engine = engine_for(db_url)
    table = version_1()
    table.create(engine)
    with engine.begin() as conn:
        conn.execute(
            table.insert(), [dict(zip(("id", "name", "qty", "note"), r, strict=True)) for r in ROWS]
        )
    mgr = manager(db_url, tmp_path / "b")
    backup_id = backup(mgr)
    table.drop(engine)
    return engine, mgr, backup_id


def _both(mgr: BackupManager, backup_id: str, **options: Any) -> tuple[dict[str, Any], ...]:
    """Preview, then restore; the preview's warnings are the restore's."""
    preview = restore(mgr, backup_id, dry_run=True, **options)
    result = restore(mgr, backup_id, **options)
    assert preview["warnings"] == result["warnings"]
    assert preview["plan"] == result["plan"]
    return preview, result


def _refused(
    mgr: BackupManager, engine: sa.Engine, backup_id: str, match: str, **options: Any
) -> None:
    """Preview and restore are both refused, and nothing changed."""
    tables = set(sa.inspect(engine).get_table_names())
    rows = {t: table_rows(engine, t) for t in tables}
    for dry_run in (True, False):
        with pytest.raises(IncompatibleSchema, match=match):
            mgr.restore_from_backup(RestoreOptions(backup_id, dry_run=dry_run, **options))
    assert set(sa.inspect(engine).get_table_names()) == tables
    assert {t: table_rows(engine, t) for t in tables} == rows
    assert len(mgr.list_backups()["backups"]) == 1  # no emergency backup left behind


def test_column_only_in_the_backup_is_dropped_with_a_warning(db_url: str, tmp_path: Path) -> None:
    engine, mgr, backup_id = _backed_up(db_url, tmp_path)
    gadget(sa.Column("name", sa.String(100)), sa.Column("qty", sa.Integer)).create(engine)
    _, result = _both(mgr, backup_id)
    assert "Gadget: backup columns not in the database, dropped: note" in result["warnings"]
    assert table_rows(engine, "Gadget") == [r[:3] for r in ROWS]


def test_column_only_in_the_database_gets_its_default_or_null(db_url: str, tmp_path: Path) -> None:
    engine, mgr, backup_id = _backed_up(db_url, tmp_path)
    table = gadget(
        *columns_1(),
        sa.Column("color", sa.String(20)),
        sa.Column("size", sa.Integer, nullable=False, server_default="7"),
    )
    table.create(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), {"id": "g1", "name": "Old", "color": "red", "size": 2})
    preview, result = _both(mgr, backup_id)
    assert "Gadget.color: not in the backup, filled by its default (NULL)" in result["warnings"]
    assert "Gadget.size: not in the backup, filled by its default" in result["warnings"]
    plan = preview["plan"]["tables"]["Gadget"]
    assert (plan["insert"], plan["update"], plan["changedColumns"]) == (
        2,
        1,
        ["name", "qty", "note"],
    )
    assert table_rows(engine, "Gadget") == [
        ("g1", "Anvil", 3, "heavy", "red", 2),  # an updated row keeps what the backup lacks
        ("g2", "Rope", 10, None, None, 7),
        ("g3", "Rocket", 1, "fast", None, 7),
    ]


def test_not_null_column_without_default_refuses_the_table(db_url: str, tmp_path: Path) -> None:
    engine, mgr, backup_id = _backed_up(db_url, tmp_path)
    gadget(*columns_1(), sa.Column("code", sa.String(10), nullable=False)).create(engine)
    _refused(mgr, engine, backup_id, r"Gadget\.code is NOT NULL without a default")


def test_changed_type_is_converted_where_safe(db_url: str, tmp_path: Path) -> None:
    engine, mgr, backup_id = _backed_up(db_url, tmp_path)
    gadget(
        sa.Column("name", sa.String(100)),
        sa.Column("qty", sa.String(20)),
        sa.Column("note", sa.Text),
    ).create(engine)
    _, result = _both(mgr, backup_id)
    assert any(
        re.match(r"Gadget\.qty: INTEGER(\(11\))? converted to VARCHAR\(20\)", w)
        for w in result["warnings"]
    ), result["warnings"]
    assert table_rows(engine, "Gadget") == [(i, n, str(q), t) for i, n, q, t in ROWS]


def test_changed_type_is_refused_where_not_safe(db_url: str, tmp_path: Path) -> None:
    engine, mgr, backup_id = _backed_up(db_url, tmp_path)
    table = gadget(sa.Column("name", sa.Integer), sa.Column("qty", sa.Integer))
    table.create(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), {"id": "g9", "name": 1, "qty": 1})
    _refused(mgr, engine, backup_id, r"Gadget\.name: value 'Anvil' cannot be stored as integer")


def test_missing_table_is_refused_without_create_missing(db_url: str, tmp_path: Path) -> None:
    engine, mgr, backup_id = _backed_up(db_url, tmp_path)
    _refused(mgr, engine, backup_id, "Gadget.*--create-missing")


def test_missing_table_is_created_with_create_missing(db_url: str, tmp_path: Path) -> None:
    """The preview creates it only for as long as it looks (nothing left behind)."""
    engine = dino_database(db_url, users=5, visits=20)
    mgr = manager(db_url, tmp_path / "b")
    backup_id = backup(mgr)
    before = snapshot(engine, ("User", "CountryVisit"))
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"DROP TABLE {engine.dialect.identifier_preparer.quote('CountryVisit')}"
        )
    preview = restore(mgr, backup_id, dry_run=True, create_missing=True)
    assert "table CountryVisit is not in the database; it will be created" in preview["warnings"]
    assert preview["plan"]["tables"]["CountryVisit"]["insert"] == len(before["CountryVisit"])
    assert "CountryVisit" not in sa.inspect(engine).get_table_names()
    assert [b["id"] for b in mgr.list_backups()["backups"]] == [backup_id]
    result = restore(mgr, backup_id, create_missing=True)
    assert result["plan"] == preview["plan"] and result["warnings"] == preview["warnings"]
    assert snapshot(engine, ("User", "CountryVisit")) == before
    fks = sa.inspect(engine).get_foreign_keys("CountryVisit")
    assert [(fk["referred_table"], fk["constrained_columns"]) for fk in fks] == [
        ("User", ["userId"])
    ]


def test_create_missing_refused_later_drops_what_it_created(db_url: str, tmp_path: Path) -> None:
    """A restore refused after creating a table (a foreign-key problem) drops it again;
    so does the preview that shows the problem."""
    engine = dino_database(db_url, users=5, visits=20)
    mgr = manager(db_url, tmp_path / "b")
    backup_id = backup(mgr)
    q = engine.dialect.identifier_preparer.quote
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE {q('CountryVisit')}")
        for table in ("Session", "Account", "User"):
            conn.exec_driver_sql(f"DELETE FROM {q(table)}")
    options = {"create_missing": True, "tables": ["CountryVisit"]}
    preview = restore(mgr, backup_id, dry_run=True, **options)
    assert preview["plan"]["tables"]["CountryVisit"]["foreignKeyProblems"] == [
        {"columns": ["userId"], "references": "User", "rows": 20}
    ]
    assert "CountryVisit" not in sa.inspect(engine).get_table_names()
    with pytest.raises(IncompatibleSchema, match="reference missing parents"):
        mgr.restore_from_backup(RestoreOptions(backup_id, **options))
    assert "CountryVisit" not in sa.inspect(engine).get_table_names()
    assert len(mgr.list_backups()["backups"]) == 1


@pytest.mark.parametrize("target", ["postgresql", "mysql"])
def test_create_missing_across_engines(target: str, tmp_path: Path) -> None:
    """A SQLite backup creates a missing child table on a server, with its foreign key."""
    source_url = f"sqlite:///{tmp_path / 'source.db'}"
    source = dino_database(source_url, users=5, visits=20)
    backup_id = backup(manager(source_url, tmp_path / "b"))
    expected = snapshot(source, ("User", "CountryVisit"))
    servers = make_database(target, tmp_path)
    url = next(servers)
    try:
        engine = engine_for(url)
        dino_metadata.tables["User"].create(engine)
        mgr = manager(url, tmp_path / "b")
        result = restore(mgr, backup_id, create_missing=True)
        assert "table CountryVisit is not in the database; it will be created" in result["warnings"]
        rows = {t: len(table_rows(engine, t)) for t in ("User", "CountryVisit")}
        assert rows == {t: len(expected[t]) for t in ("User", "CountryVisit")}
        fks = sa.inspect(engine).get_foreign_keys("CountryVisit")
        assert [fk["referred_table"] for fk in fks] == ["User"]
        dispose_all()
    finally:
        dispose_all()
        next(servers, None)


def test_failed_creation_half_way_leaves_no_table(tmp_path: Path) -> None:
    """MariaDB commits each CREATE TABLE at once: when the second of two missing tables
    cannot be created (a name longer than MariaDB allows), the first is dropped again."""
    source_url = f"sqlite:///{tmp_path / 'source.db'}"
    source = engine_for(source_url)
    meta = sa.MetaData()
    long_name = "B_" + "x" * 70
    for name in ("A_fine", long_name):
        sa.Table(name, meta, sa.Column("id", sa.Integer, primary_key=True))
    meta.create_all(source)
    backup_id = backup(manager(source_url, tmp_path / "b"))
    servers = make_database("mysql", tmp_path)
    url = next(servers)
    try:
        engine = engine_for(url)
        dino_metadata.tables["User"].create(engine)
        mgr = manager(url, tmp_path / "b")
        with pytest.raises(
            IncompatibleSchema, match=f"cannot create table {long_name}: .*Incorrect table name"
        ):
            mgr.restore_from_backup(RestoreOptions(backup_id, create_missing=True))
        assert sa.inspect(engine).get_table_names() == ["User"]
        assert len(mgr.list_backups()["backups"]) == 1
    finally:
        dispose_all()
        next(servers, None)
