"""The DINO dataset at a chosen scale, made with `dino-backup init-db` + `demo-data`."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .config import EXPECTED_PER_USER, RATIO_TOLERANCE, Scale, dino_cli


def dino_env(database_url: str, backup_dir: Path) -> dict[str, str]:
    """The environment `dino-backup` reads its configuration from."""
    env = dict(os.environ)
    env.update(DATABASE_URL=database_url, BACKUP_DIR=str(backup_dir))
    return env


def dino(args: list[str], database_url: str, backup_dir: Path) -> dict[str, Any]:
    """Run `dino-backup ARGS --json` (untimed setup) and return its JSON result."""
    done = subprocess.run(
        [dino_cli(), *args, "--json"],
        env=dino_env(database_url, backup_dir),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"dino-backup {' '.join(args)} failed: {done.stdout}{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@dataclass
class Dataset:
    engine: str
    url: str
    rows: dict[str, int]
    generate_s: float
    warnings: list[str] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("url")
        data["total_rows"] = self.total_rows
        return data


def ratio_warnings(rows: dict[str, int]) -> list[str]:
    """Say where demo-data strays from the issue's per-user ratios by more than 15%."""
    users = rows.get("User", 0)
    found = []
    for table, expected in EXPECTED_PER_USER.items():
        actual = rows.get(table, 0) / users if users else 0.0
        if abs(actual - expected) > expected * RATIO_TOLERANCE:
            found.append(f"{table}: {actual:.2f} per user, expected about {expected}")
    return found


def init_schema(database_url: str, backup_dir: Path) -> None:
    dino(["init-db"], database_url, backup_dir)


def populate(engine: str, database_url: str, scale: Scale, backup_dir: Path) -> Dataset:
    """Create the DINO tables in an empty database and fill them at `scale`."""
    started = time.perf_counter()
    init_schema(database_url, backup_dir)
    args = ["demo-data", "--users", str(scale.users), "--visits", str(scale.visits)]
    rows = dino(args, database_url, backup_dir)["recordCounts"]
    elapsed = time.perf_counter() - started
    return Dataset(engine, database_url, rows, elapsed, ratio_warnings(rows))
