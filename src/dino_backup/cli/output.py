"""Printing results: the seed's JSON object with --json, readable text otherwise."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..core.context import ProgressFn, no_progress
from ..errors import BackupError
from .errors import CAUGHT, exit_code, one_line

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def print_json(obj: Any) -> None:
    sys.stdout.write(orjson.dumps(obj, option=orjson.OPT_INDENT_2).decode() + "\n")


def fail(exc: BaseException, as_json: bool) -> NoReturn:
    message = one_line(exc)
    if as_json:
        print_json({"success": False, "error": message})
    else:
        err.print(f"[red]error:[/red] {message}", soft_wrap=True)
    raise typer.Exit(exit_code(exc))


@contextmanager
def handled(as_json: bool) -> Iterator[None]:
    """Map engine errors (and a database driver's) to a one-line message and exit code."""
    try:
        yield
    except CAUGHT as exc:
        fail(exc, as_json)
    except KeyboardInterrupt:
        err.print("interrupted; nothing was changed")
        raise typer.Exit(130) from None


def emit(result: dict[str, Any], as_json: bool, render: Callable[[dict[str, Any]], None]) -> None:
    if as_json:
        print_json(result)
    else:
        render(result)
    if not result.get("success", False):
        raise typer.Exit(1)


@contextmanager
def progress_bar(enabled: bool) -> Iterator[ProgressFn]:
    """A per-table progress bar on a terminal; silent otherwise (pipes, --json)."""
    if not enabled or not err.is_terminal:
        yield no_progress
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def update(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = bar.add_task(table, total=total or None)
            bar.update(tasks[table], completed=done)

        yield update


def confirm(question: str, yes: bool, as_json: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        fail(BackupError(f"{question}: refusing without --yes (no terminal to ask)"), as_json)
    if not typer.confirm(question, default=False, err=True):
        err.print("aborted; nothing changed")
        raise typer.Exit(1)


def human_size(n: int | float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
