"""Restores into empty tables load them directly (no staging); on PostgreSQL with plain
indexes and foreign keys dropped during the load and built again afterwards, exactly as
they were, and a foreign key the rows break still refuses the restore."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from roundtrip_support import (
    backup,
    dino_database,
    execute,
    manager,
    restore,
    snapshot,
    wipe,
)

from dino_backup.core.options import RestoreOptions
from dino_backup.errors import IncompatibleSchema

_DEFINITIONS = """
SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT 'constraint', conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE connamespace = 'public'::regnamespace
ORDER BY 1, 2
"""



def _definitions(engine: sa.Engine) -> list[tuple[str, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(_DEFINITIONS)]


@pytest.mark.parametrize("tables", [None, ("User", "Account")])
def test_empty_tables_are_loaded_directly_and_keep_their_indexes(
    db_url: str, tmp_path: Path, tables: tuple[str, ...] | None
) -> None:
    """All tables, or some (whose keys other tables' foreign keys need: those stay)."""
    engine = dino_database(db_url)
    before = snapshot(engine, tables) if tables else snapshot(engine)
    mgr = manager(db_url, tmp_path / "b")
    backup_id = backup(mgr, include_sessions=True)
    wipe(engine)
    definitions = _definitions(engine) if engine.dialect.name == "postgresql" else []
    chosen = {"tables": list(tables)} if tables else {}
    preview = restore(mgr, backup_id, dry_run=True, **chosen)
    result = restore(mgr, backup_id, **chosen)
    assert result["plan"] == preview["plan"]
    assert result["recordCounts"] == {k: len(v) for k, v in before.items()}
    assert (snapshot(engine, tables) if tables else snapshot(engine)) == before
    if engine.dialect.name == "postgresql":
        assert _definitions(engine) == definitions


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_broken_foreign_key_refuses_a_direct_load(db_url: str, tmp_path: Path) -> None:
    engine = dino_database(db_url)
    execute(
        engine,
        "CREATE TABLE parent (id int PRIMARY KEY)",
        "CREATE TABLE child (id int PRIMARY KEY, parent_id int)",
        "CREATE INDEX child_parent ON child (parent_id)",
        "INSERT INTO parent VALUES (1)",
        "INSERT INTO child VALUES (1, 1), (2, 99)",
    )
    mgr = manager(db_url, tmp_path / "b")
    backup_id = backup(mgr, tables=["parent", "child"])
    execute(
        engine,
        "DELETE FROM child",
        "DELETE FROM parent",
        "ALTER TABLE child ADD CONSTRAINT child_fk FOREIGN KEY (parent_id) REFERENCES parent",
    )
    definitions = _definitions(engine)
    with pytest.raises(IncompatibleSchema, match="child_fk"):
        mgr.restore_from_backup(RestoreOptions(backup_id, tables=["parent", "child"]))
    assert _definitions(engine) == definitions
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM parent").scalar() == 0
