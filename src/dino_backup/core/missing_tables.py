"""`--create-missing`: create tables the backup has and the database lacks.

On the same engine the backup's own column types are used; across engines each column's
portable kind picks a SQLAlchemy type rendered for the target. Primary keys, unique sets
and foreign keys to tables that exist come along.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..dialects.base import Dialect
from ..errors import IncompatibleSchema
from ..schema.reflect import ColumnSpec, TableSpec

_BY_KIND: dict[str, Any] = {
    "text": sa.Text,
    "integer": sa.BigInteger,
    "float": lambda: sa.Float(53),
    "numeric": lambda: sa.Numeric(38, 10),
    "boolean": sa.Boolean,
    "date": sa.Date,
    "time": sa.Time,
    "binary": sa.LargeBinary,
    "json": sa.JSON,
    "uuid": sa.Uuid,
    "interval": sa.Interval,
}


def _type(column: ColumnSpec, keyed: bool, dialect: Dialect) -> Any:
    if column.kind == "datetime":
        return sa.DateTime(timezone=column.timezone)
    if column.kind == "text" and keyed:
        return dialect.keyed_text_type()
    return _BY_KIND.get(column.kind, sa.Text)()


def create_tables(
    engine: sa.Engine,
    dialect: Dialect,
    specs: list[TableSpec],
    same_engine: bool,
    existing: set[str],
) -> list[str]:
    """Create each table (parents first); returns the names created, for undoing.

    On failure the tables already created are dropped again (MySQL commits each CREATE
    TABLE at once) and IncompatibleSchema names the table that could not be created."""
    created: list[str] = []
    spec = None
    try:
        with engine.begin() as conn:
            for spec in specs:
                columns = ", ".join(
                    _column_ddl(engine, spec, c, dialect, same_engine) for c in spec.columns
                )
                tables = existing | set(created)
                keys = _constraints(spec, dialect, tables)
                parents = [
                    f.referred_table for f in spec.foreign_keys if f.referred_table in tables
                ]
                options = dialect.create_table_options(conn, parents)
                conn.exec_driver_sql(
                    f"CREATE TABLE {dialect.quote(spec.name)} ({columns}{keys}){options}"
                )
                created.append(spec.name)
    except sa.exc.SQLAlchemyError as exc:
        drop_tables(engine, dialect, created)
        name = spec.name if spec is not None else "?"
        orig = getattr(exc, "orig", None) or exc
        first = (str(orig).strip().splitlines() or [type(orig).__name__])[0][:200]
        raise IncompatibleSchema(f"cannot create table {name}: {first}") from None
    return created


def _column_ddl(
    engine: sa.Engine, spec: TableSpec, c: ColumnSpec, dialect: Dialect, same_engine: bool
) -> str:
    keyed = c.name in (
        set(spec.primary_key)
        | {n for u in spec.unique for n in u}
        | {n for fk in spec.foreign_keys for n in fk.columns}  # indexed, same type as parent
    )
    if same_engine and c.type:
        type_sql = c.type
    else:
        type_sql = str(_type(c, keyed, dialect).compile(dialect=engine.dialect))
    return f"{dialect.quote(c.name)} {type_sql}{'' if c.nullable else ' NOT NULL'}"


def _constraints(spec: TableSpec, dialect: Dialect, tables: set[str]) -> str:
    parts = []
    if spec.primary_key:
        parts.append(f"PRIMARY KEY ({dialect.column_list(spec.primary_key)})")
    parts += [f"UNIQUE ({dialect.column_list(u)})" for u in spec.unique]
    for fk in spec.foreign_keys:
        if fk.referred_table in tables:
            action = f" ON DELETE {fk.ondelete}" if fk.ondelete else ""
            parts.append(
                f"FOREIGN KEY ({dialect.column_list(fk.columns)}) REFERENCES "
                f"{dialect.quote(fk.referred_table)} ({dialect.column_list(fk.referred_columns)})"
                + action
            )
    return "".join(f", {p}" for p in parts)


def drop_tables(engine: sa.Engine, dialect: Dialect, names: list[str]) -> None:
    if not names:
        return
    with engine.begin() as conn:
        for name in reversed(names):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {dialect.quote(name)}")
