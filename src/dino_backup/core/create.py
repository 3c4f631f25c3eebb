"""Create a backup: pre-checks, one consistent snapshot streamed into an archive, post-checks.

Order of effects: archive (each section read back as written; atomic rename) -> the stored
file's checksum and layout re-checked -> checksum file -> metadata.
Only the metadata makes a backup listed, so any failure before it leaves nothing listed
(and the archive is removed).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from functools import partial
from typing import Any

import sqlalchemy as sa

from .. import __version__
from ..archive import crypto
from ..archive.compression import Codec, get_codec
from ..archive.reader import open_archive
from ..archive.values import encode_batch
from ..archive.writer import FORMAT_VERSION, ArchiveWriter
from ..dialects.base import RowByRow
from ..errors import BackupError, DatabaseUnreachable, IntegrityError, StorageFull
from ..ids import new_backup_id
from ..schema.reflect import TableSpec, dependency_order, reflect_tables
from .anonymize import Anonymizer
from .catalog import archive_name, checksum_name
from .context import Context, ProgressFn, no_progress, utc_iso
from .hashing import HashingWriter, file_sha256
from .options import BackupOptions
from .selection import select_for_backup

_BYTES_PER_VALUE_ESTIMATE = 6  # compressed JSON; generous, so the pre-check errs on the safe side
METADATA_VERSION = "1.0"
_Written = tuple[str, dict[str, int], dict[str, dict[str, Any]]]  # digest, rows, sections


def _db_error(exc: Exception) -> DatabaseUnreachable:
    """One line from the driver's error (SQLAlchemy-wrapped or, from raw DBAPI calls, not)."""
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    return DatabaseUnreachable(f"database error: {first[:200]}")


class BackupCreator:
    chunk_size = crypto.DEFAULT_CHUNK_SIZE  # plaintext bytes per encrypted chunk

    def __init__(self, ctx: Context, progress: ProgressFn = no_progress) -> None:
        self.ctx = ctx
        self.progress = progress
        self.anonymizer: Anonymizer | None = None
        self._row_by_row: set[str] = set()  # tables the database could not encode itself

    def run(
        self,
        options: BackupOptions,
        backup_id: str | None = None,
        extra_metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Back up; `backup_id` and `extra_metadata` let an import keep its origin's."""
        started = time.monotonic()
        specs = reflect_tables(self.ctx.engine)
        names, warnings = select_for_backup(
            specs,
            self.ctx.groups,
            options.include_user_data,
            options.include_sessions,
            options.tables,
        )
        if options.anonymize:
            self.anonymizer = Anonymizer.from_secret(self.ctx.settings.anonymize_key)
            names, dropped = self._without_tokens(names)
            warnings += dropped
        tables = dependency_order([specs[n] for n in names])
        key = self.ctx.require_key() if options.encrypt else None
        backup_id = backup_id or new_backup_id()
        # No zstd worker threads (their memory grew with a table): the writer's thread overlaps.
        codec = get_codec(options.codec_name)
        name = archive_name(backup_id, codec.extension + (".enc" if key else ""))
        try:
            write = partial(self._write, backup_id, name, tables, codec, options, key)
            digest, counts, sums = self._write_all(write)
        except (sa.exc.SQLAlchemyError, self.ctx.engine.dialect.loaded_dbapi.Error) as exc:
            raise _db_error(exc) from None
        try:
            self._post_check(name, digest, key)
            meta = self._metadata(backup_id, name, tables, counts, sums, digest, options, key)
            meta["warnings"] = warnings
            meta.update(extra_metadata or {})
            meta["durationMs"] = int((time.monotonic() - started) * 1000)
            self.ctx.catalog.write_checksum(backup_id, name, digest)
            self.ctx.catalog.save(meta)
        except BaseException:
            self._discard(backup_id, name)
            raise
        return meta

    def _without_tokens(self, names: list[str]) -> tuple[list[str], list[str]]:
        """An anonymized backup never holds the token tables (sessions group)."""
        tokens = set(self.ctx.groups.sessions)
        dropped = sorted(tokens & set(names))
        note = [f"anonymized: token tables left out: {', '.join(dropped)}"] if dropped else []
        return [n for n in names if n not in tokens], note

    def _discard(self, backup_id: str, name: str) -> None:
        """Remove what a failed run wrote (metadata is written last, so it is never there)."""
        for leftover in (name, checksum_name(backup_id)):
            try:
                self.ctx.storage.delete(leftover)
            except OSError:
                pass  # `cleanup` removes it later; the original error matters more

    # -- writing ---------------------------------------------------------------
    def _write_all(self, write: Callable[[], _Written]) -> _Written:
        """Write the archive; again from the start, with a table read row by row, if the
        database could not encode that table's values itself (nothing of a failed attempt
        is kept: the file is only renamed into place when complete)."""
        self._row_by_row.clear()
        while True:
            try:
                return write()
            except RowByRow as exc:
                self._row_by_row.add(exc.table)

    def _write(
        self,
        backup_id: str,
        name: str,
        tables: list[TableSpec],
        codec: Codec,
        options: BackupOptions,
        key: bytes | None,
    ) -> _Written:
        with self.ctx.dialect.snapshot() as conn, ExitStack() as stack:
            totals = self._pre_check(conn, tables)
            raw = stack.enter_context(self.ctx.storage.open_write(name))
            hashed = HashingWriter(raw)
            out: Any = hashed
            if key is not None:
                encrypting = crypto.EncryptingWriter(hashed, key, self.chunk_size)  # type: ignore[arg-type]
                out = stack.enter_context(encrypting)
            created = utc_iso(int(backup_id.split("_")[1]))
            header = {"id": backup_id, "created": created, "compression": codec.name}
            writer = stack.enter_context(ArchiveWriter(out, codec, header))
            sections = {t.name: self._write_table(conn, writer, t, totals[t.name]) for t in tables}
            manifest = {
                **header,
                "sourceDialect": self.ctx.dialect.name,
                "options": options.to_json(),
                "tables": [
                    {"name": t.name, **sections[t.name], "schema": t.to_json()} for t in tables
                ],
            }
            writer.finish(manifest)
        counts = {n: s["rows"] for n, s in sections.items()}
        return hashed.sha.hexdigest(), counts, sections

    def _pre_check(self, conn: sa.Connection, tables: list[TableSpec]) -> dict[str, int]:
        """Every table readable, and room for an estimate of the archive."""
        totals: dict[str, int] = {}
        values = 0
        for t in tables:
            q = self.ctx.dialect.quote(t.name)
            totals[t.name] = int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM {q}").scalar_one())
            values += totals[t.name] * len(t.columns)
        needed = values * _BYTES_PER_VALUE_ESTIMATE + 64 * 1024
        free = self.ctx.storage.free_space()
        if free is not None and free < needed:
            raise StorageFull(
                f"not enough space in {self.ctx.storage.description}: "
                f"about {needed // 1024} KiB needed, {free // 1024} KiB free"
            )
        return totals

    def _write_table(
        self, conn: sa.Connection, writer: ArchiveWriter, table: TableSpec, total: int
    ) -> dict[str, Any]:
        columns = table.column_names
        # Anonymizing changes values, so it needs them decoded: row by row.
        native = not self.anonymizer and table.name not in self._row_by_row
        kinds = self.ctx.dialect.copy_kinds(conn, table, columns) if native else None
        section = writer.table(table.name, columns, kinds)
        self.progress(table.name, 0, total)
        for block in self._blocks(conn, table, columns, native, kinds):
            section.write_lines([block])
            self.progress(table.name, section.rows, total)
        if section.rows != total:  # same snapshot, so the counts must agree exactly
            raise IntegrityError(
                f"read {section.rows} rows of {table.name}, but the snapshot holds {total}"
            )
        return section.close()

    def _blocks(
        self,
        conn: sa.Connection,
        table: TableSpec,
        columns: list[str],
        native: bool,
        kinds: list[str] | None,
    ) -> Iterator[bytes]:
        """The rows as encoded blocks: the server's COPY text (kinds given), JSON Lines the
        database writes itself, or else Python's encoding of the driver's rows."""
        dialect = self.ctx.dialect
        if kinds is not None:
            return dialect.copy_out(conn, table, columns)
        lines = dialect.json_lines(conn, table, columns) if native else None
        if lines is not None:
            return lines
        return (encode_batch(rows) for rows in self._rows(conn, table, columns))

    def _rows(
        self, conn: sa.Connection, table: TableSpec, columns: list[str]
    ) -> Iterator[Sequence[Sequence[Any]]]:
        transform = self.anonymizer.row_transform(table.name, columns) if self.anonymizer else None
        for batch in self.ctx.dialect.stream_rows(conn, table, columns):
            yield [transform(r) for r in batch] if transform else batch

    # -- checking --------------------------------------------------------------
    def _post_check(self, name: str, digest: str, key: bytes | None) -> None:
        """Re-read the stored file: its checksum, then trailer, manifest, layout and header
        (and every encrypted chunk's authentication). The tables' sections were read back
        as they were written (archive/readback.py): the checksum says the file holds
        exactly the bytes that were checked, so they are not decompressed a second time (and
        its manifest holds the counts that were read)."""
        with self.ctx.storage.open_read(name) as f:
            if file_sha256(f) != digest:
                raise IntegrityError(f"stored archive {name} does not match what was written")
            if key is not None:
                crypto.authenticate(f, key)
            open_archive(f, self.ctx.storage.size(name), key).verify(sections=False)

    def _metadata(
        self,
        backup_id: str,
        name: str,
        tables: list[TableSpec],
        counts: dict[str, int],
        sections: dict[str, dict[str, Any]],
        digest: str,
        options: BackupOptions,
        key: bytes | None,
    ) -> dict[str, Any]:
        return {
            "id": backup_id,
            "timestamp": utc_iso(int(backup_id.split("_")[1])),
            "version": METADATA_VERSION,
            "tables": [t.name for t in tables],
            "recordCounts": counts,
            "size": self.ctx.storage.size(name),
            "checksum": digest,
            "environment": self.ctx.settings.environment,
            "formatVersion": FORMAT_VERSION,
            "file": name,
            "compression": options.codec_name,
            "encrypted": key is not None,
            "keyFingerprint": crypto.key_fingerprint(key) if key is not None else None,
            "tableChecksums": {n: s["sha256"] for n, s in sections.items()},
            "sourceDialect": self.ctx.dialect.name,
            "options": options.to_json(),
            "kind": options.kind,
            "anonymized": options.anonymize,
            "schema": {t.name: t.to_json() for t in tables},
            "toolVersion": __version__,
        }


__all__ = ["BackupCreator", "BackupError"]
