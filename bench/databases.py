"""Scratch databases for the benchmark: SQLite files or databases on a server.

Every database made here is named with the invocation's tag and remembered, so
`drop_all()` removes exactly what this run created, nothing else.
"""

from __future__ import annotations

import shutil
import time
from abc import ABC, abstractmethod
from itertools import count
from pathlib import Path

import sqlalchemy as sa

CLONE_RETRIES = 50


class Databases(ABC):
    """Creates, clones and drops scratch databases of one engine."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self._names = count()
        self.created: list[str] = []

    def fresh_name(self, purpose: str) -> str:
        return f"{self.tag}_{purpose}_{next(self._names)}"

    @abstractmethod
    def create(self, purpose: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""

    @abstractmethod
    def clone(self, source_url: str, purpose: str) -> str:
        """Copy a database (untimed setup) and return the copy's URL."""

    @abstractmethod
    def drop(self, url: str) -> None: ...

    def drop_all(self) -> None:
        for url in list(reversed(self.created)):
            self.drop(url)


class SqliteFiles(Databases):
    def __init__(self, tag: str, directory: Path) -> None:
        super().__init__(tag)
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def path(self, url: str) -> Path:
        return Path(sa.make_url(url).database or "")

    def create(self, purpose: str) -> str:
        url = f"sqlite:///{self.directory / (self.fresh_name(purpose) + '.db')}"
        self.created.append(url)
        return url

    def clone(self, source_url: str, purpose: str) -> str:
        url = self.create(purpose)
        shutil.copyfile(self.path(source_url), self.path(url))
        return url

    def drop(self, url: str) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(self.path(url)) + suffix).unlink(missing_ok=True)
        if url in self.created:
            self.created.remove(url)


class ServerDatabases(Databases):
    """Databases on a PostgreSQL or MariaDB server reached through an admin URL."""

    def __init__(self, tag: str, admin_url: str, create_options: str = "") -> None:
        super().__init__(tag)
        self.create_options = create_options
        self.admin_url = sa.make_url(admin_url)
        self.kind = self.admin_url.get_backend_name()
        self.engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")

    def url(self, name: str) -> str:
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def name(self, url: str) -> str:
        return sa.make_url(url).database or ""

    def _execute(self, sql: str) -> None:
        with self.engine.connect() as conn:
            conn.execute(sa.text(sql))

    def create(self, purpose: str) -> str:
        name = self.fresh_name(purpose)
        self._execute(f"CREATE DATABASE {name} {self.create_options}".strip())
        url = self.url(name)
        self.created.append(url)
        return url

    def clone(self, source_url: str, purpose: str) -> str:
        if self.kind != "postgresql":
            raise NotImplementedError("cloning is only used on PostgreSQL")
        name = self.fresh_name(purpose)
        self._clone_with_retry(self.name(source_url), name)
        url = self.url(name)
        self.created.append(url)
        return url

    def _clone_with_retry(self, source: str, name: str) -> None:
        """CREATE DATABASE ... TEMPLATE fails while a backend of the source is still exiting."""
        for attempt in range(CLONE_RETRIES):
            try:
                self._execute(f"CREATE DATABASE {name} TEMPLATE {source}")
                return
            except sa.exc.OperationalError:
                if attempt == CLONE_RETRIES - 1:
                    raise
                time.sleep(0.1)

    def drop(self, url: str) -> None:
        force = " WITH (FORCE)" if self.kind == "postgresql" else ""
        self._execute(f"DROP DATABASE IF EXISTS {self.name(url)}{force}")
        if url in self.created:
            self.created.remove(url)

    def drop_all(self) -> None:
        super().drop_all()
        self.engine.dispose()
