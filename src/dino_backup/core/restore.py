"""Restore tables from a verified backup, in one transaction.

Rows are first loaded into temporary staging tables; then, set-based: rows not in the
backup are deleted (children first), changed rows updated and missing rows inserted
(parents first). The database's own foreign keys stay on throughout, so what it declares
(ON DELETE CASCADE, RESTRICT) is honoured, and any error rolls everything back.
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa

from ..archive.reader import ArchiveReader
from ..errors import BackupError, IncompatibleSchema
from ..schema.reflect import TableSpec, dependency_order, reflect_tables
from .context import Context, ProgressFn, no_progress
from .convert import ConversionLog
from .options import RestoreOptions
from .schema_match import TableMatch, match_table
from .selection import select_for_restore
from .verify import verified_archive


def staging_name(table: str) -> str:
    return f"_dino_stage_{abs(hash(table)) % 10**8}"


class Restorer:
    def __init__(self, ctx: Context, progress: ProgressFn = no_progress) -> None:
        self.ctx = ctx
        self.dialect = ctx.dialect
        self.progress = progress

    def run(self, options: RestoreOptions) -> dict[str, Any]:
        started = time.monotonic()
        meta = self.ctx.catalog.load(options.backup_id)
        with verified_archive(self.ctx, meta) as reader:
            names = select_for_restore(
                reader.tables,
                self.ctx.groups,
                options.skip_user_data,
                options.skip_sessions,
                options.tables,
            )
            log = ConversionLog()
            matches = self._match(reader, names, log)
            warnings = self._engine_warning(reader) + [w for m in matches for w in m.warnings]
            counts = {m.name: reader.tables[m.name]["rows"] for m in matches}
            changes: dict[str, dict[str, int]] = {}
            if not options.dry_run:
                changes = self._apply(reader, matches)
                warnings += log.warnings()
        rows = sum(counts.values())
        verb = "would be restored (dry run; nothing changed)" if options.dry_run else "restored"
        return {
            "success": True,
            "backupId": options.backup_id,
            "dryRun": options.dry_run,
            "restoredTables": [m.name for m in matches],
            "recordCounts": counts,
            "changes": changes,
            "warnings": warnings,
            "durationMs": int((time.monotonic() - started) * 1000),
            "message": f"{rows} records in {len(matches)} tables {verb} from {options.backup_id}",
        }

    def _match(
        self, reader: ArchiveReader, names: list[str], log: ConversionLog
    ) -> list[TableMatch]:
        source_specs = [TableSpec.from_json(reader.table_entry(n)["schema"]) for n in names]
        targets = reflect_tables(self.ctx.engine)
        same = reader.manifest.get("sourceDialect") == self.dialect.name
        ordered = dependency_order(source_specs)
        fitter = self.dialect.fitter
        return [match_table(s, targets.get(s.name), same, log, fitter) for s in ordered]

    def _engine_warning(self, reader: ArchiveReader) -> list[str]:
        source = reader.manifest.get("sourceDialect")
        if source == self.dialect.name:
            return []
        return [
            f"backup taken on {source} restored into {self.dialect.name}: values converted "
            "to this database's column types"
        ]

    # -- writing ---------------------------------------------------------------
    def _apply(self, reader: ArchiveReader, matches: list[TableMatch]) -> dict[str, dict[str, int]]:
        changes = {m.name: {"inserted": 0, "updated": 0, "deleted": 0} for m in matches}
        try:
            with self.dialect.write_transaction() as conn:
                for m in matches:
                    self._stage(conn, reader, m)
                for m in reversed(matches):
                    changes[m.name]["deleted"] = self._delete_missing(conn, m)
                for m in matches:
                    changes[m.name]["updated"] = self._update_changed(conn, m)
                    changes[m.name]["inserted"] = self._insert_new(conn, m)
                    self.dialect.after_restore(conn, m.target)
                for m in matches:
                    self.dialect.drop_staging(conn, staging_name(m.name))
        except sa.exc.IntegrityError as exc:
            raise IncompatibleSchema(
                f"restore refused by the database, nothing changed: {_first(exc)}"
            ) from None
        except sa.exc.SQLAlchemyError as exc:
            raise BackupError(f"restore failed, nothing changed: {_first(exc)}") from None
        return changes

    def _stage(self, conn: sa.Connection, reader: ArchiveReader, m: TableMatch) -> None:
        staging = staging_name(m.name)
        self.dialect.drop_staging(conn, staging)
        self.dialect.create_staging(conn, m.target, staging, m.columns, m.key)
        total = reader.tables[m.name]["rows"]
        done = 0
        self.progress(m.name, 0, total)
        for batch in reader.iter_batches(m.name):
            rows = [self._convert(row, m) for row in batch]
            self.dialect.insert_rows(conn, staging, m.columns, rows)
            done += len(rows)
            self.progress(m.name, done, total)

    def _convert(self, row: list[Any], m: TableMatch) -> list[Any]:
        out = [row[i] for i in m.source_indexes]
        for i, convert in enumerate(m.converters):
            if convert is not None:
                out[i] = convert(out[i])
        return self.dialect.adapt_row(out)

    def _key_join(self, m: TableMatch, left: str, right: str) -> str:
        q, same = self.dialect.quote, self.dialect.same_key
        return " AND ".join(same(f"{left}.{q(c)}", f"{right}.{q(c)}", m.spec(c)) for c in m.key)

    def _delete_missing(self, conn: sa.Connection, m: TableMatch) -> int:
        q = self.dialect.quote
        table, staging = q(m.name), q(staging_name(m.name))
        if not m.key:
            return conn.exec_driver_sql(f"DELETE FROM {table}").rowcount
        match = self._key_join(m, "s", table)
        sql = f"DELETE FROM {table} WHERE NOT EXISTS (SELECT 1 FROM {staging} s WHERE {match})"
        return conn.exec_driver_sql(sql).rowcount

    def _update_changed(self, conn: sa.Connection, m: TableMatch) -> int:
        q = self.dialect.quote
        table, staging = q(m.name), q(staging_name(m.name))
        values = [c for c in m.columns if c not in m.key]
        if not m.key or not values:
            return 0
        sets = ", ".join(f"{self.dialect.assign_target(table, q(c))} = s.{q(c)}" for c in values)
        distinct = self.dialect.is_distinct
        differs = " OR ".join(distinct(f"{table}.{q(c)}", f"s.{q(c)}", m.spec(c)) for c in values)
        sql = self.dialect.update_from(table, staging, self._key_join(m, table, "s"), sets, differs)
        return conn.exec_driver_sql(sql).rowcount

    def _insert_new(self, conn: sa.Connection, m: TableMatch) -> int:
        q = self.dialect.quote
        table, staging = q(m.name), q(staging_name(m.name))
        cols = self.dialect.column_list(m.columns)
        src = self.dialect.column_list(m.columns, prefix="s.")
        sql = f"INSERT INTO {table} ({cols}) SELECT {src} FROM {staging} s"
        if m.key:
            match = self._key_join(m, table, "s")
            sql += f" WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {match})"
        return conn.exec_driver_sql(sql).rowcount


def _first(exc: sa.exc.SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0][:200]
