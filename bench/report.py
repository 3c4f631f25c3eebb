"""The Markdown report (pasteable into the README) built from the result JSON."""

from __future__ import annotations

from typing import Any

ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MariaDB"}
OPERATION_NAMES = {
    "create": "create",
    "verify": "verify",
    "restore_empty": "restore (empty)",
    "restore_populated": "restore (populated)",
}
MAIN_HEADER = (
    "| Engine | Operation | Contender | Wall s | CPU s | Peak RSS MB | Archive MB | Rows/s "
    "| dino ÷ this: wall | CPU | RSS | size |"
)
MAIN_RULE = "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
NOTES = (
    "Wall: elapsed time of the command, start to exit, CLI start-up included. "
    "CPU: user+sys of the command's process tree (client side; work inside the database "
    "server is not included). Peak RSS: the largest sum of RSS over the command's process "
    "and all its descendants, sampled every 20 ms (pages shared between processes are "
    "counted once per process), or the largest single process's high-water mark if higher. "
    "MB = 10^6 bytes. Ratios are dino-backup ÷ the competitor "
    "on the same engine and operation: below 1 means dino-backup is faster / smaller."
)


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _mb(value: float | None) -> str:
    return "–" if value is None else f"{value / 1e6:,.1f}"


def _times(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _dino_ratio(result: dict[str, Any], results: list[dict[str, Any]]) -> dict[str, Any]:
    for other in results:
        same = (other["engine"], other["operation"]) == (result["engine"], result["operation"])
        if same and other["contender"] == "dino":
            ratio: dict[str, Any] = other["ratios"].get(result["contender"], {})
            return ratio
    return {}


def result_row(result: dict[str, Any], results: list[dict[str, Any]]) -> str:
    med = result["median"]
    label = _cell(result["label"])
    ratio = {} if result["contender"] == "dino" else _dino_ratio(result, results)
    if result["contender"] == "dino":
        label = f"**{label}**"
    wall = _num(med["wall_s"]) if result["runs"] else f"error ({len(result['errors'])} failed)"
    cells = [
        ENGINE_NAMES.get(result["engine"], result["engine"]),
        OPERATION_NAMES.get(result["operation"], result["operation"]),
        label,
        wall,
        _num(med["cpu_s"]),
        _mb(med["peak_rss_bytes"]),
        _mb(med["archive_bytes"]),
        _num(med["rows_per_s"], 0),
        _times(ratio.get("wall")),
        _times(ratio.get("cpu")),
        _times(ratio.get("peak_rss")),
        _times(ratio.get("archive")),
    ]
    return "| " + " | ".join(cells) + " |"


def _target_value(value: float, unit: str) -> str:
    return f"{value:.2f}×" if unit == "x" else f"{value:,.0f} MB"


def target_row(target: dict[str, Any]) -> str:
    comparison = "≤" if target["comparison"] == "<=" else "<"
    verdict = "pass" if target["passed"] else "**FAIL**"
    measured = _target_value(target["measured"], target["unit"])
    limit = _target_value(target["limit"], target["unit"])
    return f"| {_cell(target['description'])} | {measured} | {comparison} {limit} | {verdict} |"


def _heading(report: dict[str, Any]) -> list[str]:
    config, machine = report["config"], report["machine"]
    rows = {e: d["total_rows"] for e, d in report.get("datasets", {}).items()}
    sizes = ", ".join(f"{ENGINE_NAMES.get(e, e)} {n:,}" for e, n in rows.items())
    return [
        f"### DINO Backup benchmark: scale {config['scale']}×, median of {config['runs']} run(s)",
        "",
        f"{machine['cpu_model']}, {machine['cores_logical']} cores, "
        f"{machine['ram_bytes'] / 2**30:.1f} GiB RAM, {machine['os']}, "
        f"Python {machine['python']}; {machine['date'][:10]}. Rows: {sizes or '–'}.",
        "",
    ]


def _caveats(report: dict[str, Any]) -> list[str]:
    """Load, measured code, failures: what a reader needs to trust (or not) the numbers."""
    machine = report["machine"]
    load = machine.get("load_average_at_start")
    end = machine.get("load_average_at_end")
    lines = []
    if load:
        lines.append(
            f"Load average (1 min) at start {load[0]:.1f}"
            + (f", at end {end[0]:.1f}." if end else ".")
        )
    source = machine.get("source") or {}
    if source.get("git_commit"):
        dirty = source.get("uncommitted_src_files", 0)
        lines.append(
            f"Code: commit {source['git_commit'][:10]}"
            + (f" with {dirty} uncommitted file(s) under src/." if dirty else ".")
        )
    if source.get("changed_during_run"):
        lines.append("**Warning: the engine's source changed during this run.**")
    lines += [_cell(note) for note in report.get("notes", [])]
    for engine, error in (report.get("errors") or {}).items():
        lines.append(f"**{ENGINE_NAMES.get(engine, engine)} not measured:** {_cell(error[:300])}")
    return [" ".join(lines), ""] if lines else []


def _main_table(results: list[dict[str, Any]]) -> list[str]:
    return [MAIN_HEADER, MAIN_RULE, *(result_row(r, results) for r in results), ""]


def _targets_table(targets: list[dict[str, Any]]) -> list[str]:
    if not targets:
        return []
    lines = ["#### Targets", "", "| Target | Measured | Limit | Result |", "|---|--:|--:|---|"]
    return lines + [target_row(t) for t in targets] + [""]


def _curve_table(curve: dict[str, Any] | None) -> list[str]:
    if not curve or not curve.get("points"):
        return []
    lines = [
        "#### Memory curve (dino-backup, peak RSS of the process tree)",
        "",
        "| Scale | Engine | Operation | Rows | Peak RSS MB | Wall s |",
        "|--:|---|---|--:|--:|--:|",
    ]
    for p in curve["points"]:
        lines.append(
            f"| {p['scale']}× | {ENGINE_NAMES.get(p['engine'], p['engine'])} | "
            f"{OPERATION_NAMES.get(p['operation'], p['operation'])} | {p['rows']:,} | "
            f"{_mb(p['peak_rss_bytes'])} | {_num(p['wall_s'])} |"
        )
    return [*lines, ""]


def markdown(report: dict[str, Any]) -> str:
    results = report.get("results", [])
    lines = (
        _heading(report)
        + _caveats(report)
        + _main_table(results)
        + _targets_table(report.get("targets", []))
    )
    lines += _curve_table(report.get("memory_curve"))
    return "\n".join([*lines, NOTES, ""])
