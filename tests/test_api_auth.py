"""Sign-in and admin: no session, expired session, non-admin, admin by cookie, admin by bearer,
against every endpoint; and what the audit log and the server log record about it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from api_support import (
    ADMIN,
    OTHER,
    SESSION_COOKIE,
    TestClient,
    World,
    audit_entries,
    bearer,
    csrf_header,
    make_world,
    sign_in_by_cookie,
)

from dino_backup.api.config import ApiConfig
from dino_backup.api.sessions import parse_expiry
from dino_backup.core.options import BackupOptions

# (method, path template, JSON body); {id} is a fresh backup for each request.
ENDPOINTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/backup", None),
    ("GET", "/api/backup?action=stats", None),
    ("POST", "/api/backup", {"includeUserData": True, "compress": True}),
    ("DELETE", "/api/backup?id={id}", None),
    ("POST", "/api/backup/restore", {"backupId": "{id}", "dryRun": True}),
    ("GET", "/api/backup/health", None),
    ("GET", "/api/backup/{id}", None),
    ("POST", "/api/backup/{id}/verify", None),
    ("GET", "/api/backup/{id}/download", None),
    ("GET", "/api/csrf", None),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory.mktemp("auth"))


@pytest.fixture(scope="module")
def backup_id(world: World) -> str:
    return str(world.manager().create_backup(BackupOptions())["backupId"])


def _call(
    client: TestClient, endpoint: tuple[str, str, Any], backup: str, headers: dict[str, str]
) -> Any:
    method, path, body = endpoint
    path = path.replace("{id}", backup)
    if body is not None:
        body = {k: (backup if v == "{id}" else v) for k, v in body.items()}
    return client.request(method, path, json=body, headers=headers)


IDENTITIES = ["none", "expired", "non-admin", "admin-cookie", "admin-bearer"]
EXPECTED = {"none": 401, "expired": 401, "non-admin": 403, "admin-cookie": 200, "admin-bearer": 200}


def _signed_in(world: World, client: TestClient, who: str) -> dict[str, str]:
    if who == "none":
        return {}
    if who == "expired":
        return bearer(world.admin_expired)
    if who == "non-admin":
        return bearer(world.other)
    if who == "admin-bearer":
        return bearer(world.admin)
    return csrf_header(sign_in_by_cookie(client, world.admin))


@pytest.mark.parametrize("who", IDENTITIES)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e[0]} {e[1]}")
def test_every_endpoint_needs_a_signed_in_admin(
    world: World, backup_id: str, endpoint: tuple[str, str, Any], who: str
) -> None:
    client = world.client()
    headers = _signed_in(world, client, who)
    target = backup_id
    if endpoint[0] == "DELETE" and EXPECTED[who] == 200:
        target = world.manager().create_backup(BackupOptions(include_user_data=False))["backupId"]
    response = _call(client, endpoint, target, headers)
    assert response.status_code == EXPECTED[who], response.text
    if EXPECTED[who] != 200:
        assert response.json() == {"success": False, "error": response.json()["error"]}
    elif "download" not in endpoint[1]:
        assert response.json()["success"] is True


def test_expired_session_stored_as_text_is_refused_too(world: World) -> None:
    client = world.client()
    with world.engine.begin() as conn:
        conn.exec_driver_sql(
            'UPDATE "Session" SET "expires" = \'2001-01-01 00:00:00.000\' WHERE "sessionToken" = ?',
            (world.other,),
        )
    try:
        assert client.get("/api/backup", headers=bearer(world.other)).status_code == 401
    finally:
        with world.engine.begin() as conn:
            conn.exec_driver_sql(
                'UPDATE "Session" SET "expires" = \'2999-01-01 00:00:00.000\' '
                'WHERE "sessionToken" = ?', (world.other,),
            )


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-a-session"},
        {"Authorization": "Bearer " + "x" * 5000},
        {"Authorization": "Bearer tok\u00e9n\u0000".encode()},
    ],
    ids=["basic", "empty-bearer", "unknown", "overlong", "non-ascii"],
)
def test_bad_credentials_get_401(world: World, headers: dict[str, Any]) -> None:
    response = world.client().get("/api/backup", headers=headers)
    assert response.status_code == 401
    assert response.json()["success"] is False


def test_secure_cookie_name_and_bearer_over_cookie(world: World) -> None:
    client = world.client()
    client.cookies.set("__Secure-next-auth.session-token", world.admin)
    assert client.get("/api/backup").status_code == 200
    # When both are sent, the explicit bearer token decides.
    client.cookies.set(SESSION_COOKIE, world.admin)
    assert client.get("/api/backup", headers=bearer(world.other)).status_code == 403


def test_case_changed_token_is_not_accepted(world: World) -> None:
    swapped = world.admin.swapcase()
    assert swapped != world.admin
    assert world.client().get("/api/backup", headers=bearer(swapped)).status_code == 401


def test_admin_emails_are_trimmed_and_case_insensitive() -> None:
    config = ApiConfig.from_env({"ADMIN_EMAILS": " Boss@Example.com , ,ops@example.com "})
    assert config.admin_emails == {"boss@example.com", "ops@example.com"}
    assert config.is_admin("BOSS@example.COM")
    assert not config.is_admin("boss@example.com.evil")
    assert not config.is_admin(None)
    assert not ApiConfig.from_env({}).is_admin("anyone@example.com")


def test_admin_is_required_outside_production_too(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    for env in ("development", "staging", "test"):
        settings = world.settings()
        client = TestClient(world.app(settings=settings.__class__(
            database_url=settings.database_url, backup_dir=settings.backup_dir, environment=env)))
        assert client.get("/api/backup", headers=bearer(world.other)).status_code == 403


@pytest.mark.parametrize(
    ("stored", "expired"),
    [(4102444800000, False), ("4102444800000", False), ("2100-01-01T00:00:00.000Z", False),
     ("2000-01-01 00:00:00", True), (946684800000, True), ("garbage", None)],
)
def test_session_expiry_is_read_in_every_stored_form(stored: object, expired: bool | None) -> None:
    import datetime as dt

    parsed = parse_expiry(stored)
    if expired is None:
        assert parsed is None
    else:
        assert parsed is not None and (parsed < dt.datetime.now(dt.UTC)) is expired


def _find(entries: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    for entry in reversed(entries):
        if all(entry.get(k) == v for k, v in match.items()):
            return entry
    raise AssertionError(f"no audit entry with {match}")


def test_refusals_and_operations_are_audited_without_secrets(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    world = make_world(tmp_path)
    client = world.client()
    caplog.set_level(logging.INFO)
    calls: list[Callable[[], Any]] = [
        lambda: client.get("/api/backup"),
        lambda: client.get("/api/backup", headers=bearer(world.admin_expired)),
        lambda: client.post("/api/backup", json={}, headers=bearer(world.other)),
        lambda: client.post("/api/backup", json={}, headers=bearer(world.admin)),
    ]
    statuses = [call().status_code for call in calls]
    assert statuses == [401, 401, 403, 200]
    entries = audit_entries(world)
    anonymous = _find(entries, status=401, credential=None)
    assert anonymous["actor"] is None and anonymous["outcome"] == "refused"
    expired = _find(entries, status=401, action="backup.list", outcome="refused")
    assert expired["credential"].startswith("sha256:")
    denied = _find(entries, status=403)
    assert denied["actor"]["email"] == "t***r@example.com"
    done = _find(entries, status=200, action="backup.create")
    assert done["backupId"].startswith("backup_") and done["durationMs"] >= 0
    assert done["client"] == "testclient" and done["actor"]["via"] == "bearer"
    written = (world.backup_dir / "audit" / "audit.jsonl").read_text()
    logged = caplog.text
    for secret in (world.admin, world.other, world.admin_expired, ADMIN, OTHER):
        assert secret not in written and secret not in logged
    assert "refused (403)" in logged


def test_health_alerts_on_unauthorized_attempts(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    client = world.client()
    world.manager().create_backup(BackupOptions())
    first = client.get("/api/backup/health", headers=bearer(world.admin)).json()
    assert first["health"]["unauthorizedAttempts24h"] == 0
    assert not any("unauthorized" in a for a in first["alerts"])
    client.get("/api/backup", headers=bearer(world.other))
    client.get("/api/backup")
    later = client.get("/api/backup/health", headers=bearer(world.admin)).json()
    assert later["health"]["unauthorizedAttempts24h"] == 2
    assert "2 unauthorized access attempt(s) in the last 24 hours" in later["alerts"]
    assert later["healthy"] is False
