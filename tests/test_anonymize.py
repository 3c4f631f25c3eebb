"""`create --anonymize`: a production copy safe for another environment. Emails become
stable keyed hashes (so foreign keys and uniqueness survive), names and images are
cleared, token tables are never included; restoring one into production needs
`allow_anonymized`."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import zstandard
from conftest import make_database
from failure_support import assert_clean_failure, cli_env, files_in, invoke_cli, json_out
from roundtrip_support import (
    backup,
    column_by_id,
    dino_database,
    dispose_all,
    engine_for,
    execute,
    restore,
    snapshot,
    tracked,
)

from dino_backup.core.anonymize import Anonymizer
from dino_backup.core.context import Context
from dino_backup.core.manager import BackupManager
from dino_backup.core.options import RestoreOptions
from dino_backup.errors import InvalidInput
from dino_backup.schema.dino import create_schema
from dino_backup.settings import Settings
from dino_backup.storage import LocalStorage

SECRET = "a long random anonymizing secret"
HASHED = re.compile(r"\Auser-[0-9a-f]{24}@anonymized\.invalid\Z")



def manager(url: str, backups: Path, **settings: Any) -> BackupManager:
    mgr = BackupManager(
        Context(Settings(database_url=url, backup_dir=backups, **settings), LocalStorage(backups))
    )
    tracked(mgr.ctx.engine)
    return mgr


def _archive_text(mgr: BackupManager, backup_id: str) -> str:
    meta = mgr.get_backup(backup_id)["backup"]
    raw = (Path(mgr.ctx.settings.backup_dir) / meta["file"]).read_bytes()
    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw), read_across_frames=True)
    text = reader.read().decode()
    assert '"manifest"' in text  # every frame read
    return text


def test_anonymized_round_trip_keeps_foreign_keys(db_url: str, tmp_path: Path) -> None:
    """Anonymized on one database, restored into a fresh one of the same engine."""
    source = dino_database(db_url, users=10, visits=50)
    original = snapshot(source)
    mgr = manager(db_url, tmp_path / "b", anonymize_key=SECRET)
    backup_id = backup(mgr, include_sessions=True, anonymize=True)
    meta = mgr.get_backup(backup_id)["backup"]
    assert meta["anonymized"] is True and meta["options"]["anonymize"] is True
    assert sorted(meta["tables"]) == ["CountryVisit", "User"]
    assert meta["warnings"] == [
        "anonymized: token tables left out: Account, Session, VerificationToken"
    ]
    text = _archive_text(mgr, backup_id)
    emails = column_by_id(source, "User", "email")
    secrets = [*emails.values(), *column_by_id(source, "Session", "sessionToken").values()]
    secrets += [r[5] for r in original["Account"] if r[5]]  # refresh tokens
    assert not [s for s in secrets if s in text]

    (tmp_path / "target").mkdir()
    servers = make_database(sa.make_url(db_url).get_backend_name(), tmp_path / "target")
    target_url = next(servers)
    try:
        target = engine_for(target_url)
        create_schema(target)
        staging = manager(target_url, tmp_path / "b", environment="staging")
        result = restore(staging, backup_id)
        assert result["restoredTables"] == ["User", "CountryVisit"]
        copied = snapshot(target)
        assert copied["CountryVisit"] == original["CountryVisit"]  # userId intact
        anonymizer = Anonymizer.from_secret(SECRET)
        hashed = column_by_id(target, "User", "email")
        assert hashed == {i: anonymizer.email(e) for i, e in emails.items()}
        assert all(HASHED.match(e) for e in hashed.values())
        assert len(set(hashed.values())) == len(hashed)
        assert column_by_id(target, "User", "name") == {}
        assert column_by_id(target, "User", "image") == {}
        ids = {r[0] for r in copied["User"]}
        assert ids == {r[0] for r in original["User"]}
        assert {r[1] for r in copied["CountryVisit"]} <= ids
        assert copied["Session"] == copied["Account"] == copied["VerificationToken"] == []
    finally:
        dispose_all()
        next(servers, None)


def test_same_email_same_hash_and_distinct_emails_stay_distinct() -> None:
    one, other = Anonymizer.from_secret(SECRET), Anonymizer.from_secret(SECRET + "!")
    assert one.email("mina@example.com") == one.email("mina@example.com")
    assert one.email("mina@example.com") != other.email("mina@example.com")
    # Emails differing only in case are two users on a case-sensitive column.
    assert one.email("Mina@example.com") != one.email("mina@example.com")
    assert one.email(None) is None


def test_emails_differing_in_case_keep_their_uniqueness(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dino.db'}"
    engine = dino_database(url, users=3, visits=5)
    execute(
        engine,
        'INSERT INTO "User" ("id", "email", "createdAt", "updatedAt") VALUES '
        "('u1', 'Same@Example.com', '2025-01-01 00:00:00', '2025-01-01 00:00:00'), "
        "('u2', 'same@example.com', '2025-01-01 00:00:00', '2025-01-01 00:00:00')",
    )
    mgr = manager(url, tmp_path / "b", anonymize_key=SECRET)
    backup_id = backup(mgr, anonymize=True)
    execute(
        engine,
        'DELETE FROM "CountryVisit"',
        'DELETE FROM "Session"',
        'DELETE FROM "Account"',
        'DELETE FROM "User"',
    )
    restore(mgr, backup_id)
    assert len(set(column_by_id(engine, "User", "email").values())) == 5


def test_stable_across_backups(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dino.db'}"
    dino_database(url, users=4, visits=10)
    mgr = manager(url, tmp_path / "b", anonymize_key=SECRET)
    first, second = (backup(mgr, anonymize=True) for _ in range(2))
    rows = [
        [line for line in _archive_text(mgr, b).splitlines() if line.startswith("[")]
        for b in (first, second)
    ]
    assert rows[0] == rows[1] and len(rows[0]) == 14


def test_needs_a_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dino.db'}"
    dino_database(url, users=2, visits=2)
    mgr = manager(url, tmp_path / "b")
    with pytest.raises(InvalidInput, match="BACKUP_ANONYMIZE_KEY"):
        backup(mgr, anonymize=True)
    assert files_in(tmp_path / "b") == []
    env = cli_env(url, tmp_path / "b")
    line = assert_clean_failure(invoke_cli(["create", "--anonymize"], env), 2)
    assert "BACKUP_ANONYMIZE_KEY" in line


def test_token_tables_never_included(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dino.db'}"
    dino_database(url, users=2, visits=2)
    mgr = manager(url, tmp_path / "b", anonymize_key=SECRET)
    backup_id = backup(mgr, anonymize=True, tables=["User", "Session", "Account"])
    meta = mgr.get_backup(backup_id)["backup"]
    assert meta["tables"] == ["User"]
    assert meta["warnings"] == ["anonymized: token tables left out: Account, Session"]


def test_into_production_only_when_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'dino.db'}"
    engine = dino_database(url, users=4, visits=10)
    source = manager(url, tmp_path / "b", anonymize_key=SECRET)
    anonymized, plain = backup(source, anonymize=True), backup(source)
    execute(engine, 'UPDATE "User" SET "name" = \'edited\'')
    before = snapshot(engine)
    prod = manager(url, tmp_path / "b", environment="production")
    for dry_run in (True, False):
        with pytest.raises(InvalidInput, match="anonymized.*production.*--allow-anonymized"):
            prod.restore_from_backup(RestoreOptions(anonymized, dry_run=dry_run))
    assert snapshot(engine) == before
    assert len(prod.list_backups()["backups"]) == 2
    restore(prod, plain, tables=["User"], emergency_backup=False)  # a real copy: fine
    env = cli_env(url, tmp_path / "b")
    monkeypatch.setenv("DINO_ENV", "production")
    refused = invoke_cli(["restore", anonymized, "--yes"], env)
    assert "--allow-anonymized" in assert_clean_failure(refused, 2)
    allowed = invoke_cli(["restore", anonymized, "--yes", "--allow-anonymized", "--json"], env)
    assert json_out(allowed)["success"] is True
    assert all(HASHED.match(e) for e in column_by_id(engine, "User", "email").values())


def test_cli_create_anonymize(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dino.db'}"
    dino_database(url, users=2, visits=2)
    env = cli_env(url, tmp_path / "b", BACKUP_ANONYMIZE_KEY=SECRET)
    result = json_out(invoke_cli(["create", "--anonymize", "--include-sessions", "--json"], env))
    assert result["metadata"]["anonymized"] is True
    assert sorted(result["metadata"]["tables"]) == ["CountryVisit", "User"]
