"""What the engine needs from a database engine, in one small interface.

One module per engine implements it (sqlite.py, postgresql.py, mysql.py); nothing else
in the code asks which engine it is talking to.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from ..schema.reflect import ColumnSpec, TableSpec
from .limits import Fitter, chain, decimal_places, fraction_digits, type_params

_PLAIN = {str, int, float, bool, type(None), bytes}


class RowByRow(Exception):
    """The database cannot encode a table's rows itself (json_lines): read it row by row."""

    def __init__(self, table: str) -> None:
        super().__init__(table)
        self.table = table


class Dialect:
    name = "generic"
    batch_size = 5000
    # Fractional-second digits of a date-time / time type declared without a precision.
    default_fraction_digits: int | None = 6

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

    def is_distinct(self, left: str, right: str, column: ColumnSpec) -> str:
        """SQL that is true when two stored values differ, NULLs compared as values.

        Exact: values a collation calls equal ('a' / 'A', 'e' / 'é') still differ."""
        return f"{left} IS DISTINCT FROM {right}"

    def same_key(self, left: str, right: str, column: ColumnSpec) -> str:
        """SQL that is true when two key values are the same (exactly, as is_distinct)."""
        return f"{left} = {right}"

    # -- what a column holds ------------------------------------------------------
    def fitter(self, column: ColumnSpec) -> Fitter | None:
        """How a value converted from another engine or type is stored in `column` (see
        limits.py); None when every converted value is stored exactly."""
        return chain(self.fitters(column))

    def fitters(self, column: ColumnSpec) -> list[Fitter]:
        params = type_params(column.type)
        if column.kind == "numeric" and params:
            return [decimal_places(params[1] if len(params) == 2 else 0)]
        if column.kind in ("datetime", "time"):
            digits = params[0] if params else self.default_fraction_digits
            if digits is not None and digits < 6:
                return [fraction_digits(digits)]
        return []

    # -- reading -----------------------------------------------------------------
    @contextmanager
    def snapshot(self) -> Iterator[sa.Connection]:
        """A connection whose reads all see one transactionally consistent state."""
        raise NotImplementedError
        yield  # pragma: no cover

    def end_snapshot(self, conn: sa.Connection) -> None:
        """Roll a read snapshot back; if the connection was lost, drop it instead, so the
        caller sees the error that broke it rather than this one."""
        dbapi = conn.connection.dbapi_connection
        try:
            if dbapi is not None:
                dbapi.rollback()
        except self.engine.dialect.loaded_dbapi.Error:
            conn.invalidate()

    def stream_rows(
        self, conn: sa.Connection, table: TableSpec, columns: Sequence[str]
    ) -> Iterator[Sequence[Sequence[Any]]]:
        """Batches of rows exactly as the driver returns them, read with a streaming cursor
        in the table's natural order (no sort for the server to do)."""
        sql = f"SELECT {self.select_list(table, columns)} FROM {self.quote(table.name)}"
        streaming = conn.execution_options(stream_results=True, yield_per=self.batch_size)
        result = streaming.exec_driver_sql(sql)
        # Through the result, not its DBAPI cursor: SQLAlchemy buffers the first rows.
        while batch := result.fetchmany(self.batch_size):
            yield batch

    def json_lines(
        self, conn: sa.Connection, table: TableSpec, columns: Sequence[str]
    ) -> Iterator[bytes] | None:
        """Blocks of the rows as JSON Lines written by the database itself (as
        values.encode_row would write them), or None where it cannot; may raise RowByRow
        part-way through, when a value turns out to need Python's encoding."""
        return None

    def copy_kinds(
        self, conn: sa.Connection, table: TableSpec, columns: Sequence[str]
    ) -> list[str] | None:
        """The COPY value kinds (archive/pgcopy.py) when this engine can read the table with
        COPY (see copy_out); None reads it row by row (stream_rows)."""
        return None

    def copy_out(
        self, conn: sa.Connection, table: TableSpec, columns: Sequence[str]
    ) -> Iterator[bytes]:
        """Blocks of the table's rows as COPY text lines, written by the server itself."""
        raise NotImplementedError

    def copy_in(
        self, conn: sa.Connection, table: str, columns: Sequence[str], blocks: Iterable[bytes]
    ) -> None:
        """Load COPY text lines, as copy_out wrote them, into `table` unchanged."""
        raise NotImplementedError

    def select_list(self, table: TableSpec, columns: Sequence[str]) -> str:
        """What stream_rows selects: the columns, or expressions giving their exact values."""
        return self.column_list(columns)

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

    def create_staging(
        self,
        conn: sa.Connection,
        table: TableSpec,
        staging: str,
        columns: Sequence[str],
        key: Sequence[str],
    ) -> None:
        """An empty temporary table of the target's `columns`, copied from the target itself
        (so with its exact types, collations and, on SQLite, affinities), without
        constraints; index_staging indexes it on `key` once it is loaded."""
        raise NotImplementedError

    def index_staging(self, conn: sa.Connection, staging: str, key: Sequence[str]) -> None:
        """Index loaded staging rows on `key` (built once, not maintained row by row)."""
        if key:
            name, cols = self.quote(staging + "_key"), self.column_list(key)
            conn.exec_driver_sql(f"CREATE INDEX {name} ON {self.quote(staging)} ({cols})")

    def update_from(self, table: str, staging: str, key: str, assignments: str, where: str) -> str:
        """UPDATE target rows from matching staging rows (PostgreSQL / SQLite syntax)."""
        return f"UPDATE {table} SET {assignments} FROM {staging} AS s WHERE {key} AND ({where})"

    def keyed_text_type(self) -> sa.types.TypeEngine[Any]:
        """Type of a text column that --create-missing creates with a key or index on it."""
        return sa.Text()

    def create_table_options(self, conn: sa.Connection, parents: Sequence[str]) -> str:
        """What follows `CREATE TABLE name (...)` for a table --create-missing creates,
        given the existing tables its foreign keys refer to."""
        return ""

    def drop_staging(self, conn: sa.Connection, staging: str) -> None:
        """Drop the staging table if it exists; never a real table of the same name."""
        raise NotImplementedError

    @contextmanager
    def bulk_load(self, conn: sa.Connection, tables: Sequence[TableSpec]) -> Iterator[None]:
        """Around loading rows into `tables` while they are empty: engines that can build
        keys and indexes and check foreign keys faster once afterwards than per row do so."""
        yield

    def after_restore(self, conn: sa.Connection, table: TableSpec) -> None:
        """Bring what the engine keeps beside the rows (key generators) up to date."""
