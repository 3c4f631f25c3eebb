"""The storage layout of the seed: archives, metadata/<id>.meta.json, checksums/<id>.sha256.

A backup is listed when, and only when, its metadata file exists; metadata is written last
and removed first, so a backup that crashed half-way is never listed.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import orjson

from ..errors import IntegrityError, NotFound
from ..ids import ID_PATTERN, validate_backup_id
from ..storage.base import Storage

log = logging.getLogger(__name__)
META_DIR = "metadata"
SUM_DIR = "checksums"


def meta_name(backup_id: str) -> str:
    return f"{META_DIR}/{validate_backup_id(backup_id)}.meta.json"


def checksum_name(backup_id: str) -> str:
    return f"{SUM_DIR}/{validate_backup_id(backup_id)}.sha256"


def archive_name(backup_id: str, extension: str) -> str:
    return f"{validate_backup_id(backup_id)}.{extension}"


_FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "timestamp": str,
    "tables": list,
    "recordCounts": dict,
    "size": int,
    "checksum": str,
    "file": str,
    "encrypted": bool,
}


def _malformed_fields(meta: dict[str, Any]) -> list[str]:
    """Fields the engine relies on that are missing or of the wrong type."""
    bad = [k for k, t in _FIELD_TYPES.items() if not isinstance(meta.get(k), t)]
    if "timestamp" not in bad and not _is_timestamp(meta["timestamp"]):
        bad.append("timestamp")
    name = meta.get("file")
    if isinstance(name, str) and (
        not name.startswith(f"{meta['id']}.") or "/" in name or "\0" in name
    ):
        bad.append("file")
    return bad


def _is_timestamp(text: str) -> bool:
    try:
        dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


class Catalog:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def load(self, backup_id: str) -> dict[str, Any]:
        name = meta_name(backup_id)
        try:
            data = self.storage.read_bytes(name)
        except NotFound:
            raise NotFound(f"backup {backup_id} not found") from None
        try:
            meta = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise IntegrityError(f"metadata of {backup_id} is not valid JSON") from None
        if not isinstance(meta, dict) or meta.get("id") != backup_id:
            raise IntegrityError(f"metadata of {backup_id} does not describe that backup")
        bad = _malformed_fields(meta)
        if bad:
            raise IntegrityError(f"metadata of {backup_id} is malformed ({', '.join(bad)})")
        return meta

    def scan(self) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """Every metadata file read once: the listed backups' metadata, newest first, and
        the backups whose metadata file exists but cannot be used (ID -> why)."""
        found, problems = [], {}
        for backup_id in self.metadata_ids():
            try:
                found.append(self.load(backup_id))
            except IntegrityError as exc:
                problems[backup_id] = str(exc)
        found.sort(key=lambda m: (m["timestamp"], m["id"]), reverse=True)
        return found, problems

    def all(self) -> list[dict[str, Any]]:
        """Every listed backup's metadata, newest first; unreadable entries are logged."""
        found, problems = self.scan()
        for backup_id, why in problems.items():
            log.warning("skipping %s: %s", backup_id, why)
        return found

    def metadata_ids(self) -> list[str]:
        """IDs that have a metadata file, readable or not."""
        names = (
            n.rsplit("/", 1)[-1].removesuffix(".meta.json") for n in self.storage.list(META_DIR)
        )
        return [n for n in names if ID_PATTERN.match(n)]

    def ids(self) -> set[str]:
        return {m["id"] for m in self.all()}

    def save(self, meta: dict[str, Any]) -> None:
        data = orjson.dumps(meta, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
        self.storage.write_bytes(meta_name(meta["id"]), data)

    def write_checksum(self, backup_id: str, file_name: str, digest: str) -> None:
        self.storage.write_bytes(checksum_name(backup_id), f"{digest}  {file_name}\n".encode())

    def read_checksum(self, backup_id: str) -> str:
        """The SHA-256 in sha256sum format; IntegrityError when missing or malformed."""
        try:
            text = self.storage.read_bytes(checksum_name(backup_id)).decode("ascii", "replace")
        except NotFound:
            raise IntegrityError(f"checksum file of {backup_id} is missing") from None
        digest = text.split(" ", 1)[0].strip().lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise IntegrityError(f"checksum file of {backup_id} is malformed")
        return digest

    def remove(self, meta: dict[str, Any]) -> list[str]:
        """Unlist first, then remove the files; returns what could not be removed."""
        backup_id = meta["id"]
        self.storage.delete(meta_name(backup_id))
        left = []
        for name in (meta["file"], checksum_name(backup_id)):
            try:
                self.storage.delete(name)
            except OSError as exc:
                left.append(f"{name}: {exc.strerror}")
        return left
