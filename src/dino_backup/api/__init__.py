"""The HTTP API: FastAPI over BackupManager, with admin sign-in, CSRF, rate limits, audit."""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so CLI commands that do not serve skip loading the web stack.
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)
