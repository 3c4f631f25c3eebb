"""The seed's endpoints, plus metadata, verify, download and health. Thin: each calls one
BackupManager method off the event loop and returns its result dict."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ..core.options import BackupOptions, RestoreOptions
from ..core.point_in_time import parse_instant
from .auth import bearer_scheme, cookie_scheme
from .download import archive_stream
from .errors import error_responses
from .guard import GuardedRoute, rate_bucket
from .health import health_with_audit
from .models import (
    BACKUP_ID_REGEX,
    BackupDetailResponse,
    BackupListResponse,
    CreateBackupRequest,
    CreateBackupResponse,
    HealthResponse,
    MessageResponse,
    RestoreRequest,
    RestoreResponse,
    StatsResponse,
    VerifyResponse,
)
from .services import services

router = APIRouter(
    route_class=GuardedRoute,
    dependencies=[Depends(cookie_scheme), Depends(bearer_scheme)],
    tags=["backups"],
)
IdInPath = Annotated[str, Path(pattern=BACKUP_ID_REGEX, max_length=32, description="Backup ID")]
IdInQuery = Annotated[
    str, Query(alias="id", pattern=BACKUP_ID_REGEX, max_length=32, description="Backup ID")
]
READ_ERRORS = error_responses(400, 401, 403, 429)
ID_ERRORS = error_responses(400, 401, 403, 404, 422, 429)
WRITE_ERRORS = error_responses(400, 401, 403, 404, 409, 413, 422, 429)
Result = dict[str, Any]


@router.get(
    "/api/backup", name="backup.list", response_model=BackupListResponse | StatsResponse,
    responses=READ_ERRORS, summary="List backups (newest first), or statistics with action=stats",
)
async def list_backups(
    request: Request,
    action: Annotated[Literal["list", "stats"] | None, Query(description="`stats`: totals")] = None,
) -> Result:
    mgr = services(request).manager
    if action == "stats":
        return await run_in_threadpool(mgr.get_backup_stats)
    return await run_in_threadpool(mgr.list_backups)


@router.post(
    "/api/backup", name="backup.create", response_model=CreateBackupResponse,
    responses=WRITE_ERRORS, summary="Create a backup (one at a time; 409 while another runs)",
)
async def create_backup(
    request: Request, body: Annotated[CreateBackupRequest | None, Body()] = None
) -> Result:
    body = body or CreateBackupRequest()
    options = BackupOptions(
        include_user_data=body.includeUserData,
        include_sessions=body.includeSessions,
        compress=body.compress,
        compression=body.compression,
        encrypt=body.encrypt,
        tables=body.tables,
        anonymize=body.anonymize,
    )
    result = await run_in_threadpool(services(request).manager.create_backup, options)
    request.state.backup_id = result["backupId"]
    return result


@router.delete(
    "/api/backup", name="backup.delete", response_model=MessageResponse,
    responses=WRITE_ERRORS, summary="Delete a backup: archive, checksum and metadata",
)
async def delete_backup(request: Request, backup_id: IdInQuery) -> Result:
    return await run_in_threadpool(services(request).manager.delete_backup, backup_id)


@router.post(
    "/api/backup/restore", name="backup.restore", response_model=RestoreResponse,
    responses=WRITE_ERRORS, openapi_extra=rate_bucket("restore"),
    summary="Restore from a backup (verified first; dryRun changes nothing)",
)
async def restore_backup(request: Request, body: Annotated[RestoreRequest, Body()]) -> Result:
    request.state.backup_id = body.backupId
    options = RestoreOptions(
        backup_id=body.backupId,
        at=parse_instant(body.at) if body.at is not None else None,
        dry_run=body.dryRun,
        skip_user_data=body.skipUserData,
        skip_sessions=body.skipSessions,
        tables=body.tables,
        conflict=body.conflict,
        create_missing=body.createMissing,
        emergency_backup=body.emergencyBackup,
        allow_anonymized=body.allowAnonymized,
    )
    result = await run_in_threadpool(services(request).manager.restore_from_backup, options)
    request.state.backup_id = result.get("backupId")  # the one `at` picked, for the audit log
    return result


@router.get(
    "/api/backup/health", name="backup.health", response_model=HealthResponse,
    responses=READ_ERRORS, summary="The seed's performHealthCheck, with its alert conditions",
)
async def health(request: Request) -> Result:
    return await run_in_threadpool(health_with_audit, services(request))


@router.get(
    "/api/backup/{backup_id}", name="backup.show", response_model=BackupDetailResponse,
    responses=ID_ERRORS, summary="One backup's metadata",
)
async def show_backup(request: Request, backup_id: IdInPath) -> Result:
    return await run_in_threadpool(services(request).manager.get_backup, backup_id)


@router.post(
    "/api/backup/{backup_id}/verify", name="backup.verify", response_model=VerifyResponse,
    responses=WRITE_ERRORS, summary="Re-read a backup completely (422 when it fails)",
)
async def verify_backup(request: Request, backup_id: IdInPath) -> Result:
    return await run_in_threadpool(services(request).manager.verify_backup, backup_id)


@router.get(
    "/api/backup/{backup_id}/download", name="backup.download", response_class=StreamingResponse,
    responses={
        200: {"content": {"application/octet-stream": {"schema": {"type": "string",
                                                                    "format": "binary"}}},
              "description": "The archive file, streamed; X-Checksum-SHA256 gives its digest"},
        **ID_ERRORS,
    },
    summary="Download the archive file",
)
async def download_backup(request: Request, backup_id: IdInPath) -> StreamingResponse:
    return await run_in_threadpool(archive_stream, services(request).manager, backup_id)
