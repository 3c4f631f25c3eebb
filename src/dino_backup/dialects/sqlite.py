"""SQLite: values read raw (no type processing), so every stored value comes back as stored."""

from __future__ import annotations

import datetime as dt
import decimal
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
import sqlalchemy as sa

from ..schema.reflect import ColumnSpec, TableSpec
from .base import Dialect, RowByRow
from .limits import Fitter, real_number

_TEXTUAL = ("text", "json", "other")


# SQLite's printf cannot write every double exactly, so a REAL must be encoded by Python:
# in an INTEGER / NUMERIC column (where REALs are rare) it becomes a blob, which json_array
# refuses, and the table is then read again row by row. TEXT columns never hold a REAL.
_NO_REAL = "CASE WHEN typeof({c}) = 'real' THEN x'00' ELSE {c} END"
_JSON_BATCH = 2000  # rows per fetch: a few MB even for rows of long tokens


def _affinity(declared: str) -> str:
    """SQLite's column affinity from the declared type (its rules, in their order)."""
    upper = declared.upper()
    if "INT" in upper:
        return "integer"
    if any(s in upper for s in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if "BLOB" in upper or not upper:
        return "blob"
    if any(s in upper for s in ("REAL", "FLOA", "DOUB")):
        return "real"
    return "numeric"


def _batches(conn: sa.Connection, sql: str, size: int) -> Iterator[Sequence[Any]]:
    """Rows of `sql` from the driver's own cursor: SQLAlchemy's result layer costs a fifth of
    a backup here, and sqlite3 has no server-side buffering for it to hide."""
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(size):
            yield batch
    finally:
        cursor.close()


_ROWID = "_rowid_"
_FIRST_CHUNK, _MAX_CHUNK = 100, 20000  # rows per query
_CHUNK_BYTES = 2 << 20  # what a query's rows should add up to
_ROWID_NAMES = {"rowid", "_rowid_", "oid"}


def _has_rowid(conn: sa.Connection, table: TableSpec, source: str) -> bool:
    """Whether `_rowid_` is the table's rowid (not a WITHOUT ROWID table, not a column)."""
    if any(c.lower() in _ROWID_NAMES for c in table.column_names):
        return False
    try:
        conn.exec_driver_sql(f"SELECT {_ROWID} FROM {source} LIMIT 0")
    except sa.exc.OperationalError:
        return False
    return True


def _json_chunks(conn: sa.Connection, line: str, source: str, table: str) -> Iterator[bytes]:
    """JSON lines joined by SQLite itself, a chunk of rows per query in rowid order: one
    Python object per block instead of one per row. The queries share the snapshot; each
    chunk's row count is chosen from the last one's size, so wide rows stay a few MB too."""

    def page(where: str) -> str:  # not str.format: names may hold braces
        return (
            f"SELECT group_concat(line, char(10)), max(r), count(*) FROM (SELECT {line} AS "
            f"line, {_ROWID} AS r FROM {source} {where} ORDER BY {_ROWID} LIMIT ?)"
        )

    first, rest = page(""), page(f"WHERE {_ROWID} > ?")
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        lines, last, rows = cursor.execute(first, (_FIRST_CHUNK,)).fetchone()
        while lines is not None:
            yield lines.encode() + b"\n"
            rows = max(1, min(_MAX_CHUNK, rows * _CHUNK_BYTES // len(lines)))
            lines, last, rows = cursor.execute(rest, (last, rows)).fetchone()
    except sqlite3.OperationalError as exc:
        raise _json_refused(exc, table) from None
    finally:
        cursor.close()


def _json_rows(conn: sa.Connection, select: str, table: str) -> Iterator[bytes]:
    try:
        for batch in _batches(conn, select, _JSON_BATCH):
            lines = [r[0] for r in batch]
            lines.append("")  # so the block ends with a newline
            yield "\n".join(lines).encode()
    except sqlite3.OperationalError as exc:
        raise _json_refused(exc, table) from None


def _json_refused(exc: sqlite3.OperationalError, table: str) -> Exception:
    """json_array refuses blobs: the table must be read row by row."""
    return RowByRow(table) if "BLOB" in str(exc) else exc


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
        sql = f"SELECT {self.column_list(columns)} FROM {self.quote(table.name)}"
        return _batches(conn, sql, self.batch_size)

    def json_lines(
        self, conn: sa.Connection, table: TableSpec, columns: Sequence[str]
    ) -> Iterator[bytes] | None:
        # SQLite's json_array() writes each row in C (outside the GIL), several times
        # cheaper than a tuple of Python values encoded by orjson. Blobs need base64,
        # which SQLite lacks, and REALs exact digits: a table with a BLOB- or REAL-affinity
        # column is read row by row, and a blob or REAL met in any other column (json_array
        # refuses it) makes the caller retry the table row by row.
        info = conn.exec_driver_sql("SELECT name, type FROM pragma_table_info(?)", (table.name,))
        declared = {name: declared for name, declared in info}
        affinities = [_affinity(declared.get(c) or "") for c in columns]
        if "blob" in affinities or "real" in affinities:
            return None
        values = [
            self.quote(c) if a == "text" else _NO_REAL.format(c=self.quote(c))
            for c, a in zip(columns, affinities, strict=True)
        ]
        line, source = f"json_array({', '.join(values)})", self.quote(table.name)
        if _has_rowid(conn, table, source):
            return _json_chunks(conn, line, source, table.name)
        return _json_rows(conn, f"SELECT {line} FROM {source}", table.name)

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
