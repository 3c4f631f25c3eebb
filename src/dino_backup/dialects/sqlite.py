"""SQLite: values read raw (no type processing), so every stored value comes back as stored."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
import sqlalchemy as sa

from ..schema.reflect import ColumnSpec, TableSpec
from .base import Dialect
from .limits import Fitter, real_number

_TEXTUAL = ("text", "json", "other")


class SQLiteDialect(Dialect):
    name = "sqlite"

    def fitters(self, column: ColumnSpec) -> list[Fitter]:
        # Declared precision and scale mean nothing to SQLite; its numbers are 64-bit
        # integers or doubles, and date-times are stored as text with every digit.
        return [real_number] if column.kind in ("numeric", "integer") else []

    def is_distinct(self, left: str, right: str, column: ColumnSpec) -> str:
        # BINARY: a NOCASE column would otherwise call 'a' and 'A' the same value.
        return f"{left} IS NOT {right} COLLATE BINARY"

    def same_key(self, left: str, right: str, column: ColumnSpec) -> str:
        if column.kind not in _TEXTUAL:
            return f"{left} = {right}"
        # The first comparison can use the table's index, the second makes it exact.
        return f"{left} = {right} AND {left} = {right} COLLATE BINARY"

    @contextmanager
    def snapshot(self) -> Iterator[sa.Connection]:
        # An explicit BEGIN plus a first read takes SQLite's read snapshot for all tables
        # (WAL: writers go on; rollback journal: writers wait until we finish).
        with self.engine.connect() as conn:
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            dbapi.execute("BEGIN")
            dbapi.execute("SELECT count(*) FROM sqlite_master").fetchall()
            try:
                yield conn
            finally:
                self.end_snapshot(conn)

    def stream_rows(
        self, conn: sa.Connection, table: TableSpec, columns: Sequence[str]
    ) -> Iterator[Sequence[Sequence[Any]]]:
        # The driver's own cursor: SQLAlchemy's result layer costs a fifth of a backup here,
        # and sqlite3 has no server-side buffering for it to hide.
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        cursor = dbapi.cursor()
        try:
            cursor.execute(f"SELECT {self.column_list(columns)} FROM {self.quote(table.name)}")
            while batch := cursor.fetchmany(self.batch_size):
                yield batch
        finally:
            cursor.close()

    @contextmanager
    def write_transaction(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            dbapi.execute("PRAGMA foreign_keys=ON")
            dbapi.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                dbapi.rollback()
                raise
            dbapi.commit()

    def create_staging(
        self,
        conn: sa.Connection,
        table: TableSpec,
        staging: str,
        columns: Sequence[str],
        key: Sequence[str],
    ) -> None:
        # CREATE TABLE AS gives each column the affinity of the target's column (declared as
        # INT / NUM / REAL / TEXT / none), so values are stored exactly as the target stores
        # them; types SQLAlchemy cannot render (or no type at all) keep their affinity too.
        conn.exec_driver_sql(
            f"CREATE TEMP TABLE {self.quote(staging)} AS "
            f"SELECT {self.column_list(columns)} FROM main.{self.quote(table.name)} WHERE 0"
        )

    def drop_staging(self, conn: sa.Connection, staging: str) -> None:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{self.quote(staging)}")

    def adapt(self, value: Any) -> Any:
        # sqlite3 binds only str/int/float/bytes/None; other types are stored as SQLAlchemy
        # stores them, so applications reading through SQLAlchemy (and text comparisons
        # between old and restored rows) see one format.
        if isinstance(value, dt.datetime):
            return value.isoformat(sep=" ", timespec="microseconds")
        if isinstance(value, dt.time):
            return value.isoformat(timespec="microseconds")
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, decimal.Decimal | uuid.UUID):
            return str(value)
        if isinstance(value, dict | list):
            return orjson.dumps(value).decode()
        if isinstance(value, dt.timedelta):
            return value.total_seconds()
        return value
