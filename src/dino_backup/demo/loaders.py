"""Writers for one batch of demo rows: the fastest way each driver offers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from .rows import Row, Timestamp, datetime_from_ms, timestamp_text

Writer = Callable[[sa.Table, list[Row]], None]

# --- loaders: a writer for one batch of rows, and the timestamp form it takes ---


class Loader(NamedTuple):
    write: Writer
    timestamp: Timestamp
    # Generate in a worker thread while this thread waits on the server. Not for sqlite3:
    # it drops the GIL around every row, so the threads would only trade it back and forth.
    prefetch: bool


def _quoted_columns(dialect: Dialect, table: sa.Table) -> tuple[str, str]:
    quote = dialect.identifier_preparer.quote
    return quote(table.name), ", ".join(quote(column.name) for column in table.columns)


def _driver(conn: Connection) -> Any:
    """The DBAPI connection under `conn`, inside the same transaction."""
    driver = conn.connection.driver_connection
    assert driver is not None  # only None once the connection is closed
    return driver


def _write_sqlite(conn: Connection, table: sa.Table, rows: list[Row]) -> None:
    name, columns = _quoted_columns(conn.dialect, table)
    markers = ", ".join("?" * len(table.columns))
    cursor = _driver(conn).cursor()
    try:
        cursor.executemany(f"INSERT INTO {name} ({columns}) VALUES ({markers})", rows)
    finally:
        cursor.close()


def _write_copy(conn: Connection, table: sa.Table, rows: list[Row]) -> None:
    name, columns = _quoted_columns(conn.dialect, table)
    with _driver(conn).cursor() as cursor:
        with cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


# PyMySQL's own executemany limit; far below any server's max_allowed_packet.
_MYSQL_STATEMENT_BYTES = 1_000_000


def _mysql_rows(rows: list[Row]) -> Iterator[str]:
    """Each row as `(v1,v2,...)`; the rows hold only text, integers and NULLs.

    Text goes as a hex literal with a charset introducer: nothing needs escaping, whatever
    the server's quoting mode (NO_BACKSLASH_ESCAPES), and it is several times faster than
    escaping in Python. MySQL converts it like any quoted string, also into DATETIME.
    """
    for row in rows:
        values = [
            "NULL" if v is None else f"_utf8mb4 X'{v.encode().hex()}'" if v.__class__ is str
            else str(int(v))
            for v in row
        ]  # fmt: skip
        yield "(" + ",".join(values) + ")"


def _write_pymysql(conn: Connection, table: sa.Table, rows: list[Row]) -> None:
    """Multi-row INSERTs built here: PyMySQL's per-value escaping costs more than the server."""
    name, columns = _quoted_columns(conn.dialect, table)
    prefix = f"INSERT INTO {name} ({columns}) VALUES "
    with _driver(conn).cursor() as cursor:
        pending: list[str] = []
        size = 0
        for values in _mysql_rows(rows):
            pending.append(values)
            size += len(values)
            if size > _MYSQL_STATEMENT_BYTES:
                cursor.execute(prefix + ",".join(pending))
                pending, size = [], 0
        if pending:
            cursor.execute(prefix + ",".join(pending))


def write_core(conn: Connection, table: sa.Table, rows: list[Row]) -> None:
    keys = [column.key for column in table.columns]
    conn.execute(table.insert(), [dict(zip(keys, row, strict=True)) for row in rows])


def loader_for(conn: Connection) -> Loader:
    dialect = conn.dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        return Loader(partial(_write_copy, conn), timestamp_text(), prefetch=True)
    if dialect.name == "sqlite" and dialect.driver == "pysqlite":
        return Loader(partial(_write_sqlite, conn), timestamp_text(), prefetch=False)
    if dialect.name in ("mysql", "mariadb") and dialect.driver == "pymysql":
        return Loader(partial(_write_pymysql, conn), timestamp_text(), prefetch=True)
    return Loader(partial(write_core, conn), datetime_from_ms, prefetch=False)


