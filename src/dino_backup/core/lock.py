"""One backup or restore at a time, across processes.

Always an exclusive non-blocking file lock beside the local backup directory; and, when an
engine is given whose database offers one, a database-wide advisory lock too (PostgreSQL
`pg_try_advisory_lock`, MySQL/MariaDB `GET_LOCK`), so processes on other hosts that share
the database (and perhaps an object store, but not a directory) are refused as well.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from ..errors import Busy, DatabaseUnreachable

LOCK_NAME = "dino-backup"
# A fixed 64-bit key for PostgreSQL's advisory locks (they are per database already).
PG_LOCK_KEY = int.from_bytes(hashlib.sha256(LOCK_NAME.encode()).digest()[:8], "big", signed=True)

# dialect name -> (try-acquire SQL returning true/1 when acquired, release SQL)
_ADVISORY: dict[str, tuple[str, str]] = {
    "postgresql": ("SELECT pg_try_advisory_lock(:key)", "SELECT pg_advisory_unlock(:key)"),
    "mysql": ("SELECT GET_LOCK(:name, 0)", "SELECT RELEASE_LOCK(:name)"),
    "mariadb": ("SELECT GET_LOCK(:name, 0)", "SELECT RELEASE_LOCK(:name)"),
}


def _busy(what: str) -> Busy:
    return Busy(f"another backup or restore is running; {what} refused")


@contextmanager
def file_lock(lock_path: Path, what: str) -> Iterator[None]:
    lock_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy(what) from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def advisory_lock(engine: sa.Engine, what: str) -> Iterator[None]:
    """The database's advisory lock, held on a connection of its own; a no-op elsewhere."""
    sql = _ADVISORY.get(engine.dialect.name)
    if sql is None:
        yield
        return
    acquire, release = (sa.text(s) for s in sql)
    params = {"key": PG_LOCK_KEY, "name": f"{LOCK_NAME}.{engine.url.database or ''}"[:64]}
    try:
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    except sa.exc.SQLAlchemyError as exc:
        raise DatabaseUnreachable(f"cannot take the database lock: {type(exc).__name__}") from None
    try:
        if not conn.execute(acquire, params).scalar():
            raise _busy(what)
        try:
            yield
        finally:
            try:
                conn.execute(release, params)
            except sa.exc.SQLAlchemyError:
                conn.invalidate()  # closing the session releases the lock for sure
    finally:
        conn.close()


@contextmanager
def exclusive(lock_path: Path, what: str, engine: sa.Engine | None = None) -> Iterator[None]:
    with file_lock(lock_path, what):
        if engine is None:
            yield
        else:
            with advisory_lock(engine, what):
                yield
