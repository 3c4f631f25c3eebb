"""Run cases alternately (run 1 of every contender, then run 2, ...) and take medians."""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .cases import Case
from .config import ENGINES
from .measure import CommandFailed, Sample, run_measured

OPERATIONS = ("create", "verify", "restore_empty", "restore_populated")
METRICS = ("wall_s", "cpu_s", "peak_rss_bytes", "max_single_rss_bytes", "archive_bytes")
RATIO_METRICS = {
    "wall": "wall_s",
    "cpu": "cpu_s",
    "peak_rss": "peak_rss_bytes",
    "archive": "archive_bytes",
}


@dataclass
class CaseResult:
    case: Case
    rows: int
    samples: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def median(self) -> dict[str, float | None]:
        found: dict[str, float | None] = {}
        for metric in METRICS:
            values = [s[metric] for s in self.samples if s.get(metric) is not None]
            found[metric] = statistics.median(values) if values else None
        wall = found["wall_s"]
        found["rows_per_s"] = self.rows / wall if wall else None
        return found

    def to_json(self, ratios: dict[str, dict[str, float | None]]) -> dict[str, Any]:
        c = self.case
        return {
            "key": c.key,
            "engine": c.engine,
            "operation": c.operation,
            "contender": c.contender,
            "label": c.label,
            "rows": self.rows,
            "runs": self.samples,
            "errors": self.errors,
            "median": self.median(),
            "ratios": ratios,
        }


def measure_case(case: Case) -> dict[str, Any]:
    """Prepare (untimed), run (timed), read the archive size, clean up (untimed)."""
    invocation = case.prepare()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-out-") as scratch:
            stdout = invocation.stdout or Path(scratch) / "stdout"
            sample: Sample = run_measured(
                invocation.argv, invocation.env, stdout, Path(scratch) / "stderr"
            )
            archive = invocation.archive_bytes() if invocation.archive_bytes else None
    finally:
        invocation.cleanup()
    return {**asdict(sample), "archive_bytes": archive}


def _rotated(items: list[Case], by: int) -> list[Case]:
    if not items:
        return items
    by %= len(items)
    return items[by:] + items[:by]


def _by_operation(cases: Iterable[Case]) -> list[list[Case]]:
    cases = list(cases)
    return [[c for c in cases if c.operation == op] for op in OPERATIONS]


def run_cases(
    cases: list[Case], runs: int, rows: int, log: Callable[[str], None]
) -> list[CaseResult]:
    """Each run measures every case once; the order within an operation rotates per run."""
    results = {c.key: CaseResult(c, rows) for c in cases}
    for run in range(runs):
        for group in _by_operation(cases):
            for case in _rotated(group, run):
                _measure_into(results[case.key], run, runs, log)
    return list(results.values())


def _measure_into(result: CaseResult, run: int, runs: int, log: Callable[[str], None]) -> None:
    case = result.case
    try:
        sample = measure_case(case)
    except (CommandFailed, RuntimeError, OSError) as exc:
        result.errors.append(str(exc))
        log(f"  [{run + 1}/{runs}] {case.key}: FAILED {str(exc)[:300]}")
        return
    result.samples.append(sample)
    log(
        f"  [{run + 1}/{runs}] {case.key}: {sample['wall_s']:.2f} s wall, "
        f"{sample['cpu_s']:.2f} s CPU, {sample['peak_rss_bytes'] / 1e6:.0f} MB peak"
    )


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def dino_ratios(result: CaseResult, all_results: list[CaseResult]) -> dict[str, dict[str, Any]]:
    """dino ÷ each competitor of the same engine and operation, per metric."""
    if result.case.contender != "dino":
        return {}
    mine = result.median()
    ratios = {}
    for other in all_results:
        c = other.case
        if c.engine != result.case.engine or c.operation != result.case.operation:
            continue
        if c.contender == "dino":
            continue
        theirs = other.median()
        ratios[c.contender] = {n: _ratio(mine[m], theirs[m]) for n, m in RATIO_METRICS.items()}
    return ratios


def _order(result: CaseResult) -> tuple[int, int, bool]:
    c = result.case
    engine = ENGINES.index(c.engine) if c.engine in ENGINES else len(ENGINES)
    return engine, OPERATIONS.index(c.operation), c.contender != "dino"


def results_json(results: list[CaseResult]) -> list[dict[str, Any]]:
    """Engine by engine, operation by operation, dino-backup first in each group."""
    return [r.to_json(dino_ratios(r, results)) for r in sorted(results, key=_order)]
