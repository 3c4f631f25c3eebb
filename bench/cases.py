"""What one benchmark case is: a contender doing one operation on one engine."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


def _nothing() -> None:
    return None


@dataclass
class Invocation:
    """One prepared, not yet started, measured command (setup is done, untimed)."""

    argv: list[str]
    env: dict[str, str] | None = None
    stdout: Path | None = None
    # Archive size in bytes, read after the command ran (create operations only).
    archive_bytes: Callable[[], int] | None = None
    cleanup: Callable[[], None] = field(default=_nothing)


@dataclass(frozen=True)
class Case:
    engine: str
    operation: str  # create | verify | restore_empty | restore_populated
    contender: str  # "dino" or a competitor's key, e.g. "pg_dump_fc"
    label: str  # what a reader sees, e.g. "pg_dump -Fc"
    prepare: Callable[[], Invocation]

    @property
    def key(self) -> str:
        return f"{self.engine}.{self.operation}.{self.contender}"


def pipeline(
    *commands: list[str], stdin: Path | None = None, stdout: Path | None = None
) -> list[str]:
    """argv running `a | b | c` under bash with pipefail (so any member's failure counts)."""
    parts = [shlex.join(cmd) for cmd in commands]
    if stdin is not None:
        parts[0] = f"{parts[0]} < {shlex.quote(str(stdin))}"
    text = " | ".join(parts)
    if stdout is not None:
        text = f"{text} > {shlex.quote(str(stdout))}"
    return ["bash", "-o", "pipefail", "-c", text]


def file_size(path: Path) -> Callable[[], int]:
    return lambda: path.stat().st_size


ZSTD_3 = ["zstd", "-3", "-q", "-c"]
ZSTD_DECOMPRESS = ["zstd", "-d", "-q", "-c"]


def run_untimed(argv: list[str], env: dict[str, str] | None = None) -> None:
    """Setup work outside any measurement; raise with the command's stderr on failure."""
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)[:300]} failed: {done.stderr[-2000:]}")
