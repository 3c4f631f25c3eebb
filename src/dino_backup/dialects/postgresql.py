"""PostgreSQL: REPEATABLE READ READ ONLY snapshot; tables read and loaded with COPY."""

from __future__ import annotations

import select
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg.pq import ExecStatus
from psycopg.types.json import Jsonb
from psycopg.types.string import TextLoader

from ..schema.reflect import ColumnSpec, TableSpec
from .base import Dialect
from .limits import Fitter, single_precision

# Read as the server's text, not parsed: psycopg would turn json into Python objects (key
# order, duplicate keys, number precision lost) and intervals into days (months lost).
# Date-times too: their text (ISO style, in UTC) is exact, covers 'infinity' and BC dates,
# which Python cannot hold, and skips building a datetime object per value, the largest
# cost of a backup. PostgreSQL parses the same text on restore; other engines convert it.
_READ_AS_TEXT = ("json", "jsonb", "interval", "timestamp", "timestamptz", "date")

# Settings that fix the server's text for values (read as text, or written by COPY).
_SESSION_TEXT = {
    "DateStyle": "ISO, YMD",
    "TimeZone": "UTC",
    "IntervalStyle": "postgres",
    "extra_float_digits": "1",  # shortest text that reads back as the same float
    "bytea_output": "hex",
}

_COLUMN_TYPES = """
SELECT a.attname, t.typname, t.typtype
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = %(table)s::regclass AND a.attnum > 0 AND NOT a.attisdropped
"""

# COPY value kind (archive/pgcopy.py) of each type a table may hold to be read with COPY;
# a table with any other type (arrays, domains, geometry, ...) is read row by row.
_COPY_KINDS = {
    **dict.fromkeys(("text", "varchar", "bpchar", "name", "citext"), "text"),
    **dict.fromkeys(("timestamp", "timestamptz", "date", "interval", "json", "jsonb"), "text"),
    **dict.fromkeys(("int2", "int4", "int8"), "int"),
    **dict.fromkeys(("float4", "float8"), "float"),
    "numeric": "numeric",
    "bool": "bool",
    "uuid": "uuid",
    "bytea": "bytea",
    "time": "time",
}
_COPY_BLOCK = 1 << 20  # bytes per block handed on

# What loading empty tables can build once afterwards instead of row by row (as pg_restore
# does), each with the exact DDL to create it again: primary keys and unique constraints
# ("key"; kept when a foreign key from a table not being loaded needs them), plain indexes
# and foreign keys. Anything with a comment stays, so no comment is lost.
_DEFERRABLE = """
SELECT 'key', quote_ident(k.conname), pg_get_constraintdef(k.oid)
FROM pg_constraint k
WHERE k.conrelid = %(table)s::regclass AND k.contype IN ('p', 'u')
  AND obj_description(k.oid, 'pg_constraint') IS NULL
  AND NOT EXISTS (
    SELECT 1 FROM pg_constraint r
    WHERE r.contype = 'f' AND r.conindid = k.conindid
      AND NOT r.conrelid = ANY(%(loaded)s::regclass[]))
UNION ALL
SELECT 'index', quote_ident(n.nspname) || '.' || quote_ident(c.relname),
       pg_get_indexdef(i.indexrelid)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE i.indrelid = %(table)s::regclass
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
  AND obj_description(i.indexrelid, 'pg_class') IS NULL
UNION ALL
SELECT 'foreign key', quote_ident(conname), pg_get_constraintdef(oid)
FROM pg_constraint
WHERE conrelid = %(table)s::regclass AND contype = 'f'
  AND obj_description(oid, 'pg_constraint') IS NULL
"""
_BUILD_ORDER = ("key", "index", "foreign key")  # foreign keys need their keys back

_SEQUENCES = """
SELECT pg_get_serial_sequence(%(table)s, a.attname), quote_ident(a.attname)
FROM pg_attribute a
WHERE a.attrelid = %(table)s::regclass AND a.attnum > 0 AND NOT a.attisdropped
"""


@contextmanager
def _driver_errors(sql: str) -> Iterator[None]:
    """psycopg's errors from COPY as SQLAlchemy's, as every other statement raises them."""
    try:
        yield
    except psycopg.Error as exc:
        raise sa.exc.DBAPIError.instance(sql, None, exc, psycopg.Error) from exc


def _expect(result: Any, status: ExecStatus) -> None:
    if result is None or result.status != status:
        message = result.error_message.decode(errors="replace") if result else "no result"
        raise psycopg.DatabaseError(message.strip() or f"COPY ended with status {status}")


def _drop(kind: str, table: str, item: str) -> str:
    if kind == "index":
        return f"DROP INDEX {item}"
    return f"ALTER TABLE {table} DROP CONSTRAINT {item}"


def _add(table: str, constraint: str, definition: str) -> str:
    return f"ALTER TABLE {table} ADD CONSTRAINT {constraint} {definition}"


class PostgreSQLDialect(Dialect):
    name = "postgresql"

    def fitters(self, column: ColumnSpec) -> list[Fitter]:
        if column.kind == "float" and column.type.upper().startswith("REAL"):
            return [single_precision]
        return super().fitters(column)

    def is_distinct(self, left: str, right: str, column: ColumnSpec) -> str:
        if column.kind in ("json", "other"):
            # json (and some other types) have no equality operator; their text is exact.
            return f"({left})::text IS DISTINCT FROM ({right})::text"
        return f"{left} IS DISTINCT FROM {right}"

    @contextmanager
    def snapshot(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            for name in _READ_AS_TEXT:
                dbapi.adapters.register_loader(name, TextLoader)  # type: ignore[attr-defined]
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                for name, value in _SESSION_TEXT.items():
                    conn.exec_driver_sql(f"SET LOCAL {name} = '{value}'")
                yield conn

    def copy_kinds(
        self, conn: sa.Connection, table: TableSpec, columns: Sequence[str]
    ) -> list[str] | None:
        types = {
            name: "text" if typtype == "e" else _COPY_KINDS.get(typname)
            for name, typname, typtype in conn.exec_driver_sql(
                _COLUMN_TYPES, {"table": self.quote(table.name)}
            )
        }
        kinds = [types.get(c) for c in columns]
        return None if None in kinds else kinds  # type: ignore[return-value]

    def copy_out(
        self, conn: sa.Connection, table: TableSpec, columns: Sequence[str]
    ) -> Iterator[bytes]:
        # libpq's own calls, one per row: psycopg's Copy object costs several times more in
        # Python per row, which the thread compressing the archive needs.
        pgconn: Any = conn.connection.driver_connection.pgconn  # type: ignore[union-attr]
        sql = f"COPY {self.quote(table.name)} ({self.column_list(columns)}) TO STDOUT"
        with _driver_errors(sql):
            yield from self._copy_rows(pgconn, sql)

    @staticmethod
    def _copy_rows(pgconn: Any, sql: str) -> Iterator[bytes]:
        pgconn.send_query(sql.encode())
        _expect(pgconn.get_result(), ExecStatus.COPY_OUT)
        # Rows are copied into one buffer: each row arrives as a memoryview, which the
        # garbage collector tracks, and keeping thousands of them alive made it run full
        # collections over the whole heap (a third of create's time).
        block = bytearray()
        get = pgconn.get_copy_data
        while (got := get(1))[0] >= 0:  # non-blocking: waiting must not hold the GIL
            if got[0] == 0:
                select.select([pgconn.socket], [], [])
                pgconn.consume_input()
                continue
            block += got[1]
            if len(block) >= _COPY_BLOCK:
                yield bytes(block)
                block.clear()
        if block:
            yield bytes(block)
        _expect(pgconn.get_result(), ExecStatus.COMMAND_OK)
        while pgconn.get_result() is not None:  # the end of the command's results
            pass

    def copy_in(
        self, conn: sa.Connection, table: str, columns: Sequence[str], blocks: Iterable[bytes]
    ) -> None:
        with self._copy_from(conn, table, columns) as copy:
            for block in blocks:
                copy.write(block)

    @contextmanager
    def _copy_from(self, conn: sa.Connection, table: str, columns: Sequence[str]) -> Iterator[Any]:
        driver: Any = conn.connection.driver_connection  # the psycopg connection
        sql = f"COPY {self.quote(table)} ({self.column_list(columns)}) FROM STDIN"
        with _driver_errors(sql), driver.cursor() as cursor, cursor.copy(sql) as copy:
            yield copy

    def create_staging(
        self,
        conn: sa.Connection,
        table: TableSpec,
        staging: str,
        columns: Sequence[str],
        key: Sequence[str],
    ) -> None:
        conn.exec_driver_sql(
            f"CREATE TEMP TABLE {self.quote(staging)} ON COMMIT DROP AS "
            f"SELECT {self.column_list(columns)} FROM {self.quote(table.name)} WITH NO DATA"
        )

    def drop_staging(self, conn: sa.Connection, staging: str) -> None:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS pg_temp.{self.quote(staging)}")

    @contextmanager
    def bulk_load(self, conn: sa.Connection, tables: Sequence[TableSpec]) -> Iterator[None]:
        loaded = [self.quote(t.name) for t in tables]
        deferred: dict[str, list[tuple[str, str, str]]] = {kind: [] for kind in _BUILD_ORDER}
        for name in loaded:
            found = conn.exec_driver_sql(_DEFERRABLE, {"table": name, "loaded": loaded})
            for kind, item, ddl in found:
                deferred[kind].append((name, item, ddl))
        for kind in reversed(_BUILD_ORDER):  # foreign keys first: they depend on keys
            for name, item, _ in deferred[kind]:
                conn.exec_driver_sql(_drop(kind, name, item))
        yield
        for kind in _BUILD_ORDER:
            for name, item, ddl in deferred[kind]:
                conn.exec_driver_sql(ddl if kind == "index" else _add(name, item, ddl))

    def after_restore(self, conn: sa.Connection, table: TableSpec) -> None:
        """Move serial / identity sequences past the restored keys (never backwards)."""
        name = self.quote(table.name)
        owned = conn.exec_driver_sql(_SEQUENCES, {"table": name}).fetchall()
        for sequence, column in owned:
            if sequence is None:
                continue
            highest = f"GREATEST(MAX({column}), (SELECT last_value FROM {sequence}))"
            conn.exec_driver_sql(
                f"SELECT setval(%(seq)s, {highest}) FROM {name} HAVING MAX({column}) IS NOT NULL",
                {"seq": sequence},
            )

    def insert_rows(
        self, conn: sa.Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        # COPY, not INSERT: one stream per batch instead of a statement per row, several
        # times faster; the server parses each value's text by the column's type.
        with self._copy_from(conn, table, columns) as copy:
            for row in rows:
                copy.write_row(row)

    def adapt(self, value: Any) -> Any:
        # psycopg binds dicts only when told they are JSON; lists are arrays.
        return Jsonb(value) if isinstance(value, dict) else value
