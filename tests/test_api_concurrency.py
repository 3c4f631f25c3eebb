"""One backup or restore at a time: concurrent creates give one 200 and 409s, reads stay
fast while a backup runs (it runs off the event loop), and the locks hold across processes
(file lock) and across hosts sharing a PostgreSQL database (advisory lock)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from api_support import World, bearer, live_server, make_world
from conftest import make_database

from dino_backup.core.context import ProgressFn, no_progress
from dino_backup.core.lock import PG_LOCK_KEY, exclusive
from dino_backup.core.manager import BackupManager
from dino_backup.core.options import BackupOptions
from dino_backup.dialects import create_engine
from dino_backup.errors import Busy


class GatedManager(BackupManager):
    """The real manager; its backups wait at their first progress report (inside the lock)
    until the test opens the gate, so the test decides how long a backup takes."""

    def __init__(self, manager: BackupManager) -> None:
        super().__init__(manager.ctx)
        self.inside = threading.Event()
        self.gate = threading.Event()

    def create_backup(
        self, options: BackupOptions | None = None, progress: ProgressFn = no_progress
    ) -> dict[str, Any]:
        def hold(table: str, done: int, total: int) -> None:
            self.inside.set()
            self.gate.wait(20)

        return super().create_backup(options, hold)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)


def _post(url: str, token: str) -> httpx.Response:
    return httpx.post(f"{url}/api/backup", json={"includeUserData": True},
                      headers=bearer(token), timeout=30)


def test_concurrent_creates_give_one_200_and_409s_while_reads_stay_fast(world: World) -> None:
    manager = GatedManager(world.manager())
    with live_server(world.app(manager)) as url, ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(_post, url, world.admin) for _ in range(6)]
        assert manager.inside.wait(10), "no backup started"
        deadline = time.monotonic() + 10
        while sum(f.done() for f in futures) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        started = time.monotonic()
        listed = httpx.get(f"{url}/api/backup", headers=bearer(world.admin), timeout=5)
        assert listed.status_code == 200 and time.monotonic() - started < 2
        assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
        manager.gate.set()
        responses = [f.result(timeout=20) for f in futures]
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409, 409, 409, 409, 409]
    refused = next(r for r in responses if r.status_code == 409).json()
    assert refused["success"] is False and "another backup or restore" in refused["error"]


def test_restore_is_refused_while_a_backup_runs(world: World) -> None:
    backup_id = world.manager().create_backup(BackupOptions())["backupId"]
    manager = GatedManager(world.manager())
    with live_server(world.app(manager)) as url, ThreadPoolExecutor(2) as pool:
        creating = pool.submit(_post, url, world.admin)
        assert manager.inside.wait(10)
        body = {"backupId": backup_id, "dryRun": True}
        restore = httpx.post(f"{url}/api/backup/restore", json=body, headers=bearer(world.admin))
        manager.gate.set()
        assert creating.result(timeout=20).status_code == 200
    assert restore.status_code == 409


def test_a_lock_held_by_another_process_gives_409(world: World) -> None:
    from api_support import TestClient

    client = TestClient(world.app(), headers=bearer(world.admin))
    lock_path = world.manager().ctx.lock_path
    with exclusive(lock_path, "test"):  # a separate open file description: like a process
        assert client.post("/api/backup", json={}).status_code == 409
    assert client.post("/api/backup", json={}).status_code == 200


HOLD = {
    "postgresql": ("SELECT pg_try_advisory_lock(:k)", "SELECT pg_advisory_unlock(:k)"),
    "mysql": ("SELECT GET_LOCK(:n, 0)", "SELECT RELEASE_LOCK(:n)"),
}


@pytest.fixture(params=list(HOLD))
def server_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from make_database(request.param, tmp_path)


def test_database_advisory_lock_refuses_a_second_host(server_url: str, tmp_path: Path) -> None:
    engine = create_engine(server_url)
    take, release = (sa.text(s) for s in HOLD[engine.dialect.name])
    params = {"k": PG_LOCK_KEY, "n": f"dino-backup.{engine.url.database}"}
    try:
        with engine.connect() as other_host:
            assert other_host.execute(take, params).scalar()
            with pytest.raises(Busy):  # a different lock file: only the database can tell
                with exclusive(tmp_path / "a" / ".lock", "backup", engine):
                    pass
            other_host.execute(release, params)
        with exclusive(tmp_path / "a" / ".lock", "backup", engine):
            with pytest.raises(Busy):
                with exclusive(tmp_path / "b" / ".lock", "backup", engine):
                    pass
        with exclusive(tmp_path / "b" / ".lock", "backup", engine):
            pass  # released again
    finally:
        engine.dispose()
