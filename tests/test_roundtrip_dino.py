"""Backing up the DINO database and restoring it gives back exactly the rows it held, on
every engine: table selection on both sides, every codec, and encryption."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from roundtrip_support import (
    backup,
    dino_database,
    execute,
    manager,
    modify_dino,
    restore,
    snapshot,
    wipe,
)

from dino_backup.archive import crypto
from dino_backup.schema.dino import DINO_TABLES

SESSION_TABLES = ("Account", "Session", "VerificationToken")



def test_restore_after_wipe_gives_identical_rows(db_url: str, tmp_path: Path) -> None:
    engine = dino_database(db_url)
    before = snapshot(engine)
    mgr = manager(db_url, tmp_path / "b")
    backup_id = backup(mgr, include_sessions=True)
    wipe(engine)
    result = restore(mgr, backup_id)
    assert snapshot(engine) == before
    assert sorted(result["restoredTables"]) == sorted(DINO_TABLES)
    assert result["plan"]["tables"]["CountryVisit"]["insert"] == len(before["CountryVisit"])
    assert result["warnings"] == []


def test_restore_undoes_updates_deletes_and_inserts(db_url: str, tmp_path: Path) -> None:
    engine = dino_database(db_url)
    before = snapshot(engine)
    mgr = manager(db_url, tmp_path / "b")
    backup_id = backup(mgr, include_sessions=True)
    modify_dino(engine)
    assert snapshot(engine) != before
    result = restore(mgr, backup_id)
    assert snapshot(engine) == before
    changes = result["plan"]["tables"]
    assert changes["User"]["delete"] == 1
    assert changes["User"]["update"] == 3
    assert changes["CountryVisit"]["insert"] > 0
    assert changes["CountryVisit"]["update"] > 0
    session = changes["Session"]
    assert (session["insert"], session["update"], session["delete"]) == (1, 0, 0)


def test_restore_of_unchanged_database_changes_nothing(db_url: str, tmp_path: Path) -> None:
    engine = dino_database(db_url)
    before = snapshot(engine)
    mgr = manager(db_url, tmp_path / "b")
    result = restore(mgr, backup(mgr, include_sessions=True))
    assert snapshot(engine) == before
    for table, counts in result["plan"]["tables"].items():
        assert (counts["insert"], counts["update"], counts["delete"]) == (0, 0, 0), table


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"include_sessions": False}, {"User", "CountryVisit"}),
        ({"include_sessions": True}, set(DINO_TABLES)),
        ({"include_user_data": False}, {"User"}),
    ],
)
def test_backup_options_select_the_table_groups(
    db_url: str, tmp_path: Path, options: dict[str, bool], expected: set[str]
) -> None:
    engine = dino_database(db_url)
    before = snapshot(engine)
    mgr = manager(db_url, tmp_path / "b")
    backup_id = backup(mgr, **options)
    meta = mgr.get_backup(backup_id)["backup"]
    assert set(meta["tables"]) == expected
    assert meta["recordCounts"] == {t: len(before[t]) for t in expected}
    modify_dino(engine)
    modified = snapshot(engine)
    result = restore(mgr, backup_id)
    after = snapshot(engine)
    assert set(result["restoredTables"]) == expected
    for table in expected:
        assert after[table] == before[table], table
    for table in set(DINO_TABLES) - expected:
        assert after[table] == modified[table], table


def test_skip_user_data_leaves_visits_as_they_are(db_url: str, tmp_path: Path) -> None:
    engine = dino_database(db_url)
    before = snapshot(engine)
    mgr = manager(db_url, tmp_path / "b")
    backup_id = backup(mgr, include_sessions=True)
    execute(engine, 'UPDATE "CountryVisit" SET "notes" = \'edited\'', 'DELETE FROM "Session"')
    execute(engine, 'UPDATE "User" SET "image" = NULL')
    edited = snapshot(engine)
    result = restore(mgr, backup_id, skip_user_data=True)
    after = snapshot(engine)
    assert "CountryVisit" not in result["restoredTables"]
    assert after["CountryVisit"] == edited["CountryVisit"]
    for table in ("User", *SESSION_TABLES):
        assert after[table] == before[table], table


def test_skip_sessions_leaves_session_tables_as_they_are(db_url: str, tmp_path: Path) -> None:
    engine = dino_database(db_url)
    before = snapshot(engine)
    mgr = manager(db_url, tmp_path / "b")
    backup_id = backup(mgr, include_sessions=True)
    execute(engine, 'DELETE FROM "Session"', 'UPDATE "Account" SET "scope" = \'x\'')
    execute(engine, 'UPDATE "CountryVisit" SET "notes" = \'edited\'')
    edited = snapshot(engine)
    result = restore(mgr, backup_id, skip_sessions=True)
    after = snapshot(engine)
    assert set(result["restoredTables"]) == {"User", "CountryVisit"}
    for table in SESSION_TABLES:
        assert after[table] == edited[table], table
    assert after["User"] == before["User"]
    assert after["CountryVisit"] == before["CountryVisit"]


def test_explicit_tables_restore_only_those(db_url: str, tmp_path: Path) -> None:
    engine = dino_database(db_url)
    before = snapshot(engine)
    mgr = manager(db_url, tmp_path / "b")
    backup_id = backup(mgr, include_sessions=True)
    execute(engine, 'UPDATE "CountryVisit" SET "notes" = \'edited\'')
    execute(engine, 'UPDATE "Account" SET "scope" = \'x\'', 'UPDATE "User" SET "image" = \'i\'')
    edited = snapshot(engine)
    result = restore(mgr, backup_id, tables=["CountryVisit", "Account"])
    after = snapshot(engine)
    assert sorted(result["restoredTables"]) == ["Account", "CountryVisit"]
    assert after["CountryVisit"] == before["CountryVisit"]
    assert after["Account"] == before["Account"]
    assert after["User"] == edited["User"]


def _decompressed(path: Path, codec: str) -> bytes:
    if codec == "none":
        return path.read_bytes()
    tool = {"zstd": ["zstd", "-dc"], "gzip": ["gzip", "-dc"]}[codec]
    return subprocess.run([*tool, str(path)], check=True, capture_output=True).stdout


def _sections(lines: list[bytes]) -> tuple[dict[str, str], int]:
    """Table name -> row encoding, and the number of rows, of a decompressed archive: every
    line is JSON, except the rows of a "pgcopy" section (tab-separated COPY text)."""
    headers: dict[str, str] = {}
    rows = 0
    kinds: list[str] | None = None
    for line in lines:
        if line.startswith((b'{"dino_backup', b'{"table"', b'{"manifest"')):
            head = json.loads(line)
            if "table" in head:
                headers[head["table"]] = head.get("encoding", "json")
                kinds = head.get("kinds")
        elif kinds is not None:
            assert len(line.split(b"\t")) == len(kinds)
            rows += 1
        else:
            assert isinstance(json.loads(line), list)
            rows += 1
    return headers, rows


@pytest.mark.parametrize("codec", ["zstd", "gzip", "none"])
def test_every_codec_round_trips_and_reads_with_standard_tools(
    db_url: str, tmp_path: Path, codec: str
) -> None:
    engine = dino_database(db_url)
    before = snapshot(engine)
    mgr = manager(db_url, tmp_path / "b")
    backup_id = backup(mgr, include_sessions=True, compression=codec, compress=codec != "none")
    meta = mgr.get_backup(backup_id)["backup"]
    assert meta["compression"] == codec
    lines = _decompressed(tmp_path / "b" / meta["file"], codec).splitlines()
    headers, rows = _sections(lines)
    assert sorted(headers) == sorted(DINO_TABLES)
    # PostgreSQL's tables are stored as its own COPY text, every other engine's as JSON
    expected = "pgcopy" if db_url.startswith("postgresql") else "json"
    assert set(headers.values()) == {expected}
    assert rows == sum(len(v) for v in before.values())
    wipe(engine)
    restore(mgr, backup_id)
    assert snapshot(engine) == before


def test_encrypted_backup_round_trips(db_url: str, tmp_path: Path) -> None:
    engine = dino_database(db_url)
    before = snapshot(engine)
    mgr = manager(db_url, tmp_path / "b", key=crypto.generate_key())
    backup_id = backup(mgr, include_sessions=True, encrypt=True)
    meta = mgr.get_backup(backup_id)["backup"]
    assert meta["encrypted"] is True
    data = (tmp_path / "b" / meta["file"]).read_bytes()
    assert crypto.is_encrypted(data[:16])
    assert b"CountryVisit" not in data
    modify_dino(engine)
    wipe(engine, ("Session",))
    restore(mgr, backup_id)
    assert snapshot(engine) == before
