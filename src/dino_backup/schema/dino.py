"""The DINO app's tables, as its Prisma schema creates them on each engine.

Names are camelCase and case-sensitive, so every table and column name is quoted on
every engine, as Prisma does (PostgreSQL would otherwise fold `userId` to `userid`).
Types follow Prisma's per-engine mapping via `with_variant`: TEXT / TIMESTAMP(3) on
PostgreSQL, VARCHAR(191) / DATETIME(3) on MySQL, TEXT / DATETIME on SQLite. Prisma turns
`@unique` into a unique *index* named `<Table>_<cols>_key`, so it is declared as one here.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import SchemaItem
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeEngine

DINO_TABLES = ("User", "Account", "Session", "VerificationToken", "CountryVisit")

_MYSQL = ("mysql", "mariadb")
metadata = sa.MetaData()


class _Now(sa.sql.expression.FunctionElement[Any]):
    """Prisma's `@default(now())`: CURRENT_TIMESTAMP, at the column's precision on MySQL."""

    type = sa.DateTime()
    inherit_cache = True


@compiles(_Now)
def _now_default(element: _Now, compiler: SQLCompiler, **kw: Any) -> str:
    return "CURRENT_TIMESTAMP"


@compiles(_Now, "mysql")
@compiles(_Now, "mariadb")
def _now_mysql(element: _Now, compiler: SQLCompiler, **kw: Any) -> str:
    # MySQL rejects a DEFAULT whose precision differs from the DATETIME(3) column's.
    return "CURRENT_TIMESTAMP(3)"


def _string() -> TypeEngine[str]:
    """Prisma `String`: TEXT, but VARCHAR(191) on MySQL (the utf8mb4 index-length limit)."""
    return sa.Text().with_variant(mysql.VARCHAR(191), *_MYSQL)


def _long_text() -> TypeEngine[str]:
    """Prisma `String @db.Text`: TEXT everywhere (tokens and notes may be long)."""
    return sa.Text().with_variant(mysql.TEXT(), *_MYSQL)


def _datetime() -> TypeEngine[Any]:
    """Prisma `DateTime`: millisecond precision where the engine has a choice."""
    return (
        sa.DateTime()
        .with_variant(postgresql.TIMESTAMP(precision=3), "postgresql")
        .with_variant(mysql.DATETIME(fsp=3), *_MYSQL)
    )


def _col(name: str, type_: TypeEngine[Any], *args: Any, **kw: Any) -> sa.Column[Any]:
    """A column whose name is always quoted, as in Prisma's DDL (nullable unless told)."""
    return sa.Column(name, type_, *args, quote=True, **kw)


def _table(name: str, *items: SchemaItem) -> sa.Table:
    # Prisma creates every MySQL table like this; utf8mb4 is also what keeps emoji intact.
    return sa.Table(
        name,
        metadata,
        *items,
        quote=True,
        mysql_engine="InnoDB",
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )


def _id() -> sa.Column[Any]:
    return _col("id", _string(), nullable=False)


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=f"{table}_pkey")


def _user_id(table: str) -> sa.Column[Any]:
    # Prisma's defaults for a required relation: cascade on delete and on update.
    fk = sa.ForeignKey(
        "User.id", name=f"{table}_userId_fkey", ondelete="CASCADE", onupdate="CASCADE"
    )
    return _col("userId", _string(), fk, nullable=False)


def _timestamps() -> tuple[sa.Column[Any], sa.Column[Any]]:
    created = _col("createdAt", _datetime(), nullable=False, server_default=_Now())
    # `@updatedAt` is maintained by the Prisma client, so the database has no default.
    updated = _col("updatedAt", _datetime(), nullable=False)
    return created, updated


user = _table(
    "User",
    _id(),
    _col("name", _string()),
    _col("email", _string()),
    _col("emailVerified", _datetime()),
    _col("image", _string()),
    *_timestamps(),
    _pk("User"),
    sa.Index("User_email_key", "email", unique=True),
)

account = _table(
    "Account",
    _id(),
    _user_id("Account"),
    _col("type", _string(), nullable=False),
    _col("provider", _string(), nullable=False),
    _col("providerAccountId", _string(), nullable=False),
    _col("refresh_token", _long_text()),
    _col("access_token", _long_text()),
    _col("expires_at", sa.Integer()),
    _col("token_type", _string()),
    _col("scope", _string()),
    _col("id_token", _long_text()),
    _col("session_state", _string()),
    _pk("Account"),
    sa.Index(
        "Account_provider_providerAccountId_key", "provider", "providerAccountId", unique=True
    ),
)

session = _table(
    "Session",
    _id(),
    _col("sessionToken", _string(), nullable=False),
    _user_id("Session"),
    _col("expires", _datetime(), nullable=False),
    _pk("Session"),
    sa.Index("Session_sessionToken_key", "sessionToken", unique=True),
)

# No primary key: Prisma models this table with @@unique only.
verification_token = _table(
    "VerificationToken",
    _col("identifier", _string(), nullable=False),
    _col("token", _string(), nullable=False),
    _col("expires", _datetime(), nullable=False),
    sa.Index("VerificationToken_token_key", "token", unique=True),
    sa.Index("VerificationToken_identifier_token_key", "identifier", "token", unique=True),
)

country_visit = _table(
    "CountryVisit",
    _id(),
    _user_id("CountryVisit"),
    _col("country", _string(), nullable=False),
    _col("entryDate", _datetime(), nullable=False),
    _col("exitDate", _datetime()),
    _col("visaType", _string()),
    _col("maxDays", sa.Integer()),
    _col("passportCountry", _string()),
    _col("notes", _long_text()),
    *_timestamps(),
    _pk("CountryVisit"),
    sa.Index("CountryVisit_userId_idx", "userId"),
    sa.Index("CountryVisit_userId_entryDate_idx", "userId", "entryDate"),
)


def create_schema(engine: Engine) -> None:
    """Create whichever DINO tables and indexes do not exist yet (safe to call again)."""
    metadata.create_all(engine, checkfirst=True)
