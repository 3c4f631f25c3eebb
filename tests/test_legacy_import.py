"""`import FILE`: a backup of the original TypeScript system becomes a native backup."""

import datetime as dt
import gzip
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from dino_backup.core.context import Context
from dino_backup.core.manager import BackupManager
from dino_backup.core.options import RestoreOptions
from dino_backup.errors import InvalidInput
from dino_backup.schema.dino import create_schema
from dino_backup.settings import Settings
from dino_backup.storage import LocalStorage

LEGACY_ID = "backup_1704067200000_abc123def"


def legacy_document() -> dict:
    users = [
        {
            "id": f"cu{i}",
            "email": f"user{i}@example.com",
            "name": None if i == 2 else f"User {i}",
            "image": None,
            "createdAt": "2024-01-01T10:00:00.000Z",
            "updatedAt": "2024-01-02T10:00:00.123Z",
        }
        for i in range(3)
    ]
    visits = [
        {
            "id": f"cv{i}",
            "userId": f"cu{i % 3}",
            "country": "FR",
            "entryDate": "2024-02-01T00:00:00.000Z",
            "exitDate": None if i else "2024-02-10T00:00:00.000Z",
            "visaType": "schengen",
            "maxDays": 90,
            "passportCountry": "KR",
            "notes": "Café — 東京 🦕",
            "createdAt": "2024-02-01T00:00:00.000Z",
            "updatedAt": "2024-02-01T00:00:00.000Z",
            "user": {"email": f"user{i % 3}@example.com"},  # the seed's `include`
        }
        for i in range(5)
    ]
    metadata = {
        "id": LEGACY_ID,
        "timestamp": "2024-01-01T00:00:00.000Z",
        "version": "1.0",
        "tables": ["users", "countryVisits"],
        "recordCounts": {"users": 3, "countryVisits": 5},
        "size": 0,
        "checksum": "",
        "environment": "production",
    }
    return {"data": {"users": users, "countryVisits": visits}, "metadata": metadata}


def write_legacy(path: Path, gzipped: bool) -> Path:
    text = json.dumps(legacy_document(), indent=2).encode()  # as saveBackupData writes it
    path.write_bytes(gzip.compress(text) if gzipped else text)
    return path


def manager_for(url: str, backup_dir: Path) -> BackupManager:
    settings = Settings(database_url=url, backup_dir=backup_dir)
    return BackupManager(Context(settings, LocalStorage(backup_dir)))


@pytest.mark.parametrize("gzipped", [True, False])
def test_import_keeps_origin_and_verifies(tmp_path: Path, gzipped: bool) -> None:
    mgr = manager_for(f"sqlite:///{tmp_path / 'x.db'}", tmp_path / "b")
    name = "legacy.json.gz" if gzipped else "legacy.json"
    result = mgr.import_legacy(write_legacy(tmp_path / name, gzipped))
    assert result["backupId"] == LEGACY_ID
    meta = mgr.get_backup(LEGACY_ID)["backup"]
    assert meta["kind"] == "import"
    assert meta["environment"] == "production"
    assert meta["recordCounts"] == {"User": 3, "CountryVisit": 5}
    assert any("user" in w for w in result["warnings"])  # the nested include was dropped
    assert mgr.verify_backup(LEGACY_ID)["valid"] is True


def test_imported_backup_restores_into_each_engine(tmp_path: Path, db_url: str) -> None:
    engine = sa.create_engine(db_url)
    create_schema(engine)
    mgr = manager_for(db_url, tmp_path / "b")
    mgr.import_legacy(write_legacy(tmp_path / "legacy.json.gz", True))
    result = mgr.restore_from_backup(RestoreOptions(LEGACY_ID))
    assert result["recordCounts"] == {"User": 3, "CountryVisit": 5}
    with engine.connect() as conn:
        visits = sa.Table("CountryVisit", sa.MetaData(), autoload_with=conn)
        row = conn.execute(sa.select(visits).where(visits.c.id == "cv0")).one()
    engine.dispose()
    assert row.notes == "Café — 東京 🦕"
    assert row.maxDays == 90
    entry = row.entryDate
    if isinstance(entry, str):  # SQLite keeps the text the TypeScript system wrote
        assert entry == "2024-02-01T00:00:00.000Z"
    else:
        assert entry.replace(tzinfo=None) == dt.datetime(2024, 2, 1)


@pytest.mark.parametrize(
    "content",
    [b"not json", b'{"metadata": {}}', b"[1, 2]", gzip.compress(b"{broken")],
)
def test_files_that_are_not_legacy_backups_are_refused(tmp_path: Path, content: bytes) -> None:
    mgr = manager_for(f"sqlite:///{tmp_path / 'x.db'}", tmp_path / "b")
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(InvalidInput):
        mgr.import_legacy(path)
    assert mgr.list_backups()["backups"] == []


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    mgr = manager_for(f"sqlite:///{tmp_path / 'x.db'}", tmp_path / "b")
    with pytest.raises(InvalidInput, match="cannot read"):
        mgr.import_legacy(tmp_path / "nope.json")
