"""Run cases alternately (run 1 of every contender, then run 2, ...) and take medians."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .cases import Case
from .config import ENGINES
from .measure import CommandFailed, Sample, run_measured
from .summary import median_of

OPERATIONS = ("create", "verify", "restore_empty", "restore_populated")


@dataclass
class CaseResult:
    case: Case
    rows: int
    samples: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def median(self) -> dict[str, float | None]:
        return median_of(self.samples, self.rows)

    def to_json(self) -> dict[str, Any]:
        """Raw runs only: medians and ratios are filled in by `summary.summarise`."""
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


def _order(result: CaseResult) -> tuple[int, int, bool]:
    c = result.case
    engine = ENGINES.index(c.engine) if c.engine in ENGINES else len(ENGINES)
    return engine, OPERATIONS.index(c.operation), c.contender != "dino"


def results_json(results: list[CaseResult]) -> list[dict[str, Any]]:
    """Engine by engine, operation by operation, dino-backup first in each group."""
    return [r.to_json() for r in sorted(results, key=_order)]
