"""Every error -> HTTP status and `{"success": false, "error": "..."}`, in this one place."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import errors as e

log = logging.getLogger(__name__)


class ApiError(Exception):
    """Refusals that belong to the HTTP layer (sign-in, admin, CSRF, rate limits)."""

    status = 400

    def __init__(self, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.headers = headers or {}


class NotSignedIn(ApiError):
    status = 401


class NotAdmin(ApiError):
    status = 403


class CsrfRejected(ApiError):
    status = 403


class RateLimited(ApiError):
    status = 429


class Unavailable(ApiError):
    status = 503


class BodyTooLarge(StarletteHTTPException):
    """An HTTPException so that FastAPI's body reading passes it on unchanged."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail="Request body too large")


# Engine errors, most specific first (WrongKey is an IntegrityError).
ENGINE_STATUS: list[tuple[type[e.BackupError], int]] = [
    (e.InvalidInput, 400),
    (e.NotFound, 404),
    (e.Busy, 409),
    (e.RestoreConflict, 409),
    (e.WrongKey, 422),
    (e.IntegrityError, 422),
    (e.IncompatibleSchema, 422),
    (e.StorageFull, 507),
    (e.DatabaseUnreachable, 503),
    (e.BackupError, 500),
]

STATUS_TEXT = {
    400: "Invalid input",
    401: "Not signed in",
    403: "Admin access required, or a bad CSRF token",
    404: "Unknown backup",
    405: "Method not allowed",
    409: "Another backup or restore is running",
    413: "Request body too large",
    422: "Backup failed verification, needs another key, or does not fit the schema",
    429: "Rate limited (see Retry-After)",
    500: "Internal error",
    503: "Database or rate-limit storage unreachable",
    507: "Backup storage full",
}


def status_for(exc: BaseException) -> int:
    if isinstance(exc, ApiError):
        return exc.status
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code
    if isinstance(exc, RequestValidationError):
        return 400
    for cls, status in ENGINE_STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def message_for(exc: BaseException) -> str:
    status = status_for(exc)
    if isinstance(exc, RequestValidationError):
        return validation_message(exc)
    if isinstance(exc, StarletteHTTPException):
        return "Request body too large" if status == 413 else str(exc.detail)
    if status == 500 and not isinstance(exc, e.BackupError):
        return "Internal error"  # details go to the server log, never to the client
    text = str(exc).strip().splitlines()
    return text[0] if text else STATUS_TEXT.get(status, "Error")


def validation_message(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "Invalid input"
    first = errors[0]
    if first.get("type") == "json_invalid":
        return "Invalid input: the body is not valid JSON"
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
    return f"Invalid input: {where}: {first.get('msg', 'invalid')}"[:300]


def error_response(exc: BaseException) -> JSONResponse:
    status = status_for(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, ApiError):
        headers = exc.headers
    elif isinstance(exc, StarletteHTTPException) and exc.headers:
        headers = dict(exc.headers)
    return JSONResponse({"success": False, "error": message_for(exc)}, status, headers=headers)


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    if status_for(exc) >= 500:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return error_response(exc)


def install(app: FastAPI) -> None:
    for cls in (ApiError, e.BackupError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(cls, _handle)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for these statuses, all with the error shape."""
    from .models import ErrorResponse

    found: dict[int | str, dict[str, Any]] = {
        s: {"model": ErrorResponse, "description": STATUS_TEXT[s]} for s in statuses
    }
    found["default"] = {"model": ErrorResponse, "description": "Any other error"}
    return found
