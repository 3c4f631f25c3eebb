"""`EngineBench`: the dataset and the contenders of one engine (template method).

The base class owns what every engine shares: the source database, `dino-backup`'s cases
(create, verify, restore into an empty schema) and the warm-up that leaves a reference
archive for verify/restore. Subclasses add their native competitors.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path

from ..cases import Case, Invocation
from ..config import BenchConfig, dino_cli
from ..databases import Databases
from ..dataset import Dataset, dino, dino_env, init_schema, populate

DINO_CREATE = ["create", "--compression", "zstd", "--include-sessions"]


class EngineBench(ABC):
    name: str = ""
    supports_populated_restore: bool = False

    def __init__(self, config: BenchConfig) -> None:
        self.config = config
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{self.name}-", dir=config.workdir))
        self.dbs = self.make_databases()
        self.ref_dir = self.workdir / "reference-backups"
        self.source_url = ""
        self.backup_id = ""

    # -- hooks ------------------------------------------------------------------
    @abstractmethod
    def make_databases(self) -> Databases: ...

    @abstractmethod
    def competitor_cases(self) -> list[Case]: ...

    def make_competitor_references(self) -> None:  # noqa: B027  (optional hook)
        """Untimed warm-up of the competitors: the dumps their restore cases reload."""

    def settle(self) -> None:  # noqa: B027  (optional hook)
        """Untimed: bring the freshly loaded source database to a steady state."""

    # -- lifecycle --------------------------------------------------------------
    def setup(self, competitors: bool = True) -> Dataset:
        """Make and fill the source database; warm up and keep reference archives."""
        self.source_url = self.dbs.create("src")
        dataset = populate(self.name, self.source_url, self.config.scale, self.ref_dir)
        self.settle()
        self.backup_id = dino(DINO_CREATE, self.source_url, self.ref_dir)["backupId"]
        if competitors:
            self.make_competitor_references()
        return dataset

    def teardown(self) -> None:
        if not self.config.keep:
            self.dbs.drop_all()
            shutil.rmtree(self.workdir, ignore_errors=True)

    def cases(self, dino_only: bool = False) -> list[Case]:
        mine = self.dino_cases()
        return mine if dino_only else mine + self.competitor_cases()

    def scratch_dir(self, purpose: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"{purpose}-", dir=self.workdir))

    # -- dino-backup's cases ----------------------------------------------------
    def dino_cases(self) -> list[Case]:
        cases = [
            self.case("create", "dino", "dino-backup create (zstd)", self.dino_create),
            self.case("verify", "dino", "dino-backup verify", self._dino_verify),
            self.case(
                "restore_empty",
                "dino",
                "dino-backup restore (init-db only)",
                self.dino_restore_empty,
            ),
        ]
        if self.supports_populated_restore:
            cases.append(
                self.case(
                    "restore_populated",
                    "dino",
                    "dino-backup restore (populated)",
                    self._dino_restore_populated,
                )
            )
        return cases

    def case(
        self, operation: str, contender: str, label: str, prepare: Callable[[], Invocation]
    ) -> Case:
        return Case(self.name, operation, contender, label, prepare)

    def dino_create(self) -> Invocation:
        run_dir = self.scratch_dir("dino-create")
        out = run_dir / "result.json"
        return Invocation(
            argv=[dino_cli(), *DINO_CREATE, "--json"],
            env=dino_env(self.source_url, run_dir / "backups"),
            stdout=out,
            archive_bytes=lambda: int(json.loads(out.read_text())["metadata"]["size"]),
            cleanup=lambda: shutil.rmtree(run_dir, ignore_errors=True),
        )

    def _dino_verify(self) -> Invocation:
        return Invocation(
            [dino_cli(), "verify", self.backup_id, "--json"],
            env=dino_env(self.source_url, self.ref_dir),
        )

    def _dino_restore(self, url: str) -> Invocation:
        return Invocation(
            argv=[dino_cli(), "restore", self.backup_id, "--yes", "--json"],
            env=dino_env(url, self.ref_dir),
            cleanup=lambda: self.dbs.drop(url),
        )

    def dino_restore_empty(self) -> Invocation:
        url = self.dbs.create("dino_restore")
        init_schema(url, self.ref_dir)
        return self._dino_restore(url)

    def _dino_restore_populated(self) -> Invocation:
        return self._dino_restore(self.dbs.clone(self.source_url, "dino_populated"))
