"""Hostile input: IDs with ../, NUL bytes, overlong strings and wrong patterns; oversized,
malformed and mistyped JSON bodies. Always a 4xx with the error shape, never a file touched."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from api_support import TestClient, World, bearer, make_world

BAD_IDS = [
    "../../etc/passwd",
    "..",
    "backup_1704067200000_abc123def/../x",
    "backup_1704067200000_abc123de\x00",
    "backup_1704067200000_abc123def\n",
    "backup_1704067200000_ABC123DEF",
    "backup_170406720000_abc123def",
    "backup_1704067200000_abc123def.json",
    "b" * 1000,
    "%2e%2e%2f",
    "",
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory.mktemp("validation"))


@pytest.fixture(scope="module")
def client(world: World) -> TestClient:
    return TestClient(world.app(max_body_bytes=4096), headers=bearer(world.admin))


def _error(response: object, status: int | tuple[int, ...]) -> str:
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["success"] is False and isinstance(body["error"], str)
    return str(body["error"])


@pytest.mark.parametrize("bad", BAD_IDS, ids=range(len(BAD_IDS)))
def test_bad_ids_in_query_and_body_are_400(client: TestClient, bad: str) -> None:
    _error(client.delete("/api/backup", params={"id": bad}), 400)
    _error(client.post("/api/backup/restore", json={"backupId": bad}), 400)


@pytest.mark.parametrize("bad", BAD_IDS[:-1], ids=range(len(BAD_IDS) - 1))
@pytest.mark.parametrize("suffix", ["", "/verify", "/download"])
def test_bad_ids_in_the_path_never_reach_storage(client: TestClient, bad: str, suffix: str) -> None:
    method = "POST" if suffix == "/verify" else "GET"
    response = client.request(method, f"/api/backup/{quote(bad, safe='')}{suffix}")
    # Dot segments and slashes leave it matching no route (404); the rest fail the pattern.
    _error(response, (400, 404))


def test_unknown_but_well_formed_ids_are_404(client: TestClient) -> None:
    missing = "backup_1704067200000_abc123def"
    for response in (
        client.get(f"/api/backup/{missing}"),
        client.post(f"/api/backup/{missing}/verify"),
        client.get(f"/api/backup/{missing}/download"),
        client.delete(f"/api/backup?id={missing}"),
        client.post("/api/backup/restore", json={"backupId": missing, "dryRun": True}),
    ):
        assert "not found" in _error(response, 404)


def test_missing_id_and_unknown_action_are_400(client: TestClient) -> None:
    _error(client.delete("/api/backup"), 400)
    _error(client.get("/api/backup", params={"action": "everything"}), 400)
    _error(client.post("/api/backup/restore", json={}), 400)


@pytest.mark.parametrize(
    "body",
    [
        {"includeUserData": "yes"},
        {"includeSessions": 1},
        {"compress": None},
        {"compression": "lz4"},
        {"tables": "User"},
        {"tables": ["User\x00"]},
        {"tables": ["x" * 200]},
        {"tables": ["User"] * 300},
        {"unknownOption": True},
        ["includeUserData"],
        "backup please",
        12,
    ],
    ids=range(12),
)
def test_mistyped_create_bodies_are_400(client: TestClient, body: object) -> None:
    assert _error(client.post("/api/backup", json=body), 400).startswith("Invalid input")


@pytest.mark.parametrize(
    "raw",
    [b"{", b'{"includeUserData": tru}', b"\xff\xfe\x00", b'{"a":' * 500, b"null\x00"],
    ids=["open", "typo", "binary", "deep", "nul"],
)
def test_malformed_json_is_400(client: TestClient, raw: bytes) -> None:
    headers = {"Content-Type": "application/json"}
    _error(client.post("/api/backup", content=raw, headers=headers), 400)
    _error(client.post("/api/backup/restore", content=raw, headers=headers), 400)


def test_json_needs_a_json_content_type(client: TestClient) -> None:
    response = client.post("/api/backup/restore", content=b'{"backupId": "x"}',
                           headers={"Content-Type": "text/plain"})
    _error(response, 400)


def test_oversized_bodies_are_413(client: TestClient) -> None:
    big = {"tables": ["T" * 100] * 100}
    assert "too large" in _error(client.post("/api/backup", json=big), 413)
    chunks = (b'{"tables": [' + b'"x",' * 2000 + b'"y"]}',)
    streamed = client.post("/api/backup/restore", content=iter(chunks),
                           headers={"Content-Type": "application/json"})
    _error(streamed, 413)


def test_nothing_was_created_by_any_of_it(world: World, client: TestClient) -> None:
    assert client.get("/api/backup").json()["backups"] == []
    names = sorted(p.name for p in world.backup_dir.iterdir()) if world.backup_dir.exists() else []
    assert set(names) <= {"audit", ".lock"}


def test_unknown_routes_and_methods_use_the_error_shape(client: TestClient) -> None:
    _error(client.get("/api/nothing-here"), 404)
    _error(client.put("/api/backup", json={}), 405)
