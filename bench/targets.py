"""The issue's targets, evaluated against the medians (shown as pass/fail, never asserted)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .config import ENGINES

MEMORY_LIMIT_BYTES = 200_000_000  # 200 MB (10^6 bytes)
DINO_OPERATIONS = ("create", "verify", "restore_empty", "restore_populated")


@dataclass(frozen=True)
class Target:
    id: str
    description: str
    numerator: str  # result key, e.g. "postgresql.create.dino"
    denominator: str | None  # None: an absolute limit on the numerator
    metric: str  # "wall_s" or "peak_rss_bytes"
    limit: float
    strict: bool = False  # True: must be < limit; False: <= limit

    @property
    def unit(self) -> str:
        return "x" if self.denominator else "MB"


def _ratio_targets() -> list[Target]:
    return [
        Target(
            "sqlite_create_vs_dump",
            "create on SQLite ≤ 1.5× `sqlite3 .dump | zstd -3`",
            "sqlite.create.dino",
            "sqlite.create.sqlite3_dump_zstd",
            "wall_s",
            1.5,
        ),
        Target(
            "pg_create_vs_fc",
            "create on PostgreSQL faster than `pg_dump -Fc`",
            "postgresql.create.dino",
            "postgresql.create.pg_dump_fc",
            "wall_s",
            1.0,
            True,
        ),
        Target(
            "pg_create_vs_dump_zstd",
            "create on PostgreSQL ≤ 1.3× `pg_dump | zstd -3`",
            "postgresql.create.dino",
            "postgresql.create.pg_dump_zstd",
            "wall_s",
            1.3,
        ),
        Target(
            "pg_restore_empty",
            "restore into empty PostgreSQL ≤ 1.5× `pg_restore`",
            "postgresql.restore_empty.dino",
            "postgresql.restore_empty.pg_restore",
            "wall_s",
            1.5,
        ),
    ]


def _verify_targets() -> list[Target]:
    return [
        Target(
            f"{e}_verify_vs_create",
            f"verify ≤ 0.5× create ({e})",
            f"{e}.verify.dino",
            f"{e}.create.dino",
            "wall_s",
            0.5,
        )
        for e in ENGINES
    ]


def _memory_targets() -> list[Target]:
    return [
        Target(
            f"{e}_{op}_memory",
            f"peak memory of {op} < 200 MB ({e})",
            f"{e}.{op}.dino",
            None,
            "peak_rss_bytes",
            MEMORY_LIMIT_BYTES,
            True,
        )
        for e in ENGINES
        for op in DINO_OPERATIONS
    ]


TARGETS = _ratio_targets() + _verify_targets() + _memory_targets()


def _median(results: list[dict[str, Any]], key: str, metric: str) -> float | None:
    for result in results:
        if result["key"] == key:
            value = result["median"].get(metric)
            return float(value) if value is not None else None
    return None


def evaluate(target: Target, results: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The target's verdict, or None when the benchmark did not measure its contenders."""
    measured = _median(results, target.numerator, target.metric)
    if target.denominator:
        base = _median(results, target.denominator, target.metric)
        measured = measured / base if measured is not None and base else None
    if measured is None:
        return None
    passed = measured < target.limit if target.strict else measured <= target.limit
    scale = 1 if target.denominator else 1e6
    return {
        "id": target.id,
        "description": target.description,
        "unit": target.unit,
        "measured": measured / scale,
        "limit": target.limit / scale,
        "comparison": "<" if target.strict else "<=",
        "passed": passed,
    }


def evaluate_all(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    verdicts = (evaluate(t, results) for t in TARGETS)
    return [v for v in verdicts if v is not None]
