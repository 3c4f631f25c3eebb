"""A backup taken while another connection writes holds each writer transaction entirely or
not at all: it is one snapshot, on every engine.

The writer inserts users together with their visits, moves rows between two ledger tables
and transfers amounts between them, one transaction each. The backup is slowed down (tiny
batches, a progress callback that sleeps) so that many of those commits land while it
reads. The archive must then satisfy the invariants every committed state satisfies.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from failure_support import engine_for, make_manager, seed_dino

from dino_backup.archive.reader import open_archive
from dino_backup.core.options import BackupOptions
from dino_backup.schema import dino

LEDGER_ROWS = 30
START_AMOUNT = 100
VISITS_PER_USER = 3

_ledger_md = sa.MetaData()
LEDGERS = {
    name: sa.Table(
        name,
        _ledger_md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("amount", sa.Integer, nullable=False),
        quote=True,
    )
    for name in ("LedgerA", "LedgerB")
}


def _prepare(url: str) -> None:
    seed_dino(url, users=15, visits=60)
    with engine_for(url) as engine:
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:  # readers and writers side by side, as in production
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        _ledger_md.create_all(engine)
        with engine.begin() as conn:
            for i, table in enumerate(LEDGERS.values()):
                rows = [{"id": i * 1000 + n, "amount": START_AMOUNT} for n in range(LEDGER_ROWS)]
                conn.execute(table.insert(), rows)


class Writer(threading.Thread):
    """Commits small transactions in a loop until stopped; remembers when each committed."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.stop = threading.Event()
        self.commits: list[float] = []
        self.error: BaseException | None = None
        self.rng = random.Random(7)
        self.where = {
            i * 1000 + n: name for i, name in enumerate(LEDGERS) for n in range(LEDGER_ROWS)
        }
        self.users = 0

    def run(self) -> None:
        try:
            with engine_for(self.url) as engine:
                steps = (self._add_user, self._move_row, self._transfer)
                while not self.stop.is_set():
                    step = steps[len(self.commits) % len(steps)]
                    with engine.begin() as conn:
                        step(conn)
                    self.commits.append(time.monotonic())
        except BaseException as exc:  # reported by the test
            self.error = exc

    def _add_user(self, conn: sa.Connection) -> None:
        self.users += 1
        uid = f"writer-{self.users:05d}"
        now = datetime(2025, 1, 1, 12, 0, 0)
        conn.execute(
            dino.user.insert(),
            {"id": uid, "email": f"{uid}@example.com", "createdAt": now, "updatedAt": now},
        )
        time.sleep(0.002)  # keep the transaction open a moment: half of it must never show
        visits = [
            {
                "id": f"{uid}-v{i}",
                "userId": uid,
                "country": "JP",
                "entryDate": now,
                "createdAt": now,
                "updatedAt": now,
            }
            for i in range(VISITS_PER_USER)
        ]
        conn.execute(dino.country_visit.insert(), visits)

    def _move_row(self, conn: sa.Connection) -> None:
        row_id = self.rng.choice(sorted(self.where))
        source = LEDGERS[self.where[row_id]]
        target_name = "LedgerB" if source.name == "LedgerA" else "LedgerA"
        amount = conn.execute(sa.select(source.c.amount).where(source.c.id == row_id)).scalar_one()
        conn.execute(source.delete().where(source.c.id == row_id))
        time.sleep(0.002)
        conn.execute(LEDGERS[target_name].insert(), {"id": row_id, "amount": amount})
        self.where[row_id] = target_name

    def _transfer(self, conn: sa.Connection) -> None:
        a, b = self.rng.sample(sorted(self.where), 2)
        for row_id, delta in ((a, -7), (b, 7)):
            table = LEDGERS[self.where[row_id]]
            conn.execute(
                table.update().where(table.c.id == row_id).values(amount=table.c.amount + delta)
            )
            time.sleep(0.002)


def _archive_rows(mgr: Any, meta: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    storage = mgr.ctx.storage
    with storage.open_read(meta["file"]) as f:
        reader = open_archive(f, storage.size(meta["file"]), None)
        out = {}
        for name, entry in reader.tables.items():
            columns = [c["name"] for c in entry["schema"]["columns"]]
            out[name] = [
                dict(zip(columns, row, strict=True))
                for batch in reader.iter_batches(name)
                for row in batch
            ]
        return out


def _check_invariants(rows: dict[str, list[dict[str, Any]]]) -> None:
    users = {u["id"] for u in rows["User"]}
    orphans = [v["id"] for v in rows["CountryVisit"] if v["userId"] not in users]
    assert not orphans, f"visits whose user is not in the backup: {orphans[:5]}"
    per_user = Counter(
        v["userId"] for v in rows["CountryVisit"] if v["userId"].startswith("writer-")
    )
    writer_users = {u for u in users if u.startswith("writer-")}
    assert writer_users == set(per_user), "a writer's user without its visits"
    assert set(per_user.values()) <= {VISITS_PER_USER}, per_user
    ids_a = [r["id"] for r in rows["LedgerA"]]
    ids_b = [r["id"] for r in rows["LedgerB"]]
    assert len(ids_a) + len(ids_b) == 2 * LEDGER_ROWS, "a moved row is missing or doubled"
    assert not set(ids_a) & set(ids_b), "a moved row is in both tables"
    total = sum(r["amount"] for r in rows["LedgerA"] + rows["LedgerB"])
    assert total == 2 * LEDGER_ROWS * START_AMOUNT, "a transfer is half in the backup"


def test_backup_under_concurrent_writes_is_one_snapshot(db_url: str, tmp_path: Path) -> None:
    _prepare(db_url)
    mgr = make_manager(db_url, tmp_path / "backups")
    mgr.ctx.dialect.batch_size = 4
    calls = 0

    def slow_progress(table: str, done: int, total: int) -> None:
        nonlocal calls
        calls += 1
        if calls <= 40:
            time.sleep(0.04)

    writer = Writer(db_url)
    writer.start()
    try:
        while len(writer.commits) < 6 and writer.is_alive():
            time.sleep(0.01)
        started = time.monotonic()
        result = mgr.create_backup(BackupOptions(include_sessions=True), slow_progress)
        finished = time.monotonic()
    finally:
        writer.stop.set()
        writer.join(timeout=30)
        mgr.ctx.engine.dispose()
    if writer.error is not None:
        raise writer.error
    overlapping = [t for t in writer.commits if started < t < finished]
    assert len(overlapping) >= 10, "the writer did not commit while the backup ran"
    assert "LedgerA" in result["metadata"]["tables"]
    rows = _archive_rows(mgr, result["metadata"])
    _check_invariants(rows)
    assert any(u["id"].startswith("writer-") for u in rows["User"]), "commits before it missing"
    assert {n: len(r) for n, r in rows.items()} == result["metadata"]["recordCounts"]
    assert mgr.verify_backup(result["backupId"])["valid"] is True


def test_sqlite_rollback_journal_writer_waits(sqlite_url: str, tmp_path: Path) -> None:
    """Without WAL, SQLite writers wait for the backup's read lock; the result is the same."""
    _prepare(sqlite_url)
    with engine_for(sqlite_url) as engine, engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
    mgr = make_manager(sqlite_url, tmp_path / "backups")
    mgr.ctx.dialect.batch_size = 4
    writer = Writer(sqlite_url)
    writer.start()
    try:
        while len(writer.commits) < 3 and writer.is_alive():
            time.sleep(0.01)
        result = mgr.create_backup(
            BackupOptions(include_sessions=True), lambda *a: time.sleep(0.01)
        )
    finally:
        writer.stop.set()
        writer.join(timeout=30)
        mgr.ctx.engine.dispose()
    if writer.error is not None:
        raise writer.error
    _check_invariants(_archive_rows(mgr, result["metadata"]))
