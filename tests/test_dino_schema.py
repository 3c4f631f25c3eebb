"""The DINO schema as Prisma creates it: names, types, keys and cascades, on every engine."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine.interfaces import ReflectedColumn

from dino_backup.schema.dino import DINO_TABLES, create_schema

# (column, kind, nullable); kinds map to each engine's type below.
COLUMNS = {
    "User": [
        ("id", "str", False),
        ("name", "str", True),
        ("email", "str", True),
        ("emailVerified", "datetime", True),
        ("image", "str", True),
        ("createdAt", "datetime", False),
        ("updatedAt", "datetime", False),
    ],
    "Account": [
        ("id", "str", False),
        ("userId", "str", False),
        ("type", "str", False),
        ("provider", "str", False),
        ("providerAccountId", "str", False),
        ("refresh_token", "text", True),
        ("access_token", "text", True),
        ("expires_at", "int", True),
        ("token_type", "str", True),
        ("scope", "str", True),
        ("id_token", "text", True),
        ("session_state", "str", True),
    ],
    "Session": [
        ("id", "str", False),
        ("sessionToken", "str", False),
        ("userId", "str", False),
        ("expires", "datetime", False),
    ],
    "VerificationToken": [
        ("identifier", "str", False),
        ("token", "str", False),
        ("expires", "datetime", False),
    ],
    "CountryVisit": [
        ("id", "str", False),
        ("userId", "str", False),
        ("country", "str", False),
        ("entryDate", "datetime", False),
        ("exitDate", "datetime", True),
        ("visaType", "str", True),
        ("maxDays", "int", True),
        ("passportCountry", "str", True),
        ("notes", "text", True),
        ("createdAt", "datetime", False),
        ("updatedAt", "datetime", False),
    ],
}

# Prisma's per-engine mapping of String, String @db.Text, DateTime and Int.
TYPES = {
    "sqlite": {"str": "TEXT", "text": "TEXT", "datetime": "DATETIME", "int": "INTEGER"},
    "postgresql": {"str": "TEXT", "text": "TEXT", "datetime": "TIMESTAMP(3)", "int": "INTEGER"},
    "mysql": {"str": "VARCHAR(191)", "text": "TEXT", "datetime": "DATETIME(3)", "int": "INTEGER"},
}

# name -> (table, columns, unique)
INDEXES = {
    "User_email_key": ("User", ["email"], True),
    "Account_provider_providerAccountId_key": (
        "Account",
        ["provider", "providerAccountId"],
        True,
    ),
    "Session_sessionToken_key": ("Session", ["sessionToken"], True),
    "VerificationToken_token_key": ("VerificationToken", ["token"], True),
    "VerificationToken_identifier_token_key": ("VerificationToken", ["identifier", "token"], True),
    "CountryVisit_userId_idx": ("CountryVisit", ["userId"], False),
    "CountryVisit_userId_entryDate_idx": ("CountryVisit", ["userId", "entryDate"], False),
}

NOW = datetime(2025, 1, 2, 3, 4, 5, 678000)


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(db_url)
    yield engine
    engine.dispose()


def _type_name(engine: sa.Engine, column: ReflectedColumn) -> str:
    compiled = column["type"].compile(dialect=engine.dialect).upper()
    compiled = compiled.replace(" WITHOUT TIME ZONE", "")
    return re.sub(r"^INTEGER\(\d+\)$", "INTEGER", compiled)  # MariaDB shows a display width


def _insert_user(conn: sa.Connection, user_id: str, email: str | None) -> None:
    conn.execute(
        sa.text('INSERT INTO "User" ("id", "email", "updatedAt") VALUES (:id, :email, :now)'),
        {"id": user_id, "email": email, "now": NOW},
    )


def _ansi_quotes(conn: sa.Connection) -> None:
    """Let the tests' raw SQL quote identifiers the standard way on MySQL too."""
    if conn.dialect.name in ("mysql", "mariadb"):
        conn.exec_driver_sql("SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')")


def test_creates_exactly_the_five_tables(engine: sa.Engine) -> None:
    create_schema(engine)
    assert sorted(sa.inspect(engine).get_table_names()) == sorted(DINO_TABLES)
    assert DINO_TABLES == ("User", "Account", "Session", "VerificationToken", "CountryVisit")


def test_columns_have_prismas_names_types_and_nullability(engine: sa.Engine) -> None:
    create_schema(engine)
    inspector = sa.inspect(engine)
    types = TYPES["mysql" if engine.dialect.name == "mariadb" else engine.dialect.name]
    for table, expected in COLUMNS.items():
        found = [
            (c["name"], _type_name(engine, c), c["nullable"]) for c in inspector.get_columns(table)
        ]
        assert found == [(name, types[kind], null) for name, kind, null in expected], table


def test_primary_keys(engine: sa.Engine) -> None:
    create_schema(engine)
    inspector = sa.inspect(engine)
    for table in ("User", "Account", "Session", "CountryVisit"):
        assert inspector.get_pk_constraint(table)["constrained_columns"] == ["id"]
    # Prisma gives VerificationToken no primary key, only unique indexes.
    assert inspector.get_pk_constraint("VerificationToken")["constrained_columns"] == []


def test_indexes_have_prismas_names(engine: sa.Engine) -> None:
    create_schema(engine)
    inspector = sa.inspect(engine)
    found = {}
    for table in DINO_TABLES:
        for index in inspector.get_indexes(table):
            found[index["name"]] = (table, index["column_names"], bool(index["unique"]))
    # MySQL adds an index per foreign key on its own; only Prisma's ones are checked.
    assert {name: found.get(name) for name in INDEXES} == INDEXES


def test_foreign_keys_cascade(engine: sa.Engine) -> None:
    create_schema(engine)
    inspector = sa.inspect(engine)
    for table in ("Account", "Session", "CountryVisit"):
        [fk] = inspector.get_foreign_keys(table)
        assert fk["name"] == f"{table}_userId_fkey"
        assert (fk["constrained_columns"], fk["referred_table"]) == (["userId"], "User")
        assert fk["referred_columns"] == ["id"]
        assert fk["options"]["ondelete"].upper() == "CASCADE"


def test_deleting_a_user_deletes_its_rows(engine: sa.Engine) -> None:
    create_schema(engine)
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")  # off by default, per connection
        _ansi_quotes(conn)
        for user_id in ("u1", "u2"):
            _insert_user(conn, user_id, f"{user_id}@example.com")
            conn.execute(
                sa.text(
                    'INSERT INTO "CountryVisit" ("id", "userId", "country", "entryDate", '
                    '"updatedAt") VALUES (:id, :user, :country, :now, :now)'
                ),
                {"id": f"v-{user_id}", "user": user_id, "country": "JP", "now": NOW},
            )
            conn.execute(
                sa.text(
                    'INSERT INTO "Session" ("id", "sessionToken", "userId", "expires") '
                    "VALUES (:id, :token, :user, :now)"
                ),
                {"id": f"s-{user_id}", "token": f"t-{user_id}", "user": user_id, "now": NOW},
            )
        conn.execute(sa.text('DELETE FROM "User" WHERE "id" = \'u1\''))
        conn.commit()
        visits = conn.execute(sa.text('SELECT "userId" FROM "CountryVisit"')).scalars().all()
        sessions = conn.execute(sa.text('SELECT "userId" FROM "Session"')).scalars().all()
    assert (visits, sessions) == (["u2"], ["u2"])


def test_unique_email_is_enforced(engine: sa.Engine) -> None:
    create_schema(engine)
    with engine.connect() as conn:
        _ansi_quotes(conn)
        _insert_user(conn, "u1", "same@example.com")
        with pytest.raises(sa.exc.IntegrityError):
            _insert_user(conn, "u2", "same@example.com")


def test_created_at_defaults_to_now(engine: sa.Engine) -> None:
    create_schema(engine)
    with engine.begin() as conn:
        _ansi_quotes(conn)
        _insert_user(conn, "u1", None)
        _insert_user(conn, "u2", None)  # NULL emails do not collide
        created = conn.execute(sa.text('SELECT "createdAt" FROM "User"')).scalars().all()
    assert len(created) == 2 and all(value is not None for value in created)


def test_create_schema_twice_is_harmless(engine: sa.Engine) -> None:
    create_schema(engine)
    with engine.begin() as conn:
        _ansi_quotes(conn)
        _insert_user(conn, "u1", "a@example.com")
    create_schema(engine)
    with engine.connect() as conn:
        _ansi_quotes(conn)
        assert conn.execute(sa.text('SELECT "id" FROM "User"')).scalars().all() == ["u1"]
    assert sorted(sa.inspect(engine).get_table_names()) == sorted(DINO_TABLES)
