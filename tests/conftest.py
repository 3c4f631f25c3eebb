"""Shared fixtures: a fresh, empty database on each engine we claim.

Servers that do not answer make their tests skip, unless DINO_REQUIRE_SERVICES=1
(set by .ci/run), in which case they fail.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from roundtrip_support import dispose_all

PG_ADMIN_URL = os.environ.get("DINO_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MYSQL_ADMIN_URL = os.environ.get("DINO_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
REQUIRE = os.environ.get("DINO_REQUIRE_SERVICES") == "1"
ENGINES = ["sqlite", "postgresql", "mysql"]


def _unavailable(what: str, exc: Exception) -> None:
    msg = f"{what} not answering ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})"
    if REQUIRE:
        pytest.fail(msg + " and DINO_REQUIRE_SERVICES=1")
    pytest.skip(msg)


def _server_database(admin_url: str, what: str) -> Iterator[str]:
    name = f"dino_t_{secrets.token_hex(4)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        _unavailable(what, exc)
    url = sa.make_url(admin_url).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            if what == "PostgreSQL":
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            else:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()


def make_database(kind: str, tmp_path: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'dino.db'}"
    elif kind == "postgresql":
        yield from _server_database(PG_ADMIN_URL, "PostgreSQL")
    else:
        yield from _server_database(MYSQL_ADMIN_URL, "MariaDB")


@pytest.fixture(autouse=True)
def _close_engines() -> Iterator[None]:
    """Engines the roundtrip helpers opened are closed after each test (no pooled
    connections keep a server database from being dropped)."""
    yield
    dispose_all()


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, empty database, once per engine."""
    yield from make_database(request.param, tmp_path)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'dino.db'}"
