"""PostgreSQL: dino-backup vs `pg_dump -Fc`, `pg_dump | zstd -3` and `pg_restore`."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa

from ..cases import ZSTD_3, Case, Invocation, file_size, pipeline, run_untimed
from ..databases import ServerDatabases
from .base import EngineBench


def libpq_args(url: str) -> tuple[list[str], dict[str, str]]:
    """Connection options for the libpq tools, and the environment (password) they need."""
    parsed = sa.make_url(url)
    args = ["-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432)]
    if parsed.username:
        args += ["-U", parsed.username]
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return args, env


class PostgresqlBench(EngineBench):
    name = "postgresql"
    supports_populated_restore = True

    def make_databases(self) -> ServerDatabases:
        return ServerDatabases(self.config.tag, self.config.pg_admin_url)

    @property
    def reference_dump(self) -> Path:
        return self.workdir / "reference.dump"

    def _source_name(self) -> str:
        return sa.make_url(self.source_url).database or ""

    def settle(self) -> None:
        """VACUUM ANALYZE now, so autovacuum does not wake up in the middle of a timing."""
        engine = sa.create_engine(self.source_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
        finally:
            engine.dispose()

    def _pg_dump(self, *extra: str) -> tuple[list[str], dict[str, str]]:
        args, env = libpq_args(self.source_url)
        return ["pg_dump", *args, *extra, self._source_name()], env

    def make_competitor_references(self) -> None:
        argv, env = self._pg_dump("-Fc", "-f", str(self.reference_dump))
        run_untimed(argv, env)

    def competitor_cases(self) -> list[Case]:
        return [
            self.case("create", "pg_dump_fc", "pg_dump -Fc", self._dump_custom),
            self.case("create", "pg_dump_zstd", "pg_dump | zstd -3", self._dump_plain_zstd),
            self.case(
                "restore_empty", "pg_restore", "pg_restore (empty database)", self._pg_restore
            ),
        ]

    def _dump_custom(self) -> Invocation:
        out = self.scratch_dir("pg_dump") / "dump.fc"
        argv, env = self._pg_dump("-Fc", "-f", str(out))
        return Invocation(
            argv, env=env, archive_bytes=file_size(out), cleanup=lambda: out.unlink(missing_ok=True)
        )

    def _dump_plain_zstd(self) -> Invocation:
        out = self.scratch_dir("pg_dump") / "dump.sql.zst"
        dump, env = self._pg_dump()
        return Invocation(
            pipeline(dump, ZSTD_3, stdout=out),
            env=env,
            archive_bytes=file_size(out),
            cleanup=lambda: out.unlink(missing_ok=True),
        )

    def _pg_restore(self) -> Invocation:
        url = self.dbs.create("pg_restore")
        args, env = libpq_args(url)
        target = sa.make_url(url).database or ""
        argv = ["pg_restore", *args, "-d", target, str(self.reference_dump)]
        return Invocation(argv, env=env, cleanup=lambda: self.dbs.drop(url))
