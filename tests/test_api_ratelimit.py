"""Rate limits per user and client address: reached and recovered, buckets apart, and one
budget shared by two app instances through Redis."""

from __future__ import annotations

import secrets
import time

import pytest
from api_support import REQUIRE_REDIS, TestClient, World, bearer, make_world

LIMITS = {"read": "3/second", "mutation": "2/minute", "restore": "1/minute"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory.mktemp("limits"))


def test_limit_reached_then_recovered(world: World) -> None:
    client = world.client(rate_limits=LIMITS)
    auth = bearer(world.admin)
    statuses = [client.get("/api/backup", headers=auth).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/api/backup", headers=bearer(world.admin))
    assert refused.status_code == 429
    assert refused.json()["success"] is False and "Rate limit" in refused.json()["error"]
    assert int(refused.headers["Retry-After"]) >= 1
    time.sleep(1.1)
    assert client.get("/api/backup", headers=bearer(world.admin)).status_code == 200


def test_buckets_are_separate_and_restore_is_strictest(world: World) -> None:
    client = world.client(rate_limits=LIMITS)
    body = {"backupId": "backup_0000000000000_000000000", "dryRun": True}
    first = client.post("/api/backup/restore", json=body, headers=bearer(world.admin))
    assert first.status_code == 404  # counted, then not found
    second = client.post("/api/backup/restore", json=body, headers=bearer(world.admin))
    assert second.status_code == 429
    assert int(second.headers["Retry-After"]) > 1
    assert client.get("/api/backup", headers=bearer(world.admin)).status_code == 200
    assert client.post("/api/backup", json={}, headers=bearer(world.admin)).status_code == 200


def test_budgets_are_per_user(world: World) -> None:
    both = frozenset({"admin.user@example.com", "traveller@example.com"})
    client = world.client(rate_limits={**LIMITS, "read": "1/minute"}, admin_emails=both)
    assert client.get("/api/backup", headers=bearer(world.admin)).status_code == 200
    assert client.get("/api/backup", headers=bearer(world.admin)).status_code == 429
    # Another admin from the same address has a budget of their own.
    assert client.get("/api/backup", headers=bearer(world.other)).status_code == 200
    assert client.get("/api/backup", headers=bearer(world.other)).status_code == 429


def _redis_url() -> str:
    import redis

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if REQUIRE_REDIS:
            pytest.fail(f"Redis not answering ({exc}) and DINO_REQUIRE_SERVICES=1")
        pytest.skip(f"Redis not answering: {exc}")
    return url


def test_two_instances_share_one_budget_through_redis(world: World) -> None:
    url = _redis_url()
    shared = {"rate_limits": {**LIMITS, "read": "3/minute"}, "rate_limit_storage_url": url,
              "rate_limit_prefix": f"dino-test-{secrets.token_hex(4)}"}
    first, second = TestClient(world.app(**shared)), TestClient(world.app(**shared))
    assert first.get("/api/backup", headers=bearer(world.admin)).status_code == 200
    assert second.get("/api/backup", headers=bearer(world.admin)).status_code == 200
    assert first.get("/api/backup", headers=bearer(world.admin)).status_code == 200
    refused = second.get("/api/backup", headers=bearer(world.admin))
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    # An instance with its own in-memory budget is not affected (that is the difference).
    alone = TestClient(world.app(rate_limits=shared["rate_limits"]))
    assert alone.get("/api/backup", headers=bearer(world.admin)).status_code == 200


def test_unreachable_redis_fails_closed_with_503(world: World) -> None:
    client = world.client(rate_limit_storage_url="redis://127.0.0.1:1/0")
    response = client.get("/api/backup", headers=bearer(world.admin))
    assert response.status_code == 503
    assert response.json() == {"success": False,
                               "error": "Rate limit storage unreachable; try again later"}


def test_limits_come_from_the_environment() -> None:
    from dino_backup.api.config import ApiConfig
    from dino_backup.errors import InvalidInput

    config = ApiConfig.from_env({"RATE_LIMIT_RESTORE": "1/hour", "RATE_LIMIT_STORAGE_URL":
                                 "redis://127.0.0.1:6379/1"})
    assert config.rate_limits["restore"] == "1/hour"
    assert config.rate_limits["read"] == "120/minute"
    assert config.rate_limit_storage_url == "redis://127.0.0.1:6379/1"
    with pytest.raises(InvalidInput):
        ApiConfig.from_env({"RATE_LIMIT_READ": "lots"})
