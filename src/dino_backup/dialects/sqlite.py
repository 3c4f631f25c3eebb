"""SQLite: values read raw (no type processing), so every stored value comes back as stored."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import datetime as dt
import decimal
import uuid
from typing import Any

import orjson
import sqlalchemy as sa

from ..schema.reflect import TableSpec
from .base import Dialect


class SQLiteDialect(Dialect):
    name = "sqlite"

    def is_distinct(self, left: str, right: str) -> str:
        return f"{left} IS NOT {right}"

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
                dbapi.rollback()

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

    def create_staging(self, conn: sa.Connection, table: TableSpec, staging: str) -> None:
        # Same declared types, so the same affinity conversions apply as on the real table.
        cols = ", ".join(f"{self.quote(c.name)} {c.type}" for c in table.columns)
        conn.exec_driver_sql(f"CREATE TEMP TABLE {self.quote(staging)} ({cols})")

    def adapt(self, value: Any) -> Any:
        # sqlite3 binds only str/int/float/bytes/None; store other types as SQLAlchemy would.
        if isinstance(value, dt.datetime):
            return value.isoformat(sep=" ")
        if isinstance(value, dt.date | dt.time):
            return value.isoformat()
        if isinstance(value, decimal.Decimal | uuid.UUID):
            return str(value)
        if isinstance(value, dict | list):
            return orjson.dumps(value).decode()
        if isinstance(value, dt.timedelta):
            return value.total_seconds()
        return value
