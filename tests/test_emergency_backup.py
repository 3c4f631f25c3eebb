"""The safety net: before a real restore writes, an emergency backup of the tables about to
change (and those a delete cascades into) is taken, so one more restore undoes it. The
whole archive is checked before any row is written; a restore that fails keeps no
emergency backup (nothing changed)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa
from failure_support import cli_env, invoke_cli, json_out
from roundtrip_support import (
    backup,
    dino_database,
    engine_for,
    manager,
    modify_dino,
    restore,
    snapshot,
    table_rows,
)

from dino_backup.core.options import RestoreOptions
from dino_backup.errors import BackupError, IntegrityError
from dino_backup.schema.dino import DINO_TABLES


def test_emergency_backup_undoes_a_restore(db_url: str, tmp_path: Path) -> None:
    engine = dino_database(db_url, users=8, visits=40)
    mgr = manager(db_url, tmp_path / "b")
    backup_id = backup(mgr, include_sessions=True)
    in_backup = snapshot(engine)
    modify_dino(engine)
    wanted = snapshot(engine)  # the state a wrong restore destroys
    result = restore(mgr, backup_id)
    assert snapshot(engine) == in_backup
    emergency = result["emergencyBackupId"]
    meta = mgr.get_backup(emergency)["backup"]
    assert meta["kind"] == "emergency"
    assert sorted(meta["tables"]) == sorted(DINO_TABLES)
    assert meta["recordCounts"] == {t: len(rows) for t, rows in wanted.items()}
    undo = restore(mgr, emergency)
    assert snapshot(engine) == wanted
    assert undo["backupId"] == emergency and undo["emergencyBackupId"] not in (None, emergency)


def test_only_tables_about_to_change(tmp_path: Path) -> None:
    """Restoring visits alone backs up visits alone; restoring users also backs up every
    table whose rows a deleted user takes with it."""
    url = f"sqlite:///{tmp_path / 'dino.db'}"
    dino_database(url, users=4, visits=10)
    mgr = manager(url, tmp_path / "b")
    backup_id = backup(mgr)
    visits = restore(mgr, backup_id, tables=["CountryVisit"])["emergencyBackupId"]
    assert mgr.get_backup(visits)["backup"]["tables"] == ["CountryVisit"]
    users = restore(mgr, backup_id, tables=["User"])["emergencyBackupId"]
    with_children = ["Account", "CountryVisit", "Session", "User"]  # not VerificationToken
    assert sorted(mgr.get_backup(users)["backup"]["tables"]) == with_children


def test_cascades_at_any_depth_are_backed_up_and_undone(db_url: str, tmp_path: Path) -> None:
    """Country <- City <- Street, each ON DELETE CASCADE: restoring Country alone deletes
    streets too; the emergency backup holds them, and restoring it brings them back."""
    engine = engine_for(db_url)
    meta = sa.MetaData()
    key = sa.String(20)
    country = sa.Table("Country", meta, sa.Column("id", key, primary_key=True))
    city = sa.Table(
        "City",
        meta,
        sa.Column("id", key, primary_key=True),
        sa.Column("countryId", key, sa.ForeignKey("Country.id", ondelete="CASCADE")),
    )
    street = sa.Table(
        "Street",
        meta,
        sa.Column("id", key, primary_key=True),
        sa.Column("cityId", key, sa.ForeignKey("City.id", ondelete="CASCADE")),
    )
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(country.insert(), [{"id": "FR"}])
        conn.execute(city.insert(), [{"id": "paris", "countryId": "FR"}])
        conn.execute(street.insert(), [{"id": "rivoli", "cityId": "paris"}])
    mgr = manager(db_url, tmp_path / "b")
    backup_id = backup(mgr, tables=["Country"])
    with engine.begin() as conn:
        conn.execute(country.insert(), [{"id": "JP"}])
        conn.execute(city.insert(), [{"id": "tokyo", "countryId": "JP"}])
        conn.execute(street.insert(), [{"id": "ginza", "cityId": "tokyo"}])
    wanted = snapshot(engine, ("Country", "City", "Street"))
    result = restore(mgr, backup_id)
    assert result["plan"]["tables"]["Country"]["cascades"] == [
        {"table": "City", "rows": 1, "onDelete": "CASCADE"}
    ]
    assert table_rows(engine, "Street") == [("rivoli", "paris")]
    emergency = mgr.get_backup(result["emergencyBackupId"])["backup"]
    assert sorted(emergency["tables"]) == ["City", "Country", "Street"]
    restore(mgr, emergency["id"])
    assert snapshot(engine, ("Country", "City", "Street")) == wanted


def test_none_on_a_dry_run_or_when_turned_off(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dino.db'}"
    dino_database(url, users=4, visits=10)
    mgr = manager(url, tmp_path / "b")
    backup_id = backup(mgr)
    assert restore(mgr, backup_id, dry_run=True)["emergencyBackupId"] is None
    assert restore(mgr, backup_id, emergency_backup=False)["emergencyBackupId"] is None
    env = cli_env(url, tmp_path / "b")
    proc = invoke_cli(["restore", backup_id, "--yes", "--no-emergency-backup", "--json"], env)
    assert json_out(proc)["emergencyBackupId"] is None
    assert [b["id"] for b in mgr.list_backups()["backups"]] == [backup_id]
    proc = invoke_cli(["restore", backup_id, "--yes", "--json"], env)
    emergency = json_out(proc)["emergencyBackupId"]
    assert mgr.get_backup(emergency)["backup"]["kind"] == "emergency"


def test_encrypted_when_a_key_is_configured(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dino.db'}"
    dino_database(url, users=4, visits=10)
    mgr = manager(url, tmp_path / "b", key="ab" * 32)
    emergency = restore(mgr, backup(mgr))["emergencyBackupId"]
    assert mgr.get_backup(emergency)["backup"]["encrypted"] is True


def test_a_restore_the_database_refuses_keeps_no_emergency_backup(
    db_url: str, tmp_path: Path
) -> None:
    """A CHECK constraint added after the backup refuses its rows while they are written."""
    engine = engine_for(db_url)
    meta = sa.MetaData()
    gadget = sa.Table(
        "Gadget", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("qty", sa.Integer)
    )
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(gadget.insert(), [{"id": 1, "qty": 5}, {"id": 2, "qty": 500}])
    mgr = manager(db_url, tmp_path / "b")
    backup_id = backup(mgr)
    gadget.drop(engine)
    checked = sa.Table(
        "Gadget",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("qty", sa.Integer),
        sa.CheckConstraint("qty < 100"),
    )
    checked.create(engine)
    with pytest.raises(BackupError, match="nothing changed"):
        mgr.restore_from_backup(RestoreOptions(backup_id))
    assert table_rows(engine, "Gadget") == []
    assert [b["id"] for b in mgr.list_backups()["backups"]] == [backup_id]


def test_whole_archive_checked_before_any_row_is_written(tmp_path: Path) -> None:
    """Damage in the last table of an uncompressed archive whose whole-file checksums were
    made to match: found by the per-table checks before the first table is touched."""
    url = f"sqlite:///{tmp_path / 'dino.db'}"
    engine = dino_database(url, users=4, visits=10)
    mgr = manager(url, tmp_path / "b")
    backup_id = backup(mgr, compress=False)
    meta = mgr.get_backup(backup_id)["backup"]
    assert meta["tables"][-1] == "CountryVisit"
    archive = tmp_path / "b" / meta["file"]
    data = archive.read_bytes()
    section = data.index(b'{"table":"CountryVisit"')
    at = data.index(b'\n["c', section) + 5  # inside the first visit's id: same length after
    damaged = data[:at] + (b"0" if data[at : at + 1] != b"0" else b"1") + data[at + 1 :]
    archive.write_bytes(damaged)
    digest = hashlib.sha256(damaged).hexdigest()
    (tmp_path / "b" / "checksums" / f"{backup_id}.sha256").write_text(f"{digest}  {meta['file']}\n")
    meta_file = tmp_path / "b" / "metadata" / f"{backup_id}.meta.json"
    meta_file.write_bytes(orjson.dumps({**meta, "checksum": digest}))
    with engine.begin() as conn:
        conn.exec_driver_sql('UPDATE "User" SET "name" = \'changed\'')
    before = snapshot(engine)
    with pytest.raises(IntegrityError, match="CountryVisit"):
        mgr.restore_from_backup(RestoreOptions(backup_id))
    assert snapshot(engine) == before
    assert [b["id"] for b in mgr.list_backups()["backups"]] == [backup_id]
