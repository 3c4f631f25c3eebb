"""The HTTP API's settings, read from the environment in this one place (on top of Settings)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field

from limits import parse

from ..errors import InvalidInput
from ..settings import Settings

DEFAULT_LIMITS = {"read": "120/minute", "mutation": "10/minute", "restore": "3/minute"}
DEFAULT_MAX_BODY_BYTES = 64 * 1024


def _limit(env: dict[str, str], bucket: str) -> str:
    value = env.get(f"RATE_LIMIT_{bucket.upper()}", "").strip() or DEFAULT_LIMITS[bucket]
    try:
        parse(value)
    except ValueError:
        raise InvalidInput(f"RATE_LIMIT_{bucket.upper()}: {value!r} is not a rate limit") from None
    return value


def _positive_int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise InvalidInput(f"{name} must be a positive integer, got {raw!r}")
    return int(raw)


@dataclass(frozen=True)
class ApiConfig:
    settings: Settings
    admin_emails: frozenset[str]
    rate_limits: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    rate_limit_storage_url: str = "memory://"
    rate_limit_prefix: str = "dino-backup"
    csrf_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    session_cookie_names: tuple[str, ...] = (
        "__Secure-next-auth.session-token",
        "next-auth.session-token",
    )

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> ApiConfig:
        env = dict(os.environ if env is None else env)
        settings = Settings.from_env(env)
        secret = env.get("CSRF_SECRET", "").strip()
        return cls(
            settings=settings,
            admin_emails=frozenset(settings.admin_emails),
            rate_limits={b: _limit(env, b) for b in DEFAULT_LIMITS},
            rate_limit_storage_url=env.get("RATE_LIMIT_STORAGE_URL", "").strip() or "memory://",
            rate_limit_prefix=env.get("RATE_LIMIT_PREFIX", "").strip() or "dino-backup",
            csrf_secret=secret.encode() if secret else secrets.token_bytes(32),
            max_body_bytes=_positive_int(env, "API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
        )

    def is_admin(self, email: str | None) -> bool:
        return bool(email) and email.strip().lower() in self.admin_emails  # type: ignore[union-attr]
