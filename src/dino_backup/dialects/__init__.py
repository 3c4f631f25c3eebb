"""Database engines, one module each; `dialect_for` picks by the SQLAlchemy URL."""

from __future__ import annotations

import importlib

import sqlalchemy as sa

from ..errors import InvalidInput
from .base import Dialect

# Imported when first used: each engine's module pulls in its driver (psycopg alone takes
# a tenth of a second), and a command talks to one engine.
_MODULES = {
    "sqlite": ("sqlite", "SQLiteDialect"),
    "postgresql": ("postgresql", "PostgreSQLDialect"),
    "mysql": ("mysql", "MySQLDialect"),
    "mariadb": ("mysql", "MySQLDialect"),
}


def dialect_for(engine: sa.Engine) -> Dialect:
    found = _MODULES.get(engine.dialect.name)
    if found is None:
        raise InvalidInput(f"unsupported database engine {engine.dialect.name!r}")
    module = importlib.import_module(f"{__name__}.{found[0]}")
    cls: type[Dialect] = getattr(module, found[1])
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
