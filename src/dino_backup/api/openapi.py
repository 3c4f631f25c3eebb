"""Finishing touches on the generated OpenAPI document: the CSRF header on cookie-signed
mutations and Retry-After on 429 responses."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from .csrf import CSRF_HEADER
from .guard import RATE_LIMIT_KEY

_MUTATING = ("post", "put", "patch", "delete")
CSRF_PARAMETER = {
    "name": CSRF_HEADER,
    "in": "header",
    "required": False,
    "description": "Required when signed in by cookie: the token from GET /api/csrf.",
    "schema": {"type": "string"},
}
RETRY_AFTER = {
    "Retry-After": {"description": "Seconds until a request is allowed again",
                    "schema": {"type": "integer", "minimum": 1}}
}


def _finish(document: dict[str, Any]) -> dict[str, Any]:
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if not path.startswith("/api/"):
                continue
            if method in _MUTATING:
                operation.setdefault("parameters", []).append(dict(CSRF_PARAMETER))
            operation.setdefault(RATE_LIMIT_KEY, "mutation" if method in _MUTATING else "read")
            limited = operation.get("responses", {}).get("429")
            if limited is not None:
                limited["headers"] = dict(RETRY_AFTER)
    return document


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _finish(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
