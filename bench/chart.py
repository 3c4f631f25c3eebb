"""PNG charts (matplotlib, Agg backend): contenders side by side, and the memory curve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

from .report import ENGINE_NAMES, OPERATION_NAMES  # noqa: E402
from .targets import MEMORY_LIMIT_BYTES  # noqa: E402

DINO_COLOR, OTHER_COLOR = "#2a9d8f", "#adb5bd"


def _labels(results: list[dict[str, Any]]) -> list[str]:
    return [
        f"{ENGINE_NAMES.get(r['engine'], r['engine'])} {OPERATION_NAMES[r['operation']]}: "
        f"{r['label']}"
        for r in results
    ]


def _bars(ax: Any, results: list[dict[str, Any]], metric: str, scale: float) -> None:
    values = [(r["median"].get(metric) or 0) / scale for r in results]
    colors = [DINO_COLOR if r["contender"] == "dino" else OTHER_COLOR for r in results]
    positions = range(len(results))
    ax.barh(positions, values, color=colors)
    for y, value in zip(positions, values, strict=True):
        ax.text(
            value, y, f" {value:,.2f}" if scale == 1 else f" {value:,.0f}", va="center", fontsize=7
        )
    ax.set_xscale("log")  # the seed's algorithm is 10-100x the others
    ax.grid(axis="x", alpha=0.3)


def comparison_chart(report: dict[str, Any], path: Path) -> None:
    """Wall time and peak RSS of every contender; dino-backup highlighted."""
    results = [r for r in report.get("results", []) if r["runs"]]
    if not results:
        return
    fig, (wall_ax, rss_ax) = plt.subplots(
        1, 2, sharey=True, figsize=(13, 1.0 + 0.32 * len(results)), layout="constrained"
    )
    _bars(wall_ax, results, "wall_s", 1)
    _bars(rss_ax, results, "peak_rss_bytes", 1e6)
    wall_ax.set_yticks(range(len(results)), _labels(results), fontsize=8)
    wall_ax.invert_yaxis()  # shared by both panels: the table's order, top to bottom
    wall_ax.set_xlabel("wall time, s (median, log scale)")
    rss_ax.set_xlabel("peak RSS of the process tree, MB (median, log scale)")
    rss_ax.axvline(MEMORY_LIMIT_BYTES / 1e6, color="#e76f51", linestyle="--", linewidth=1)
    config = report["config"]
    fig.suptitle(
        f"DINO Backup vs native tools: scale {config['scale']}×, median of {config['runs']} run(s)"
    )
    fig.savefig(path, dpi=110)
    plt.close(fig)


def memory_chart(curve: dict[str, Any], path: Path) -> None:
    """Peak RSS of dino-backup against the number of rows, one line per engine/operation."""
    points = curve.get("points", [])
    if not points:
        return
    fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    series = sorted({(p["engine"], p["operation"]) for p in points})
    for engine, operation in series:
        mine = sorted(
            (p for p in points if (p["engine"], p["operation"]) == (engine, operation)),
            key=lambda p: p["rows"],
        )
        ax.plot(
            [p["rows"] for p in mine],
            [p["peak_rss_bytes"] / 1e6 for p in mine],
            marker="o",
            label=f"{ENGINE_NAMES.get(engine, engine)} {operation}",
        )
    ax.axhline(MEMORY_LIMIT_BYTES / 1e6, color="#e76f51", linestyle="--", label="200 MB target")
    ax.set_xscale("log")
    ax.set_xlabel("rows in the database (log scale)")
    ax.set_ylabel("peak RSS of the process tree, MB")
    ax.set_title("dino-backup memory by dataset size")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)
