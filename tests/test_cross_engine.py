"""A backup taken on one engine restores into each other engine with the same logical rows:
DINO data (SQLite holding Prisma-style epoch-millisecond DateTimes) and the common column
types; the restore's warnings name the conversions it made."""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import ENGINES, make_database
from roundtrip_support import (
    backup,
    dino_database,
    engine_for,
    execute,
    manager,
    quote,
    raw_cursor,
    restore,
)
from types_support import (
    COMMON,
    PG_ONLY,
    TABLE,
    create_types_table,
    exact_select,
    extreme_rows,
    insert_rows,
    types_columns,
)

from dino_backup.schema import dino
from dino_backup.schema.dino import DINO_TABLES, create_schema

PAIRS = [(s, t) for s in ENGINES for t in ENGINES if s != t]
EPOCH = dt.datetime(1970, 1, 1)
DATETIME_COLUMNS = {"emailVerified", "createdAt", "updatedAt", "expires", "entryDate", "exitDate"}
# Prisma's SQLite driver: DateTime as epoch milliseconds. Session keeps SQLAlchemy's text and
# User.emailVerified mixes epoch milliseconds with ISO 8601 "Z" text in one column.
_PRISMA_COLUMNS = {
    "User": ("createdAt", "updatedAt"),
    "CountryVisit": ("entryDate", "exitDate", "createdAt", "updatedAt"),
    "VerificationToken": ("expires",),
}



@dataclass
class Source:
    kind: str
    url: str
    backup_dir: Path
    backup_id: str
    dino: dict[str, list[tuple[Any, ...]]]
    types: list[tuple[Any, ...]]


# --- logical values ----------------------------------------------------------------------------


def _datetime(v: Any) -> Any:
    if isinstance(v, int):
        return EPOCH + dt.timedelta(milliseconds=v)
    if isinstance(v, str):
        v = dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
    if v.tzinfo is not None:
        return v.astimezone(dt.UTC).replace(tzinfo=None)
    return v


def _time(v: Any) -> Any:
    if isinstance(v, dt.timedelta):
        return (dt.datetime.min + v).time()
    return dt.time.fromisoformat(v) if isinstance(v, str) else v


def _date(v: Any) -> Any:
    return dt.date.fromisoformat(v) if isinstance(v, str) else v


def _same(v: Any) -> Any:
    return v


def _float32(v: Any) -> float:
    return float(struct.unpack("f", struct.pack("f", v))[0])


_TYPE_NORMALISERS: dict[str, Callable[[Any], Any]] = {
    "c_double": float,
    "c_float": _float32,
    "c_numeric": lambda v: Decimal(str(v)),
    "c_bool": bool,
    "c_date": _date,
    "c_ts": _datetime,
    "c_time": _time,
    "c_blob": bytes,
}


def _rows(engine: sa.Engine, table: str, columns: list[str] | None = None) -> Any:
    names = ", ".join(exact_select(engine, columns)) if columns else "*"
    with raw_cursor(engine) as cur:
        cur.execute(f"SELECT {names} FROM {quote(engine, table)}")
        return [d[0] for d in cur.description], cur.fetchall()


def _normalised(rows: list[Any], fixes: list[Callable[[Any], Any]]) -> list[tuple[Any, ...]]:
    out = [tuple(None if v is None else f(v) for f, v in zip(fixes, r, strict=True)) for r in rows]
    return sorted(out, key=repr)


def dino_rows(engine: sa.Engine, table: str) -> list[tuple[Any, ...]]:
    """Rows with every DateTime as naive UTC, whatever the engine stores."""
    names, rows = _rows(engine, table)
    return _normalised(rows, [_datetime if n in DATETIME_COLUMNS else _same for n in names])


def types_rows(engine: sa.Engine) -> list[tuple[Any, ...]]:
    names, rows = _rows(engine, TABLE, COMMON)
    return _normalised(rows, [_TYPE_NORMALISERS.get(n, _same) for n in names])


def warned(warnings: list[str], column: str, reason: str) -> bool:
    """A warning line names `column` with `reason` (with the count of values between)."""
    return any(w.startswith(f"{column}: ") and reason in w for w in warnings)


def assert_same_rows(actual: list[tuple[Any, ...]], expected: list[tuple[Any, ...]]) -> None:
    """Equal; if not, name the first differing columns (values shortened)."""
    assert len(actual) == len(expected)
    diffs = [
        f"row {a[0]!r} {COMMON[i] if len(a) == len(COMMON) else i}: {x!r:.80} != {y!r:.80}"
        for a, b in zip(actual, expected, strict=True)
        for i, (x, y) in enumerate(zip(a, b, strict=True))
        if x != y
    ]
    assert not diffs, "\n".join(diffs[:10])


# --- sources and targets -------------------------------------------------------------------------


def _epoch_ms(column: str) -> str:
    return f'CAST(ROUND((julianday("{column}") - 2440587.5) * 86400000) AS INTEGER)'


def _prisma_style(engine: sa.Engine) -> None:
    sets = [
        f'UPDATE "{table}" SET ' + ", ".join(f'"{c}" = {_epoch_ms(c)}' for c in columns)
        for table, columns in _PRISMA_COLUMNS.items()
    ]
    iso_z = "strftime('%Y-%m-%dT%H:%M:%fZ', \"emailVerified\")"
    execute(
        engine,
        *sets,
        f'UPDATE "User" SET "emailVerified" = {iso_z} WHERE rowid % 2 = 0',
        f'UPDATE "User" SET "emailVerified" = {_epoch_ms("emailVerified")} WHERE rowid % 2 = 1',
    )


def portable_rows(kind: str) -> list[list[Any]]:
    """Values every engine can store (MariaDB's limits, SQLite's 15 significant digits),
    plus PostgreSQL's own columns."""
    rows = extreme_rows("mysql")
    rows[2][COMMON.index("c_numeric")] = Decimal("12345678901234.5")
    rows[3][COMMON.index("c_numeric")] = Decimal("-0.000001")
    if kind == "postgresql":
        for row, pg_row in zip(rows, extreme_rows("postgresql"), strict=True):
            row += pg_row[len(COMMON) :]
    return rows


def _make_source(kind: str, url: str, backup_dir: Path) -> Source:
    engine = dino_database(url, users=30, visits=150)
    if kind == "sqlite":
        _prisma_style(engine)
    create_types_table(engine)
    insert_rows(engine, types_columns(kind), portable_rows(kind))
    mgr = manager(url, backup_dir)
    backup_id = backup(mgr, include_sessions=True)
    mgr.ctx.engine.dispose()
    dino = {t: dino_rows(engine, t) for t in DINO_TABLES}
    source = Source(kind, url, backup_dir, backup_id, dino, types_rows(engine))
    engine.dispose()
    return source


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Source]]:
    """One database per engine with DINO data and the types table, backed up once."""
    databases = {k: make_database(k, tmp_path_factory.mktemp(f"src_{k}")) for k in ENGINES}
    built = {}
    try:
        for kind, database in databases.items():
            url = next(database)
            built[kind] = _make_source(kind, url, tmp_path_factory.mktemp(f"b_{kind}"))
        yield built
    finally:
        for database in databases.values():
            next(database, None)  # drops the server database


@pytest.fixture
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty-ish database of the engine named by the test's `target_kind`."""
    yield from make_database(request.node.callspec.params["target_kind"], tmp_path)


def _restore_into(url: str, source: Source, tables: list[str]) -> dict[str, Any]:
    mgr = manager(url, source.backup_dir)
    try:
        return restore(mgr, source.backup_id, tables=tables)
    finally:
        mgr.ctx.engine.dispose()


# --- tests ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("source_kind", "target_kind"), PAIRS)
def test_dino_rows_cross_engines(
    sources: dict[str, Source], target: str, source_kind: str, target_kind: str
) -> None:
    source = sources[source_kind]
    engine = engine_for(target)
    create_schema(engine)
    dino_database(target, users=5, visits=20).dispose()  # rows the restore must replace
    result = _restore_into(target, source, list(DINO_TABLES))
    for table in DINO_TABLES:
        assert_same_rows(dino_rows(engine, table), source.dino[table])
    warnings = result["warnings"]
    assert f"backup taken on {source_kind} restored into {target_kind}" in warnings[0]
    if source_kind == "sqlite":
        for column in ("CountryVisit.entryDate", "User.createdAt", "User.emailVerified"):
            assert warned(warnings, column, "read as epoch milliseconds"), column
        assert warned(warnings, "User.emailVerified", "parsed from ISO text")
        assert warned(warnings, "Session.expires", "parsed from ISO text")
    with engine.connect() as conn:  # the application's own types read the restored rows
        visits = conn.execute(sa.select(dino.country_visit)).all()
    assert all(isinstance(v.entryDate, dt.datetime) for v in visits)
    assert len(visits) == len(source.dino["CountryVisit"])


def test_prisma_epoch_ms_becomes_timestamps(sources: dict[str, Source], tmp_path: Path) -> None:
    """Spot check: the epoch milliseconds SQLite held are the instants PostgreSQL holds."""
    source = sources["sqlite"]
    engine = engine_for(source.url)
    _, rows = _rows(engine, "CountryVisit", ["id", "entryDate"])
    assert all(isinstance(r[1], int) for r in rows)
    for url in make_database("postgresql", tmp_path):
        target = engine_for(url)
        create_schema(target)
        _restore_into(url, source, ["User", "CountryVisit"])
        _, restored = _rows(target, "CountryVisit", ["id", "entryDate"])
        expected = {r[0]: EPOCH + dt.timedelta(milliseconds=r[1]) for r in rows}
        assert {r[0]: r[1] for r in restored} == expected
        target.dispose()


@pytest.mark.parametrize(("source_kind", "target_kind"), PAIRS)
def test_common_types_cross_engines(
    sources: dict[str, Source], target: str, source_kind: str, target_kind: str
) -> None:
    source = sources[source_kind]
    engine = engine_for(target)
    create_types_table(engine, target_kind)
    result = _restore_into(target, source, [TABLE])
    assert_same_rows(types_rows(engine), source.types)
    warnings = "\n".join(result["warnings"])
    if source_kind == "postgresql":
        assert f"{TABLE}: backup columns not in the database, dropped: c_tstz, c_jsonb" in warnings
    if target_kind == "postgresql":
        for column in PG_ONLY:
            assert f"{TABLE}.{column}: not in the backup, filled by its default" in warnings
    engine.dispose()


def test_naive_datetimes_into_timestamptz_are_utc(tmp_path: Path) -> None:
    src_url = f"sqlite:///{tmp_path / 'events.db'}"
    source = engine_for(src_url)
    execute(
        source,
        "CREATE TABLE events (id INTEGER PRIMARY KEY, at DATETIME)",
        "INSERT INTO events VALUES (1, 1717171717123), (2, '2024-05-31 16:08:37.123'), "
        "(3, '2024-05-31T18:08:37.123+02:00'), (4, NULL)",
    )
    mgr = manager(src_url, tmp_path / "b")
    backup_id = backup(mgr, tables=["events"])
    for url in make_database("postgresql", tmp_path):
        target = engine_for(url)
        execute(target, "CREATE TABLE events (id integer PRIMARY KEY, at timestamptz)")
        with raw_cursor(target, commit=True) as cur:
            cur.execute("SELECT current_database()")
            cur.execute(f"ALTER DATABASE {cur.fetchone()[0]} SET timezone TO 'Asia/Tokyo'")
        target.dispose()
        restorer = manager(url, tmp_path / "b")
        result = restore(restorer, backup_id)
        restorer.ctx.engine.dispose()
        _, rows = _rows(target, "events", ["id", "at"])
        instant = dt.datetime(2024, 5, 31, 16, 8, 37, 123000, tzinfo=dt.UTC)
        assert sorted(rows) == [(1, instant), (2, instant), (3, instant), (4, None)]
        warnings = "\n".join(result["warnings"])
        assert "events.at: 2 value(s) without a time zone taken as UTC" in warnings
        assert "events.at: 1 value(s) read as epoch milliseconds" in warnings
        target.dispose()


_LOSSY_DDL = {
    "postgresql": "CREATE TABLE lossy (id integer PRIMARY KEY, amount numeric(20, 6), "
    "ratio double precision, at timestamp(6))",
    "sqlite": "CREATE TABLE lossy (id INTEGER PRIMARY KEY, amount NUMERIC(20, 6), "
    "ratio FLOAT, at DATETIME)",
    "mysql": "CREATE TABLE lossy (id INT PRIMARY KEY, amount DECIMAL(20, 2), ratio FLOAT, "
    "at DATETIME(3))",
}
_LOSSY_EXPECTED = {
    "sqlite": (
        [(1, 100000000000000.0, 0.30000000000000004, "2024-01-02 03:04:05.123456")],
        ["lossy.amount: 1 value(s) rounded to a binary float (SQLite has no decimals)"],
    ),
    "mysql": (
        [(1, Decimal("100000000000000.00"), 0.3, dt.datetime(2024, 1, 2, 3, 4, 5, 123000))],
        [
            "lossy.amount: 1 value(s) rounded to 2 decimal places",
            "lossy.ratio: 1 value(s) rounded to single precision",
            "lossy.at: 1 value(s) fractional seconds cut to 3 digit(s)",
        ],
    ),
}


@pytest.mark.parametrize("target_kind", ["sqlite", "mysql"])
def test_values_a_target_cannot_hold_exactly_are_named(
    target: str, target_kind: str, tmp_path: Path
) -> None:
    for url in make_database("postgresql", tmp_path / "pg"):
        source = engine_for(url)
        execute(
            source,
            _LOSSY_DDL["postgresql"],
            "INSERT INTO lossy VALUES (1, 99999999999999.999999, 0.1::float8 + 0.2::float8, "
            "'2024-01-02 03:04:05.123456')",
        )
        source.dispose()
        mgr = manager(url, tmp_path / "b")
        backup_id = backup(mgr, tables=["lossy"])
        mgr.ctx.engine.dispose()
    engine = engine_for(target)
    execute(engine, _LOSSY_DDL[target_kind])
    restorer = manager(target, tmp_path / "b")
    result = restore(restorer, backup_id)
    restorer.ctx.engine.dispose()
    rows, warnings = _LOSSY_EXPECTED[target_kind]
    assert [tuple(r) for r in _rows(engine, "lossy")[1]] == rows
    for warning in warnings:
        assert warning in result["warnings"]
    engine.dispose()
