"""A preview of a table with a million rows holds no table in memory: `dino-backup restore
--dry-run` peaks within a fixed bound and within the same bound as `dino-backup create`
of that table (each measured as its own process's peak RSS)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
from failure_support import CLI, cli_env
from roundtrip_support import engine_for

from dino_backup.schema.dino import create_schema

VISITS = 1_000_000
USERS = 1000
BOUND_MB = 200
CHANGED = 1000  # rows updated, deleted and inserted after the backup


def fill(path: Path) -> None:
    """DINO tables with 1000 users and a million visits, made by SQLite itself (seconds).

    Ids ascend (so the indexes are appended to) but carry random digits, and dates and
    notes vary, so the data compresses about as well as real visits do."""
    engine = engine_for(f"sqlite:///{path}")
    create_schema(engine)
    engine.dispose()
    with sqlite3.connect(path) as db:
        db.execute(
            'INSERT INTO "User" ("id", "name", "email", "createdAt", "updatedAt") '
            f"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {USERS - 1})"
            " SELECT printf('u%04d', i), 'User ' || i, printf('user%04d@example.com', i), "
            "'2024-01-01 00:00:00.000', '2024-01-01 00:00:00.000' FROM n"
        )
        db.execute(
            'INSERT INTO "CountryVisit" ("id", "userId", "country", "entryDate", "exitDate", '
            '"visaType", "maxDays", "passportCountry", "notes", "createdAt", "updatedAt") '
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n "
            f"WHERE i < {VISITS - 1})"
            " SELECT printf('c%07d', i) || lower(hex(randomblob(6))),"
            f" printf('u%04d', i * {USERS} / {VISITS}),"
            " substr('JPFRUSTHDEITESKRVNGBMX', 1 + abs(random() % 11) * 2, 2),"
            " strftime('%Y-%m-%d %H:%M:%f', 1514764800 + abs(random() % 220000000), 'unixepoch'),"
            " NULL, 'Visa-free', 90, 'US',"
            " CASE WHEN random() % 10 = 0 THEN 'note ' || hex(randomblob(4)) END,"
            " '2024-01-01 00:00:00.000', '2024-01-01 00:00:00.000' FROM n"
        )


def change(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            f"""UPDATE "CountryVisit" SET "notes" = 'changed' WHERE "id" < 'c{CHANGED:07d}'"""
        )
        db.execute(f"""DELETE FROM "CountryVisit" WHERE "id" >= 'c{VISITS - CHANGED:07d}'""")
        db.execute(
            'INSERT INTO "CountryVisit" ("id", "userId", "country", "entryDate", "createdAt", '
            '"updatedAt") WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n '
            f"WHERE i < {CHANGED - 1}) SELECT printf('new%07d', i), 'u0001', 'JP', "
            "'2025-01-01 00:00:00.000', '2025-01-01 00:00:00.000', '2025-01-01 00:00:00.000' FROM n"
        )


# Runs a command and writes its peak RSS (KiB) to a file. A child's ru_maxrss counts the
# memory of the process it was forked from up to its exec, so the CLI is started from this
# small process rather than from pytest (whose own size would otherwise be measured).
_MEASURE = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(args: list[str], env: dict[str, str], tmp: Path) -> tuple[dict[str, Any], float]:
    """Run the installed CLI; (its JSON result, its peak RSS in MB)."""
    peak = tmp / "peak_rss"
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(peak), str(CLI), *args, "--json"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    return orjson.loads(proc.stdout), int(peak.read_text()) / 1024  # KiB on Linux


def test_preview_of_a_million_rows_stays_within_the_backup_memory_bound(tmp_path: Path) -> None:
    path = tmp_path / "dino.db"
    fill(path)
    env = cli_env(f"sqlite:///{path}", tmp_path / "backups")
    created, backup_mb = run_measured(["create"], env, tmp_path)
    assert created["metadata"]["recordCounts"]["CountryVisit"] == VISITS
    change(path)
    preview, preview_mb = run_measured(["restore", created["backupId"], "--dry-run"], env, tmp_path)
    visits = preview["plan"]["tables"]["CountryVisit"]
    assert (visits["insert"], visits["update"], visits["delete"]) == (CHANGED, CHANGED, CHANGED)
    assert visits["unchanged"] == VISITS - 2 * CHANGED
    assert visits["changedColumns"] == ["notes"]
    with sqlite3.connect(path) as db:  # the preview changed nothing
        assert db.execute('SELECT COUNT(*) FROM "CountryVisit"').fetchone() == (VISITS,)
    print(f"peak RSS: create {backup_mb:.0f} MB, preview {preview_mb:.0f} MB")
    assert preview_mb < BOUND_MB, (preview_mb, backup_mb)
    assert preview_mb <= 1.5 * backup_mb, (preview_mb, backup_mb)
