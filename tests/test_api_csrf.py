"""Double-submit CSRF tokens on cookie-signed POST and DELETE: missing, wrong and right."""

from __future__ import annotations

import datetime as dt

import pytest
from api_support import (
    SESSION_COOKIE,
    TestClient,
    World,
    audit_entries,
    bearer,
    csrf_header,
    make_world,
    sign_in_by_cookie,
)

from dino_backup.api.csrf import CSRF_COOKIE, CsrfSigner
from dino_backup.api.sessions import SessionStore
from dino_backup.core.options import BackupOptions


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory.mktemp("csrf"))


def test_cookie_signed_post_without_token_is_refused(world: World) -> None:
    client = world.client()
    client.cookies.set(SESSION_COOKIE, world.admin)
    response = client.post("/api/backup", json={})
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]
    assert audit_entries(world)[-1]["status"] == 403


def test_header_without_cookie_and_cookie_without_header_are_refused(world: World) -> None:
    client = world.client()
    token = sign_in_by_cookie(client, world.admin)
    assert client.post("/api/backup", json={}).status_code == 403  # cookie only
    client.cookies.delete(CSRF_COOKIE)
    assert client.post("/api/backup", json={}, headers=csrf_header(token)).status_code == 403


@pytest.mark.parametrize("kind", ["mismatch", "forged", "other-session", "garbage"])
def test_wrong_tokens_are_refused(world: World, kind: str) -> None:
    client = world.client()
    good = sign_in_by_cookie(client, world.admin)
    signer = CsrfSigner(b"test-secret")
    bad = {
        "mismatch": sign_in_by_cookie(world.client(), world.admin),  # valid, not this cookie's
        "forged": good.split(".")[0] + "." + "0" * 64,
        "other-session": signer.issue(world.other),
        "garbage": "x" * 150,
    }[kind]
    if kind != "mismatch":
        client.cookies.set(CSRF_COOKIE, bad)  # double-submitted, but not validly signed
    response = client.post("/api/backup", json={}, headers=csrf_header(bad))
    assert response.status_code == 403
    assert response.json() == {"success": False, "error": "CSRF token invalid"}


def test_right_token_lets_post_and_delete_through(world: World) -> None:
    client = world.client()
    token = sign_in_by_cookie(client, world.admin)
    created = client.post("/api/backup", json={"compress": False}, headers=csrf_header(token))
    assert created.status_code == 200, created.text
    backup_id = created.json()["backupId"]
    assert client.delete(f"/api/backup?id={backup_id}").status_code == 403
    deleted = client.delete(f"/api/backup?id={backup_id}", headers=csrf_header(token))
    assert deleted.status_code == 200 and deleted.json()["success"] is True


def test_token_is_bound_to_the_session(world: World) -> None:
    client = world.client()
    token = sign_in_by_cookie(client, world.admin)
    # Another admin session in the same browser keeps the old CSRF cookie: refused.
    second, _ = SessionStore(world.engine).create("admin.user@example.com", dt.timedelta(hours=1))
    client.cookies.set(SESSION_COOKIE, second)
    assert client.post("/api/backup", json={}, headers=csrf_header(token)).status_code == 403


def test_bearer_requests_are_exempt_and_reads_never_need_it(world: World) -> None:
    client = world.client()
    backup_id = world.manager().create_backup(BackupOptions(include_user_data=False))["backupId"]
    verified = client.post(f"/api/backup/{backup_id}/verify", headers=bearer(world.admin))
    assert verified.status_code == 200
    client.cookies.set(SESSION_COOKIE, world.admin)
    assert client.get(f"/api/backup/{backup_id}").status_code == 200


def test_csrf_cookie_attributes(world: World) -> None:
    client = world.client()
    client.cookies.set(SESSION_COOKIE, world.admin)
    response = client.get("/api/csrf")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{CSRF_COOKIE}={response.json()['csrfToken']}")
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "path=/" in lowered
    assert "secure" not in lowered
    over_tls = TestClient(world.app(), base_url="https://testserver")
    over_tls.cookies.set(SESSION_COOKIE, world.admin)
    assert "secure" in over_tls.get("/api/csrf").headers["set-cookie"].lower()
