"""MariaDB/MySQL: dino-backup vs `mysqldump --single-transaction | zstd -3` and its reload."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa

from ..cases import ZSTD_3, ZSTD_DECOMPRESS, Case, Invocation, file_size, pipeline, run_untimed
from ..databases import ServerDatabases
from .base import EngineBench

# The DINO tables' own collation as the database default. With the server's default
# (utf8mb4_general_ci) dino-backup restore fails on MariaDB: its staging tables take the
# database default and the join with the real tables mixes collations (error 1267).
DATABASE_OPTIONS = "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"


def client_args(url: str) -> tuple[list[str], dict[str, str]]:
    """Connection options for mysql/mysqldump, and the environment (password) they need."""
    parsed = sa.make_url(url)
    args = ["-h", parsed.host or "127.0.0.1", "-P", str(parsed.port or 3306)]
    if parsed.username:
        args += ["-u", parsed.username]
    env = dict(os.environ)
    if parsed.password:
        env["MYSQL_PWD"] = str(parsed.password)
    return args, env


class MysqlBench(EngineBench):
    name = "mysql"

    def make_databases(self) -> ServerDatabases:
        return ServerDatabases(self.config.tag, self.config.mysql_admin_url, DATABASE_OPTIONS)

    @property
    def reference_dump(self) -> Path:
        return self.workdir / "reference.sql.zst"

    def _dump_argv(self, out: Path) -> tuple[list[str], dict[str, str]]:
        args, env = client_args(self.source_url)
        source = sa.make_url(self.source_url).database or ""
        dump = ["mysqldump", *args, "--single-transaction", source]
        return pipeline(dump, ZSTD_3, stdout=out), env

    def make_competitor_references(self) -> None:
        run_untimed(*self._dump_argv(self.reference_dump))

    def competitor_cases(self) -> list[Case]:
        return [
            self.case(
                "create", "mysqldump_zstd", "mysqldump --single-transaction | zstd -3", self._dump
            ),
            self.case(
                "restore_empty", "mysql_reload", "zstd -dc | mysql (empty database)", self._reload
            ),
        ]

    def _dump(self) -> Invocation:
        out = self.scratch_dir("mysqldump") / "dump.sql.zst"
        argv, env = self._dump_argv(out)
        return Invocation(
            argv, env=env, archive_bytes=file_size(out), cleanup=lambda: out.unlink(missing_ok=True)
        )

    def _reload(self) -> Invocation:
        url = self.dbs.create("mysql_reload")
        args, env = client_args(url)
        target = sa.make_url(url).database or ""
        argv = pipeline(ZSTD_DECOMPRESS, ["mysql", *args, target], stdin=self.reference_dump)
        return Invocation(argv, env=env, cleanup=lambda: self.dbs.drop(url))
