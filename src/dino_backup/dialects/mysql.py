"""MariaDB / MySQL: consistent-snapshot transaction, unbuffered (streaming) cursors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import uuid
from typing import Any

import orjson
import sqlalchemy as sa

from ..schema.reflect import TableSpec
from .base import Dialect


class MySQLDialect(Dialect):
    name = "mysql"

    def is_distinct(self, left: str, right: str) -> str:
        return f"NOT ({left} <=> {right})"

    @contextmanager
    def snapshot(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            with dbapi.cursor() as cur:
                cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
            try:
                yield conn
            finally:
                dbapi.rollback()

    def create_staging(self, conn: sa.Connection, table: TableSpec, staging: str) -> None:
        cols = ", ".join(f"{self.quote(c.name)} {c.type}" for c in table.columns)
        conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {self.quote(staging)} ({cols})")

    def update_from(self, table: str, staging: str, key: str, assignments: str, where: str) -> str:
        return f"UPDATE {table} JOIN {staging} AS s ON {key} SET {assignments} WHERE {where}"

    def assign_target(self, table: str, column: str) -> str:
        return f"{table}.{column}"  # unqualified names are ambiguous in a joined UPDATE

    def adapt(self, value: Any) -> Any:
        if isinstance(value, dict | list):
            return orjson.dumps(value).decode()
        if isinstance(value, uuid.UUID):
            return str(value)
        return value
