"""`restore --at T`: the newest verified backup taken at or before T, around the boundaries
(exactly at a backup's timestamp, 1 ms before it, between two, before any)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from api_support import ADMIN, World, audit_entries, bearer
from failure_support import assert_clean_failure, cli_env, invoke_cli, json_out
from roundtrip_support import dino_database, execute, manager, snapshot

from dino_backup.api.sessions import SessionStore
from dino_backup.core.context import Context
from dino_backup.core.create import BackupCreator
from dino_backup.core.manager import BackupManager
from dino_backup.core.options import BackupOptions, RestoreOptions
from dino_backup.errors import NotFound
from dino_backup.ids import new_backup_id
from dino_backup.storage import LocalStorage

UTC = dt.UTC
T1 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
T2 = dt.datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
MS = dt.timedelta(milliseconds=1)



def backup_at(mgr: BackupManager, when: dt.datetime, **options: Any) -> str:
    """A backup whose ID (and so its timestamp) says it was taken at `when`."""
    backup_id = new_backup_id(int(when.timestamp() * 1000))
    return str(BackupCreator(mgr.ctx).run(BackupOptions(**options), backup_id=backup_id)["id"])


@pytest.fixture
def history(tmp_path: Path) -> dict[str, Any]:
    """Backups at T1 and T2 with different rows; an emergency backup between them."""
    url = f"sqlite:///{tmp_path / 'dino.db'}"
    engine = dino_database(url, users=4, visits=10)
    mgr = manager(url, tmp_path / "b")
    first = backup_at(mgr, T1)
    at_first = snapshot(engine)
    backup_at(mgr, T1 + dt.timedelta(minutes=30), kind="emergency", tables=["User"])
    execute(engine, 'UPDATE "User" SET "name" = \'renamed\'')
    second = backup_at(mgr, T2)
    execute(engine, 'UPDATE "User" SET "name" = \'later\'')
    return {
        "url": url,
        "engine": engine,
        "mgr": mgr,
        "first": first,
        "second": second,
        "at_first": at_first,
    }


def picked(mgr: BackupManager, at: dt.datetime) -> str:
    result = mgr.restore_from_backup(RestoreOptions(at=at, dry_run=True))
    assert result["success"] is True
    return str(result["backupId"])


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (T1, "first"),  # exactly at its timestamp
        (T1 + MS, "first"),
        (T1 + dt.timedelta(minutes=45), "first"),  # between two (the emergency one is not it)
        (T2 - MS, "first"),
        (T2, "second"),
        (T2 + dt.timedelta(days=400), "second"),
        (dt.datetime(2026, 11, 20, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))), "second"),
        (dt.datetime(2026, 11, 20, 10, 0), "second"),  # no zone: UTC
    ],
)
def test_newest_backup_at_or_before(
    history: dict[str, Any], at: dt.datetime, expected: str
) -> None:
    assert picked(history["mgr"], at) == history[expected]


@pytest.mark.parametrize("at", [T1 - MS, T1 - dt.timedelta(days=1)])
def test_before_any_backup_is_not_found(history: dict[str, Any], at: dt.datetime) -> None:
    before = snapshot(history["engine"])
    with pytest.raises(NotFound, match="no verified backup taken at or before 2026-11-"):
        history["mgr"].restore_from_backup(RestoreOptions(at=at))
    assert snapshot(history["engine"]) == before


def test_restore_at_restores_that_backup_and_names_it(history: dict[str, Any]) -> None:
    mgr = history["mgr"]
    result = mgr.restore_from_backup(RestoreOptions(at=T2 - MS))
    assert result["backupId"] == history["first"]
    assert history["first"] in result["message"]
    assert snapshot(history["engine"]) == history["at_first"]


def test_a_backup_that_fails_verification_is_skipped(history: dict[str, Any]) -> None:
    mgr = history["mgr"]
    meta = mgr.get_backup(history["second"])["backup"]
    archive = Path(mgr.ctx.settings.backup_dir) / meta["file"]
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    result = mgr.restore_from_backup(RestoreOptions(at=T2, dry_run=True))
    assert result["backupId"] == history["first"]
    assert any(w.startswith(f"skipped {history['second']}: ") for w in result["warnings"])


def test_anonymized_backups_are_not_points_in_time(history: dict[str, Any], tmp_path: Path) -> None:
    """An anonymized copy is not the database as it was; --at passes over it."""
    mgr = history["mgr"]
    settings = replace(mgr.ctx.settings, anonymize_key="k" * 32)
    anon = BackupManager(Context(settings, LocalStorage(settings.backup_dir)))
    backup_at(anon, T2 + MS, anonymize=True)
    anon.ctx.engine.dispose()
    assert picked(mgr, T2 + dt.timedelta(hours=1)) == history["second"]


def test_cli_at(history: dict[str, Any], tmp_path: Path) -> None:
    env = cli_env(history["url"], tmp_path / "b")
    proc = invoke_cli(["restore", "--at", "2026-11-20T10:00:00Z", "--dry-run", "--json"], env)
    assert json_out(proc)["backupId"] == history["second"]
    proc = invoke_cli(["restore", "--at", "2026-11-20T09:59:59.999Z", "--yes", "--json"], env)
    result = json_out(proc)
    assert result["backupId"] == history["first"] and result["dryRun"] is False
    assert snapshot(history["engine"]) == history["at_first"]
    both = invoke_cli(["restore", history["first"], "--at", "2026-11-20T10:00:00Z"], env)
    assert "point in time" in assert_clean_failure(both, 2)
    assert "ISO 8601" in assert_clean_failure(invoke_cli(["restore", "--at", "soon"], env), 2)
    early = invoke_cli(["restore", "--at", "2026-11-20T08:59:59.999Z", "--dry-run"], env)
    assert "no verified backup" in assert_clean_failure(early, 3)


def test_api_at(history: dict[str, Any], tmp_path: Path) -> None:
    store = SessionStore(history["engine"])
    store.ensure_user(ADMIN, "Admin")
    token, _ = store.create(ADMIN.lower(), dt.timedelta(hours=1))
    world = World(history["url"], tmp_path / "b", history["engine"], token, "", "")
    client = world.client()

    def restore(body: dict[str, Any]) -> Any:
        return client.post("/api/backup/restore", json=body, headers=bearer(token))

    preview = restore({"at": "2026-11-20T10:00:00Z", "dryRun": True})
    assert preview.status_code == 200, preview.text
    assert preview.json()["backupId"] == history["second"]
    both = restore({"backupId": history["first"], "at": "2026-11-20T10:00:00Z"})
    assert both.status_code == 400 and "point in time" in both.json()["error"]
    for bad in ({"at": "soon"}, {"at": ""}, {"at": 1700000000}, {}):
        assert restore(bad).status_code == 400, bad
    early = restore({"at": "2026-11-20T08:00:00Z", "dryRun": True})
    assert early.status_code == 404 and "no verified backup" in early.json()["error"]
    # Last: restoring the users as they were at T1 also ends this admin's session.
    done = restore({"at": "2026-11-20T09:59:59.999", "emergencyBackup": False})  # UTC
    assert done.status_code == 200, done.text
    assert done.json()["backupId"] == history["first"]
    assert snapshot(history["engine"]) == history["at_first"]
    ok = [e["backupId"] for e in audit_entries(world) if e["outcome"] == "ok"]
    assert ok == [history["second"], history["first"]]
