"""Peak memory of dino-backup create, verify and restore at several dataset scales."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from .config import BenchConfig, Scale
from .engines import engine_bench
from .runner import CaseResult, run_cases

CURVE_OPERATIONS = ("create", "verify", "restore_empty")


def _points(scale: float, results: list[CaseResult]) -> list[dict[str, Any]]:
    points = []
    for result in results:
        median = result.median()
        if median["peak_rss_bytes"] is None:
            continue
        points.append(
            {
                "scale": scale,
                "engine": result.case.engine,
                "operation": result.case.operation,
                "rows": result.rows,
                "peak_rss_bytes": median["peak_rss_bytes"],
                "sampled_peak_rss_bytes": median["sampled_peak_rss_bytes"],
                "max_single_rss_bytes": median["max_single_rss_bytes"],
                "wall_s": median["wall_s"],
            }
        )
    return points


def _one_engine(config: BenchConfig, engine: str) -> list[CaseResult]:
    bench = engine_bench(engine, config)
    try:
        dataset = bench.setup(competitors=False)
        cases = [c for c in bench.cases(dino_only=True) if c.operation in CURVE_OPERATIONS]
        return run_cases(cases, config.runs, dataset.total_rows, config.log)
    finally:
        bench.teardown()


def memory_curve(config: BenchConfig, scales: list[float]) -> dict[str, Any]:
    """One dataset per (scale, engine), made, measured and dropped in turn."""
    points: list[dict[str, Any]] = []
    errors: list[str] = []
    for factor in scales:
        scaled = replace(config, scale=Scale(factor))
        for engine in config.engines:
            config.log(f"memory curve: {engine} at {factor}x")
            try:
                points += _points(factor, _one_engine(scaled, engine))
            except Exception as exc:  # noqa: BLE001  (one engine failing must not lose the rest)
                errors.append(f"{engine} at {factor}x: {exc}")
                config.log(f"  FAILED: {exc}")
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "runs": config.runs,
        "scales": scales,
        "engines": list(config.engines),
        "points": points,
        "errors": errors,
    }


def _point_key(point: dict[str, Any]) -> tuple[float, str, str]:
    return point["scale"], point["engine"], point["operation"]


def merge_curves(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """Keep the old points that the new run did not measure again (another engine/scale)."""
    if not old:
        return new
    fresh = {_point_key(p) for p in new["points"]}
    kept = [p for p in old.get("points", []) if _point_key(p) not in fresh]
    points = sorted(kept + new["points"], key=lambda p: (p["engine"], p["operation"], p["scale"]))
    return {
        **new,
        "scales": sorted({p["scale"] for p in points}),
        "engines": sorted({p["engine"] for p in points}),
        "points": points,
    }
