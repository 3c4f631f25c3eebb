"""Database engines, one module each; `dialect_for` picks by the SQLAlchemy URL."""

from __future__ import annotations

import sqlalchemy as sa

from ..errors import InvalidInput
from .base import Dialect
from .mysql import MySQLDialect
from .postgresql import PostgreSQLDialect
from .sqlite import SQLiteDialect

_BY_NAME: dict[str, type[Dialect]] = {
    "sqlite": SQLiteDialect,
    "postgresql": PostgreSQLDialect,
    "mysql": MySQLDialect,
    "mariadb": MySQLDialect,
}


def dialect_for(engine: sa.Engine) -> Dialect:
    cls = _BY_NAME.get(engine.dialect.name)
    if cls is None:
        raise InvalidInput(f"unsupported database engine {engine.dialect.name!r}")
    return cls(engine)


def create_engine(url: str) -> sa.Engine:
    """An engine for a DATABASE_URL, with the drivers this project ships."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise InvalidInput("DATABASE_URL is not a valid database URL") from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif parsed.drivername in ("mysql", "mariadb"):
        parsed = parsed.set(drivername=f"{parsed.drivername}+pymysql")
    if parsed.drivername.startswith("mysql") or parsed.drivername.startswith("mariadb"):
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return sa.create_engine(parsed, pool_pre_ping=True)
