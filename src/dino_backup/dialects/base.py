"""What the engine needs from a database engine, in one small interface.

One module per engine implements it (sqlite.py, postgresql.py, mysql.py); nothing else
in the code asks which engine it is talking to.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from ..schema.reflect import TableSpec

_PLAIN = {str, int, float, bool, type(None), bytes}


class Dialect:
    name = "generic"
    batch_size = 5000

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._preparer = engine.dialect.identifier_preparer

    # -- naming ------------------------------------------------------------------
    def quote(self, name: str) -> str:
        return str(self._preparer.quote_identifier(name))

    def column_list(self, columns: Sequence[str], prefix: str = "") -> str:
        return ", ".join(prefix + self.quote(c) for c in columns)

    @property
    def placeholder(self) -> str:
        return "?" if self.engine.dialect.paramstyle == "qmark" else "%s"

    def is_distinct(self, left: str, right: str) -> str:
        """SQL that is true when two values differ, NULLs compared as values."""
        return f"{left} IS DISTINCT FROM {right}"

    # -- reading -----------------------------------------------------------------
    @contextmanager
    def snapshot(self) -> Iterator[sa.Connection]:
        """A connection whose reads all see one transactionally consistent state."""
        raise NotImplementedError
        yield  # pragma: no cover

    def stream_rows(
        self, conn: sa.Connection, table: TableSpec, columns: Sequence[str]
    ) -> Iterator[Sequence[Sequence[Any]]]:
        """Batches of rows exactly as the driver returns them, read with a streaming cursor."""
        order = self.column_list(table.primary_key) if table.primary_key else None
        sql = f"SELECT {self.column_list(columns)} FROM {self.quote(table.name)}"
        if order:
            sql += f" ORDER BY {order}"
        result = conn.execution_options(stream_results=True, yield_per=self.batch_size)
        cursor = result.exec_driver_sql(sql)
        while batch := cursor.fetchmany(self.batch_size):
            yield batch

    def check_readable(self, conn: sa.Connection, table: TableSpec) -> None:
        conn.exec_driver_sql(f"SELECT 1 FROM {self.quote(table.name)} WHERE 1=0").close()

    # -- writing -----------------------------------------------------------------
    @contextmanager
    def write_transaction(self) -> Iterator[sa.Connection]:
        """One transaction for a whole restore: commits on success, rolls back on error."""
        with self.engine.begin() as conn:
            yield conn

    def insert_rows(
        self, conn: sa.Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        marks = ", ".join([self.placeholder] * len(columns))
        sql = f"INSERT INTO {self.quote(table)} ({self.column_list(columns)}) VALUES ({marks})"
        conn.exec_driver_sql(sql, [tuple(r) for r in rows])

    def adapt_row(self, row: list[Any]) -> list[Any]:
        """Make decoded values bindable by this driver (only non-JSON-native types)."""
        for i, v in enumerate(row):
            if type(v) not in _PLAIN:
                row[i] = self.adapt(v)
        return row

    def adapt(self, value: Any) -> Any:
        return value

    def assign_target(self, table: str, column: str) -> str:
        """Left side of SET in an UPDATE joined with staging."""
        return column

    def create_staging(self, conn: sa.Connection, table: TableSpec, staging: str) -> None:
        """An empty temporary table with the target's columns and no constraints."""
        raise NotImplementedError

    def update_from(self, table: str, staging: str, key: str, assignments: str, where: str) -> str:
        """UPDATE target rows from matching staging rows (PostgreSQL / SQLite syntax)."""
        return f"UPDATE {table} SET {assignments} FROM {staging} AS s WHERE {key} AND ({where})"

    def drop_staging(self, conn: sa.Connection, staging: str) -> None:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {self.quote(staging)}")
