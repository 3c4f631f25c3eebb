"""A table with every common column type on each engine, its extreme rows and a hypothesis
strategy for its rows (shared by the same-engine and the cross-engine round-trip tests)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from hypothesis import strategies as st
from roundtrip_support import quote, raw_cursor

TABLE = "types_rt"
UTC = dt.UTC

# Columns every engine has, in this order; PostgreSQL adds timestamptz and jsonb.
COMMON = [
    "id", "c_text", "c_varchar", "c_int", "c_bigint", "c_double", "c_float", "c_numeric",
    "c_bool", "c_date", "c_ts", "c_time", "c_blob", "c_json",
]  # fmt: skip
PG_ONLY = ["c_tstz", "c_jsonb"]

_TYPES: dict[str, list[str]] = {
    "sqlite": [
        "INTEGER PRIMARY KEY", "TEXT", "VARCHAR(255)", "INTEGER", "BIGINT", "DOUBLE", "FLOAT",
        "NUMERIC(20, 6)", "BOOLEAN", "DATE", "DATETIME", "TIME", "BLOB", "JSON",
    ],
    "postgresql": [
        "integer PRIMARY KEY", "text", "varchar(255)", "integer", "bigint", "double precision",
        "real", "numeric(20, 6)", "boolean", "date", "timestamp(6)", "time(6)", "bytea", "json",
        "timestamptz", "jsonb",
    ],
    "mysql": [
        "INT PRIMARY KEY", "LONGTEXT", "VARCHAR(255)", "INT", "BIGINT", "DOUBLE", "FLOAT",
        "DECIMAL(20, 6)", "BOOLEAN", "DATE", "DATETIME(6)", "TIME(6)", "LONGBLOB", "JSON",
    ],
}  # fmt: skip
_MYSQL_OPTIONS = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"

LONG_TEXT = ("Ünïcödé 🦕 \t\\ ' \" " * 5000)[:100_000]
INT32 = 2**31 - 1
INT64 = 2**63 - 1
JSON_TEXTS = [
    '{"b": 1, "a": [1.0, 2.50, -0, 1e400, 12345678901234567890123]}',
    '  {"a" :1,"a":2}  ',
    '"\\ud83e\\udd95 \\u00e9 \\" \\\\"',
    "[]",
    "null",
    '{"deep": {"x": [true, false, null, "é🦕"]}}',
    "0.10000000000000000000000001",
]


def engine_kind(engine: sa.Engine) -> str:
    return "mysql" if engine.dialect.name in ("mysql", "mariadb") else engine.dialect.name


def types_columns(kind: str) -> list[str]:
    return COMMON + (PG_ONLY if kind == "postgresql" else [])


def create_types_table(engine: sa.Engine, kind: str | None = None) -> list[str]:
    kind = kind or engine_kind(engine)
    columns = types_columns(kind)
    body = ", ".join(f"{quote(engine, c)} {t}" for c, t in zip(columns, _TYPES[kind], strict=True))
    sql = f"CREATE TABLE {TABLE} ({body})" + (_MYSQL_OPTIONS if kind == "mysql" else "")
    with raw_cursor(engine, commit=True) as cur:
        cur.execute(sql)
        if kind == "postgresql":  # read time zones back in a zone that is not UTC
            cur.execute("SELECT current_database()")
            name = cur.fetchone()[0]
            cur.execute(f"ALTER DATABASE {name} SET timezone TO 'America/New_York'")
    engine.dispose()
    return columns


def sqlite_value(v: Any) -> Any:
    """How an application would store a Python value in SQLite (SQLAlchemy's formats)."""
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ", timespec="microseconds")
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    return v


def insert_rows(engine: sa.Engine, columns: list[str], rows: list[list[Any]]) -> None:
    if not rows:
        return
    kind = engine_kind(engine)
    mark = "?" if kind == "sqlite" else "%s"
    names = ", ".join(quote(engine, c) for c in columns)
    sql = f"INSERT INTO {TABLE} ({names}) VALUES ({', '.join([mark] * len(columns))})"
    if kind == "sqlite":
        rows = [[sqlite_value(v) for v in r] for r in rows]
    with raw_cursor(engine, commit=True) as cur:
        cur.executemany(sql, [tuple(r) for r in rows])


def exact_select(engine: sa.Engine, columns: list[str]) -> list[str]:
    """Column expressions giving stored values exactly: MariaDB sends FLOAT with 6 digits."""
    names = [quote(engine, c) for c in columns]
    if engine_kind(engine) != "mysql":
        return names
    pairs = zip(columns, names, strict=True)
    return [f"CAST({n} AS DOUBLE)" if c == "c_float" else n for c, n in pairs]


def typed_rows(engine: sa.Engine, columns: list[str], table: str = TABLE) -> list[tuple[Any, ...]]:
    """Rows as the driver returns them, as reprs (NaN equals NaN, -0.0 differs from 0.0);
    on SQLite each value is paired with its storage class."""
    names = exact_select(engine, columns)
    if engine_kind(engine) == "sqlite":
        names = [f"{n}, typeof({n})" for n in names]
    with raw_cursor(engine) as cur:
        cur.execute(f"SELECT {', '.join(names)} FROM {quote(engine, table)}")
        rows = cur.fetchall()
    return sorted((tuple(repr(v) for v in r) for r in rows), key=lambda r: r)


# --- fixed rows ------------------------------------------------------------------------------


def extreme_rows(kind: str) -> list[list[Any]]:
    """All NULL; all empty/zero; maximums; minimums; awkward characters."""
    nulls = [1] + [None] * (len(types_columns(kind)) - 1)
    empty = [2, "", "", 0, 0, 0.0, 0.0, Decimal("0.000000"), False, dt.date(2000, 1, 1),
             dt.datetime(2000, 1, 1), dt.time(0, 0), b"", '""']  # fmt: skip
    high = [3, LONG_TEXT, "🦕" * 255, INT32, INT64, 1.7976931348623157e308, 3.4028234663852886e38,
            Decimal("99999999999999.999999"), True, dt.date(9999, 12, 31),
            dt.datetime(9999, 12, 31, 23, 59, 59, 999999), dt.time(23, 59, 59, 999999),
            bytes(range(256)) * 300, JSON_TEXTS[0]]  # fmt: skip
    low = [4, "\x01\x02\x1f\x7f\t\n\r\\'\"%_", "\\N NULL \\x00 ", -INT32 - 1, -INT64 - 1,
           5e-324 if kind != "mysql" else -2.2250738585072014e-308, -1.1754943508222875e-38,
           Decimal("-99999999999999.999999"), False, dt.date(1000, 1, 1),
           dt.datetime(1000, 1, 1), dt.time(0, 0, 0, 1), b"\x00", JSON_TEXTS[1]]  # fmt: skip
    odd = [5, "e\u0301 é É 🦕🦖 \u200b\ufeff", "  padded  ", 7, -7, 0.1 + 0.2, 0.1,
           Decimal("0.000001"), True, dt.date(2024, 2, 29), dt.datetime(2024, 2, 29, 12, 0, 0, 1),
           dt.time(12, 30), b"\xff\xfe", JSON_TEXTS[2]]  # fmt: skip
    rows = [nulls, empty, high, low, odd]
    if kind == "postgresql":
        empty += [dt.datetime(2000, 1, 1, tzinfo=UTC), "{}"]
        high += [dt.datetime(2200, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=14))),
                 JSON_TEXTS[0].replace("1e400", "1e300")]  # fmt: skip
        low += [dt.datetime(1900, 1, 1, tzinfo=dt.timezone(-dt.timedelta(hours=11, minutes=30))),
                JSON_TEXTS[1]]  # fmt: skip
        odd += [dt.datetime(2024, 3, 10, 2, 30, tzinfo=UTC), JSON_TEXTS[5]]
        odd[5], odd[6], odd[7] = float("nan"), float("-inf"), Decimal("NaN")
    if kind == "sqlite":
        odd[5], odd[6] = float("inf"), float("-inf")
    return rows


# --- generated rows ----------------------------------------------------------------------------


def _text(kind: str, max_size: int) -> st.SearchStrategy[str]:
    banned = "\x00" if kind == "postgresql" else ""
    chars = st.characters(blacklist_categories=("Cs",), blacklist_characters=banned)
    tricky = st.sampled_from(["", " ", "\t", "\\", "'", '"', "\\N", "NULL", "🦕", "é", "E\u0301"])
    return st.text(chars, max_size=max_size) | tricky


def _json(kind: str) -> st.SearchStrategy[str]:
    chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
    scalars = (
        st.none() | st.booleans() | st.integers() | st.text(chars, max_size=8)
        | st.floats(allow_nan=False, allow_infinity=False)
    )  # fmt: skip
    values = st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.text(chars, max_size=4), inner, max_size=3)
        ),
        max_leaves=6,
    )
    indent = st.none() | st.just(1)
    dumped = st.builds(json.dumps, values, ensure_ascii=st.booleans(), indent=indent)
    return dumped | st.sampled_from(JSON_TEXTS[1:] if kind != "postgresql" else JSON_TEXTS[1:3])


def _floats(kind: str, width: int) -> st.SearchStrategy[float]:
    return st.floats(
        width=width,  # type: ignore[arg-type]
        allow_nan=kind == "postgresql",
        allow_infinity=kind != "mysql",
    )


def row_strategy(kind: str) -> st.SearchStrategy[list[Any]]:
    """One row without its id, values of each column's type (or NULL)."""
    first_year = 1 if kind == "postgresql" else 1000
    low = dt.datetime(first_year, 1, 1)
    numeric = st.decimals(
        min_value=Decimal("-99999999999999.999999"),
        max_value=Decimal("99999999999999.999999"),
        places=6,
        allow_nan=False,
        allow_infinity=False,
    )
    columns: list[st.SearchStrategy[Any]] = [
        _text(kind, 300),
        _text(kind, 255),
        st.integers(-(2**31), 2**31 - 1),
        st.integers(-(2**63), 2**63 - 1),
        _floats(kind, 64),
        _floats(kind, 32),
        numeric,
        st.booleans(),
        st.dates(low.date(), dt.date(9999, 12, 31)),
        st.datetimes(low),
        st.times(),
        st.binary(max_size=64),
        _json(kind),
    ]
    if kind == "postgresql":
        zoned = st.datetimes(
            dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1), timezones=st.timezones()
        )
        columns += [zoned, _json(kind).filter(lambda t: "1e400" not in t)]
    return st.tuples(*(st.none() | c for c in columns)).map(list)
