"""Schemathesis against the OpenAPI document: generated requests, valid and invalid, signed
in as an admin by bearer token, never get a 500 and match the documented responses."""

from __future__ import annotations

import warnings
from dataclasses import replace

import pytest
import schemathesis
from api_support import World, bearer, make_world
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.auths import AuthStorage

from dino_backup.archive import crypto
from dino_backup.core.manager import BackupManager
from dino_backup.core.options import BackupOptions

OPERATIONS = [
    ("GET", "/healthz"),
    ("GET", "/api/csrf"),
    ("GET", "/api/backup"),
    ("POST", "/api/backup"),
    ("DELETE", "/api/backup"),
    ("POST", "/api/backup/restore"),
    ("GET", "/api/backup/health"),
    ("GET", "/api/backup/{backup_id}"),
    ("POST", "/api/backup/{backup_id}/verify"),
    ("GET", "/api/backup/{backup_id}/download"),
]
EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 12}
NO_INPUT = {"/healthz", "/api/csrf", "/api/backup/health"}  # nothing there to make invalid


# A body over the size limit is rejected with 413: a rejection like the others.
REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
CONFIG = {"checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}}}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    world = make_world(tmp_path_factory.mktemp("schemathesis"))
    world.manager().create_backup(BackupOptions())
    return world


@pytest.fixture(scope="module")
def api_schema(world: World) -> schemathesis.BaseSchema:
    # With keys, `encrypt` and `anonymize` are as valid as the document says they are.
    settings = replace(
        world.settings(), encryption_key=crypto.generate_key(), anonymize_key="schemathesis"
    )
    app = world.app(BackupManager.from_settings(settings), settings=settings, max_body_bytes=8192)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return schemathesis.openapi.from_asgi(
            "/openapi.json", app, config=schemathesis.Config.from_dict(CONFIG)
        )


def _bearer_auth(token: str) -> AuthStorage:
    """Schemathesis' own way to sign cases in: it then leaves the credentials alone."""

    class Bearer:
        def get(self, case: schemathesis.Case, ctx: object) -> str:
            return token

        def set(self, case: schemathesis.Case, data: str, ctx: object) -> None:
            case.headers = {**(case.headers or {}), **bearer(data)}

    storage: AuthStorage = AuthStorage()
    storage.auth(refresh_interval=None)(Bearer)
    return storage


def test_the_document_lists_every_operation(api_schema: schemathesis.BaseSchema) -> None:
    found = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert found == set(OPERATIONS)


@pytest.mark.parametrize("mode", list(EXAMPLES), ids=lambda m: m.value)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_server_errors(
    api_schema: schemathesis.BaseSchema, world: World, method: str, path: str,
    mode: GenerationMode,
) -> None:
    if mode is GenerationMode.NEGATIVE and path in NO_INPUT:
        pytest.skip("no parameters or body to make invalid")
    operation = api_schema[path][method]

    strategy = operation.as_strategy(generation_mode=mode, auth_storage=_bearer_auth(world.admin))

    @given(case=strategy)
    @settings(max_examples=EXAMPLES[mode], deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check()
