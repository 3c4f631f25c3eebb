"""SQLite writes JSON Lines itself (json_array) that decode to exactly the values Python's
encoding gives; a blob where none was expected makes the backup read that table row by row."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from roundtrip_support import backup, manager, restore

from dino_backup.archive.values import decode_row, encode_batch
from dino_backup.dialects.base import RowByRow
from dino_backup.dialects.sqlite import _CHUNK_BYTES as CHUNK_BYTES
from dino_backup.dialects.sqlite import _JSON_BATCH as JSON_BATCH
from dino_backup.dialects.sqlite import SQLiteDialect, _has_rowid
from dino_backup.schema.reflect import reflect_tables

DDL = "CREATE TABLE mixed (id INTEGER PRIMARY KEY, n NUMERIC, t TEXT, d DATETIME, v VARCHAR(9))"
ROWS: list[tuple[Any, ...]] = [
    (1, 15, "tab\there \"q\" \\ \x01 é 🦕", "2024-01-02 03:04:05", "x"),
    (2, None, "", 1717171717123, None),
    (3, -0, "1.0", 2, 12),
    (4, 9223372036854775807, None, None, "\u2028"),
    (5, -9223372036854775808, "null", "[1]", "{}"),
    (6, "12.5 kg", "a\nb\r\n", 0, -1),
]
COLUMNS = ("id", "n", "t", "d", "v")


def _database(tmp_path: Path, rows: list[tuple[Any, ...]]) -> str:
    path = tmp_path / "mixed.db"
    with sqlite3.connect(path) as db:
        db.execute(DDL)
        db.executemany("INSERT INTO mixed VALUES (?, ?, ?, ?, ?)", rows)
    return f"sqlite:///{path}"


def _both_ways(url: str, table: str = "mixed") -> tuple[list[Any], list[Any]]:
    engine = sa.create_engine(url)
    dialect = SQLiteDialect(engine)
    spec = reflect_tables(engine)[table]
    with dialect.snapshot() as conn:
        blocks = dialect.json_lines(conn, spec, spec.column_names)
        assert blocks is not None
        via_sqlite = [decode_row(line) for b in blocks for line in b.splitlines()]
        via_python = [decode_row(line) for b in dialect.stream_rows(conn, spec, spec.column_names)
                      for line in encode_batch(b).splitlines()]  # fmt: skip
    engine.dispose()
    return via_sqlite, via_python


def _stored(url: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        columns = ", ".join(f"{c}, typeof({c})" for c in COLUMNS)
        return [tuple(map(repr, r)) for r in db.execute(f"SELECT {columns} FROM mixed")]


def test_values_sqlite_encodes_decode_as_pythons_do(tmp_path: Path) -> None:
    via_sqlite, via_python = _both_ways(_database(tmp_path, ROWS))
    assert len(via_sqlite) == len(ROWS)
    assert list(map(repr, via_sqlite)) == list(map(repr, via_python))  # -0.0, inf: by repr


@pytest.mark.parametrize(
    "odd",
    [
        (7, b"\x00num", b"\xff\x00text", b"", b"v"),  # blobs, in a TEXT column too
        (7, 0.1, "t", 1.7976931348623157e308, "v"),  # REALs, which SQLite prints inexactly
        (7, float("inf"), None, -0.0, 5e-324),
    ],
)
def test_what_sqlite_cannot_encode_is_read_row_by_row(
    tmp_path: Path, odd: tuple[Any, ...]
) -> None:
    url = _database(tmp_path, [*ROWS, odd])
    with pytest.raises(RowByRow):
        _both_ways(url)
    before = _stored(url)
    mgr = manager(url, tmp_path / "b")
    backup_id = backup(mgr)
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        db.execute("DELETE FROM mixed")
    restore(mgr, backup_id)
    mgr.ctx.engine.dispose()
    assert _stored(url) == before


def test_tables_with_blob_or_real_columns_are_read_row_by_row(tmp_path: Path) -> None:
    path = tmp_path / "typed.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, x REAL)")
        db.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, x BLOB)")
        db.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, x)")
    engine = sa.create_engine(f"sqlite:///{path}")
    dialect = SQLiteDialect(engine)
    specs = reflect_tables(engine)
    with dialect.snapshot() as conn:
        assert [dialect.json_lines(conn, specs[t], ["id", "x"]) for t in "abc"] == [None] * 3
    engine.dispose()


ROWIDS = [-(2**63), -5, 0, 3, *range(10, 2 * JSON_BATCH + 10, 1), 2**62, 2**63 - 1]


@pytest.mark.parametrize(
    ("ddl", "chunked"),
    [
        ("CREATE TABLE many (id INTEGER PRIMARY KEY, t TEXT)", True),  # rowid alias
        ("CREATE TABLE many (k INTEGER, t TEXT)", True),  # hidden rowid
        ('CREATE TABLE many (id INTEGER PRIMARY KEY, "t{where}" TEXT)', True),  # braces
        ("CREATE TABLE many (id INTEGER PRIMARY KEY, t TEXT) WITHOUT ROWID", False),
        ('CREATE TABLE many (id INTEGER, t TEXT, "rowid" TEXT, "OID" TEXT)', False),
    ],
)
def test_every_row_once_whether_read_in_chunks_or_not(
    tmp_path: Path, ddl: str, chunked: bool
) -> None:
    path = tmp_path / "many.db"
    with sqlite3.connect(path) as db:
        db.execute(ddl)
        columns = [r[1] for r in db.execute("PRAGMA table_info(many)")]
        values = ", ".join("?" * len(columns))
        db.executemany(
            f"INSERT INTO many VALUES ({values})",
            [(i, f"row {i}", *[f"r{i}"] * (len(columns) - 2)) for i in ROWIDS],
        )
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        assert _has_rowid(conn, reflect_tables(engine)["many"], "many") is chunked
    engine.dispose()
    via_sqlite, via_python = _both_ways(f"sqlite:///{path}", "many")
    assert len(via_sqlite) == len(ROWIDS)
    assert sorted(map(repr, via_sqlite)) == sorted(map(repr, via_python))


def test_wide_rows_come_in_blocks_of_a_few_megabytes(tmp_path: Path) -> None:
    path = tmp_path / "wide.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE wide (id INTEGER PRIMARY KEY, t TEXT)")
        db.executemany("INSERT INTO wide VALUES (?, ?)", [(i, "w" * 100_000) for i in range(300)])
    engine = sa.create_engine(f"sqlite:///{path}")
    dialect = SQLiteDialect(engine)
    spec = reflect_tables(engine)["wide"]
    with dialect.snapshot() as conn:
        blocks = dialect.json_lines(conn, spec, spec.column_names)
        assert blocks is not None
        sizes = [(len(b), b.count(b"\n")) for b in blocks]
    engine.dispose()
    assert sum(rows for _, rows in sizes) == 300
    assert len(sizes) > 3
    assert all(size <= 2 * CHUNK_BYTES for size, _ in sizes[1:])
