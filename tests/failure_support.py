"""Helpers shared by the failure tests (consistency, corruption, crash, bad input, CLI).

Nothing here mocks a database or the file system: managers, engines and CLI runs are the
real ones, pointed at the fresh databases that `db_url` gives.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from typer.testing import CliRunner

from dino_backup.audit.log import AUDIT_DIR
from dino_backup.cli import state
from dino_backup.cli.app import app
from dino_backup.core.context import Context
from dino_backup.core.manager import BackupManager
from dino_backup.demo import generate_demo_data
from dino_backup.dialects import create_engine
from dino_backup.schema.dino import create_schema
from dino_backup.settings import Settings
from dino_backup.storage import LocalStorage

CLI = Path(sys.executable).with_name("dino-backup")
Contents = dict[str, list[tuple[Any, ...]]]


def make_manager(url: str, backup_dir: Path, key: str | None = None) -> BackupManager:
    settings = Settings(database_url=url, backup_dir=backup_dir, encryption_key=key)
    return BackupManager(Context(settings, LocalStorage(backup_dir)))


@contextmanager
def engine_for(url: str) -> Iterator[sa.Engine]:
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def seed_dino(url: str, users: int = 20, visits: int = 80, seed: int = 0) -> None:
    with engine_for(url) as engine:
        create_schema(engine)
        generate_demo_data(engine, users=users, visits=visits, seed=seed)


def _sort_key(row: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(repr(v) for v in row)


def db_contents(url: str) -> Contents:
    """Every row of every table, exactly as the driver returns it (no type processing)."""
    with engine_for(url) as engine:
        names = sorted(sa.inspect(engine).get_table_names())
        quote = engine.dialect.identifier_preparer.quote_identifier
        with engine.connect() as conn:
            return {
                n: sorted(
                    (tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {quote(n)}")),
                    key=_sort_key,
                )
                for n in names
            }


def mutate_dino(url: str) -> None:
    """Change the database after a backup, so that a restore would visibly change it."""
    with engine_for(url) as engine, engine.begin() as conn:
        q = engine.dialect.identifier_preparer.quote_identifier
        victim = conn.exec_driver_sql(f"SELECT MIN({q('id')}) FROM {q('User')}").scalar_one()
        conn.execute(
            sa.text(f"DELETE FROM {q('CountryVisit')} WHERE {q('userId')} = :u"), {"u": victim}
        )
        conn.exec_driver_sql(f"UPDATE {q('User')} SET {q('name')} = 'changed after backup'")


def listed(backup_dir: Path) -> list[dict[str, Any]]:
    return make_manager("sqlite://", backup_dir).list_backups()["backups"]


def files_in(backup_dir: Path) -> list[str]:
    """Every file under the backup folder except the lock file and the audit log (which
    records failed attempts too: test_cli_audit.py), relative, sorted."""
    if not backup_dir.exists():
        return []
    return sorted(
        str(p.relative_to(backup_dir))
        for p in backup_dir.rglob("*")
        if p.is_file() and p.name != ".lock" and p.parent.name != AUDIT_DIR
    )


def cli_env(url: str, backup_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKUP_", "DATABASE_"))}
    env.update(DATABASE_URL=url, BACKUP_DIR=str(backup_dir), COLUMNS="200", **extra)
    return env


def run_cli(
    args: list[str], env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The real `dino-backup` entry point, with no terminal on stdin."""
    return subprocess.run(
        [str(CLI), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def invoke_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The real command table in this process (typer's CliRunner): much faster to start.

    Same result shape as `run_cli`; an exception that escaped the CLI shows as a traceback.
    """
    overrides: dict[str, str | None] = {
        k: None for k in os.environ if k.startswith(("BACKUP_", "DATABASE_")) and k not in env
    }
    overrides.update({k: v for k, v in env.items() if k.startswith(("BACKUP_", "DATABASE_"))})
    state.manager.cache_clear()
    try:
        result = CliRunner().invoke(app, args, env=overrides)
        if state.manager.cache_info().currsize:  # the manager the command built
            engine = state.manager().ctx.__dict__.get("engine")
            if engine is not None:
                engine.dispose()
    finally:
        state.manager.cache_clear()
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += f"Traceback: {result.exception!r}"
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, stderr)


def json_out(proc: subprocess.CompletedProcess[str]) -> Any:
    return orjson.loads(proc.stdout)


def assert_clean_failure(proc: subprocess.CompletedProcess[str], code: int | None = None) -> str:
    """Non-zero exit, exactly one line on stderr, no traceback; returns that line."""
    assert proc.returncode != 0, proc.stdout
    if code is not None:
        assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def assert_json_failure(proc: subprocess.CompletedProcess[str], code: int | None = None) -> str:
    assert proc.returncode != 0
    if code is not None:
        assert proc.returncode == code, (proc.returncode, proc.stdout)
    assert "Traceback" not in proc.stderr + proc.stdout
    result = json_out(proc)
    assert result["success"] is False
    assert isinstance(result["error"], str) and "\n" not in result["error"]
    return str(result["error"])
