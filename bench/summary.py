"""Derived numbers, computed from the raw runs in the report: medians, ratios, targets.

Kept apart from the measuring so that `--render` can recompute them from a saved JSON.
"""

from __future__ import annotations

import statistics
from typing import Any

from .targets import evaluate_all

METRICS = (
    "wall_s",
    "cpu_s",
    "peak_rss_bytes",
    "sampled_peak_rss_bytes",
    "max_single_rss_bytes",
    "archive_bytes",
)
RATIO_METRICS = {
    "wall": "wall_s",
    "cpu": "cpu_s",
    "peak_rss": "peak_rss_bytes",
    "archive": "archive_bytes",
}


def median_of(runs: list[dict[str, Any]], rows: int) -> dict[str, float | None]:
    """Median of each metric over the successful runs, and rows per second of the median."""
    found: dict[str, float | None] = {}
    for metric in METRICS:
        values = [run[metric] for run in runs if run.get(metric) is not None]
        found[metric] = statistics.median(values) if values else None
    wall = found["wall_s"]
    found["rows_per_s"] = rows / wall if wall else None
    return found


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def dino_ratios(result: dict[str, Any], results: list[dict[str, Any]]) -> dict[str, Any]:
    """dino-backup ÷ each competitor of the same engine and operation, per metric."""
    if result["contender"] != "dino":
        return {}
    mine, ratios = result["median"], {}
    for other in results:
        same = (other["engine"], other["operation"]) == (result["engine"], result["operation"])
        if same and other["contender"] != "dino":
            theirs = other["median"]
            ratios[other["contender"]] = {
                name: _ratio(mine[m], theirs[m]) for name, m in RATIO_METRICS.items()
            }
    return ratios


def summarise(report: dict[str, Any]) -> dict[str, Any]:
    """Fill in every result's median and ratios, and the targets, from the raw runs."""
    results = report.get("results", [])
    for result in results:
        result["median"] = median_of(result["runs"], result["rows"])
    for result in results:
        result["ratios"] = dino_ratios(result, results)
    report["targets"] = evaluate_all(results)
    return report
