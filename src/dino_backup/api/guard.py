"""The security pipeline every /api route runs before its body is even read:
sign-in (401) -> admin (403) -> CSRF for cookie-authenticated mutations (403) -> rate limit
(429) -> the route. Every outcome, refusals included, is appended to the audit log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from ..audit import mask_email
from .auth import authenticate, authorize
from .csrf import SAFE_METHODS
from .errors import message_for, status_for
from .services import Services, services

log = logging.getLogger("dino_backup.api")
Handler = Callable[[Request], Coroutine[Any, Any, Response]]
RATE_LIMIT_KEY = "x-rate-limit"


def rate_bucket(name: str) -> dict[str, Any]:
    """`openapi_extra` naming a route's rate-limit bucket (read, mutation, restore)."""
    return {RATE_LIMIT_KEY: name}


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class GuardedRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        extra = self.openapi_extra or {}
        default = "read" if (self.methods or set()) <= SAFE_METHODS else "mutation"
        bucket = str(extra.get(RATE_LIMIT_KEY, default))
        action = self.name

        async def guarded(request: Request) -> Response:
            return await run_guarded(request, handler, action, bucket)

        return guarded


async def run_guarded(request: Request, handler: Handler, action: str, bucket: str) -> Response:
    svc = services(request)
    started = time.monotonic()
    try:
        principal = await authenticate(request, svc)
        authorize(principal, svc.config)
        if request.method not in SAFE_METHODS and principal.via == "cookie":
            svc.csrf.check(request, principal.token)
        await svc.limits.check(bucket, principal.user_id, client_address(request))
        response = await handler(request)
    except Exception as exc:
        await record(request, svc, action, status_for(exc), message_for(exc), started)
        raise
    await record(request, svc, action, response.status_code, None, started)
    return response


def _backup_id(request: Request) -> str | None:
    found = getattr(request.state, "backup_id", None)
    found = found or request.path_params.get("backup_id") or request.query_params.get("id")
    return str(found)[:64] if found else None


def audit_entry(
    request: Request, action: str, status: int, error: str | None, started: float
) -> dict[str, Any]:
    principal = getattr(request.state, "principal", None)
    actor = None
    if principal is not None:
        actor = {"userId": principal.user_id, "email": mask_email(principal.email),
                 "via": principal.via}
    return {
        "action": action,
        "method": request.method,
        "path": request.url.path,
        "actor": actor,
        "credential": getattr(request.state, "credential", None),
        "client": client_address(request),
        "backupId": _backup_id(request),
        "outcome": "ok" if status < 400 else "refused" if status < 500 else "failed",
        "status": status,
        "error": error,
        "durationMs": int((time.monotonic() - started) * 1000),
    }


async def record(
    request: Request, svc: Services, action: str, status: int, error: str | None, started: float
) -> None:
    entry = audit_entry(request, action, status, error, started)
    if status >= 400:
        who = entry["actor"]["email"] if entry["actor"] else entry["credential"] or "anonymous"
        log.warning("%s refused (%d) for %s from %s: %s", action, status, who, entry["client"],
                    error)
    try:
        await run_in_threadpool(svc.audit.append, entry)
    except OSError as exc:
        log.error("audit log not written (%s): %s", exc.strerror, entry["action"])
