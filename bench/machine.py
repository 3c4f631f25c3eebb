"""Machine and tool facts recorded next to the numbers."""

from __future__ import annotations

import datetime as dt
import hashlib
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil
import sqlalchemy as sa

TOOL_VERSION_ARGS = {
    "sqlite3": ["sqlite3", "--version"],
    "zstd": ["zstd", "--version"],
    "pg_dump": ["pg_dump", "--version"],
    "pg_restore": ["pg_restore", "--version"],
    "mysqldump": ["mysqldump", "--version"],
    "mysql": ["mysql", "--version"],
}
REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("dino-backup", "sqlalchemy", "psycopg", "pymysql", "zstandard", "orjson", "psutil")


def _first_line(argv: list[str]) -> str | None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else None


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def os_name() -> str:
    try:
        return platform.freedesktop_os_release().get("PRETTY_NAME", platform.platform())
    except OSError:
        return platform.platform()


def _package_versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def server_version(url: str) -> str | None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(sa.text("SELECT version()")).scalar())
    except sa.exc.SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def machine_info(servers: dict[str, str]) -> dict[str, Any]:
    """CPU, cores, RAM, OS, Python, tool/package/server versions and the date."""
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpu_model": cpu_model(),
        "cores_logical": psutil.cpu_count(logical=True),
        "cores_physical": psutil.cpu_count(logical=False),
        "ram_bytes": psutil.virtual_memory().total,
        "os": os_name(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "tools": {name: _first_line(argv) for name, argv in TOOL_VERSION_ARGS.items()},
        "packages": _package_versions(),
        "servers": {name: server_version(url) for name, url in servers.items()},
        "load_average_at_start": list(psutil.getloadavg()),
        "source": source_info(),
    }


def source_digest(root: Path = REPO_ROOT) -> str:
    """SHA-256 over the engine's Python sources, to spot code that changed during a run."""
    digest = hashlib.sha256()
    for path in sorted((root / "src" / "dino_backup").rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def source_info(root: Path = REPO_ROOT) -> dict[str, Any]:
    """Which code was measured: commit, uncommitted changes under src/, and a digest."""
    status = _first_lines(["git", "-C", str(root), "status", "--porcelain", "--", "src"])
    return {
        "git_commit": _first_line(["git", "-C", str(root), "rev-parse", "HEAD"]),
        "uncommitted_src_files": len(status),
        "src_sha256_at_start": source_digest(root),
    }


def _first_lines(argv: list[str]) -> list[str]:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line for line in done.stdout.splitlines() if line.strip()]
