"""Configuration, read from the environment in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InvalidInput

DEFAULT_DATABASE_URL = "sqlite:///dino.db"


def _int_env(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be an integer, got {raw!r}") from None
    if value < 0:
        raise InvalidInput(f"{name} must not be negative, got {value}")
    return value


GROUP_VARIABLES = {
    "core": "BACKUP_CORE_TABLES",
    "userData": "BACKUP_USER_DATA_TABLES",
    "sessions": "BACKUP_SESSION_TABLES",
}


def _groups(env: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """Comma-separated table names per group; a variable that is set replaces the default."""
    found = {}
    for group, name in GROUP_VARIABLES.items():
        if name in env:
            found[group] = tuple(t.strip() for t in env[name].split(",") if t.strip())
    return found


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    backup_dir: Path = Path("backups")
    retention_days: int = 30
    environment: str = "development"
    admin_emails: tuple[str, ...] = ()
    encryption_key: str | None = field(default=None, repr=False)
    encryption_key_file: Path | None = None
    anonymize_key: str | None = field(default=None, repr=False)
    # Table groups, by the seed's option names; None keeps the DINO default.
    table_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        key_file = env.get("BACKUP_ENCRYPTION_KEY_FILE", "").strip()
        admins = (e.strip().lower() for e in env.get("ADMIN_EMAILS", "").split(","))
        return cls(
            database_url=env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL,
            backup_dir=Path(env.get("BACKUP_DIR", "").strip() or "backups"),
            retention_days=_int_env(env, "BACKUP_RETENTION_DAYS", 30),
            environment=(
                env.get("DINO_ENV", "").strip() or env.get("NODE_ENV", "").strip() or "development"
            ),
            admin_emails=tuple(e for e in admins if e),
            encryption_key=env.get("BACKUP_ENCRYPTION_KEY", "").strip() or None,
            encryption_key_file=Path(key_file) if key_file else None,
            anonymize_key=env.get("BACKUP_ANONYMIZE_KEY", "").strip() or None,
            table_groups=_groups(env),
        )
