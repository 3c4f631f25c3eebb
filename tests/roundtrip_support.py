"""Helpers shared by the round-trip tests: a manager on a database, raw row snapshots."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from psycopg.types.string import TextLoader

from dino_backup.core.context import Context
from dino_backup.core.manager import BackupManager
from dino_backup.core.options import BackupOptions, RestoreOptions
from dino_backup.demo import generate_demo_data
from dino_backup.dialects import create_engine
from dino_backup.schema.dino import DINO_TABLES, create_schema
from dino_backup.settings import Settings
from dino_backup.storage import LocalStorage

Rows = list[tuple[Any, ...]]
# Children before parents, so plain DELETEs never trip a foreign key.
WIPE_ORDER = ("CountryVisit", "Session", "Account", "VerificationToken", "User")


_OPEN: list[sa.Engine] = []


def tracked(engine: sa.Engine) -> sa.Engine:
    """Remember an engine, so that dispose_all closes its connections after the test."""
    _OPEN.append(engine)
    return engine


def dispose_all() -> None:
    while _OPEN:
        _OPEN.pop().dispose()


def engine_for(url: str) -> sa.Engine:
    return tracked(create_engine(url))


def manager(url: str, backup_dir: Path, key: str | None = None) -> BackupManager:
    settings = Settings(database_url=url, backup_dir=backup_dir, encryption_key=key)
    mgr = BackupManager(Context(settings, LocalStorage(backup_dir)))
    tracked(mgr.ctx.engine)
    return mgr


def dino_database(url: str, users: int = 50, visits: int = 300) -> sa.Engine:
    engine = engine_for(url)
    create_schema(engine)
    generate_demo_data(engine, users=users, visits=visits, seed=7)
    return engine


@contextmanager
def raw_cursor(engine: sa.Engine, commit: bool = False) -> Iterator[Any]:
    """A cursor of the driver itself (sqlite3 / psycopg / PyMySQL): no SQLAlchemy typing."""
    conn = engine.raw_connection()
    adapters = getattr(conn.driver_connection, "adapters", None)
    if adapters is not None:  # psycopg: JSON and intervals as stored, not parsed
        for name in ("json", "jsonb", "interval"):
            adapters.register_loader(name, TextLoader)
    try:
        cur = conn.cursor()
        yield cur
        cur.close()
        if commit:
            conn.commit()
        else:
            conn.rollback()
    finally:
        conn.close()


def quote(engine: sa.Engine, name: str) -> str:
    return str(engine.dialect.identifier_preparer.quote_identifier(name))


def table_rows(engine: sa.Engine, table: str) -> Rows:
    """Every row as the driver returns it, sorted (by repr, so mixed types sort too)."""
    with raw_cursor(engine) as cur:
        cur.execute(f"SELECT * FROM {quote(engine, table)}")
        rows = [tuple(r) for r in cur.fetchall()]
    return sorted(rows, key=repr)


def snapshot(engine: sa.Engine, tables: tuple[str, ...] = DINO_TABLES) -> dict[str, Rows]:
    return {t: table_rows(engine, t) for t in tables}


def execute(engine: sa.Engine, *statements: str) -> None:
    """Run SQL (identifiers written with double quotes) through the raw driver, committed."""
    with raw_cursor(engine, commit=True) as cur:
        for sql in statements:
            if engine.dialect.name in ("mysql", "mariadb"):
                sql = sql.replace('"', "`")
            cur.execute(sql)


def wipe(engine: sa.Engine, tables: tuple[str, ...] = WIPE_ORDER) -> None:
    execute(engine, *(f'DELETE FROM "{t}"' for t in tables))


def backup(mgr: BackupManager, **options: Any) -> str:
    result = mgr.create_backup(BackupOptions(**options))
    assert result["success"] is True
    return str(result["backupId"])


def restore(mgr: BackupManager, backup_id: str, **options: Any) -> dict[str, Any]:
    result = mgr.restore_from_backup(RestoreOptions(backup_id=backup_id, **options))
    assert result["success"] is True
    return result


def placeholder(engine: sa.Engine) -> str:
    return "?" if engine.dialect.paramstyle == "qmark" else "%s"


def update_where_id(engine: sa.Engine, table: str, column: str, changes: dict[str, Any]) -> None:
    """Set `column` of the rows whose id is a key of `changes` to the mapped values."""
    mark = placeholder(engine)
    sql = f"UPDATE {quote(engine, table)} SET {quote(engine, column)} = {mark} WHERE "
    sql += f"{quote(engine, 'id')} = {mark}"
    with raw_cursor(engine, commit=True) as cur:
        for row_id, value in changes.items():
            cur.execute(sql, (value, row_id))


def column_by_id(engine: sa.Engine, table: str, column: str) -> dict[Any, Any]:
    """{id: value} of one column, for the rows where it is not NULL."""
    sql = f"SELECT {quote(engine, 'id')}, {quote(engine, column)} FROM {quote(engine, table)}"
    with raw_cursor(engine) as cur:
        cur.execute(sql)
        return {r[0]: r[1] for r in cur.fetchall() if r[1] is not None}


def modify_dino(engine: sa.Engine) -> None:
    """Changes a restore must undo, including ones that case- or accent-insensitive
    collations (and MariaDB's PAD SPACE) consider equal to the original values."""
    users = column_by_id(engine, "User", "name")
    ids = sorted(users)
    update_where_id(engine, "User", "name", {ids[0]: users[ids[0]].upper() + "X"})
    update_where_id(engine, "User", "name", {ids[1]: users[ids[1]].upper()})
    update_where_id(engine, "User", "name", {ids[2]: users[ids[2]] + "  "})
    notes = column_by_id(engine, "CountryVisit", "notes")
    update_where_id(
        engine,
        "CountryVisit",
        "notes",
        {k: v.replace("é", "e").replace("🦕", "🦖").replace("🎉", "😀") for k, v in notes.items()},
    )
    execute(
        engine,
        "DELETE FROM \"CountryVisit\" WHERE \"country\" IN ('JP', 'FR')",
        'UPDATE "CountryVisit" SET "maxDays" = 7 WHERE "maxDays" = 90',
        'DELETE FROM "Session" WHERE "id" IN (SELECT * FROM (SELECT MIN("id") FROM "Session") s)',
        'INSERT INTO "User" ("id", "email", "createdAt", "updatedAt") '
        "VALUES ('znew', 'new@example.com', '2025-01-01 00:00:00', '2025-01-01 00:00:00')",
    )
