"""PostgreSQL: REPEATABLE READ READ ONLY snapshot, server-side cursors."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
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

_SEQUENCES = """
SELECT pg_get_serial_sequence(%(table)s, a.attname), quote_ident(a.attname)
FROM pg_attribute a
WHERE a.attrelid = %(table)s::regclass AND a.attnum > 0 AND NOT a.attisdropped
"""


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
                conn.exec_driver_sql("SET LOCAL DateStyle = 'ISO, YMD'")
                conn.exec_driver_sql("SET LOCAL TimeZone = 'UTC'")
                yield conn

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
        self.index_staging(conn, staging, key)

    def drop_staging(self, conn: sa.Connection, staging: str) -> None:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS pg_temp.{self.quote(staging)}")

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
        driver: Any = conn.connection.driver_connection  # the psycopg connection
        sql = f"COPY {self.quote(table)} ({self.column_list(columns)}) FROM STDIN"
        with driver.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)

    def adapt(self, value: Any) -> Any:
        # psycopg binds dicts only when told they are JSON; lists are arrays.
        return Jsonb(value) if isinstance(value, dict) else value
