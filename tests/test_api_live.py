"""The main job end to end: `dino-backup demo` serving on loopback, and the seed's own
`fetch` usage examples reproduced with httpx against it (by bearer token, as a script
would, and with a browser's session cookie, where CSRF applies)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import pytest

from dino_backup.audit import audit_log_for

LAUNCH = "from dino_backup.cli.app import main; main()"


@dataclass
class Live:
    url: str
    token: str
    cwd: Path


def clean_env(**extra: str) -> dict[str, str]:
    drop = ("DATABASE_URL", "BACKUP_DIR", "ADMIN_EMAILS")
    return {**{k: v for k, v in os.environ.items() if k not in drop}, **extra}


def read_until(stream: IO[str], pattern: str, deadline: float) -> list[str]:
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        seen.append(line.rstrip("\n"))
        if re.search(pattern, line):
            return seen
    raise AssertionError(f"{pattern!r} never printed; got: {seen}")


def start(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCH, *args], cwd=cwd, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    cwd = tmp_path_factory.mktemp("live")
    proc = start(["demo", "--port", "0", "--users", "8", "--visits", "40"], cwd, clean_env())
    try:
        assert proc.stdout is not None
        lines = read_until(proc.stdout, r"^bearer token", time.monotonic() + 60)
        url = re.search(r"ready at (http://127\.0\.0\.1:\d+)", "\n".join(lines))
        token = lines[-1].rsplit(" ", 1)[-1]
        assert url, lines
        yield Live(url.group(1), token, cwd)
    finally:
        stop(proc)


def test_demo_made_its_database_and_backup_dir(live: Live) -> None:
    assert (live.cwd / "demo" / "dino.db").is_file()
    assert httpx.get(f"{live.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{live.url}/api/backup").status_code == 401


def test_seed_examples_by_bearer_token(live: Live) -> None:
    """createBackup() and listBackups() from the seed, with the token a script would use."""
    auth = {"Authorization": f"Bearer {live.token}"}
    # const response = await fetch('/api/backup', {method: 'POST', headers: {'Content-Type':
    #   'application/json'}, body: JSON.stringify({includeUserData: true, compress: true})})
    response = httpx.post(f"{live.url}/api/backup",
                          headers={"Content-Type": "application/json", **auth},
                          content=b'{"includeUserData": true, "compress": true}', timeout=30)
    result = response.json()
    assert response.status_code == 200 and result["success"] is True
    assert result["message"].startswith(f"Backup {result['backupId']} created")
    # const response = await fetch('/api/backup'); const data = await response.json()
    data = httpx.get(f"{live.url}/api/backup", headers=auth).json()
    assert data["backups"][0]["id"] == result["backupId"]
    assert {"id", "timestamp", "version", "tables", "recordCounts", "size", "checksum",
            "environment"} <= set(data["backups"][0])
    stats = httpx.get(f"{live.url}/api/backup", params={"action": "stats"}, headers=auth).json()
    assert stats["success"] and stats["stats"]["totalBackups"] == len(data["backups"])
    # The seed's restore usage: a dry run first, skipping sessions.
    restore = httpx.post(f"{live.url}/api/backup/restore", headers=auth, timeout=30, json={
        "backupId": result["backupId"], "dryRun": True, "skipSessions": True})
    body = restore.json()
    assert restore.status_code == 200
    assert set(body["restoredTables"]) == {"User", "CountryVisit"}
    assert body["recordCounts"]["CountryVisit"] == 40 and body["warnings"] == []
    download = httpx.get(f"{live.url}/api/backup/{result['backupId']}/download", headers=auth)
    assert download.status_code == 200 and len(download.content) == data["backups"][0]["size"]


def test_seed_examples_from_a_browser_session(live: Live) -> None:
    """The same fetch calls as a signed-in browser makes them: the session cookie is sent
    automatically, so a POST without the CSRF header is refused; with it, it goes through."""
    with httpx.Client(base_url=live.url, cookies={"next-auth.session-token": live.token},
                      timeout=30) as browser:
        assert browser.get("/api/backup").json()["success"] is True
        literal = browser.post("/api/backup", json={"includeUserData": True, "compress": True})
        assert literal.status_code == 403
        assert literal.json()["success"] is False and "CSRF" in literal.json()["error"]
        token = browser.get("/api/csrf").json()["csrfToken"]
        created = browser.post("/api/backup", json={"includeUserData": True, "compress": True},
                               headers={"X-CSRF-Token": token})
        assert created.status_code == 200 and created.json()["success"] is True
        gone = browser.delete("/api/backup", params={"id": created.json()["backupId"]},
                              headers={"X-CSRF-Token": token})
        assert gone.json() == {"success": True,
                               "message": f"Backup {created.json()['backupId']} deleted"}


def test_the_live_server_wrote_an_intact_audit_log(live: Live) -> None:
    test_seed_examples_by_bearer_token(live)
    log = audit_log_for(live.cwd / "demo" / "backups")
    assert log.verify().ok
    actions = {e["action"] for e in log.tail(100)}
    assert {"session.create", "backup.create", "backup.list", "backup.restore"} <= actions


def test_serve_command_starts_and_answers(tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'dino.db'}",
                    BACKUP_DIR=str(tmp_path / "backups"), ADMIN_EMAILS="ops@example.com")
    proc = start(["serve", "--port", "0"], tmp_path, env)
    try:
        assert proc.stdout is not None
        lines = read_until(proc.stdout, r"ready at", time.monotonic() + 30)
        url = lines[-1].rsplit(" ", 1)[-1]
        assert httpx.get(f"{url}/healthz").status_code == 200
        assert httpx.get(f"{url}/openapi.json").json()["info"]["title"] == "DINO Backup API"
    finally:
        stop(proc)
