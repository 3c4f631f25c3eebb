from pathlib import Path

import pytest
import sqlalchemy as sa

from dino_backup.core.manager import BackupManager
from dino_backup.core.selection import TableGroups
from dino_backup.errors import InvalidInput
from dino_backup.settings import DEFAULT_DATABASE_URL, Settings


def test_defaults() -> None:
    s = Settings.from_env({})
    assert s.database_url == DEFAULT_DATABASE_URL
    assert s.backup_dir == Path("backups")
    assert s.retention_days == 30
    assert s.environment == "development"


def test_environment_prefers_dino_env_then_node_env() -> None:
    assert Settings.from_env({"NODE_ENV": "production"}).environment == "production"
    env = {"NODE_ENV": "production", "DINO_ENV": "staging"}
    assert Settings.from_env(env).environment == "staging"


def test_admin_emails_are_trimmed_and_lower_case() -> None:
    s = Settings.from_env({"ADMIN_EMAILS": " Admin@Example.com, ,b@x.org "})
    assert s.admin_emails == ("admin@example.com", "b@x.org")


def test_bad_retention_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="BACKUP_RETENTION_DAYS"):
        Settings.from_env({"BACKUP_RETENTION_DAYS": "soon"})


def test_key_is_not_shown_in_repr() -> None:
    s = Settings.from_env({"BACKUP_ENCRYPTION_KEY": "c2VjcmV0"})
    assert "c2VjcmV0" not in repr(s)


def test_table_groups_come_from_the_environment() -> None:
    env = {"BACKUP_CORE_TABLES": "accounts", "BACKUP_SESSION_TABLES": "tokens, api_keys"}
    groups = TableGroups.from_settings(Settings.from_env(env))
    assert groups.core == ("accounts",)
    assert groups.sessions == ("tokens", "api_keys")
    assert groups.user_data == ("CountryVisit",)  # unset: the DINO default


def test_groups_reach_the_backup(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for table in ("accounts", "orders", "tokens"):
            conn.exec_driver_sql(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY)")
    engine.dispose()
    env = {
        "DATABASE_URL": url,
        "BACKUP_DIR": str(tmp_path / "b"),
        "BACKUP_CORE_TABLES": "accounts",
        "BACKUP_USER_DATA_TABLES": "orders",
        "BACKUP_SESSION_TABLES": "tokens",
    }
    manager = BackupManager.from_settings(Settings.from_env(env))
    result = manager.create_backup()
    assert result["metadata"]["tables"] == ["accounts", "orders"]
    assert result["warnings"] == []
