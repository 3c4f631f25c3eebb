"""The HTTP API: FastAPI over BackupManager, with admin sign-in, CSRF, rate limits, audit."""

from .app import create_app

__all__ = ["create_app"]
