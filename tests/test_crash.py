"""Crashes and failures half-way lose nothing.

A `dino-backup create` killed with SIGKILL leaves no listed backup, and `cleanup` removes
what it left. A restore that fails half-way (a row the target's constraints refuse, a value
that cannot be converted, the process killed while it writes) leaves the database exactly
as it was, on every engine.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from failure_support import (
    CLI,
    cli_env,
    db_contents,
    engine_for,
    files_in,
    invoke_cli,
    json_out,
    listed,
    make_manager,
    run_cli,
    seed_dino,
)

from dino_backup.core.options import BackupOptions, RestoreOptions
from dino_backup.errors import BackupError, Busy, DatabaseUnreachable, IncompatibleSchema

POLL = 0.002


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(CLI), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_when(proc: subprocess.Popen[str], ready: Callable[[], bool], limit: float = 60) -> None:
    """SIGKILL the process as soon as `ready()`; fail if it ends first."""
    deadline = time.monotonic() + limit
    while not ready():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"process ended (rc {proc.returncode}) before the kill point: {err}{out}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("kill point never reached")
        time.sleep(POLL)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL


# -- create --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database big enough that a backup takes a noticeable moment."""
    path = tmp_path_factory.mktemp("big") / "dino.db"
    seed_dino(f"sqlite:///{path}", users=1000, visits=20000)
    return path


def _temporaries(backups: Path, min_size: int = 1) -> list[Path]:
    if not backups.exists():
        return []
    return [p for p in backups.rglob(".tmp-*") if p.exists() and p.stat().st_size >= min_size]


def _archives(backups: Path) -> list[Path]:
    return list(backups.glob("backup_*")) if backups.exists() else []


KILL_POINTS: dict[str, Callable[[Path], bool]] = {
    "temporary-file-created": lambda b: bool(_temporaries(b, 0)),
    "temporary-file-written": lambda b: bool(_temporaries(b, 1)),  # 1 MiB buffer flushed
    "archive-renamed-before-metadata": lambda b: bool(_archives(b)),
}


@pytest.mark.parametrize("point", sorted(KILL_POINTS))
def test_killed_create_lists_nothing_and_cleanup_removes_leftovers(
    big_sqlite: Path, tmp_path: Path, point: str
) -> None:
    db = tmp_path / "dino.db"
    shutil.copy(big_sqlite, db)
    backups = tmp_path / "backups"
    env = cli_env(f"sqlite:///{db}", backups)
    proc = _start(["create", "--include-sessions", "--json"], env)
    _kill_when(proc, lambda: KILL_POINTS[point](backups))
    assert files_in(backups), "the kill left nothing behind: nothing to clean up"
    shown = invoke_cli(["list", "--json"], env)
    assert shown.returncode == 0 and json_out(shown)["backups"] == []
    cleaned = invoke_cli(["cleanup", "--yes", "--json"], env)
    assert cleaned.returncode == 0, cleaned.stderr
    assert files_in(backups) == []
    assert listed(backups) == []


def test_cleanup_during_a_create_is_refused_and_the_create_completes(tmp_path: Path) -> None:
    """`cleanup` must not take a running backup's temporary file for a crashed one's."""
    url = f"sqlite:///{tmp_path / 'dino.db'}"
    seed_dino(url, users=10, visits=40)
    backups = tmp_path / "backups"
    mgr = make_manager(url, backups)
    attempts: list[subprocess.CompletedProcess[str]] = []

    def cleanup_meanwhile(table: str, done: int, total: int) -> None:
        if not attempts:  # the archive's temporary file exists now
            assert _temporaries(backups, 0)
            attempts.append(run_cli(["cleanup", "--yes", "--json"], cli_env(url, backups)))

    result = mgr.create_backup(BackupOptions(), cleanup_meanwhile)
    mgr.ctx.engine.dispose()
    assert attempts[0].returncode == 7, attempts[0].stdout  # Busy
    assert "another backup or restore is running" in json_out(attempts[0])["error"]
    assert [b["id"] for b in listed(backups)] == [result["backupId"]]
    assert mgr.verify_backup(result["backupId"])["valid"] is True


# -- restore -------------------------------------------------------------------------------------


def _q(engine: sa.Engine) -> Callable[[str], str]:
    return engine.dialect.identifier_preparer.quote_identifier  # type: ignore[no-any-return]


def _backup(url: str, backups: Path) -> str:
    mgr = make_manager(url, backups)
    try:
        return str(mgr.create_backup(BackupOptions(include_sessions=True))["backupId"])
    finally:
        mgr.ctx.engine.dispose()


def _drop_one_user_and_change_visits(url: str) -> None:
    """After the backup: one user gone (with its visits), other visits changed and added."""
    with engine_for(url) as engine, engine.begin() as conn:
        q = _q(engine)
        user = conn.exec_driver_sql(f"SELECT MIN({q('userId')}) FROM {q('CountryVisit')}")
        victim = user.scalar_one()
        conn.execute(sa.text(f"DELETE FROM {q('User')} WHERE {q('id')} = :u"), {"u": victim})
        conn.exec_driver_sql(f"UPDATE {q('CountryVisit')} SET {q('notes')} = 'edited'")
        other = conn.exec_driver_sql(f"SELECT MAX({q('id')}) FROM {q('User')}").scalar_one()
        conn.execute(
            sa.text(
                f"INSERT INTO {q('CountryVisit')} ({q('id')}, {q('userId')}, {q('country')}, "
                f"{q('entryDate')}, {q('createdAt')}, {q('updatedAt')}) "
                "VALUES ('added-after-backup', :u, 'FR', :t, :t, :t)"
            ),
            {"u": other, "t": "2025-01-01 00:00:00"},
        )


def test_restore_refused_by_a_constraint_half_way_changes_nothing(
    db_url: str, tmp_path: Path
) -> None:
    """The visits' deletes and updates run first; the insert of a visit whose user is gone
    then fails on the foreign key, and everything is rolled back."""
    seed_dino(db_url, users=15, visits=60)
    backups = tmp_path / "backups"
    backup_id = _backup(db_url, backups)
    _drop_one_user_and_change_visits(db_url)
    before = db_contents(db_url)
    mgr = make_manager(db_url, backups)
    with pytest.raises(IncompatibleSchema) as refused:
        mgr.restore_from_backup(RestoreOptions(backup_id, tables=["CountryVisit"]))
    mgr.ctx.engine.dispose()
    assert "\n" not in str(refused.value)
    assert db_contents(db_url) == before
    env = cli_env(db_url, backups)
    proc = invoke_cli(["restore", backup_id, "--tables", "CountryVisit", "--yes", "--json"], env)
    assert proc.returncode == 6 and json_out(proc)["success"] is False
    assert db_contents(db_url) == before


@pytest.mark.parametrize("db_url", ["postgresql", "mysql"], indirect=True)
def test_restore_with_a_value_that_cannot_be_converted_changes_nothing(
    db_url: str, tmp_path: Path
) -> None:
    """A SQLite DATETIME column may hold any text; restored into a server, the one value that
    is not a date stops the restore before anything is written."""
    source = f"sqlite:///{tmp_path / 'source.db'}"
    seed_dino(source, users=10, visits=40)
    with engine_for(source) as engine, engine.begin() as conn:
        q = _q(engine)
        conn.exec_driver_sql(
            f"UPDATE {q('CountryVisit')} SET {q('entryDate')} = 'sometime in spring' "
            f"WHERE {q('id')} = (SELECT MAX({q('id')}) FROM {q('CountryVisit')})"
        )
    backups = tmp_path / "backups"
    backup_id = _backup(source, backups)
    seed_dino(db_url, users=8, visits=30, seed=1)
    before = db_contents(db_url)
    mgr = make_manager(db_url, backups)
    with pytest.raises(BackupError) as refused:
        mgr.restore_from_backup(RestoreOptions(backup_id))
    mgr.ctx.engine.dispose()
    assert isinstance(refused.value, IncompatibleSchema), refused.value
    assert "\n" not in str(refused.value)
    assert db_contents(db_url) == before


def _writing(url: str) -> Iterator[Callable[[], bool]]:
    """A probe that tells when another session has started changing the DINO tables."""
    if url.startswith("sqlite"):
        journal = Path(sa.make_url(url).database + "-journal")  # type: ignore[operator]
        yield journal.exists
        return
    with engine_for(url) as engine, engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        if engine.dialect.name == "postgresql":
            sql = (
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid() "
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND c.relname IN ('User', 'CountryVisit')"
            )
        else:
            sql = (
                "SELECT count(*) FROM information_schema.PROCESSLIST "
                "WHERE INFO LIKE 'UPDATE `User`%%' OR INFO LIKE 'INSERT INTO `CountryVisit`%%'"
            )
        yield lambda: bool(conn.exec_driver_sql(sql).scalar())


def _restore_retrying_busy(url: str, backups: Path, backup_id: str) -> None:
    """The killed process's session may take a moment to end on the server (its locks)."""
    deadline = time.monotonic() + 30
    while True:
        mgr = make_manager(url, backups)
        try:
            mgr.restore_from_backup(RestoreOptions(backup_id))
            return
        except Busy:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
        finally:
            mgr.ctx.engine.dispose()


def test_restore_killed_while_writing_changes_nothing(db_url: str, tmp_path: Path) -> None:
    seed_dino(db_url, users=600, visits=8000)
    backups = tmp_path / "backups"
    backup_id = _backup(db_url, backups)
    with engine_for(db_url) as engine, engine.begin() as conn:
        q = _q(engine)
        conn.exec_driver_sql(f"DELETE FROM {q('CountryVisit')}")  # all to be inserted again
        conn.exec_driver_sql(f"UPDATE {q('User')} SET {q('name')} = 'edited'")
    before = db_contents(db_url)
    probe_source = _writing(db_url)
    probe = next(probe_source)
    try:
        proc = _start(["restore", backup_id, "--yes", "--json"], cli_env(db_url, backups))
        _kill_when(proc, probe)
    finally:
        probe_source.close()
    assert db_contents(db_url) == before
    _restore_retrying_busy(db_url, backups, backup_id)  # and a restore afterwards just works
    restored = db_contents(db_url)
    assert len(restored["CountryVisit"]) == 8000
    assert all(row[1] != "edited" for row in restored["User"])


# -- the database goes away during a backup ---------------------------------------------------

_KILL_OTHERS = {
    "postgresql": "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()",
    "mysql": "SELECT id FROM information_schema.PROCESSLIST "
    "WHERE db = DATABASE() AND id <> CONNECTION_ID()",
}


def _session_killer(url: str, done_once: list[bool]) -> Callable[[str, int, int], None]:
    """A progress callback that has the server drop every other session of the database."""

    def kill(table: str, done: int, total: int) -> None:
        if done_once or done == 0:
            return
        done_once.append(True)
        with engine_for(url) as engine, engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            found = conn.exec_driver_sql(_KILL_OTHERS[engine.dialect.name]).scalars().all()
            if engine.dialect.name == "mysql":
                for session in found:
                    conn.exec_driver_sql(f"KILL {int(session)}")

    return kill


@pytest.mark.parametrize("db_url", ["postgresql", "mysql"], indirect=True)
def test_database_connection_lost_during_restore(db_url: str, tmp_path: Path) -> None:
    seed_dino(db_url, users=50, visits=400)
    backups = tmp_path / "backups"
    backup_id = _backup(db_url, backups)
    _drop_one_user_and_change_visits(db_url)
    before = db_contents(db_url)
    mgr = make_manager(db_url, backups)
    killed: list[bool] = []
    with pytest.raises(BackupError) as caught:
        mgr.restore_from_backup(RestoreOptions(backup_id), _session_killer(db_url, killed))
    mgr.ctx.engine.dispose()
    assert killed
    assert "\n" not in str(caught.value)
    assert db_contents(db_url) == before


@pytest.mark.parametrize("db_url", ["postgresql", "mysql"], indirect=True)
def test_database_connection_lost_during_backup(db_url: str, tmp_path: Path) -> None:
    """The server drops the backup's session half-way: a clean error, nothing listed, no file."""
    seed_dino(db_url, users=50, visits=400)
    backups = tmp_path / "backups"
    mgr = make_manager(db_url, backups)
    mgr.ctx.dialect.batch_size = 20
    killed: list[bool] = []
    with pytest.raises(BackupError) as caught:
        mgr.create_backup(BackupOptions(), _session_killer(db_url, killed))
    mgr.ctx.engine.dispose()
    assert killed
    assert isinstance(caught.value, DatabaseUnreachable), repr(caught.value)
    assert "\n" not in str(caught.value)
    assert listed(backups) == [] and files_in(backups) == []
