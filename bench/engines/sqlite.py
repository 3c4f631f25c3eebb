"""SQLite: dino-backup vs `sqlite3 .dump | zstd -3` vs the seed's algorithm."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..cases import ZSTD_3, ZSTD_DECOMPRESS, Case, Invocation, file_size, pipeline, run_untimed
from ..databases import SqliteFiles
from .base import EngineBench

REPO_ROOT = Path(__file__).resolve().parents[2]


class SqliteBench(EngineBench):
    name = "sqlite"
    supports_populated_restore = True

    def make_databases(self) -> SqliteFiles:
        return SqliteFiles(self.config.tag, self.workdir / "db")

    def _db_path(self, url: str) -> Path:
        assert isinstance(self.dbs, SqliteFiles)
        return self.dbs.path(url)

    @property
    def reference_dump(self) -> Path:
        return self.workdir / "reference.sql.zst"

    def _dump_argv(self, out: Path) -> list[str]:
        return pipeline(
            ["sqlite3", str(self._db_path(self.source_url)), ".dump"], ZSTD_3, stdout=out
        )

    def make_competitor_references(self) -> None:
        run_untimed(self._dump_argv(self.reference_dump))

    def competitor_cases(self) -> list[Case]:
        cases = [
            self.case("create", "sqlite3_dump_zstd", "sqlite3 .dump | zstd -3", self._dump),
            self.case(
                "restore_empty", "sqlite3_reload", "zstd -dc | sqlite3 (empty file)", self._reload
            ),
        ]
        if self.config.scale.factor <= self.config.seed_max_scale:
            cases.append(
                self.case(
                    "create",
                    "seed_json_gzip",
                    "seed algorithm (JSON indent=2 + gzip -6)",
                    self._seed,
                )
            )
        return cases

    def _dump(self) -> Invocation:
        out = self.scratch_dir("dump") / "dump.sql.zst"
        return Invocation(
            self._dump_argv(out),
            archive_bytes=file_size(out),
            cleanup=lambda: out.unlink(missing_ok=True),
        )

    def _reload(self) -> Invocation:
        url = self.dbs.create("sqlite3_reload")
        argv = pipeline(
            ZSTD_DECOMPRESS, ["sqlite3", str(self._db_path(url))], stdin=self.reference_dump
        )
        return Invocation(argv, cleanup=lambda: self.dbs.drop(url))

    def _seed(self) -> Invocation:
        out = self.scratch_dir("seed") / "backup.json.gz"
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
        argv = [
            sys.executable,
            "-m",
            "bench.seed_algorithm",
            "--url",
            self.source_url,
            "--out",
            str(out),
        ]
        return Invocation(
            argv, env=env, archive_bytes=file_size(out), cleanup=lambda: out.unlink(missing_ok=True)
        )
