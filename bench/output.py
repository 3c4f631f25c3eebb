"""Writing the report: JSON, Markdown and the PNG charts side by side."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .chart import comparison_chart, memory_chart
from .report import markdown


def paths(out: Path) -> dict[str, Path]:
    return {
        "json": out,
        "markdown": out.with_suffix(".md"),
        "chart": out.with_suffix(".png"),
        "memory_chart": out.with_name(f"{out.stem}-memory.png"),
    }


def _write_text(path: Path, text: str) -> None:
    """Atomically: a reader never sees half a report."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def load(out: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data


def write(report: dict[str, Any], out: Path) -> str:
    """Write every output file; return the Markdown."""
    files = paths(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_text(files["json"], json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    text = markdown(report)
    _write_text(files["markdown"], text)
    comparison_chart(report, files["chart"])
    if report.get("memory_curve"):
        memory_chart(report["memory_curve"], files["memory_chart"])
    return text
