"""Benchmark configuration: scale, engines, server URLs, paths."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

ENGINES = ("sqlite", "postgresql", "mysql")
# 1x: 100k users, 1M country visits; demo-data adds ~1.1 accounts and ~2.05 sessions per
# user (within 10% of the 100k accounts / 200k sessions) and 1 token per 50 users.
USERS_AT_1X = 100_000
VISITS_AT_1X = 1_000_000
EXPECTED_PER_USER = {"Account": 1.0, "Session": 2.0}
RATIO_TOLERANCE = 0.15
MIN_SCALE, MAX_SCALE = 0.001, 10.0  # below 0.1 only for smoke tests
# The seed's algorithm holds everything in memory (4.7 GB at 1x): skip it above this.
SEED_MAX_SCALE = 2.0
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_OUT = RESULTS_DIR / "latest.json"
DEFAULT_PG_ADMIN = os.environ.get(
    "BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DEFAULT_MYSQL_ADMIN = os.environ.get("BENCH_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/")


def dino_cli() -> str:
    """The `dino-backup` console script of the interpreter running the benchmark."""
    return str(Path(sys.executable).with_name("dino-backup"))


@dataclass(frozen=True)
class Scale:
    factor: float

    def __post_init__(self) -> None:
        if not MIN_SCALE <= self.factor <= MAX_SCALE:
            raise ValueError(f"scale must be within {MIN_SCALE}..{MAX_SCALE}, got {self.factor}")

    @property
    def users(self) -> int:
        return max(1, round(USERS_AT_1X * self.factor))

    @property
    def visits(self) -> int:
        return round(VISITS_AT_1X * self.factor)


@dataclass(frozen=True)
class BenchConfig:
    scale: Scale
    runs: int = 3
    engines: tuple[str, ...] = ENGINES
    out: Path = DEFAULT_OUT
    workdir: Path = field(default_factory=lambda: Path("/tmp"))
    pg_admin_url: str = DEFAULT_PG_ADMIN
    mysql_admin_url: str = DEFAULT_MYSQL_ADMIN
    seed_max_scale: float = SEED_MAX_SCALE
    keep: bool = False
    verbose: bool = True

    @property
    def tag(self) -> str:
        """Unique per invocation, so concurrent benchmarks never share a database."""
        return f"bench_dino_{os.getpid()}"

    def log(self, message: str) -> None:
        if self.verbose:
            print(message, file=sys.stderr, flush=True)
