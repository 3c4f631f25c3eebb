"""Verify a stored backup end to end: sidecar checksum, whole-file SHA-256, decryption,
decompression, per-table SHA-256 and counts, and agreement with the metadata."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from ..archive import crypto
from ..archive.reader import ArchiveReader, open_archive
from ..errors import BackupError, IntegrityError, NotFound, WrongKey
from .context import Context
from .hashing import file_sha256


def _key_for(ctx: Context, meta: dict[str, Any]) -> bytes | None:
    if not meta.get("encrypted"):
        return None
    key = ctx.key
    if key is None:
        raise WrongKey(f"backup {meta['id']} is encrypted: set BACKUP_ENCRYPTION_KEY or _KEY_FILE")
    if meta.get("keyFingerprint") and crypto.key_fingerprint(key) != meta["keyFingerprint"]:
        raise WrongKey(f"backup {meta['id']} was encrypted with another key")
    return key


def _check_against_metadata(
    reader: ArchiveReader, counts: dict[str, int], meta: dict[str, Any]
) -> None:
    if reader.manifest.get("id") != meta["id"]:
        raise IntegrityError(f"archive of {meta['id']} belongs to another backup")
    if counts != meta.get("recordCounts"):
        raise IntegrityError(f"archive of {meta['id']}: record counts differ from its metadata")
    sums = {name: entry["sha256"] for name, entry in reader.tables.items()}
    if sums != meta.get("tableChecksums"):
        raise IntegrityError(f"archive of {meta['id']}: table checksums differ from its metadata")


def _open(ctx: Context, f: BinaryIO, meta: dict[str, Any]) -> ArchiveReader:
    """Open the archive; errors are reported as what they are, given what the metadata says."""
    f.seek(0)
    if crypto.is_encrypted(f.read(len(crypto.MAGIC))) != bool(meta.get("encrypted")):
        raise IntegrityError(f"archive of {meta['id']}: encryption differs from its metadata")
    key = _key_for(ctx, meta)
    try:
        return open_archive(f, ctx.storage.size(meta["file"]), key)
    except WrongKey:
        if key is None or not meta.get("keyFingerprint"):
            raise
        # The key's fingerprint matched the metadata, so the archive's key check is damaged.
        raise IntegrityError(f"archive of {meta['id']}: encryption header is corrupted") from None


@contextmanager
def verified_archive(
    ctx: Context, meta: dict[str, Any], sections: bool = True
) -> Iterator[ArchiveReader]:
    """Yield a reader over an archive that has passed every check; raise before otherwise.

    sections=False leaves out decompressing every table section: for a reader (a restore)
    that checks each section's SHA-256 and count as it reads it, before anything commits.
    The whole file's SHA-256 has then already proven it is the file that was verified when
    it was written."""
    digest = ctx.catalog.read_checksum(meta["id"])
    try:
        f = ctx.storage.open_read(meta["file"])
    except NotFound:
        raise IntegrityError(f"archive file of {meta['id']} is missing") from None
    with f:
        try:
            actual = file_sha256(f)
        except OSError as exc:
            problem = f"archive of {meta['id']} cannot be read: {exc.strerror}"
            raise IntegrityError(problem) from None
        if actual != digest or actual != meta.get("checksum"):
            raise IntegrityError(
                f"archive of {meta['id']}: SHA-256 does not match its checksum file"
            )
        reader = _open(ctx, f, meta)
        counts = reader.verify(sections)
        _check_against_metadata(reader, counts, meta)
        yield reader


def verify_backup(ctx: Context, backup_id: str) -> dict[str, Any]:
    meta = ctx.catalog.load(backup_id)
    with verified_archive(ctx, meta) as reader:
        counts = {name: entry["rows"] for name, entry in reader.tables.items()}
    return {
        "success": True,
        "backupId": backup_id,
        "valid": True,
        "recordCounts": counts,
        "message": f"Backup {backup_id} verified: "
        f"{sum(counts.values())} records in {len(counts)} tables",
    }


def verify_catalog(
    ctx: Context, backups: list[dict[str, Any]], problems: dict[str, str]
) -> list[dict[str, Any]]:
    """verify_each for the listed backups, then a failure for each backup whose metadata
    cannot be read (it is unlisted, not gone): Catalog.scan's two halves."""
    results = verify_each(ctx, backups)
    for backup_id, problem in sorted(problems.items()):
        failure = {"success": False, "backupId": backup_id, "valid": False}
        results.append({**failure, "error": problem})
    return results


def verify_each(ctx: Context, backups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """verify_backup for each listed backup; a failure becomes a result, not an exception."""
    results = []
    for meta in backups:
        try:
            results.append(verify_backup(ctx, meta["id"]))
        except BackupError as exc:
            failure = {"success": False, "backupId": meta["id"], "valid": False}
            results.append({**failure, "error": str(exc)})
    return results
