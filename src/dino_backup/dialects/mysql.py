"""MariaDB / MySQL: consistent-snapshot transaction, unbuffered (streaming) cursors."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
import sqlalchemy as sa
from pymysql.constants import FIELD_TYPE

from ..schema.reflect import ColumnSpec, TableSpec
from .base import Dialect
from .limits import Fitter, single_precision, type_params

_TEXTUAL = ("text", "json", "other")
_UNINDEXABLE = ("TEXT", "BLOB", "JSON")  # need a prefix length to be indexed


def _single_precision(column: ColumnSpec) -> bool:
    """FLOAT, FLOAT(p <= 24): four bytes (FLOAT(p > 24) is a DOUBLE)."""
    return (
        column.kind == "float"
        and column.type.upper().startswith("FLOAT")
        and type_params(column.type)[:1] <= (24,)
    )


# DATETIME, TIMESTAMP, DATE: read as the text the server sends, not as Python objects.
# The text is exact (it also holds zero dates Python cannot), MariaDB parses it again on
# restore, other engines convert it, and no datetime object is built per value.
_DATE_TIME_FIELDS = (FIELD_TYPE.DATETIME, FIELD_TYPE.TIMESTAMP, FIELD_TYPE.DATE)


class MySQLDialect(Dialect):
    name = "mysql"
    default_fraction_digits = 0  # DATETIME / TIME / TIMESTAMP without (fsp): whole seconds

    def fitters(self, column: ColumnSpec) -> list[Fitter]:
        if _single_precision(column):
            return [single_precision]
        return super().fitters(column)

    def select_list(self, table: TableSpec, columns: Sequence[str]) -> str:
        # The text protocol sends FLOAT with 6 significant digits (123456.7890625 comes
        # back as 123457); as DOUBLE it is exact, and storing that again gives the same FLOAT.
        single = {c.name for c in table.columns if _single_precision(c)}
        return ", ".join(
            f"CAST({self.quote(c)} AS DOUBLE)" if c in single else self.quote(c) for c in columns
        )

    def is_distinct(self, left: str, right: str, column: ColumnSpec) -> str:
        if column.kind in _TEXTUAL:
            # Bytes, not the collation: *_ci and PAD SPACE call 'a', 'A ' and 'á' equal.
            return f"NOT (CAST({left} AS BINARY) <=> CAST({right} AS BINARY))"
        return f"NOT ({left} <=> {right})"

    def same_key(self, left: str, right: str, column: ColumnSpec) -> str:
        if column.kind not in _TEXTUAL:
            return f"{left} = {right}"
        # The first comparison can use the table's index, the second makes it exact.
        return f"{left} = {right} AND CAST({left} AS BINARY) = CAST({right} AS BINARY)"

    @contextmanager
    def snapshot(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            cur = dbapi.cursor()
            try:
                cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
            finally:
                cur.close()
            decoders = getattr(dbapi, "decoders", None)
            if decoders is not None:  # PyMySQL: date-times as the server's exact text
                dbapi.decoders = {**decoders, **dict.fromkeys(_DATE_TIME_FIELDS, str)}
            try:
                yield conn
            finally:
                if decoders is not None:
                    dbapi.decoders = decoders
                self.end_snapshot(conn)

    def create_staging(
        self,
        conn: sa.Connection,
        table: TableSpec,
        staging: str,
        columns: Sequence[str],
        key: Sequence[str],
    ) -> None:
        # Copied from the target (not rebuilt from reflected types), so that each column keeps
        # its character set and collation. The index is declared here: CREATE INDEX would
        # commit the restore's transaction (only CREATE/DROP TEMPORARY TABLE do not).
        types = {c.name: c.type.upper() for c in table.columns}
        indexable = key and not any(u in types.get(k, "") for k in key for u in _UNINDEXABLE)
        index = f"(INDEX ({self.column_list(key)})) " if indexable else ""
        conn.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {self.quote(staging)} {index}"
            f"SELECT {self.column_list(columns)} FROM {self.quote(table.name)} LIMIT 0"
        )

    def index_staging(self, conn: sa.Connection, staging: str, key: Sequence[str]) -> None:
        pass  # declared with the table: CREATE INDEX would commit the transaction

    def drop_staging(self, conn: sa.Connection, staging: str) -> None:
        # TEMPORARY: a plain DROP TABLE would commit the transaction (and could hit a table).
        conn.exec_driver_sql(f"DROP TEMPORARY TABLE IF EXISTS {self.quote(staging)}")

    def keyed_text_type(self) -> sa.types.TypeEngine[Any]:
        return sa.String(191)  # TEXT cannot be indexed without a prefix length

    def create_table_options(self, conn: sa.Connection, parents: Sequence[str]) -> str:
        # A foreign key needs the same collation on both sides; the database's default
        # may not be the one its tables use (Prisma creates them utf8mb4_unicode_ci).
        for parent in parents:
            collation = conn.exec_driver_sql(
                "SELECT TABLE_COLLATION FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
                (parent,),
            ).scalar()
            if collation:
                return f" COLLATE={collation}"
        return ""

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
