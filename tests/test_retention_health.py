"""Stats, retention (BACKUP_RETENTION_DAYS) and the health check's alert conditions."""

import datetime as dt
import json
from pathlib import Path

import sqlalchemy as sa

from dino_backup.core.context import Context
from dino_backup.core.manager import BackupManager
from dino_backup.demo import generate_demo_data
from dino_backup.schema.dino import create_schema
from dino_backup.settings import Settings
from dino_backup.storage import LocalStorage

NOW = dt.datetime.now(dt.UTC)


def make_manager(tmp_path: Path, retention_days: int = 30) -> BackupManager:
    url = f"sqlite:///{tmp_path / 'dino.db'}"
    engine = sa.create_engine(url)
    create_schema(engine)
    generate_demo_data(engine, users=10, visits=40)
    engine.dispose()
    settings = Settings(database_url=url, backup_dir=tmp_path / "b", retention_days=retention_days)
    return BackupManager(Context(settings, LocalStorage(settings.backup_dir)))


def age(mgr: BackupManager, backup_id: str, days: int) -> None:
    """Pretend a backup is `days` old (its metadata timestamp is what retention reads)."""
    path = mgr.ctx.settings.backup_dir / "metadata" / f"{backup_id}.meta.json"
    meta = json.loads(path.read_text())
    stamp = NOW - dt.timedelta(days=days)
    meta["timestamp"] = stamp.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    path.write_text(json.dumps(meta))


def test_stats_follow_the_seed_shape(tmp_path: Path) -> None:
    mgr = make_manager(tmp_path)
    assert mgr.get_backup_stats()["stats"] == {
        "totalBackups": 0,
        "totalSize": 0,
        "latestBackup": None,
        "oldestBackup": None,
        "averageSize": 0,
    }
    first = mgr.create_backup()["backupId"]
    second = mgr.create_backup()["backupId"]
    stats = mgr.get_backup_stats()["stats"]
    sizes = [b["size"] for b in mgr.list_backups()["backups"]]
    assert stats["totalBackups"] == 2
    assert stats["totalSize"] == sum(sizes)
    assert stats["averageSize"] == round(sum(sizes) / 2)
    assert [b["id"] for b in mgr.list_backups()["backups"]] == [second, first]


def test_cleanup_deletes_only_backups_past_retention(tmp_path: Path) -> None:
    mgr = make_manager(tmp_path, retention_days=30)
    old = mgr.create_backup()["backupId"]
    young = mgr.create_backup()["backupId"]
    age(mgr, old, 31)
    age(mgr, young, 29)
    result = mgr.cleanup_old_backups()
    assert result["deleted"] == [old]
    assert [b["id"] for b in mgr.list_backups()["backups"]] == [young]
    leftovers = [p.name for p in (tmp_path / "b").rglob(f"{old}*")]
    assert leftovers == []


def test_cleanup_removes_unlisted_leftovers(tmp_path: Path) -> None:
    mgr = make_manager(tmp_path)
    backup_id = mgr.create_backup()["backupId"]
    (tmp_path / "b" / "metadata" / f"{backup_id}.meta.json").unlink()  # a crash before listing
    (tmp_path / "b" / ".tmp-abc-backup_x.jsonl.zst").write_bytes(b"partial")
    result = mgr.cleanup_old_backups()
    assert len(result["orphansRemoved"]) == 2  # archive and checksum
    assert not list((tmp_path / "b").glob("backup_*"))
    assert not list((tmp_path / "b").glob(".tmp-*"))


def test_health_is_good_after_a_fresh_backup(tmp_path: Path) -> None:
    mgr = make_manager(tmp_path)
    mgr.create_backup()
    result = mgr.perform_health_check()
    health = result["health"]
    assert health["totalBackups"] == 1
    assert health["integrityStatus"] == {"verified": 1, "failed": []}
    assert health["retentionCompliance"]["compliant"] is True
    assert result["alerts"] == [] or all("full" in a for a in result["alerts"])


def test_health_raises_the_seed_alerts(tmp_path: Path) -> None:
    mgr = make_manager(tmp_path, retention_days=1)
    assert "no successful backup in the last 24 hours" in mgr.perform_health_check()["alerts"]
    stale = mgr.create_backup()
    age(mgr, stale["backupId"], 2)
    broken = mgr.create_backup()["metadata"]
    archive = tmp_path / "b" / broken["file"]
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    result = mgr.perform_health_check()
    assert result["healthy"] is False
    assert "1 backup(s) failed verification" in result["alerts"]
    assert result["health"]["retentionCompliance"]["overdue"] == [stale["backupId"]]
    assert result["health"]["integrityStatus"]["failed"][0]["id"] == broken["id"]


def test_health_names_a_backup_whose_metadata_cannot_be_read(tmp_path: Path) -> None:
    """Unreadable metadata unlists a backup; the health check still counts it as failed."""
    mgr = make_manager(tmp_path)
    mgr.create_backup()
    damaged = mgr.create_backup()["backupId"]
    (tmp_path / "b" / "metadata" / f"{damaged}.meta.json").write_text("{not json")
    result = mgr.perform_health_check()
    assert result["healthy"] is False
    assert "1 backup(s) failed verification" in result["alerts"]
    status = result["health"]["integrityStatus"]
    assert status["verified"] == 1 and result["health"]["totalBackups"] == 1
    why = f"metadata of {damaged} is not valid JSON"
    assert status["failed"] == [{"id": damaged, "error": why}]
