"""Who is asking: a NextAuth session token from a cookie or `Authorization: Bearer`."""

from __future__ import annotations

import datetime as dt

from fastapi import Request
from fastapi.security import APIKeyCookie, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ..audit import fingerprint
from .config import ApiConfig
from .errors import NotAdmin, NotSignedIn
from .services import Services
from .sessions import Principal

# For the OpenAPI document only: the checks themselves run in guard.py, before the body is read.
cookie_scheme = APIKeyCookie(
    name="next-auth.session-token", auto_error=False, scheme_name="sessionCookie",
    description="The DINO app's NextAuth session cookie (or __Secure-next-auth.session-token).",
)
bearer_scheme = HTTPBearer(
    auto_error=False, scheme_name="sessionBearer",
    description="The same session token, for scripts (see `dino-backup admin-session`).",
)


def credentials(request: Request, config: ApiConfig) -> tuple[str, str] | None:
    """(how, token) from the request; bearer wins over cookies when both are sent."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotSignedIn("Authorization header must be 'Bearer <session token>'")
        return "bearer", token.strip()
    for name in config.session_cookie_names:
        cookie = request.cookies.get(name)
        if cookie:
            return "cookie", cookie
    return None


async def authenticate(request: Request, svc: Services) -> Principal:
    found = credentials(request, svc.config)
    if found is None:
        raise NotSignedIn("Not signed in")
    via, token = found
    request.state.credential = fingerprint(token)
    row = await run_in_threadpool(svc.sessions.lookup, token)
    if row is None:
        raise NotSignedIn("Session invalid or expired")
    principal = Principal(row.user_id, row.email, via, token)
    request.state.principal = principal
    if row.expires is None or row.expires <= dt.datetime.now(dt.UTC):
        raise NotSignedIn("Session invalid or expired")
    return principal


def authorize(principal: Principal, config: ApiConfig) -> None:
    """Admin in every environment (the seed only checked in production; we do not)."""
    if not config.is_admin(principal.email):
        raise NotAdmin("Admin access required")


def current_principal(request: Request) -> Principal:
    """For routes: the principal the guard admitted."""
    principal: Principal = request.state.principal
    return principal
