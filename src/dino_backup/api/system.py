"""Liveness (no sign-in) and the CSRF token endpoint."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from .auth import bearer_scheme, cookie_scheme, current_principal
from .errors import error_responses
from .guard import GuardedRoute
from .models import CsrfResponse, LivenessResponse
from .services import services

public = APIRouter(tags=["system"])
guarded = APIRouter(
    route_class=GuardedRoute,
    dependencies=[Depends(cookie_scheme), Depends(bearer_scheme)],
    tags=["system"],
)


@public.get("/healthz", name="liveness", response_model=LivenessResponse,
            summary="Liveness: the process answers (no sign-in)")
async def liveness() -> dict[str, str]:
    return {"status": "ok"}


@guarded.get(
    "/api/csrf", name="csrf.issue", response_model=CsrfResponse,
    responses=error_responses(401, 403, 429),
    summary="A CSRF token: set as a cookie and returned; send it back in X-CSRF-Token",
)
async def csrf_token(request: Request, response: Response) -> dict[str, object]:
    svc = services(request)
    token = svc.csrf.issue(current_principal(request).token)
    svc.csrf.set_cookie(response, token, secure=request.url.scheme == "https")
    return {"success": True, "csrfToken": token}
