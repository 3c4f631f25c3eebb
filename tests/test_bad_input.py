"""Bad input and a hostile environment give a clean, one-line refusal and change nothing.

Malformed and unknown backup IDs, an unreachable database, a full disk (a small tmpfs),
tables that do not exist, an unknown compression, encryption without a usable key: through
the library (the engine's error class) and through the CLI (exit code, one line on stderr,
`{"success": false, "error": ...}` with --json).
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from failure_support import (
    assert_clean_failure,
    assert_json_failure,
    cli_env,
    db_contents,
    engine_for,
    files_in,
    invoke_cli,
    listed,
    make_manager,
    run_cli,
    seed_dino,
)

from dino_backup.archive import crypto
from dino_backup.core.manager import BackupManager
from dino_backup.core.options import BackupOptions, RestoreOptions
from dino_backup.errors import (
    BackupError,
    DatabaseUnreachable,
    InvalidInput,
    NotFound,
    StorageFull,
)

UNKNOWN_ID = "backup_0000000000000_000000000"
MALFORMED_IDS = {
    "path-traversal": "../etc/passwd",
    "short": "backup_1_abc",
    "nul-byte": "backup_1795704034820_u24ad0qq\x00",
    "nul-inside": "backup_1795704034820_u24a\x00d0qqy",
    "huge": "backup_" + "9" * 10_000,
    "upper-case": "backup_1795704034820_U24AD0QQY",
    "trailing-newline": "backup_1795704034820_u24ad0qqy\n",
    "suffix-path": "backup_1795704034820_u24ad0qqy/../../x",
    "empty": "",
}
COMMANDS = ("show", "verify", "restore", "delete")


@pytest.fixture
def sqlite_backup(tmp_path: Path) -> Iterator[tuple[str, Path, str]]:
    """(database URL, backup folder, ID of its one backup)."""
    url = f"sqlite:///{tmp_path / 'dino.db'}"
    seed_dino(url, users=5, visits=15)
    backups = tmp_path / "backups"
    mgr = make_manager(url, backups)
    backup_id = mgr.create_backup()["backupId"]
    mgr.ctx.engine.dispose()
    yield url, backups, backup_id


def _library_call(mgr: BackupManager, command: str, backup_id: str) -> None:
    if command == "show":
        mgr.get_backup(backup_id)
    elif command == "verify":
        mgr.verify_backup(backup_id)
    elif command == "restore":
        mgr.restore_from_backup(RestoreOptions(backup_id))
    else:
        mgr.delete_backup(backup_id)


def _cli_args(command: str, backup_id: str, as_json: bool) -> list[str]:
    args = [command, backup_id]
    if command in ("restore", "delete"):
        args.append("--yes")
    return args + (["--json"] if as_json else [])


# -- backup IDs -----------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_bad_ids_through_the_library(sqlite_backup: tuple[str, Path, str], command: str) -> None:
    url, backups, _ = sqlite_backup
    files, contents = files_in(backups), db_contents(url)
    mgr = make_manager(url, backups)
    cases = [(v, InvalidInput) for v in MALFORMED_IDS.values()] + [(UNKNOWN_ID, NotFound)]
    for value, expected in cases:
        with pytest.raises(BackupError) as caught:
            _library_call(mgr, command, value)
        assert type(caught.value) is expected, (value[:40], caught.value)
        message = str(caught.value)
        assert "\n" not in message and len(message) < 200
    mgr.ctx.engine.dispose()
    assert files_in(backups) == files and db_contents(url) == contents


@pytest.mark.parametrize("command", COMMANDS)
def test_bad_ids_through_the_cli(sqlite_backup: tuple[str, Path, str], command: str) -> None:
    url, backups, _ = sqlite_backup
    env = cli_env(url, backups)
    files, contents = files_in(backups), db_contents(url)
    cases = [(v, 2) for v in MALFORMED_IDS.values()] + [(UNKNOWN_ID, 3)]
    for value, code in cases:
        text = assert_clean_failure(invoke_cli(_cli_args(command, value, False), env), code)
        assert len(text) < 200
        error = assert_json_failure(invoke_cli(_cli_args(command, value, True), env), code)
        assert len(error) < 200
    assert files_in(backups) == files and db_contents(url) == contents


def test_bad_ids_through_the_real_entry_point(sqlite_backup: tuple[str, Path, str]) -> None:
    """A few of the same through the installed `dino-backup` script, in its own process."""
    url, backups, _ = sqlite_backup
    env = cli_env(url, backups)
    line = assert_clean_failure(run_cli(["show", "../etc/passwd"], env), 2)
    assert "invalid backup id" in line
    assert_json_failure(run_cli(["delete", MALFORMED_IDS["huge"], "--yes", "--json"], env), 2)


# -- the database cannot be reached -----------------------------------------------------------

UNREACHABLE = {
    "postgresql-closed-port": "postgresql://dino:s3cret-pw@127.0.0.1:1/dino",
    "mysql-closed-port": "mysql://root:s3cret-pw@127.0.0.1:1/dino",
    "bad-host": "postgresql://dino:s3cret-pw@no-such-host.invalid:5432/dino",
    "sqlite-missing-folder": "sqlite:////nonexistent-dino-folder/s3cret-pw/dino.db",
}


@pytest.mark.parametrize("name", sorted(UNREACHABLE))
def test_unreachable_database(tmp_path: Path, name: str) -> None:
    url = UNREACHABLE[name]
    backups = tmp_path / "backups"
    mgr = make_manager(url, backups)
    with pytest.raises(DatabaseUnreachable) as caught:
        mgr.create_backup()
    assert "\n" not in str(caught.value) and "s3cret" not in str(caught.value)
    env = cli_env(url, backups)
    line = assert_clean_failure(invoke_cli(["create"], env), 9)
    assert "s3cret" not in line
    assert "s3cret" not in assert_json_failure(invoke_cli(["create", "--json"], env), 9)
    assert listed(backups) == [] and files_in(backups) == []


def test_unreachable_database_for_restore(sqlite_backup: tuple[str, Path, str]) -> None:
    _, backups, backup_id = sqlite_backup
    env = cli_env(UNREACHABLE["postgresql-closed-port"], backups)
    line = assert_clean_failure(invoke_cli(["restore", backup_id, "--yes"], env), 9)
    assert "s3cret" not in line
    env = cli_env(UNREACHABLE["sqlite-missing-folder"], backups)
    assert_clean_failure(run_cli(["restore", backup_id, "--yes"], env), 9)


def test_malformed_database_url(tmp_path: Path) -> None:
    env = cli_env("this is not a url", tmp_path / "backups")
    assert_clean_failure(invoke_cli(["create"], env), 2)
    assert files_in(tmp_path / "backups") == []


# -- a full disk ----------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs as the backup folder."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()[:120]}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def _blob_database(url: str, rows: int) -> None:
    """A table of incompressible text: small to estimate, big once written."""
    md = sa.MetaData()
    blob = sa.Table(
        "Blob",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("data", sa.Text),
    )
    with engine_for(url) as engine:
        md.create_all(engine)
        with engine.begin() as conn:
            conn.execute(
                blob.insert(),
                [{"id": i, "data": secrets.token_urlsafe(1500)} for i in range(rows)],
            )


def test_full_disk_refused_by_the_estimate(tmp_path: Path, small_disk: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dino.db'}"
    seed_dino(url, users=300, visits=4000)
    mgr = make_manager(url, small_disk)
    with pytest.raises(StorageFull) as caught:
        mgr.create_backup()
    mgr.ctx.engine.dispose()
    assert "not enough space" in str(caught.value)
    line = assert_clean_failure(invoke_cli(["create"], cli_env(url, small_disk)), 8)
    assert "space" in line
    assert listed(small_disk) == [] and files_in(small_disk) == []


@pytest.mark.parametrize("rows", [220, 800], ids=["fails-on-flush", "fails-mid-stream"])
def test_full_disk_while_writing(tmp_path: Path, small_disk: Path, rows: int) -> None:
    """The estimate passes, the disk fills up while the archive is written (ENOSPC)."""
    url = f"sqlite:///{tmp_path / 'blob.db'}"
    _blob_database(url, rows)
    mgr = make_manager(url, small_disk)
    with pytest.raises(StorageFull) as caught:
        mgr.create_backup()
    mgr.ctx.engine.dispose()
    assert "no space left" in str(caught.value)
    assert listed(small_disk) == [] and files_in(small_disk) == []
    assert os.statvfs(small_disk).f_bfree * os.statvfs(small_disk).f_frsize > 200_000
    proc = invoke_cli(["create", "--json"], cli_env(url, small_disk))
    assert "no space left" in assert_json_failure(proc, 8)
    assert listed(small_disk) == [] and files_in(small_disk) == []


# -- options ----------------------------------------------------------------------------------


def test_tables_that_do_not_exist(sqlite_backup: tuple[str, Path, str]) -> None:
    url, backups, backup_id = sqlite_backup
    files, contents = files_in(backups), db_contents(url)
    env = cli_env(url, backups)
    line = assert_clean_failure(invoke_cli(["create", "--tables", "Nope"], env), 3)
    assert "Nope" in line
    line = assert_clean_failure(
        invoke_cli(["restore", backup_id, "--tables", "Nope", "--yes"], env), 3
    )
    assert "Nope" in line
    assert_json_failure(
        invoke_cli(["restore", backup_id, "--tables", "User,Nope", "--json", "--yes"], env), 3
    )
    mgr = make_manager(url, backups)
    with pytest.raises(NotFound):
        mgr.create_backup(BackupOptions(tables=["Nope"]))
    with pytest.raises(NotFound):
        mgr.restore_from_backup(RestoreOptions(backup_id, tables=["Nope"]))
    mgr.ctx.engine.dispose()
    assert files_in(backups) == files and db_contents(url) == contents


def test_unknown_compression(sqlite_backup: tuple[str, Path, str]) -> None:
    url, backups, _ = sqlite_backup
    files = files_in(backups)
    line = assert_clean_failure(
        invoke_cli(["create", "--compression", "lz4"], cli_env(url, backups)), 2
    )
    assert "lz4" in line
    with pytest.raises(InvalidInput):
        BackupOptions(compression="lz4")
    assert files_in(backups) == files


def test_encryption_without_a_key(sqlite_backup: tuple[str, Path, str]) -> None:
    url, backups, _ = sqlite_backup
    files = files_in(backups)
    line = assert_clean_failure(invoke_cli(["create", "--encrypt"], cli_env(url, backups)), 2)
    assert "BACKUP_ENCRYPTION_KEY" in line
    with pytest.raises(InvalidInput):
        make_manager(url, backups).create_backup(BackupOptions(encrypt=True))
    assert files_in(backups) == files


def test_key_file_readable_by_others(sqlite_backup: tuple[str, Path, str], tmp_path: Path) -> None:
    url, backups, _ = sqlite_backup
    files = files_in(backups)
    key = crypto.generate_key()
    key_file = tmp_path / "backup.key"
    key_file.write_text(key + "\n")
    key_file.chmod(0o644)
    env = cli_env(url, backups, BACKUP_ENCRYPTION_KEY_FILE=str(key_file))
    line = assert_clean_failure(invoke_cli(["create", "--encrypt"], env), 2)
    assert "chmod 600" in line and key not in line
    assert files_in(backups) == files
    key_file.chmod(0o600)
    created = invoke_cli(["create", "--encrypt", "--json"], env)
    assert created.returncode == 0, created.stderr


def test_malformed_key_is_not_echoed(sqlite_backup: tuple[str, Path, str]) -> None:
    url, backups, _ = sqlite_backup
    secret = "s3cret-but-not-a-valid-key"
    env = cli_env(url, backups, BACKUP_ENCRYPTION_KEY=secret)
    line = assert_clean_failure(invoke_cli(["create", "--encrypt"], env), 2)
    assert secret not in line
    assert secret not in assert_json_failure(invoke_cli(["create", "--encrypt", "--json"], env), 2)
