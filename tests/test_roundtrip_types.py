"""Every common column type comes back exactly as stored after a same-engine backup and
restore: NULL vs empty, unicode, control characters, extremes, time zones, JSON text; and
on SQLite mixed storage classes in one column keep their values and `typeof`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from roundtrip_support import (
    backup,
    engine_for,
    execute,
    manager,
    placeholder,
    quote,
    raw_cursor,
    restore,
)
from types_support import (
    LONG_TEXT,
    TABLE,
    create_types_table,
    engine_kind,
    extreme_rows,
    insert_rows,
    row_strategy,
    sqlite_value,
    typed_rows,
)

EXAMPLES = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _mutated(column: str, value: Any, default: Any) -> Any:
    """A different value that collations and PAD SPACE may still call equal."""
    if isinstance(value, str):
        changed = value.upper()
        json_text = column.startswith("c_json")
        return changed if changed != value and not json_text else value + " "
    return default if value is None else None


def _mutate(engine: sa.Engine, columns: list[str], defaults: dict[str, Any]) -> None:
    """Delete every other row, change every value of the rest, add a row."""
    mark = placeholder(engine)
    with raw_cursor(engine) as cur:
        cur.execute(f"SELECT {', '.join(quote(engine, c) for c in columns)} FROM {TABLE}")
        rows = [list(r) for r in cur.fetchall()]
    sets = ", ".join(f"{quote(engine, c)} = {mark}" for c in columns[1:])
    with raw_cursor(engine, commit=True) as cur:
        for row in rows:
            if row[0] % 2 == 0:
                cur.execute(f"DELETE FROM {TABLE} WHERE id = {mark}", (row[0],))
                continue
            pairs = zip(columns[1:], row[1:], strict=True)
            values = [_mutated(c, v, defaults[c]) for c, v in pairs]
            if engine_kind(engine) == "sqlite":
                values = [sqlite_value(v) for v in values]
            cur.execute(f"UPDATE {TABLE} SET {sets} WHERE id = {mark}", (*values, row[0]))
    insert_rows(engine, columns, [[10**6, *(defaults[c] for c in columns[1:])]])


def _round_trip(engine: sa.Engine, url: str, backup_dir: Path, columns: list[str]) -> None:
    before = typed_rows(engine, columns)
    mgr = manager(url, backup_dir)
    backup_id = backup(mgr, tables=[TABLE])
    defaults = dict(zip(columns, extreme_rows(engine_kind(engine))[2], strict=True))
    _mutate(engine, columns, defaults)
    restore(mgr, backup_id)
    mgr.ctx.engine.dispose()
    assert typed_rows(engine, columns) == before


def test_extreme_values_round_trip(db_url: str, tmp_path: Path) -> None:
    engine = engine_for(db_url)
    columns = create_types_table(engine)
    rows = extreme_rows(engine_kind(engine))
    insert_rows(engine, columns, rows)
    assert len(typed_rows(engine, columns)) == len(rows)
    assert any(repr(LONG_TEXT) in r for r in typed_rows(engine, columns))
    _round_trip(engine, db_url, tmp_path / "b", columns)


def test_generated_values_round_trip(db_url: str, tmp_path: Path) -> None:
    engine = engine_for(db_url)
    columns = create_types_table(engine)
    kind = engine_kind(engine)
    runs = iter(range(10**6))

    @EXAMPLES
    @given(rows=st.lists(row_strategy(kind), max_size=6))
    def check(rows: list[list[Any]]) -> None:
        execute(engine, f"DELETE FROM {TABLE}")
        insert_rows(engine, columns, [[i, *r] for i, r in enumerate(rows)])
        _round_trip(engine, db_url, tmp_path / f"b{next(runs)}", columns)

    check()


# --- SQLite type affinity -----------------------------------------------------------------

AFFINITY_DDL = (
    "CREATE TABLE affinity (id INTEGER PRIMARY KEY, stamp DATETIME, day DATE, "
    "flag BOOLEAN, amount NUMERIC(20,6), anything, label TEXT COLLATE NOCASE, "
    "num INTEGER, blobby BLOB)"
)
EPOCH_MS = 1_717_171_717_123
AFFINITY_ROWS: list[tuple[Any, ...]] = [
    (1, EPOCH_MS, 20240102, 1, "12.5", "123", "abc", 42, b"\x00\x01"),
    (2, "2024-01-02 03:04:05", "2024-01-02", 0, 12, 123, "ABC", "abc", "text in a blob"),
    (3, "2024-01-02T03:04:05.123Z", "2024-01-02T00:00:00", "true", "1e3", 1.5, "é", 1.5, 7),
    (4, "2024-01-02 03:04:05.123456+02:00", 19723, None, "12345678901234.123456", b"\xff", "", "",
     1.25),
    (5, 1717171717.5, 2460311.5, 2, "x", "", None, "12", None),
    (6, "", "", "", "", None, " ", "9223372036854775807", ""),
    (7, -EPOCH_MS, "junk", 1.0, 99.0, "0x10", "\t\n", "1e2", "0"),
]  # fmt: skip


def _affinity_rows(engine: sa.Engine) -> list[tuple[Any, ...]]:
    columns = ["id", "stamp", "day", "flag", "amount", "anything", "label", "num", "blobby"]
    return typed_rows(engine, columns, table="affinity")


def test_sqlite_mixed_storage_classes_round_trip(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'affinity.db'}"
    engine = engine_for(url)
    execute(engine, AFFINITY_DDL)
    with raw_cursor(engine, commit=True) as cur:
        cur.executemany(f"INSERT INTO affinity VALUES ({', '.join('?' * 9)})", AFFINITY_ROWS)
    before = _affinity_rows(engine)
    assert {r[3] for r in before} == {"'integer'", "'real'", "'text'"}  # typeof(stamp)
    mgr = manager(url, tmp_path / "b")
    backup_id = backup(mgr, tables=["affinity"])
    execute(
        engine,
        "UPDATE affinity SET label = upper(label), stamp = CAST(stamp AS TEXT), "
        "num = CAST(num AS TEXT), anything = CAST(anything AS BLOB) WHERE id % 2 = 1",
        "DELETE FROM affinity WHERE id % 2 = 0",
    )
    assert _affinity_rows(engine) != before
    result = restore(mgr, backup_id)
    assert _affinity_rows(engine) == before
    assert result["warnings"] == []


# --- types only some engines have -------------------------------------------------------------

_EXTRA: dict[str, tuple[str, list[str]]] = {
    "postgresql": (
        "CREATE TABLE extra (id int PRIMARY KEY, iv interval, ints int[], nums numeric[], "
        "texts text[], stamps timestamptz[], u uuid, addr inet, tz timetz, doc xml, pt point, "
        "bits bit varying(10), ch char(5), arr jsonb, mon money)",
        [
            "(1, '1 mon 2 days 03:04:05.5', '{1,NULL,3}', '{{1.50,2},{NaN,-0.001}}', "
            '\'{"a \\"q\\"","b,c",NULL,""}\', \'{"2024-01-02 03:04:05+02"}\', '
            "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.0.1/24', '03:04:05.25+02', "
            "'<a>x &amp; y</a>', '(1.5,2)', B'101', 'ab', '[1, {\"b\": 2, \"a\": 1}]', 12.34)",
            "(2, '-1 years -2 mons +3 days', '{}', '{}', '{}', '{}', "
            "'00000000-0000-0000-0000-000000000000', '::1', '00:00:00-14', '', '(0,0)', B'', "
            "'', '[]', -0.01)",
            "(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
            "NULL)",
        ],
    ),
    "mysql": (
        "CREATE TABLE extra (id INT PRIMARY KEY, t TIME(6), s SET('x','y','z'), e ENUM('p','q'), "
        "y YEAR, b BIT(10), c CHAR(5), bi BINARY(4), vb VARBINARY(10), ti TINYINT(1), "
        "ub BIGINT UNSIGNED, ts TIMESTAMP(6) NULL, d DATETIME, tt TINYTEXT, f FLOAT(10)) "
        "DEFAULT CHARSET=utf8mb4",
        [
            "(1, '-838:59:59.000001', 'x,z', 'q', 2024, b'1010101010', 'ab', 'ab', x'00ff', 5, "
            "18446744073709551615, '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05', "
            "'tiny 🦕', 123456.7890625)",
            "(2, '838:59:59', '', 'p', 1901, b'0', '', x'00', '', -128, 0, "
            "'1970-01-02 00:00:00', '1000-01-01 00:00:00', '', -0.000123)",
            "(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
            "NULL)",
        ],
    ),
}


def _extra_rows(engine: sa.Engine) -> list[tuple[Any, ...]]:
    with raw_cursor(engine) as cur:
        cur.execute("SELECT * FROM extra WHERE 1 = 0")
        columns = [d[0] for d in cur.description]
    if engine_kind(engine) == "mysql":
        columns = [c if c != "f" else "CAST(f AS DOUBLE)" for c in columns]
    with raw_cursor(engine) as cur:
        cur.execute(f"SELECT {', '.join(columns)} FROM extra")
        return sorted((tuple(repr(v) for v in r) for r in cur.fetchall()), key=lambda r: r)


@pytest.mark.parametrize("db_url", ["postgresql", "mysql"], indirect=True)
def test_engine_specific_types_round_trip(db_url: str, tmp_path: Path) -> None:
    """Intervals with months, arrays, uuid, inet, timetz, xml, ... / TIME beyond a day,
    SET, ENUM, YEAR, BIT, BINARY, TINYINT(1) holding 5, BIGINT UNSIGNED, TIMESTAMP."""
    engine = engine_for(db_url)
    ddl, rows = _EXTRA[engine_kind(engine)]
    execute(engine, ddl, *(f"INSERT INTO extra VALUES {r}" for r in rows))
    before = _extra_rows(engine)
    mgr = manager(db_url, tmp_path / "b")
    backup_id = backup(mgr, tables=["extra"])
    execute(engine, "DELETE FROM extra WHERE id = 2", "UPDATE extra SET id = 4 WHERE id = 1")
    restore(mgr, backup_id)
    mgr.ctx.engine.dispose()
    assert _extra_rows(engine) == before


# --- generated keys continue after a restore -----------------------------------------------

_SERIAL_DDL: dict[str, str] = {
    "sqlite": "CREATE TABLE counted (id INTEGER PRIMARY KEY AUTOINCREMENT, note TEXT)",
    "postgresql": "CREATE TABLE counted (id SERIAL PRIMARY KEY, note TEXT)",
    "mysql": "CREATE TABLE counted (id INT AUTO_INCREMENT PRIMARY KEY, note TEXT)",
}


def test_generated_keys_continue_after_restore_into_empty_table(
    db_url: str, tmp_path: Path
) -> None:
    engine = engine_for(db_url)
    execute(engine, _SERIAL_DDL[engine_kind(engine)])
    execute(engine, *(f"INSERT INTO counted (note) VALUES ('n{i}')" for i in range(5)))
    mgr = manager(db_url, tmp_path / "b")
    backup_id = backup(mgr, tables=["counted"])
    execute(engine, "DROP TABLE counted", _SERIAL_DDL[engine_kind(engine)])
    restore(mgr, backup_id)
    execute(engine, "INSERT INTO counted (note) VALUES ('after')")
    with raw_cursor(engine) as cur:
        cur.execute("SELECT id FROM counted WHERE note = 'after'")
        assert cur.fetchone()[0] == 6
