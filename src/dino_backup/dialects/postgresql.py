"""PostgreSQL: REPEATABLE READ READ ONLY snapshot, server-side cursors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from typing import Any

import sqlalchemy as sa
from psycopg.types.json import Jsonb

from ..schema.reflect import TableSpec
from .base import Dialect


class PostgreSQLDialect(Dialect):
    name = "postgresql"

    @contextmanager
    def snapshot(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                yield conn

    def create_staging(self, conn: sa.Connection, table: TableSpec, staging: str) -> None:
        conn.exec_driver_sql(
            f"CREATE TEMP TABLE {self.quote(staging)} "
            f"(LIKE {self.quote(table.name)} INCLUDING DEFAULTS) ON COMMIT DROP"
        )

    def adapt(self, value: Any) -> Any:
        # psycopg binds dicts/lists only when told they are JSON.
        return Jsonb(value) if isinstance(value, dict | list) else value
