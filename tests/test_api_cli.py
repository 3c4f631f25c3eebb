"""The commands around the API: admin-session (a token for scripts) and demo --no-serve."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import TestClient, World, bearer, make_world
from typer.testing import CliRunner

from dino_backup.audit import audit_log_for
from dino_backup.cli.app import app
from dino_backup.cli.state import manager


@pytest.fixture(autouse=True)
def fresh_manager() -> Iterator[None]:
    manager.cache_clear()  # the CLI builds its manager from the environment once per process
    yield
    manager.cache_clear()


def _run(world: World, *args: str, admins: str = "admin.user@example.com") -> object:
    env = {"DATABASE_URL": world.url, "BACKUP_DIR": str(world.backup_dir), "ADMIN_EMAILS": admins}
    return CliRunner().invoke(app, list(args), env=env)


def test_admin_session_prints_a_working_token_once(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    result = _run(world, "admin-session", "--email", "ADMIN.user@example.com", "--hours", "2")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    token = result.stdout.strip()  # type: ignore[attr-defined]
    assert len(token) >= 40 and "\n" not in token
    entry = audit_log_for(world.backup_dir).tail(1)[0]
    assert entry["action"] == "session.create" and token not in json.dumps(entry)
    assert entry["subject"]["email"] == "A***r@example.com"
    client = TestClient(world.app())
    assert client.get("/api/backup", headers=bearer(token)).status_code == 200


def test_admin_session_json_and_warnings(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    result = _run(world, "admin-session", "--email", "traveller@example.com", "--json")
    assert result.exit_code == 0  # type: ignore[attr-defined]
    body = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert body["success"] is True and body["token"] and body["expires"]
    assert "not in ADMIN_EMAILS" in result.stderr  # type: ignore[attr-defined]


@pytest.mark.parametrize(("email", "code"), [("nobody@example.com", 3), ("not-an-email", 2)])
def test_admin_session_refuses_unknown_users(tmp_path: Path, email: str, code: int) -> None:
    world = make_world(tmp_path)
    result = _run(world, "admin-session", "--email", email)
    assert result.exit_code == code  # type: ignore[attr-defined]


def test_demo_no_serve_sets_up_backs_up_verifies_and_dry_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "BACKUP_DIR", "ADMIN_EMAILS"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--no-serve", "--users", "4", "--visits", "10"])
    assert first.exit_code == 0, first.output
    out = first.stdout
    assert "demo data:" in out and " created: " in out and " verified: " in out
    assert "would be restored (dry run; nothing changed)" in out
    assert re.search(r"curl -H 'Authorization: Bearer \S+' http://127\.0\.0\.1:8000/api/backup",
                     out)
    assert (tmp_path / "demo" / "dino.db").is_file()
    assert len(list((tmp_path / "demo" / "backups" / "metadata").iterdir())) == 1
    # A second run keeps the data it made (no duplicate demo rows) and takes one more backup.
    manager.cache_clear()
    again = runner.invoke(app, ["demo", "--no-serve"])
    assert again.exit_code == 0 and "demo data:" not in again.stdout
    assert len(list((tmp_path / "demo" / "backups" / "metadata").iterdir())) == 2
